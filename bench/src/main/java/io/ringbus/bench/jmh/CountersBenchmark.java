package io.ringbus.bench.jmh;

import io.ringbus.core.stat.BusCounters;
import io.ringbus.core.stat.ClientCounters;
import io.ringbus.core.stat.ConnectionCounters;
import io.ringbus.core.transport.CloseReason;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What counting adds to the frame path (issue 15): a connection counts each frame it delivers
 * ({@code onFrameIn}: frames and bytes in) and each frame it finished writing ({@code onFrameOut}),
 * with ordered stores into the bus's counters; {@code frameInAndOut} is one request and its reply.
 * {@code -prof gc} must show 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class CountersBenchmark
{
    private static final int FRAME_LENGTH = 256 + 64;

    private ConnectionCounters connection;
    private ClientCounters client;

    @Setup
    public void setUp()
    {
        final BusCounters counters = BusCounters.create(null, 1, 0, -1);
        client = counters.client("tcp", 0);
        connection = client.connection();
    }

    @Benchmark
    public void frameInAndOut()
    {
        connection.onFrameIn(FRAME_LENGTH);
        connection.onFrameOut(FRAME_LENGTH);
    }

    @Benchmark
    public void connectionOpenedAndClosed()
    {
        client.onOpened();
        client.onClosed(CloseReason.PEER_CLOSED, null, true);
    }
}
