/** Logging helpers shared by the bus and its transports: {@link io.ringbus.core.log.LogLimiter}. */
package io.ringbus.core.log;
