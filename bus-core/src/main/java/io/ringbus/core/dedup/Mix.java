package io.ringbus.core.dedup;

/** The 64-bit mixer the client-id tables hash with. Stateless; any thread. */
public final class Mix
{
    private Mix()
    {
    }

    /** The finalizer of MurmurHash3 (fmix64): every input bit affects every output bit. */
    public static long fmix64(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /** The table hash of a 128-bit client id (hi, lo), shared by the dedup and session tables. */
    public static int clientIdHash(final long hi, final long lo)
    {
        return (int)fmix64(lo ^ fmix64(hi + 0x9E3779B97F4A7C15L));
    }
}
