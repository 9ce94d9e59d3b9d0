package io.ringbus.core.dedup;

import io.ringbus.core.dedup.RequestDedup.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A plain, slow model of {@link RequestDedup}'s documented rules (the class comment), written
 * without regard to performance, to check the real table against. Test thread only. Replies are
 * {@link Reply} records whose size is their {@code bytes}.
 */
final class DedupModel
{

    record Key(long hi, long lo)
    {
    }

    /** A reply of a given size; distinct by id. */
    record Reply(int id, long bytes)
    {
    }

    static final class Entry
    {
        boolean done;
        long completedAt;
        long sequence;
        Reply reply;
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
    private final int maxEntries;
    private final long maxBytes;
    private final Map<Key, ClientState> clients = new HashMap<>();
    final List<Reply> discarded = new ArrayList<>();
    long now;
    long evictions;
    long refusals;
    private long useCounter;
    private long completions;
    private Reply lastReply;
    private boolean closed;

    DedupModel(final int capacity, final long ttl, final int maxClients, final int maxEntries, final long maxBytes)
    {
        this.capacity = capacity;
        this.ttl = ttl;
        this.maxClients = maxClients;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    Reply reply()
    {
        return lastReply;
    }

    int clientCount()
    {
        return clients.size();
    }

    int entryCount()
    {
        return clients.values().stream().mapToInt(c -> c.entries.size()).sum();
    }

    long replyBytes()
    {
        long bytes = 0;
        for (final ClientState c : clients.values())
        {
            for (final Entry e : c.entries.values())
            {
                bytes += e.done ? e.reply.bytes() : 0;
            }
        }
        return bytes;
    }

    private boolean live(final Entry e)
    {
        return now - e.completedAt < ttl;
    }

    private void touch(final ClientState c)
    {
        c.lastUse = ++useCounter;
    }

    Status status(final long hi, final long lo, final long request)
    {
        return decide(hi, lo, request, false);
    }

    Status claim(final long hi, final long lo, final long request)
    {
        return decide(hi, lo, request, true);
    }

    private Status decide(final long hi, final long lo, final long request, final boolean act)
    {
        lastReply = null;
        if (closed)
        {
            return Status.REFUSED;
        }
        final Key key = new Key(hi, lo);
        ClientState c = clients.get(key);
        if (c != null && act)
        {
            touch(c);
        }
        if (c != null)
        {
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
                if (act) // expired: replaced, not an eviction
                {
                    discarded.add(e.reply);
                    e.done = false;
                    e.reply = null;
                }
                return Status.FRESH;
            }
            if (c.entries.size() == capacity)
            {
                final Map.Entry<Long, Entry> oldest = oldestDone(c);
                if (oldest == null)
                {
                    return refuse(act);
                }
                if (act) // the client's own oldest completion makes room: the client stays
                {
                    final Entry victim = c.entries.remove(oldest.getKey());
                    evictions += live(victim) ? 1 : 0;
                    discarded.add(victim.reply);
                    c.entries.put(request, new Entry());
                }
                return Status.FRESH;
            }
        }
        else if (clients.size() == maxClients)
        {
            Key victim = null;
            long oldestUse = Long.MAX_VALUE;
            for (final Map.Entry<Key, ClientState> candidate : clients.entrySet())
            {
                if (!candidate.getValue().hasInFlight() && candidate.getValue().lastUse < oldestUse)
                {
                    oldestUse = candidate.getValue().lastUse;
                    victim = candidate.getKey();
                }
            }
            if (victim == null)
            {
                return refuse(act);
            }
            if (act)
            {
                final ClientState gone = clients.remove(victim);
                for (final Entry e : gone.entries.values())
                {
                    evictions += live(e) ? 1 : 0;
                    discarded.add(e.reply);
                }
                addClient(key).entries.put(request, new Entry());
            }
            return Status.FRESH;
        }
        // a new entry of a held client with room, or of a new client with room for clients
        if (entryCount() == maxEntries)
        {
            final Key owner = globalOldestDone();
            if (owner == null)
            {
                return refuse(act);
            }
            if (act)
            {
                final ClientState victimClient = clients.get(owner);
                evictEntry(victimClient, oldestDone(victimClient).getKey());
            }
        }
        if (act)
        {
            c = clients.get(key);
            if (c == null)
            {
                c = addClient(key);
            }
            c.entries.put(request, new Entry());
        }
        return Status.FRESH;
    }

    private Status refuse(final boolean act)
    {
        if (act)
        {
            refusals++;
        }
        return Status.REFUSED;
    }

    private ClientState addClient(final Key key)
    {
        final ClientState c = new ClientState();
        clients.put(key, c);
        touch(c);
        return c;
    }

    private static Map.Entry<Long, Entry> oldestDone(final ClientState c)
    {
        Map.Entry<Long, Entry> oldest = null;
        for (final Map.Entry<Long, Entry> e : c.entries.entrySet())
        {
            if (e.getValue().done && (oldest == null || e.getValue().sequence < oldest.getValue().sequence))
            {
                oldest = e;
            }
        }
        return oldest;
    }

    /** The client holding the DONE entry with the earliest completion of all, or null. */
    private Key globalOldestDone()
    {
        Key owner = null;
        long oldest = Long.MAX_VALUE;
        for (final Map.Entry<Key, ClientState> c : clients.entrySet())
        {
            final Map.Entry<Long, Entry> e = oldestDone(c.getValue());
            if (e != null && e.getValue().sequence < oldest)
            {
                oldest = e.getValue().sequence;
                owner = c.getKey();
            }
        }
        return owner;
    }

    /** Evicts a DONE entry for room: counted if live; a client left empty goes. */
    private void evictEntry(final ClientState c, final long request)
    {
        final Entry e = c.entries.remove(request);
        evictions += live(e) ? 1 : 0;
        discarded.add(e.reply);
        removeIfEmpty(c);
    }

    private void removeIfEmpty(final ClientState c)
    {
        if (c.entries.isEmpty())
        {
            clients.values().remove(c);
        }
    }

    boolean complete(final long hi, final long lo, final long request, final Reply reply)
    {
        lastReply = null;
        final ClientState c = closed ? null : clients.get(new Key(hi, lo));
        final Entry e = c == null ? null : c.entries.get(request);
        if (e == null || e.done)
        {
            discarded.add(reply);
            return false;
        }
        touch(c);
        if (reply.bytes() > maxBytes)
        {
            c.entries.remove(request);
            removeIfEmpty(c);
            evictions++;
            discarded.add(reply);
            return false;
        }
        while (replyBytes() + reply.bytes() > maxBytes)
        {
            final ClientState victimClient = clients.get(globalOldestDone());
            evictEntry(victimClient, oldestDone(victimClient).getKey());
        }
        e.done = true;
        e.completedAt = now;
        e.sequence = ++completions;
        e.reply = reply;
        if (!c.hasInFlight())
        {
            touch(c); // it joins the idle clients as the most recently used
        }
        return true;
    }

    boolean abandon(final long hi, final long lo, final long request)
    {
        lastReply = null;
        final ClientState c = closed ? null : clients.get(new Key(hi, lo));
        final Entry e = c == null ? null : c.entries.get(request);
        if (e == null || e.done)
        {
            return false;
        }
        c.entries.remove(request);
        if (!c.hasInFlight())
        {
            touch(c); // it joins the idle clients as the most recently used
        }
        removeIfEmpty(c);
        return true;
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
