package io.ringbus.core.shard;

import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.stat.BusCounters;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One shard: a thread that owns a backend, its connections and its timers outright. Its duty
 * cycle ({@link #doWork()}) polls I/O, drains its mailbox up to a limit, flushes connections that
 * other threads fed and runs due timers. What an idle cycle costs is its {@link #idleStrategy()},
 * which the {@code AgentRunner} running the shard must be given: by default
 * ({@link IdleMode#BLOCKING}) a blocking poll of the backend up to the next timer deadline, whose
 * completions count as the shard's work ({@link #blockingPollWork()}); {@link IdleMode#SPINNING}
 * busy-spins. Timers live in a {@link TimerHeap}: the next deadline is always at hand.
 *
 * <p>Other threads never touch a shard's state: they {@link #execute(Runnable)} tasks on it or
 * {@link #requestFlush(Flushable)} a connection whose queue they fed.
 *
 * <p>Nothing here ever waits on a mailbox (issue 11): a task for the calling shard itself runs
 * inline; {@link #tryExecute(Runnable)} answers false when the bounded mailbox is full, for work a
 * caller can refuse (an accepted socket handed to its owner); {@link #execute(Runnable)} is for
 * control tasks that must not be lost (a carrier's resume, a close, a dial) and spills into an
 * unbounded overflow queue when the mailbox is full. Control tasks come one per connection or per
 * operator action, never one per byte received, so the overflow stays as small as the work it
 * names.
 *
 * <p>A throwable that escapes the duty cycle (an Error from a handler, an I/O failure of the
 * backend itself) ends the shard: it is handed once to the {@link FailureHandler} on the shard
 * thread, the shard stops taking tasks, and the thread ends. Its owner decides what else stops.
 */
public final class Shard implements Agent
{
    private static final System.Logger LOG = System.getLogger(Shard.class.getName());
    private static final int INITIAL_TIMER_CAPACITY = 1024;
    /** The longest one blocking poll lasts, timers or not. */
    static final long MAX_BLOCK_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Something a shard flushes on request: a connection with frames queued by other threads. */
    public interface Flushable
    {
        /** Called on the shard thread after a {@link Shard#requestFlush} from any thread. */
        void flush();
    }

    /** Told, once and on the shard thread, that a throwable escaped the duty cycle and the shard is ending. */
    @FunctionalInterface
    public interface FailureHandler
    {
        /**
         * The shard's last act: it takes no more tasks and its thread ends when this returns. The
         * handler may still touch the shard's connections (to close them) from here.
         */
        void onShardFailure(Shard shard, Throwable failure);
    }

    private final int index;
    private final IoBackend backend;
    private final NanoClock clock;
    private final IdleStrategy idleStrategy;
    private final int drainLimit;
    private final MpscArrayQueue<Runnable> mailbox;
    private final MpscUnboundedXaddArrayQueue<Runnable> overflow = new MpscUnboundedXaddArrayQueue<>(256, 4);
    private final FailureHandler failureHandler;
    private final MpscUnboundedXaddArrayQueue<Flushable> flushes = new MpscUnboundedXaddArrayQueue<>(1024, 4);
    private final TimerHeap timers = new TimerHeap(INITIAL_TIMER_CAPACITY);
    private final MessagePassingQueue.Consumer<Runnable> taskRunner = this::runTask;
    private final MessagePassingQueue.Consumer<Flushable> flushRunner = Flushable::flush;

    private volatile boolean sleeping;
    private boolean justPolled;
    private volatile Thread thread;
    private volatile boolean stopped;
    private volatile Throwable failure;
    private long nowNs;
    private long batchStamp;

    /** Frames written by gathering writes on this shard (stats; written by the shard only). */
    public final AtomicLong framesWritten = new AtomicLong();
    /** Gathering write calls on this shard. */
    public final AtomicLong writeCalls = new AtomicLong();
    /** Largest number of frames in one gathering write seen on this shard. */
    public final AtomicLong maxFramesPerWrite = new AtomicLong();

    // Duty-cycle counters: written by the shard thread only (ordered writes), read from any thread.
    private final AtomicLong dutyCycles = new AtomicLong();
    private final AtomicLong blockingPolls = new AtomicLong();
    private final AtomicLong blockingPollWork = new AtomicLong();
    private final AtomicLong workDone = new AtomicLong();
    private final AtomicLong mailboxHighWater = new AtomicLong();
    /** The bus's counters and error log (issue 15), or null for a shard outside a bus. */
    private volatile BusCounters counters;

    /**
     * @param mailboxCapacity slots in the bounded mailbox ({@link #tryExecute} refuses beyond it).
     * @param drainLimit      mailbox (and overflow, and flush) entries run per duty cycle, each.
     * @param failureHandler  told if a throwable escapes the duty cycle.
     */
    public Shard(final int index, final IoBackend backend, final IdleMode idleMode, final int mailboxCapacity,
        final int drainLimit, final FailureHandler failureHandler)
    {
        this(index, backend, idleMode, mailboxCapacity, drainLimit, failureHandler, SystemNanoClock.INSTANCE);
    }

    /**
     * As above, on {@code clock}: its deadlines and {@link #nowNs()} are on that clock (a simulator's
     * virtual clock; tests drive a shard by hand on a clock they move).
     */
    public Shard(final int index, final IoBackend backend, final IdleMode idleMode, final int mailboxCapacity,
        final int drainLimit, final FailureHandler failureHandler, final NanoClock clock)
    {
        this.index = index;
        this.failureHandler = failureHandler;
        this.backend = backend;
        this.drainLimit = drainLimit;
        this.mailbox = new MpscArrayQueue<>(mailboxCapacity);
        this.clock = clock;
        this.nowNs = clock.nanoTime();
        this.idleStrategy = idleMode == IdleMode.SPINNING ? new BusySpinIdleStrategy() : new BlockingPoll();
    }

    /**
     * What the {@code AgentRunner} running this shard does after a duty cycle: for
     * {@link IdleMode#BLOCKING} a blocking poll of the backend up to the next timer deadline (a
     * failure in it ends the shard as one in {@link #doWork()} does), for {@link IdleMode#SPINNING}
     * a busy spin. Give it to the runner; call it from the shard thread only.
     */
    public IdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    /** Duty cycles run ({@link #doWork()} calls). Any thread. */
    public long dutyCycles()
    {
        return dutyCycles.get();
    }

    /** Blocking polls the idle strategy made. Any thread. */
    public long blockingPolls()
    {
        return blockingPolls.get();
    }

    /**
     * Completions the blocking polls delivered: work the shard did while idling, which the duty
     * cycle's own count ({@link #doWork()}'s result) does not include. Any thread.
     */
    public long blockingPollWork()
    {
        return blockingPollWork.get();
    }

    /**
     * Work the duty cycles did (their {@link #doWork()} results summed), without
     * {@link #blockingPollWork()}. Any thread.
     */
    public long workDone()
    {
        return workDone.get();
    }

    /** The most tasks seen waiting in the mailbox at the start of a drain. Any thread. */
    public long mailboxHighWater()
    {
        return mailboxHighWater.get();
    }

    /** The bus's counters and error log, or null for a shard outside a bus. Any thread. */
    public BusCounters counters()
    {
        return counters;
    }

    /** Give this shard its bus's counters; before it starts. */
    public void counters(final BusCounters counters)
    {
        this.counters = counters;
    }

    /** Record {@code error} in the bus's error log, if it has counters. Any thread. */
    public void recordError(final Throwable error)
    {
        final BusCounters counters = this.counters;
        if (counters != null)
        {
            counters.recordError(error);
        }
    }

    /** This shard's index, also its view slot in pooled frame buffers. */
    public int index()
    {
        return index;
    }

    /** The shard's backend; shard thread only. */
    public IoBackend backend()
    {
        return backend;
    }

    /** A number unique to one gathering write on this shard (see FrameBuffer#stampBatch). Shard thread. */
    public long nextBatchStamp()
    {
        return ++batchStamp;
    }

    /** The clock read at the start of this duty cycle. Shard thread. */
    public long nowNs()
    {
        return nowNs;
    }

    /** True when called on this shard's thread. */
    public boolean inShard()
    {
        return Thread.currentThread() == thread;
    }

    /**
     * Run {@code task} on this shard, for control tasks that must not be lost. Any thread; never
     * waits. On this shard's own thread it runs the task inline (a shard never waits on its own
     * mailbox); from another thread it takes a mailbox slot, or the overflow queue when the mailbox
     * is full. Tasks one thread executes run in the order it executed them.
     *
     * @return false if the shard has stopped (closed or failed) and the task was not taken.
     */
    public boolean execute(final Runnable task)
    {
        if (Thread.currentThread() == thread)
        {
            runTask(task);
            return true;
        }
        if (stopped)
        {
            return false;
        }
        // While anything waits in the overflow, later tasks queue behind it: a producer's tasks keep their order.
        if (!overflow.isEmpty() || !mailbox.offer(task))
        {
            overflow.offer(task);
        }
        wake();
        return true;
    }

    /**
     * Run {@code task} on this shard if it has room, for work the caller can refuse. Any thread;
     * never waits. On this shard's own thread it runs the task inline.
     *
     * @return false if the mailbox is full (or control tasks are spilling over) or the shard has
     * stopped: the task was not taken and the caller still owns whatever it carries.
     */
    public boolean tryExecute(final Runnable task)
    {
        if (Thread.currentThread() == thread)
        {
            runTask(task);
            return true;
        }
        if (stopped || !overflow.isEmpty() || !mailbox.offer(task))
        {
            return false;
        }
        wake();
        return true;
    }

    /** Slots in the bounded mailbox. */
    public int mailboxCapacity()
    {
        return mailbox.capacity();
    }

    /** True once the shard has stopped taking tasks: closed, or failed (see {@link #failure()}). Any thread. */
    public boolean isStopped()
    {
        return stopped;
    }

    /** The throwable that ended this shard's duty cycle, or null. Any thread. */
    public Throwable failure()
    {
        return failure;
    }

    /** Ask this shard to call {@code flushable.flush()} soon. Any thread. */
    public void requestFlush(final Flushable flushable)
    {
        flushes.offer(flushable);
        wake();
    }

    /** Wake the shard if it is blocked in its backend. Any thread. */
    public void wake()
    {
        // The shard itself is awake even while it dispatches completions from inside its blocking
        // poll: waking it would cost a syscall and an extra empty poll per frame.
        if (sleeping && Thread.currentThread() != thread)
        {
            backend.wakeup();
        }
    }

    /** Schedule {@code task} to run at {@code deadlineNs} (on the shard's clock, {@link #nowNs()}'s). Shard thread. */
    public long schedule(final long deadlineNs, final Runnable task)
    {
        return timers.schedule(deadlineNs, task);
    }

    /** Cancel a timer from {@link #schedule}; harmless if it ran already. Shard thread. */
    public void cancel(final long timerId)
    {
        timers.cancel(timerId);
    }

    /** Timers pending on this shard. Shard thread. */
    public int timersPending()
    {
        return timers.size();
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
    }

    /**
     * One duty cycle on the calling thread, which is this shard's thread for the call's duration:
     * how a runtime without threads ({@link ShardRuntime#threaded()} false) runs its shards. Never
     * blocks. A throwable that escapes ends the shard as on a thread (the {@link FailureHandler}
     * hears it) and is rethrown as Agrona's {@code AgentTerminationException}.
     *
     * @return the work done (completions, tasks, flushes, timers), 0 if there was none.
     */
    public int step()
    {
        final Thread previous = thread;
        thread = Thread.currentThread();
        try
        {
            return doWork();
        }
        finally
        {
            thread = previous;
        }
    }

    /**
     * Run {@code task} now on the calling thread as this shard's thread (a runtime without threads
     * runs shard 0's set-up tasks this way: nothing else runs the shard meanwhile). Not for a shard
     * that has its own thread.
     */
    public <T> T callAsShard(final java.util.concurrent.Callable<T> task) throws Exception
    {
        final Thread previous = thread;
        thread = Thread.currentThread();
        try
        {
            return task.call();
        }
        finally
        {
            thread = previous;
        }
    }

    /** The end of a shard run without a thread: {@link #onClose()} as this shard. */
    public void closeAsShard()
    {
        thread = Thread.currentThread();
        onClose();
    }

    /** The deadline of the earliest timer on the shard clock, or {@link Long#MAX_VALUE} if none. Shard thread. */
    public long nextTimerDeadlineNs()
    {
        return timers.size() > 0 ? timers.earliestDeadlineNs() : Long.MAX_VALUE;
    }

    @Override
    public int doWork()
    {
        try
        {
            return dutyCycle();
        }
        catch (final Throwable ex)
        {
            fail(ex);
            // Expected: the failure has been reported, AgentRunner need not report it again.
            throw new AgentTerminationException(ex, true);
        }
    }

    private void fail(final Throwable ex)
    {
        failure = ex;
        stopped = true;
        try
        {
            failureHandler.onShardFailure(this, ex);
        }
        catch (final Throwable handlerFailure)
        {
            handlerFailure.addSuppressed(ex);
            LOG.log(Level.ERROR, "shard " + index + ": failure handler failed", handlerFailure);
            recordError(handlerFailure);
        }
    }

    private int dutyCycle() throws IOException
    {
        nowNs = clock.nanoTime();
        dutyCycles.lazySet(dutyCycles.get() + 1);
        int work = 0;
        if (justPolled)
        {
            // The idle strategy's blocking poll after the last cycle has just run (it delivered
            // completions, was woken, or timed out) and nothing has run since: a non-blocking poll
            // now would almost always find nothing and cost a syscall per wake-up. Whatever
            // arrives meanwhile waits for the next poll.
            justPolled = false;
        }
        else
        {
            work = backend.poll(0);
        }
        final int waiting = mailbox.size();
        if (waiting > mailboxHighWater.get())
        {
            mailboxHighWater.lazySet(waiting);
        }
        work += mailbox.drain(taskRunner, drainLimit);
        work += overflow.drain(taskRunner, drainLimit);
        work += flushes.drain(flushRunner, drainLimit);
        for (int i = 0; i < drainLimit; i++)
        {
            final Runnable task = timers.pollDue(nowNs);
            if (task == null)
            {
                break;
            }
            runTask(task);
            work++;
        }
        if (work > 0)
        {
            workDone.lazySet(workDone.get() + work);
        }
        return work;
    }

    /**
     * The idle cycle of {@link IdleMode#BLOCKING}: block in the backend until I/O, a wake-up or
     * the next timer deadline (at most {@link #MAX_BLOCK_NS}). Shard thread.
     */
    private void blockingPoll() throws IOException
    {
        sleeping = true;
        try
        {
            // Checked after sleeping is set: a task offered after this check finds the shard asleep and wakes it.
            if (mailbox.isEmpty() && overflow.isEmpty() && flushes.isEmpty())
            {
                long blockNs = MAX_BLOCK_NS;
                if (timers.size() > 0)
                {
                    final long untilDeadlineNs = timers.earliestDeadlineNs() - clock.nanoTime();
                    if (untilDeadlineNs <= 0)
                    {
                        return; // due already: the next duty cycle runs it
                    }
                    blockNs = Math.min(MAX_BLOCK_NS, untilDeadlineNs);
                }
                final int work = backend.poll(blockNs);
                blockingPolls.lazySet(blockingPolls.get() + 1);
                blockingPollWork.lazySet(blockingPollWork.get() + work);
                justPolled = true;
            }
        }
        finally
        {
            sleeping = false;
        }
    }

    private void runTask(final Runnable task)
    {
        try
        {
            task.run();
        }
        catch (final RuntimeException ex)
        {
            LOG.log(Level.ERROR, "shard " + index + ": task failed", ex);
            recordError(ex);
        }
    }

    /**
     * Run every queued task and flush, so nothing handed to this shard is left unreleased. Shard
     * thread (or the closing thread once the shard thread has ended). A task that throws even an
     * Error is logged and the rest still run: this is the last chance to release what they hold.
     */
    public void drainRemaining()
    {
        drainQuietly(mailbox);
        drainQuietly(overflow);
        while (true)
        {
            final Flushable flushable = flushes.poll();
            if (flushable == null)
            {
                return;
            }
            try
            {
                flushable.flush();
            }
            catch (final Throwable ex)
            {
                LOG.log(Level.ERROR, "shard " + index + ": flush while stopping failed", ex);
                recordError(ex);
            }
        }
    }

    private void drainQuietly(final MessagePassingQueue<Runnable> queue)
    {
        while (true)
        {
            final Runnable task = queue.poll();
            if (task == null)
            {
                return;
            }
            try
            {
                task.run();
            }
            catch (final Throwable ex)
            {
                LOG.log(Level.ERROR, "shard " + index + ": task while stopping failed", ex);
                recordError(ex);
            }
        }
    }

    @Override
    public void onClose()
    {
        try
        {
            drainRemaining();
        }
        finally
        {
            // From here execute() refuses; the second drain takes what raced past the check.
            stopped = true;
            thread = null;
            try
            {
                drainRemaining();
            }
            finally
            {
                backend.close();
            }
        }
    }

    @Override
    public String roleName()
    {
        return "ringbus-shard-" + index;
    }

    /** {@link IdleMode#BLOCKING}: an idle cycle is a blocking poll (see {@link #blockingPoll()}). */
    private final class BlockingPoll implements IdleStrategy
    {
        @Override
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            try
            {
                blockingPoll();
            }
            catch (final Throwable ex)
            {
                // Completions dispatched from the poll run handlers: what escapes them ends the
                // shard exactly as a throwable escaping doWork does.
                fail(ex);
                throw new AgentTerminationException(ex, true);
            }
        }

        @Override
        public void reset()
        {
        }

        @Override
        public String alias()
        {
            return "blocking-poll";
        }
    }
}
