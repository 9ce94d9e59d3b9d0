package io.ringbus.tls;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLEngine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Why the simulator (issue 14) runs no tls or wss: two handshakes with the same seeded
 * {@link TlsSettings.Builder#secureRandom} and the same certificate (made from a seed) do not
 * repeat. Each record of a handshake is logged as its sender, length and a hash of its bytes.
 * Should a JDK or BouncyCastle release draw all its randomness from the context's random, these
 * tests fail, and tls and wss can join the simulation.
 */
class TlsSeededHandshakeTest
{
    /**
     * The JDK repeats the ClientHello, the ServerHello and both change_cipher_specs byte for byte
     * (their randoms, session id and key shares come from the context's random), but not the
     * server's encrypted flight: its CertificateVerify is signed with a random of the JDK's own
     * (ECDSA: a fresh k, so even the signature's DER length may differ), and all that follows
     * differs with it. (With an Ed25519 certificate, whose signatures need no random, the first
     * handshake repeats up to the NewSessionTicket, which still differs.)
     */
    @Test
    void theJdkRepeatsTheHellosButNotTheSignedFlight() throws Exception
    {
        final List<String> first = handshake(1, TlsProvider.JDK);
        final List<String> second = handshake(1, TlsProvider.JDK);
        assertEquals(first.subList(0, 4), second.subList(0, 4), "ClientHello, ServerHello, CCS, CCS");
        assertNotEquals(first.get(4), second.get(4), "the server's flight with its CertificateVerify");
    }

    /** BouncyCastle JSSE does not even repeat the ClientHello: it draws randomness of its own too. */
    @Test
    void bouncyCastleDoesNotRepeatEvenTheClientHello() throws Exception
    {
        final List<String> first = handshake(1, TlsProvider.BOUNCY_CASTLE);
        final List<String> second = handshake(1, TlsProvider.BOUNCY_CASTLE);
        assertEquals(first.get(0).split("#")[0], second.get(0).split("#")[0], "the same ClientHello length");
        assertNotEquals(first.get(0), second.get(0), "but other bytes");
    }

    static SecureRandom seeded(final long seed) throws GeneralSecurityException
    {
        final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(seed);
        return random;
    }

    private static List<String> handshake(final long seed, final TlsProvider provider) throws Exception
    {
        final SelfSignedCertificate cert = SelfSignedCertificate.generate(seeded(seed),
            Instant.parse("2025-01-01T00:00:00Z"), Duration.ofDays(36500));
        final TlsSettings server = cert.serverSettings().provider(provider).secureRandom(seeded(seed + 1)).build();
        final TlsSettings client = cert.clientSettings().provider(provider).hostnameVerification(false)
            .secureRandom(seeded(seed + 2)).build();
        final List<String> log = new ArrayList<>();
        connect(server, client, log);
        return log;
    }

    private static void connect(final TlsSettings server, final TlsSettings client, final List<String> log) throws Exception
    {
        final SSLEngine s = TlsTransportProvider.serverEngine(server);
        final SSLEngine c = TlsTransportProvider.clientEngine(client, "10.0.0.1", 8003);
        final ByteBuffer c2s = ByteBuffer.allocate(1 << 17);
        final ByteBuffer s2c = ByteBuffer.allocate(1 << 17);
        final ByteBuffer app = ByteBuffer.allocate(1 << 17);
        final ByteBuffer empty = ByteBuffer.allocate(0);
        c.beginHandshake();
        s.beginHandshake();
        for (int i = 0; i < 10; i++)
        {
            step(c, empty, c2s, s2c, app, "C", log);
            step(s, empty, s2c, c2s, app, "S", log);
        }
    }

    private static void step(final SSLEngine engine, final ByteBuffer empty, final ByteBuffer out, final ByteBuffer in,
        final ByteBuffer app, final String who, final List<String> log) throws Exception
    {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null)
        {
            task.run();
        }
        final int before = out.position();
        engine.wrap(empty, out);
        if (out.position() > before)
        {
            final byte[] bytes = Arrays.copyOfRange(out.array(), before, out.position());
            log.add(who + ":" + bytes.length + "#" + Integer.toHexString(Arrays.hashCode(bytes)));
        }
        in.flip();
        while (in.hasRemaining())
        {
            if (engine.unwrap(in, app.clear()).bytesConsumed() == 0)
            {
                break;
            }
            while ((task = engine.getDelegatedTask()) != null)
            {
                task.run();
            }
        }
        in.compact();
    }
}
