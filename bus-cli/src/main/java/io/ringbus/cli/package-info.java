/**
 * The {@code ringbus} executable (DESIGN.md, "The ringbus CLI"): {@code serve} runs one node of a
 * replicated echo service ({@link io.ringbus.cli.EchoReplica}), {@code load} drives load at nodes
 * and reports throughput and latency percentiles ({@link io.ringbus.cli.LoadGenerator}), and
 * {@code demo} starts a three-replica cluster in one process and prints one table per transport.
 *
 * <p><b>Internal: no compatibility promise.</b> This is an
 * application, not a library: its command line is its interface, its classes may change in any
 * release.
 */
package io.ringbus.cli;
