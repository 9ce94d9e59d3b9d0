package io.ringbus.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Socket failures in words a newcomer can act on: "address already in use" rather than
 * {@code bind(..) failed with error(-98): Address already in use} wrapped in two exceptions.
 * Stateless; any thread.
 */
final class SocketErrors
{
    /** The native backends' form: {@code bind(..) failed with error(-98): Address already in use}. */
    private static final Pattern NATIVE = Pattern.compile("error\\(-?\\d+\\): (.+)$");

    private SocketErrors()
    {
    }

    /**
     * The innermost cause's message, without a native call's prefix, starting lower-case:
     * {@code address already in use}; the exception's class name if no cause has a message.
     */
    static String describe(final Throwable failure)
    {
        String message = null;
        Throwable cause = failure;
        // A cause chain is short, but bound the walk: a cyclic chain must not hang the command.
        for (int depth = 0; cause != null && depth < 16; depth++)
        {
            if (cause.getMessage() != null && !cause.getMessage().isBlank())
            {
                message = cause.getMessage();
            }
            cause = cause.getCause();
        }
        if (message == null)
        {
            return failure.getClass().getSimpleName();
        }
        final Matcher matcher = NATIVE.matcher(message);
        if (matcher.find())
        {
            message = matcher.group(1);
        }
        return message.isEmpty() ? message : message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
    }
}
