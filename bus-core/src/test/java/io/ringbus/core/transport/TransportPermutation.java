package io.ringbus.core.transport;

import io.ringbus.core.backend.IoBackendProvider;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.IdleMode;

import java.util.Objects;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One combination of the test matrix: a scheme, the backend the bus runs on, the TLS provider
 * (where the scheme has TLS) and the shards' idle mode. Its {@link #toString()} is the display name
 * of every test run under it. Made by {@link TransportPermutations}; immutable, any thread.
 */
public final class TransportPermutation
{
    /** The schemes of the matrix. QUIC has its own suite (one backend-independent UDP carrier). */
    public enum Scheme
    {
        TCP("tcp", false),
        TLS("tls", true),
        WS("ws", false),
        WSS("wss", true);

        private final String uri;
        private final boolean tls;

        Scheme(final String uri, final boolean tls)
        {
            this.uri = uri;
            this.tls = tls;
        }

        /** The URI scheme: tcp, tls, ws, wss. */
        public String uri()
        {
            return uri;
        }

        /** True if this scheme runs over TLS, so it is tested once per TLS provider. */
        public boolean hasTls()
        {
            return tls;
        }
    }

    /** The TLS provider on the bus and the SDK client; NONE where the scheme has no TLS. */
    public enum Tls
    {
        NONE(""),
        JDK("JDK"),
        BOUNCY_CASTLE("BouncyCastle");

        private final String displayName;

        Tls(final String displayName)
        {
            this.displayName = displayName;
        }

        public String displayName()
        {
            return displayName;
        }
    }

    private final Scheme scheme;
    private final Backend backend;
    private final Tls tls;
    private final IdleMode idleMode;

    TransportPermutation(final Scheme scheme, final Backend backend, final Tls tls, final IdleMode idleMode)
    {
        if (backend == Backend.AUTO)
        {
            throw new IllegalArgumentException("a permutation names its backend: AUTO would hide which one ran");
        }
        if (scheme.hasTls() == (tls == Tls.NONE))
        {
            throw new IllegalArgumentException(scheme + " with TLS provider " + tls);
        }
        this.scheme = Objects.requireNonNull(scheme);
        this.backend = backend;
        this.tls = Objects.requireNonNull(tls);
        this.idleMode = Objects.requireNonNull(idleMode);
    }

    public Scheme scheme()
    {
        return scheme;
    }

    public Backend backend()
    {
        return backend;
    }

    public Tls tls()
    {
        return tls;
    }

    public IdleMode idleMode()
    {
        return idleMode;
    }

    /** The same combination with the shards in {@code mode}. */
    public TransportPermutation withIdleMode(final IdleMode mode)
    {
        return new TransportPermutation(scheme, backend, tls, mode);
    }

    /** The backend's name as {@code MessageBus.backendName()} reports it. */
    public String backendName()
    {
        return backend == Backend.IO_URING ? "io_uring" : "nio";
    }

    /** Apply the backend and idle mode (scheme-specific settings, such as certificates, are the caller's). */
    public BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(backend).idleMode(idleMode);
    }

    /** True if this module's class path has the backend (io_uring lives in bus-uring). */
    public boolean backendOnClassPath()
    {
        return backend == Backend.NIO || IoBackendProvider.find(backendName()) != null;
    }

    /**
     * Skip (as an assumption, reported as skipped, never passed) when the machine cannot run this
     * combination: io_uring needs a kernel and a JNI library that allow it.
     */
    public void assumeRunnable()
    {
        if (backend == Backend.IO_URING)
        {
            final IoBackendProvider provider = IoBackendProvider.find(backendName());
            assumeTrue(provider != null, "no io_uring backend on this class path");
            assumeTrue(provider.isAvailable(), () -> "io_uring unavailable: " + provider.unavailabilityReason());
        }
    }

    /** The display name: "wss · io_uring · BouncyCastle", "tcp · io_uring · spinning". */
    @Override
    public String toString()
    {
        final StringBuilder name = new StringBuilder(scheme.uri()).append(" · ").append(backendName());
        if (tls != Tls.NONE)
        {
            name.append(" · ").append(tls.displayName());
        }
        if (idleMode != IdleMode.BLOCKING)
        {
            name.append(" · ").append(idleMode.name().toLowerCase());
        }
        return name.toString();
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof TransportPermutation && toString().equals(other.toString());
    }

    @Override
    public int hashCode()
    {
        return toString().hashCode();
    }
}
