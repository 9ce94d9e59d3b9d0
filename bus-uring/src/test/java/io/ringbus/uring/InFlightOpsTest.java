package io.ringbus.uring;

import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arm / cancel / close-when-idle rule of {@link InFlightOps}, driven by hand without a ring: a
 * fake registration records the SQEs, and completions are fed in as the ring would deliver them.
 */
class InFlightOpsTest
{
    private static final Pattern OPCODE = Pattern.compile("opcode=(\\d+)");
    private static final Pattern UNION2 = Pattern.compile("union2=(-?\\d+)");

    /** Records each SQE and answers a distinct non-zero user_data, as Netty's registration does. */
    static final class FakeRegistration implements IoRegistration
    {
        final List<IoOps> submitted = new ArrayList<>();
        int cancels;

        @Override
        public <T> T attachment()
        {
            return null;
        }

        @Override
        public long submit(final IoOps ops)
        {
            submitted.add(ops);
            return 1000L + submitted.size();
        }

        @Override
        public boolean isValid()
        {
            return cancels == 0;
        }

        @Override
        public boolean cancel()
        {
            cancels++;
            return true;
        }

        int opcode(final int index)
        {
            return Integer.parseInt(field(OPCODE, index)); // IoUringIoOps's getters are Netty-private
        }

        long union2(final int index)
        {
            return Long.parseLong(field(UNION2, index));
        }

        private String field(final Pattern pattern, final int index)
        {
            final Matcher matcher = pattern.matcher(submitted.get(index).toString());
            assertTrue(matcher.find(), submitted.get(index).toString());
            return matcher.group(1);
        }
    }

    /** A handle on no real descriptor that records what reaches it. */
    static final class RecordingHandle extends UringHandle
    {
        final List<Integer> completedKinds = new ArrayList<>();
        int unexpected;
        int quiescent;
        boolean closeFromCallback;

        RecordingHandle(final int keptAtCloseMask)
        {
            super(null, -1, keptAtCloseMask);
            registration = new FakeRegistration();
        }

        FakeRegistration registration()
        {
            return (FakeRegistration)registration;
        }

        long arm(final int kind)
        {
            final long data = ops.data(kind);
            ops.arm(data, Sqes.recvmsg(fd, 0L, data)); // the SQE's opcode does not matter to the tracker
            return data;
        }

        @Override
        void onCompletion(final int res, final int flags, final long data)
        {
            completedKinds.add(OpData.kind(data));
            if (closeFromCallback)
            {
                close();
            }
        }

        @Override
        void onUnexpectedCompletion(final int res, final long data)
        {
            unexpected++;
        }

        @Override
        void onQuiescent()
        {
            quiescent++;
        }
    }

    @Test
    void closeCancelsWhatIsArmedAndClosesOnlyOnceEveryOperationCompleted()
    {
        final RecordingHandle handle = new RecordingHandle(1 << OpData.SHUTDOWN);
        final FakeRegistration ring = handle.registration();
        final long recv = handle.arm(OpData.RECV);
        final long writev = handle.arm(OpData.WRITEV);
        final long shutdown = handle.arm(OpData.SHUTDOWN);
        assertEquals(3, handle.ops.armedCount());

        handle.close();
        assertEquals(InFlightOps.State.CLOSING, handle.ops.state());
        assertFalse(handle.ops.isOpen());
        assertEquals(5, ring.submitted.size(), "a cancel each for the RECV and the WRITEV, none for the SHUTDOWN");
        assertEquals(Sqes.IORING_OP_ASYNC_CANCEL, ring.opcode(3));
        assertEquals(Sqes.IORING_OP_ASYNC_CANCEL, ring.opcode(4));
        assertEquals(List.of(1001L, 1002L), List.of(ring.union2(3), ring.union2(4)), "naming the RECV and the WRITEV");

        handle.ops.onCompletion(-114, 0, OpData.encode(OpData.CANCEL, 0)); // -EALREADY: the target was already running
        handle.ops.onCompletion(5, 0, recv); // the cancel lost the race: the RECV completes with its bytes
        handle.ops.onCompletion(-Errno.ECANCELED, 0, writev);
        assertEquals(InFlightOps.State.CLOSING, handle.ops.state(), "the SHUTDOWN still names the descriptor");
        assertEquals(5, ring.submitted.size(), "no CLOSE yet");

        handle.ops.onCompletion(0, 0, shutdown);
        assertEquals(InFlightOps.State.CLOSE_SUBMITTED, handle.ops.state());
        assertEquals(6, ring.submitted.size());
        assertEquals(Sqes.IORING_OP_CLOSE, ring.opcode(5));
        assertFalse(handle.ops.isQuiescent());
        assertEquals(0, handle.quiescent);
        assertEquals(List.of(OpData.RECV, OpData.WRITEV, OpData.SHUTDOWN), handle.completedKinds);

        handle.ops.onCompletion(0, 0, OpData.encode(OpData.CLOSE, 0));
        assertEquals(InFlightOps.State.CLOSED, handle.ops.state());
        assertTrue(handle.ops.isQuiescent());
        assertEquals(1, handle.quiescent, "told once, after the CLOSE");
        assertEquals(1, ring.cancels, "the registration is dropped");
        assertEquals(0, handle.unexpected);
    }

    @Test
    void closeWithNothingInFlightClosesAtOnceAndOnlyOnce()
    {
        final RecordingHandle handle = new RecordingHandle(0);
        handle.close();
        handle.close();
        assertEquals(InFlightOps.State.CLOSE_SUBMITTED, handle.ops.state());
        assertEquals(1, handle.registration().submitted.size());
        assertEquals(Sqes.IORING_OP_CLOSE, handle.registration().opcode(0));
    }

    @Test
    void aMultishotOperationStaysArmedWhileMoreCompletionsAreFlagged()
    {
        final RecordingHandle handle = new RecordingHandle(0);
        final long accept = handle.arm(OpData.ACCEPT);
        handle.ops.onCompletion(7, Sqes.IORING_CQE_F_MORE, accept);
        handle.ops.onCompletion(8, Sqes.IORING_CQE_F_MORE, accept);
        assertTrue(handle.ops.isArmed(OpData.ACCEPT));
        assertEquals(1, handle.ops.armedCount());
        handle.ops.onCompletion(-Errno.ECANCELED, 0, accept);
        assertFalse(handle.ops.isArmed(OpData.ACCEPT));
        assertEquals(0, handle.ops.armedCount());
        assertEquals(3, handle.completedKinds.size());
    }

    @Test
    void aCompletionNoOperationWaitsForIsUnexpectedAndNotDelivered()
    {
        final RecordingHandle handle = new RecordingHandle(0);
        final long first = handle.arm(OpData.RECV);
        handle.ops.onCompletion(1, 0, first);
        final long second = handle.arm(OpData.RECV);
        assertEquals(first, second, "every RECV of a descriptor carries the same user_data: its SQE is reused");
        handle.ops.onCompletion(1, 0, OpData.encode(OpData.RECV, OpData.sequence(first) + 1)); // another generation
        handle.ops.onCompletion(1, 0, OpData.encode(OpData.WRITEV, OpData.sequence(first))); // a kind not armed
        assertEquals(2, handle.unexpected);
        assertEquals(List.of(OpData.RECV), handle.completedKinds);
        assertTrue(handle.ops.isArmed(OpData.RECV), "the RECV in flight is still waited for");
    }

    @Test
    void armingAKindAlreadyInFlightIsRefused()
    {
        final RecordingHandle handle = new RecordingHandle(0);
        handle.arm(OpData.WRITEV);
        assertThrows(IllegalStateException.class, () -> handle.arm(OpData.WRITEV));
        assertEquals(1, handle.ops.armedCount());
    }

    @Test
    void aCloseFromTheLastCompletionsCallbackSubmitsTheCloseAtOnce()
    {
        final RecordingHandle handle = new RecordingHandle(0);
        final long recv = handle.arm(OpData.RECV);
        handle.closeFromCallback = true;
        handle.ops.onCompletion(3, 0, recv);
        assertEquals(InFlightOps.State.CLOSE_SUBMITTED, handle.ops.state(), "nothing left in flight: CLOSE");
        assertEquals(2, handle.registration().submitted.size(), "the RECV, then the CLOSE; nothing to cancel");
        assertEquals(Sqes.IORING_OP_CLOSE, handle.registration().opcode(1));
    }
}
