package io.ringbus.core.transport;

import io.ringbus.core.config.BusConfig;

import java.net.InetAddress;
import java.util.HashMap;

/**
 * The bus-wide client connection limits: {@code max_connections} in total and
 * {@code max_connections_per_address} per source IP address, over every listener and scheme. A
 * transport takes a place with {@link #tryAcquire} before it spends any handshake work on a new
 * peer (the accept path for tcp, tls, ws and wss; the first Initial for quic) and gives it back
 * with {@link #release} exactly once when that connection (or handshake) is gone. Each refusal is
 * counted by reason ({@link #refusedTotal()}, {@link #refusedPerAddress()}), whichever transport asked.
 *
 * <p>Any thread: accepts (shard 0) and closes (owning shards) race, so the counts are under one lock.
 */
public final class ConnectionLimits
{
    /** Why {@link #tryAcquire} refused: the total limit. */
    public static final String REFUSED_TOTAL = "max_connections";
    /** Why {@link #tryAcquire} refused: the per-address limit. */
    public static final String REFUSED_PER_ADDRESS = "max_connections_per_address";

    private final int maxTotal;
    private final int maxPerAddress;
    /** Guarded by this; only addresses with open connections have an entry. */
    private final HashMap<InetAddress, int[]> perAddress = new HashMap<>();
    private int total;
    private long refusedTotal;
    private long refusedPerAddress;

    /**
     * @param maxTotal      at least 1
     * @param maxPerAddress zero for no per-address limit
     */
    public ConnectionLimits(final int maxTotal, final int maxPerAddress)
    {
        if (maxTotal < 1 || maxPerAddress < 0)
        {
            throw new IllegalArgumentException("maxTotal=" + maxTotal + ", maxPerAddress=" + maxPerAddress);
        }
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /** The limits of {@code config}. */
    public static ConnectionLimits of(final BusConfig config)
    {
        return new ConnectionLimits(config.maxConnections(), config.maxConnectionsPerAddress());
    }

    /**
     * Takes a place for a connection from {@code address}. A short lock: accepts and closes are
     * not the frame path, and one lock keeps both counts exact.
     *
     * @return null if taken (the caller must {@link #release} it once), else the refusal reason,
     *         {@link #REFUSED_TOTAL} or {@link #REFUSED_PER_ADDRESS}
     */
    public synchronized String tryAcquire(final InetAddress address)
    {
        if (total >= maxTotal)
        {
            refusedTotal++;
            return REFUSED_TOTAL;
        }
        if (maxPerAddress > 0)
        {
            int[] count = perAddress.get(address);
            if (count == null)
            {
                count = new int[1];
                perAddress.put(address, count);
            }
            else if (count[0] >= maxPerAddress)
            {
                refusedPerAddress++;
                return REFUSED_PER_ADDRESS;
            }
            count[0]++;
        }
        total++;
        return null;
    }

    /** Gives back a place {@link #tryAcquire} took for {@code address}. */
    public synchronized void release(final InetAddress address)
    {
        if (maxPerAddress > 0)
        {
            final int[] count = perAddress.get(address);
            if (count == null)
            {
                throw new IllegalStateException("release without a place: " + address);
            }
            if (--count[0] == 0)
            {
                perAddress.remove(address);
            }
        }
        if (total == 0)
        {
            throw new IllegalStateException("release without a place: " + address);
        }
        total--;
    }

    /** Connections holding a place now. */
    public synchronized int open()
    {
        return total;
    }

    /** Connections from {@code address} holding a place now (0 without a per-address limit). */
    public synchronized int open(final InetAddress address)
    {
        final int[] count = perAddress.get(address);
        return count != null ? count[0] : 0;
    }

    /** Connections refused since start because {@code max_connections} were open (every transport). */
    public synchronized long refusedTotal()
    {
        return refusedTotal;
    }

    /** Connections refused since start because their address had {@code max_connections_per_address} open. */
    public synchronized long refusedPerAddress()
    {
        return refusedPerAddress;
    }

    /** {@code max_connections}. */
    public int maxTotal()
    {
        return maxTotal;
    }

    /** {@code max_connections_per_address}, zero for none. */
    public int maxPerAddress()
    {
        return maxPerAddress;
    }
}
