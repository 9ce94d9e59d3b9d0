package io.ringbus.cli.sim;

import io.ringbus.cli.sim.Simulation.Faults;
import io.ringbus.cli.sim.Simulation.Options;
import io.ringbus.cli.sim.Simulation.Sabotage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.ringbus.sim.NetworkConfig;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulation itself: a run is a function of its seed and options, a quiet run answers every
 * request, and each invariant catches the bug it names when one is planted.
 */
class SimulationTest
{
    @Test
    void aQuietRunAnswersEveryRequestAndPassesEveryCheck()
    {
        final Simulation.Result result = new Simulation(new Options(1, 3, 4, 2000, Faults.NONE)).run();
        assertTrue(result.ok(), result.line());
        assertTrue(result.requestsAnswered() > 1000, result.line());
        assertTrue(result.preparesSeen() >= 2 * result.requestsAnswered(), "every request prepared at both backups: " +
            result.line());
        assertEquals(0, result.faultsInjected());
        assertTrue(result.answeredByTransport().get("quic") > 100, "quic clients answered: " + result.line());
    }

    /** QUIC's own loss recovery: with network faults every datagram may be lost, doubled, reordered, cut or corrupted. */
    @Test
    void quicClientsAreAnsweredOverLossyDatagrams()
    {
        final NetworkConfig lossy = Simulation.networkConfig(Faults.NETWORK);
        assertTrue(lossy.datagramLossProbability() > 0 && lossy.datagramDuplicateProbability() > 0 &&
            lossy.datagramReorderProbability() > 0 && lossy.datagramTruncateProbability() > 0 &&
            lossy.datagramCorruptProbability() > 0, lossy.toString());
        final Simulation.Result result = new Simulation(new Options(2, 3, 3, 3000, Faults.NETWORK)).run();
        assertTrue(result.ok(), result.line());
        assertTrue(result.answeredByTransport().get("quic") > 100, "quic clients answered: " + result.line());
    }

    @Test
    void theSameSeedAndOptionsGiveTheSameRunAndTraceHash()
    {
        final Options options = new Options(7, 3, 4, 3000, Faults.ALL);
        final Simulation.Result first = new Simulation(options).run();
        final Simulation.Result second = new Simulation(options).run();
        assertTrue(first.faultsInjected() > 0, first.line());
        assertEquals(first.line(), second.line());
        assertEquals(first.traceTail(), second.traceTail());
    }

    @Test
    void otherSeedsGiveOtherRuns()
    {
        final Set<String> traces = new HashSet<>();
        for (long seed = 1; seed <= 4; seed++)
        {
            traces.add(new Simulation(new Options(seed, 3, 2, 1000, Faults.NETWORK)).run().trace());
        }
        assertEquals(4, traces.size(), traces.toString());
    }

    @Test
    void theNodesCountQuicLossAndRetransmissionOverLossyDatagrams()
    {
        final Simulation simulation = new Simulation(new Options(5, 3, 3, 4000, Faults.NETWORK));
        final Simulation.Result result = simulation.run();
        assertTrue(result.ok(), result.line());
        final java.util.Map<String, Long> counters = simulation.nodeCounters();
        assertTrue(counters.get("client.quic.connections_opened") > 0, counters.toString());
        assertTrue(counters.get("client.quic.packets_sent") > 0, counters.toString());
        assertTrue(counters.get("client.quic.packets_lost") > 0, "datagrams were lost: " + counters);
        assertTrue(counters.get("client.quic.packets_retransmitted") >= counters.get("client.quic.packets_lost"),
            "every packet declared lost has its frames sent again: " + counters);
    }

    @ParameterizedTest(name = "{0} is caught as: {1}")
    @CsvSource({
        "SKIP_SEND_NUMBER, per-connection order",
        "CORRUPT_BODY, byte for byte",
        "LEAK_BUFFER, no pooled buffer leaks",
        "LOG_ERROR, no error logged",
        "THROW_IN_HANDLER, ",
        "CUT_REPLICA_LINK, replicas reconnect after a heal",
        "WRONG_REPLY, a reply answers its own request",
    })
    void aPlantedBugIsCaughtByTheInvariantThatNamesIt(final Sabotage sabotage, final String invariant)
    {
        final Simulation.Result result = new Simulation(new Options(3, 3, 4, 2000, Faults.NONE), sabotage).run();
        assertFalse(result.ok(), sabotage + " went unnoticed: " + result.line());
        if (invariant != null)
        {
            assertTrue(result.violation().startsWith(invariant), result.violation());
        }
        assertTrue(result.line().startsWith("seed 3 FAIL " + result.violation()), result.line());
    }
}
