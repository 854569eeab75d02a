package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.Process;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the container tests share: one agent per class (host mode here;
 * subclasses override {@link #startTarget} and {@link #rootPath} for a VM),
 * test bundles as specs, and removal of every container after each test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ContainerTestBase {

    protected AgentFixture agent;
    protected ContainerClient ctr;
    protected Path dir;

    protected AgentTarget startTarget(Path dir) throws Exception {
        return HostAgentTarget.start(dir);
    }

    /** The rootfs of a bundle as the agent sees it (host mode: the host path). */
    protected String rootPath(Path bundle) {
        return bundle.resolve("rootfs").toAbsolutePath().toString();
    }

    /** Whether the agent sees host paths (bind mounts of host directories). */
    protected boolean seesHostPaths() {
        return true;
    }

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "containers need root (namespaces, mounts, pivot_root)");
        this.dir = dir;
        agent = new AgentFixture(startTarget(dir));
        ctr = new ContainerClient(agent);
    }

    @AfterEach
    void removeContainers() {
        if (ctr != null) {
            ctr.removeAll();
        }
    }

    @AfterAll
    void stop() {
        if (agent != null) {
            var lines = agent.target().log().lines().toList();
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
            agent.close();
        }
    }

    /**
     * The spec of a test bundle. For "sleep" the init is a bare {@code sleep 3600}: these tests count and
     * name the container's processes, and the bundle's trap-TERM shell (made for the runtime's kill TERM
     * walk) would add one.
     */
    protected ContainerSpec spec(String bundleName) {
        ContainerSpec s = spec(bundleName, "sh", "-c", null);
        if (!"sleep".equals(bundleName)) {
            return s;
        }
        return s.toBuilder().setProcess(s.getProcess().toBuilder().clearArgs().addArgs("sleep").addArgs("3600")).build();
    }

    /** The spec of a test bundle; with a script, its args become {@code sh -c script}. */
    protected ContainerSpec spec(String bundleName, String sh, String c, String script) {
        Path parent = dir.resolve("b" + System.nanoTime());
        Path bundle = TestBundles.create(bundleName, parent);
        ContainerSpec s = BundleSpecs.of(bundle, rootPath(bundle));
        if (script == null) {
            return s;
        }
        return s.toBuilder().setProcess(s.getProcess().toBuilder().clearArgs().addArgs(sh).addArgs(c).addArgs(script))
                .build();
    }

    protected ContainerSpec script(String script) {
        return spec("hello", "sh", "-c", script);
    }

    static Process.Builder shell(String script) {
        return Process.newBuilder().addArgs("sh").addArgs("-c").addArgs(script)
                .addEnv("PATH=/usr/sbin:/usr/bin:/sbin:/bin").setCwd("/");
    }

}
