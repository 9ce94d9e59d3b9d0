package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * QUIC transport parameters (RFC 9000 section 18), carried in the TLS quic_transport_parameters
 * extension (RFC 9001 8.2): encoding, and decoding with the validation of 18.2 — a duplicate, a
 * server-only parameter sent by a client, a value out of range or a malformed encoding is a
 * TRANSPORT_PARAMETER_ERROR. Unknown parameters are ignored (18.1). Mutable holder; not thread-safe.
 */
public final class TransportParameters
{
    public static final int ORIGINAL_DESTINATION_CONNECTION_ID = 0x00;
    public static final int MAX_IDLE_TIMEOUT = 0x01;
    public static final int STATELESS_RESET_TOKEN = 0x02;
    public static final int MAX_UDP_PAYLOAD_SIZE = 0x03;
    public static final int INITIAL_MAX_DATA = 0x04;
    public static final int INITIAL_MAX_STREAM_DATA_BIDI_LOCAL = 0x05;
    public static final int INITIAL_MAX_STREAM_DATA_BIDI_REMOTE = 0x06;
    public static final int INITIAL_MAX_STREAM_DATA_UNI = 0x07;
    public static final int INITIAL_MAX_STREAMS_BIDI = 0x08;
    public static final int INITIAL_MAX_STREAMS_UNI = 0x09;
    public static final int ACK_DELAY_EXPONENT = 0x0a;
    public static final int MAX_ACK_DELAY = 0x0b;
    public static final int DISABLE_ACTIVE_MIGRATION = 0x0c;
    public static final int PREFERRED_ADDRESS = 0x0d;
    public static final int ACTIVE_CONNECTION_ID_LIMIT = 0x0e;
    public static final int INITIAL_SOURCE_CONNECTION_ID = 0x0f;
    public static final int RETRY_SOURCE_CONNECTION_ID = 0x10;
    private static final int KNOWN = 0x11;

    public long maxIdleTimeoutMs;
    public long maxUdpPayloadSize = 65527;
    public long initialMaxData;
    public long initialMaxStreamDataBidiLocal;
    public long initialMaxStreamDataBidiRemote;
    public long initialMaxStreamDataUni;
    public long initialMaxStreamsBidi;
    public long initialMaxStreamsUni;
    public long ackDelayExponent = 3;
    public long maxAckDelayMs = 25;
    public boolean disableActiveMigration;
    public long activeConnectionIdLimit = 2;
    public byte[] originalDestinationConnectionId;
    public byte[] statelessResetToken;
    public byte[] initialSourceConnectionId;
    public byte[] retrySourceConnectionId;

    /** Encode every parameter that differs from its default, plus the connection ids that are set. */
    public void encode(final ByteBuffer out)
    {
        bytes(out, ORIGINAL_DESTINATION_CONNECTION_ID, originalDestinationConnectionId);
        integer(out, MAX_IDLE_TIMEOUT, maxIdleTimeoutMs, 0);
        bytes(out, STATELESS_RESET_TOKEN, statelessResetToken);
        integer(out, MAX_UDP_PAYLOAD_SIZE, maxUdpPayloadSize, 65527);
        integer(out, INITIAL_MAX_DATA, initialMaxData, 0);
        integer(out, INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, initialMaxStreamDataBidiLocal, 0);
        integer(out, INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, initialMaxStreamDataBidiRemote, 0);
        integer(out, INITIAL_MAX_STREAM_DATA_UNI, initialMaxStreamDataUni, 0);
        integer(out, INITIAL_MAX_STREAMS_BIDI, initialMaxStreamsBidi, 0);
        integer(out, INITIAL_MAX_STREAMS_UNI, initialMaxStreamsUni, 0);
        integer(out, ACK_DELAY_EXPONENT, ackDelayExponent, 3);
        integer(out, MAX_ACK_DELAY, maxAckDelayMs, 25);
        if (disableActiveMigration)
        {
            VarInt.write(out, DISABLE_ACTIVE_MIGRATION);
            VarInt.write(out, 0);
        }
        integer(out, ACTIVE_CONNECTION_ID_LIMIT, activeConnectionIdLimit, 2);
        bytes(out, INITIAL_SOURCE_CONNECTION_ID, initialSourceConnectionId);
        bytes(out, RETRY_SOURCE_CONNECTION_ID, retrySourceConnectionId);
    }

    private static void integer(final ByteBuffer out, final int id, final long value, final long defaultValue)
    {
        if (value != defaultValue)
        {
            VarInt.write(out, id);
            VarInt.write(out, VarInt.length(value));
            VarInt.write(out, value);
        }
    }

    private static void bytes(final ByteBuffer out, final int id, final byte[] value)
    {
        if (value != null)
        {
            VarInt.write(out, id);
            VarInt.write(out, value.length);
            out.put(value);
        }
    }

    /**
     * Decode the parameters in {@code in} (position to limit) sent by a server ({@code fromServer})
     * or a client.
     *
     * @throws QuicException TRANSPORT_PARAMETER_ERROR naming the parameter.
     */
    public static TransportParameters decode(final ByteBuffer in, final boolean fromServer) throws QuicException
    {
        final TransportParameters params = new TransportParameters();
        final boolean[] seen = new boolean[KNOWN];
        try
        {
            while (in.hasRemaining())
            {
                final long id = VarInt.read(in, "transport parameter id");
                final long length = VarInt.read(in, "transport parameter length");
                if (length > in.remaining())
                {
                    throw error("parameter 0x" + Long.toHexString(id) + ": length " + length + " beyond the extension");
                }
                final ByteBuffer value = in.slice(in.position(), (int)length);
                in.position(in.position() + (int)length);
                if (id >= KNOWN)
                {
                    continue; // RFC 9000 18.1: unknown parameters are ignored
                }
                if (seen[(int)id])
                {
                    throw error("parameter 0x" + Long.toHexString(id) + " appears twice (18.2)");
                }
                seen[(int)id] = true;
                params.decodeOne((int)id, value, fromServer);
            }
        }
        catch (final QuicException ex)
        {
            if (ex.errorCode() == QuicException.TRANSPORT_PARAMETER_ERROR)
            {
                throw ex;
            }
            throw error(ex.getMessage());
        }
        return params;
    }

    private void decodeOne(final int id, final ByteBuffer value, final boolean fromServer) throws QuicException
    {
        switch (id)
        {
            case ORIGINAL_DESTINATION_CONNECTION_ID:
                originalDestinationConnectionId = serverOnly(id, value, fromServer, 20);
                break;
            case STATELESS_RESET_TOKEN:
                statelessResetToken = serverOnly(id, value, fromServer, 16);
                if (statelessResetToken.length != 16)
                {
                    throw error("stateless_reset_token of " + statelessResetToken.length + " bytes: must be 16");
                }
                break;
            case PREFERRED_ADDRESS:
                serverOnly(id, value, fromServer, Integer.MAX_VALUE);
                break;
            case RETRY_SOURCE_CONNECTION_ID:
                retrySourceConnectionId = serverOnly(id, value, fromServer, 20);
                break;
            case INITIAL_SOURCE_CONNECTION_ID:
                initialSourceConnectionId = connectionId(id, value, 20);
                break;
            case DISABLE_ACTIVE_MIGRATION:
                if (value.hasRemaining())
                {
                    throw error("disable_active_migration must be empty");
                }
                disableActiveMigration = true;
                break;
            default:
                decodeInteger(id, value);
        }
    }

    private void decodeInteger(final int id, final ByteBuffer value) throws QuicException
    {
        final long v = VarInt.read(value, "parameter 0x" + Integer.toHexString(id));
        if (value.hasRemaining())
        {
            throw error("parameter 0x" + Integer.toHexString(id) + ": bytes after its integer value");
        }
        switch (id)
        {
            case MAX_IDLE_TIMEOUT:
                maxIdleTimeoutMs = v;
                break;
            case MAX_UDP_PAYLOAD_SIZE:
                if (v < 1200)
                {
                    throw error("max_udp_payload_size = " + v + ": below 1200");
                }
                maxUdpPayloadSize = v;
                break;
            case INITIAL_MAX_DATA:
                initialMaxData = v;
                break;
            case INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
                initialMaxStreamDataBidiLocal = v;
                break;
            case INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
                initialMaxStreamDataBidiRemote = v;
                break;
            case INITIAL_MAX_STREAM_DATA_UNI:
                initialMaxStreamDataUni = v;
                break;
            case INITIAL_MAX_STREAMS_BIDI:
                initialMaxStreamsBidi = streams("initial_max_streams_bidi", v);
                break;
            case INITIAL_MAX_STREAMS_UNI:
                initialMaxStreamsUni = streams("initial_max_streams_uni", v);
                break;
            case ACK_DELAY_EXPONENT:
                if (v > 20)
                {
                    throw error("ack_delay_exponent = " + v + ": above 20");
                }
                ackDelayExponent = v;
                break;
            case MAX_ACK_DELAY:
                if (v >= (1 << 14))
                {
                    throw error("max_ack_delay = " + v + ": 2^14 or more");
                }
                maxAckDelayMs = v;
                break;
            case ACTIVE_CONNECTION_ID_LIMIT:
                if (v < 2)
                {
                    throw error("active_connection_id_limit = " + v + ": below 2");
                }
                activeConnectionIdLimit = v;
                break;
            default:
                throw new IllegalStateException("unhandled parameter 0x" + Integer.toHexString(id));
        }
    }

    private static long streams(final String name, final long value) throws QuicException
    {
        if (value > (1L << 60))
        {
            throw error(name + " = " + value + ": above 2^60");
        }
        return value;
    }

    private static byte[] serverOnly(final int id, final ByteBuffer value, final boolean fromServer, final int maxLength)
        throws QuicException
    {
        if (!fromServer)
        {
            throw error("parameter 0x" + Integer.toHexString(id) + " is the server's to send (18.2)");
        }
        return connectionId(id, value, maxLength);
    }

    private static byte[] connectionId(final int id, final ByteBuffer value, final int maxLength) throws QuicException
    {
        if (value.remaining() > maxLength)
        {
            throw error("parameter 0x" + Integer.toHexString(id) + ": " + value.remaining() + " bytes, at most " + maxLength);
        }
        final byte[] bytes = new byte[value.remaining()];
        value.get(bytes);
        return bytes;
    }

    private static QuicException error(final String reason)
    {
        return new QuicException(QuicException.TRANSPORT_PARAMETER_ERROR, reason);
    }

    @Override
    public String toString()
    {
        return "TransportParameters{idle=" + maxIdleTimeoutMs + "ms, max_data=" + initialMaxData + ", streams_bidi=" +
            initialMaxStreamsBidi + ", streams_uni=" + initialMaxStreamsUni + ", scid=" +
            Arrays.toString(initialSourceConnectionId) + '}';
    }
}
