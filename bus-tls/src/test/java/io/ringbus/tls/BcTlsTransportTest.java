package io.ringbus.tls;

/** The shared suite over tls with BouncyCastle JSSE on the bus and the SDK client. */
class BcTlsTransportTest extends TlsTransportTest
{
    @Override
    protected TlsProvider provider()
    {
        return TlsProvider.BOUNCY_CASTLE;
    }
}
