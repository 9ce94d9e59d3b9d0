package io.ringbus.quic.tls;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.quic.packet.QuicException;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quic_transport_parameters extension (RFC 9000 18) from arbitrary bytes, as sent by a client
 * and by a server: it decodes, or fails with TRANSPORT_PARAMETER_ERROR and a reason; what decodes
 * encodes to bytes that decode to the same parameters.
 */
class TransportParametersFuzzTest
{
    @FuzzTest(maxDuration = "60s")
    void decode(final byte[] extension)
    {
        decode(extension, false);
        decode(extension, true);
    }

    private static void decode(final byte[] extension, final boolean fromServer)
    {
        final TransportParameters params;
        try
        {
            params = TransportParameters.decode(ByteBuffer.wrap(extension), fromServer);
        }
        catch (final QuicException expected)
        {
            assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, expected.errorCode(), expected.getMessage());
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
            return;
        }
        final ByteBuffer encoded = ByteBuffer.allocate(2 * extension.length + 1024);
        params.encode(encoded);
        encoded.flip();
        try
        {
            assertEquals(params.toString(), TransportParameters.decode(encoded, fromServer).toString());
        }
        catch (final QuicException e)
        {
            throw new AssertionError("re-encoded parameters " + params + " do not decode: " + e.getMessage(), e);
        }
    }
}
