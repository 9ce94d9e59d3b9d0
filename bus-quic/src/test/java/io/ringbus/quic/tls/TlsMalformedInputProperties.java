package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed handshake input: random bytes, and real flights with a byte changed or cut, fail only
 * with a QuicException carrying a reason; no other exception escapes either engine.
 */
class TlsMalformedInputProperties
{
    private static final QuicTlsConfig SERVER = QuicTlsHandshakeTest.serverConfig(TestCertificates.EC_LEAF).build();
    private static final QuicTlsConfig CLIENT = QuicTlsHandshakeTest.clientConfig().build();
    private static final QuicTlsConfig CLIENT_RETRY = QuicTlsHandshakeTest.clientConfig().groups(NamedGroup.X25519,
        NamedGroup.SECP256R1).build();
    private static final QuicTlsConfig SERVER_RETRY = QuicTlsHandshakeTest.serverConfig(TestCertificates.EC_LEAF)
        .groups(NamedGroup.SECP256R1).build();

    @Property(tries = 600)
    void randomBytesToAServer(@ForAll @Size(max = 600) final List<Byte> bytes, @ForAll final boolean clientHelloHeader)
    {
        final byte[] input = toArray(bytes);
        if (clientHelloHeader && input.length >= 4)
        {
            // a plausible header so that the body parser is reached
            final int length = input.length - 4;
            input[0] = Tls13.CLIENT_HELLO;
            input[1] = (byte)(length >>> 16);
            input[2] = (byte)(length >>> 8);
            input[3] = (byte)length;
        }
        final TlsEngine server = QuicTls.server(SERVER, HandshakePump.serverParameters(), new HandshakePump.Side("s"));
        expectOnlyQuicException(() -> server.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(input)));
    }

    @Property(tries = 150)
    void randomBytesToAClient(@ForAll @Size(max = 600) final List<Byte> bytes,
        @ForAll @IntRange(min = 0, max = 255) final int type)
    {
        final byte[] input = toArray(bytes);
        if (input.length >= 4)
        {
            final int length = input.length - 4;
            input[0] = (byte)type;
            input[1] = (byte)(length >>> 16);
            input[2] = (byte)(length >>> 8);
            input[3] = (byte)length;
        }
        final TlsEngine client = QuicTls.client(CLIENT, "localhost", HandshakePump.clientParameters(),
            new HandshakePump.Side("c"));
        expectOnlyQuicException(() ->
        {
            client.start();
            client.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(input));
        });
    }

    /** A whole handshake where one flight has one byte replaced, or is cut short and padded with junk. */
    @Property(tries = 150)
    void mutatedFlights(@ForAll @IntRange(min = 0, max = 5) final int flight, @ForAll @IntRange(min = 0,
        max = 4000) final int position, @ForAll final byte value, @ForAll final boolean retry, @ForAll final boolean cut)
    {
        final HandshakePump pump = HandshakePump.of(retry ? CLIENT_RETRY : CLIENT, "localhost", retry ? SERVER_RETRY : SERVER);
        final int[] seen = {0};
        pump.interceptor = (from, level, bytes) ->
        {
            if (seen[0]++ != flight || bytes.length == 0)
            {
                return bytes;
            }
            final int at = position % bytes.length;
            if (cut)
            {
                final byte[] shorter = java.util.Arrays.copyOf(bytes, at + 1);
                shorter[at] = value;
                return shorter;
            }
            final byte[] copy = bytes.clone();
            copy[at] = copy[at] == value ? (byte)(value + 1) : value;
            return copy;
        };
        expectOnlyQuicException(pump::run);
    }

    private interface Action
    {
        void run() throws QuicException;
    }

    private static void expectOnlyQuicException(final Action action)
    {
        try
        {
            action.run();
        }
        catch (final QuicException expected)
        {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    private static byte[] toArray(final List<Byte> bytes)
    {
        final byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = bytes.get(i);
        }
        return out;
    }
}
