package io.ringbus.sim;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.ringbus.core.backend.IoDatagramSocket;

import static io.ringbus.sim.SimStreamTest.SECOND_NS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimDatagramTest
{
    static final int COUNT = 200;

    /** A receiver that drains its socket whenever the backend says datagrams wait. */
    static final class Receiver implements Runnable
    {
        final List<byte[]> datagrams = new ArrayList<>();
        final List<InetSocketAddress> senders = new ArrayList<>();
        IoDatagramSocket socket;
        int readableCalls;
        int roomBytes = 2048;

        @Override
        public void run()
        {
            readableCalls++;
            try
            {
                while (true)
                {
                    final ByteBuffer dst = ByteBuffer.allocate(roomBytes);
                    final InetSocketAddress from = socket.receive(dst);
                    if (from == null)
                    {
                        return;
                    }
                    dst.flip();
                    final byte[] bytes = new byte[dst.remaining()];
                    dst.get(bytes);
                    datagrams.add(bytes);
                    senders.add(from);
                }
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
        }
    }

    static byte[] payload(final int i)
    {
        final byte[] bytes = new byte[100 + i % 50];
        Arrays.fill(bytes, (byte)i);
        bytes[0] = (byte)(i >> 8);
        bytes[1] = (byte)i;
        return bytes;
    }

    static final class Setup
    {
        final SimHarness h;
        final Receiver receiver = new Receiver();
        final IoDatagramSocket sender;
        final InetSocketAddress target = new InetSocketAddress(SimHarness.host(1), 4433);

        Setup(final long seed, final NetworkConfig config) throws Exception
        {
            h = new SimHarness(seed, config);
            receiver.socket = h.backend(1, 0).openDatagram(target, null, receiver);
            sender = h.backend(2, 0).openDatagram(new InetSocketAddress(0), null, () -> { });
        }

        void sendAll() throws Exception
        {
            for (int i = 0; i < COUNT; i++)
            {
                final ByteBuffer src = ByteBuffer.wrap(payload(i));
                assertTrue(sender.send(src, target));
                assertFalse(src.hasRemaining(), "send copies the whole datagram");
            }
            h.runFor(SECOND_NS);
        }
    }

    @Test
    void withoutFaultsEveryDatagramArrivesOnceIntactAndInOrder() throws Exception
    {
        final Setup s = new Setup(40, NetworkConfig.defaults());
        s.sendAll();
        assertEquals(COUNT, s.receiver.datagrams.size());
        for (int i = 0; i < COUNT; i++)
        {
            assertArrayEquals(payload(i), s.receiver.datagrams.get(i));
            assertEquals(s.sender.localAddress(), s.receiver.senders.get(i));
        }
        assertEquals(SimHarness.host(2), s.sender.localAddress().getAddress());
        assertTrue(s.receiver.readableCalls > 0);
    }

    @Test
    void lossOneDropsEverything() throws Exception
    {
        final Setup s = new Setup(41, NetworkConfig.builder().datagramLossProbability(1).build());
        s.sendAll();
        assertEquals(0, s.receiver.datagrams.size());
        assertEquals(0, s.receiver.readableCalls, "no callback when nothing waits");
    }

    @Test
    void lossOneHalfDropsSomeButNotAll() throws Exception
    {
        final Setup s = new Setup(42, NetworkConfig.builder().datagramLossProbability(0.5).build());
        s.sendAll();
        final int got = s.receiver.datagrams.size();
        assertTrue(got > COUNT / 4 && got < COUNT * 3 / 4, "received " + got);
    }

    @Test
    void duplicateOneDeliversEachTwice() throws Exception
    {
        final Setup s = new Setup(43, NetworkConfig.builder().datagramDuplicateProbability(1).build());
        s.sendAll();
        assertEquals(2 * COUNT, s.receiver.datagrams.size());
        final int[] seen = new int[COUNT];
        for (final byte[] d : s.receiver.datagrams)
        {
            seen[((d[0] & 0xFF) << 8) | (d[1] & 0xFF)]++;
        }
        for (int i = 0; i < COUNT; i++)
        {
            assertEquals(2, seen[i], "datagram " + i);
        }
    }

    @Test
    void truncateOneCutsEachToAShorterPrefix() throws Exception
    {
        final Setup s = new Setup(44, NetworkConfig.builder().datagramTruncateProbability(1).build());
        s.sendAll();
        assertEquals(COUNT, s.receiver.datagrams.size());
        for (int i = 0; i < COUNT; i++)
        {
            final byte[] got = s.receiver.datagrams.get(i);
            final byte[] sent = payload(i);
            assertTrue(got.length < sent.length);
            assertArrayEquals(Arrays.copyOf(sent, got.length), got);
        }
    }

    @Test
    void corruptOneChangesExactlyOneByteOfEach() throws Exception
    {
        final Setup s = new Setup(45, NetworkConfig.builder().datagramCorruptProbability(1).build());
        s.sendAll();
        assertEquals(COUNT, s.receiver.datagrams.size());
        for (final byte[] got : s.receiver.datagrams)
        {
            int matches = 0;
            for (int i = 0; i < COUNT; i++)
            {
                final byte[] sent = payload(i);
                if (sent.length == got.length)
                {
                    int diff = 0;
                    for (int k = 0; k < sent.length; k++)
                    {
                        diff += sent[k] != got[k] ? 1 : 0;
                    }
                    matches += diff == 1 ? 1 : 0;
                }
            }
            assertTrue(matches >= 1, "one datagram sent differs from it in exactly one byte");
        }
    }

    @Test
    void reorderOneLetsDatagramsOvertakeEachOther() throws Exception
    {
        final Setup s = new Setup(46, NetworkConfig.builder().datagramReorderProbability(1).build());
        s.sendAll();
        assertEquals(COUNT, s.receiver.datagrams.size());
        int inversions = 0;
        int previous = -1;
        for (final byte[] d : s.receiver.datagrams)
        {
            final int i = ((d[0] & 0xFF) << 8) | (d[1] & 0xFF);
            inversions += i < previous ? 1 : 0;
            previous = i;
        }
        assertTrue(inversions > 0);
    }

    @Test
    void aReceiveWithLessRoomTruncatesTheDatagram() throws Exception
    {
        final Setup s = new Setup(47, NetworkConfig.defaults());
        s.receiver.roomBytes = 10;
        s.sendAll();
        assertEquals(COUNT, s.receiver.datagrams.size());
        assertArrayEquals(Arrays.copyOf(payload(0), 10), s.receiver.datagrams.get(0));
    }

    @Test
    void aConnectedSocketSendsToItsPeerAndHearsOnlyFromIt() throws Exception
    {
        final SimHarness h = new SimHarness(48);
        final Receiver server = new Receiver();
        final InetSocketAddress serverAddress = new InetSocketAddress(SimHarness.host(1), 4433);
        server.socket = h.backend(1, 0).openDatagram(serverAddress, null, server);
        final Receiver client = new Receiver();
        client.socket = h.backend(2, 0).openDatagram(new InetSocketAddress(0), serverAddress, client);
        final IoDatagramSocket stranger = h.backend(3, 0).openDatagram(new InetSocketAddress(0), null, () -> { });
        client.socket.send(ByteBuffer.wrap(new byte[] {1}), null);
        h.runFor(SECOND_NS);
        assertEquals(1, server.datagrams.size());
        server.socket.send(ByteBuffer.wrap(new byte[] {2}), server.senders.get(0));
        stranger.send(ByteBuffer.wrap(new byte[] {3}), client.socket.localAddress());
        h.runFor(SECOND_NS);
        assertEquals(1, client.datagrams.size());
        assertArrayEquals(new byte[] {2}, client.datagrams.get(0));
        assertEquals(3, h.network.openDatagramSockets());
    }

    @Test
    void partitionsDropDatagramsAndACrashSilencesTheHostsSockets() throws Exception
    {
        final Setup s = new Setup(49, NetworkConfig.defaults());
        s.h.network.block(SimHarness.host(1), SimHarness.host(2));
        s.sendAll();
        assertEquals(0, s.receiver.datagrams.size());
        s.h.network.healAll();
        s.sendAll();
        assertEquals(COUNT, s.receiver.datagrams.size());
        assertEquals(2, s.h.network.openDatagramSockets());
        s.sender.send(ByteBuffer.wrap(payload(1)), s.target); // in flight when the receiver's host crashes
        s.h.network.crash(SimHarness.host(1));
        assertEquals(1, s.h.network.openDatagramSockets());
        s.h.runFor(SECOND_NS);
        assertEquals(COUNT, s.receiver.datagrams.size());
        assertNull(s.receiver.socket.receive(ByteBuffer.allocate(10)), "silent, no exception");
        assertTrue(s.receiver.socket.send(ByteBuffer.wrap(new byte[] {1}), s.sender.localAddress()));
        s.receiver.socket.close();
        // The restarted host binds the same port again.
        final Receiver again = new Receiver();
        again.socket = s.h.backend(1, 0).openDatagram(s.target, null, again);
        s.sendAll();
        assertEquals(COUNT, again.datagrams.size());
    }

    @Test
    void aBoundPortConflictsAndAClosedSocketThrowsOnUse() throws Exception
    {
        final SimHarness h = new SimHarness(50);
        final SimBackend b = h.backend(1, 0);
        final InetSocketAddress address = new InetSocketAddress(SimHarness.host(1), 4433);
        final IoDatagramSocket socket = b.openDatagram(address, null, () -> { });
        assertThrows(BindException.class, () -> h.backend(1, 1).openDatagram(address, null, () -> { }));
        b.listen(address, a -> { }).close(); // TCP and UDP ports are apart
        socket.close();
        assertThrows(java.nio.channels.ClosedChannelException.class, () -> socket.receive(ByteBuffer.allocate(1)));
        b.openDatagram(address, null, () -> { }).close();
        assertEquals(0, h.network.openDatagramSockets());
    }

    @Test
    void datagramRunsAreDeterministicPerSeed() throws Exception
    {
        assertEquals(faulty(51), faulty(51));
        assertFalse(faulty(51).equals(faulty(52)));
    }

    private static String faulty(final long seed) throws Exception
    {
        final Setup s = new Setup(seed, NetworkConfig.builder().datagramLossProbability(0.1)
            .datagramDuplicateProbability(0.1).datagramTruncateProbability(0.1).datagramCorruptProbability(0.1)
            .datagramReorderProbability(0.2).build());
        s.sendAll();
        return s.h.trace.hex() + " " + s.receiver.datagrams.size();
    }
}
