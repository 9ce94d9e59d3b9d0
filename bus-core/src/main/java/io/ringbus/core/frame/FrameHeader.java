package io.ringbus.core.frame;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over the fixed 256-byte frame header of WIRE.md, and the one place in the project
 * where its offsets live. Every other class reads and writes header fields through the constants
 * or accessors here; none hard-codes an offset or the header size.
 *
 * <p>All integers are little-endian. A flyweight is reused by calling {@link #wrap} again; it is
 * not thread-safe and is meant to be owned by one thread (a shard, or a client's I/O thread).
 */
public final class FrameHeader
{
    /** Byte order of every integer on the wire. */
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Length of the fixed header; a header-only frame has {@code size == HEADER_SIZE}. */
    public static final int HEADER_SIZE = 256;

    /** CRC32C of header bytes [16, 256) in bytes 0..3; bytes 4..15 zero. */
    public static final int CHECKSUM_OFFSET = 0;
    /** Width of the checksum field including its zero padding. */
    public static final int CHECKSUM_FIELD_LENGTH = 16;
    /** CRC32C of the body in bytes 16..19; bytes 20..31 zero. */
    public static final int CHECKSUM_BODY_OFFSET = 16;
    /** Width of the body checksum field including its zero padding. */
    public static final int CHECKSUM_BODY_FIELD_LENGTH = 16;
    /** First header byte covered by the header checksum. */
    public static final int CHECKSUMMED_HEADER_OFFSET = CHECKSUM_BODY_OFFSET;
    /** Cluster id, u128: low 64 bits at 32, high 64 bits at 40. */
    public static final int CLUSTER_OFFSET = 32;
    /** Width of the cluster field. */
    public static final int CLUSTER_LENGTH = 16;
    /** Total frame length, header included (u32). */
    public static final int SIZE_OFFSET = 48;
    /** Consensus view, opaque to the bus (u32). */
    public static final int VIEW_OFFSET = 52;
    /** Sender's release number, opaque to the bus (u32). */
    public static final int RELEASE_OFFSET = 56;
    /** Command, see {@link Command} (u8). */
    public static final int COMMAND_OFFSET = 60;
    /** Sender's replica id 0..254, or {@link #REPLICA_NONE} (u8). */
    public static final int REPLICA_OFFSET = 61;
    /** Reserved bytes: zero on send, ignored on receipt. */
    public static final int RESERVED_OFFSET = 62;
    /** Width of the reserved area. */
    public static final int RESERVED_LENGTH = 66;
    /** Start of the command-specific area. */
    public static final int COMMAND_AREA_OFFSET = 128;
    /** Width of the command-specific area. */
    public static final int COMMAND_AREA_LENGTH = 128;

    /** Request/reply area: the client's session id, u128 (low 64 bits first). */
    public static final int CLIENT_OFFSET = 128;
    /** Request/reply area: request number, u64. */
    public static final int REQUEST_OFFSET = 144;
    /** Request/reply area: client clock in ns, u64. */
    public static final int TIMESTAMP_OFFSET = 152;
    /** Request/reply area: application-defined operation, u8. */
    public static final int OPERATION_OFFSET = 160;
    /** Request/reply area: reserved tail, zero. */
    public static final int REQUEST_RESERVED_OFFSET = 161;
    /** Width of the request/reply reserved tail. */
    public static final int REQUEST_RESERVED_LENGTH = 95;

    /** The {@code replica} value of frames not sent by a replica (client frames). */
    public static final int REPLICA_NONE = 255;
    /** Highest valid replica id. */
    public static final int MAX_REPLICA_ID = 254;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Point this flyweight at the header starting at {@code offset} of {@code buffer}.
     *
     * @return this, for chaining.
     */
    public FrameHeader wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** The wrapped buffer. */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /** Offset of the header in the wrapped buffer. */
    public int offset()
    {
        return offset;
    }

    /** Zero the whole header (including checksums and reserved bytes). */
    public FrameHeader clear()
    {
        buffer.setMemory(offset, HEADER_SIZE, (byte)0);
        return this;
    }

    public int checksum()
    {
        return buffer.getInt(offset + CHECKSUM_OFFSET, ORDER);
    }

    public int checksumBody()
    {
        return buffer.getInt(offset + CHECKSUM_BODY_OFFSET, ORDER);
    }

    public long clusterLo()
    {
        return buffer.getLong(offset + CLUSTER_OFFSET, ORDER);
    }

    public long clusterHi()
    {
        return buffer.getLong(offset + CLUSTER_OFFSET + Long.BYTES, ORDER);
    }

    public FrameHeader cluster(final long hi, final long lo)
    {
        buffer.putLong(offset + CLUSTER_OFFSET, lo, ORDER);
        buffer.putLong(offset + CLUSTER_OFFSET + Long.BYTES, hi, ORDER);
        return this;
    }

    /** Total frame length as a signed int; sizes above 2 GiB read negative and are rejected as such. */
    public int size()
    {
        return buffer.getInt(offset + SIZE_OFFSET, ORDER);
    }

    public FrameHeader size(final int size)
    {
        buffer.putInt(offset + SIZE_OFFSET, size, ORDER);
        return this;
    }

    public int view()
    {
        return buffer.getInt(offset + VIEW_OFFSET, ORDER);
    }

    public FrameHeader view(final int view)
    {
        buffer.putInt(offset + VIEW_OFFSET, view, ORDER);
        return this;
    }

    public int release()
    {
        return buffer.getInt(offset + RELEASE_OFFSET, ORDER);
    }

    public FrameHeader release(final int release)
    {
        buffer.putInt(offset + RELEASE_OFFSET, release, ORDER);
        return this;
    }

    /** Command as an unsigned byte value. */
    public int command()
    {
        return buffer.getByte(offset + COMMAND_OFFSET) & 0xFF;
    }

    public FrameHeader command(final Command command)
    {
        buffer.putByte(offset + COMMAND_OFFSET, command.code());
        return this;
    }

    /** Replica id as an unsigned byte value. */
    public int replica()
    {
        return buffer.getByte(offset + REPLICA_OFFSET) & 0xFF;
    }

    public FrameHeader replica(final int replica)
    {
        buffer.putByte(offset + REPLICA_OFFSET, (byte)replica);
        return this;
    }

    public long clientLo()
    {
        return buffer.getLong(offset + CLIENT_OFFSET, ORDER);
    }

    public long clientHi()
    {
        return buffer.getLong(offset + CLIENT_OFFSET + Long.BYTES, ORDER);
    }

    public FrameHeader client(final long hi, final long lo)
    {
        buffer.putLong(offset + CLIENT_OFFSET, lo, ORDER);
        buffer.putLong(offset + CLIENT_OFFSET + Long.BYTES, hi, ORDER);
        return this;
    }

    public long request()
    {
        return buffer.getLong(offset + REQUEST_OFFSET, ORDER);
    }

    public FrameHeader request(final long request)
    {
        buffer.putLong(offset + REQUEST_OFFSET, request, ORDER);
        return this;
    }

    public long timestamp()
    {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, ORDER);
    }

    public FrameHeader timestamp(final long timestampNs)
    {
        buffer.putLong(offset + TIMESTAMP_OFFSET, timestampNs, ORDER);
        return this;
    }

    /** Operation as an unsigned byte value. */
    public int operation()
    {
        return buffer.getByte(offset + OPERATION_OFFSET) & 0xFF;
    }

    public FrameHeader operation(final int operation)
    {
        buffer.putByte(offset + OPERATION_OFFSET, (byte)operation);
        return this;
    }

    // Static readers for code that holds a (buffer, offset) view and no flyweight.

    /** The {@code size} field of the frame at {@code offset}. */
    public static int size(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + SIZE_OFFSET, ORDER);
    }

    /** The {@code view} field of the frame at {@code offset}. */
    public static int view(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + VIEW_OFFSET, ORDER);
    }

    /** The {@code release} field of the frame at {@code offset}. */
    public static int release(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + RELEASE_OFFSET, ORDER);
    }

    /** The {@code timestamp} field of the frame at {@code offset}. */
    public static long timestamp(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, ORDER);
    }

    /** The {@code operation} field (unsigned) of the frame at {@code offset}. */
    public static int operation(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + OPERATION_OFFSET) & 0xFF;
    }

    /** The {@code command} field (unsigned) of the frame at {@code offset}. */
    public static int command(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + COMMAND_OFFSET) & 0xFF;
    }

    /** The {@code replica} field (unsigned) of the frame at {@code offset}. */
    public static int replica(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + REPLICA_OFFSET) & 0xFF;
    }

    /** Low 64 bits of the {@code client} field of the frame at {@code offset}. */
    public static long clientLo(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + CLIENT_OFFSET, ORDER);
    }

    /** High 64 bits of the {@code client} field of the frame at {@code offset}. */
    public static long clientHi(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + CLIENT_OFFSET + Long.BYTES, ORDER);
    }

    /** The {@code request} field of the frame at {@code offset}. */
    public static long request(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + REQUEST_OFFSET, ORDER);
    }

    /** Low 64 bits of the {@code cluster} field of the frame at {@code offset}. */
    public static long clusterLo(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + CLUSTER_OFFSET, ORDER);
    }

    /** High 64 bits of the {@code cluster} field of the frame at {@code offset}. */
    public static long clusterHi(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + CLUSTER_OFFSET + Long.BYTES, ORDER);
    }
}
