package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 point 6: a QUIC connect that gets no answer says {@code no answer from HOST:PORT within
 * N s} (it said {@code server unreachable: null}).
 */
class QuicNoAnswerTest
{
    private static final ClientOptions INSECURE = ClientOptions.defaults()
        .withTransportSettings("quic", TlsSettings.builder().insecureForTestsOnly().build());

    @Test
    void nothingListeningOnThePortIsNoAnswerFromIt() throws Exception
    {
        final int port;
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            port = socket.getLocalPort();
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"load", "quic://127.0.0.1:" + port, "--insecure", "--duration-ms",
            "1000", "--log-level", "error"}, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_FAILURE, code, text);
        // The wait depends on when the kernel's ICMP reply is read: N is what it was.
        assertTrue(text.lines().anyMatch(line -> line.matches("ringbus load: connect to quic://127\\.0\\.0\\.1:" + port +
            " failed: CONNECT_FAILED: QUIC connection closed: code 0x0: no answer from 127\\.0\\.0\\.1:" + port +
            " within [0-9]+(\\.[0-9])? s \\(ICMP port unreachable: nothing listens on that UDP port\\)")), text);
    }

    @Test
    void aSilentPortIsNoAnswerWithinTheConnectTimeout() throws Exception
    {
        // A bound socket that reads nothing: no ICMP, no answer; the client waits out its connect timeout.
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            final URI uri = URI.create("quic://127.0.0.1:" + silent.getLocalPort());
            final IOException ex = assertThrows(IOException.class, () ->
            {
                try (BusClient client = BusClient.connect(uri, INSECURE.withConnectTimeout(Duration.ofSeconds(2))))
                {
                    client.ping();
                }
            });
            assertEquals("connect to " + uri + ": no answer from 127.0.0.1:" + silent.getLocalPort() + " within 2 s",
                ex.getMessage());
        }
    }
}
