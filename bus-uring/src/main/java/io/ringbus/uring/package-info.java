/**
 * The io_uring backend of the shard runtime: an {@link io.ringbus.core.backend.IoBackend} per shard
 * on Netty 4.2's {@code IoUringIoHandler}, found through
 * {@link io.ringbus.uring.UringBackendProvider} ({@code backend = io_uring | auto}).
 *
 * <h2>One ring per shard</h2>
 * Each shard owns one ring (SQ 128 entries, CQ 4096 where the kernel allows sizing it; Netty's
 * defaults), set up with {@code SINGLE_ISSUER} and {@code DEFER_TASKRUN}: only the shard thread
 * submits, and the kernel runs completion work only when that thread enters the ring. No Netty event
 * loop runs: the shard's duty cycle calls {@code IoBackend.poll(0)}, and {@code poll(blockNs)} when
 * idle, and each poll is one {@link io.ringbus.uring.RingDriver} poll: a single {@code io_uring_enter}
 * (through Netty's own submit code) submits the queued SQEs and, for {@code poll(blockNs)}, waits in
 * the same call (a TIMEOUT SQE bounds the wait, an eventfd read SQE makes {@code wakeup()} from
 * another shard's thread end it); {@code poll(0)} with nothing queued and no kernel work flagged makes
 * no system call. Then every CQE goes to the registered handle it belongs to; the SQEs its handler
 * queues leave with the next poll (Netty's {@code run} would enter again at once, and allocates a
 * callback per call).
 *
 * <h2>Completion identity: user_data</h2>
 * Every socket is one Netty registration ({@link io.ringbus.uring.UringChannel},
 * {@link io.ringbus.uring.UringListener}, {@link io.ringbus.uring.UringDatagramSocket}: all
 * {@link io.ringbus.uring.UringHandle}s). The 64-bit user_data of an
 * SQE is {@code [registration id:32][unused:8][opcode:8][ours:16]}; our 16 bits are
 * {@code [0:1][kind:4][generation:11]} ({@link io.ringbus.uring.OpData}). Netty finds the handle by the
 * id in an int map; the handle's {@link io.ringbus.uring.InFlightOps} checks the generation and that an
 * operation of that kind is in flight, and the handle switches on the kind. The arm / cancel /
 * close-when-idle rule of every handle lives in that one class. Nothing is allocated to recognise a
 * completion, and the event object
 * Netty reuses is copied field by field before anything can re-enter. Nothing is allocated to
 * submit either: every operation of one kind on a descriptor carries the same user_data (kind and
 * the handle's generation), so each handle builds its {@code IoUringIoOps} once and submits the same
 * object again; the read and the gathering write are RECVMSG and SENDMSG through per-channel
 * {@code struct msghdr}s, rewritten before each submission, so their SQEs never change.
 *
 * <h2>Buffers</h2>
 * <ul>
 *   <li>RECVMSG (one iovec) goes straight into the direct buffer the pump passes (address + position, remaining
 *       bytes): the per-connection receive buffer, a pooled large-frame buffer, or the shard's
 *       discard buffer while closing. The channel keeps the buffer reachable until the RECV completes.</li>
 *   <li>SENDMSG takes a per-channel iovec array in native memory, filled from the frame buffers'
 *       addresses and reused for every write (one write in flight per channel; the kernel copies the
 *       iovecs at submission, the frames stay with the pump until the completion). It grows by powers
 *       of two from 16 entries to the largest batch seen: max_batch (at most 512) frames leave in one
 *       SQE. A short write completes with the byte count; the pump resubmits the rest.</li>
 *   <li>Heap buffers (a TLS carrier's records) bounce through per-channel direct buffers of up to
 *       256 KiB, as the JDK does for NIO: a RECV lands in the bounce and is copied to the caller's
 *       buffer on completion; heap sources of a WRITEV are copied into the bounce and their iovecs
 *       point there (more than fits completes short).</li>
 *   <li>CONNECT reads a {@code sockaddr_in}/{@code sockaddr_in6} from a small per-channel buffer.</li>
 * </ul>
 *
 * <h2>From CQE to handler call</h2>
 * RECV {@code res > 0} -> {@code onRead(res)}; {@code res == 0} -> {@code onRead(EOF)}; WRITEV
 * {@code res >= 0} -> {@code onWrite(res)}; CONNECT {@code 0} -> {@code onConnect(0)}; a negative
 * {@code res} maps through {@link io.ringbus.uring.Errno} to the {@code IoResult} NIO gives
 * (ECONNRESET: RESET, EPIPE: BROKEN_PIPE, ECONNREFUSED/ETIMEDOUT on connect: REFUSED, ECANCELED/EBADF:
 * CLOSED, the rest ERROR). EAGAIN/EINTR resubmit (a WRITEV after EAGAIN first waits on POLL_ADD
 * POLLOUT). After {@code close()} nothing is delivered but {@code onQuiescent()}: in-flight
 * operations are cancelled (ASYNC_CANCEL by user_data), and the descriptor's CLOSE goes to the ring
 * only when none is left, so no SQE can name a descriptor number the kernel has reused.
 *
 * <h2>Closing with operations in flight</h2>
 * A buffer given to a RECV or a WRITEV is the kernel's until that operation's completion comes
 * back, whatever happened in between. {@code close()} queues an ASYNC_CANCEL per operation in
 * flight, but a cancel does not promise the operation did not run: an operation already woken
 * (its data arrived, its completion work queued, or running on a kernel without
 * {@code DEFER_TASKRUN}, where that work runs at any return to user space) answers the cancel with
 * -EALREADY or -ENOENT and completes with the bytes it copied into or out of the buffer. So the
 * channel keeps what it was given reachable, sends the CLOSE only once every operation on the
 * descriptor completed, and on the CLOSE's completion becomes quiescent
 * ({@code IoChannel.isQuiescent()}) and calls {@code IoChannelHandler.onQuiescent()}: only then does
 * the pump release its decoder's pooled buffer, the frames of its last gathering write and its
 * carrier's buffers (back to the pool, which may hand them to another connection or free them).
 * If the backend's teardown gives up waiting (a second) on a handle, that handle's buffers are never
 * released rather than released too early.
 *
 * <h2>Datagram sockets (QUIC)</h2>
 * A {@link io.ringbus.uring.UringDatagramSocket} is readiness-shaped, as the SPI asks: a POLL_ADD(POLLIN)
 * on the ring (multishot where Netty enables it, else one-shot re-armed after each callback) makes
 * one {@code onReadable} call per completion; the datagrams themselves move with non-blocking
 * {@code recvfrom}/{@code sendto} through Netty's unix {@code Socket}, one per call, straight from
 * and into direct buffers (heap buffers through a 64 KiB bounce). {@code close()} cancels the poll
 * and CLOSEs through the ring like the other handles. No buffer of the caller is lent to the kernel
 * past a call (the POLL_ADD names none), so the hazard above does not exist here.
 *
 * <h2>Accepting and fd delegation</h2>
 * Listeners accept on shard 0 with one multishot ACCEPT (kernel 5.19+; a one-shot ACCEPT re-armed
 * after each completion otherwise). An accepted descriptor travels as a bare int in a
 * {@link io.ringbus.uring.UringAcceptedSocket} through the owner shard's mailbox; the owner's
 * {@code register} registers it with its own ring before a byte is read.
 *
 * <h2>Not used (yet), and why</h2>
 * <ul>
 *   <li>Multishot RECV with a provided buffer ring: Netty 4.2.18 registers buffer rings
 *       ({@code IoUringBufferRingConfig}) and a raw SQE could select from one
 *       ({@code IOSQE_BUFFER_SELECT}, the group in {@code buf_group}), but turning the CQE's buffer id
 *       into the buffer is package-private ({@code IoUringBufferRing.useBuffer}), and the kernel choosing
 *       the buffer does not fit {@code IoChannel.read(dst)}: the pump reads into its decoder's buffer.
 *       It needs an SPI for kernel-chosen buffers in bus-core; what it saves is the re-armed RECV's SQE,
 *       which goes out in the same {@code io_uring_enter} as the replies anyway.</li>
 *   <li>Registered (fixed) files: Netty has no {@code IORING_REGISTER_FILES} call; it saves a file
 *       reference count per operation, a few tens of nanoseconds. The ring's own descriptor is
 *       registered already (Netty, {@code IORING_ENTER_REGISTERED_RING}).</li>
 *   <li>SQPOLL: Netty 4.2.18 fixes the ring's setup flags ({@code SINGLE_ISSUER | DEFER_TASKRUN}, which
 *       the kernel refuses together with {@code SQPOLL}), has no {@code sq_thread_idle} setting, and
 *       its submit always calls {@code io_uring_enter} rather than only on {@code IORING_SQ_NEED_WAKEUP}.
 *       An opt-in mode needs those three in Netty (or a ring of our own) and a spare core per shard.</li>
 * </ul>
 *
 * <p><b>Internal: no compatibility promise.</b> Applications choose
 * this backend with {@code BusConfig.Builder.backend(Backend.IO_URING)} (or {@code AUTO}) and put
 * bus-uring on the class path; the bus finds it through {@code ServiceLoader}. No class here is for
 * direct use, and any may change in any release.
 */
package io.ringbus.uring;
