package io.ringbus.quic;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The words of a connect that got no answer (issue 17): the server's HOST:PORT and the wait in seconds. */
class QuicClientEndpointMessageTest
{
    @Test
    void theWaitIsInSecondsRoundedUpToATenth()
    {
        assertEquals("3.5", QuicClientEndpoint.seconds(3464));
        assertEquals("10", QuicClientEndpoint.seconds(10_000));
        assertEquals("0.1", QuicClientEndpoint.seconds(1));
        assertEquals("0", QuicClientEndpoint.seconds(0));
    }

    @Test
    void anIpv6HostIsInBrackets()
    {
        assertEquals("[0:0:0:0:0:0:0:1]:7443", QuicClientEndpoint.hostPort(new InetSocketAddress("::1", 7443)));
        assertEquals("127.0.0.1:7443", QuicClientEndpoint.hostPort(new InetSocketAddress("127.0.0.1", 7443)));
    }
}
