package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static io.ringbus.sim.SimStreamTest.SECOND_NS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random connects, writes, half-closes, closes, partitions, heals, crashes, restarts and stream
 * faults over many seeds, checking what the network promises whatever happens: each side reads
 * a prefix of what the other side's writes took, in order and byte for byte; no completion comes
 * inside a call; socket buffers stay within bounds (the harness checks every step); and once the
 * faults stop and the partitions heal, every pair that saw no error delivers everything.
 */
class SimChaosTest
{
    private static final int HOSTS = 4;
    private static final int PORT = 7000;

    static final class World
    {
        final SimHarness h;
        final List<SimServer> servers = new ArrayList<>();
        final List<Peer> clients = new ArrayList<>();

        World(final long seed)
        {
            h = new SimHarness(seed, NetworkConfig.builder().sendBufferBytes(2000 + (int)(seed % 5) * 1000)
                .receiveBufferBytes(1500 + (int)(seed % 3) * 1000).maxChunkBytes(1200).userTimeoutNs(8 * SECOND_NS)
                .connectTimeoutNs(2 * SECOND_NS).streamResetProbability(seed % 4 == 0 ? 0.0005 : 0)
                .streamFinProbability(seed % 4 == 1 ? 0.0005 : 0).build());
            for (int host = 1; host <= HOSTS; host++)
            {
                start(host);
            }
        }

        void start(final int host)
        {
            try
            {
                final SimServer server = new SimServer(h.backend(host, 0), h.backend(host, 1),
                    new InetSocketAddress(SimHarness.host(host), PORT));
                server.echo = h.random.chance(0.5);
                servers.add(server);
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
        }

        Peer randomClient()
        {
            return clients.isEmpty() ? null : clients.get(h.random.nextInt(clients.size()));
        }

        List<Peer> allServerPeers()
        {
            final List<Peer> peers = new ArrayList<>();
            for (final SimServer server : servers)
            {
                peers.addAll(server.peers);
            }
            return peers;
        }

        void act() throws Exception
        {
            final SimRandom r = h.random;
            switch (r.nextInt(16))
            {
                case 0:
                case 1:
                {
                    final int from = 1 + r.nextInt(HOSTS);
                    final int to = 1 + r.nextInt(HOSTS + 1); // HOSTS + 1: a host with no listener
                    final SimBackend backend = liveBackend(from);
                    if (backend != null)
                    {
                        clients.add(Peer.connect(backend, new InetSocketAddress(SimHarness.host(to), PORT)));
                    }
                    break;
                }
                case 2:
                case 3:
                case 4:
                case 11:
                case 12:
                case 13:
                case 14:
                {
                    final Peer peer = r.nextInt(2) == 0 ? randomClient() : randomServerPeer();
                    if (peer != null && !peer.channel.isClosed())
                    {
                        final byte[] data = new byte[1 + r.nextInt(5000)];
                        for (int i = 0; i < data.length; i++)
                        {
                            data[i] = (byte)r.nextInt(256);
                        }
                        peer.send(data);
                    }
                    break;
                }
                case 5:
                {
                    final Peer peer = r.nextInt(2) == 0 ? randomClient() : randomServerPeer();
                    if (peer != null && r.chance(0.3))
                    {
                        if (r.nextInt(2) == 0)
                        {
                            peer.channel.shutdownOutput();
                        }
                        else
                        {
                            peer.channel.close();
                        }
                    }
                    break;
                }
                case 6:
                    h.network.block(SimHarness.host(1 + r.nextInt(HOSTS)), SimHarness.host(1 + r.nextInt(HOSTS)));
                    break;
                case 7:
                    h.network.healAll();
                    break;
                case 8:
                {
                    if (r.chance(0.15))
                    {
                        final int host = 1 + r.nextInt(HOSTS);
                        h.network.crash(SimHarness.host(host));
                        if (r.nextInt(2) == 0)
                        {
                            start(host); // restart at once; else at the end
                        }
                    }
                    break;
                }
                case 9:
                    if (r.chance(0.3))
                    {
                        h.network.resetRandomStream();
                    }
                    break;
                case 10:
                    if (r.chance(0.3))
                    {
                        h.network.finRandomStream();
                    }
                    break;
                default:
                    break;
            }
        }

        private Peer randomServerPeer()
        {
            final List<Peer> peers = allServerPeers();
            return peers.isEmpty() ? null : peers.get(h.random.nextInt(peers.size()));
        }

        private SimBackend liveBackend(final int host)
        {
            for (int i = h.backends.size() - 1; i >= 0; i--)
            {
                final SimBackend b = h.backends.get(i);
                if (!b.isDead() && b.host().equals(SimHarness.host(host)))
                {
                    return b;
                }
            }
            return null;
        }

        /** Each side read a prefix of what the other side's writes took. */
        void checkPrefixes(final long seed)
        {
            for (final Peer server : allServerPeers())
            {
                final Peer client = clientOf(server);
                assertTrue(client != null, "seed " + seed + ": every accepted socket has its dialer");
                checkPrefix(seed, client, server);
                checkPrefix(seed, server, client);
            }
            for (final Peer p : clients)
            {
                assertFalse(p.inlineCompletion, "seed " + seed + ": a completion inside a call");
                assertFalse(p.positionMismatch, "seed " + seed + ": positions disagree with a write's result");
            }
        }

        Peer clientOf(final Peer server)
        {
            final InetSocketAddress dialer = ((SimChannel)server.channel).endpoint.remote;
            for (final Peer client : clients)
            {
                if (((SimChannel)client.channel).endpoint.local.equals(dialer))
                {
                    return client;
                }
            }
            return null;
        }

        private static void checkPrefix(final long seed, final Peer sender, final Peer receiver)
        {
            final byte[] got = receiver.receivedBytes();
            final byte[] sent = sender.sentLog.toByteArray();
            assertTrue(got.length <= sender.written, "seed " + seed + ": read more than was written: " + got.length +
                " > " + sender.written);
            assertArrayEquals(Arrays.copyOf(sent, got.length), got, "seed " + seed + ": not a prefix, in order");
        }
    }

    @Test
    void whateverHappensEachSideReadsAPrefixOfWhatTheOtherWrote() throws Exception
    {
        int cleanPairsWithData = 0;
        int pairs = 0;
        for (long seed = 1; seed <= 60; seed++)
        {
            final World w = new World(seed);
            for (int round = 0; round < 150; round++)
            {
                w.act();
                w.h.runFor(w.h.random.nextLong(300_000_000L));
            }
            w.checkPrefixes(seed);
            // The faults stop: heal, bring every crashed host back, let retransmissions and timeouts play out.
            w.h.network.healAll();
            for (int host = 1; host <= HOSTS; host++)
            {
                if (w.h.network.isDown(SimHarness.host(host)))
                {
                    w.start(host);
                }
            }
            w.h.runFor(60 * SECOND_NS);
            w.checkPrefixes(seed);
            for (final Peer server : w.allServerPeers())
            {
                final Peer client = w.clientOf(server);
                pairs++;
                if (clean(server) && clean(client))
                {
                    cleanPairsWithData += client.written > 0 ? 1 : 0;
                    assertEquals(client.written, server.received.size(), "seed " + seed + ": client to server");
                    assertEquals(server.written, client.received.size(), "seed " + seed + ": server to client");
                }
            }
        }
        System.out.println("chaos: " + pairs + " connections, " + cleanPairsWithData + " clean ones with data");
        assertTrue(cleanPairsWithData > 20, "the delivery check must have cases: " + cleanPairsWithData);
    }

    /** A side that is open on a live backend and saw neither an error nor an EOF. */
    private static boolean clean(final Peer p)
    {
        return !p.channel.isClosed() && !((SimChannel)p.channel).backend.isDead() && p.readError == 0 &&
            p.writeError == 0 && !p.eof;
    }

    @Test
    void aChaoticRunRepeatsItsTraceBySeed() throws Exception
    {
        assertEquals(chaos(77), chaos(77));
        assertFalse(chaos(77).equals(chaos(78)));
    }

    private static String chaos(final long seed) throws Exception
    {
        final World w = new World(seed);
        for (int round = 0; round < 100; round++)
        {
            w.act();
            w.h.runFor(w.h.random.nextLong(300_000_000L));
        }
        return w.h.trace.hex() + " " + w.h.trace.events();
    }
}
