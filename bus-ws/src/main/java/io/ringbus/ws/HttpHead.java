package io.ringbus.ws;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An HTTP/1.1 message head (start line and header fields, RFC 9112 section 2) parsed incrementally
 * as bytes arrive, with the limits of the WebSocket upgrade: at most {@link #MAX_HEAD_BYTES} bytes
 * and {@link #MAX_HEADER_LINES} header lines. Keeps only the fields the opening handshake of
 * RFC 6455 section 4 reads. One per connection; used once; owned by the connection's shard.
 */
final class HttpHead
{
    /** Largest accepted head, start line and blank line included. */
    static final int MAX_HEAD_BYTES = 8 * 1024;
    /** Most header lines accepted (the start line not counted). */
    static final int MAX_HEADER_LINES = 100;

    /** A head that breaks HTTP or the limits; {@link #status} is the answer a server sends. */
    static final class HeadException extends Exception
    {
        private static final long serialVersionUID = 1L;

        final int status;

        HeadException(final int status, final String reason)
        {
            super(reason);
            this.status = status;
        }
    }

    String startLine;
    String host;
    String upgrade;
    String connection;
    String version;
    String key;
    String origin;
    String userAgent;
    String accept;
    String extensions;
    String protocol;
    private int versionCount;
    private int keyCount;

    private int scan;
    private int lineStart;
    private int headerLines;
    private boolean complete;

    /**
     * Parse the head in {@code buffer} from index 0, whose bytes up to {@code end} have arrived.
     *
     * @return the index just past the blank line ending the head, or -1 if more bytes are needed.
     * @throws HeadException if the head is malformed or over a limit.
     */
    int parse(final DirectBuffer buffer, final int end) throws HeadException
    {
        if (complete)
        {
            throw new IllegalStateException("head already complete");
        }
        while (scan < end)
        {
            if (scan >= MAX_HEAD_BYTES)
            {
                throw new HeadException(400, "request head over " + MAX_HEAD_BYTES + " bytes");
            }
            if (buffer.getByte(scan++) != '\n')
            {
                continue;
            }
            int lineEnd = scan - 1;
            if (lineEnd > lineStart && buffer.getByte(lineEnd - 1) == '\r')
            {
                lineEnd--;
            }
            final String line = buffer.getStringWithoutLengthAscii(lineStart, lineEnd - lineStart);
            lineStart = scan;
            if (startLine == null)
            {
                startLine = line;
                continue;
            }
            if (line.isEmpty())
            {
                complete = true;
                return scan;
            }
            if (++headerLines > MAX_HEADER_LINES)
            {
                throw new HeadException(400, "more than " + MAX_HEADER_LINES + " header lines");
            }
            field(line);
        }
        if (end > MAX_HEAD_BYTES)
        {
            throw new HeadException(400, "request head over " + MAX_HEAD_BYTES + " bytes");
        }
        return -1;
    }

    private void field(final String line) throws HeadException
    {
        final int colon = line.indexOf(':');
        if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t')
        {
            // RFC 9112 5.2: obsolete line folding is refused; a field line needs a name.
            throw new HeadException(400, "malformed header line");
        }
        final String name = line.substring(0, colon);
        if (name.indexOf(' ') >= 0 || name.indexOf('\t') >= 0)
        {
            // RFC 9112 5.1: no whitespace between the field name and the colon. The name is the
            // peer's bytes and the reason goes to a log: only its printable characters, bounded.
            throw new HeadException(400, "whitespace in header name '" + WebSocketCodec.printable(name.trim()) + "'");
        }
        final String value = line.substring(colon + 1).strip();
        switch (name.toLowerCase(Locale.ROOT))
        {
            case "host":
                host = value;
                break;
            case "upgrade":
                upgrade = join(upgrade, value);
                break;
            case "connection":
                connection = join(connection, value);
                break;
            case "sec-websocket-version":
                versionCount++;
                version = value;
                break;
            case "sec-websocket-key":
                keyCount++;
                key = value;
                break;
            case "origin":
                origin = value;
                break;
            case "user-agent":
                userAgent = value;
                break;
            case "sec-websocket-accept":
                accept = value;
                break;
            case "sec-websocket-extensions":
                extensions = join(extensions, value);
                break;
            case "sec-websocket-protocol":
                protocol = join(protocol, value);
                break;
            default:
                break;
        }
    }

    private static String join(final String previous, final String value)
    {
        // RFC 9110 5.3: repeated list fields combine with commas.
        return previous == null ? value : previous + ", " + value;
    }

    /** The Sec-WebSocket-Version field appeared more than once. */
    boolean repeatedVersion()
    {
        return versionCount > 1;
    }

    /** The Sec-WebSocket-Key field appeared more than once. */
    boolean repeatedKey()
    {
        return keyCount > 1;
    }

    /** True if the comma-separated {@code list} holds {@code token}, ignoring case (RFC 9110 5.6.1). */
    static boolean hasToken(final String list, final String token)
    {
        if (list == null)
        {
            return false;
        }
        int from = 0;
        while (from <= list.length())
        {
            int comma = list.indexOf(',', from);
            if (comma < 0)
            {
                comma = list.length();
            }
            if (list.substring(from, comma).strip().equalsIgnoreCase(token))
            {
                return true;
            }
            from = comma + 1;
        }
        return false;
    }

    /** ASCII bytes of an HTTP head or response. */
    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
