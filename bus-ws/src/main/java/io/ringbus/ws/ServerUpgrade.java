package io.ringbus.ws;

import io.ringbus.core.config.WebSocketConfig;

import java.util.Base64;
import java.util.Set;

/**
 * The server side of the WebSocket opening handshake (RFC 6455 4.2): checks the client's upgrade
 * request against section 4.2.1 and ws_allowed_paths / ws_allowed_origins, then answers
 * {@code 101 Switching Protocols} with the Sec-WebSocket-Accept value, or refuses with an HTTP
 * error: 400 for a malformed request, 404 for a path not served, 403 for an Origin not allowed,
 * 426 for a version other than 13. One per accepted connection; owned by the connection's shard.
 */
final class ServerUpgrade extends WsUpgrade
{
    private final Set<String> allowedPaths;
    private final Set<String> allowedOrigins;
    private byte[] acceptance;

    ServerUpgrade(final WebSocketConfig config)
    {
        this.allowedPaths = config.allowedPaths();
        this.allowedOrigins = config.allowedOrigins();
    }

    @Override
    byte[] request()
    {
        return null;
    }

    @Override
    byte[] acceptance()
    {
        return acceptance;
    }

    @Override
    UpgradeException malformed(final HttpHead.HeadException ex)
    {
        return refuse(ex.status, ex.getMessage());
    }

    @Override
    void check(final HttpHead head) throws UpgradeException
    {
        final String[] parts = head.startLine.split(" ", -1);
        if (parts.length != 3)
        {
            throw refuse(400, "malformed request line");
        }
        // RFC 6455 4.2.1: a GET of HTTP/1.1 or later; we speak exactly HTTP/1.1.
        if (!"GET".equals(parts[0]))
        {
            throw refuse(400, "method " + parts[0] + ": the WebSocket upgrade is a GET");
        }
        if (!"HTTP/1.1".equals(parts[2]))
        {
            throw refuse(400, "version " + parts[2] + ": the WebSocket upgrade needs HTTP/1.1");
        }
        final String target = parts[1];
        if (!target.startsWith("/"))
        {
            throw refuse(400, "request target " + target + ": not a path");
        }
        final int query = target.indexOf('?');
        final String requestPath = query < 0 ? target : target.substring(0, query);
        if (head.host == null || head.host.isEmpty())
        {
            throw refuse(400, "missing Host");
        }
        if (!HttpHead.hasToken(head.upgrade, "websocket"))
        {
            throw refuse(400, "missing Upgrade: websocket");
        }
        if (!HttpHead.hasToken(head.connection, "upgrade"))
        {
            throw refuse(400, "missing Connection: Upgrade");
        }
        // RFC 6455 4.2.2 and 4.4: an unknown version is answered with 426 and the versions spoken.
        if (head.repeatedVersion() || !"13".equals(head.version))
        {
            throw refuse(426, "Sec-WebSocket-Version " + head.version + " is not supported; this server speaks 13");
        }
        if (head.key == null || head.repeatedKey() || !isNonce(head.key))
        {
            throw refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64");
        }
        // RFC 6455 4.2.2: a service not available at the path answers 404; a refused Origin 403 (10.2).
        if (!allowedPaths.isEmpty() && !allowedPaths.contains(requestPath))
        {
            throw refuse(404, "path " + requestPath + " is not served");
        }
        if (head.origin != null && !allowedOrigins.isEmpty() && !allowedOrigins.contains(head.origin))
        {
            throw refuse(403, "origin " + head.origin + " is not allowed");
        }
        meta(requestPath, head.userAgent, head.origin);
        // RFC 6455 4.2.2 step 5: no subprotocol or extension is selected (WIRE.md).
        acceptance = HttpHead.ascii("HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: " + WebSocketCodec.acceptValue(head.key) + "\r\n" +
            "\r\n");
    }

    private static boolean isNonce(final String key)
    {
        try
        {
            return key.length() == 24 && Base64.getDecoder().decode(key).length == 16;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    /** An HTTP error answer with a one-line reason: the connection closes once it is written. */
    private static UpgradeException refuse(final int status, final String reason)
    {
        final String line = WebSocketCodec.printable(reason);
        final byte[] body = HttpHead.ascii(line + "\n");
        final byte[] answerHead = HttpHead.ascii("HTTP/1.1 " + status + " " + statusText(status) + "\r\n" +
            (status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "") +
            "Content-Type: text/plain; charset=us-ascii\r\n" +
            "Content-Length: " + body.length + "\r\n" +
            "Connection: close\r\n" +
            "\r\n");
        return new UpgradeException("WebSocket upgrade refused with " + status + ": " + line, answerHead, body);
    }

    private static String statusText(final int status)
    {
        switch (status)
        {
            case 403:
                return "Forbidden";
            case 404:
                return "Not Found";
            case 426:
                return "Upgrade Required";
            default:
                return "Bad Request";
        }
    }
}
