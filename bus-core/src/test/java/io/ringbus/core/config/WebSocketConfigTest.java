package io.ringbus.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebSocketConfigTest
{
    private static final int MIB = 1024 * 1024;

    private static void assertRejected(WebSocketConfig.Builder builder, String field, Object value)
    {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, builder::build);
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + " = " + value + ": "), e.getMessage());
    }

    @Test
    void defaultsAreTheBusDefaultAndAcceptAnything()
    {
        WebSocketConfig ws = WebSocketConfig.builder().build();

        assertEquals(64 * MIB, ws.maxFrameSize());
        assertEquals(64 * MIB, ws.maxMessageSize());
        assertEquals(BusConfig.DEFAULT_MAX_MESSAGE_SIZE, ws.maxMessageSize());
        assertTrue(ws.allowedPaths().isEmpty());
        assertTrue(ws.allowedOrigins().isEmpty());
        assertEquals(WebSocketConfig.defaults(), ws);
    }

    @Test
    void defaultsIsTheBusConfigDefault()
    {
        assertSame(WebSocketConfig.defaults(), BusConfig.builder().build().webSocket());
    }

    @ParameterizedTest
    @ValueSource(ints = {255, 0, -1})
    void frameSizeBelowHeaderSizeIsRejected(int size)
    {
        assertRejected(WebSocketConfig.builder().maxFrameSize(size), "ws_max_frame_size", size);
    }

    @ParameterizedTest
    @ValueSource(ints = {255, 0, -1})
    void messageSizeBelowHeaderSizeIsRejected(int size)
    {
        assertRejected(WebSocketConfig.builder().maxMessageSize(size), "ws_max_message_size", size);
    }

    @Test
    void headerSizedLimitsAreAccepted()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxFrameSize(256).maxMessageSize(256).build();
        assertEquals(256, ws.maxFrameSize());
        assertEquals(256, ws.maxMessageSize());
    }

    @Test
    void unsetFrameSizeFollowsMessageSize()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxMessageSize(4096).build();
        assertEquals(4096, ws.maxFrameSize());
    }

    @Test
    void pathWithoutLeadingSlashIsRejected()
    {
        Set<String> paths = new LinkedHashSet<>(List.of("/ok", "bus"));
        assertRejected(WebSocketConfig.builder().allowedPaths(paths), "ws_allowed_paths", paths);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " "})
    void blankOriginIsRejected(String origin)
    {
        Set<String> origins = Set.of(origin);
        assertRejected(WebSocketConfig.builder().allowedOrigins(origins), "ws_allowed_origins", origins);
    }

    @Test
    void allowedSetsKeepOrderAndAreCopiedAndUnmodifiable()
    {
        Set<String> paths = new LinkedHashSet<>(List.of("/b", "/a"));
        Set<String> origins = new HashSet<>(Set.of("https://example.com"));
        WebSocketConfig ws = WebSocketConfig.builder().allowedPaths(paths).allowedOrigins(origins).build();
        paths.add("/c");
        origins.clear();

        assertEquals(List.of("/b", "/a"), List.copyOf(ws.allowedPaths()));
        assertEquals(Set.of("https://example.com"), ws.allowedOrigins());
        assertThrows(UnsupportedOperationException.class, () -> ws.allowedPaths().add("/d"));
        assertThrows(UnsupportedOperationException.class, () -> ws.allowedOrigins().clear());
    }

    @Test
    void nullArgumentsAreRejectedNamingTheParameter()
    {
        NullPointerException paths =
                assertThrows(NullPointerException.class, () -> WebSocketConfig.builder().allowedPaths(null));
        assertEquals("allowedPaths", paths.getMessage());
        NullPointerException origins =
                assertThrows(NullPointerException.class, () -> WebSocketConfig.builder().allowedOrigins(null));
        assertEquals("allowedOrigins", origins.getMessage());
        Set<String> withNull = new HashSet<>(Arrays.asList("/a", null));
        NullPointerException element =
                assertThrows(NullPointerException.class, () -> WebSocketConfig.builder().allowedPaths(withNull));
        assertTrue(element.getMessage().startsWith("allowedPaths"), element.getMessage());
    }

    @Test
    void toBuilderKeepsValuesAndWhichSizesAreUnset()
    {
        WebSocketConfig original = WebSocketConfig.builder()
                .maxFrameSize(4096)
                .allowedPaths(Set.of("/bus"))
                .allowedOrigins(Set.of("https://example.com"))
                .build();
        WebSocketConfig copy = original.toBuilder().build();
        assertEquals(original, copy);
        assertEquals(original.hashCode(), copy.hashCode());

        // The message size stays unset, so under a bus it still follows max_message_size.
        BusConfig bus = BusConfig.builder().maxMessageSize(MIB).webSocket(copy).build();
        assertEquals(4096, bus.webSocket().maxFrameSize());
        assertEquals(MIB, bus.webSocket().maxMessageSize());
    }

    @Test
    void toStringNamesFieldsAndValues()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxFrameSize(4096).allowedPaths(Set.of("/bus")).build();
        assertEquals(
                "WebSocketConfig{ws_max_frame_size=4096, ws_max_message_size=67108864, "
                        + "ws_allowed_paths=[/bus], ws_allowed_origins=any}",
                ws.toString());
    }
}
