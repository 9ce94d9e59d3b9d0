package io.ringbus.quic.conn;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.tls.EncryptionLevel;
import io.ringbus.quic.tls.HandshakeListener;
import io.ringbus.quic.tls.TlsEngine;
import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * A stand-in for the TLS 1.3 engine: TLS-shaped messages ({@code type, 3-byte length, body}) with
 * the QUIC flow of RFC 9001 — ClientHello (client transport parameters) at INITIAL, ServerHello at
 * INITIAL, then EncryptedExtensions (server transport parameters), a filler Certificate and
 * Finished at HANDSHAKE, the client's Finished at HANDSHAKE — and fixed 32-byte secrets, so that a
 * test can build packets with the same keys.
 */
final class FakeTls implements TlsEngine
{
    static final byte[] CLIENT_HANDSHAKE_SECRET = filled(0x11);
    static final byte[] SERVER_HANDSHAKE_SECRET = filled(0x22);
    static final byte[] CLIENT_APP_SECRET = filled(0x33);
    static final byte[] SERVER_APP_SECRET = filled(0x44);

    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    static final int NEW_SESSION_TICKET = 4;
    static final int ENCRYPTED_EXTENSIONS = 8;
    static final int CERTIFICATE = 11;
    static final int FINISHED = 20;
    /** CRYPTO_ERROR + unexpected_message (RFC 9001 4.8). */
    static final long UNEXPECTED_MESSAGE = 0x100 + 10;

    private final boolean client;
    private final HandshakeListener listener;
    private final TransportParameters localParams;
    private final int certificateBytes;
    private final ByteBuffer[] inbound = new ByteBuffer[3];
    private TransportParameters peerParams;
    private boolean complete;
    private boolean sentTicket;

    FakeTls(final boolean client, final HandshakeListener listener, final TransportParameters localParams,
        final int certificateBytes)
    {
        this.client = client;
        this.listener = listener;
        this.localParams = localParams;
        this.certificateBytes = certificateBytes;
        for (int i = 0; i < inbound.length; i++)
        {
            inbound[i] = ByteBuffer.allocate(1 << 16);
        }
    }

    static byte[] filled(final int value)
    {
        final byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte)value);
        return bytes;
    }

    static byte[] message(final int type, final byte[] body)
    {
        final byte[] out = new byte[4 + body.length];
        out[0] = (byte)type;
        out[1] = (byte)(body.length >>> 16);
        out[2] = (byte)(body.length >>> 8);
        out[3] = (byte)body.length;
        System.arraycopy(body, 0, out, 4, body.length);
        return out;
    }

    static byte[] encode(final TransportParameters params)
    {
        final ByteBuffer out = ByteBuffer.allocate(1024);
        params.encode(out);
        return Arrays.copyOf(out.array(), out.position());
    }

    @Override
    public void start() throws QuicException
    {
        if (client)
        {
            listener.onHandshakeBytes(EncryptionLevel.INITIAL, message(CLIENT_HELLO, encode(localParams)));
        }
    }

    @Override
    public void onHandshakeBytes(final EncryptionLevel level, final ByteBuffer bytes) throws QuicException
    {
        final ByteBuffer buffer = inbound[level.ordinal()];
        if (bytes.remaining() > buffer.remaining())
        {
            throw new QuicException(0x100 + 80, "fake TLS: too many handshake bytes");
        }
        buffer.put(bytes);
        buffer.flip();
        while (buffer.remaining() >= 4)
        {
            final int length = (buffer.get(buffer.position() + 1) & 0xFF) << 16 |
                (buffer.get(buffer.position() + 2) & 0xFF) << 8 | (buffer.get(buffer.position() + 3) & 0xFF);
            if (buffer.remaining() < 4 + length)
            {
                break;
            }
            final int type = buffer.get() & 0xFF;
            buffer.position(buffer.position() + 3);
            final byte[] body = new byte[length];
            buffer.get(body);
            onMessage(level, type, body);
        }
        buffer.compact();
    }

    private void onMessage(final EncryptionLevel level, final int type, final byte[] body) throws QuicException
    {
        if (client)
        {
            if (level == EncryptionLevel.INITIAL && type == SERVER_HELLO)
            {
                listener.onKeys(EncryptionLevel.HANDSHAKE, CipherSuite.AES_128_GCM_SHA256, SERVER_HANDSHAKE_SECRET,
                    CLIENT_HANDSHAKE_SECRET);
            }
            else if (level == EncryptionLevel.HANDSHAKE && type == ENCRYPTED_EXTENSIONS)
            {
                peerParams = TransportParameters.decode(ByteBuffer.wrap(body), true);
            }
            else if (level == EncryptionLevel.HANDSHAKE && type == CERTIFICATE)
            {
                return;
            }
            else if (level == EncryptionLevel.HANDSHAKE && type == FINISHED && peerParams != null && !complete)
            {
                listener.onKeys(EncryptionLevel.APPLICATION, CipherSuite.AES_128_GCM_SHA256, SERVER_APP_SECRET,
                    CLIENT_APP_SECRET);
                listener.onHandshakeBytes(EncryptionLevel.HANDSHAKE, message(FINISHED, new byte[32]));
                complete = true;
                listener.onHandshakeComplete();
            }
            else if (level == EncryptionLevel.APPLICATION && type == NEW_SESSION_TICKET)
            {
                return;
            }
            else
            {
                throw new QuicException(UNEXPECTED_MESSAGE, "fake TLS client: unexpected message " + type + " at " + level);
            }
            return;
        }
        if (level == EncryptionLevel.INITIAL && type == CLIENT_HELLO && peerParams == null)
        {
            peerParams = TransportParameters.decode(ByteBuffer.wrap(body), false);
            listener.onHandshakeBytes(EncryptionLevel.INITIAL, message(SERVER_HELLO, new byte[32]));
            listener.onKeys(EncryptionLevel.HANDSHAKE, CipherSuite.AES_128_GCM_SHA256, CLIENT_HANDSHAKE_SECRET,
                SERVER_HANDSHAKE_SECRET);
            listener.onHandshakeBytes(EncryptionLevel.HANDSHAKE, message(ENCRYPTED_EXTENSIONS, encode(localParams)));
            final byte[] certificate = new byte[certificateBytes];
            for (int i = 0; i < certificate.length; i++)
            {
                certificate[i] = (byte)(i * 7);
            }
            listener.onHandshakeBytes(EncryptionLevel.HANDSHAKE, message(CERTIFICATE, certificate));
            listener.onHandshakeBytes(EncryptionLevel.HANDSHAKE, message(FINISHED, new byte[32]));
            listener.onKeys(EncryptionLevel.APPLICATION, CipherSuite.AES_128_GCM_SHA256, CLIENT_APP_SECRET,
                SERVER_APP_SECRET);
        }
        else if (level == EncryptionLevel.HANDSHAKE && type == FINISHED && peerParams != null && !complete)
        {
            complete = true;
            listener.onHandshakeComplete();
            if (!sentTicket)
            {
                sentTicket = true;
                listener.onHandshakeBytes(EncryptionLevel.APPLICATION, message(NEW_SESSION_TICKET, new byte[64]));
            }
        }
        else
        {
            throw new QuicException(UNEXPECTED_MESSAGE, "fake TLS server: unexpected message " + type + " at " + level);
        }
    }

    @Override
    public boolean isHandshakeComplete()
    {
        return complete;
    }

    @Override
    public TransportParameters peerTransportParameters()
    {
        return peerParams;
    }

    @Override
    public CipherSuite cipherSuite()
    {
        return peerParams == null ? null : CipherSuite.AES_128_GCM_SHA256;
    }

    @Override
    public String applicationProtocol()
    {
        return complete ? "ringbus" : null;
    }

    @Override
    public void describe(final BiConsumer<String, String> details)
    {
        details.accept("protocol", "fake TLS");
    }
}
