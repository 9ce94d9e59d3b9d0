package io.ringbus.core.config;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Limits and admission rules of the ws and wss transports (RFC 6455).
 *
 * <p>{@code maxFrameSize} bounds one WebSocket frame, {@code maxMessageSize} one reassembled
 * message (which carries exactly one ringbus frame); a message over the limit is closed with 1009.
 * A size left unset is "no tighter than the bus": {@code maxMessageSize} follows the bus
 * {@code max_message_size} and {@code maxFrameSize} follows {@code maxMessageSize}. On a
 * stand-alone instance an unset size reads as {@link #DEFAULT_MAX_MESSAGE_SIZE}, the bus default;
 * inside a {@link BusConfig} it reads as the bus value. The cross-field rule
 * {@code ws_max_frame_size <= ws_max_message_size <= max_message_size} is checked by
 * {@link BusConfig.Builder#build()}.
 *
 * <p>Empty {@link #allowedPaths()} accepts any request path and empty {@link #allowedOrigins()}
 * any {@code Origin}. Immutable, so any thread may read it.
 */
public final class WebSocketConfig
{
    /** Default {@code ws_max_frame_size}: the bus default {@code max_message_size}, 64 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = BusConfig.DEFAULT_MAX_MESSAGE_SIZE;
    /** Default {@code ws_max_message_size}: the bus default {@code max_message_size}, 64 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = BusConfig.DEFAULT_MAX_MESSAGE_SIZE;

    private static final WebSocketConfig DEFAULTS = builder().build();

    private final int maxFrameSize;
    private final int maxMessageSize;
    // Whether the size was set explicitly; an unset size follows the bus (see resolve).
    private final boolean maxFrameSizeSet;
    private final boolean maxMessageSizeSet;
    private final Set<String> allowedPaths;
    private final Set<String> allowedOrigins;

    private WebSocketConfig(
            int maxFrameSize,
            int maxMessageSize,
            boolean maxFrameSizeSet,
            boolean maxMessageSizeSet,
            Set<String> allowedPaths,
            Set<String> allowedOrigins)
    {
        this.maxFrameSize = maxFrameSize;
        this.maxMessageSize = maxMessageSize;
        this.maxFrameSizeSet = maxFrameSizeSet;
        this.maxMessageSizeSet = maxMessageSizeSet;
        this.allowedPaths = allowedPaths;
        this.allowedOrigins = allowedOrigins;
    }

    /**
     * Returns the default configuration: sizes follow the bus, any path, any origin.
     *
     * @return the shared default instance
     */
    public static WebSocketConfig defaults()
    {
        return DEFAULTS;
    }

    /**
     * Returns a new builder holding the defaults. The builder is not thread-safe.
     *
     * @return a new builder
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Returns a new builder holding this configuration's values, including which sizes are unset.
     *
     * @return a new builder
     */
    public Builder toBuilder()
    {
        Builder builder = new Builder();
        builder.maxFrameSize = maxFrameSize;
        builder.maxMessageSize = maxMessageSize;
        builder.maxFrameSizeSet = maxFrameSizeSet;
        builder.maxMessageSizeSet = maxMessageSizeSet;
        builder.allowedPaths = allowedPaths;
        builder.allowedOrigins = allowedOrigins;
        return builder;
    }

    /**
     * Returns the largest accepted WebSocket frame, payload bytes ({@code ws_max_frame_size}).
     *
     * @return the frame size limit in bytes
     */
    public int maxFrameSize()
    {
        return maxFrameSize;
    }

    /**
     * Returns the largest accepted WebSocket message, payload bytes ({@code ws_max_message_size}).
     *
     * @return the message size limit in bytes
     */
    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    /**
     * Returns the accepted request paths; empty means any path.
     *
     * @return an unmodifiable set, in the order given to the builder
     */
    public Set<String> allowedPaths()
    {
        return allowedPaths;
    }

    /**
     * Returns the accepted {@code Origin} header values; empty means any origin.
     *
     * @return an unmodifiable set, in the order given to the builder
     */
    public Set<String> allowedOrigins()
    {
        return allowedOrigins;
    }

    /** Fills unset sizes: the message size from {@code inheritedMessageSize}, the frame size from the message size. */
    WebSocketConfig resolve(int inheritedMessageSize)
    {
        int messageSize = maxMessageSizeSet ? maxMessageSize : inheritedMessageSize;
        int frameSize = maxFrameSizeSet ? maxFrameSize : messageSize;
        if (messageSize == maxMessageSize && frameSize == maxFrameSize)
        {
            return this;
        }
        return new WebSocketConfig(
                frameSize, messageSize, maxFrameSizeSet, maxMessageSizeSet, allowedPaths, allowedOrigins);
    }

    /**
     * Compares the effective values, which sizes are unset, and the allowed sets.
     *
     * @param other the object to compare with
     * @return whether {@code other} is an equal configuration
     */
    @Override
    public boolean equals(Object other)
    {
        if (this == other)
        {
            return true;
        }
        if (!(other instanceof WebSocketConfig))
        {
            return false;
        }
        WebSocketConfig that = (WebSocketConfig) other;
        return maxFrameSize == that.maxFrameSize
                && maxMessageSize == that.maxMessageSize
                && maxFrameSizeSet == that.maxFrameSizeSet
                && maxMessageSizeSet == that.maxMessageSizeSet
                && allowedPaths.equals(that.allowedPaths)
                && allowedOrigins.equals(that.allowedOrigins);
    }

    /**
     * Returns a hash consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode()
    {
        return Objects.hash(
                maxFrameSize, maxMessageSize, maxFrameSizeSet, maxMessageSizeSet, allowedPaths, allowedOrigins);
    }

    /**
     * Returns the configuration as {@code WebSocketConfig{ws_max_frame_size=..., ...}}.
     *
     * @return a readable rendering for logs
     */
    @Override
    public String toString()
    {
        return "WebSocketConfig{ws_max_frame_size=" + maxFrameSize
                + ", ws_max_message_size=" + maxMessageSize
                + ", ws_allowed_paths=" + (allowedPaths.isEmpty() ? "any" : allowedPaths)
                + ", ws_allowed_origins=" + (allowedOrigins.isEmpty() ? "any" : allowedOrigins)
                + '}';
    }

    /**
     * Collects WebSocket settings; {@link #build()} checks each value on its own. Not thread-safe:
     * use a builder from one thread, then share the built {@link WebSocketConfig}.
     */
    public static final class Builder
    {
        private int maxFrameSize;
        private int maxMessageSize;
        // Unset: the message size follows the bus max_message_size, the frame size the message size.
        private boolean maxFrameSizeSet;
        private boolean maxMessageSizeSet;
        private Set<String> allowedPaths = Set.of();
        private Set<String> allowedOrigins = Set.of();

        private Builder()
        {
        }

        /**
         * Sets {@code ws_max_frame_size}, the largest accepted WebSocket frame payload.
         *
         * @param maxFrameSize bytes, at least {@link BusConfig#MIN_MESSAGE_SIZE}
         * @return this builder
         */
        public Builder maxFrameSize(int maxFrameSize)
        {
            this.maxFrameSize = maxFrameSize;
            this.maxFrameSizeSet = true;
            return this;
        }

        /**
         * Sets {@code ws_max_message_size}, the largest accepted WebSocket message payload.
         *
         * @param maxMessageSize bytes, at least {@link BusConfig#MIN_MESSAGE_SIZE} and at most the
         *                       bus {@code max_message_size}
         * @return this builder
         */
        public Builder maxMessageSize(int maxMessageSize)
        {
            this.maxMessageSize = maxMessageSize;
            this.maxMessageSizeSet = true;
            return this;
        }

        /**
         * Sets the accepted request paths, each starting with {@code /}; empty accepts any path.
         *
         * @param allowedPaths the paths; copied
         * @return this builder
         * @throws NullPointerException if the set or an element is null
         */
        public Builder allowedPaths(Set<String> allowedPaths)
        {
            this.allowedPaths = copy(allowedPaths, "allowedPaths");
            return this;
        }

        /**
         * Sets the accepted {@code Origin} header values; empty accepts any origin.
         *
         * @param allowedOrigins the origins, for example {@code https://example.com}; copied
         * @return this builder
         * @throws NullPointerException if the set or an element is null
         */
        public Builder allowedOrigins(Set<String> allowedOrigins)
        {
            this.allowedOrigins = copy(allowedOrigins, "allowedOrigins");
            return this;
        }

        /**
         * Checks each value and returns the configuration.
         *
         * @return the built configuration
         * @throws InvalidConfigException if a size is below {@link BusConfig#MIN_MESSAGE_SIZE}, a
         *                                path does not start with {@code /} or an origin is blank
         */
        public WebSocketConfig build()
        {
            if (maxFrameSizeSet)
            {
                requireFrameSized("ws_max_frame_size", maxFrameSize);
            }
            if (maxMessageSizeSet)
            {
                requireFrameSized("ws_max_message_size", maxMessageSize);
            }
            for (String path : allowedPaths)
            {
                if (!path.startsWith("/"))
                {
                    throw new InvalidConfigException(
                            "ws_allowed_paths", allowedPaths, "path '" + path + "' must start with /");
                }
            }
            for (String origin : allowedOrigins)
            {
                if (origin.isBlank())
                {
                    throw new InvalidConfigException(
                            "ws_allowed_origins", allowedOrigins, "origins must not be blank");
                }
            }
            WebSocketConfig config = new WebSocketConfig(
                    maxFrameSize, maxMessageSize, maxFrameSizeSet, maxMessageSizeSet, allowedPaths, allowedOrigins);
            return config.resolve(DEFAULT_MAX_MESSAGE_SIZE);
        }

        private static void requireFrameSized(String field, int size)
        {
            if (size < BusConfig.MIN_MESSAGE_SIZE)
            {
                throw new InvalidConfigException(
                        field, size, "must be >= " + BusConfig.MIN_MESSAGE_SIZE + " (the frame header size)");
            }
        }

        private static Set<String> copy(Set<String> values, String name)
        {
            Objects.requireNonNull(values, name);
            Set<String> copy = new LinkedHashSet<>();
            for (String value : values)
            {
                copy.add(Objects.requireNonNull(value, name + " element"));
            }
            return Collections.unmodifiableSet(copy);
        }
    }
}
