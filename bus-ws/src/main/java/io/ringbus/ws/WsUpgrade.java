package io.ringbus.ws;

import org.agrona.DirectBuffer;

import java.util.function.BiConsumer;

/**
 * One side of the WebSocket opening handshake (RFC 6455 section 4), the HTTP/1.1 upgrade that
 * precedes the frames: it reads the peer's head ({@link HttpHead}) as bytes arrive, checks it, and
 * says what to send. {@link ServerUpgrade} checks a request and answers 101 or an HTTP error;
 * {@link ClientUpgrade} writes the request and checks the response. It holds no buffer: the
 * {@link WsCarrier} hands it the receive buffer and queues the bytes it returns.
 *
 * <p>One per connection, used once; owned by the connection's shard.
 */
abstract class WsUpgrade
{
    /** Why the upgrade failed, and the HTTP answer to send before FIN (a server's refusal), if any. */
    static final class UpgradeException extends Exception
    {
        private static final long serialVersionUID = 1L;

        /** The head of the HTTP error answer, or null if nothing is sent (a client). */
        final byte[] answerHead;
        /** The body of the HTTP error answer, or null. */
        final byte[] answerBody;

        UpgradeException(final String message, final byte[] answerHead, final byte[] answerBody)
        {
            super(message);
            this.answerHead = answerHead;
            this.answerBody = answerBody;
        }
    }

    private HttpHead head = new HttpHead();

    // For ClientConnMeta.
    private String path;
    private String userAgent;
    private String origin;

    /**
     * Parse the peer's head in {@code buffer} from index 0, whose bytes up to {@code end} have
     * arrived, and check it once complete.
     *
     * @return the index just past the head (the frames follow), or -1 if more bytes are needed.
     * @throws UpgradeException if the head is malformed or refused; the upgrade is over.
     */
    final int onHead(final DirectBuffer buffer, final int end) throws UpgradeException
    {
        final int headEnd;
        try
        {
            headEnd = head.parse(buffer, end);
        }
        catch (final HttpHead.HeadException ex)
        {
            head = null;
            throw malformed(ex);
        }
        if (headEnd >= 0)
        {
            final HttpHead complete = head;
            head = null; // its strings are not kept past the upgrade
            check(complete);
        }
        return headEnd;
    }

    /** The bytes this side sends first: a client's request; null on a server, which speaks second. */
    abstract byte[] request();

    /** The bytes to send once the peer's head is accepted: a server's 101; null on a client. */
    abstract byte[] acceptance();

    /** The failure for a head that breaks HTTP or the head limits. */
    abstract UpgradeException malformed(HttpHead.HeadException ex);

    /** Check a complete head against RFC 6455 section 4 and the configuration. */
    abstract void check(HttpHead head) throws UpgradeException;

    /** Record what ClientConnMeta shows of this connection (null for a value not known). */
    final void meta(final String path, final String userAgent, final String origin)
    {
        this.path = path;
        this.userAgent = userAgent;
        this.origin = origin;
    }

    /** Details for ClientConnMeta: the request path, and a client's User-Agent and Origin. */
    final void describe(final BiConsumer<String, String> details)
    {
        if (path != null)
        {
            details.accept("ws.path", path);
        }
        if (userAgent != null)
        {
            details.accept("ws.user_agent", userAgent);
        }
        if (origin != null)
        {
            details.accept("ws.origin", origin);
        }
    }
}
