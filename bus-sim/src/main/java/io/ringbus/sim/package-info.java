/**
 * Deterministic simulation support: one seeded {@link io.ringbus.sim.SimRandom} that decides
 * everything, a virtual {@link io.ringbus.sim.SimClock}, a {@link io.ringbus.sim.Trace} whose hash
 * says whether two runs did the same thing, and a {@link io.ringbus.sim.SimNetwork} of simulated
 * hosts whose {@link io.ringbus.sim.SimBackend}s stand in for NIO or io_uring under the real bus
 * code. Single-threaded by design: no locks, no threads, no wall clock anywhere in this package.
 *
 * <p>The model, in short. A stream direction is a FIFO of segments, each delivered after a random
 * latency but never before the one ahead of it; the bytes count against the sender's send buffer
 * until they move into the receiver's receive buffer (an acknowledgment with no delay of its own),
 * and only as far as that buffer has room. Writes copy a random 1..min(asked, free, chunk) at the
 * call and complete on a later poll (after room appears if they took less than asked, as NIO's);
 * reads complete with a random 1..min(room, available, chunk). A partition or a host that is down
 * holds segments (TCP retransmits), drops RSTs and datagrams, and lets SYNs time out; data held
 * longer than the user timeout resets the sender. A segment reaching a socket that no longer
 * exists is answered by an RST; an RST discards the receiver's unread data. A crash makes every
 * socket of the host vanish and its backends dead; the host is down until a backend is made on it
 * again (the restart), after which it answers stale segments with RSTs.
 */
package io.ringbus.sim;
