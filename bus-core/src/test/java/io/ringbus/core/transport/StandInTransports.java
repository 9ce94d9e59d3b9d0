package io.ringbus.core.transport;

/**
 * Stand-ins for the transport modules bus-core's tests cannot depend on (they depend on bus-core):
 * providers that only name a scheme and its bind protocol, so configuration tests can list tls, ws,
 * wss and quic listeners. They are registered in {@code src/test/stand-in-transports}, which only
 * bus-core's own test runs put on the class path (surefire's additionalClasspathElements): neither
 * target/test-classes nor the test-jar other modules use holds the registration, so the real
 * providers there never meet a stand-in. Any thread.
 */
public final class StandInTransports
{
    private StandInTransports()
    {
    }

    /** Stands in for bus-tls's provider. */
    public static final class Tls implements TransportProvider
    {
        @Override
        public String scheme()
        {
            return "tls";
        }
    }

    /** Stands in for bus-ws's ws provider. */
    public static final class Ws implements TransportProvider
    {
        @Override
        public String scheme()
        {
            return "ws";
        }
    }

    /** Stands in for bus-ws's wss provider. */
    public static final class Wss implements TransportProvider
    {
        @Override
        public String scheme()
        {
            return "wss";
        }
    }

    /** Stands in for bus-quic's provider: UDP. */
    public static final class Quic implements TransportProvider
    {
        @Override
        public String scheme()
        {
            return "quic";
        }

        @Override
        public String bindProtocol()
        {
            return BIND_UDP;
        }
    }
}
