package io.ringbus.ws;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the client side of the WebSocket opening handshake ({@link HttpHead}
 * and {@link ClientUpgrade}, RFC 6455 4.1): arbitrary bytes arriving in arbitrary chunks as the
 * server's response either complete a head that is a 101 with Upgrade: websocket, Connection:
 * Upgrade, the Sec-WebSocket-Accept of our key and no extension or subprotocol (checked here
 * independently of HttpHead), or are refused with an {@link WsUpgrade.UpgradeException} that sends
 * nothing and says why in one printable line; never another exception, and never more than
 * {@link HttpHead#MAX_HEAD_BYTES} read without an answer.
 *
 * <p>The key is the sample nonce of RFC 6455 1.3 ({@value #KEY}), so an input can carry its accept
 * value ({@value #ACCEPT}). Input layout: byte 0 is the read size (0 = all at once, else that many
 * bytes per read); the rest is the server's response.
 */
class ClientUpgradeFuzzTest
{
    static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    private static final String SAMPLE_101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n";
    private static final URI SERVER = URI.create("ws://127.0.0.1:9000/bus?replica=1");
    /** Longest refusal message: a reason line for a log, not the peer's bytes echoed at length. */
    private static final int MAX_REASON_CHARS = 1024;

    @FuzzTest(maxDuration = "60s")
    void accepts101WithTheKeysAcceptOrRefusesCleanly(final byte[] input)
    {
        if (input.length == 0)
        {
            return;
        }
        final int chunk = (input[0] & 0xFF) == 0 ? Integer.MAX_VALUE : input[0] & 0xFF;
        final byte[] bytes = new byte[input.length - 1];
        System.arraycopy(input, 1, bytes, 0, bytes.length);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final ClientUpgrade upgrade = new ClientUpgrade(SERVER, new SampleNonce());
        final String request = new String(upgrade.request(), StandardCharsets.US_ASCII);
        assertTrue(request.startsWith("GET /bus?replica=1 HTTP/1.1\r\n") && request.endsWith("\r\n\r\n"), request);
        assertTrue(request.contains("\r\nSec-WebSocket-Key: " + KEY + "\r\n"), request);
        assertNull(upgrade.acceptance(), "a client answers nothing");

        int end = 0;
        while (end < bytes.length)
        {
            end = (int)Math.min(bytes.length, (long)end + chunk);
            final int headEnd;
            try
            {
                headEnd = upgrade.onHead(buffer, end);
            }
            catch (final WsUpgrade.UpgradeException ex)
            {
                assertRefusal(ex);
                return;
            }
            if (headEnd >= 0)
            {
                assertAccepted(bytes, headEnd, end);
                return;
            }
            assertTrue(end <= HttpHead.MAX_HEAD_BYTES, "more than the head limit read without an answer: " + end);
        }
    }

    /** The server's 101 of RFC 6455 1.3 for our key is accepted wherever the reads cut it, and ends where it ends. */
    @Test
    void theSample101IsAcceptedInAnyReads() throws Exception
    {
        final byte[] response = (SAMPLE_101 + "frames").getBytes(StandardCharsets.US_ASCII);
        for (int chunk = 1; chunk <= response.length; chunk++)
        {
            final ClientUpgrade upgrade = new ClientUpgrade(SERVER, new SampleNonce());
            int headEnd = -1;
            for (int end = Math.min(chunk, response.length); headEnd < 0; end = Math.min(end + chunk, response.length))
            {
                headEnd = upgrade.onHead(new UnsafeBuffer(response), end);
            }
            assertEquals(SAMPLE_101.length(), headEnd, "reads of " + chunk);
        }
    }

    /** Each way a response breaks RFC 6455 4.1 is refused, saying which. */
    @Test
    void responsesThatBreakRfc6455AreRefusedWithTheirReason()
    {
        assertRefused(SAMPLE_101.replace("101 Switching Protocols", "200 OK"), "refused by the server: HTTP/1.1 200 OK");
        assertRefused(SAMPLE_101.replace("HTTP/1.1", "HTTP/1.0"), "refused by the server");
        assertRefused(SAMPLE_101.replace("Upgrade: websocket\r\n", ""), "without Upgrade: websocket");
        assertRefused(SAMPLE_101.replace("Connection: Upgrade", "Connection: close"), "Connection: Upgrade");
        assertRefused(SAMPLE_101.replace(ACCEPT, "x"), "Sec-WebSocket-Accept x does not match the key");
        assertRefused(SAMPLE_101.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n"), "subprotocol");
        assertRefused(SAMPLE_101.replace("Connection: Upgrade\r\n", "Connection:\r\n Upgrade\r\n"), "malformed header");
        assertRefused("HTTP/1.1 101 x\r\nX: " + "a".repeat(HttpHead.MAX_HEAD_BYTES) + "\r\n\r\n", "over 8192 bytes");
    }

    /**
     * The server's bytes reach the log only made printable: a header name with control characters
     * (an ANSI escape, a carriage return) is refused with a reason line that holds none of them.
     */
    @Test
    void aGarbledHeaderNameIsRefusedWithAPrintableReason()
    {
        final String reason = assertRefused("HTTP/1.1 101 x\r\n\u001b[2J\rfake log line x: y\r\n\r\n", "whitespace in header name");
        assertReasonLine(reason);
    }

    private static String assertRefused(final String response, final String reason)
    {
        final byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
        final ClientUpgrade upgrade = new ClientUpgrade(SERVER, new SampleNonce());
        final WsUpgrade.UpgradeException ex = assertThrows(WsUpgrade.UpgradeException.class,
            () -> upgrade.onHead(new UnsafeBuffer(bytes), bytes.length), response);
        assertTrue(ex.getMessage().contains(reason), ex.getMessage());
        assertNull(ex.answerHead, "a client answers nothing");
        return ex.getMessage();
    }

    /** The head accepted must be a 101 that RFC 6455 4.1 lets a client accept for its key. */
    private static void assertAccepted(final byte[] bytes, final int headEnd, final int end)
    {
        assertTrue(headEnd > 0 && headEnd <= end && headEnd <= HttpHead.MAX_HEAD_BYTES, "head end " + headEnd);
        assertEquals('\n', bytes[headEnd - 1]);
        final String head = new String(bytes, 0, headEnd, StandardCharsets.US_ASCII);
        final String[] lines = lines(head);
        final String[] status = lines[0].split(" ", 3);
        assertTrue(status.length >= 2 && "HTTP/1.1".equals(status[0]) && "101".equals(status[1]), "status " + lines[0]);
        assertTrue(hasToken(values(lines, "upgrade"), "websocket"), "Upgrade: websocket in " + head);
        assertTrue(hasToken(values(lines, "connection"), "upgrade"), "Connection: Upgrade in " + head);
        assertEquals(ACCEPT, lastValue(lines, "sec-websocket-accept"), "the accept value of our key");
        assertNull(lastValue(lines, "sec-websocket-extensions"), "no extension was offered");
        assertNull(lastValue(lines, "sec-websocket-protocol"), "no subprotocol was offered");
    }

    private static void assertRefusal(final WsUpgrade.UpgradeException ex)
    {
        // RFC 6455 4.1: the client fails the connection; there is no HTTP answer to a response.
        assertNull(ex.answerHead, "a client answers nothing");
        assertNull(ex.answerBody);
        assertReasonLine(ex.getMessage());
    }

    /** A refusal says why in one line of printable ASCII (it goes to a log), of bounded length. */
    static void assertReasonLine(final String message)
    {
        assertNotNull(message, "a refusal says why");
        assertTrue(!message.isEmpty() && message.length() <= MAX_REASON_CHARS, "reason length " + message.length());
        for (int i = 0; i < message.length(); i++)
        {
            final char c = message.charAt(i);
            assertTrue(c >= 0x20 && c < 0x7F, "unprintable char 0x" + Integer.toHexString(c) + " in the reason");
        }
    }

    /** The head's lines without their CR LF or LF, the start line first, up to the blank line. */
    private static String[] lines(final String head)
    {
        final String[] lines = head.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            if (lines[i].endsWith("\r"))
            {
                lines[i] = lines[i].substring(0, lines[i].length() - 1);
            }
        }
        return lines;
    }

    /** The values of every field line named {@code name} (any case), joined with commas, or null. */
    private static String values(final String[] lines, final String name)
    {
        String joined = null;
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).equalsIgnoreCase(name))
            {
                final String value = lines[i].substring(colon + 1).strip();
                joined = joined == null ? value : joined + "," + value;
            }
        }
        return joined;
    }

    private static String lastValue(final String[] lines, final String name)
    {
        String last = null;
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).equalsIgnoreCase(name))
            {
                last = lines[i].substring(colon + 1).strip();
            }
        }
        return last;
    }

    private static boolean hasToken(final String list, final String token)
    {
        if (list != null)
        {
            for (final String element : list.split(",", -1))
            {
                if (element.strip().equalsIgnoreCase(token))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** Gives the 16 bytes "the sample nonce" (RFC 6455 1.3) as every nonce. */
    static final class SampleNonce extends SecureRandom
    {
        private static final long serialVersionUID = 1L;
        private static final byte[] NONCE = "the sample nonce".getBytes(StandardCharsets.US_ASCII);

        @Override
        public void nextBytes(final byte[] bytes)
        {
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = NONCE[i % NONCE.length];
            }
        }
    }
}
