package io.ringbus.core.dedup;

import io.ringbus.core.frame.FrameHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The {@code status} byte of a {@code reply} (docs/wire.md, "Request and reply area"): the first
 * byte of the request area's reserved tail, zero in every request and in every reply that carries
 * the application's answer. A reply with another status carries no answer: the request was
 * refused before it reached the application, and the body is a UTF-8 reason for people (not to be
 * parsed). Stateless; any thread.
 */
public final class ReplyStatus
{
    /** Offset of the status byte (u8) in a reply's header. */
    public static final int OFFSET = FrameHeader.REQUEST_RESERVED_OFFSET;

    /** The application's answer; the body is its reply. */
    public static final int OK = 0;

    /**
     * Refused: the request's {@code client} id is bound to another connection (or, with client
     * certificates, to another identity) while that session lives. Nothing was executed and no
     * cached reply was sent. The client may retry later (the binding is released when its
     * connection closes) or use another id.
     */
    public static final int SESSION_BOUND = 1;

    /**
     * Refused: the node holds as many sessions as it may (in all, or on this connection) and none
     * can be dropped without ending a live one. Nothing was executed; retry later.
     */
    public static final int SESSION_LIMIT = 2;

    private ReplyStatus()
    {
    }

    /** The status of the reply at {@code offset}. */
    public static int of(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + OFFSET) & 0xFF;
    }

    /** Write {@code status} into the reply at {@code offset}; the header must be sealed afterwards. */
    public static void put(final MutableDirectBuffer buffer, final int offset, final int status)
    {
        buffer.putByte(offset + OFFSET, (byte)status);
    }
}
