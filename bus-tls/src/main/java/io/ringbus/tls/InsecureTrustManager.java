package io.ringbus.tls;

import java.net.Socket;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/** Trusts everything: the insecure client mode, for tests only. */
final class InsecureTrustManager extends X509ExtendedTrustManager
{
    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
    {
        // Insecure mode: nothing is checked.
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
    {
        // Insecure mode: nothing is checked.
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
    {
        // Insecure mode: nothing is checked.
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
    {
        // Insecure mode: nothing is checked.
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType)
    {
        // Insecure mode: nothing is checked.
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType)
    {
        // Insecure mode: nothing is checked.
    }

    @Override
    public X509Certificate[] getAcceptedIssuers()
    {
        return new X509Certificate[0];
    }
}
