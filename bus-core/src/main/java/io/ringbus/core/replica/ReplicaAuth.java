package io.ringbus.core.replica;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * The bytes of the authenticated replica handshake (docs/replica-auth.md): its three header-only
 * frames, whose command area carries a magic, the step, the peer's id, a nonce and an
 * HMAC-SHA256 proof, and the proof itself. With a cluster key the dialer sends {@code hello}
 * (ping, its nonce), the acceptor answers {@code challenge} (pong, its nonce and its proof) and
 * the dialer closes the exchange with {@code proof} (ping, its proof). Each proof covers a role
 * label, both replica ids, the cluster id and both nonces, so it is bound to one connection
 * (fresh nonces: no replay), one direction (the role: no reflection) and one pair of replicas.
 *
 * <p>The static methods are immutable helpers, any thread. An instance holds an initialised
 * {@link Mac} and a scratch input: one per thread (the plane keeps one per shard).
 */
public final class ReplicaAuth
{
    /** Offset of the magic in the frame: the start of the command area. */
    public static final int MAGIC_OFFSET = FrameHeader.COMMAND_AREA_OFFSET;
    /** The magic, ASCII "RBA1" (ringbus auth, version 1), read as a little-endian u32. */
    public static final int MAGIC = 'R' | 'B' << 8 | 'A' << 16 | '1' << 24;
    /** Offset of the step (u8). */
    public static final int STEP_OFFSET = MAGIC_OFFSET + 4;
    /** Offset of the replica id the sender means to talk to (u8). */
    public static final int PEER_OFFSET = STEP_OFFSET + 1;
    /** Offset of the sender's nonce (hello and challenge; zero in proof). */
    public static final int NONCE_OFFSET = FrameHeader.COMMAND_AREA_OFFSET + 32;
    /** Offset of the sender's proof (challenge and proof; zero in hello). */
    public static final int MAC_OFFSET = NONCE_OFFSET + 32;
    /** Length of a nonce: 32 bytes from SecureRandom. */
    public static final int NONCE_LENGTH = 32;
    /** Length of a proof: an HMAC-SHA256 value. */
    public static final int MAC_LENGTH = 32;

    /** Step 1, ping from the dialer: its nonce. */
    public static final int STEP_HELLO = 1;
    /** Step 2, pong from the acceptor: its nonce and its proof. */
    public static final int STEP_CHALLENGE = 2;
    /** Step 3, ping from the dialer: its proof. */
    public static final int STEP_PROOF = 3;

    /** Role byte of a proof made by the dialer ('D'). */
    public static final byte ROLE_DIALER = 'D';
    /** Role byte of a proof made by the acceptor ('A'). */
    public static final byte ROLE_ACCEPTOR = 'A';

    /** The label that starts every HMAC input: "ringbus-auth-v1" and a zero byte. */
    private static final byte[] LABEL = {'r', 'i', 'n', 'g', 'b', 'u', 's', '-', 'a', 'u', 't', 'h', '-', 'v', '1', 0};
    /** Offsets in the HMAC input (docs/replica-auth.md, "Proof"). */
    private static final int INPUT_ROLE = 16;
    private static final int INPUT_DIALER = 17;
    private static final int INPUT_ACCEPTOR = 18;
    private static final int INPUT_CLUSTER = 20;
    private static final int INPUT_NONCE_DIALER = 36;
    private static final int INPUT_NONCE_ACCEPTOR = 68;
    /** Length of the HMAC input. */
    public static final int MAC_INPUT_LENGTH = 100;

    private static final String ALGORITHM = "HmacSHA256";

    private final Mac mac;
    private final byte[] input = new byte[MAC_INPUT_LENGTH];

    /** A proof maker for {@code key} (at least 32 bytes; BusConfig checks it). */
    public ReplicaAuth(final byte[] key)
    {
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA256 is not available: " + ex, ex);
        }
        System.arraycopy(LABEL, 0, input, 0, LABEL.length);
    }

    /**
     * Write into {@code out} (at least {@link #MAC_LENGTH} bytes) the proof of {@code role} for the
     * connection from {@code dialer} to {@code acceptor} in cluster (hi, lo) with these nonces.
     */
    public void proof(final byte role, final int dialer, final int acceptor, final long clusterHi,
        final long clusterLo, final byte[] nonceDialer, final byte[] nonceAcceptor, final byte[] out)
    {
        input[INPUT_ROLE] = role;
        input[INPUT_DIALER] = (byte)dialer;
        input[INPUT_ACCEPTOR] = (byte)acceptor;
        input[INPUT_ACCEPTOR + 1] = 0;
        putLongLe(input, INPUT_CLUSTER, clusterLo);
        putLongLe(input, INPUT_CLUSTER + Long.BYTES, clusterHi);
        System.arraycopy(nonceDialer, 0, input, INPUT_NONCE_DIALER, NONCE_LENGTH);
        System.arraycopy(nonceAcceptor, 0, input, INPUT_NONCE_ACCEPTOR, NONCE_LENGTH);
        mac.update(input, 0, MAC_INPUT_LENGTH);
        try
        {
            mac.doFinal(out, 0);
        }
        catch (final javax.crypto.ShortBufferException ex)
        {
            throw new IllegalArgumentException("out holds " + out.length + " bytes, a proof " + MAC_LENGTH, ex);
        }
    }

    /**
     * True if the {@link #MAC_LENGTH} bytes at {@link #MAC_OFFSET} of the frame equal {@code expected},
     * compared in constant time (MessageDigest.isEqual).
     */
    public static boolean macEquals(final DirectBuffer buffer, final int offset, final byte[] expected,
        final byte[] scratch)
    {
        buffer.getBytes(offset + MAC_OFFSET, scratch, 0, MAC_LENGTH);
        return MessageDigest.isEqual(scratch, expected);
    }

    /**
     * Write a sealed header-only handshake frame at {@code offset}: {@code command} (ping or pong)
     * from {@code sender} in cluster (hi, lo), with {@code step}, {@code peer} and the nonce and proof
     * (either may be null: zeros). Returns the frame length (256).
     */
    public static int write(final MutableDirectBuffer buffer, final int offset, final Command command, final int step,
        final int sender, final int peer, final long clusterHi, final long clusterLo, final byte[] nonce,
        final byte[] proof)
    {
        Frames.header().wrap(buffer, offset).clear().cluster(clusterHi, clusterLo).size(FrameHeader.HEADER_SIZE)
            .command(command).replica(sender);
        buffer.putInt(offset + MAGIC_OFFSET, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putByte(offset + STEP_OFFSET, (byte)step);
        buffer.putByte(offset + PEER_OFFSET, (byte)peer);
        if (nonce != null)
        {
            buffer.putBytes(offset + NONCE_OFFSET, nonce, 0, NONCE_LENGTH);
        }
        if (proof != null)
        {
            buffer.putBytes(offset + MAC_OFFSET, proof, 0, MAC_LENGTH);
        }
        Frames.seal(buffer, offset);
        return FrameHeader.HEADER_SIZE;
    }

    /** True if the frame's command area starts with {@link #MAGIC} (the authenticated form). */
    public static boolean hasMagic(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + MAGIC_OFFSET, ByteOrder.LITTLE_ENDIAN) == MAGIC;
    }

    /** The step byte of a handshake frame. */
    public static int step(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + STEP_OFFSET) & 0xFF;
    }

    /** The peer byte of a handshake frame: the replica id the sender means to talk to. */
    public static int peer(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + PEER_OFFSET) & 0xFF;
    }

    /** Copy the frame's nonce into {@code out}. */
    public static void nonce(final DirectBuffer buffer, final int offset, final byte[] out)
    {
        buffer.getBytes(offset + NONCE_OFFSET, out, 0, NONCE_LENGTH);
    }

    private static void putLongLe(final byte[] target, final int index, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            target[index + i] = (byte)(value >>> (8 * i));
        }
    }
}
