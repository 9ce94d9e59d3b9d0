package io.ringbus.quic.interop;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketException;

/**
 * The Kwik client's UDP socket, holding back the first datagram it receives for
 * {@link #FIRST_DATAGRAM_DELAY_MS}. Works around a race in Agent15 3.1 (Kwik's TLS): the client
 * engine sends its ClientHello and only then sets its state to "wait for ServerHello"; a server on
 * loopback can answer in between, and the ServerHello is then dropped while its packet is already
 * acknowledged, so the handshake never completes (seen about once in 50 connects to Netty). The
 * delay costs each Kwik connect that much once.
 */
public final class FirstDatagramDelayingSocket extends DatagramSocket
{
    private static final long FIRST_DATAGRAM_DELAY_MS = 50;

    private boolean first = true;

    public FirstDatagramDelayingSocket() throws SocketException
    {
        super();
    }

    @Override
    public void receive(final DatagramPacket packet) throws IOException
    {
        super.receive(packet);
        if (first)
        {
            first = false;
            try
            {
                Thread.sleep(FIRST_DATAGRAM_DELAY_MS); // works around a library race; not a wait for a result
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while holding back the first datagram");
            }
        }
    }
}
