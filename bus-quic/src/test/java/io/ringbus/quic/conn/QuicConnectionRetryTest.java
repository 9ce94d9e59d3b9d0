package io.ringbus.quic.conn;

import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.RetryPacket;
import io.ringbus.quic.packet.StatelessReset;
import io.ringbus.quic.tls.TransportParameters;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client connection and a Retry (RFC 9000 17.2.5.2, 7.3; RFC 9001 5.8): it follows one authentic
 * Retry (new Destination Connection ID, the token in every Initial, Initial keys of the new id),
 * ignores a forged one and any second one, and checks the server's original_destination_connection_id
 * and retry_source_connection_id; and it drains on a stateless reset carrying the server's token.
 * Driven by hand with FakeTls on a fake clock.
 */
class QuicConnectionRetryTest
{
    private static final long MS = 1_000_000L;
    private static final byte[] CLIENT_CID = {1, 1, 1, 1, 1, 1, 1, 1};
    private static final byte[] ODCID = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    private static final byte[] RETRY_SCID = {3, 3, 3, 3, 3, 3, 3, 3};
    private static final byte[] SERVER_CID = {4, 4, 4, 4, 4, 4, 4, 4};
    private static final byte[] TOKEN = {9, 8, 7, 6, 5};

    private final ArrayDeque<byte[]> fromClient = new ArrayDeque<>();
    private final ArrayDeque<byte[]> fromServer = new ArrayDeque<>();
    private final TestPeer client = new TestPeer("client", params());
    private final TestPeer server = new TestPeer("server", params());
    private long nowNs = 1_000 * MS;

    private static TransportParameters params()
    {
        final TransportParameters params = new TransportParameters();
        params.maxIdleTimeoutMs = 30_000;
        return params;
    }

    QuicConnectionRetryTest()
    {
        client.connection = QuicConnection.client(QuicConnectionConfig.DEFAULT, CLIENT_CID, ODCID, client.params,
            listener -> new FakeTls(true, listener, client.params, 1000), sink(fromClient), client);
    }

    private static DatagramSink sink(final ArrayDeque<byte[]> into)
    {
        return datagram ->
        {
            final byte[] copy = new byte[datagram.remaining()];
            datagram.get(copy);
            into.add(copy);
        };
    }

    /** A server for the client's post-Retry Initials (keys of RETRY_SCID); {@code params} edits its parameters. */
    private void startServer(final Consumer<TransportParameters> params)
    {
        server.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, SERVER_CID, RETRY_SCID, CLIENT_CID,
            server.params, listener -> new FakeTls(false, listener, server.params, 1000), sink(fromServer), server);
        params.accept(server.params); // encoded later, in EncryptedExtensions (as QuicSessionFactory does)
    }

    private byte[] retry(final byte[] scid, final byte[] odcid)
    {
        final byte[] out = new byte[128];
        final int length = RetryPacket.write(out, 0, CLIENT_CID, scid, TOKEN, odcid, 5);
        return Arrays.copyOf(out, length);
    }

    private byte[] firstClientInitial()
    {
        client.connection.flush(nowNs);
        assertFalse(fromClient.isEmpty());
        final byte[] initial = fromClient.poll();
        fromClient.clear();
        return initial;
    }

    private void deliverToClient(final byte[] datagram)
    {
        client.connection.onDatagram(ByteBuffer.wrap(datagram), nowNs);
        client.connection.flush(nowNs);
    }

    private static byte[] dcid(final byte[] initial)
    {
        return Arrays.copyOfRange(initial, 6, 6 + initial[5]);
    }

    private static byte[] token(final byte[] initial)
    {
        final int at = 6 + initial[5] + 1 + initial[6 + initial[5]];
        final int length = initial[at] & 0x3F; // our tokens here are short
        return Arrays.copyOfRange(initial, at + 1, at + 1 + length);
    }

    /** Exchange datagrams at once until both are established or one closed; bounded. */
    private void run()
    {
        for (int i = 0; i < 200 && !(client.established && server.established) && !client.closed && !server.closed; i++)
        {
            client.connection.flush(nowNs);
            while (!fromClient.isEmpty())
            {
                server.connection.onDatagram(ByteBuffer.wrap(fromClient.poll()), nowNs);
            }
            server.connection.flush(nowNs);
            while (!fromServer.isEmpty())
            {
                client.connection.onDatagram(ByteBuffer.wrap(fromServer.poll()), nowNs);
            }
            nowNs += MS;
        }
    }

    @Test
    void followsAnAuthenticRetryOnceAndCompletesTheHandshake()
    {
        assertArrayEquals(ODCID, dcid(firstClientInitial()));
        assertArrayEquals(new byte[0], token(firstInitialAfter(new byte[0])), "no token before a Retry");

        final byte[] forged = retry(new byte[] {7, 7, 7, 7, 7, 7, 7, 7}, ODCID);
        forged[forged.length - 1] ^= 1; // its integrity tag no longer checks
        deliverToClient(forged);
        fromClient.clear();

        deliverToClient(retry(RETRY_SCID, ODCID));
        final byte[] again = fromClient.poll();
        assertArrayEquals(RETRY_SCID, dcid(again), "to the Retry's Source Connection ID: the forged one was not followed");
        assertArrayEquals(TOKEN, token(again), "with its token");
        fromClient.clear();

        deliverToClient(retry(new byte[] {5, 5, 5, 5, 5, 5, 5, 5}, ODCID)); // a second Retry
        client.connection.onTimeout(nowNs + 5_000 * MS); // a PTO: the Initial goes again
        nowNs += 5_000 * MS;
        client.connection.flush(nowNs);
        assertArrayEquals(RETRY_SCID, dcid(fromClient.peekLast()), "the second Retry was ignored");
        fromClient.clear();

        startServer(params ->
        {
            params.originalDestinationConnectionId = ODCID;
            params.retrySourceConnectionId = RETRY_SCID;
        });
        client.connection.onTimeout(nowNs + 10_000 * MS);
        nowNs += 10_000 * MS;
        run();
        assertTrue(client.established && server.established, client.events + " / " + server.events);
    }

    private byte[] firstInitialAfter(final byte[] ignored)
    {
        client.connection.onTimeout(nowNs + 2_000 * MS); // a PTO resends the Initial
        nowNs += 2_000 * MS;
        client.connection.flush(nowNs);
        final byte[] initial = fromClient.peekLast();
        fromClient.clear();
        return initial;
    }

    @Test
    void aServerThatOmitsRetrySourceConnectionIdIsRefused()
    {
        firstClientInitial();
        deliverToClient(retry(RETRY_SCID, ODCID));
        fromClient.clear();
        startServer(params -> params.originalDestinationConnectionId = ODCID); // no retry_source_connection_id
        client.connection.onTimeout(nowNs + 2_000 * MS);
        nowNs += 2_000 * MS;
        run();
        assertTrue(client.closed, client.events::toString);
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, client.closeCode, client.closeReason);
        assertTrue(client.closeReason.contains("retry_source_connection_id"), client.closeReason);
    }

    @Test
    void aServerThatNamesTheRetryIdAsTheOriginalIsRefused()
    {
        firstClientInitial();
        deliverToClient(retry(RETRY_SCID, ODCID));
        fromClient.clear();
        startServer(params ->
        {
            params.originalDestinationConnectionId = RETRY_SCID; // what a server without Retry support would send
            params.retrySourceConnectionId = RETRY_SCID;
        });
        client.connection.onTimeout(nowNs + 2_000 * MS);
        nowNs += 2_000 * MS;
        run();
        assertTrue(client.closed, client.events::toString);
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, client.closeCode, client.closeReason);
        assertTrue(client.closeReason.contains("original_destination_connection_id"), client.closeReason);
    }

    @Test
    void aRetryForAnotherOriginalIdOrAfterTheServersInitialIsIgnored()
    {
        firstClientInitial();
        deliverToClient(retry(RETRY_SCID, new byte[] {6, 6, 6, 6, 6, 6, 6, 6}));
        assertArrayEquals(ODCID, dcid(firstInitialAfter(null)), "the tag binds our original DCID");
    }

    @Test
    void aStatelessResetWithTheServersTokenDrainsTheClient()
    {
        final byte[] resetKey = new byte[32];
        final StatelessReset resets = new StatelessReset(resetKey);
        firstClientInitial();
        deliverToClient(retry(RETRY_SCID, ODCID));
        fromClient.clear();
        startServer(params ->
        {
            params.originalDestinationConnectionId = ODCID;
            params.retrySourceConnectionId = RETRY_SCID;
            params.statelessResetToken = resets.token(SERVER_CID, 0, SERVER_CID.length);
        });
        client.connection.onTimeout(nowNs + 2_000 * MS);
        nowNs += 2_000 * MS;
        run();
        assertTrue(client.established, client.events::toString);

        final byte[] other = new byte[40];
        new StatelessReset(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
            23, 24, 25, 26, 27, 28, 29, 30, 31, 32}).write(other, 41, SERVER_CID, 0, 8, new byte[43]);
        client.connection.onDatagram(ByteBuffer.wrap(other), nowNs);
        assertFalse(client.closed, "a reset under another key is just an undecryptable datagram");

        final byte[] reset = new byte[40];
        final int length = resets.write(reset, 41, SERVER_CID, 0, 8, new byte[43]);
        client.connection.onDatagram(ByteBuffer.wrap(reset, 0, length), nowNs);
        assertTrue(client.closed, client.events::toString);
        assertTrue(client.closedByPeer);
        assertTrue(client.closeReason.contains("stateless reset"), client.closeReason);
        fromClient.clear();
        client.connection.flush(nowNs);
        assertTrue(fromClient.isEmpty(), "RFC 9000 10.3.1: nothing more is sent");
    }
}
