package io.ringbus.uring;

import io.netty.channel.uring.IoUringIoHandler;

import java.lang.invoke.CallSite;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;

/**
 * One poll of a shard's ring with one {@code io_uring_enter} at most, and no allocation: what
 * {@code IoUringIoHandler.run} does, minus two costs it has for a caller that polls in a duty cycle.
 * <ul>
 *   <li>{@code run} makes a new completion callback ({@code this::handle}) on every call, which C2
 *       does not scalar-replace: a spinning shard allocated about 3.4 KB per echo in empty polls.
 *       Here the callback is made once.</li>
 *   <li>{@code run} submits again after each batch of completions and loops while the submission
 *       queue is not empty, so a cycle that answers what it read enters the kernel two or three
 *       times. Here a poll enters at most once, at its start: it submits what the last cycle queued
 *       (the replies, the re-armed reads) and, in the same call, waits (blocking poll) or collects
 *       what the kernel has ready ({@code GETEVENTS}, which also runs the deferred task work of
 *       {@code DEFER_TASKRUN}); the SQEs queued while its completions are handled go out with the
 *       next poll. A non-blocking poll with nothing queued and no task work flagged
 *       ({@code IORING_SQ_TASKRUN}, {@code IORING_SQ_CQ_OVERFLOW}) makes no system call.</li>
 * </ul>
 * Netty 4.2.18 has no public API for either, so this reaches its package-private ring through
 * method handles found once ({@link #of} answers null if they are not there: another Netty version,
 * and the backend falls back to {@code run}). Netty's own code still does the work: submitting
 * ({@code submitAndClearNow0}, {@code submitAndWaitWithTimeout}), the wake-up eventfd read, and
 * delivering each completion to its registration ({@code handle}). Shard thread only.
 */
final class RingDriver
{
    /** {@code IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN}: the kernel has completions to flush or run. */
    private static final int SQ_NEEDS_ENTER = 2 | 4;

    private static final MethodHandle SQ_COUNT;
    private static final MethodHandle SQ_FLAGS;
    private static final MethodHandle CQ_HAS_COMPLETIONS;
    private static final MethodHandle CQ_PROCESS;
    private static final MethodHandle SUBMIT_NOW;
    private static final MethodHandle SUBMIT_AND_WAIT;
    private static final MethodHandle EVENTFD_READ_SUBMITTED;
    private static final MethodHandle SUBMIT_EVENTFD_READ;
    private static final MethodHandle RING_BUFFER;
    private static final MethodHandle RING_SQ;
    private static final MethodHandle RING_CQ;
    private static final MethodHandle CALLBACK_FACTORY;
    /** Why the handles could not be found, or null. */
    static final Throwable UNAVAILABILITY;

    static
    {
        MethodHandle sqCount = null;
        MethodHandle sqFlags = null;
        MethodHandle cqHas = null;
        MethodHandle cqProcess = null;
        MethodHandle submitNow = null;
        MethodHandle submitAndWait = null;
        MethodHandle eventfdReadSubmitted = null;
        MethodHandle submitEventfdRead = null;
        MethodHandle ringBuffer = null;
        MethodHandle ringSq = null;
        MethodHandle ringCq = null;
        MethodHandle callbackFactory = null;
        Throwable failure = null;
        try
        {
            final MethodHandles.Lookup handler = MethodHandles.privateLookupIn(IoUringIoHandler.class,
                MethodHandles.lookup());
            final Class<?> ringClass = handler.findClass("io.netty.channel.uring.RingBuffer");
            final Class<?> sqClass = handler.findClass("io.netty.channel.uring.SubmissionQueue");
            final Class<?> cqClass = handler.findClass("io.netty.channel.uring.CompletionQueue");
            final Class<?> callbackClass = handler.findClass("io.netty.channel.uring.CompletionCallback");
            final MethodHandles.Lookup sq = MethodHandles.privateLookupIn(sqClass, MethodHandles.lookup());
            final MethodHandles.Lookup cq = MethodHandles.privateLookupIn(cqClass, MethodHandles.lookup());
            final MethodHandles.Lookup ring = MethodHandles.privateLookupIn(ringClass, MethodHandles.lookup());

            sqCount = erase(sq.findVirtual(sqClass, "count", MethodType.methodType(int.class)));
            sqFlags = erase(sq.findVirtual(sqClass, "flags", MethodType.methodType(int.class)));
            cqHas = erase(cq.findVirtual(cqClass, "hasCompletions", MethodType.methodType(boolean.class)));
            cqProcess = erase(cq.findVirtual(cqClass, "process", MethodType.methodType(long.class, callbackClass)));
            submitNow = erase(handler.findVirtual(IoUringIoHandler.class, "submitAndClearNow0",
                MethodType.methodType(int.class, sqClass)));
            submitAndWait = erase(handler.findVirtual(IoUringIoHandler.class, "submitAndWaitWithTimeout",
                MethodType.methodType(int.class, sqClass, boolean.class, long.class)));
            eventfdReadSubmitted = erase(handler.findGetter(IoUringIoHandler.class, "eventfdReadSubmitted", long.class));
            submitEventfdRead = erase(handler.findVirtual(IoUringIoHandler.class, "submitEventFdRead",
                MethodType.methodType(void.class)));
            ringBuffer = erase(handler.findGetter(IoUringIoHandler.class, "ringBuffer", ringClass));
            ringSq = erase(ring.findVirtual(ringClass, "ioUringSubmissionQueue", MethodType.methodType(sqClass)));
            ringCq = erase(ring.findVirtual(ringClass, "ioUringCompletionQueue", MethodType.methodType(cqClass)));

            // The callback Netty's run() makes per call, made here once per ring: handler::handle.
            final MethodType handleType = MethodType.methodType(boolean.class, int.class, int.class, long.class,
                ByteBuffer.class);
            final MethodHandle handle = handler.findVirtual(IoUringIoHandler.class, "handle", handleType);
            final CallSite site = LambdaMetafactory.metafactory(handler, "handle",
                MethodType.methodType(callbackClass, IoUringIoHandler.class), handleType, handle, handleType);
            callbackFactory = erase(site.getTarget());
        }
        catch (final Throwable ex)
        {
            failure = ex; // another Netty: a member gone or changed (NoSuchMethodException, LambdaConversionException)
        }
        SQ_COUNT = sqCount;
        SQ_FLAGS = sqFlags;
        CQ_HAS_COMPLETIONS = cqHas;
        CQ_PROCESS = cqProcess;
        SUBMIT_NOW = submitNow;
        SUBMIT_AND_WAIT = submitAndWait;
        EVENTFD_READ_SUBMITTED = eventfdReadSubmitted;
        SUBMIT_EVENTFD_READ = submitEventfdRead;
        RING_BUFFER = ringBuffer;
        RING_SQ = ringSq;
        RING_CQ = ringCq;
        CALLBACK_FACTORY = callbackFactory;
        UNAVAILABILITY = failure;
    }

    private final Object handler;
    private final Object submissionQueue;
    private final Object completionQueue;
    private final Object callback;
    private long enters;

    private RingDriver(final Object handler, final Object submissionQueue, final Object completionQueue,
        final Object callback)
    {
        this.handler = handler;
        this.submissionQueue = submissionQueue;
        this.completionQueue = completionQueue;
        this.callback = callback;
    }

    /** A driver for {@code ring}, or null where this Netty's internals are not the ones expected (see {@link #UNAVAILABILITY}). */
    static RingDriver of(final Object ring)
    {
        if (UNAVAILABILITY != null || !(ring instanceof IoUringIoHandler))
        {
            return null;
        }
        try
        {
            final Object ringBuffer = (Object)RING_BUFFER.invokeExact(ring);
            final Object sq = (Object)RING_SQ.invokeExact(ringBuffer);
            final Object cq = (Object)RING_CQ.invokeExact(ringBuffer);
            final Object callback = (Object)CALLBACK_FACTORY.invokeExact(ring);
            return new RingDriver(ring, sq, cq, callback);
        }
        catch (final Throwable ex)
        {
            return null;
        }
    }

    /**
     * One poll: at most one {@code io_uring_enter} that submits what is queued and, if
     * {@code timeoutNs} is not 0 and no completion is waiting, waits for one (at most
     * {@code timeoutNs}; negative: without bound; a {@code wakeup} ends it through the eventfd);
     * then every completion in the queue is handed to its registration.
     *
     * @return the completions handled.
     */
    int poll(final long timeoutNs)
    {
        try
        {
            if (timeoutNs != 0 && !(boolean)CQ_HAS_COMPLETIONS.invokeExact(completionQueue))
            {
                if ((long)EVENTFD_READ_SUBMITTED.invokeExact(handler) == 0)
                {
                    SUBMIT_EVENTFD_READ.invokeExact(handler);
                }
                enters++;
                final int ignored = (int)SUBMIT_AND_WAIT.invokeExact(handler, submissionQueue, false,
                    timeoutNs < 0 ? -1L : timeoutNs);
            }
            else if ((int)SQ_COUNT.invokeExact(submissionQueue) > 0 ||
                ((int)SQ_FLAGS.invokeExact(submissionQueue) & SQ_NEEDS_ENTER) != 0)
            {
                enters++;
                final int ignored = (int)SUBMIT_NOW.invokeExact(handler, submissionQueue);
            }
            if (!(boolean)CQ_HAS_COMPLETIONS.invokeExact(completionQueue))
            {
                return 0;
            }
            return (int)(long)CQ_PROCESS.invokeExact(completionQueue, callback);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex; // an UncheckedIOException from io_uring_enter among them
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("io_uring poll failed", ex);
        }
    }

    /** {@code io_uring_enter} calls made by {@link #poll} (tests: one per poll at most). */
    long enters()
    {
        return enters;
    }

    private static MethodHandle erase(final MethodHandle handle)
    {
        return handle.asType(handle.type().erase());
    }
}
