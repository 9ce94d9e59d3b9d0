package io.ringbus.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, point 6: a JVM started without {@code --add-exports java.base/jdk.internal.misc}
 * (a library user on Java 17) gets a start that fails at once saying what to add, not a shard
 * that dies on the first connection. Runs {@link NoAddExportsMain} in a child JVM without the flag.
 */
class NoAddExportsTest
{
    static final String FLAG = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bus", "client"})
    void startingWithoutTheExportFailsAtOnceNamingTheFlag(final String what) throws Exception
    {
        final Path output = Files.createTempFile("ringbus-no-exports", ".log");
        try
        {
            final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            final ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                NoAddExportsMain.class.getName(), what))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
            // Nothing may slip the flag in through the environment.
            builder.environment().remove("JAVA_TOOL_OPTIONS");
            builder.environment().remove("JDK_JAVA_OPTIONS");
            final Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new AssertionError("the child JVM did not end within 60 s:\n" + read(output));
            }
            final String text = read(output);
            assertEquals(NoAddExportsMain.REFUSED, process.exitValue(), text);
            assertTrue(text.contains(FLAG), text);
        }
        finally
        {
            Files.deleteIfExists(output);
        }
    }

    private static String read(final Path path) throws IOException
    {
        return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
    }
}
