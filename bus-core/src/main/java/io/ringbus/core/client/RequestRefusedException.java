package io.ringbus.core.client;

/**
 * The bus answered a request with a refusal instead of the application's reply: a reply whose
 * {@code status} byte is not zero (docs/wire.md, "Request and reply area"), e.g. the request's
 * client id is bound to another connection ({@code session_bound}) or the node holds as many
 * sessions as it may ({@code session_limit}). Nothing was executed.
 */
public final class RequestRefusedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final long request;
    private final int status;

    public RequestRefusedException(final long request, final int status, final String reason)
    {
        super("request " + request + " refused (status " + status + "): " + reason);
        this.request = request;
        this.status = status;
    }

    /** The request number that was refused. */
    public long request()
    {
        return request;
    }

    /** The reply's status byte: 1 session_bound, 2 session_limit (see {@code ReplyStatus}). */
    public int status()
    {
        return status;
    }
}
