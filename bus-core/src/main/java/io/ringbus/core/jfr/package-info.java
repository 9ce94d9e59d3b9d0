/**
 * The bus's JDK Flight Recorder events, category "Ringbus": {@code io.ringbus.ConnectionOpened},
 * {@code io.ringbus.ConnectionClosed}, {@code io.ringbus.Backpressure} and
 * {@code io.ringbus.ProtocolError}, committed through {@link io.ringbus.core.jfr.JfrEvents} at no
 * cost while no recording has them enabled. Record with
 * {@code -XX:StartFlightRecording:filename=bus.jfr,settings=default} (or {@code jcmd <pid> JFR.start})
 * and read with {@code jfr print --events 'io.ringbus.*' bus.jfr}.
 */
package io.ringbus.core.jfr;
