package io.ringbus.sim;

import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * The one seeded source of every decision a simulation makes: xoshiro256** seeded through
 * SplitMix64, both fully specified here so that a seed gives the same stream on every JVM (unlike
 * {@link java.util.Random} subclasses or {@link java.util.SplittableRandom}, whose algorithms the
 * JDK may change). Not thread-safe: the simulation thread only.
 */
public final class SimRandom
{
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private long s0;
    private long s1;
    private long s2;
    private long s3;

    /** A stream determined by {@code seed} alone. */
    public SimRandom(final long seed)
    {
        long x = seed;
        x += 0x9E3779B97F4A7C15L;
        s0 = splitMix(x);
        x += 0x9E3779B97F4A7C15L;
        s1 = splitMix(x);
        x += 0x9E3779B97F4A7C15L;
        s2 = splitMix(x);
        x += 0x9E3779B97F4A7C15L;
        s3 = splitMix(x);
        if ((s0 | s1 | s2 | s3) == 0)
        {
            s0 = 1; // the all-zero state is the one xoshiro cannot leave
        }
    }

    private static long splitMix(final long z0)
    {
        long z = z0;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long nextLong()
    {
        final long result = Long.rotateLeft(s1 * 5, 7) * 9;
        final long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, bound); bound must be positive. */
    public int nextInt(final int bound)
    {
        if (bound <= 0)
        {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return (int)nextLong(bound);
    }

    /** Uniform in [0, bound) without modulo bias; bound must be positive. */
    public long nextLong(final long bound)
    {
        if (bound <= 0)
        {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        final long m = bound - 1;
        if ((bound & m) == 0)
        {
            return nextLong() & m;
        }
        long u = nextLong() >>> 1;
        long r = u % bound;
        while (u + m - r < 0) // the last partial block of 2^63 would favour small values: draw again
        {
            u = nextLong() >>> 1;
            r = u % bound;
        }
        return r;
    }

    /** Uniform in [min, max] (inclusive); max must not be below min. */
    public long between(final long min, final long max)
    {
        if (max < min)
        {
            throw new IllegalArgumentException("max " + max + " < min " + min);
        }
        if (max == min)
        {
            return min;
        }
        final long span = max - min + 1;
        return span <= 0 ? min + (nextLong() >>> 1) % (max - min) : min + nextLong(span);
    }

    /** Uniform in [0, 1). */
    public double nextDouble()
    {
        return (nextLong() >>> 11) * DOUBLE_UNIT;
    }

    /**
     * True with probability {@code p}. Draws nothing when p is 0 or 1, so a fault switched off does
     * not shift the stream of the decisions that follow.
     */
    public boolean chance(final double p)
    {
        if (p <= 0)
        {
            return false;
        }
        if (p >= 1)
        {
            return true;
        }
        return nextDouble() < p;
    }

    /** An independent deterministic child stream; advances this one by one draw. */
    public SimRandom fork()
    {
        return new SimRandom(nextLong());
    }

    /**
     * A {@link SecureRandom} whose every output comes from a fork of this stream (for TLS and QUIC
     * under simulation, whose handshakes must then repeat byte for byte). {@code setSeed} is
     * ignored. Not cryptographically secure, obviously; the simulation thread only.
     */
    public SecureRandom secureRandom()
    {
        return new DeterministicSecureRandom(new DeterministicSpi(fork()));
    }

    private static final class DeterministicSecureRandom extends SecureRandom
    {
        private static final long serialVersionUID = 1L;

        DeterministicSecureRandom(final SecureRandomSpi spi)
        {
            super(spi, null);
        }

        @Override
        public String getAlgorithm()
        {
            return "SimRandom";
        }

        @Override
        public void setSeed(final long seed)
        {
            // Ignored: called by java.util.Random's constructor too, and a seed from outside would
            // make the stream depend on something other than the simulation's seed.
        }

        @Override
        public void setSeed(final byte[] seed)
        {
            // Ignored, as above.
        }
    }

    private static final class DeterministicSpi extends SecureRandomSpi
    {
        private static final long serialVersionUID = 1L;

        private final transient SimRandom random;

        DeterministicSpi(final SimRandom random)
        {
            this.random = random;
        }

        @Override
        protected void engineSetSeed(final byte[] seed)
        {
            // Ignored: determinism.
        }

        @Override
        protected void engineNextBytes(final byte[] bytes)
        {
            int i = 0;
            while (i < bytes.length)
            {
                long v = random.nextLong();
                for (int k = 0; k < 8 && i < bytes.length; k++)
                {
                    bytes[i++] = (byte)v;
                    v >>>= 8;
                }
            }
        }

        @Override
        protected byte[] engineGenerateSeed(final int numBytes)
        {
            final byte[] seed = new byte[numBytes];
            engineNextBytes(seed);
            return seed;
        }
    }
}
