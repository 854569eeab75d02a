package io.jvmvisor.runtime.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path dir;

    private static ContainerRecord rec(String id) {
        return new ContainerRecord(id, "/b", "/b/rootfs", "2026-01-01T00:00:00Z", "root", Map.of("k", "v"), 0, 0);
    }

    @Test
    void concurrentCreatesOfOneIdExactlyOneWins() throws Exception {
        StateStore store = new StateStore(dir.resolve("root"));
        int threads = 8;
        for (int round = 0; round < 20; round++) {
            String id = "c" + round;
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            try (ExecutorService ex = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    results.add(ex.submit(() -> {
                        go.await();
                        try {
                            store.create(rec(id));
                            return "won";
                        } catch (StoreException e) {
                            return e.kind() + ": " + e.getMessage();
                        }
                    }));
                }
                go.countDown();
                int won = 0;
                for (Future<String> f : results) {
                    String r = f.get();
                    if (r.equals("won")) {
                        won++;
                    } else {
                        assertEquals("EXISTS: container with id exists: " + id, r);
                    }
                }
                assertEquals(1, won, "round " + round);
            }
        }
        assertEquals(20, store.ids().size());
    }

    @Test
    void recordRoundTripAndRemove() throws Exception {
        StateStore store = new StateStore(dir);
        store.create(rec("a"));
        ContainerRecord r = store.read("a");
        assertEquals(rec("a"), r);
        store.write(r.withShim(42, 7));
        assertEquals(42, store.read("a").shimPid());
        assertNull(store.readExit("a"));
        Files.writeString(store.dir("a").resolve("exit.json"), "{\"exitStatus\":137,\"signal\":9,\"reason\":\"killed\"}");
        assertEquals(new ExitRecord(137, 9, "killed"), store.readExit("a"));
        Files.writeString(store.dir("a").resolve("vmm.pid"), "1234\n");
        assertEquals(1234, store.readVmmPid("a"));
        store.remove("a");
        assertFalse(Files.exists(store.dir("a")));
        assertEquals("container does not exist",
                assertThrows(StoreException.class, () -> store.read("a")).getMessage());
    }

    @Test
    void directoryWithoutStateIsAnInterruptedCreate() throws Exception {
        StateStore store = new StateStore(dir);
        Files.createDirectories(dir.resolve("half"));
        assertNull(store.read("half"));
    }

    @Test
    void idsAreCheckedLikeRunc() {
        for (String bad : new String[] {"", "a/b", "..", ".", "a b", "x\n"}) {
            assertThrows(StoreException.class, () -> StateStore.checkId(bad), bad);
        }
        for (String good : new String[] {"a", "A_b-c.d+e", "0123456789abcdef"}) {
            assertTrue(assertDoesNotThrow(good));
        }
    }

    private static boolean assertDoesNotThrow(String id) {
        try {
            StateStore.checkId(id);
            return true;
        } catch (StoreException e) {
            return false;
        }
    }

    @Test
    void pidFileIsWrittenAtomically() throws Exception {
        Path pid = dir.resolve("pid");
        StateStore.writeAtomically(pid, "123");
        assertEquals("123", Files.readString(pid));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void procStatStartTime() {
        long me = ProcessHandle.current().pid();
        long t = ProcStat.startTime(me);
        assertTrue(t > 0);
        assertTrue(ProcStat.isAlive(me, t));
        assertFalse(ProcStat.isAlive(me, t + 1));
        assertEquals(-1, ProcStat.startTime(Integer.MAX_VALUE));
    }

    @Test
    void stateIsPrivateToItsOwner() throws Exception {
        StateStore store = new StateStore(dir.resolve("root"));
        Path d = store.create(rec("p"));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(store.root())));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(d.resolve(StateStore.STATE_FILE))));
        store.write(rec("p"));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(d.resolve(StateStore.STATE_FILE))));
    }

    @Test
    void aRootThatIsAFileIsNamedAsSuch() throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        StoreException e = assertThrows(StoreException.class, () -> new StateStore(file).create(rec("c")));
        assertEquals("--root " + file + " is not a directory", e.getMessage());
    }

    @Test
    void pidFileNeverFollowsAPlantedSymlink() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Path pidFile = dir.resolve("c.pid");
        Files.createSymbolicLink(pidFile, victim);
        // the temp names a writer could guess are planted too
        Files.createSymbolicLink(dir.resolve(".c.pid.tmp"), victim);
        StateStore.writeAtomically(pidFile, "4242");
        assertEquals("precious", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(pidFile));
        assertEquals("4242", Files.readString(pidFile));
    }

    /**
     * A --root with no space left: create fails with the reason and leaves nothing, so the ID can
     * be created once there is room (a tiny tmpfs, mounted for the test).
     */
    @Test
    void fullRootLeavesNothingAndTheIdStaysFree() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("id", "-u").start().inputReader().readLine().equals("0"),
                "mounting a tmpfs needs root");
        Path mnt = Files.createDirectories(dir.resolve("tiny"));
        run("mount", "-t", "tmpfs", "-o", "size=8k,nr_inodes=64", "jvmvisor-test-full", mnt.toString());
        try {
            // fill it
            try (var out = Files.newOutputStream(mnt.resolve("filler"))) {
                byte[] b = new byte[4096];
                for (int i = 0; i < 64; i++) {
                    out.write(b);
                }
            } catch (java.io.IOException full) {
                // ENOSPC: as wanted
            }
            StateStore store = new StateStore(mnt.resolve("root"));
            Files.createDirectories(store.root());
            ContainerRecord big = new ContainerRecord("full", "/b".repeat(4000), "/r", "t", "root", Map.of(), 0, 0);
            StoreException e = assertThrows(StoreException.class, () -> store.create(big));
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            try (var left = Files.list(store.root())) {
                assertEquals(List.of(), left.toList(), "nothing may remain in the root");
            }
            Files.delete(mnt.resolve("filler"));
            store.create(big);
            assertEquals(big, store.read("full"));
        } finally {
            run("umount", mnt.toString());
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }
}
