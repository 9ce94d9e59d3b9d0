package io.ringbus.quic.bus;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TransportSuite;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared client-plane suite over quic on the NIO backend: the server's certificate is
 * registered under "quic", the SDK client trusts it under "quic"; the raw peer is
 * {@link KwikRawPeer}, a Kwik client whose one bidirectional stream carries the suite's bytes.
 * Every inherited test applies to QUIC as it is; the QUIC-only rule of WIRE.md (a protocol error
 * is an application CONNECTION_CLOSE 0x1 with a reason) is added here.
 */
public class QuicTransportTest extends TransportSuite
{
    static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.generate();
    /** WIRE.md, QUIC specifics: the application error code of a protocol error. */
    static final long APPLICATION_PROTOCOL_ERROR = 0x1;

    @Override
    protected String scheme()
    {
        return "quic";
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        // NIO explicitly: with bus-uring on the test class path, auto would pick io_uring (UringQuicTransportTest).
        return builder.backend(Backend.NIO).transportSettings("quic", CERTIFICATE.serverSettings().build());
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options.withTransportSettings("quic", CERTIFICATE.clientSettings().build());
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return KwikRawPeer.connect(address, CERTIFICATE.certificate());
    }

    @Test
    void protocolErrorClosesWithApplicationErrorOneAndTheReason() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final KwikRawPeer peer = (KwikRawPeer)raw();
        peer.write(TestFrames.frame(Command.PREPARE, 16, 7)); // a replica command from a client
        final KwikRawPeer.Close close = peer.awaitClose(TIMEOUT);
        assertTrue(close.byPeer(), close::toString);
        assertTrue(close.application(), "an application close (0x1d): " + close);
        assertEquals(APPLICATION_PROTOCOL_ERROR, close.code(), close::toString);
        assertTrue(close.reason().contains("command = prepare"), "the reason names the field: " + close);
        assertArrayEquals(new byte[] {4}, client().request(1, new byte[] {4}, TIMEOUT).body(), "the bus still serves");
    }

    @Test
    void quicCountersCountPacketsRttAndVersionNegotiation() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        assertArrayEquals(new byte[] {5}, client().request(1, new byte[] {5}, TIMEOUT).body());
        // Published right after each service pass of the connection, which may follow the reply's arrival.
        io.ringbus.core.transport.Await.until(TIMEOUT, () -> bus.counters().value("client.quic.packets_sent") > 0 &&
            bus.counters().value("client.quic.smoothed_rtt_us") > 0, "packets and an RTT sample counted");
        assertEquals(0, bus.counters().value("client.quic.version_negotiations_sent"));

        // RFC 9000 6.1: a client's first datagram (1200 bytes) of a version we do not speak.
        final ByteBuffer datagram = ByteBuffer.allocate(1200);
        datagram.put((byte)0xC0).putInt(0x1a2a3a4a).put((byte)8).putLong(1).put((byte)8).putLong(2);
        try (DatagramSocket socket = new DatagramSocket())
        {
            socket.send(new DatagramPacket(datagram.array(), 1200, address));
        }
        io.ringbus.core.transport.Await.until(TIMEOUT,
            () -> bus.counters().value("client.quic.version_negotiations_sent") == 1, "one Version Negotiation counted");
    }

    @Test
    void anOrderlyCloseIsNoError() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final KwikRawPeer peer = (KwikRawPeer)raw();
        final byte[] request = TestFrames.frame(Command.REQUEST, 10, 3);
        peer.write(request);
        assertEquals(request.length, peer.readFully(request.length, TIMEOUT).length);
        peer.shutdownOutput(); // FIN: the bus answers FIN, then CONNECTION_CLOSE once its side is done
        final KwikRawPeer.Close close = peer.awaitClose(TIMEOUT);
        assertTrue(close.byPeer(), close::toString);
        assertEquals(0, close.code(), "NO_ERROR: " + close);
    }
}
