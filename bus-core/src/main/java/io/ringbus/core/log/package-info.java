/**
 * Logging helpers shared by the bus and its transports: {@link io.ringbus.core.log.LogLimiter}.
 *
 * <p><b>Internal: no compatibility promise.</b> For Ringbus's own modules; may change in any release.
 */
package io.ringbus.core.log;
