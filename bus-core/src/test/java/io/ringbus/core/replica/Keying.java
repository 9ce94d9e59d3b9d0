package io.ringbus.core.replica;

import org.junit.jupiter.params.provider.Arguments;

import java.security.SecureRandom;
import java.util.List;
import java.util.stream.Stream;

/** The two forms of the replica handshake a replica test runs in: without and with a cluster key. */
public enum Keying
{
    /** No cluster key: the unauthenticated ping. */
    KEYLESS,
    /** A fresh 32-byte cluster key shared by every replica of the test. */
    KEYED;

    private static final byte[] KEY = newKey();

    /** A fresh random cluster key of 32 bytes. */
    public static byte[] newKey()
    {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    /** The key of this form, or null. */
    public byte[] key()
    {
        return this == KEYED ? KEY.clone() : null;
    }

    /** Every element of {@code first} paired with each form. */
    public static <T> Stream<Arguments> times(final Stream<T> first)
    {
        return first.flatMap(item -> List.of(values()).stream().map(keying -> Arguments.of(item, keying)));
    }
}
