package io.ringbus.cli;

import io.ringbus.core.frame.FrameHeader;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Why a {@code tcp://} target answered none of {@code ringbus load}'s requests, found by a second
 * look over a plain socket: it sends one frame header of zeros (invalid: a Ringbus node closes
 * such a connection without a byte) and reads what comes back. A peer that answers with bytes
 * speaks something else (an HTTP server answers {@code HTTP/1.1 400 Bad Request}); one that closes
 * or stays silent is described as such, since a Ringbus node of another cluster or at its
 * connection limit closes too. Blocking; used by the thread running the command, once a run is over.
 */
final class WireProbe
{
    /** How long to wait for the connection and for the peer's answer. */
    static final int TIMEOUT_MS = 2_000;
    /** Bytes of the answer looked at. */
    private static final int SEEN_MAX = 64;
    /** Characters of a text answer quoted. */
    private static final int QUOTE_MAX = 60;

    private WireProbe()
    {
    }

    /**
     * The line {@code ringbus load} prints for {@code target} ({@code tcp://HOST:PORT}) that
     * answered nothing, e.g. {@code ringbus load: tcp://127.0.0.1:8080: the peer does not speak the
     * Ringbus wire format (it answered "HTTP/1.1 400 Bad Request")}.
     */
    static String diagnose(final URI target)
    {
        final String prefix = "ringbus load: " + target + ": ";
        final byte[] seen = new byte[SEEN_MAX];
        int length = 0;
        boolean connected = false;
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), TIMEOUT_MS);
            connected = true;
            socket.setSoTimeout(TIMEOUT_MS);
            socket.getOutputStream().write(new byte[FrameHeader.HEADER_SIZE]);
            socket.getOutputStream().flush();
            final InputStream in = socket.getInputStream();
            final long deadlineNs = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            // Read until SEEN_MAX bytes, the end of the stream or the deadline: a short answer may come in pieces.
            while (length < SEEN_MAX && System.nanoTime() < deadlineNs)
            {
                final int read;
                try
                {
                    read = in.read(seen, length, SEEN_MAX - length);
                }
                catch (final SocketTimeoutException ex)
                {
                    break;
                }
                if (read < 0)
                {
                    break;
                }
                length += read;
            }
        }
        catch (final IOException ex)
        {
            if (!connected)
            {
                // Refused or unreachable now: the peer is gone; the run's first error says more.
                return prefix + "no reply, and now " + SocketErrors.describe(ex);
            }
            // Reset after what it sent (or after nothing): a peer that closed as we wrote, judged by what came.
        }
        if (length > 0)
        {
            return prefix + "the peer does not speak the Ringbus wire format (it answered " + describe(seen, length) +
                ")";
        }
        return prefix + "no reply: the peer accepted the connections and answered nothing (a Ringbus node of " +
            "another --cluster or at its --max-connections closes them; a silent one may be stalled)";
    }

    /**
     * An answer in words: its first line quoted if it is text ({@code "HTTP/1.1 400 Bad Request"}),
     * a TLS record named as such, else its first bytes in hex.
     */
    static String describe(final byte[] seen, final int length)
    {
        if (length >= 3 && (seen[0] == 0x15 || seen[0] == 0x16) && seen[1] == 0x03)
        {
            return "with a TLS record: try tls:// or wss://";
        }
        int end = 0;
        boolean text = true;
        while (end < length && seen[end] != '\r' && seen[end] != '\n')
        {
            final int b = seen[end] & 0xff;
            if (b < 0x20 || b > 0x7e)
            {
                text = false;
                break;
            }
            end++;
        }
        if (text && end > 0)
        {
            final String line = new String(seen, 0, Math.min(end, QUOTE_MAX), StandardCharsets.US_ASCII);
            return "\"" + line + (end > QUOTE_MAX ? "..." : "") + "\"";
        }
        final StringBuilder hex = new StringBuilder("bytes");
        for (int i = 0; i < Math.min(length, 16); i++)
        {
            hex.append(' ').append(String.format(Locale.ROOT, "%02x", seen[i] & 0xff));
        }
        return hex.append(length > 16 ? " ..." : "").toString();
    }
}
