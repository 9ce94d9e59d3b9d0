/**
 * The {@code ringbus} executable (DESIGN.md, "The ringbus CLI"): {@code serve} runs one node of a
 * replicated echo service ({@link io.ringbus.cli.EchoReplica}), {@code load} drives load at nodes
 * and reports throughput and latency percentiles ({@link io.ringbus.cli.LoadGenerator}), and
 * {@code demo} starts a three-replica cluster in one process and prints one table per transport.
 */
package io.ringbus.cli;
