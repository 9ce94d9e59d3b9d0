package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Drives a client and a server {@link TlsEngine} against each other in memory: what one hands its
 * listener at a level is delivered to the other at that level, optionally split into chunks or
 * rewritten on the way. Records the keys, the bytes and the order of listener calls per side.
 */
final class HandshakePump
{
    /** Rewrites a flight on its way: return the bytes to deliver. */
    interface Interceptor
    {
        byte[] intercept(Side from, EncryptionLevel level, byte[] bytes);
    }

    /** One endpoint: its engine and everything its listener was told. */
    static class Side implements HandshakeListener
    {
        final String name;
        TlsEngine engine;
        final Map<EncryptionLevel, byte[]> readSecrets = new EnumMap<>(EncryptionLevel.class);
        final Map<EncryptionLevel, byte[]> writeSecrets = new EnumMap<>(EncryptionLevel.class);
        final Map<EncryptionLevel, CipherSuite> suites = new EnumMap<>(EncryptionLevel.class);
        final Map<EncryptionLevel, List<byte[]>> sent = new EnumMap<>(EncryptionLevel.class);
        final List<String> events = new ArrayList<>();
        final ArrayDeque<Object[]> outbox = new ArrayDeque<>();
        boolean complete;
        String orderViolation;

        Side(final String name)
        {
            this.name = name;
        }

        @Override
        public void onHandshakeBytes(final EncryptionLevel level, final byte[] bytes)
        {
            if (level != EncryptionLevel.INITIAL && !writeSecrets.containsKey(level) && orderViolation == null)
            {
                orderViolation = name + " handed " + level + " bytes before " + level + " keys";
            }
            if (complete && orderViolation == null)
            {
                orderViolation = name + " handed bytes after completing";
            }
            events.add("bytes " + level);
            sent.computeIfAbsent(level, l -> new ArrayList<>()).add(bytes);
            outbox.add(new Object[] {level, bytes});
        }

        @Override
        public void onKeys(final EncryptionLevel level, final CipherSuite suite, final byte[] readSecret,
            final byte[] writeSecret)
        {
            events.add("keys " + level);
            if (readSecrets.containsKey(level) && orderViolation == null)
            {
                orderViolation = name + " got " + level + " keys twice";
            }
            readSecrets.put(level, readSecret);
            writeSecrets.put(level, writeSecret);
            suites.put(level, suite);
        }

        @Override
        public void onHandshakeComplete()
        {
            events.add("complete");
            if (complete && orderViolation == null)
            {
                orderViolation = name + " completed twice";
            }
            complete = true;
        }

        int messagesSent(final EncryptionLevel level)
        {
            return sent.getOrDefault(level, List.of()).size();
        }
    }

    final Side client = new Side("client");
    final Side server = new Side("server");
    int chunkSize = Integer.MAX_VALUE;
    Interceptor interceptor;

    HandshakePump()
    {
    }

    static HandshakePump of(final QuicTlsConfig clientConfig, final String serverName, final QuicTlsConfig serverConfig)
    {
        final HandshakePump pump = new HandshakePump();
        pump.client.engine = QuicTls.client(clientConfig, serverName, clientParameters(), pump.client);
        pump.server.engine = QuicTls.server(serverConfig, serverParameters(), pump.server);
        return pump;
    }

    static TransportParameters clientParameters()
    {
        final TransportParameters parameters = new TransportParameters();
        parameters.initialMaxData = 1 << 20;
        parameters.initialMaxStreamsBidi = 16;
        parameters.initialSourceConnectionId = new byte[] {1, 2, 3, 4};
        return parameters;
    }

    static TransportParameters serverParameters()
    {
        final TransportParameters parameters = new TransportParameters();
        parameters.initialMaxData = 1 << 22;
        parameters.maxIdleTimeoutMs = 30_000;
        parameters.initialSourceConnectionId = new byte[] {5, 6, 7, 8};
        parameters.originalDestinationConnectionId = new byte[] {9, 9, 9, 9, 9, 9, 9, 9};
        return parameters;
    }

    /** Start the client and deliver until neither side has anything to send. */
    HandshakePump run() throws QuicException
    {
        client.engine.start();
        server.engine.start();
        pump();
        return this;
    }

    void pump() throws QuicException
    {
        while (!client.outbox.isEmpty() || !server.outbox.isEmpty())
        {
            final Side from = !client.outbox.isEmpty() ? client : server;
            final Side to = from == client ? server : client;
            final Object[] item = from.outbox.poll();
            final EncryptionLevel level = (EncryptionLevel)item[0];
            byte[] bytes = (byte[])item[1];
            if (interceptor != null)
            {
                bytes = interceptor.intercept(from, level, bytes);
            }
            deliver(to, level, bytes);
        }
    }

    void deliver(final Side to, final EncryptionLevel level, final byte[] bytes) throws QuicException
    {
        for (int offset = 0; offset < bytes.length; offset += chunkSize)
        {
            final int length = Math.min(chunkSize, bytes.length - offset);
            to.engine.onHandshakeBytes(level, ByteBuffer.wrap(bytes, offset, length));
        }
    }
}
