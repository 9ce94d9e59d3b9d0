package io.ringbus.sim;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/** A simulated machine: its bound ports, its backends, whether it is down. Simulation thread only. */
final class SimHost
{
    static final int FIRST_EPHEMERAL_PORT = 40_000;
    static final int LAST_EPHEMERAL_PORT = 60_999;

    final InetAddress address;
    /** Small number for the trace: hosts in order of first use. */
    final int index;
    final Map<Integer, SimListener> listeners = new LinkedHashMap<>();
    final Map<Integer, SimDatagramSocket> datagramSockets = new LinkedHashMap<>();
    final ArrayList<SimBackend> backends = new ArrayList<>();
    /** Crashed and not yet restarted: nothing reaches it, nothing leaves it. */
    boolean down;
    int crashes;
    private int nextEphemeralPort = FIRST_EPHEMERAL_PORT;

    SimHost(final InetAddress address, final int index)
    {
        this.address = address;
        this.index = index;
    }

    /** The next ephemeral port, skipping those {@code used} says are taken (bounded: one lap). */
    int ephemeralPort(final Map<Integer, ?> used)
    {
        for (int i = 0; i <= LAST_EPHEMERAL_PORT - FIRST_EPHEMERAL_PORT; i++)
        {
            final int port = nextEphemeralPort;
            nextEphemeralPort = port == LAST_EPHEMERAL_PORT ? FIRST_EPHEMERAL_PORT : port + 1;
            if (used == null || !used.containsKey(port))
            {
                return port;
            }
        }
        return -1;
    }
}
