package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ringbus load} against an in-process node, and a short {@code ringbus demo}. */
class LoadAndDemoTest
{
    @Test
    void loadKeepsItsWindowFullAndReportsPercentiles() throws Exception
    {
        try (EchoNode node = EchoNode.start(BusConfig.builder().shards(1).build()))
        {
            final InetSocketAddress bound = node.listen(URI.create("tcp://127.0.0.1:0"));
            final LoadResult result = LoadGenerator.run(new LoadGenerator.Settings(
                List.of(URI.create("tcp://" + Flags.format(bound))), 2, 4, 64, Duration.ofMillis(400),
                Duration.ofMillis(100), 0, 0));
            assertTrue(result.messages() > 0, "some replies measured");
            assertEquals(0, result.errors(), () -> "first error: " + result.firstError());
            assertEquals(0, result.unanswered());
            assertNull(result.firstError());
            assertEquals(result.messages(), result.latencyNs().getTotalCount());
            assertEquals(256 + 64, result.bytesPerMessage());
            assertTrue(result.percentileMicros(50) <= result.percentileMicros(99.9));
            assertTrue(result.percentileMicros(99.9) <= result.maxMicros());
        }
    }

    @Test
    void demoPrintsOneTableAndSucceeds()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"demo", "--duration-ms", "2000"},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_OK, code, () -> text + err.toString(StandardCharsets.UTF_8));
        assertTrue(Transports.isAvailable("ws") && Transports.isAvailable("wss"), "bus-ws is on the class path");
        final List<String> rows = text.lines().filter(line -> line.startsWith("|")).toList();
        assertEquals(2 + ServeOptions.TRANSPORTS.size(), rows.size(), text);
        assertTrue(rows.get(0).matches("\\| transport +\\| +messages/s \\| +MB/s \\| +p50 µs \\| +p99 µs \\| " +
            "+p99\\.9 µs \\| +max µs \\|"), text);
        for (int i = 0; i < ServeOptions.TRANSPORTS.size(); i++)
        {
            final String scheme = ServeOptions.TRANSPORTS.get(i);
            final String row = rows.get(2 + i);
            assertTrue(row.startsWith("| " + scheme + " "), text);
            if (Transports.isAvailable(scheme))
            {
                assertTrue(row.matches("\\| " + scheme + " +\\| +[1-9][0-9]* \\|.*"),
                    "messages/s of " + scheme + ": " + text);
            }
            else
            {
                assertTrue(row.contains(DemoCommand.NOT_AVAILABLE), text);
            }
        }
    }
}
