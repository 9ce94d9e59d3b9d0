package io.ringbus.ws;

import java.net.URI;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The client side of the WebSocket opening handshake (RFC 6455 4.1): writes the upgrade request
 * with a fresh Sec-WebSocket-Key, then checks the server's response: 101, Upgrade and Connection,
 * the Sec-WebSocket-Accept value for the key, and no extension or subprotocol (none is offered).
 * Anything else fails the connection. One per connection; owned by the connection's shard.
 */
final class ClientUpgrade extends WsUpgrade
{
    private final byte[] request;
    private final String expectedAccept;

    /**
     * @param uri   the server: its path and query are the request target.
     * @param seeds the source of the key's nonce.
     */
    ClientUpgrade(final URI uri, final SecureRandom seeds)
    {
        final byte[] nonce = new byte[16];
        seeds.nextBytes(nonce); // RFC 6455 4.1: a fresh random 16-byte nonce per connection
        final String key = Base64.getEncoder().encodeToString(nonce);
        final String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        final String target = uri.getRawQuery() == null ? rawPath : rawPath + "?" + uri.getRawQuery();
        this.request = HttpHead.ascii("GET " + target + " HTTP/1.1\r\n" +
            "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + key + "\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "User-Agent: ringbus\r\n" +
            "\r\n");
        this.expectedAccept = WebSocketCodec.acceptValue(key);
        meta(rawPath, null, null);
    }

    @Override
    byte[] request()
    {
        return request;
    }

    @Override
    byte[] acceptance()
    {
        return null;
    }

    @Override
    UpgradeException malformed(final HttpHead.HeadException ex)
    {
        return fail("WebSocket upgrade response: " + ex.getMessage());
    }

    @Override
    void check(final HttpHead head) throws UpgradeException
    {
        final String[] parts = head.startLine.split(" ", 3);
        // RFC 6455 4.1: anything but 101 fails the connection.
        if (parts.length < 2 || !"HTTP/1.1".equals(parts[0]) || !"101".equals(parts[1]))
        {
            throw fail("WebSocket upgrade refused by the server: " + WebSocketCodec.printable(head.startLine));
        }
        if (!HttpHead.hasToken(head.upgrade, "websocket") || !HttpHead.hasToken(head.connection, "upgrade"))
        {
            throw fail("WebSocket upgrade response without Upgrade: websocket and Connection: Upgrade");
        }
        if (!expectedAccept.equals(head.accept))
        {
            throw fail("WebSocket upgrade response: Sec-WebSocket-Accept " +
                WebSocketCodec.printable(String.valueOf(head.accept)) + " does not match the key (expected " +
                expectedAccept + ")");
        }
        if (head.extensions != null || head.protocol != null)
        {
            throw fail("WebSocket upgrade response selects an extension or subprotocol that was not offered");
        }
    }

    /** The client sends nothing back: RFC 6455 4.1 has it fail the connection (close without a close frame). */
    private static UpgradeException fail(final String message)
    {
        return new UpgradeException(message, null, null);
    }
}
