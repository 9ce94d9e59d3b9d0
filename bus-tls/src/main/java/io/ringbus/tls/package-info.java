/** The tls transport: TLS 1.3 on SSLEngine (JDK or BouncyCastle JSSE), PEM and self-signed certificates. */
package io.ringbus.tls;
