package io.ringbus.cli;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link JsonLine}: members in order, strings escaped so that a strict parser reads them back, numbers rounded. */
class JsonLineTest
{
    @Test
    void writesWhatAStrictParserReadsBack()
    {
        final String awkward = "say \"hi\" \\ back\nslash\ttab \u0001 µs";
        final String line = new JsonLine()
            .put("text", awkward)
            .put("none", (String)null)
            .put("count", -42L)
            .put("yes", true)
            .put("rate", 1234.5678, 1)
            .put("whole", 99.5, 0)
            .put("nan", Double.NaN, 1)
            .put("list", List.of("a", "b\"c"))
            .toString();
        assertEquals(1, line.lines().count(), line);
        final Map<String, Object> object = StrictJson.object(line);
        assertEquals(List.of("text", "none", "count", "yes", "rate", "whole", "nan", "list"), List.copyOf(object.keySet()));
        assertEquals(awkward, object.get("text"));
        assertEquals(StrictJson.NULL, object.get("none"));
        assertEquals(new BigDecimal("-42"), object.get("count"));
        assertEquals(Boolean.TRUE, object.get("yes"));
        assertEquals(new BigDecimal("1234.6"), object.get("rate"));
        assertEquals(new BigDecimal("100"), object.get("whole"));
        assertEquals(StrictJson.NULL, object.get("nan"));
        assertEquals(List.of("a", "b\"c"), object.get("list"));
        assertEquals("{}", new JsonLine().toString());
    }

    @Test
    void demoRowOfATransportTheBuildLacks()
    {
        final List<String> rows = DemoCommand.jsonRows("nio", Map.of(), Map.of(),
            Map.of("quic", DemoCommand.NOT_AVAILABLE));
        assertEquals(List.of("{\"type\":\"result\",\"transport\":\"quic\",\"available\":false,\"reason\":\"" +
            DemoCommand.NOT_AVAILABLE + "\"}"), rows);
    }
}
