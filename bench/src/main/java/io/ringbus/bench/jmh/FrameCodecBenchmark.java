package io.ringbus.bench.jmh;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameDecoder;
import io.ringbus.core.frame.FrameHandler;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The frame path: seal+encode of a frame into a direct buffer, and decode+verify of a frame
 * arriving in a connection's receive buffer (including, for 64 KiB bodies, assembly in a pooled
 * buffer because the frame is larger than the default 64 KiB receive buffer).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class FrameCodecBenchmark
{
    @Param({"0", "4096", "65536"})
    public int bodySize;

    private final FrameCodec codec = new FrameCodec();
    private final FrameHeader header = new FrameHeader();
    private UnsafeBuffer frame;
    private int frameLength;
    private long request;

    private FramePool pool;
    private FrameDecoder decoder;
    private Sink sink;
    private final UnsafeBuffer target = new UnsafeBuffer(new byte[0]);

    /** Consumes decoded frames; a field-held callback, no capturing lambda. */
    static final class Sink implements FrameHandler
    {
        Blackhole blackhole;
        int frames;

        @Override
        public void onFrame(final DirectBuffer buffer, final int offset, final int length)
        {
            frames++;
            blackhole.consume(buffer.getLong(offset + FrameHeader.REQUEST_OFFSET, FrameHeader.ORDER));
        }
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        frameLength = FrameHeader.HEADER_SIZE + bodySize;
        frame = new UnsafeBuffer(ByteBuffer.allocateDirect(frameLength));
        final byte[] body = new byte[bodySize];
        ThreadLocalRandom.current().nextBytes(body);
        frame.putBytes(FrameHeader.HEADER_SIZE, body);
        encode();

        pool = new FramePool(64 << 20, 16 << 20, false);
        sink = new Sink();
        decoder = new FrameDecoder(64 * 1024, 64 << 20, 0, 0, pool, sink);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        decoder.close();
    }

    private void encode()
    {
        header.wrap(frame, 0)
            .cluster(0, 0)
            .size(frameLength)
            .command(Command.REQUEST)
            .replica(FrameHeader.REPLICA_NONE)
            .client(1, 2)
            .request(++request)
            .timestamp(request)
            .operation(1);
        codec.seal(frame, 0);
    }

    @Benchmark
    public int sealEncode()
    {
        encode();
        return frame.getInt(FrameHeader.CHECKSUM_OFFSET, FrameHeader.ORDER);
    }

    @Benchmark
    public int decodeVerify(final Blackhole blackhole) throws FrameDecodeException
    {
        sink.blackhole = blackhole;
        final int before = sink.frames;
        int position = 0;
        while (position < frameLength)
        {
            final ByteBuffer space = decoder.receiveSpace();
            final int n = Math.min(space.remaining(), frameLength - position);
            final int at = space.position();
            target.wrap(space);
            target.putBytes(at, frame, position, n);
            decoder.onReceived(n);
            position += n;
        }
        return sink.frames - before;
    }
}
