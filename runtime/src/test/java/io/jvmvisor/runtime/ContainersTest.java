package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.runtime.state.ContainerRecord;
import io.jvmvisor.runtime.state.ProcStat;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.Status;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.shim.control.SocketPaths;
import io.jvmvisor.shim.control.StatusFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status and reachability without a VM: a stand-in process plays the shim. */
class ContainersTest {
    @TempDir
    Path dir;

    /** Container "c" whose shim is {@code fakeShim}. */
    private static ContainerRecord shimmed(Process fakeShim) throws Exception {
        return new ContainerRecord("c", "/b", "/b/rootfs", "t", "root", Map.of(), 0, 0)
                .withShim(fakeShim.pid(), ProcStat.startTime(fakeShim.pid()));
    }

    @Test
    void anAliveShimThatDoesNotAnswerIsNotReportedStopped() throws Exception {
        StateStore store = new StateStore(dir.resolve("root"));
        Process fakeShim = new ProcessBuilder("sleep", "60").start();
        try {
            ContainerRecord rec = shimmed(fakeShim);
            store.create(rec);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Containers c = new Containers(store, new ErrorLog(null, "text", false, new PrintStream(err, true)));
            // no socket at all: the shim lives, so does the container
            assertEquals(new Status.Running(), c.liveStatus("c", rec));
            assertTrue(err.toString().contains("pid " + fakeShim.pid() + ") runs but does not answer"), err.toString());
            fakeShim.destroyForcibly().waitFor();
            assertEquals(new Status.Stopped(null), c.liveStatus("c", rec));
        } finally {
            fakeShim.destroyForcibly();
        }
    }

    @Test
    void aLiveShimsStatusFileIsReadWithoutAConnection() throws Exception {
        StateStore store = new StateStore(dir.resolve("root"));
        Process fakeShim = new ProcessBuilder("sleep", "60").start();
        try {
            ContainerRecord rec = shimmed(fakeShim);
            Path state = store.create(rec);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Containers c = new Containers(store, new ErrorLog(null, "text", false, new PrintStream(err, true)));
            StatusFile.write(state, ControlResponse.state("paused", null));
            assertEquals(new Status.Paused(), c.liveStatus("c", rec));
            StatusFile.write(state, ControlResponse.state("stopped", 143));
            assertEquals(new Status.Stopped(143), c.liveStatus("c", rec));
            assertEquals("", err.toString(), "no socket was asked");
            // a shim that is gone is stopped, whatever its status file last said
            fakeShim.destroyForcibly().waitFor();
            StatusFile.write(state, ControlResponse.state("running", null));
            assertEquals(new Status.Stopped(null), c.liveStatus("c", rec));
        } finally {
            fakeShim.destroyForcibly();
        }
    }

    @Test
    void theConfigIsTheOneCreateRead() throws Exception {
        StateStore store = new StateStore(dir.resolve("root"));
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        ContainerRecord rec = new ContainerRecord("k", bundle.toString(), "/r", "t", "root", Map.of(), 0, 0);
        Path state = store.create(rec);
        StateStore.writeAtomically(state.resolve(StateStore.CONFIG_COPY), "{\"ociVersion\": \"1.2.0\", \"hostname\": \"at-create\"}");
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\": \"1.2.0\", \"hostname\": \"edited-later\"}");
        Containers c = new Containers(store, new ErrorLog(null, "text", false, System.err));
        assertEquals("at-create", c.createdSpec(rec).hostname());
    }

    @Test
    void theAliasCacheLivesOutsideTheDefaultRootAndIsRemadeOnDemand() throws Exception {
        assertFalse(SocketPaths.ALIAS_ROOT.startsWith(Path.of(Global.DEFAULT_ROOT)), "a cache in the root shows up as a container");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(SocketPaths.ALIAS_ROOT.getParent()),
                "making aliases needs write access to " + SocketPaths.ALIAS_ROOT.getParent());
        Path stateDir = Files.createDirectories(dir.resolve("d".repeat(100)).resolve("state"));
        assertTrue(SocketPaths.needsAlias(stateDir));
        Path alias = SocketPaths.alias(stateDir);
        try {
            assertEquals(alias, SocketPaths.socketDir(stateDir));
            assertEquals(stateDir, Files.readSymbolicLink(alias));
            Files.delete(alias); // the cache went away
            assertEquals(alias, SocketPaths.socketDir(stateDir));
            assertEquals(stateDir, Files.readSymbolicLink(alias), "re-created when addressed");
            SocketPaths.removeAlias(stateDir);
            assertFalse(Files.exists(alias, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        } finally {
            Files.deleteIfExists(alias);
        }
    }
}
