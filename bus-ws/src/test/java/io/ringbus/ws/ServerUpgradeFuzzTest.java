package io.ringbus.ws;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.core.config.WebSocketConfig;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the server side of the WebSocket opening handshake ({@link HttpHead}
 * and {@link ServerUpgrade}, RFC 6455 4.2): arbitrary bytes arriving in arbitrary chunks either
 * complete a head that is answered 101 with the accept value of its key, or are refused with a
 * well-formed HTTP 400/403/404/426 answer; never another exception, and never more than
 * {@link HttpHead#MAX_HEAD_BYTES} read without an answer.
 *
 * <p>Input layout: byte 0 picks the configuration (bit 0: paths and origins restricted) and the
 * read size (bits 1..7: 0 = all at once, else that many bytes per read); the rest arrives.
 */
class ServerUpgradeFuzzTest
{
    private static final WebSocketConfig OPEN = WebSocketConfig.defaults();
    private static final WebSocketConfig RESTRICTED = WebSocketConfig.builder()
        .allowedPaths(Set.of("/bus")).allowedOrigins(Set.of("https://ok.example")).build();

    @FuzzTest(maxDuration = "60s")
    void answers101OrACleanHttpError(final byte[] input)
    {
        if (input.length == 0)
        {
            return;
        }
        final int flags = input[0] & 0xFF;
        final int chunk = (flags >>> 1) == 0 ? Integer.MAX_VALUE : flags >>> 1;
        final byte[] bytes = new byte[input.length - 1];
        System.arraycopy(input, 1, bytes, 0, bytes.length);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final ServerUpgrade upgrade = new ServerUpgrade((flags & 1) != 0 ? RESTRICTED : OPEN);
        assertNull(upgrade.request(), "a server speaks second");

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
                assertAccepted(bytes, headEnd, end, upgrade.acceptance());
                return;
            }
            assertTrue(end <= HttpHead.MAX_HEAD_BYTES, "more than the head limit read without an answer: " + end);
            assertNull(upgrade.acceptance());
        }
    }

    private static void assertAccepted(final byte[] bytes, final int headEnd, final int end, final byte[] acceptance)
    {
        assertTrue(headEnd > 0 && headEnd <= end && headEnd <= HttpHead.MAX_HEAD_BYTES, "head end " + headEnd);
        assertEquals('\n', bytes[headEnd - 1]);
        final String head = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1);
        assertTrue(head.startsWith("GET /"), head);
        assertNotNull(acceptance);
        final String answer = new String(acceptance, StandardCharsets.US_ASCII);
        assertTrue(answer.startsWith("HTTP/1.1 101 Switching Protocols\r\n") && answer.endsWith("\r\n\r\n"), answer);
        // The accept value answers the one key the head carried (RFC 6455 4.2.2 step 5.4).
        final String key = field(head, "sec-websocket-key");
        assertNotNull(key, "accepted without a key: " + head);
        assertTrue(answer.contains("Sec-WebSocket-Accept: " + WebSocketCodec.acceptValue(key) + "\r\n"), answer);
    }

    private static void assertRefusal(final WsUpgrade.UpgradeException ex)
    {
        assertNotNull(ex.answerHead, "a server answers a refusal");
        assertNotNull(ex.answerBody);
        final String head = new String(ex.answerHead, StandardCharsets.US_ASCII);
        final int status = Integer.parseInt(head.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
        if (status != 400 && status != 403 && status != 404 && status != 426)
        {
            fail("unexpected status " + status + ": " + head);
        }
        assertTrue(head.startsWith("HTTP/1.1 ") && head.endsWith("\r\n\r\n"), head);
        assertTrue(head.contains("Content-Length: " + ex.answerBody.length + "\r\n"), head);
        for (final byte b : ex.answerBody)
        {
            assertTrue(b >= 0x20 && b < 0x7F || b == '\n', "printable reason");
        }
        assertArrayEquals(ex.answerBody, ex.answerBody.clone());
        assertTrue(ex.getMessage().contains(String.valueOf(status)), ex.getMessage());
    }

    /** The last value of a header field, parsed independently of HttpHead (CRLF or LF lines). */
    private static String field(final String head, final String name)
    {
        String value = null;
        for (final String rawLine : head.split("\n", -1))
        {
            final String line = rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name))
            {
                value = line.substring(colon + 1).strip();
            }
        }
        return value;
    }
}
