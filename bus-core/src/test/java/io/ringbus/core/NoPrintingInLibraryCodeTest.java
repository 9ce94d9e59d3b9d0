package io.ringbus.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, point 4: the library modules (not bus-cli, whose output is for its user, nor bench)
 * report through System.Logger: no printStackTrace, System.err or System.out in their main code.
 * Reads the sources of the sibling modules from the repository checkout.
 */
class NoPrintingInLibraryCodeTest
{
    private static final String[] LIBRARY_MODULES = {"bus-core", "bus-uring", "bus-tls", "bus-ws", "bus-quic"};
    private static final Pattern PRINTING = Pattern.compile("printStackTrace|System\\s*\\.\\s*(err|out)\\b");

    /** The code of a line: without a line comment, and nothing of a Javadoc or block comment line. */
    private static String code(final String line)
    {
        final String trimmed = line.trim();
        if (trimmed.startsWith("*") || trimmed.startsWith("/*"))
        {
            return "";
        }
        final int comment = line.indexOf("//");
        return comment >= 0 ? line.substring(0, comment) : line;
    }

    @Test
    void libraryMainCodeNeverPrints() throws IOException
    {
        // Surefire runs in the module's directory: its siblings are one level up.
        final Path root = Path.of("").toAbsolutePath().getParent();
        final List<String> found = new ArrayList<>();
        int files = 0;
        for (final String module : LIBRARY_MODULES)
        {
            final Path sources = root.resolve(module).resolve("src/main/java");
            assertTrue(Files.isDirectory(sources), "no sources at " + sources);
            try (Stream<Path> walk = Files.walk(sources))
            {
                for (final Path file : (Iterable<Path>)walk.filter(p -> p.toString().endsWith(".java"))::iterator)
                {
                    files++;
                    final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                    for (int i = 0; i < lines.size(); i++)
                    {
                        if (PRINTING.matcher(code(lines.get(i))).find())
                        {
                            found.add(root.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).trim());
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "read the library's sources: " + files + " files");
        assertEquals(List.of(), found, "library code prints instead of logging through System.Logger");
    }
}
