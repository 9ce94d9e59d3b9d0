package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FrameHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringbus load} on its fast engine (tcp://): correct against a {@code ringbus serve} echo
 * node (every reply checked, several connections, each its own session), its flags ({@code --spin},
 * {@code --rate}, {@code --bus-client}, {@code --byte-echo}) and their refusals (exit 2), the open
 * loop's report, and a wrong reply counted as an error with its reason.
 */
class LoadFastEngineTest
{
    private EchoNode node;
    private String target;

    @BeforeEach
    void startNode() throws Exception
    {
        node = EchoNode.start(BusConfig.builder().shards(2).build());
        final InetSocketAddress bound = node.listen(URI.create("tcp://127.0.0.1:0"));
        target = "tcp://" + Flags.format(bound);
    }

    @AfterEach
    void closeNode()
    {
        node.close();
    }

    private record Outcome(int code, String out, String err)
    {
        String describe()
        {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Outcome run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static long whole(final Map<String, Object> object, final String member)
    {
        return ((BigDecimal)object.get(member)).longValueExact();
    }

    @ParameterizedTest
    @CsvSource({
        "'',            fast tcp engine, blocking",
        "--spin,        fast tcp engine, spinning",
        "--bus-client,  BusClient"})
    void everyReplyFromAnEchoNodeIsCheckedOnEachEngine(final String flag, final String engine)
    {
        final List<String> args = new java.util.ArrayList<>(List.of("load", target, "--connections", "3",
            "--window", "64", "--size", "64", "--duration-ms", "600", "--json"));
        if (!flag.isEmpty())
        {
            args.add(flag);
        }
        final Outcome outcome = run(args.toArray(new String[0]));
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        assertTrue(outcome.err().contains("ringbus load: 3 connection(s) to [" + target + "], window 64, " +
            "64-byte bodies, 600 ms (120 ms warm-up), " + engine), outcome::describe);
        final Map<String, Object> result = StrictJson.object(outcome.out().strip());
        assertTrue(whole(result, "messages") > 0, outcome::describe);
        assertEquals(0, whole(result, "errors"), outcome::describe);
        assertEquals(0, whole(result, "unanswered"), outcome::describe);
        assertEquals(StrictJson.NULL, result.get("first_error"), outcome::describe);
        assertTrue(!result.containsKey("kept_up"), "closed loop: no open-loop members");
    }

    @Test
    void anOpenLoopReportsItsScheduleAndWhatItSent()
    {
        final Outcome outcome = run("load", target, "--connections", "2", "--window", "256", "--size", "16",
            "--duration-ms", "1000", "--rate", "1000", "--json");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        assertTrue(outcome.err().contains("fast tcp engine, blocking, open loop at 1000 msg/s"), outcome::describe);
        final Map<String, Object> result = StrictJson.object(outcome.out().strip());
        assertEquals(1000, whole(result, "target_per_s"));
        // Two connections at 500/s each, phases 0 and 1 ms, over 1 s: 500 intended times each before the end.
        assertEquals(1000, whole(result, "due"), outcome::describe);
        final long sent = whole(result, "sent");
        assertTrue(sent <= 1000, outcome::describe);
        assertEquals(sent >= 990, result.get("kept_up"), outcome::describe);
        assertEquals(0, whole(result, "errors"), outcome::describe);
        assertEquals(0, whole(result, "unanswered"), outcome::describe);
        assertTrue(whole(result, "messages") <= sent, outcome::describe);
    }

    @Test
    void anOpenLoopPrintsItsLineInText()
    {
        final Outcome outcome = run("load", target, "--connections", "1", "--window", "256", "--duration-ms", "500",
            "--rate", "2000");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        assertTrue(outcome.out().lines().anyMatch(line -> line.startsWith("open loop: target 2000 msg/s, sent ") &&
            line.contains(" of 1000 due)") && line.contains("latency counted from the intended send times")),
            outcome::describe);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--rate 0                          | --rate = 0: must be within 1..1000000000",
        "--rate -5                         | --rate = -5: must be within 1..1000000000",
        "--rate 1000000001                 | --rate = 1000000001: must be within 1..1000000000",
        "--rate fast                       | --rate = fast: not a whole number",
        "--rate                            | flag --rate needs a value",
        "--spin=yes                        | flag --spin takes no value",
        "--spin --spin                     | flag --spin given more than once",
        "--byte-echo=1                     | flag --byte-echo takes no value",
        "--rate 100 --bus-client           | --rate runs on the fast engine, which needs every URI to be tcp:// and no --bus-client",
        "--spin --bus-client               | --spin runs on the fast engine, which needs every URI to be tcp:// and no --bus-client",
        "ws://127.0.0.1:1 --spin           | --spin runs on the fast engine, which needs every URI to be tcp:// (tcp,ws given)",
        "ws://127.0.0.1:1 --rate 10        | --rate runs on the fast engine, which needs every URI to be tcp:// (tcp,ws given)",
        "ws://127.0.0.1:1 --byte-echo      | --byte-echo runs on the fast engine, which needs every URI to be tcp:// (tcp,ws given)"})
    void badEngineFlagsAreRefusedWithExitTwo(final String line)
    {
        final String[] parts = line.split("\\|");
        final List<String> args = new java.util.ArrayList<>(List.of("load", "tcp://127.0.0.1:1"));
        args.addAll(List.of(parts[0].trim().split(" +")));
        final Outcome outcome = run(args.toArray(new String[0]));
        assertEquals(Main.EXIT_USAGE, outcome.code(), outcome::describe);
        assertTrue(outcome.err().contains("ringbus load: " + parts[1].trim()), outcome::describe);
    }

    @Test
    void engineFlagsReachTheSettings() throws UsageException
    {
        final LoadGenerator.Settings fast = LoadCommand.parse(List.of(target, "--spin", "--rate", "5000",
            "--byte-echo"));
        assertTrue(fast.fast());
        assertEquals(LoadDriver.Idle.SPIN, fast.idle());
        assertEquals(5000, fast.ratePerSecond());
        assertTrue(fast.byteEcho());
        final LoadGenerator.Settings plain = LoadCommand.parse(List.of(target));
        assertTrue(plain.fast());
        assertEquals(LoadDriver.Idle.BLOCK, plain.idle());
        assertEquals(0, plain.ratePerSecond());
        final LoadGenerator.Settings client = LoadCommand.parse(List.of(target, "--bus-client"));
        assertTrue(!client.fast());
    }

    @Test
    void aByteEchoIsLoadedWithByteEcho() throws Exception
    {
        try (LoadTestServer echo = LoadTestServer.honest(true))
        {
            final LoadResult result = LoadGenerator.run(settings(echo, true));
            assertTrue(result.messages() > 0, result.toString());
            assertEquals(0, result.errors(), result.toString());
            assertNull(result.firstError());
        }
    }

    @Test
    void aWrongReplyIsAnErrorWithItsReasonAndTheOtherConnectionsGoOn() throws Exception
    {
        try (LoadTestServer liar = new LoadTestServer(false, (index, frame, codec) ->
        {
            if (index == 3)
            {
                new io.ringbus.core.frame.FrameHeader().wrap(frame, 0).operation(200);
                codec.seal(frame, 0);
            }
            return true;
        }))
        {
            final URI liarUri = URI.create("tcp://127.0.0.1:" + liar.address().getPort());
            final LoadGenerator.Settings settings = new LoadGenerator.Settings(List.of(liarUri, URI.create(target)), 2,
                8, 64, Duration.ofMillis(1000), Duration.ZERO, 0, 0, Map.of(), LoadGenerator.Engine.AUTO,
                LoadDriver.Idle.BLOCK, 0, false);
            final LoadResult result = LoadGenerator.run(settings);
            assertTrue(result.errors() >= 1, result.toString());
            assertEquals(liarUri + ": reply operation 200, expected 4 (after 3 good replies)", result.firstError());
            assertTrue(result.messages() > 0, "the node's connection went on: " + result);
            assertEquals(0, result.unanswered(), result.toString());
        }
    }

    private static LoadGenerator.Settings settings(final LoadTestServer server, final boolean byteEcho)
    {
        return new LoadGenerator.Settings(List.of(URI.create("tcp://127.0.0.1:" + server.address().getPort())), 1,
            16, FrameHeader.HEADER_SIZE, Duration.ofMillis(1000), Duration.ZERO, 0, 0, Map.of(),
            LoadGenerator.Engine.AUTO, LoadDriver.Idle.BLOCK, 0, byteEcho);
    }
}
