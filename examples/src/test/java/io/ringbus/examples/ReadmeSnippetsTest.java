package io.ringbus.examples;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's code is the examples' code: each region between {@code // --- README: ... ---} and
 * {@code // --- end ---} in an example appears, unindented, as a code block of README.md, so the
 * README's snippets compile (this module compiles them) and run ({@link ExamplesTest}).
 */
class ReadmeSnippetsTest
{
    @ParameterizedTest(name = "{0}")
    @CsvSource({"EchoServer.java, a server", "EchoClient.java, a client"})
    void theReadmeShowsTheExampleRegionAsItIs(final String file, final String region) throws IOException
    {
        final List<String> source = Files.readAllLines(Path.of("src/main/java/io/ringbus/examples", file),
            StandardCharsets.UTF_8);
        final int start = source.indexOf(source.stream().filter(l -> l.trim().equals("// --- README: " + region + " ---"))
            .findFirst().orElseThrow(() -> new AssertionError(file + " has no README region '" + region + "'")));
        int end = start + 1;
        while (!source.get(end).trim().equals("// --- end ---"))
        {
            end++;
        }
        final List<String> lines = source.subList(start + 1, end);
        final int indent = lines.stream().filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        final String snippet = lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent))
            .collect(Collectors.joining("\n"));
        final String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
        assertTrue(readme.contains("```java\n" + snippet + "\n```"),
            "README.md does not show the region '" + region + "' of " + file + " as it is:\n" + snippet);
    }
}
