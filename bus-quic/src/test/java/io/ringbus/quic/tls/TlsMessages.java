package io.ringbus.quic.tls;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Test surgery on plaintext handshake flights: split into messages, drop or rewrite extensions. */
final class TlsMessages
{
    private TlsMessages()
    {
    }

    /** The whole messages (headers included) of a flight. */
    static List<byte[]> split(final byte[] flight)
    {
        final List<byte[]> messages = new ArrayList<>();
        int offset = 0;
        while (offset < flight.length)
        {
            final int length = ((flight[offset + 1] & 0xFF) << 16) | ((flight[offset + 2] & 0xFF) << 8) |
                (flight[offset + 3] & 0xFF);
            final byte[] message = new byte[4 + length];
            System.arraycopy(flight, offset, message, 0, message.length);
            messages.add(message);
            offset += message.length;
        }
        return messages;
    }

    static byte[] join(final List<byte[]> messages)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] message : messages)
        {
            out.writeBytes(message);
        }
        return out.toByteArray();
    }

    /** Offset of the extensions block's 2-byte length in a ClientHello, ServerHello or EncryptedExtensions. */
    private static int extensionsOffset(final byte[] message)
    {
        switch (message[0])
        {
            case Tls13.ENCRYPTED_EXTENSIONS:
                return 4;
            case Tls13.CLIENT_HELLO:
            {
                int at = 4 + 2 + 32;
                at += 1 + (message[at] & 0xFF);
                at += 2 + (((message[at] & 0xFF) << 8) | (message[at + 1] & 0xFF));
                at += 1 + (message[at] & 0xFF);
                return at;
            }
            case Tls13.SERVER_HELLO:
            {
                int at = 4 + 2 + 32;
                at += 1 + (message[at] & 0xFF);
                return at + 2 + 1;
            }
            default:
                throw new IllegalArgumentException("no extensions in message type " + message[0]);
        }
    }

    /** The message with extension {@code type} removed (lengths fixed). */
    static byte[] withoutExtension(final byte[] message, final int type)
    {
        return replaceExtension(message, type, null);
    }

    /** The message with extension {@code type}'s data replaced, or removed if {@code data} is null. */
    static byte[] replaceExtension(final byte[] message, final int type, final byte[] data)
    {
        final int blockAt = extensionsOffset(message);
        final int blockLength = ((message[blockAt] & 0xFF) << 8) | (message[blockAt + 1] & 0xFF);
        final ByteArrayOutputStream block = new ByteArrayOutputStream();
        int at = blockAt + 2;
        final int end = at + blockLength;
        while (at < end)
        {
            final int extension = ((message[at] & 0xFF) << 8) | (message[at + 1] & 0xFF);
            final int length = ((message[at + 2] & 0xFF) << 8) | (message[at + 3] & 0xFF);
            if (extension != type)
            {
                block.write(message, at, 4 + length);
            }
            else if (data != null)
            {
                block.write(type >>> 8);
                block.write(type);
                block.write(data.length >>> 8);
                block.write(data.length);
                block.writeBytes(data);
            }
            at += 4 + length;
        }
        final byte[] extensions = block.toByteArray();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(message, 0, blockAt);
        out.write(extensions.length >>> 8);
        out.write(extensions.length);
        out.writeBytes(extensions);
        out.write(message, end, message.length - end);
        final byte[] result = out.toByteArray();
        final int bodyLength = result.length - 4;
        result[1] = (byte)(bodyLength >>> 16);
        result[2] = (byte)(bodyLength >>> 8);
        result[3] = (byte)bodyLength;
        return result;
    }

    /** The message with extension {@code type} carrying {@code data} appended as the last extension. */
    static byte[] appendExtension(final byte[] message, final int type, final byte[] data)
    {
        final int blockAt = extensionsOffset(message);
        final int blockLength = ((message[blockAt] & 0xFF) << 8) | (message[blockAt + 1] & 0xFF);
        final int end = blockAt + 2 + blockLength;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(message, 0, blockAt);
        final int newLength = blockLength + 4 + data.length;
        out.write(newLength >>> 8);
        out.write(newLength);
        out.write(message, blockAt + 2, blockLength);
        out.write(type >>> 8);
        out.write(type);
        out.write(data.length >>> 8);
        out.write(data.length);
        out.writeBytes(data);
        out.write(message, end, message.length - end);
        final byte[] result = out.toByteArray();
        final int bodyLength = result.length - 4;
        result[1] = (byte)(bodyLength >>> 16);
        result[2] = (byte)(bodyLength >>> 8);
        result[3] = (byte)bodyLength;
        return result;
    }

    /** Apply {@code edit} to the first message of {@code type} in a flight. */
    static byte[] editMessage(final byte[] flight, final int type, final java.util.function.UnaryOperator<byte[]> edit)
    {
        final List<byte[]> messages = split(flight);
        for (int i = 0; i < messages.size(); i++)
        {
            if ((messages.get(i)[0] & 0xFF) == type)
            {
                messages.set(i, edit.apply(messages.get(i)));
                break;
            }
        }
        return join(messages);
    }
}
