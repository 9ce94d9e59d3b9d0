package io.ringbus.core;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.ringbus.core.shard.ShardRuntime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Issue 17, point 1: DESIGN.md's layering inside bus-core, pinned on its main classes (tests excluded).
 * The rule that sees every module (which module may use which) is bench's {@code ModuleLayeringTest}.
 */
class LayeringTest
{
    private static JavaClasses core;

    @BeforeAll
    static void importCore()
    {
        core = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ringbus.core");
    }

    /** Transports and backends are found through ServiceLoader, so the core names none of them. */
    @Test
    void coreDependsOnNoTransportOrBackendModule()
    {
        final ArchRule rule = noClasses().that().resideInAPackage("io.ringbus.core..")
            .should().dependOnClassesThat().resideInAnyPackage(
                "io.ringbus.tls..", "io.ringbus.ws..", "io.ringbus.quic..", "io.ringbus.uring..",
                "io.ringbus.sim..", "io.ringbus.cli..", "io.ringbus.bench..")
            .because("DESIGN.md: bus-core depends on no transport module; transports and backends are " +
                "found through ServiceLoader");
        rule.check(core);
    }

    /** The frame codec is the bottom layer: every other part builds on it, it builds on none of them. */
    @Test
    void framePackageDependsOnNothingAboveIt()
    {
        final ArchRule rule = noClasses().that().resideInAPackage("io.ringbus.core.frame..")
            .should().dependOnClassesThat().resideInAnyPackage(
                "io.ringbus.core", "io.ringbus.core.transport..", "io.ringbus.core.replica..",
                "io.ringbus.core.shard..", "io.ringbus.core.client..")
            .because("DESIGN.md: the frame codec is the bottom layer of bus-core");
        rule.check(core);
    }

    /** Blocking calls: a shard thread that makes one stops every connection it owns. */
    private static final DescribedPredicate<JavaMethodCall> BLOCKING_CALL =
        new DescribedPredicate<>("a blocking API (Thread.sleep/join, Object.wait, LockSupport.park*, " +
            "CountDownLatch.await, Future.get, CompletableFuture.join, BlockingQueue.put/take)")
        {
            @Override
            public boolean test(final JavaMethodCall call)
            {
                final String name = call.getTarget().getName();
                final var owner = call.getTarget().getOwner();
                return owner.isEquivalentTo(Thread.class) && (name.equals("sleep") || name.equals("join"))
                    || name.equals("wait") && call.getTarget().getRawParameterTypes().stream() // Object.wait(..)
                        .allMatch(type -> type.isEquivalentTo(long.class) || type.isEquivalentTo(int.class))
                    || owner.isEquivalentTo(LockSupport.class) && name.startsWith("park")
                    || owner.isAssignableTo(CountDownLatch.class) && name.equals("await")
                    || owner.isAssignableTo(Future.class) && (name.equals("get") || name.equals("join"))
                    || owner.isAssignableTo(BlockingQueue.class) && (name.equals("put") || name.equals("take"));
            }
        };

    /**
     * Shard code never blocks. One named exception: {@link ShardRuntime#THREADS}'s {@code awaitUntil}
     * parks between checks, and it runs only on the thread that stops a bus, never on a shard
     * (MessageBus.close hands a stop asked for on a shard to a new thread first).
     */
    @Test
    void shardTransportAndReplicaCodeCallsNoBlockingApi()
    {
        final ArchRule rule = noClasses().that().resideInAnyPackage(
                "io.ringbus.core.shard..", "io.ringbus.core.transport..", "io.ringbus.core.replica..")
            .and().doNotHaveFullyQualifiedName(ShardRuntime.THREADS.getClass().getName())
            .should().callMethodWhere(BLOCKING_CALL)
            .because("DESIGN.md: a shard owns its connections outright and never waits; other threads " +
                "post to its mailbox");
        rule.check(core);
    }
}
