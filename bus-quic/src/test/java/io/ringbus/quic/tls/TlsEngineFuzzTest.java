package io.ringbus.quic.tls;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QUIC TLS engines fed arbitrary handshake bytes (RFC 9001 4): the first input byte picks the
 * engine (bit 0: a started client, else a server) and the encryption level (bits 1-2), the rest is
 * CRYPTO stream data. Bad input fails only with a QuicException carrying a reason (an alert as a
 * CRYPTO_ERROR, RFC 9001 4.8, or a transport parameter or protocol error), never INTERNAL_ERROR,
 * never another exception.
 */
class TlsEngineFuzzTest
{
    private static final QuicTlsConfig SERVER = QuicTlsHandshakeTest.serverConfig(TestCertificates.EC_LEAF).build();
    private static final QuicTlsConfig CLIENT = QuicTlsHandshakeTest.clientConfig().build();
    private static final EncryptionLevel[] LEVELS = EncryptionLevel.values();

    @FuzzTest(maxDuration = "60s")
    void handshakeBytes(final byte[] input)
    {
        if (input.length == 0)
        {
            return;
        }
        final boolean client = (input[0] & 1) != 0;
        final EncryptionLevel level = LEVELS[((input[0] & 0xFF) >>> 1) % LEVELS.length];
        final ByteBuffer bytes = ByteBuffer.wrap(input, 1, input.length - 1);
        try
        {
            if (client)
            {
                final TlsEngine engine = QuicTls.client(CLIENT, "localhost", HandshakePump.clientParameters(),
                    new HandshakePump.Side("c"));
                engine.start();
                engine.onHandshakeBytes(level, bytes);
            }
            else
            {
                final TlsEngine engine = QuicTls.server(SERVER, HandshakePump.serverParameters(),
                    new HandshakePump.Side("s"));
                engine.onHandshakeBytes(level, bytes);
            }
        }
        catch (final QuicException expected)
        {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
            assertNotEquals(QuicException.INTERNAL_ERROR, expected.errorCode(), expected.getMessage());
        }
    }

    /** Random bytes behind a ClientHello header to a server, as the former property sent them. */
    @Test
    void randomClientHellosToAServer()
    {
        final Random random = new Random(8446);
        for (int i = 0; i < 600; i++)
        {
            final byte[] input = new byte[1 + random.nextInt(601)];
            random.nextBytes(input);
            input[0] = (byte)(2 * EncryptionLevel.INITIAL.ordinal());
            if (random.nextBoolean() && input.length >= 5)
            {
                header(input, Tls13.CLIENT_HELLO);
            }
            handshakeBytes(input);
        }
    }

    /** Random bytes behind a header of any message type to a started client, as the former property sent them. */
    @Test
    void randomMessagesToAClient()
    {
        final Random random = new Random(8447);
        for (int i = 0; i < 150; i++)
        {
            final byte[] input = new byte[1 + random.nextInt(601)];
            random.nextBytes(input);
            input[0] = (byte)(1 + 2 * EncryptionLevel.INITIAL.ordinal());
            if (input.length >= 5)
            {
                header(input, random.nextInt(256));
            }
            handshakeBytes(input);
        }
    }

    /** A handshake message header (RFC 8446 4) after the selector byte, its length the rest of the input. */
    private static void header(final byte[] input, final int type)
    {
        final int length = input.length - 5;
        input[1] = (byte)type;
        input[2] = (byte)(length >>> 16);
        input[3] = (byte)(length >>> 8);
        input[4] = (byte)length;
    }
}
