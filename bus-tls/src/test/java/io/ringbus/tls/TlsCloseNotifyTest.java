package io.ringbus.tls;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.stream.Stream;

/** close_notify before FIN on tls, every backend and provider: the frame stream rides on TLS directly. */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class TlsCloseNotifyTest extends CloseNotifySuite
{
    TlsCloseNotifyTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TLS);
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.transportSettings("tls",
            CERTIFICATE.serverSettings().provider(TlsTransportTest.provider(permutation)).build());
    }

    @Override
    protected Observed open(final TlsWireObserver observer)
    {
        return new Observed()
        {
            @Override
            public void send(final byte[] frames) throws IOException
            {
                observer.write(frames);
            }

            @Override
            public byte[] receive(final int length) throws IOException
            {
                return observer.read(length);
            }

            @Override
            public void closeFirst() throws IOException
            {
                observer.sendCloseNotify();
            }

            @Override
            public void readTheServersClose()
            {
                // tls has no close above TLS: close_notify is the close
            }

            @Override
            public void answerTheServersClose()
            {
                // likewise
            }
        };
    }
}
