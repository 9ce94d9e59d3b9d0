package io.ringbus.bench.jmh;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.ChaCha7539Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.modes.gcm.Tables8kGCMMultiplier;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * QUIC packet protection (RFC 9001 5), one operation = seal then open of one packet of
 * {@code payloadSize} bytes behind a 20-byte header (the AEAD's associated data), with a fresh
 * packet number (nonce) each time, as bus-quic does per packet. Run with {@code -prof gc}:
 * {@code gc.alloc.rate.norm} is what the engine allocates per packet and direction pair.
 * <ul>
 *   <li>{@code aes*Jdk}: the JDK's intrinsified AES-GCM as bus-quic used it (a Cipher.init with a new
 *       GCMParameterSpec per packet, AAD from the array, doFinal in place);
 *       {@code aes128JdkBuffers}: the best reuse the JDK API allows (AAD and doFinal on reused
 *       heap ByteBuffers, opening out of place).</li>
 *   <li>{@code aes*Bc}: BouncyCastle's GCMBlockCipher over AESEngine, re-keyed once and re-inited
 *       per packet with a reused ParametersWithIV.</li>
 *   <li>{@code aes128EcbGhash}: GCM composed by hand, no allocation: the CTR keystream from the
 *       JDK's intrinsified AES/ECB over counter blocks, GHASH in Java with BouncyCastle's 8 KB
 *       table multiplier (not constant time).</li>
 *   <li>{@code chachaJdk}: the JDK's ChaCha20-Poly1305 (pure Java in JDK 17) per packet;
 *       {@code chachaBcMode}: BouncyCastle's ChaCha20Poly1305 mode reused;
 *       {@code chachaBcEngines}: ChaCha7539Engine and Poly1305 composed by hand (RFC 8439 2.8).</li>
 *   <li>{@code hp*}: header protection of one packet (RFC 9001 5.4): one AES-ECB block, or one
 *       ChaCha20 block keyed by the sample.</li>
 *   <li>{@code packetProtection}: bus-quic's own {@link PacketProtection} for each suite:
 *       protect and unprotect (AEAD and header protection), as on the wire.</li>
 * </ul>
 * <p>On a loaded machine JMH's wall-clock ns/op is mostly the wait for a core; {@link #main} runs the
 * same operations interleaved (A B A B) and reports the thread's CPU time per operation instead
 * ({@code java -cp bench/target/benchmarks.jar io.ringbus.bench.jmh.PacketProtectionBenchmark [rounds]}).
 *
 * <p>One thread per trial; nothing here is thread-safe.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class PacketProtectionBenchmark
{
    /** Plaintext bytes per packet. */
    @Param({"64", "1200"})
    public int payloadSize;

    private static final int HEADER = 20;
    private static final int TAG = 16;

    private final byte[] packet = new byte[2048];
    private final byte[] sealed = new byte[2048];
    private final byte[] iv = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    private final byte[] nonce = new byte[12];
    private final byte[] mask = new byte[16];
    private long packetNumber;

    private Cipher jdkGcm128;
    private Cipher jdkGcm256;
    private SecretKeySpec aes128;
    private SecretKeySpec aes256;
    private final ByteBuffer packetBuffer = ByteBuffer.wrap(packet);
    private final ByteBuffer aadBuffer = ByteBuffer.wrap(packet);
    private final ByteBuffer sealedBuffer = ByteBuffer.wrap(sealed);

    private GCMModeCipher bcGcm128;
    private GCMModeCipher bcGcm256;
    /** Two, alternated: GCMBlockCipher keeps the IV array it was given and refuses the same one for encryption. */
    private final ParametersWithIV[] bcNonces = {new ParametersWithIV(null, new byte[12]),
        new ParametersWithIV(null, new byte[12])};

    private Cipher ecb128;
    private final Tables8kGCMMultiplier ghash = new Tables8kGCMMultiplier();
    private final byte[] counterBlocks = new byte[2048];
    private final byte[] keystream = new byte[2048];
    private final byte[] ghashState = new byte[16];
    private final byte[] tagBlock = new byte[16];

    private Cipher jdkChaSeal;
    private Cipher jdkChaOpen;
    private SecretKeySpec chachaKey;
    private ChaCha20Poly1305 bcChaCha;
    private final ChaCha7539Engine chaEngine = new ChaCha7539Engine();
    private final Poly1305 poly = new Poly1305();
    private final KeyParameter polyKey = new KeyParameter(new byte[32]);
    private final byte[] polyBlock = new byte[64];
    private final byte[] zeros = new byte[64];
    private final byte[] lengths = new byte[16];

    private Cipher hpAes;
    private Cipher hpChaJdk;
    private SecretKeySpec hpChaKey;
    private final ChaCha7539Engine hpChaBc = new ChaCha7539Engine();

    @Setup
    public void setUp() throws GeneralSecurityException
    {
        final byte[] key16 = new byte[16];
        final byte[] key32 = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            key32[i] = (byte)(i * 7 + 1);
        }
        System.arraycopy(key32, 0, key16, 0, 16);
        for (int i = 0; i < packet.length; i++)
        {
            packet[i] = (byte)(i * 31);
        }
        jdkGcm128 = Cipher.getInstance("AES/GCM/NoPadding");
        jdkGcm256 = Cipher.getInstance("AES/GCM/NoPadding");
        aes128 = new SecretKeySpec(key16, "AES");
        aes256 = new SecretKeySpec(key32, "AES");

        bcGcm128 = GCMBlockCipher.newInstance(AESEngine.newInstance());
        bcGcm128.init(true, new ParametersWithIV(new KeyParameter(key16), new byte[12]));
        bcGcm256 = GCMBlockCipher.newInstance(AESEngine.newInstance());
        bcGcm256.init(true, new ParametersWithIV(new KeyParameter(key32), new byte[12]));

        ecb128 = Cipher.getInstance("AES/ECB/NoPadding");
        ecb128.init(Cipher.ENCRYPT_MODE, aes128);
        final byte[] h = new byte[16];
        ecb128.doFinal(new byte[16], 0, 16, h, 0);
        ghash.init(h);

        jdkChaSeal = Cipher.getInstance("ChaCha20-Poly1305");
        jdkChaOpen = Cipher.getInstance("ChaCha20-Poly1305");
        chachaKey = new SecretKeySpec(key32, "ChaCha20");
        bcChaCha = new ChaCha20Poly1305();
        bcChaCha.init(true, new ParametersWithIV(new KeyParameter(key32), new byte[12]));
        chaEngine.init(true, new ParametersWithIV(new KeyParameter(key32), new byte[12]));

        hpAes = Cipher.getInstance("AES/ECB/NoPadding");
        hpAes.init(Cipher.ENCRYPT_MODE, aes128);
        hpChaJdk = Cipher.getInstance("ChaCha20");
        hpChaKey = new SecretKeySpec(key32, "ChaCha20");
        hpChaBc.init(true, new ParametersWithIV(new KeyParameter(key32), new byte[12]));
    }

    /** The two ends of {@link #packetProtection}, for each suite (only that benchmark is run per suite). */
    @State(Scope.Thread)
    public static class Protection
    {
        @Param({"AES_128_GCM_SHA256", "CHACHA20_POLY1305_SHA256"})
        public String suite;

        PacketProtection sender;
        PacketProtection receiver;

        @Setup
        public void setUp()
        {
            final byte[] secret = new byte[32];
            Arrays.fill(secret, (byte)0x5a);
            final CipherSuite cipherSuite = CipherSuite.valueOf(suite);
            sender = new PacketProtection(cipherSuite, secret);
            receiver = new PacketProtection(cipherSuite, secret);
        }
    }

    private byte[] nextNonce()
    {
        final long pn = ++packetNumber;
        System.arraycopy(iv, 0, nonce, 0, 12);
        for (int i = 0; i < 8; i++)
        {
            nonce[11 - i] ^= (byte)(pn >>> (8 * i));
        }
        return nonce;
    }

    private static int jdkSealOpen(final Cipher cipher, final SecretKeySpec key, final byte[] nonce,
        final byte[] packet, final int payloadSize) throws GeneralSecurityException
    {
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(packet, 0, HEADER);
        final int sealedLength = cipher.doFinal(packet, HEADER, payloadSize, packet, HEADER);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(packet, 0, HEADER);
        return cipher.doFinal(packet, HEADER, sealedLength, packet, HEADER);
    }

    @Benchmark
    public int aes128Jdk() throws GeneralSecurityException
    {
        return jdkSealOpen(jdkGcm128, aes128, nextNonce(), packet, payloadSize);
    }

    @Benchmark
    public int aes256Jdk() throws GeneralSecurityException
    {
        return jdkSealOpen(jdkGcm256, aes256, nextNonce(), packet, payloadSize);
    }

    @Benchmark
    public int aes128JdkBuffers() throws GeneralSecurityException
    {
        final Cipher cipher = jdkGcm128;
        cipher.init(Cipher.ENCRYPT_MODE, aes128, new GCMParameterSpec(128, nextNonce()));
        aadBuffer.limit(HEADER).position(0);
        cipher.updateAAD(aadBuffer);
        packetBuffer.limit(HEADER + payloadSize).position(HEADER);
        sealedBuffer.clear().position(HEADER);
        cipher.doFinal(packetBuffer, sealedBuffer);
        cipher.init(Cipher.DECRYPT_MODE, aes128, new GCMParameterSpec(128, nonce));
        aadBuffer.limit(HEADER).position(0);
        cipher.updateAAD(aadBuffer);
        sealedBuffer.flip().position(HEADER);
        packetBuffer.clear().position(HEADER);
        return cipher.doFinal(sealedBuffer, packetBuffer);
    }

    private int bcSealOpen(final GCMModeCipher gcm) throws InvalidCipherTextException
    {
        final ParametersWithIV params = bcNonces[(int)(packetNumber & 1)];
        System.arraycopy(nextNonce(), 0, params.getIV(), 0, 12);
        gcm.init(true, params);
        gcm.processAADBytes(packet, 0, HEADER);
        int sealedLength = gcm.processBytes(packet, HEADER, payloadSize, sealed, HEADER);
        sealedLength += gcm.doFinal(sealed, HEADER + sealedLength);
        gcm.init(false, params);
        gcm.processAADBytes(packet, 0, HEADER);
        final int opened = gcm.processBytes(sealed, HEADER, sealedLength, packet, HEADER);
        return opened + gcm.doFinal(packet, HEADER + opened);
    }

    @Benchmark
    public int aes128Bc() throws InvalidCipherTextException
    {
        return bcSealOpen(bcGcm128);
    }

    @Benchmark
    public int aes256Bc() throws InvalidCipherTextException
    {
        return bcSealOpen(bcGcm256);
    }

    @Benchmark
    public int aes128EcbGhash() throws GeneralSecurityException
    {
        final byte[] n = nextNonce();
        gcmCtr(n, payloadSize);
        gcmGhash(payloadSize);
        final byte tag0 = ghashState[0];
        gcmGhash(payloadSize);
        if (ghashState[0] != tag0)
        {
            throw new IllegalStateException("tag mismatch");
        }
        gcmCtr(n, payloadSize);
        return payloadSize;
    }

    /** CTR of GCM: counter blocks J0+1.. encrypted by the pre-keyed ECB cipher, XORed into the payload. */
    private void gcmCtr(final byte[] n, final int length) throws GeneralSecurityException
    {
        final int blocks = (length + 15) / 16 + 1;
        for (int b = 0; b < blocks; b++)
        {
            final int o = b * 16;
            System.arraycopy(n, 0, counterBlocks, o, 12);
            final int counter = b + 1;
            counterBlocks[o + 12] = (byte)(counter >>> 24);
            counterBlocks[o + 13] = (byte)(counter >>> 16);
            counterBlocks[o + 14] = (byte)(counter >>> 8);
            counterBlocks[o + 15] = (byte)counter;
        }
        ecb128.update(counterBlocks, 0, blocks * 16, keystream, 0);
        for (int i = 0; i < length; i++)
        {
            packet[HEADER + i] ^= keystream[16 + i];
        }
    }

    private void gcmGhash(final int length)
    {
        Arrays.fill(ghashState, (byte)0);
        ghashBlocks(0, HEADER);
        ghashBlocks(HEADER, length);
        ghash.multiplyH(ghashState);
        for (int i = 0; i < 16; i++)
        {
            tagBlock[i] = (byte)(ghashState[i] ^ keystream[i]);
        }
    }

    private void ghashBlocks(final int offset, final int length)
    {
        for (int i = 0; i < length; i += 16)
        {
            final int n = Math.min(16, length - i);
            for (int j = 0; j < n; j++)
            {
                ghashState[j] ^= packet[offset + i + j];
            }
            ghash.multiplyH(ghashState);
        }
    }

    @Benchmark
    public int chachaJdk() throws GeneralSecurityException
    {
        final byte[] n = nextNonce();
        jdkChaSeal.init(Cipher.ENCRYPT_MODE, chachaKey, new IvParameterSpec(n));
        jdkChaSeal.updateAAD(packet, 0, HEADER);
        final int sealedLength = jdkChaSeal.doFinal(packet, HEADER, payloadSize, sealed, HEADER);
        jdkChaOpen.init(Cipher.DECRYPT_MODE, chachaKey, new IvParameterSpec(n));
        jdkChaOpen.updateAAD(packet, 0, HEADER);
        return jdkChaOpen.doFinal(sealed, HEADER, sealedLength, packet, HEADER);
    }

    @Benchmark
    public int chachaBcMode() throws InvalidCipherTextException
    {
        final ParametersWithIV params = bcNonces[(int)(packetNumber & 1)];
        System.arraycopy(nextNonce(), 0, params.getIV(), 0, 12);
        bcChaCha.init(true, params);
        bcChaCha.processAADBytes(packet, 0, HEADER);
        int sealedLength = bcChaCha.processBytes(packet, HEADER, payloadSize, sealed, HEADER);
        sealedLength += bcChaCha.doFinal(sealed, HEADER + sealedLength);
        bcChaCha.init(false, params);
        bcChaCha.processAADBytes(packet, 0, HEADER);
        final int opened = bcChaCha.processBytes(sealed, HEADER, sealedLength, packet, HEADER);
        return opened + bcChaCha.doFinal(packet, HEADER + opened);
    }

    @Benchmark
    public int chachaBcEngines()
    {
        final ParametersWithIV params = bcNonces[0];
        System.arraycopy(nextNonce(), 0, params.getIV(), 0, 12);
        chachaBcOneWay(params, packet, sealed);
        final byte tag0 = tagBlock[0];
        chachaBcOneWay(params, sealed, packet);
        return tag0 + payloadSize;
    }

    /** RFC 8439 2.8: the Poly1305 key from block 0, the payload with blocks 1.., the MAC over AAD and ciphertext. */
    private void chachaBcOneWay(final ParametersWithIV params, final byte[] in, final byte[] out)
    {
        chaEngine.init(true, params);
        chaEngine.processBytes(zeros, 0, 64, polyBlock, 0);
        System.arraycopy(polyBlock, 0, polyKey.getKey(), 0, 32);
        poly.init(polyKey);
        poly.update(in, 0, HEADER);
        poly.update(zeros, 0, (16 - HEADER % 16) % 16);
        chaEngine.processBytes(in, HEADER, payloadSize, out, HEADER);
        poly.update(out, HEADER, payloadSize);
        poly.update(zeros, 0, (16 - payloadSize % 16) % 16);
        Arrays.fill(lengths, (byte)0);
        lengths[0] = HEADER;
        lengths[8] = (byte)payloadSize;
        lengths[9] = (byte)(payloadSize >>> 8);
        poly.update(lengths, 0, 16);
        poly.doFinal(tagBlock, 0);
    }

    @Benchmark
    public int hpAesJdk() throws GeneralSecurityException
    {
        return hpAes.doFinal(packet, HEADER + 4, 16, mask, 0);
    }

    @Benchmark
    public int hpChaChaJdk() throws GeneralSecurityException
    {
        final int counter = (int)++packetNumber;
        System.arraycopy(packet, HEADER + 8, nonce, 0, 12);
        nonce[0] ^= (byte)counter;
        hpChaJdk.init(Cipher.DECRYPT_MODE, hpChaKey, new ChaCha20ParameterSpec(nonce, counter));
        return hpChaJdk.doFinal(zeros, 0, 5, mask, 0);
    }

    @Benchmark
    public int hpChaChaBc()
    {
        final int counter = (int)++packetNumber;
        final ParametersWithIV params = bcNonces[0];
        System.arraycopy(packet, HEADER + 8, params.getIV(), 0, 12);
        params.getIV()[0] ^= (byte)counter;
        hpChaBc.init(true, params);
        hpChaBc.seekTo((counter & 0xFFFFFFFFL) * 64);
        return hpChaBc.processBytes(zeros, 0, 5, mask, 0);
    }

    @Benchmark
    public int packetProtection(final Protection ends) throws QuicException
    {
        final long pn = ++packetNumber;
        // a short header: first byte, 8-byte DCID, 4-byte packet number, then the payload (RFC 9000 17.3.1)
        packet[0] = 0x43;
        final int pnOffset = 9;
        packet[pnOffset] = (byte)(pn >>> 24);
        packet[pnOffset + 1] = (byte)(pn >>> 16);
        packet[pnOffset + 2] = (byte)(pn >>> 8);
        packet[pnOffset + 3] = (byte)pn;
        final int length = ends.sender.protect(packet, 0, pnOffset, 4, pn, payloadSize);
        if (!ends.receiver.unprotect(packet, 0, pnOffset, length, pn - 1))
        {
            throw new IllegalStateException("packet " + pn + " did not open");
        }
        return ends.receiver.payloadLength();
    }
    /** One operation, for {@link #main}. */
    private interface Operation
    {
        int run(PacketProtectionBenchmark state, Protection ends) throws Exception;
    }

    /**
     * Thread CPU nanoseconds and allocated bytes per operation of each variant, rounds interleaved,
     * the median round shown: a figure the load of a shared machine disturbs far less than JMH's.
     */
    public static void main(final String[] args) throws Exception
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        final int operations = 20_000;
        final String[] names = {"aes128Jdk", "aes128EcbGhash", "aes128Bc", "chachaJdk", "chachaBcMode",
            "chachaBcEngines", "hpAesJdk", "hpChaChaJdk", "hpChaChaBc", "packetProtection AES", "packetProtection ChaCha"};
        final Operation[] ops = {
            (b, e) -> b.aes128Jdk(), (b, e) -> b.aes128EcbGhash(), (b, e) -> b.aes128Bc(), (b, e) -> b.chachaJdk(),
            (b, e) -> b.chachaBcMode(), (b, e) -> b.chachaBcEngines(), (b, e) -> b.hpAesJdk(), (b, e) -> b.hpChaChaJdk(),
            (b, e) -> b.hpChaChaBc(), PacketProtectionBenchmark::packetProtection,
            PacketProtectionBenchmark::packetProtection};
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        for (final int size : new int[] {64, 1200})
        {
            final PacketProtectionBenchmark state = new PacketProtectionBenchmark();
            state.payloadSize = size;
            state.setUp();
            final Protection[] ends = new Protection[ops.length];
            for (int v = 0; v < ops.length; v++)
            {
                ends[v] = new Protection();
                ends[v].suite = names[v].endsWith("ChaCha") ? "CHACHA20_POLY1305_SHA256" : "AES_128_GCM_SHA256";
                ends[v].setUp();
            }
            final long[][] cpu = new long[ops.length][rounds];
            final long[][] bytes = new long[ops.length][rounds];
            for (int round = -2; round < rounds; round++) // two warm-up rounds
            {
                for (int v = 0; v < ops.length; v++)
                {
                    final long cpu0 = threads.getCurrentThreadCpuTime();
                    final long bytes0 = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < operations; i++)
                    {
                        ops[v].run(state, ends[v]);
                    }
                    if (round >= 0)
                    {
                        cpu[v][round] = threads.getCurrentThreadCpuTime() - cpu0;
                        bytes[v][round] = threads.getCurrentThreadAllocatedBytes() - bytes0;
                    }
                }
            }
            for (int v = 0; v < ops.length; v++)
            {
                Arrays.sort(cpu[v]);
                Arrays.sort(bytes[v]);
                System.out.printf("%-24s payload %4d: %9.0f cpu-ns/op (min %.0f, max %.0f) %8.1f B/op%n", names[v], size,
                    cpu[v][rounds / 2] / (double)operations, cpu[v][0] / (double)operations,
                    cpu[v][rounds - 1] / (double)operations, bytes[v][rounds / 2] / (double)operations);
            }
        }
    }
}
