package io.ringbus.core.dedup;

import io.ringbus.core.dedup.RequestDedup.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A plain, slow model of {@link RequestDedup}'s documented rules, written without regard to
 * performance, to check the real table against. Test thread only.
 */
final class DedupModel
{

    record Key(long hi, long lo)
    {
    }

    static final class Entry
    {
        final long request;
        boolean done;
        long completedAt;
        Object reply;

        Entry(final long request)
        {
            this.request = request;
        }
    }

    static final class ClientState
    {
        final Map<Long, Entry> entries = new HashMap<>();
        long lastUse;

        boolean hasInFlight()
        {
            return entries.values().stream().anyMatch(e -> !e.done);
        }
    }

    private final int capacity;
    private final long ttl;
    private final int maxClients;
    private final Map<Key, ClientState> clients = new HashMap<>();
    final List<Object> discarded = new ArrayList<>();
    long now;
    private long useCounter;
    private Object lastReply;
    private boolean closed;

    DedupModel(final int capacity, final long ttl, final int maxClients)
    {
        this.capacity = capacity;
        this.ttl = ttl;
        this.maxClients = maxClients;
    }

    Object reply()
    {
        return lastReply;
    }

    int clientCount()
    {
        return clients.size();
    }

    private boolean live(final Entry e)
    {
        return now - e.completedAt < ttl;
    }

    private void touch(final ClientState c)
    {
        c.lastUse = ++useCounter;
    }

    Status lookup(final long hi, final long lo, final long request)
    {
        lastReply = null;
        if (closed)
        {
            return Status.REFUSED;
        }
        final ClientState c = clients.get(new Key(hi, lo));
        if (c == null)
        {
            final boolean admit = clients.size() < maxClients
                || clients.values().stream().anyMatch(x -> !x.hasInFlight());
            return admit ? Status.FRESH : Status.REFUSED;
        }
        touch(c);
        final Entry e = c.entries.get(request);
        if (e != null)
        {
            if (!e.done)
            {
                return Status.IN_FLIGHT;
            }
            if (live(e))
            {
                lastReply = e.reply;
                return Status.DONE;
            }
            return Status.FRESH;
        }
        if (c.entries.size() < capacity || c.entries.values().stream().anyMatch(x -> x.done))
        {
            return Status.FRESH;
        }
        return Status.REFUSED;
    }

    boolean markInFlight(final long hi, final long lo, final long request)
    {
        final Status status = lookup(hi, lo, request);
        lastReply = null;
        if (status != Status.FRESH)
        {
            return false;
        }
        final Key key = new Key(hi, lo);
        ClientState c = clients.get(key);
        if (c == null)
        {
            if (clients.size() >= maxClients)
            {
                Key victim = null;
                long oldest = Long.MAX_VALUE;
                for (final Map.Entry<Key, ClientState> candidate : clients.entrySet())
                {
                    if (!candidate.getValue().hasInFlight() && candidate.getValue().lastUse < oldest)
                    {
                        oldest = candidate.getValue().lastUse;
                        victim = candidate.getKey();
                    }
                }
                discardAll(clients.remove(victim));
            }
            c = new ClientState();
            clients.put(key, c);
            touch(c);
        }
        final Entry existing = c.entries.get(request);
        if (existing != null) { // expired DONE entry: replaced
            discarded.add(existing.reply);
            c.entries.remove(request);
        }
        else if (c.entries.size() >= capacity)
        {
            Entry victim = null;
            for (final Entry e : c.entries.values())
            {
                if (!e.done)
                {
                    continue;
                }
                if (victim == null)
                {
                    victim = e;
                }
                else if (!live(e) && live(victim))
                {
                    victim = e;
                }
                else if (live(e) == live(victim) && Long.compareUnsigned(e.request, victim.request) < 0)
                {
                    victim = e;
                }
            }
            discarded.add(victim.reply);
            c.entries.remove(victim.request);
        }
        c.entries.put(request, new Entry(request));
        return true;
    }

    boolean complete(final long hi, final long lo, final long request, final Object reply)
    {
        lastReply = null;
        final ClientState c = closed ? null : clients.get(new Key(hi, lo));
        if (c != null)
        {
            touch(c);
            final Entry e = c.entries.get(request);
            if (e != null && !e.done)
            {
                e.done = true;
                e.completedAt = now;
                e.reply = reply;
                return true;
            }
        }
        discarded.add(reply);
        return false;
    }

    boolean evictClient(final long hi, final long lo)
    {
        lastReply = null;
        if (closed)
        {
            return false;
        }
        final ClientState c = clients.remove(new Key(hi, lo));
        if (c == null)
        {
            return false;
        }
        discardAll(c);
        return true;
    }

    void close()
    {
        lastReply = null;
        if (closed)
        {
            return;
        }
        closed = true;
        for (final ClientState c : clients.values())
        {
            discardAll(c);
        }
        clients.clear();
    }

    private void discardAll(final ClientState c)
    {
        for (final Entry e : c.entries.values())
        {
            if (e.done)
            {
                discarded.add(e.reply);
            }
        }
    }
}
