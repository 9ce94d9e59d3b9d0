package io.ringbus.cli;

import io.ringbus.quic.RetryMode;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 13, point 4: {@code serve --quic-retry always|auto|never} reaches the quic listeners' settings. */
class ServeQuicRetryFlagTest
{
    @Test
    void autoByDefaultAndEachModeByName() throws UsageException
    {
        assertEquals(RetryMode.AUTO, ServeOptions.parse(List.of("--quic", "127.0.0.1:0")).quicRetry());
        for (final String mode : new String[] {"always", "auto", "never"})
        {
            final ServeOptions options = ServeOptions.parse(List.of("--quic", "127.0.0.1:0", "--quic-retry", mode));
            assertEquals(RetryMode.parse(mode), options.quicRetry());
            assertEquals(RetryMode.parse(mode), options.quicSettings(TlsSettings.defaults()).retryMode(),
                "the listener's settings carry it");
        }
    }

    @Test
    void anUnknownModeIsAUsageErrorNamingTheFlag()
    {
        final UsageException ex = assertThrows(UsageException.class,
            () -> ServeOptions.parse(List.of("--quic", "127.0.0.1:0", "--quic-retry", "sometimes")));
        assertTrue(ex.getMessage().contains("--quic-retry = sometimes: must be always, auto or never"), ex.getMessage());
        assertTrue(ServeOptions.USAGE.contains("--quic-retry always|auto|never"), "in the usage text");
        final UsageException noQuic = assertThrows(UsageException.class,
            () -> ServeOptions.parse(List.of("--tcp", "127.0.0.1:0", "--quic-retry", "always")));
        assertTrue(noQuic.getMessage().contains("--quic-retry is for a quic listener"), noQuic.getMessage());
    }
}
