package io.ringbus.ws;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.PermutedTransportSuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The shared client-plane suite over ws and wss, on every backend and (wss) every TLS provider.
 * For wss the server's certificate is registered under "wss" and the SDK client trusts it under
 * "wss"; the raw peer is {@link WsRawPeer}, on a plain socket (ws) or the JDK's SSLSocket (wss).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class WsTransportTest extends PermutedTransportSuite
{
    WsTransportTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.WS, TransportPermutation.Scheme.WSS);
    }

    private boolean secure()
    {
        return permutation.scheme() == TransportPermutation.Scheme.WSS;
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return secure() ? super.configure(builder).transportSettings("wss", TestTls.serverSettings(permutation)) :
            super.configure(builder);
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return secure() ? options.withTransportSettings("wss", TestTls.clientSettings(permutation)) : options;
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new WsRawPeer(secure() ? TestTls.socket(address) : new Socket(address.getAddress(), address.getPort()));
    }

    @Test
    void aRefusedUpgradeCountsAFailedHandshakeAndAWebSocketProtocolError() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        try (Socket socket = secure() ? TestTls.socket(address) : new Socket(address.getAddress(), address.getPort()))
        {
            // No Upgrade, Connection or Sec-WebSocket-Key: refused with an HTTP answer, then closed.
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout((int)TIMEOUT.toMillis());
            try
            {
                socket.getInputStream().readAllBytes();
            }
            catch (final IOException reset)
            {
                // closed with a reset: closed all the same
            }
        }
        Await.until(TIMEOUT, () -> counter("connections_closed") == 1, "the server closed the connection");
        assertEquals(1, counter("closed.protocol_error"));
        assertEquals(1, counter("protocol_errors.websocket"));
        assertEquals(1, counter("handshakes_failed"));
        assertEquals(0, counter("frames_in"));
    }
}
