/**
 * The shard runtime (DESIGN.md, "Threading: thread-per-core shards"): {@link io.ringbus.core.shard.Shard},
 * one thread that owns a backend, its connections and timers, with its mailbox, idle strategy and
 * {@code TimerHeap}; {@link io.ringbus.core.shard.ShardRuntime}, where shards run
 * (threads, or stepped by a simulator) and where their clock and randomness come from.
 *
 * <p><b>Internal: no compatibility promise.</b> The bus and Ringbus's own modules (bus-sim) use these types; an
 * application configures shards through {@code BusConfig} ({@code shards}, {@code idleMode},
 * {@code shardThreadFactory}) and never touches a {@code Shard}. They may change in any release.
 */
package io.ringbus.core.shard;
