/**
 * At-most-once request deduplication: {@link io.ringbus.core.dedup.RequestDedup} remembers, per
 * client, which requests are being executed and the replies of those already executed, so a
 * retried request is answered from its cached reply instead of being executed twice.
 *
 * <p>Everything in this package is confined to one shard thread.
 */
package io.ringbus.core.dedup;
