package io.ringbus.core.config;

/**
 * Which I/O backend the shards run on ({@code backend = auto | nio | io_uring} in DESIGN.md).
 * An enum, so any thread may use it.
 */
public enum Backend
{
    /** io_uring when the kernel allows it, NIO otherwise; the bus logs which one it chose. */
    AUTO,
    /** Java NIO selectors, built into bus-core. */
    NIO,
    /** io_uring from the bus-uring module; starting fails if it is unavailable. */
    IO_URING
}
