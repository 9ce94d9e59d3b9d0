package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 point 6: {@code ringbus load} at something that is not a Ringbus node says so in words
 * (today: warnings of PEER_VANISHED_MID_FRAME and a table of zeros), with a non-zero exit code.
 */
class LoadWrongPeerTest
{
    private ServerSocket server;
    private Thread acceptor;

    @AfterEach
    void close() throws Exception
    {
        if (server != null)
        {
            server.close();
            acceptor.join(10_000);
        }
    }

    /** A plain TCP server on loopback that treats each accepted connection with {@code behaviour}, one at a time. */
    private URI serve(final Behaviour behaviour) throws IOException
    {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() ->
        {
            while (!server.isClosed())
            {
                try (Socket socket = server.accept())
                {
                    behaviour.on(socket);
                }
                catch (final IOException ex)
                {
                    // closed by the test, or the client went away
                }
            }
        }, "wrong-peer");
        acceptor.setDaemon(true);
        acceptor.start();
        return URI.create("tcp://127.0.0.1:" + server.getLocalPort());
    }

    private interface Behaviour
    {
        void on(Socket socket) throws IOException;
    }

    /** What one Main.run printed, and its exit code. */
    private record Run(int code, String out, String err)
    {
    }

    private static Run load(final URI target)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"load", target.toString(), "--duration-ms", "1000", "--connections",
            "2", "--log-level", "error"}, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anHttpServerIsNamedAsNotSpeakingTheWireFormat() throws Exception
    {
        final URI target = serve(socket ->
        {
            final InputStream in = socket.getInputStream();
            in.read(new byte[4096]);
            socket.getOutputStream().write(("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        });
        final Run run = load(target);
        assertEquals(Main.EXIT_FAILURE, run.code(), run.toString());
        assertEquals(List.of("ringbus load: " + target + ": the peer does not speak the Ringbus wire format " +
            "(it answered \"HTTP/1.1 400 Bad Request\")"), run.err().lines().toList(), run.toString());
    }

    @Test
    void aServerThatClosesAtOnceIsDescribedAsSuch() throws Exception
    {
        final URI target = serve(socket ->
        {
        });
        final Run run = load(target);
        assertEquals(Main.EXIT_FAILURE, run.code(), run.toString());
        assertEquals(List.of("ringbus load: " + target + ": no reply: the peer accepted the connections and " +
            "answered nothing (a Ringbus node of another --cluster or at its --max-connections closes them; a " +
            "silent one may be stalled)"), run.err().lines().toList(), run.toString());
    }

    @Test
    void aRingbusNodeIsNeverCalledAPeerThatDoesNotSpeakTheWireFormat() throws Exception
    {
        // E.g. load with the wrong --cluster: the probe's invalid frame is closed without a byte.
        try (EchoNode node = EchoNode.start(BusConfig.builder().shards(1).build()))
        {
            final URI target = URI.create("tcp://" + Flags.format(node.listen(URI.create("tcp://127.0.0.1:0"))));
            assertEquals("ringbus load: " + target + ": no reply: the peer accepted the connections and answered " +
                "nothing (a Ringbus node of another --cluster or at its --max-connections closes them; a silent one " +
                "may be stalled)", WireProbe.diagnose(target));
        }
    }

    @Test
    void answersAreDescribedAsTextTlsOrBytes()
    {
        assertEquals("\"SSH-2.0-OpenSSH_9.6\"", WireProbe.describe("SSH-2.0-OpenSSH_9.6\r\n".getBytes(
            StandardCharsets.US_ASCII), 21));
        assertEquals("with a TLS record: try tls:// or wss://", WireProbe.describe(new byte[] {0x15, 0x03, 0x03, 0, 2},
            5));
        assertEquals("bytes 00 ff 10", WireProbe.describe(new byte[] {0, (byte)0xff, 0x10}, 3));
    }

    @Test
    void anUnresolvableHostIsRefusedAtParsing()
    {
        assertEquals("ringbus load: URI tcp://nosuchhost.invalid:7000: cannot resolve host nosuchhost.invalid",
            assertThrows(UsageException.class, () -> LoadCommand.parse(List.of("tcp://nosuchhost.invalid:7000")))
                .getMessage());
    }
}
