package io.ringbus.quic.bus;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.ConnectionViewSuite;
import io.ringbus.core.transport.RawPeer;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * {@link ConnectionViewSuite} on quic (NIO backend): connected fires once the QUIC handshake is done
 * and the stream is the bus's, and the counters count frames, not QUIC packets.
 */
class QuicConnectionViewTest extends ConnectionViewSuite
{
    @Override
    protected String scheme()
    {
        return "quic";
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.NIO).transportSettings("quic", QuicTransportTest.CERTIFICATE.serverSettings().build());
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options.withTransportSettings("quic", QuicTransportTest.CERTIFICATE.clientSettings().build());
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return KwikRawPeer.connect(address, QuicTransportTest.CERTIFICATE.certificate());
    }
}
