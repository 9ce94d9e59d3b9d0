/**
 * Bus configuration: {@link io.ringbus.core.config.BusConfig} and
 * {@link io.ringbus.core.config.WebSocketConfig}, immutable values built and validated once,
 * before any thread or socket exists. An invalid combination fails in {@code build()} with an
 * {@link io.ringbus.core.config.InvalidConfigException} naming the field.
 */
package io.ringbus.core.config;
