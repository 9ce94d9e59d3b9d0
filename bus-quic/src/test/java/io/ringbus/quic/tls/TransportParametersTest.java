package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportParametersTest
{
    @Test
    void serverParametersRoundTrip() throws QuicException
    {
        final TransportParameters sent = new TransportParameters();
        sent.maxIdleTimeoutMs = 30_000;
        sent.initialMaxData = 1 << 24;
        sent.initialMaxStreamDataBidiLocal = 1 << 20;
        sent.initialMaxStreamDataBidiRemote = 1 << 20;
        sent.initialMaxStreamsBidi = 1;
        sent.initialMaxStreamsUni = 0;
        sent.ackDelayExponent = 4;
        sent.maxAckDelayMs = 20;
        sent.disableActiveMigration = true;
        sent.activeConnectionIdLimit = 4;
        sent.originalDestinationConnectionId = new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
        sent.initialSourceConnectionId = new byte[] {9, 9, 9};
        sent.statelessResetToken = new byte[16];
        final ByteBuffer out = ByteBuffer.allocate(256);
        sent.encode(out);
        out.flip();

        final TransportParameters got = TransportParameters.decode(out, true);
        assertEquals(30_000, got.maxIdleTimeoutMs);
        assertEquals(1 << 24, got.initialMaxData);
        assertEquals(1 << 20, got.initialMaxStreamDataBidiRemote);
        assertEquals(1, got.initialMaxStreamsBidi);
        assertEquals(4, got.ackDelayExponent);
        assertEquals(20, got.maxAckDelayMs);
        assertTrue(got.disableActiveMigration);
        assertEquals(4, got.activeConnectionIdLimit);
        assertArrayEquals(sent.originalDestinationConnectionId, got.originalDestinationConnectionId);
        assertArrayEquals(sent.initialSourceConnectionId, got.initialSourceConnectionId);
        assertEquals(65527, got.maxUdpPayloadSize, "an absent parameter takes its default");
    }

    @Test
    void unknownParametersAreIgnored() throws QuicException
    {
        final ByteBuffer out = ByteBuffer.allocate(32);
        VarInt.write(out, 0x2a2a); // a greased id (18.1)
        VarInt.write(out, 3);
        out.put(new byte[] {1, 2, 3});
        VarInt.write(out, TransportParameters.INITIAL_MAX_DATA);
        VarInt.write(out, 1);
        VarInt.write(out, 7);
        out.flip();
        assertEquals(7, TransportParameters.decode(out, false).initialMaxData);
    }

    @Test
    void violationsAreTransportParameterErrors()
    {
        assertError(client -> client.originalDestinationConnectionId = new byte[4], false, "server's to send");
        assertError(client -> client.statelessResetToken = new byte[16], false, "server's to send");
        assertError(p -> p.maxUdpPayloadSize = 1199, true, "max_udp_payload_size = 1199");
        assertError(p -> p.ackDelayExponent = 21, true, "ack_delay_exponent = 21");
        assertError(p -> p.maxAckDelayMs = 1 << 14, true, "max_ack_delay");
        assertError(p -> p.activeConnectionIdLimit = 1, true, "active_connection_id_limit = 1");
        assertError(p -> p.initialMaxStreamsBidi = (1L << 60) + 1, true, "initial_max_streams_bidi");
    }

    @Test
    void aDuplicateOrATruncatedParameterIsAnError()
    {
        final ByteBuffer twice = ByteBuffer.allocate(16);
        for (int i = 0; i < 2; i++)
        {
            VarInt.write(twice, TransportParameters.INITIAL_MAX_DATA);
            VarInt.write(twice, 1);
            VarInt.write(twice, 7);
        }
        twice.flip();
        final QuicException duplicate = assertThrows(QuicException.class, () -> TransportParameters.decode(twice, true));
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, duplicate.errorCode());
        assertTrue(duplicate.getMessage().contains("twice"));

        final ByteBuffer truncated = ByteBuffer.wrap(new byte[] {TransportParameters.INITIAL_MAX_DATA, 4, 0x40});
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR,
            assertThrows(QuicException.class, () -> TransportParameters.decode(truncated, true)).errorCode());
    }

    private static void assertError(final java.util.function.Consumer<TransportParameters> change, final boolean fromServer,
        final String expected)
    {
        final TransportParameters params = new TransportParameters();
        change.accept(params);
        final ByteBuffer out = ByteBuffer.allocate(64);
        params.encode(out);
        out.flip();
        final QuicException ex = assertThrows(QuicException.class, () -> TransportParameters.decode(out, fromServer));
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, ex.errorCode());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
