package io.ringbus.tls;

/** The TLS-specific tests with BouncyCastle JSSE on the bus and the SDK client. */
class BcTlsSpecificTest extends TlsSpecificTest
{
    @Override
    protected TlsProvider provider()
    {
        return TlsProvider.BOUNCY_CASTLE;
    }
}
