/**
 * At-most-once request deduplication and the client sessions it serves:
 * {@link io.ringbus.core.dedup.RequestDedup} remembers, per client, which requests are being
 * executed and the replies of those already executed, so a retried request is answered from its
 * cached reply instead of being executed twice; {@link io.ringbus.core.dedup.SessionBindings}
 * binds each client id to the connection (or client-certificate subject) that owns the session,
 * so a cached reply only goes back to that session; {@link io.ringbus.core.dedup.ReplyStatus} is
 * the reply's status byte that carries a refusal on the wire (docs/wire.md).
 *
 * <p>The tables are confined to one thread (a shard, or the one thread that owns the state
 * machine); {@link io.ringbus.core.dedup.ReplyStatus} is stateless.
 */
package io.ringbus.core.dedup;
