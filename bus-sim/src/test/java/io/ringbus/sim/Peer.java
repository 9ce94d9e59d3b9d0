package io.ringbus.sim;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;

/**
 * A recording stream end for the tests: keeps a read armed while {@link #reading}, writes what
 * {@link #send} queued in gathering writes of up to three buffers, optionally echoes what it reads,
 * and records every completion. Flags a completion delivered inside a submitting call.
 */
final class Peer implements IoChannelHandler
{
    IoChannel channel;
    boolean reading = true;
    boolean echo;
    Integer connectResult;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Integer> readResults = new ArrayList<>();
    final List<Long> writeResults = new ArrayList<>();
    int readError;
    int writeError;
    boolean eof;
    boolean inlineCompletion;
    long written;
    boolean writing;
    boolean readArmed;
    /** Writes wait for the connect, as a real owner's do. */
    boolean connected;
    private final ByteBuffer readBuffer;
    private final ByteArrayOutputStream toSend = new ByteArrayOutputStream();
    /** Everything ever given to {@link #send}, in order: the first {@link #written} bytes went to the network. */
    final ByteArrayOutputStream sentLog = new ByteArrayOutputStream();
    private byte[] outbound = new byte[0];
    private int outboundPos;
    private final ByteBuffer[] iov = new ByteBuffer[3];
    private boolean inCall;
    private final int[] starts = new int[3];
    boolean positionMismatch;

    Peer(final int readBufferBytes)
    {
        readBuffer = ByteBuffer.allocate(readBufferBytes);
    }

    Peer()
    {
        this(4096);
    }

    static Peer connect(final IoBackend backend, final InetSocketAddress address) throws Exception
    {
        final Peer peer = new Peer();
        peer.inCall = true;
        peer.channel = backend.connect(address, peer);
        peer.inCall = false;
        return peer;
    }

    static Peer register(final IoBackend backend, final AcceptedSocket socket) throws Exception
    {
        final Peer peer = new Peer();
        peer.channel = backend.register(socket, peer);
        peer.connected = true;
        peer.armRead();
        return peer;
    }

    void armRead()
    {
        if (readArmed || !reading || eof || readError != 0 || channel.isClosed())
        {
            return;
        }
        readArmed = true;
        readBuffer.clear();
        inCall = true;
        channel.read(readBuffer);
        inCall = false;
    }

    void send(final byte[] bytes)
    {
        sentLog.writeBytes(bytes);
        toSend.writeBytes(bytes);
        pump();
    }

    long pendingOutbound()
    {
        return (outbound.length - outboundPos) + toSend.size();
    }

    void pump()
    {
        if (!connected || writing || channel.isClosed() || writeError != 0)
        {
            return;
        }
        if (outboundPos == outbound.length)
        {
            if (toSend.size() == 0)
            {
                return;
            }
            outbound = toSend.toByteArray();
            outboundPos = 0;
            toSend.reset();
        }
        // Split what is left into up to three buffers, to exercise the gathering write.
        final int left = outbound.length - outboundPos;
        final int a = left / 3;
        final int b = left / 3;
        iov[0] = ByteBuffer.wrap(outbound, outboundPos, a);
        iov[1] = ByteBuffer.wrap(outbound, outboundPos + a, b);
        iov[2] = ByteBuffer.wrap(outbound, outboundPos + a + b, left - a - b);
        for (int i = 0; i < iov.length; i++)
        {
            starts[i] = iov[i].position();
        }
        writing = true;
        inCall = true;
        channel.writev(iov, 3);
        inCall = false;
    }

    @Override
    public void onConnect(final int result)
    {
        inlineCompletion |= inCall;
        connectResult = result;
        if (result == 0)
        {
            connected = true;
            armRead();
            pump();
        }
    }

    @Override
    public void onRead(final int result)
    {
        inlineCompletion |= inCall;
        readArmed = false;
        readResults.add(result);
        if (result > 0)
        {
            received.write(readBuffer.array(), 0, result);
            if (echo)
            {
                send(java.util.Arrays.copyOf(readBuffer.array(), result));
            }
            armRead();
        }
        else if (result == io.ringbus.core.backend.IoResult.EOF)
        {
            eof = true;
        }
        else
        {
            readError = result;
        }
    }

    @Override
    public void onWrite(final long result)
    {
        inlineCompletion |= inCall;
        writing = false;
        writeResults.add(result);
        if (result < 0)
        {
            writeError = (int)result;
            return;
        }
        // The gathering write consumed the buffers' positions: they must agree with the result.
        long consumed = 0;
        for (int i = 0; i < iov.length; i++)
        {
            consumed += iov[i].position() - starts[i];
        }
        if (consumed != result)
        {
            positionMismatch = true;
        }
        outboundPos += (int)result;
        written += result;
        pump();
    }

    byte[] receivedBytes()
    {
        return received.toByteArray();
    }
}
