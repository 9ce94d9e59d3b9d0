package io.ringbus.bench.harness;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C floor server (bench/native/floor.c) through raw sockets, independent of the load client:
 * its answers byte for byte (both idle modes, both CRC32C implementations), a ping with a body,
 * bad frames closing only their own connection, a reader slower than the writer (partial writes)
 * and a frame larger than its first buffer, and byte-echo returning bytes as they are. The
 * registered c-floor servers also run EchoServerTest's suite. Skipped, saying why, where gcc is missing.
 */
class NativeFloorServerTest
{
    private static final int TIMEOUT_MS = 10_000;
    private static final long CLIENT_HI = 0x0102_0304_0506_0708L;
    private static final long CLIENT_LO = 0x1112_1314_1516_1718L;

    private final FrameCodec codec = new FrameCodec();
    private NativeFloorServer server;

    @BeforeAll
    static void buildOrSkip()
    {
        final String problem = NativeFloorServer.ensureBuilt();
        assumeTrue(problem == null, () -> "the C floor server cannot be built here: " + problem);
    }

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
    }

    private InetSocketAddress start(final NativeFloorServer.Mode mode, final String... extraArguments) throws Exception
    {
        server = new NativeFloorServer(mode, List.of(extraArguments));
        final InetSocketAddress address = server.start();
        assertTrue(address.getAddress().isLoopbackAddress(), address.toString());
        return address;
    }

    private static Socket connect(final InetSocketAddress address) throws IOException
    {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** A sealed frame with a body of {@code bodySize} bytes derived from {@code request}. */
    private byte[] frame(final Command command, final int bodySize, final long request)
    {
        final int size = HEADER_SIZE + bodySize;
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[size]);
        new FrameHeader().wrap(frame, 0).clear()
            .cluster(EchoServer.CLUSTER_HI, EchoServer.CLUSTER_LO)
            .size(size)
            .view(77)
            .release(88)
            .command(command)
            .replica(FrameHeader.REPLICA_NONE)
            .client(CLIENT_HI, CLIENT_LO)
            .request(request)
            .timestamp(~request)
            .operation((int)(request & 0x7F));
        for (int i = 0; i < bodySize; i++)
        {
            frame.putByte(HEADER_SIZE + i, (byte)(request * 31 + i));
        }
        codec.seal(frame, 0);
        return frame.byteArray();
    }

    /** Read one frame's bytes: its header, then as many more as its size says. */
    private static byte[] readFrame(final DataInputStream in) throws IOException
    {
        final byte[] header = new byte[HEADER_SIZE];
        in.readFully(header);
        final int size = FrameHeader.size(new UnsafeBuffer(header), 0);
        final byte[] frame = new byte[size];
        System.arraycopy(header, 0, frame, 0, HEADER_SIZE);
        in.readFully(frame, HEADER_SIZE, size - HEADER_SIZE);
        return frame;
    }

    /** The answer to {@code request}: sealed, command, fields copied, the rest zero, body unchanged. */
    private void assertAnswer(final byte[] request, final byte[] answer, final Command expected)
    {
        final UnsafeBuffer in = new UnsafeBuffer(request);
        final UnsafeBuffer out = new UnsafeBuffer(answer);
        final FrameHeader reply = new FrameHeader().wrap(out, 0);
        final FrameHeader sent = new FrameHeader().wrap(in, 0);
        assertEquals(expected.code(), reply.command(), "command");
        assertTrue(codec.isHeaderValid(out, 0), "header checksum");
        assertTrue(codec.isBodyValid(out, 0, answer.length), "body checksum");
        final int expectedSize = expected == Command.REPLY ? request.length : HEADER_SIZE;
        assertEquals(expectedSize, reply.size(), "size");
        assertEquals(expectedSize, answer.length, "length");
        assertEquals(sent.clusterHi(), reply.clusterHi(), "cluster hi");
        assertEquals(sent.clusterLo(), reply.clusterLo(), "cluster lo");
        assertEquals(0, reply.view(), "view");
        assertEquals(0, reply.release(), "release");
        assertEquals(FrameHeader.REPLICA_NONE, reply.replica(), "replica");
        assertEquals(CLIENT_HI, reply.clientHi(), "client hi");
        assertEquals(CLIENT_LO, reply.clientLo(), "client lo");
        assertEquals(sent.request(), reply.request(), "request");
        assertEquals(sent.timestamp(), reply.timestamp(), "timestamp");
        assertEquals(sent.operation(), reply.operation(), "operation");
        for (int i = 4; i < FrameHeader.CHECKSUM_BODY_OFFSET; i++)
        {
            assertEquals(0, answer[i], "checksum padding byte " + i);
        }
        for (int i = FrameHeader.CHECKSUM_BODY_OFFSET + 4; i < FrameHeader.CLUSTER_OFFSET; i++)
        {
            assertEquals(0, answer[i], "body checksum padding byte " + i);
        }
        for (int i = 0; i < FrameHeader.RESERVED_LENGTH; i++)
        {
            assertEquals(0, answer[FrameHeader.RESERVED_OFFSET + i], "reserved byte " + i);
        }
        for (int i = 0; i < FrameHeader.REQUEST_RESERVED_LENGTH; i++)
        {
            assertEquals(0, answer[FrameHeader.REQUEST_RESERVED_OFFSET + i], "request reserved byte " + i);
        }
        for (int i = HEADER_SIZE; i < expectedSize; i++)
        {
            if (request[i] != answer[i])
            {
                assertEquals(request[i], answer[i], "body byte " + (i - HEADER_SIZE));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"blocking auto", "blocking table", "polling auto", "polling table"})
    void requestsAndPingsAreAnsweredInPlaceInBothIdleModesWithEitherCrc(final String variant) throws Exception
    {
        final String[] parts = variant.split(" ");
        final InetSocketAddress address = start(
            "blocking".equals(parts[0]) ? NativeFloorServer.Mode.BLOCKING : NativeFloorServer.Mode.POLLING,
            "--crc", "auto".equals(parts[1]) ? "auto" : "table");
        try (Socket socket = connect(address))
        {
            final OutputStream out = socket.getOutputStream();
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            long request = 1;
            for (final int bodySize : new int[] {0, 1, 7, 64, 4093, 64 * 1024})
            {
                final byte[] sent = frame(Command.REQUEST, bodySize, request++);
                out.write(sent);
                out.flush();
                assertAnswer(sent, readFrame(in), Command.REPLY);
            }
            final byte[] ping = frame(Command.PING_CLIENT, 0, request);
            out.write(ping);
            out.flush();
            assertAnswer(ping, readFrame(in), Command.PONG_CLIENT);
        }
    }

    @Test
    void frameCutAnywhereAndSeveralPerWriteAreAnsweredInOrder() throws Exception
    {
        final InetSocketAddress address = start(NativeFloorServer.Mode.BLOCKING);
        try (Socket socket = connect(address))
        {
            final OutputStream out = socket.getOutputStream();
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            // A ping with a body answered with a header-only pong: the replies behind it move down.
            final byte[][] sent = {
                frame(Command.REQUEST, 100, 1), frame(Command.PING_CLIENT, 300, 2), frame(Command.REQUEST, 64, 3),
                frame(Command.REQUEST, 0, 4)};
            final byte[] all = concat(sent);
            // One byte, then the rest but one, then the last byte: headers and bodies split across reads.
            out.write(all, 0, 1);
            out.flush();
            out.write(all, 1, all.length - 2);
            out.flush();
            out.write(all, all.length - 1, 1);
            out.flush();
            assertAnswer(sent[0], readFrame(in), Command.REPLY);
            assertAnswer(sent[1], readFrame(in), Command.PONG_CLIENT);
            assertAnswer(sent[2], readFrame(in), Command.REPLY);
            assertAnswer(sent[3], readFrame(in), Command.REPLY);
        }
    }

    /** Ways to break a frame; each must close its connection and only it. */
    enum BadFrame
    {
        SIZE_BELOW_HEADER,
        SIZE_ABOVE_MAX,
        HEADER_CHECKSUM,
        BODY_CHECKSUM,
        REPLICA_COMMAND,
        OTHER_CLUSTER
    }

    @ParameterizedTest
    @EnumSource(BadFrame.class)
    void aBadFrameClosesItsConnectionAndNoOther(final BadFrame bad) throws Exception
    {
        final InetSocketAddress address = start(NativeFloorServer.Mode.BLOCKING, "--max-frame", "100000");
        try (Socket bystander = connect(address); Socket offender = connect(address))
        {
            final byte[] frame = switch (bad)
            {
                case SIZE_BELOW_HEADER -> resealed(frame(Command.REQUEST, 16, 1), header -> header.size(255));
                case SIZE_ABOVE_MAX -> resealed(frame(Command.REQUEST, 16, 1), header -> header.size(100_001));
                case HEADER_CHECKSUM -> flip(frame(Command.REQUEST, 16, 1), FrameHeader.REQUEST_OFFSET);
                case BODY_CHECKSUM -> flip(frame(Command.REQUEST, 16, 1), HEADER_SIZE + 3);
                case REPLICA_COMMAND -> frame(Command.PREPARE, 16, 1);
                case OTHER_CLUSTER -> resealed(frame(Command.REQUEST, 16, 1),
                    header -> header.cluster(EchoServer.CLUSTER_HI, EchoServer.CLUSTER_LO + 1));
            };
            offender.getOutputStream().write(frame);
            offender.getOutputStream().flush();
            assertEquals(-1, readOrClosed(offender.getInputStream()), "the server answered a bad frame");

            final byte[] sent = frame(Command.REQUEST, 64, 9);
            bystander.getOutputStream().write(sent);
            bystander.getOutputStream().flush();
            assertAnswer(sent, readFrame(new DataInputStream(bystander.getInputStream())), Command.REPLY);
        }
    }

    @Test
    void aReaderSlowerThanTheWriterGetsEveryReplyInOrderAndAFrameLargerThanTheBufferFits() throws Exception
    {
        final InetSocketAddress address = start(NativeFloorServer.Mode.BLOCKING);
        final int frames = 48;
        final int bodySize = 256 * 1024 + 13; // above the server's first 256 KiB buffer
        try (Socket socket = new Socket())
        {
            // A small receive buffer: the server's replies outrun it, so its writes come back short
            // (EAGAIN) and it must stop reading until they are out.
            socket.setReceiveBufferSize(4 * 1024);
            socket.connect(address, TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final OutputStream out = socket.getOutputStream();
                    for (int i = 1; i <= frames; i++)
                    {
                        out.write(frame(Command.REQUEST, bodySize, i));
                    }
                    out.flush();
                }
                catch (final Throwable ex)
                {
                    writerFailure.set(ex);
                }
            }, "floor-test-writer");
            writer.start();
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            for (int i = 1; i <= frames; i++)
            {
                assertAnswer(frame(Command.REQUEST, bodySize, i), readFrame(in), Command.REPLY);
            }
            writer.join(TIMEOUT_MS);
            assertNull(writerFailure.get());
        }
    }

    @Test
    void byteEchoReturnsTheBytesItReadsUnchanged() throws Exception
    {
        final InetSocketAddress address = start(NativeFloorServer.Mode.BYTE_ECHO);
        assertTrue(server.echoesRequests());
        final byte[] bytes = new byte[3 * 1024 * 1024 + 5]; // not frames: byte-echo parses nothing
        new Random(16).nextBytes(bytes);
        try (Socket socket = connect(address))
        {
            final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final OutputStream out = socket.getOutputStream();
                    for (int offset = 0; offset < bytes.length; offset += 10_000)
                    {
                        out.write(bytes, offset, Math.min(10_000, bytes.length - offset));
                    }
                    out.flush();
                }
                catch (final Throwable ex)
                {
                    writerFailure.set(ex);
                }
            }, "echo-test-writer");
            writer.start();
            final byte[] echoed = new byte[bytes.length];
            new DataInputStream(socket.getInputStream()).readFully(echoed);
            writer.join(TIMEOUT_MS);
            assertNull(writerFailure.get());
            assertArrayEquals(bytes, echoed);
        }
    }

    @Test
    void theFloorsSayTheirIdleModeAndNameTheirProcessAndThread() throws Exception
    {
        start(NativeFloorServer.Mode.POLLING);
        assertTrue(server.spinsWhenIdle());
        assertTrue(server.processId() != ProcessHandle.current().pid());
        assertEquals(NativeFloorServer.BINARY_NAME, server.ioThreadNamePrefix());
        assertEquals("c-floor-poll", server.name());
        assertEquals(false, new NativeFloorServer(NativeFloorServer.Mode.BLOCKING).spinsWhenIdle());
        assertEquals(false, new NativeFloorServer(NativeFloorServer.Mode.BLOCKING).echoesRequests());
    }

    @Test
    void closingTheServerEndsItsProcess() throws Exception
    {
        start(NativeFloorServer.Mode.POLLING);
        final ProcessHandle child = ProcessHandle.of(server.processId()).orElseThrow();
        server.close();
        server = null;
        assertTrue(child.onExit().get(TIMEOUT_MS, TimeUnit.MILLISECONDS) != null);
        assertTrue(!child.isAlive());
    }

    @Test
    void withoutACompilerTheBuildSaysWhatIsMissing(@TempDir final Path out)
        throws Exception
    {
        final Path script = NativeFloorServer.binary().getParent().getParent().getParent()
            .resolve("native").resolve("build.sh");
        assumeTrue(Files.isRegularFile(script), "no bench/native/build.sh here");
        final ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), out.toString()).redirectErrorStream(true);
        builder.environment().put("CC", "no-such-compiler-16");
        final Process build = builder.start();
        final String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS));
        assertEquals(NativeFloorServer.NO_COMPILER_EXIT, build.exitValue(), output);
        assertTrue(output.contains("no-such-compiler-16 not found"), output);
        assertTrue(!Files.exists(out.resolve(NativeFloorServer.BINARY_NAME)), "no binary without a compiler");
    }

    private byte[] resealed(final byte[] frame, final Consumer<FrameHeader> change)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        change.accept(new FrameHeader().wrap(buffer, 0));
        buffer.putInt(FrameHeader.CHECKSUM_OFFSET, codec.computeHeaderChecksum(buffer, 0), FrameHeader.ORDER);
        return frame;
    }

    private static byte[] flip(final byte[] frame, final int index)
    {
        frame[index] ^= 1;
        return frame;
    }

    private static byte[] concat(final byte[][] frames)
    {
        int length = 0;
        for (final byte[] frame : frames)
        {
            length += frame.length;
        }
        final byte[] all = new byte[length];
        int offset = 0;
        for (final byte[] frame : frames)
        {
            System.arraycopy(frame, 0, all, offset, frame.length);
            offset += frame.length;
        }
        return all;
    }

    private static int readOrClosed(final InputStream in) throws IOException
    {
        try
        {
            return in.read();
        }
        catch (final SocketException ex)
        {
            return -1; // reset by the server: closed as well
        }
    }
}
