package io.ringbus.cli.sim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulationTest
{
    @Test
    void aQuietRunAnswersEveryRequest()
    {
        final Simulation.Result result = new Simulation(
            new Simulation.Options(1, 3, 4, 2000, Simulation.Faults.NONE)).run();
        System.out.println(result.line());
        result.traceTail().stream().skip(180).forEach(System.out::println);
        assertTrue(result.ok(), result.line());
        assertTrue(result.requestsAnswered() > 0, result.line());
    }
}
