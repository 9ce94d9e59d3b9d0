package io.ringbus.quic.conn;

/**
 * Datagram Packetization Layer Path MTU Discovery (RFC 8899 5, as RFC 9000 14.3 applies it to
 * QUIC) for one connection: the datagram size packets are built to, starting at the 1200 bytes
 * every path must carry (BASE_PLPMTU) and raised by probes (PING and PADDING in one 1-RTT packet
 * of the size tried) that the peer acknowledges, up to the smaller of the configured maximum and
 * the peer's max_udp_payload_size (MAX_PLPMTU).
 *
 * <p>The search tries the maximum first (loopback and Ethernet paths carry it: one probe settles
 * it), then halves the interval between the largest size acknowledged and the smallest size that
 * failed {@value #MAX_PROBES} times, until it is under {@value #MIN_STEP} bytes. One probe is in
 * flight at a time. A lost probe is no congestion signal (RFC 9000 14.4): the loss detector
 * discards its bytes from flight instead of reducing the window, and it is not counted as a lost
 * packet. Black holes (RFC 8899 4.3): when {@value #BLACK_HOLE_LOSSES} packets larger than the
 * base size are declared lost with no larger packet acknowledged in between, or a second
 * consecutive probe timeout fires with larger packets in flight, the size falls back to the base
 * and the search starts again below the size that failed. A finished search runs again after
 * {@value #RAISE_INTERVAL_NS} ns (RFC 8899 PMTU_RAISE_TIMER) if it stopped below the maximum.
 *
 * <p>Connection thread only: {@link PacketAssembler} asks for the size and sends the probes,
 * {@link QuicConnection}'s loss detection glue reports acknowledgements and losses.
 */
final class PathMtu
{
    /** RFC 9000 14: the smallest datagram size every path carries. */
    static final int BASE_BYTES = QuicConnectionConfig.MAX_DATAGRAM_SIZE;
    /** RFC 8899 5.1.2 MAX_PROBES: attempts at one size before it counts as failed. */
    static final int MAX_PROBES = 3;
    /** The search ends when the sizes acknowledged and failed are this close. */
    static final int MIN_STEP = 16;
    /** Larger packets declared lost in a row that make the path a black hole. */
    static final int BLACK_HOLE_LOSSES = 6;
    /** RFC 8899 5.1.1 PMTU_RAISE_TIMER: 600 s. */
    static final long RAISE_INTERVAL_NS = 600_000_000_000L;

    private final boolean enabled;
    private final int configuredMaxBytes;
    private int maxBytes = BASE_BYTES;
    private int currentBytes = BASE_BYTES;
    /** The largest size acknowledged in this search. */
    private int lowBytes = BASE_BYTES;
    /** The largest size not known to fail in this search. */
    private int highBytes = BASE_BYTES;
    /** The size of the probe in flight, 0 if none. */
    private int probeInFlightBytes;
    /** The size being tried, and the probes sent at it. */
    private int candidateBytes;
    private int attempts;
    private boolean searching;
    private long raiseAtNs = Long.MAX_VALUE;
    private int largeLostInRow;
    private int probesSent;
    private int probesLost;
    private int blackHoles;

    /** @param maxBytes the configured MAX_PLPMTU; {@code enabled} false keeps every datagram at the base size. */
    PathMtu(final boolean enabled, final int maxBytes)
    {
        this.enabled = enabled && maxBytes > BASE_BYTES;
        this.configuredMaxBytes = maxBytes;
    }

    /** The handshake is confirmed and the peer's max_udp_payload_size known: the search may begin. */
    void start(final long peerMaxUdpPayloadBytes)
    {
        if (!enabled || searching || maxBytes > BASE_BYTES)
        {
            return;
        }
        maxBytes = (int)Math.max(BASE_BYTES, Math.min(configuredMaxBytes, peerMaxUdpPayloadBytes));
        highBytes = maxBytes;
        searching = maxBytes > BASE_BYTES;
    }

    /** The datagram size to build packets to now. */
    int currentBytes()
    {
        return currentBytes;
    }

    /** The upper bound of the search (MAX_PLPMTU): the configured maximum and the peer's limit. */
    int maxBytes()
    {
        return maxBytes;
    }

    /** The size the next probe should have at {@code nowNs}, 0 if none is due. */
    int probeBytes(final long nowNs)
    {
        if (!searching && nowNs >= raiseAtNs)
        {
            // RFC 8899 5.2 SEARCH_COMPLETE to SEARCHING: try again above the size settled on
            raiseAtNs = Long.MAX_VALUE;
            lowBytes = currentBytes;
            highBytes = maxBytes;
            attempts = 0;
            searching = lowBytes < highBytes;
        }
        if (!searching || probeInFlightBytes != 0)
        {
            return 0;
        }
        if (attempts == 0)
        {
            // the maximum first (one probe settles a path that carries it), then the middle
            candidateBytes = highBytes == maxBytes && lowBytes == BASE_BYTES ? maxBytes :
                Math.max(lowBytes + 1, (lowBytes + highBytes + 1) >>> 1);
        }
        return candidateBytes;
    }

    /** A probe of {@code bytes} went out. */
    void onProbeSent(final int bytes)
    {
        probeInFlightBytes = bytes;
        attempts++;
        probesSent++;
    }

    /** A probe of {@code bytes} was acknowledged: the path carries that size. */
    void onProbeAcked(final int bytes, final long nowNs)
    {
        if (bytes == probeInFlightBytes)
        {
            probeInFlightBytes = 0;
        }
        if (bytes <= currentBytes || bytes > highBytes)
        {
            // nothing new, or a late probe of a size since found lost or fallen back from: not trusted
            return;
        }
        currentBytes = bytes;
        lowBytes = Math.max(lowBytes, bytes);
        highBytes = Math.max(highBytes, lowBytes);
        attempts = 0;
        largeLostInRow = 0;
        settleIfDone(nowNs);
    }

    /** A probe of {@code bytes} was declared lost. */
    void onProbeLost(final int bytes, final long nowNs)
    {
        probesLost++;
        if (bytes == probeInFlightBytes)
        {
            probeInFlightBytes = 0;
        }
        if (!searching || attempts < MAX_PROBES || bytes <= lowBytes)
        {
            return;
        }
        highBytes = Math.min(highBytes, bytes - 1);
        attempts = 0;
        settleIfDone(nowNs);
    }

    private void settleIfDone(final long nowNs)
    {
        if (highBytes - lowBytes < MIN_STEP)
        {
            searching = false;
            raiseAtNs = currentBytes < maxBytes ? nowNs + RAISE_INTERVAL_NS : Long.MAX_VALUE;
        }
    }

    /** An ordinary packet of {@code bytes} was acknowledged. */
    void onPacketAcked(final int bytes)
    {
        if (bytes > BASE_BYTES)
        {
            largeLostInRow = 0;
        }
    }

    /** An ordinary packet of {@code bytes} was declared lost; @return true if the size fell back. */
    boolean onPacketLost(final int bytes, final long nowNs)
    {
        if (bytes > BASE_BYTES && currentBytes > BASE_BYTES && ++largeLostInRow >= BLACK_HOLE_LOSSES)
        {
            fallBack(nowNs);
            return true;
        }
        return false;
    }

    /** A probe timeout fired, the {@code ptoCount}-th in a row; @return true if the size fell back. */
    boolean onProbeTimeout(final int ptoCount, final long nowNs)
    {
        if (ptoCount >= 2 && currentBytes > BASE_BYTES)
        {
            fallBack(nowNs);
            return true;
        }
        return false;
    }

    /** RFC 8899 5.2: a black hole: back to the base size, and search again below the size that failed. */
    private void fallBack(final long nowNs)
    {
        blackHoles++;
        final int failed = currentBytes;
        currentBytes = BASE_BYTES;
        lowBytes = BASE_BYTES;
        highBytes = failed - 1;
        attempts = 0;
        largeLostInRow = 0;
        probeInFlightBytes = 0;
        searching = highBytes - lowBytes >= MIN_STEP;
        raiseAtNs = searching ? Long.MAX_VALUE : nowNs + RAISE_INTERVAL_NS;
    }

    /** True while probes may still raise the size. */
    boolean isSearching()
    {
        return searching;
    }

    int probesSent()
    {
        return probesSent;
    }

    int probesLost()
    {
        return probesLost;
    }

    int blackHoles()
    {
        return blackHoles;
    }
}
