package io.ringbus.core.shard;

import org.agrona.UnsafeApi;

/**
 * Checks, before anything starts, that Agrona can reach what it needs. On Java 17 Agrona's
 * {@code org.agrona.UnsafeApi} reads {@code jdk.internal.misc.Unsafe} in its static initialiser,
 * which fails with an {@link IllegalAccessError} unless {@code java.base} exports
 * {@code jdk.internal.misc} to it. Every {@code UnsafeBuffer} and {@code BufferUtil} use goes
 * through that class, so without the export the first connection (the first frame decoder) would
 * kill a shard thread; {@code MessageBus.start} and {@code BusClient.connect} call
 * {@link #require(String)} to fail at once instead, saying what to add. Any thread.
 */
public final class AgronaAccess
{
    /** The JVM option that grants it, for a class path (unnamed module) set-up. */
    public static final String ADD_EXPORTS_FLAG = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    private AgronaAccess()
    {
    }

    /** Why Agrona cannot work in this JVM, or null when it can. Probed once per class loader. */
    public static Throwable problem()
    {
        return Probe.PROBLEM;
    }

    /**
     * Throw an {@link IllegalStateException} naming {@link #ADD_EXPORTS_FLAG} if Agrona cannot
     * reach {@code jdk.internal.misc.Unsafe}.
     *
     * @param who what is starting, for the message ("MessageBus.start").
     */
    public static void require(final String who)
    {
        final Throwable problem = Probe.PROBLEM;
        if (problem != null)
        {
            throw new IllegalStateException(who + ": Agrona (org.agrona.UnsafeApi) cannot access " +
                "jdk.internal.misc.Unsafe: start the JVM with " + ADD_EXPORTS_FLAG +
                " (an executable jar may instead carry the manifest entry 'Add-Exports: java.base/jdk.internal.misc'; " +
                "with Agrona on the module path export the package to org.agrona)", problem);
        }
    }

    /** The probe runs once: the class initialiser of UnsafeApi is attempted only once per JVM anyway. */
    private static final class Probe
    {
        static final Throwable PROBLEM = probe();

        private static Throwable probe()
        {
            try
            {
                // The first use of UnsafeApi runs its static initialiser, the call that needs the export.
                UnsafeApi.arrayBaseOffset(byte[].class);
                return null;
            }
            catch (final LinkageError ex)
            {
                // IllegalAccessError the first time; NoClassDefFoundError if UnsafeApi already failed to initialise.
                return ex;
            }
        }
    }
}
