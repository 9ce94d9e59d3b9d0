package io.ringbus.core.shard;

import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.config.IdleMode;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.DeadlineTimerWheel;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One shard: a thread that owns a backend, its connections and its timers outright. Its duty
 * cycle polls I/O, drains its mailbox up to a limit, flushes connections that other threads fed,
 * runs due timers, then idles (blocking in the backend by default).
 *
 * <p>Other threads never touch a shard's state: they {@link #execute(Runnable)} tasks on it or
 * {@link #requestFlush(Flushable)} a connection whose queue they fed.
 */
public final class Shard implements Agent
{
    private static final System.Logger LOG = System.getLogger(Shard.class.getName());
    private static final long TIMER_TICK_NS = 1L << 20; // about 1 ms
    private static final int TIMER_TICKS_PER_WHEEL = 1024;
    private static final long MAX_BLOCK_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Something a shard flushes on request: a connection with frames queued by other threads. */
    public interface Flushable
    {
        /** Called on the shard thread after a {@link Shard#requestFlush} from any thread. */
        void flush();
    }

    private final int index;
    private final IoBackend backend;
    private final IdleMode idleMode;
    private final int drainLimit;
    private final MpscArrayQueue<Runnable> mailbox;
    private final MpscUnboundedXaddArrayQueue<Flushable> flushes = new MpscUnboundedXaddArrayQueue<>(1024, 4);
    private final DeadlineTimerWheel timers;
    private final Long2ObjectHashMap<Runnable> timerTasks = new Long2ObjectHashMap<>();
    private final DeadlineTimerWheel.TimerHandler timerHandler = this::onTimerExpiry;
    private final MessagePassingQueue.Consumer<Runnable> taskRunner = this::runTask;
    private final MessagePassingQueue.Consumer<Flushable> flushRunner = Flushable::flush;

    private final DeadlineTimerWheel.TimerConsumer timerVisitor = this::visitTimer;
    private long earliestDeadlineNs = Long.MAX_VALUE;
    private volatile boolean sleeping;
    private boolean justPolled;
    private volatile Thread thread;
    private long nowNs;
    private long batchStamp;

    /** Frames written by gathering writes on this shard (stats; written by the shard only). */
    public final AtomicLong framesWritten = new AtomicLong();
    /** Gathering write calls on this shard. */
    public final AtomicLong writeCalls = new AtomicLong();
    /** Largest number of frames in one gathering write seen on this shard. */
    public final AtomicLong maxFramesPerWrite = new AtomicLong();

    public Shard(final int index, final IoBackend backend, final IdleMode idleMode, final int mailboxCapacity,
        final int drainLimit)
    {
        this.index = index;
        this.backend = backend;
        this.idleMode = idleMode;
        this.drainLimit = drainLimit;
        this.mailbox = new MpscArrayQueue<>(mailboxCapacity);
        this.nowNs = System.nanoTime();
        this.timers = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, nowNs, TIMER_TICK_NS, TIMER_TICKS_PER_WHEEL);
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
     * Run {@code task} on this shard. Any thread. Waits (yielding) while the mailbox is full, so
     * use it for control operations, not per frame.
     *
     * @return false if the shard has stopped and the task was not taken.
     */
    public boolean execute(final Runnable task)
    {
        while (!mailbox.offer(task))
        {
            if (thread == null)
            {
                return false;
            }
            Thread.yield();
        }
        wake();
        return true;
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

    /** Schedule {@code task} to run at {@code deadlineNs} (System.nanoTime clock). Shard thread. */
    public long schedule(final long deadlineNs, final Runnable task)
    {
        final long id = timers.scheduleTimer(deadlineNs);
        timerTasks.put(id, task);
        earliestDeadlineNs = Math.min(earliestDeadlineNs, deadlineNs);
        return id;
    }

    /** Cancel a timer from {@link #schedule}; harmless if it ran already. Shard thread. */
    public void cancel(final long timerId)
    {
        if (timerTasks.remove(timerId) != null)
        {
            timers.cancelTimer(timerId);
        }
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
    }

    @Override
    public int doWork() throws Exception
    {
        nowNs = System.nanoTime();
        int work = 0;
        if (justPolled)
        {
            // The blocking poll that ended the last cycle has just run (it delivered completions,
            // was woken, or timed out) and nothing has run since: a non-blocking poll now would
            // almost always find nothing and cost a syscall per wake-up. Whatever arrives
            // meanwhile waits for the next poll.
            justPolled = false;
        }
        else
        {
            work = backend.poll(0);
        }
        work += mailbox.drain(taskRunner, drainLimit);
        work += flushes.drain(flushRunner, drainLimit);
        if (timers.timerCount() > 0 && nowNs - earliestDeadlineNs >= 0)
        {
            work += timers.poll(nowNs, timerHandler, drainLimit);
            recomputeEarliestDeadline(); // also drops the deadline of a cancelled timer
        }
        if (work == 0)
        {
            idle();
        }
        return work;
    }

    private void idle() throws IOException
    {
        if (idleMode == IdleMode.SPINNING)
        {
            Thread.onSpinWait();
            return;
        }
        sleeping = true;
        try
        {
            if (mailbox.isEmpty() && flushes.isEmpty())
            {
                final long blockNs = timers.timerCount() == 0 ? MAX_BLOCK_NS :
                    Math.min(MAX_BLOCK_NS, Math.max(TIMER_TICK_NS, earliestDeadlineNs - System.nanoTime()));
                backend.poll(blockNs);
                justPolled = true;
            }
        }
        finally
        {
            sleeping = false;
        }
    }

    private void recomputeEarliestDeadline()
    {
        earliestDeadlineNs = Long.MAX_VALUE;
        timers.forEach(timerVisitor);
    }

    private void visitTimer(final long deadlineNs, final long timerId)
    {
        earliestDeadlineNs = Math.min(earliestDeadlineNs, deadlineNs);
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
        }
    }

    private boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        final Runnable task = timerTasks.remove(timerId);
        if (task != null)
        {
            runTask(task);
        }
        return true;
    }

    /** Run every queued task and flush, so nothing handed to this shard is left unreleased. */
    public void drainRemaining()
    {
        mailbox.drain(taskRunner);
        flushes.drain(flushRunner);
    }

    @Override
    public void onClose()
    {
        drainRemaining();
        thread = null;
        drainRemaining();
        backend.close();
    }

    @Override
    public String roleName()
    {
        return "ringbus-shard-" + index;
    }
}
