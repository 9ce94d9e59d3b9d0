package io.ringbus.tls;

/** Which JSSE implementation runs the TLS engine. */
public enum TlsProvider
{
    /** The JDK's own provider (SunJSSE): the default. */
    JDK,
    /** BouncyCastle JSSE (bctls), on BouncyCastle's crypto provider. */
    BOUNCY_CASTLE
}
