package io.ringbus.quic.conn;

import io.ringbus.quic.packet.Hkdf;
import io.ringbus.quic.packet.PacketProtection;

/**
 * The 1-RTT key phases of one connection (RFC 9001 6): the application secrets, the next read
 * keys (derived on the first packet of a new phase), the previous read keys (for packets of the old
 * phase still in flight), and the phase bit of each direction. It replaces the keys of the
 * application {@link PacketSpace}. Connection thread only: {@link PacketOpener} asks which keys
 * open a 1-RTT packet, {@link PacketAssembler} writes the phase bit, {@link QuicConnection} hands
 * in the secrets.
 */
final class KeyPhases
{
    private static final byte[] NO_CONTEXT = new byte[0];

    private final PacketSpace space;
    private final QuicConnectionStats stats;
    private byte[] readSecret;
    private byte[] writeSecret;
    private byte[] nextReadSecret;
    private PacketProtection nextRead;
    private PacketProtection previousRead;
    private int readPhase;
    private int writePhase;
    private long phaseStartPacketNumber;

    KeyPhases(final PacketSpace applicationSpace, final QuicConnectionStats stats)
    {
        this.space = applicationSpace;
        this.stats = stats;
    }

    /** The TLS engine's application secrets (the space's first keys were made from them). */
    void onSecrets(final byte[] readSecret, final byte[] writeSecret)
    {
        this.readSecret = readSecret.clone();
        this.writeSecret = writeSecret.clone();
    }

    /** The key phase bit of the 1-RTT packets we receive. */
    int readPhase()
    {
        return readPhase;
    }

    /** The key phase bit of the 1-RTT packets we send. */
    int writePhase()
    {
        return writePhase;
    }

    /**
     * The keys for a 1-RTT packet of key phase bit {@code phase}: the current ones, the previous
     * ones for an older packet of the old phase, else the next ones (a key update, applied by
     * {@link #applyUpdate} once the packet opened and is no duplicate).
     */
    PacketProtection readKeys(final int phase, final long packetNumber)
    {
        if (phase == readPhase)
        {
            return space.read;
        }
        if (previousRead != null && packetNumber < phaseStartPacketNumber)
        {
            return previousRead;
        }
        if (nextRead == null)
        {
            nextReadSecret = Hkdf.expandLabel(readSecret, "quic ku", NO_CONTEXT, Hkdf.HASH_LENGTH);
            nextRead = space.read.withPacketKeys(nextReadSecret);
        }
        return nextRead;
    }

    /** True if {@code keys}, from {@link #readKeys}, are those of the next phase. */
    boolean isUpdate(final PacketProtection keys)
    {
        return keys == nextRead;
    }

    /** The peer's first packet of the next phase, {@code packetNumber}, opened: switch to it. */
    void applyUpdate(final long packetNumber)
    {
        previousRead = space.read;
        space.read = nextRead;
        readSecret = nextReadSecret;
        nextRead = null;
        nextReadSecret = null;
        readPhase ^= 1;
        phaseStartPacketNumber = packetNumber;
        stats.keyUpdates++;
        if (writePhase != readPhase)
        {
            // RFC 9001 6.2: the peer initiated: update our write keys before acknowledging
            updateWriteKeys();
        }
    }

    /** True if no update we initiated waits for the peer to follow. */
    boolean isSettled()
    {
        return writePhase == readPhase;
    }

    /** Start the next write phase (RFC 9001 6.1). */
    void updateWriteKeys()
    {
        writeSecret = Hkdf.expandLabel(writeSecret, "quic ku", NO_CONTEXT, Hkdf.HASH_LENGTH);
        space.write = space.write.withPacketKeys(writeSecret);
        writePhase ^= 1;
    }
}
