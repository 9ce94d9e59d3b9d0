package io.ringbus.bench.build;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

/**
 * Issue 17, point 1: which module may use which (DESIGN.md, "Modules"), pinned on the main classes of
 * every module. It lives in bench because bench is the one module that sees them all; bus-core's own
 * rules (the frame package at the bottom, no blocking calls on shards) are its {@code LayeringTest}.
 */
class ModuleLayeringTest
{
    /** Main classes only: not the test classes or test-jars of the modules (their peers and suites). */
    private static final ImportOption MAIN_CLASSES_ONLY = location ->
        !location.contains("/test-classes/") && !location.contains("-tests.jar");

    @Test
    void eachModuleUsesOnlyTheModulesBelowIt()
    {
        final JavaClasses classes = new ClassFileImporter()
            .withImportOption(MAIN_CLASSES_ONLY)
            .importPackages("io.ringbus");
        final ArchRule rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("core").definedBy("io.ringbus.core..")
            .layer("uring").definedBy("io.ringbus.uring..")
            .layer("tls").definedBy("io.ringbus.tls..")
            .layer("ws").definedBy("io.ringbus.ws..")
            .layer("quic").definedBy("io.ringbus.quic..")
            // bus-sim is not on bench's class path (yet); its rule holds wherever it is.
            .optionalLayer("sim").definedBy("io.ringbus.sim..")
            .layer("cli").definedBy("io.ringbus.cli..")
            .layer("bench").definedBy("io.ringbus.bench..")
            .whereLayer("core").mayNotAccessAnyLayer()
            .whereLayer("uring").mayOnlyAccessLayers("core")
            .whereLayer("tls").mayOnlyAccessLayers("core")
            .whereLayer("ws").mayOnlyAccessLayers("core", "tls")
            .whereLayer("quic").mayOnlyAccessLayers("core", "tls")
            .whereLayer("sim").mayOnlyAccessLayers("core")
            .whereLayer("cli").mayOnlyAccessLayers("core", "uring", "tls", "ws", "quic", "sim")
            .because("DESIGN.md: bus-core depends on no transport or backend module (they are found " +
                "through ServiceLoader), transports build on the core and bus-tls only, and nothing " +
                "depends on the executable or the benchmarks");
        rule.check(classes);
    }
}
