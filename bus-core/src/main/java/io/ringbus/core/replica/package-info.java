/**
 * The replica plane (DESIGN.md, two planes): replica-to-replica links over plain TCP. The lower id
 * dials the higher ({@link io.ringbus.core.replica.ReplicaDialer}, reconnecting with capped
 * exponential backoff), the higher accepts ({@link io.ringbus.core.replica.ReplicaAcceptor}) and
 * admits a dialer by its handshake ({@link io.ringbus.core.replica.PingHandshake}) within
 * handshake_grace: the ping, or with a cluster key the mutual challenge-response of
 * {@link io.ringbus.core.replica.ReplicaAuth} (docs/replica-auth.md).
 * {@link io.ringbus.core.replica.ReplicaLinks} keeps one connection per pair (an authenticated
 * newcomer replaces a stale one). The bus uses it through {@link io.ringbus.core.replica.ReplicaPlane}.
 *
 * <p><b>Internal: no compatibility promise.</b> An application
 * reaches the replica plane through {@code MessageBus} ({@code sendToReplica},
 * {@code broadcastToReplicas}, {@code isReplicaConnected}) and {@code BusHandler}; these classes may
 * change in any release.
 */
package io.ringbus.core.replica;
