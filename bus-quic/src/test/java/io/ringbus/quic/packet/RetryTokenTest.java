package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retry tokens: a round trip, expiry and another address on an injected clock, forgery. */
class RetryTokenTest
{
    private static final long LIFETIME_NS = 10_000_000_000L;
    private static final long T0 = 123_456_789_000L;
    private static final byte[] ODCID = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    private static final byte[] RSCID = {11, 12, 13, 14, 15, 16, 17, 18};

    private final RetryToken tokens = new RetryToken(new SecureRandom(), LIFETIME_NS);

    private static InetSocketAddress address(final String ip, final int port) throws Exception
    {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void aTokenOpensForItsAddressWithinItsLifetimeAndGivesBackItsIds() throws Exception
    {
        final InetSocketAddress client = address("127.0.0.1", 40_000);
        final byte[] token = tokens.seal(client, ODCID, RSCID, T0);
        assertTrue(token.length <= RetryToken.MAX_LENGTH);
        for (final long at : new long[] {T0, T0 + 1, T0 + LIFETIME_NS})
        {
            final RetryToken.Validated validated = tokens.open(token, 0, token.length, client, at);
            assertNotNull(validated, () -> tokens.failure());
            assertArrayEquals(ODCID, validated.originalDestinationConnectionId());
            assertArrayEquals(RSCID, validated.retrySourceConnectionId());
        }
        final InetSocketAddress v6 = address("::1", 443);
        final byte[] v6Token = tokens.seal(v6, ODCID, RSCID, T0);
        assertNotNull(tokens.open(v6Token, 0, v6Token.length, v6, T0 + 5), () -> tokens.failure());
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception
    {
        final InetSocketAddress client = address("127.0.0.1", 40_000);
        final byte[] token = tokens.seal(client, ODCID, RSCID, T0);
        assertNull(tokens.open(token, 0, token.length, client, T0 + LIFETIME_NS + 1));
        assertTrue(tokens.failure().contains("expired"), tokens.failure());
        assertNull(tokens.open(token, 0, token.length, client, T0 - 1), "issued in the future");
    }

    @Test
    void aTokenFromAnotherAddressOrPortIsRefused() throws Exception
    {
        final byte[] token = tokens.seal(address("127.0.0.1", 40_000), ODCID, RSCID, T0);
        assertNull(tokens.open(token, 0, token.length, address("127.0.0.2", 40_000), T0 + 1));
        assertTrue(tokens.failure().contains("another address"), tokens.failure());
        assertNull(tokens.open(token, 0, token.length, address("127.0.0.1", 40_001), T0 + 1));
        assertTrue(tokens.failure().contains("another address"), tokens.failure());
    }

    @Test
    void aForgedOrForeignTokenIsRefused() throws Exception
    {
        final InetSocketAddress client = address("127.0.0.1", 40_000);
        final byte[] token = tokens.seal(client, ODCID, RSCID, T0);
        for (int i = 0; i < token.length; i++)
        {
            final byte[] changed = token.clone();
            changed[i] ^= 0x40;
            assertNull(tokens.open(changed, 0, changed.length, client, T0 + 1), "byte " + i);
        }
        final RetryToken other = new RetryToken(new SecureRandom(), LIFETIME_NS);
        assertNull(other.open(token, 0, token.length, client, T0 + 1), "another listener's key");
        assertTrue(other.failure().contains("does not authenticate"), other.failure());
        assertNull(tokens.open(new byte[5], 0, 5, client, T0), "too short");
        assertEquals(null, tokens.open(new byte[RetryToken.MAX_LENGTH + 1], 0, RetryToken.MAX_LENGTH + 1, client, T0));
    }
}
