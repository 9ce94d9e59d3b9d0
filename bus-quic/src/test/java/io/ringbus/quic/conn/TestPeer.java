package io.ringbus.quic.conn;

import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** One side of a test connection: the {@link QuicConnection} and what its listener heard. */
final class TestPeer implements QuicConnection.Listener
{
    final String name;
    final TransportParameters params;
    QuicConnection connection;
    boolean established;
    boolean fin;
    int writableCalls;
    long received;
    boolean closed;
    long closeCode = -1;
    String closeReason;
    boolean closedByPeer;
    /** Called with each chunk of stream data; by default the bytes are counted only. */
    Consumer<ByteBuffer> onData = data -> data.position(data.limit());
    Runnable onWritableAction = () -> { };
    final List<String> events = new ArrayList<>();

    TestPeer(final String name, final TransportParameters params)
    {
        this.name = name;
        this.params = params;
    }

    @Override
    public void onEstablished()
    {
        established = true;
        events.add("established");
    }

    @Override
    public void onStreamData(final ByteBuffer data)
    {
        received += data.remaining();
        onData.accept(data);
    }

    @Override
    public void onStreamFin()
    {
        fin = true;
        events.add("fin");
    }

    @Override
    public void onWritable()
    {
        writableCalls++;
        onWritableAction.run();
    }

    @Override
    public void onClosed(final long errorCode, final String reason, final boolean byPeer)
    {
        if (closed)
        {
            throw new AssertionError(name + ": onClosed twice");
        }
        closed = true;
        closeCode = errorCode;
        closeReason = reason;
        closedByPeer = byPeer;
        events.add("closed " + errorCode + " " + reason + " byPeer=" + byPeer);
    }

    /** Write all of {@code data} that fits; returns the count. */
    int write(final ByteBuffer data)
    {
        return connection.write(new ByteBuffer[] {data}, 1);
    }

    @Override
    public String toString()
    {
        return name + "{" + connection + ", events=" + events + ", " + connection.stats() + '}';
    }
}
