package io.ringbus.core.transport;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.IdleMode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The one source of the transport test matrix, as Netty's {@code TestsuitePermutation}: every
 * scheme on every backend, and each TLS scheme with every TLS provider. Test classes take their
 * combinations from here ({@code @ParameterizedClass @MethodSource}), filtered only by scheme (the
 * module that owns the carrier) and by what the module's class path has, so adding a backend or a
 * provider adds it to every suite and no combination is left out by hand. io_uring combinations
 * are skipped by assumption where the machine lacks it ({@link TransportPermutation#assumeRunnable}).
 * Any thread.
 */
public final class TransportPermutations
{
    /** The backends of the matrix (AUTO is not one: a test names the backend it ran on). */
    public static final List<Backend> BACKENDS = List.of(Backend.NIO, Backend.IO_URING);

    private static final List<TransportPermutation> ALL = product();

    private TransportPermutations()
    {
    }

    /** Every combination: tcp/tls/ws/wss x nio/io_uring x JDK/BouncyCastle where TLS applies. */
    public static List<TransportPermutation> all()
    {
        return ALL;
    }

    /** Every combination of {@code schemes} whose backend this module's class path has. */
    public static Stream<TransportPermutation> of(final TransportPermutation.Scheme first,
        final TransportPermutation.Scheme... more)
    {
        final Set<TransportPermutation.Scheme> schemes = EnumSet.of(first, more);
        return ALL.stream().filter(p -> schemes.contains(p.scheme()) && p.backendOnClassPath());
    }

    /**
     * The io_uring combinations of {@code schemes} again with spinning shards: there only
     * {@code poll(0)} runs, so every completion must surface without a blocking enter.
     */
    public static Stream<TransportPermutation> spinningOnIoUring(final TransportPermutation.Scheme first,
        final TransportPermutation.Scheme... more)
    {
        return of(first, more).filter(p -> p.backend() == Backend.IO_URING)
            .map(p -> p.withIdleMode(IdleMode.SPINNING));
    }

    private static List<TransportPermutation> product()
    {
        final List<TransportPermutation> all = new ArrayList<>();
        for (final TransportPermutation.Scheme scheme : TransportPermutation.Scheme.values())
        {
            for (final Backend backend : BACKENDS)
            {
                for (final TransportPermutation.Tls tls : TransportPermutation.Tls.values())
                {
                    if (scheme.hasTls() != (tls == TransportPermutation.Tls.NONE))
                    {
                        all.add(new TransportPermutation(scheme, backend, tls, IdleMode.BLOCKING));
                    }
                }
            }
        }
        return Collections.unmodifiableList(all);
    }
}
