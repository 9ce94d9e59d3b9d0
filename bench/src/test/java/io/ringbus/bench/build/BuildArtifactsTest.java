package io.ringbus.bench.build;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, point 2: what the build publishes, checked on what it built. bench is the last module of
 * the reactor, so when {@code mvn verify} runs these tests every other module has been packaged: the
 * jars under {@code <module>/target/} are this build's. (Under {@code mvn test} there are no jars yet;
 * {@code mvn -B verify} is the project's one test command.)
 */
class BuildArtifactsTest
{
    private static final Path ROOT = Path.of(System.getProperty("ringbus.root", ".."));
    private static final String VERSION = System.getProperty("ringbus.version");

    /** Each jar module and the name it carries (DESIGN.md's packages). */
    private static final Map<String, String> MODULE_NAMES = Map.of(
        "bus-core", "io.ringbus.core",
        "bus-sim", "io.ringbus.sim",
        "bus-uring", "io.ringbus.uring",
        "bus-tls", "io.ringbus.tls",
        "bus-ws", "io.ringbus.ws",
        "bus-quic", "io.ringbus.quic",
        "bus-cli", "io.ringbus.cli",
        "examples", "io.ringbus.examples");

    private static Attributes manifest(final Path jar) throws IOException
    {
        assertTrue(Files.isRegularFile(jar), jar + " was built (run mvn verify: bench's tests follow the other modules' package)");
        try (JarFile file = new JarFile(jar.toFile()))
        {
            assertNotNull(file.getManifest(), jar + " has a manifest");
            return file.getManifest().getMainAttributes();
        }
    }

    @Test
    void everyJarNamesItsModuleTitleAndVersion() throws Exception
    {
        assertNotNull(VERSION, "ringbus.version is set by bench's pom");
        for (final Map.Entry<String, String> module : MODULE_NAMES.entrySet())
        {
            final Path jar = ROOT.resolve(module.getKey()).resolve("target")
                .resolve(module.getKey() + "-" + VERSION + ".jar");
            final Attributes attributes = manifest(jar);
            assertEquals(module.getValue(), attributes.getValue("Automatic-Module-Name"), jar + ": Automatic-Module-Name");
            assertEquals(VERSION, attributes.getValue("Implementation-Version"), jar + ": Implementation-Version");
            assertEquals(pomName(ROOT.resolve(module.getKey()).resolve("pom.xml")),
                attributes.getValue("Implementation-Title"), jar + ": Implementation-Title");
        }
    }

    @Test
    void theExecutableJarNamesItsVersionToo() throws IOException
    {
        final Attributes attributes = manifest(ROOT.resolve("bus-cli/target/ringbus.jar"));
        assertEquals(VERSION, attributes.getValue("Implementation-Version"));
        assertEquals("Ringbus CLI", attributes.getValue("Implementation-Title"));
        assertEquals("io.ringbus.cli.Main", attributes.getValue("Main-Class"));
        assertEquals("java.base/jdk.internal.misc", attributes.getValue("Add-Exports"));
    }

    /** Users import ringbus-bom: it must list every published module, at the build's version. */
    @Test
    void theBomListsEveryPublishedModule() throws Exception
    {
        final Document bom = parse(ROOT.resolve("ringbus-bom/pom.xml"));
        assertEquals(VERSION, child(bom.getDocumentElement(), "version"), "the BOM's version is the build's");
        final TreeSet<String> listed = new TreeSet<>();
        final NodeList dependencies = bom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++)
        {
            final Element dependency = (Element)dependencies.item(i);
            assertEquals("io.ringbus", child(dependency, "groupId"));
            assertEquals("${project.version}", child(dependency, "version"));
            listed.add(child(dependency, "artifactId"));
        }
        final List<String> published = new ArrayList<>();
        final NodeList modules = parse(ROOT.resolve("pom.xml")).getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++)
        {
            final String module = modules.item(i).getTextContent().trim();
            final Document pom = parse(ROOT.resolve(module).resolve("pom.xml"));
            final boolean deployed = pom.getElementsByTagName("maven.deploy.skip").getLength() == 0;
            final String packaging = child(pom.getDocumentElement(), "packaging");
            if (deployed && (packaging == null || packaging.equals("jar")))
            {
                published.add(module);
            }
        }
        assertTrue(published.contains("bus-core"), "found the published modules: " + published);
        for (final String module : published)
        {
            assertTrue(listed.contains(module), "ringbus-bom lists " + module + " (it lists " + listed + ")");
        }
    }

    private static Document parse(final Path pom) throws Exception
    {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    /** The text of {@code parent}'s direct child {@code name}, or null. */
    private static String child(final Element parent, final String name)
    {
        final NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++)
        {
            if (children.item(i) instanceof Element && children.item(i).getNodeName().equals(name))
            {
                return children.item(i).getTextContent().trim();
            }
        }
        return null;
    }

    private static String pomName(final Path pom) throws Exception
    {
        return child(parse(pom).getDocumentElement(), "name");
    }
}
