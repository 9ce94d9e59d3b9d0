package io.ringbus.quic.interop;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link QuicInteropTest}'s exchanges (both directions, quiche and Kwik, both cipher suites) with
 * our confidentiality limit lowered to {@value #LIMIT} packets, so that our side initiates key
 * updates (RFC 9001 6.1) during the 10 MiB transfer and the other implementation must follow them:
 * every byte still arrives, and each exchange logged at least one update of ours.
 */
class QuicKeyUpdateInteropTest extends QuicInteropTest
{
    private static final String PROPERTY = "ringbus.quic.confidentialityLimitPackets";
    private static final int LIMIT = 8000;
    private static final Logger CONNECTION_LOG = Logger.getLogger("io.ringbus.quic.conn.QuicConnection");

    private final AtomicInteger updates = new AtomicInteger();
    private final Handler counter = new Handler()
    {
        @Override
        public void publish(final LogRecord record)
        {
            if (record.getMessage() != null && record.getMessage().contains("key update initiated"))
            {
                updates.incrementAndGet();
            }
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    };
    private Level previousLevel;

    @BeforeAll
    static void lowerTheConfidentialityLimit()
    {
        System.setProperty(PROPERTY, Integer.toString(LIMIT));
    }

    @AfterAll
    static void restoreTheConfidentialityLimit()
    {
        System.clearProperty(PROPERTY);
    }

    @BeforeEach
    void countKeyUpdates()
    {
        previousLevel = CONNECTION_LOG.getLevel();
        CONNECTION_LOG.setLevel(Level.ALL);
        counter.setLevel(Level.ALL);
        CONNECTION_LOG.addHandler(counter);
    }

    @AfterEach
    void atLeastOneUpdateOfOurs()
    {
        CONNECTION_LOG.removeHandler(counter);
        CONNECTION_LOG.setLevel(previousLevel);
        assertTrue(updates.get() >= 1, "our side initiated a key update: " + updates.get());
    }

    @Override
    void ourClientAnswersAHelloRetryRequestFromQuiche(final String group)
    {
        // one request: no key update; covered by QuicInteropTest
    }
}
