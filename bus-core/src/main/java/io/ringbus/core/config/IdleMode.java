package io.ringbus.core.config;

/**
 * What a shard does in a duty cycle that found no work. An enum, so any thread may use it.
 */
public enum IdleMode
{
    /** Block in the selector or ring until I/O, a mailbox post or a timer wakes the shard. */
    BLOCKING,
    /** Busy-spin: lowest wake-up latency, one core per shard at 100%. Opt-in for tuned hosts. */
    SPINNING
}
