/**
 * The tls transport: TLS 1.3 on SSLEngine (JDK or BouncyCastle JSSE), PEM and self-signed certificates.
 *
 * <p>Public API: {@link io.ringbus.tls.TlsSettings} (registered with
 * {@code BusConfig.Builder.transportSettings("tls", ...)} or {@code ClientOptions.withTransportSettings}),
 * {@link io.ringbus.tls.TlsProvider}, {@link io.ringbus.tls.Pem} and
 * {@link io.ringbus.tls.SelfSignedCertificate}. The rest ({@code TlsTransportProvider}, the carrier and
 * its helpers) is <b>internal: no compatibility promise</b>; the bus finds the transport through
 * {@code ServiceLoader}.
 */
package io.ringbus.tls;
