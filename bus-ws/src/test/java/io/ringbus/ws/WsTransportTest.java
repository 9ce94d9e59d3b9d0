package io.ringbus.ws;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.PermutedTransportSuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.stream.Stream;

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
}
