/**
 * The bus's counters and error log: {@link io.ringbus.core.stat.BusCounters} keeps every counter
 * in {@code <data-dir>/ringbus.stat} (Agrona {@code CountersManager} behind a small header, see
 * {@link io.ringbus.core.stat.StatLayout}) and distinct errors in {@code <data-dir>/ringbus.errors}
 * (Agrona {@code DistinctErrorLog}); {@link io.ringbus.core.stat.StatReader} reads both from
 * another process, live or after the bus stopped.
 */
package io.ringbus.core.stat;
