/** Benchmarks: JMH microbenchmarks and the end-to-end harness. */
package io.ringbus.bench;
