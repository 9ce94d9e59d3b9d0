package io.ringbus.ws;

import io.ringbus.core.frame.FrameError;
import io.ringbus.core.transport.CloseReason;

import static io.ringbus.ws.WebSocketCodec.CLOSE_GOING_AWAY;
import static io.ringbus.ws.WebSocketCodec.CLOSE_INTERNAL_ERROR;
import static io.ringbus.ws.WebSocketCodec.CLOSE_MESSAGE_TOO_BIG;
import static io.ringbus.ws.WebSocketCodec.CLOSE_NORMAL;
import static io.ringbus.ws.WebSocketCodec.CLOSE_POLICY_VIOLATION;

/**
 * The life of one WebSocket connection from the upgrade to the end of the close handshake
 * (RFC 6455 5.5.1, 7.1) as a state machine: whether our close frame is out, whether the peer's
 * came, and whether the peer's is still awaited. It also keeps what the close frame says: the
 * first rule the peer broke and the code of the peer's close, echoed back. It holds no bytes; the
 * {@link WsCarrier} reports the events and sends the frames.
 *
 * <pre>
 * state           upgraded  peer's close    input ended (1)  our close queued
 * UPGRADING       OPEN      -               UPGRADING        -
 * OPEN            -         CLOSE_RECEIVED  PEER_GONE        CLOSE_SENT, CLOSED_UNCLEAN (2)
 * CLOSE_RECEIVED  -         -               CLOSE_RECEIVED   CLOSED
 * PEER_GONE       -         CLOSE_RECEIVED  PEER_GONE        CLOSED_UNCLEAN
 * CLOSE_SENT      -         CLOSED          CLOSED_UNCLEAN   -
 * CLOSED_UNCLEAN  -         CLOSED          CLOSED_UNCLEAN   -
 * CLOSED          -         -               CLOSED           -
 *
 * (1) the peer's FIN, a rule it broke (its bytes are no longer read), or the carrier's release.
 * (2) CLOSE_SENT for an orderly close; CLOSED_UNCLEAN when failing the connection, which does not
 *     wait for the peer's close (RFC 6455 7.1.7; see awaitsPeerClose).
 * </pre>
 *
 * A dash is an event that cannot come in that state: no frame is read before the upgrade or after
 * the peer's close (a peer's close there leaves the state as it is), and our close is sent once,
 * after the upgrade ({@link #canSendClose()}: before it there is no WebSocket to close, and FIN
 * follows any HTTP answer). The carrier may send FIN once its close bytes are written in
 * {@link State#CLOSED_UNCLEAN} or {@link State#CLOSED}.
 *
 * <p>One per connection; owned by the connection's shard. Nothing here allocates on the frame path.
 */
final class CloseHandshake
{
    /** Where the close handshake stands. */
    enum State
    {
        /** The HTTP upgrade is under way: there is no WebSocket to close; FIN follows any HTTP answer. */
        UPGRADING,
        /** Messages flow both ways; neither side has begun to close. */
        OPEN,
        /**
         * The peer's close frame arrived (RFC 6455 5.5.1) and nothing after it is read; ours, echoing
         * its code, is still to be sent.
         */
        CLOSE_RECEIVED,
        /**
         * The peer's input ended without a close frame: its FIN came (RFC 6455 7.1.5, an abnormal
         * close) or its bytes broke a rule and are no longer read (7.1.7). Ours is still to be sent;
         * none of the peer's will be awaited.
         */
        PEER_GONE,
        /** Our close frame is queued and the peer's is awaited (RFC 6455 7.1.2) before FIN. */
        CLOSE_SENT,
        /**
         * Our close frame is queued and the peer's will not be awaited: we failed the connection
         * (RFC 6455 7.1.7), or the peer's input ended without a close frame. FIN follows our close.
         * A close frame of the peer's that still arrives makes it {@link #CLOSED}.
         */
        CLOSED_UNCLEAN,
        /** Both close frames are exchanged: the close handshake is complete; FIN follows our close. */
        CLOSED
    }

    private State state = State.UPGRADING;
    private int peerCloseCode = -1;
    private int violationCode;
    private String violation;

    /** Where the close handshake stands now (for tests and diagnostics). */
    State state()
    {
        return state;
    }

    /** The upgrade is through: messages may flow. */
    void onUpgraded()
    {
        if (state == State.UPGRADING)
        {
            state = State.OPEN;
        }
    }

    /**
     * The peer's close frame arrived.
     *
     * @param code its status code, or -1 if it carried none.
     */
    void onPeerClose(final int code)
    {
        peerCloseCode = code;
        switch (state)
        {
            case OPEN:
            case PEER_GONE:
                state = State.CLOSE_RECEIVED;
                break;
            case CLOSE_SENT:
            case CLOSED_UNCLEAN:
                state = State.CLOSED;
                break;
            default:
                break;
        }
    }

    /** The peer broke a rule: its bytes are no longer read, and our close carries the first rule broken. */
    void onViolation(final int code, final String message)
    {
        if (violationCode == 0)
        {
            violationCode = code;
            violation = message;
        }
        onInputEnded();
    }

    /** Nothing more will be read: the peer's FIN, a violation, or the carrier's release. */
    void onInputEnded()
    {
        switch (state)
        {
            case OPEN:
                state = State.PEER_GONE;
                break;
            case CLOSE_SENT:
                state = State.CLOSED_UNCLEAN;
                break;
            default:
                break;
        }
    }

    /** True if our close frame may be sent now: upgraded, and not sent yet. */
    boolean canSendClose()
    {
        return state == State.OPEN || state == State.CLOSE_RECEIVED || state == State.PEER_GONE;
    }

    /**
     * Our close frame is being queued for {@code reason}: move on, and return its status code.
     * Call only when {@link #canSendClose()}.
     *
     * @param frameError the frame rule broken if the close is for a bad frame, else null.
     */
    int onCloseSent(final CloseReason reason, final FrameError frameError)
    {
        switch (state)
        {
            case OPEN:
                state = awaitsPeerClose(reason, frameError) ? State.CLOSE_SENT : State.CLOSED_UNCLEAN;
                break;
            case CLOSE_RECEIVED:
                state = State.CLOSED;
                break;
            case PEER_GONE:
                state = State.CLOSED_UNCLEAN;
                break;
            default:
                throw new IllegalStateException("a WebSocket close frame to send in state " + state);
        }
        return closeCode(reason, frameError);
    }

    /** The reason text of our close frame with {@code code}: the rule the peer broke, if that is the code's cause. */
    String closeText(final int code)
    {
        return violation != null && code == violationCode ? WebSocketCodec.printable(violation) : "";
    }

    /** True once the upgrade is through (and for good: a closed WebSocket was open). */
    boolean isUpgraded()
    {
        return state != State.UPGRADING;
    }

    /** True once our close frame is queued: nothing may be sent after it (RFC 6455 5.5.1). */
    boolean isCloseSent()
    {
        return state == State.CLOSE_SENT || state == State.CLOSED_UNCLEAN || state == State.CLOSED;
    }

    /** True if the peer's close frame arrived: its FIN is then an orderly close. */
    boolean isPeerCloseReceived()
    {
        return state == State.CLOSE_RECEIVED || state == State.CLOSED;
    }

    /** True once our close is queued and nothing more is awaited: FIN may follow once it is written. */
    boolean isComplete()
    {
        return state == State.CLOSED_UNCLEAN || state == State.CLOSED;
    }

    /**
     * RFC 6455 7.1.7: after failing the connection the peer's close need not be awaited; an orderly
     * close (ours or an answer to the peer's) waits for it.
     */
    private static boolean awaitsPeerClose(final CloseReason reason, final FrameError frameError)
    {
        if (frameError != null)
        {
            return false;
        }
        switch (reason)
        {
            case PROTOCOL_ERROR:
            case IO_ERROR:
            case BUS_FAILURE:
            case MEMORY_BUDGET:
            case PARTIAL_FRAME_TIMEOUT:
                return false;
            default:
                return true; // PEER_CLOSED, SHUTDOWN, IDLE_TIMEOUT and an orderly close
        }
    }

    private int closeCode(final CloseReason reason, final FrameError frameError)
    {
        if (frameError != null)
        {
            return frameError == FrameError.SIZE_TOO_LARGE ? CLOSE_MESSAGE_TOO_BIG : CLOSE_POLICY_VIOLATION;
        }
        switch (reason)
        {
            case PROTOCOL_ERROR:
                return violationCode != 0 ? violationCode : CLOSE_POLICY_VIOLATION;
            case PEER_CLOSED:
                return peerCloseCode > 0 ? peerCloseCode : CLOSE_NORMAL; // RFC 6455 5.5.1: echo the code
            case SHUTDOWN:
            case IDLE_TIMEOUT:
                return CLOSE_GOING_AWAY;
            case IO_ERROR:
            case BUS_FAILURE:
            case MEMORY_BUDGET:
                return CLOSE_INTERNAL_ERROR; // RFC 6455 7.4.1: 1011, the server met a condition it cannot serve
            case PARTIAL_FRAME_TIMEOUT:
                return CLOSE_POLICY_VIOLATION; // the peer broke a rule of ours: frames must complete in time
            default:
                return CLOSE_NORMAL;
        }
    }
}
