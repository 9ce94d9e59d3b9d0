package io.ringbus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version of this build, for {@code ringbus --version}: the jar manifest's
 * {@code Implementation-Version} when there is one, else the project version Maven wrote into
 * {@code io/ringbus/cli/ringbus-version.properties} at build time. Stateless; any thread.
 */
final class Version
{
    /** The resource Maven filters with {@code ${project.version}}. */
    static final String RESOURCE = "ringbus-version.properties";
    /** When neither the manifest nor the resource says (a class path without the resource). */
    static final String UNKNOWN = "unknown";

    private Version()
    {
    }

    /** The version, e.g. {@code 0.1.0-SNAPSHOT}; {@link #UNKNOWN} if the build did not record it. */
    static String get()
    {
        final String manifest = Version.class.getPackage().getImplementationVersion();
        if (manifest != null && !manifest.isBlank())
        {
            return manifest;
        }
        return fromResource();
    }

    /** The version baked into {@link #RESOURCE}, or {@link #UNKNOWN}. */
    static String fromResource()
    {
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE))
        {
            if (in == null)
            {
                return UNKNOWN;
            }
            final Properties properties = new Properties();
            properties.load(in);
            final String version = properties.getProperty("version");
            // Unfiltered (run from sources without Maven's resource step): the placeholder is no version.
            return version == null || version.isBlank() || version.startsWith("${") ? UNKNOWN : version.strip();
        }
        catch (final IOException ex)
        {
            return UNKNOWN;
        }
    }

    /** The line {@code ringbus --version} prints: {@code ringbus 0.1.0-SNAPSHOT}. */
    static String line()
    {
        return "ringbus " + get();
    }
}
