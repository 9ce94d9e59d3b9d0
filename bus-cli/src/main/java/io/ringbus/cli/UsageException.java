package io.ringbus.cli;

/**
 * A command line that cannot be run as given: an unknown flag, a missing or malformed value, a
 * transport this build lacks. {@link Main} prints the message and exits with
 * {@link Main#EXIT_USAGE}. Immutable; any thread.
 */
public final class UsageException extends Exception
{
    private static final long serialVersionUID = 1L;

    /** A usage error whose message says what is wrong and, where it helps, what is accepted. */
    public UsageException(final String message)
    {
        super(message);
    }

    /** As {@link #UsageException(String)}, keeping the exception that revealed the problem. */
    public UsageException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
