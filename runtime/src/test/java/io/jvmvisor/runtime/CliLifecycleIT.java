package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers in real micro-VMs (QEMU under TCG here) driven through
 * {@code bin/jvmvisor}: output, exit codes, the create/start/state/kill/delete
 * walk, and that nothing is left behind.
 */
class CliLifecycleIT {
    @TempDir
    static Path work;
    static CliFixture cli;
    static final List<String> ids = new ArrayList<>();

    @BeforeAll
    static void probe() {
        cli = new CliFixture(work);
        cli.vmUnavailable().ifPresent(why -> Assumptions.abort("no micro-VM can boot here: " + why));
    }

    @AfterAll
    static void deleteAll() throws Exception {
        if (cli != null && cli.vmUnavailable().isEmpty()) {
            for (String id : ids) {
                cli.run("delete", "--force", id);
            }
            try (var left = Files.list(cli.root)) {
                assertEquals(List.of(), left.toList(), "state dirs remain under the root");
            }
            cli.assertNoProcessMentions(cli.root.toString());
        }
    }

    /** The sleep bundle: a shell that exits 143 on SIGTERM (a plain sleep as PID 1 ignores TERM, with runc too). */
    private static Path termBundle(String name) {
        return TestBundles.create("sleep", work.resolve(name));
    }

    private static String id(String what) {
        String id = CliFixture.id(what);
        ids.add(id);
        return id;
    }

    private static Path exitCodeBundle(int code) {
        return TestBundles.create("exit-code", work.resolve("code" + code), c -> {
            ArrayNode env = (ArrayNode) c.get("process").get("env");
            for (int i = env.size() - 1; i >= 0; i--) {
                if (env.get(i).asText().startsWith("CODE=")) {
                    env.remove(i);
                }
            }
            env.add("CODE=" + code);
        });
    }

    @Test
    void runHelloPrintsItsOutput() throws Exception {
        Path bundle = TestBundles.create("hello", work.resolve("hello"));
        String id = id("hello");
        CliFixture.Result r = cli.run("run", "--bundle", bundle.toString(), id);
        assertEquals(0, r.code(), r.err());
        assertEquals(TestBundles.HELLO_OUTPUT + "\n", r.out());
        cli.assertNothingLeft(id);
    }

    /**
     * The guest clock keeps time with 2 vCPUs (TCG guests boot with noapictimer: the PIT drives every
     * vCPU's tick): {@code sleep 2} in the guest takes about 2 s of the guest's clock and of the host's.
     */
    @Test
    void guestClockKeepsTimeWithTwoVcpus() throws Exception {
        Path bundle = TestBundles.create("hello", work.resolve("clock"), c -> {
            TestBundles.args(c, "sh", "-c", "cat /proc/uptime; sleep 2; cat /proc/uptime");
            c.withObjectProperty("annotations").put("io.jvmvisor.vcpus", "2");
        });
        String id = id("clock");
        CliFixture.Running run = cli.start("run", "-b", bundle.toString(), id);
        long[] seen = new long[2];
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (seen[1] == 0 && System.nanoTime() < deadline && (run.process.isAlive() || seen[0] == 0)) {
            long lines = Files.readString(run.out).lines().count();
            for (int i = 0; i < 2; i++) {
                if (lines > i && seen[i] == 0) {
                    seen[i] = System.nanoTime();
                }
            }
            if (!run.process.isAlive() && lines < 2) {
                break;
            }
            Thread.sleep(10);
        }
        CliFixture.Result r = run.await(60);
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        double guest = Double.parseDouble(lines.get(1).split(" ")[0]) - Double.parseDouble(lines.get(0).split(" ")[0]);
        double host = (seen[1] - seen[0]) / 1e9;
        // the guest's span also holds spawning sleep and cat (slow under TCG on a loaded host): what must
        // hold is that the guest's clock and the host's agree on it
        assertTrue(guest >= 1.95 && guest < 6, "guest clock: sleep 2 took " + guest + " s of guest uptime");
        assertTrue(host >= 1.9 && Math.abs(host - guest) < 1.0, "host clock: the lines came " + host
                + " s apart, the guest counted " + guest + " s (a guest clock losing ticks runs slow, one gaining runs fast)");
        cli.assertNothingLeft(id);
    }

    @Test
    void runExitsWithTheContainersStatus() throws Exception {
        for (int code : new int[] {0, 1, 42}) {
            String id = id("exit" + code);
            CliFixture.Result r = cli.run("run", "-b", exitCodeBundle(code).toString(), id);
            assertEquals(code, r.code(), "exit " + code + ": " + r.err());
            cli.assertNothingLeft(id);
        }
    }

    @Test
    void stdoutAndStderrStaySeparate() throws Exception {
        Path bundle = TestBundles.create("hello", work.resolve("split"),
                c -> TestBundles.args(c, "sh", "-c", "echo to-out; echo to-err >&2"));
        String id = id("split");
        CliFixture.Result r = cli.run("run", "-b", bundle.toString(), id);
        assertEquals(0, r.code(), r.err());
        assertEquals("to-out\n", r.out());
        assertEquals("to-err\n", r.err());
        cli.assertNothingLeft(id);
    }

    @Test
    void killNineGives137() throws Exception {
        Path bundle = TestBundles.create("sleep", work.resolve("sleep9"));
        String id = id("kill9");
        CliFixture.Running run = cli.start("run", "-b", bundle.toString(), id);
        cli.awaitStatus(id, "running", 180);
        assertEquals(0, cli.run("kill", id, "KILL").code());
        CliFixture.Result r = run.await(60);
        assertEquals(137, r.code(), r.err());
        cli.assertNothingLeft(id);
    }

    @Test
    void sleepSurvivesStatePollingAndExits143OnTerm() throws Exception {
        Path bundle = TestBundles.create("sleep", work.resolve("sleepterm"));
        String id = id("term");
        CliFixture.Running run = cli.start("run", "-b", bundle.toString(), id);
        cli.awaitStatus(id, "running", 180);
        for (int i = 0; i < 5; i++) {
            assertEquals("running", Json.mapper().readTree(cli.run("state", id).out()).get("status").asText());
        }
        assertEquals(0, cli.run("kill", id, "TERM").code());
        CliFixture.Result r = run.await(60);
        assertEquals(143, r.code(), r.err());
        cli.assertNothingLeft(id);
    }

    @Test
    void eventsStatsPrintsOneStatsEvent() throws Exception {
        Path bundle = TestBundles.create("sleep", work.resolve("events"));
        String id = id("events");
        CliFixture.Running run = cli.start("run", "-b", bundle.toString(), id);
        cli.awaitStatus(id, "running", 180);
        CliFixture.Result r = cli.run("events", "--stats", id);
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        JsonNode event = Json.mapper().readTree(r.out());
        assertEquals("stats", event.get("type").asText());
        assertEquals(id, event.get("id").asText());
        // runc's shape (cpu, memory, pids) from a shim with host cgroups; older shims answer the guest's figures only
        JsonNode data = event.path("data");
        assertTrue(data.isObject() && data.size() > 0, r.out());
        assertTrue(data.path("pids").path("current").asLong() > 0 || data.path("pids").asLong() > 0, r.out());
        assertEquals(0, cli.run("kill", id, "TERM").code());
        assertEquals(143, run.await(60).code());
        assertEquals("jvmvisor: container does not exist", cli.run("events", "--stats", id).errorLine());
        cli.assertNothingLeft(id);
    }

    @Test
    void updateSetsTheHostCgroupMemoryLimit() throws Exception {
        String id = id("update");
        Path memory = Path.of("/sys/fs/cgroup/memory");
        Assumptions.assumeTrue(Files.isDirectory(memory), "no cgroup v1 memory hierarchy at " + memory);
        Path bundle = TestBundles.create("sleep", work.resolve("update"),
                c -> ((ObjectNode) c.path("linux")).put("cgroupsPath", "/jvmvisor-it/" + id));
        CliFixture.Running run = cli.start("run", "-b", bundle.toString(), id);
        cli.awaitStatus(id, "running", 180);
        CliFixture.Result r = cli.startWithStdin("{\"memory\":{\"limit\":314572800}}", "update", "-r", "-", id)
                .await(60);
        if (r.code() != 0 && r.err().contains("unsupported")) {
            cli.run("kill", id, "KILL");
            run.await(60);
            Assumptions.abort("the shim does not support update: " + r.err());
        }
        assertEquals(0, r.code(), r.err());
        Path limit = memory.resolve("jvmvisor-it").resolve(id).resolve("memory.limit_in_bytes");
        long expected = 314572800L + (256L << 20);
        assertEquals(expected, Long.parseLong(Files.readString(limit).strip()), "the guest's limit + VMM overhead");
        assertEquals(0, cli.run("update", "--pids-limit", "200", id).code());
        assertEquals(0, cli.run("kill", id, "TERM").code());
        assertEquals(143, run.await(60).code());
        assertEquals("jvmvisor: container does not exist", cli.run("update", "--memory", "1g", id).errorLine());
        cli.assertNothingLeft(id);
    }

    @Test
    void psListsHostPidsAsJsonAndGuestProcessesAsATable() throws Exception {
        Path bundle = TestBundles.create("sleep", work.resolve("ps"));
        String id = id("ps");
        CliFixture.Running run = cli.start("run", "-b", bundle.toString(), id);
        cli.awaitStatus(id, "running", 180);
        long shim = Json.mapper().readTree(cli.run("state", id).out()).get("pid").asLong();
        long vmm = Long.parseLong(Files.readString(cli.root.resolve(id).resolve("vmm.pid")).strip());
        CliFixture.Result json = cli.run("ps", "--format", "json", id);
        assertEquals(0, json.code(), json.err());
        List<Long> pids = new ArrayList<>();
        Json.mapper().readTree(json.out()).forEach(n -> pids.add(n.asLong()));
        assertEquals(List.of(shim, vmm), pids, json.out());
        // the jail leaves the VMM without transparent huge pages (TCG's translation buffer in 4 KiB pages)
        String vmmStatus = Files.readString(Path.of("/proc/" + vmm + "/status"));
        assertTrue(vmmStatus.contains("THP_enabled:\t0"), vmmStatus);
        assertTrue(vmmStatus.contains("NoNewPrivs:\t1"), vmmStatus);
        CliFixture.Result table = cli.run("ps", id);
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().startsWith("PID "), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.contains("sleep 3600")), table.out());
        assertEquals(0, cli.run("kill", id, "TERM").code());
        assertEquals(143, run.await(60).code());
        cli.assertNothingLeft(id);
    }

    @Test
    void createStartStateKillDelete() throws Exception {
        Path bundle = termBundle("walk");
        String id = id("walk");
        Path pidFile = work.resolve(id + ".pid");
        CliFixture.Result created = cli.run("create", "-b", bundle.toString(), "--pid-file", pidFile.toString(), id);
        assertEquals(0, created.code(), created.err());
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertTrue(ProcessHandle.of(pid).isPresent(), "the pid file names a live process");

        JsonNode state = Json.mapper().readTree(cli.run("state", id).out());
        assertEquals("created", state.get("status").asText());
        assertEquals(pid, state.get("pid").asLong());
        assertEquals(id, state.get("id").asText());
        assertEquals(bundle.toString(), state.get("bundle").asText());
        assertEquals(bundle.resolve("rootfs").toString(), state.get("rootfs").asText());
        assertEquals("1.2.0", state.get("ociVersion").asText());
        assertTrue(state.has("created") && state.has("owner"), state.toString());

        CliFixture.Result dup = cli.run("create", "-b", bundle.toString(), id);
        assertEquals(1, dup.code());
        assertEquals("jvmvisor: container with id exists: " + id, dup.errorLine());

        assertEquals("jvmvisor: unknown signal \"SIGNOPE\"", cli.run("kill", id, "SIGNOPE").errorLine());

        assertEquals(0, cli.run("start", id).code());
        for (int i = 0; i < 5; i++) {
            assertEquals("running", Json.mapper().readTree(cli.run("state", id).out()).get("status").asText());
        }
        assertEquals("jvmvisor: cannot start an already running container", cli.run("start", id).errorLine());
        assertEquals("jvmvisor: cannot delete container " + id + " that is not stopped: running",
                cli.run("delete", id).errorLine());
        CliFixture.Result list = cli.run("list");
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(" running ")), list.out());

        assertEquals(0, cli.run("kill", id, "TERM").code());
        cli.awaitStatus(id, "stopped", 60);
        assertEquals(0, cli.run("kill", "--all", id, "KILL").code(), "kill --all of a stopped container succeeds, as in runc");
        assertEquals(0, Json.mapper().readTree(cli.run("state", id).out()).get("pid").asLong());
        assertEquals("jvmvisor: cannot start a container that has stopped", cli.run("start", id).errorLine());
        assertEquals("jvmvisor: container not running", cli.run("kill", id).errorLine());
        assertEquals(0, cli.run("delete", id).code());
        cli.assertNothingLeft(id);
    }

    /**
     * {@code start} of a created container without poststart hooks, and {@code kill} with a signal
     * number, are one request that bin/jvmvisor sends itself (no JVM: it works with a classpath no
     * JVM starts from); one the shim refuses, a signal's name, and a start with poststart hooks are
     * the Java CLI's, which says why or runs the hooks.
     */
    @Test
    void startAndKillNeedNoJvmUnlessThereArePoststartHooks() throws Exception {
        String id = created("sleep", "fast-start");
        CliFixture.Result started = cli.runWithoutJava("start", id);
        assertEquals(0, started.code(), started.err());
        assertEquals("running", Json.mapper().readTree(cli.run("state", id).out()).get("status").asText());
        assertEquals(1, cli.runWithoutJava("start", id).code(), "a refused start reaches the (broken) Java CLI");
        assertEquals("jvmvisor: cannot start an already running container", cli.run("start", id).errorLine());
        assertEquals(1, cli.runWithoutJava("kill", id, "KILL").code(), "a signal's name is the Java CLI's");
        assertEquals(0, cli.runWithoutJava("kill", id, "9").code(), "kill by number needs no JVM");
        cli.awaitStatus(id, "stopped", 60);
        assertEquals(1, cli.runWithoutJava("kill", id, "9").code(), "a stopped container: the Java CLI's");
        assertEquals("jvmvisor: container not running", cli.run("kill", id).errorLine());
        assertEquals(0, cli.run("delete", id).code());
        cli.assertNothingLeft(id);

        Path hooks = TestBundles.create("hooks", work.resolve("fast-start-hooks"));
        String hooked = created(hooks, "fast-start-hooks");
        assertEquals(1, cli.runWithoutJava("start", hooked).code(), "poststart hooks: start is the Java CLI's");
        assertEquals("created", Json.mapper().readTree(cli.run("state", hooked).out()).get("status").asText());
        assertTrue(!Files.exists(hooks.resolve("hook-poststart.json")));
        assertEquals(0, cli.run("start", hooked).code());
        assertTrue(Files.exists(hooks.resolve("hook-poststart.json")), "the poststart hook ran");
        cli.awaitStatus(hooked, "stopped", 60);
        assertEquals(0, cli.run("delete", hooked).code());
        cli.assertNothingLeft(hooked);
    }

    /**
     * create's shim is the JVM bin/jvmvisor started ahead of the CLI's (PreStartedShim), adopted
     * only where /proc shows it is the very shim the CLI would start: the container's output and
     * exit status are a shim's as ever. One the launcher guessed wrong (a config whose network
     * namespace it misreads: "network" spelled with a JSON escape, so it left the shim in the
     * host's namespace) is killed and replaced; a create that fails leaves none behind.
     */
    @Test
    void createAdoptsTheShimStartedAheadOnlyWhereItFits() throws Exception {
        Path bundle = TestBundles.create("hello", work.resolve("preshim"));
        String id = id("preshim");
        CliFixture.Running create = cli.start("create", "-b", bundle.toString(), id);
        assertEquals(0, create.await(180).code(), Files.readString(create.err));
        long shim = Json.mapper().readTree(cli.run("state", id).out()).get("pid").asLong();
        assertTrue(CliFixture.cmdline(shim).strip().endsWith(" io.jvmvisor.shim.ShimMain --await-args 3"), CliFixture.cmdline(shim).strip());
        assertEquals(0, cli.run("start", id).code());
        cli.awaitStatus(id, "stopped", 60);
        assertEquals("Hello from a jvmvisor micro-VM\n", Files.readString(create.out));
        assertEquals(0, cli.run("delete", id).code());
        cli.assertNothingLeft(id);

        Path misread = TestBundles.create("hello", work.resolve("preshim-misread"));
        String config = Files.readString(misread.resolve("config.json"));
        assertTrue(config.contains("\"network\""), config);
        Files.writeString(misread.resolve("config.json"), config.replace("\"network\"", "\"netw\\u006frk\""));
        String other = id("preshim-misread");
        CliFixture.Running replaced = cli.start("--debug", "create", "-b", misread.toString(), other);
        assertEquals(0, replaced.await(180).code(), Files.readString(replaced.err));
        java.util.regex.Matcher refused = java.util.regex.Pattern.compile(
                "the pre-started shim (\\d+) is not used: its network namespace is net:\\[\\d+], this process's")
                .matcher(Files.readString(replaced.err));
        assertTrue(refused.find(), Files.readString(replaced.err));
        awaitGone(Long.parseLong(refused.group(1)));
        long own = Json.mapper().readTree(cli.run("state", other).out()).get("pid").asLong();
        assertTrue(CliFixture.cmdline(own).contains(" io.jvmvisor.shim.ShimMain --id " + other + " "), CliFixture.cmdline(own));
        assertTrue(!Files.readSymbolicLink(Path.of("/proc/" + own + "/ns/net"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net"))), "the shim runs in a namespace of its own");
        assertEquals(0, cli.run("start", other).code());
        cli.awaitStatus(other, "stopped", 60);
        assertEquals("Hello from a jvmvisor micro-VM\n", Files.readString(replaced.out));
        assertEquals(0, cli.run("delete", other).code());
        cli.assertNothingLeft(other);

        java.util.Set<Long> before = preStartedShims();
        Path broken = TestBundles.create("hello", work.resolve("preshim-broken"));
        Files.writeString(broken.resolve("config.json"), config.replace("\"rootfs\"", "\"no-such-rootfs\""));
        String failed = id("preshim-broken");
        CliFixture.Result r = cli.run("create", "-b", broken.toString(), failed);
        assertEquals(1, r.code());
        assertTrue(r.errorLine().startsWith("jvmvisor: "), r.err());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!before.containsAll(preStartedShims()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(before, preStartedShims(), "no shim started ahead outlives a create that failed");
        cli.assertNothingLeft(failed);
    }

    /** The live processes that are shims started ahead (waiting for their arguments, or adopted). */
    private static java.util.Set<Long> preStartedShims() {
        return ProcessHandle.allProcesses().map(ProcessHandle::pid)
                .filter(pid -> CliFixture.cmdline(pid).endsWith("ShimMain --await-args 3 ") && lives(pid))
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Whether {@code pid} is a process that has not exited (a zombie has). */
    private static boolean lives(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static void awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (lives(pid) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(!lives(pid), "process " + pid + " is gone");
    }

    /**
     * {@code state} of a container whose shim lives and says created or running is printed by
     * bin/jvmvisor (no JVM), byte for byte what the Java CLI prints; paused, and a shim killed
     * (SIGKILL: its status file still says running), are the Java CLI's again.
     */
    @Test
    void stateNeedsNoJvmWhileTheShimSaysCreatedOrRunning() throws Exception {
        String id = created("sleep", "fast-state");
        for (String status : List.of("created", "running")) {
            CliFixture.Result fast = cli.runWithoutJava("state", id);
            assertEquals(0, fast.code(), status + ": " + fast.err());
            assertEquals(cli.runJavaOnly("state", id).out(), fast.out(), status);
            assertEquals(status, Json.mapper().readTree(fast.out()).get("status").asText());
            if (status.equals("created")) {
                assertEquals(0, cli.run("start", id).code());
            }
        }
        assertEquals(0, cli.run("pause", id).code());
        assertEquals(1, cli.runWithoutJava("state", id).code(), "paused: the Java CLI's");
        assertEquals("paused", Json.mapper().readTree(cli.run("state", id).out()).get("status").asText());
        assertEquals(0, cli.run("resume", id).code());
        long shim = Json.mapper().readTree(cli.run("state", id).out()).get("pid").asLong();
        ProcessHandle.of(shim).orElseThrow().destroyForcibly();
        ProcessHandle.of(shim).ifPresent(p -> p.onExit().join());
        assertEquals(1, cli.runWithoutJava("state", id).code(), "a shim gone: the Java CLI's");
        assertEquals("stopped", Json.mapper().readTree(cli.run("state", id).out()).get("status").asText());
        assertEquals(0, cli.run("delete", "--force", id).code());
        cli.assertNothingLeft(id);
    }

    /**
     * {@code exec --process F --detach --pid-file P ID} (containerd's docker exec) of a running
     * container is sent by bin/jvmvisor itself (no JVM): the process gets the caller's stdout and
     * stderr, P names its stand-in, which exits with the process's status; a process file that
     * asks for a terminal, one the shim refuses, and a stopped container are the Java CLI's.
     */
    @Test
    void detachedExecNeedsNoJvm() throws Exception {
        String id = started("sleep", "fast-exec");
        Path process = Files.writeString(work.resolve("fast-exec.json"), """
                {"terminal": false, "user": {"uid": 0, "gid": 0},
                 "args": ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"],
                 "env": ["PATH=/bin"], "cwd": "/"}
                """);
        Path pid = work.resolve("fast-exec.pid");
        // a symlink planted at the pid file is replaced, not followed (as the Java CLI writes it)
        Path victim = Files.writeString(work.resolve("fast-exec-victim"), "untouched");
        Files.createSymbolicLink(pid, victim);
        CliFixture.Running exec = cli.startWithoutJava("exec", "--process", process.toString(), "--detach",
                "--pid-file", pid.toString(), id);
        CliFixture.Result r = exec.await(180);
        assertEquals(0, r.code(), r.err());
        assertEquals("untouched", Files.readString(victim));
        assertTrue(Files.isRegularFile(pid, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        long standIn = Long.parseLong(Files.readString(pid).strip());
        assertTrue(standIn > 0 && standIn != exec.process.pid(), "the pid file names the stand-in: " + standIn);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!(Files.readString(exec.out).equals("out\n") && Files.readString(exec.err).equals("err\n"))
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals("out\n", Files.readString(exec.out));
        assertEquals("err\n", Files.readString(exec.err));

        Path tty = Files.writeString(work.resolve("fast-exec-tty.json"),
                "{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"/bin/true\"],\"cwd\":\"/\"}");
        assertEquals(1, cli.runWithoutJava("exec", "--process", tty.toString(), "--detach", "--pid-file", pid.toString(), id).code(),
                "a terminal is the Java CLI's");
        assertEquals("jvmvisor: cannot allocate tty if jvmvisor will detach without setting console socket",
                cli.run("exec", "--process", tty.toString(), "--detach", "--pid-file", pid.toString(), id).errorLine());
        Path noArgs = Files.writeString(work.resolve("fast-exec-empty.json"), "{\"args\":[],\"cwd\":\"/\"}");
        assertEquals(1, cli.runWithoutJava("exec", "--process", noArgs.toString(), "--detach", "--pid-file", pid.toString(), id).code(),
                "a refused exec reaches the (broken) Java CLI");
        assertEquals(0, cli.run("kill", id, "KILL").code());
        cli.awaitStatus(id, "stopped", 60);
        assertEquals(1, cli.runWithoutJava("exec", "--process", process.toString(), "--detach", "--pid-file", pid.toString(), id).code());
        assertEquals("jvmvisor: cannot exec in a stopped container",
                cli.run("exec", "--process", process.toString(), "--detach", "--pid-file", pid.toString(), id).errorLine());
        assertEquals(0, cli.run("delete", id).code());
        cli.assertNothingLeft(id);
    }

    /**
     * {@code delete} needs no JVM for a container whose shim is gone (it ran to its end), a
     * created one, and a running one with --force (the shim is asked and waited for); a running
     * one without --force and one with poststop hooks are the Java CLI's. Nothing is left.
     */
    @Test
    void deleteNeedsNoJvmWithoutPoststopHooks() throws Exception {
        String ended = started("hello", "fast-delete-ended");
        cli.awaitStatus(ended, "stopped", 60);
        CliFixture.Result r = cli.runWithoutJava("delete", ended);
        assertEquals(0, r.code(), r.err());
        cli.assertNothingLeft(ended);

        Path sleep = TestBundles.create("sleep", work.resolve("fast-delete-sleep"));
        String fresh = created(sleep, "fast-delete-created");
        assertEquals(0, cli.runWithoutJava("delete", fresh).code());
        cli.assertNothingLeft(fresh);

        String running = created(sleep, "fast-delete-running");
        assertEquals(0, cli.run("start", running).code());
        assertEquals(1, cli.runWithoutJava("delete", running).code(), "running, no --force: the Java CLI's");
        assertEquals("jvmvisor: cannot delete container " + running + " that is not stopped: running",
                cli.run("delete", running).errorLine());
        assertEquals(0, cli.runWithoutJava("delete", "--force", running).code());
        cli.assertNothingLeft(running);

        Path hooks = TestBundles.create("hooks", work.resolve("fast-delete-hooks"));
        String hooked = created(hooks, "fast-delete-hooks");
        assertEquals(1, cli.runWithoutJava("delete", hooked).code(), "poststop hooks: the Java CLI's");
        assertEquals(0, cli.run("delete", hooked).code());
        assertTrue(Files.exists(hooks.resolve("hook-poststop.json")), "the poststop hook ran");
        cli.assertNothingLeft(hooked);
    }

    /** A container of the TestBundles bundle {@code name} (in a folder of {@code what}), created and started. */
    private static String started(String name, String what) throws Exception {
        String id = created(name, what);
        assertEquals(0, cli.run("start", id).code());
        return id;
    }

    /** A container of the TestBundles bundle {@code name} (in a folder of {@code what}), created. */
    private static String created(String name, String what) throws Exception {
        return created(TestBundles.create(name, work.resolve(what)), what);
    }

    /** A container of {@code bundle} created under a fresh ID (of {@code what}). */
    private static String created(Path bundle, String what) throws Exception {
        String id = id(what);
        assertEquals(0, cli.run("create", "-b", bundle.toString(), id).code());
        return id;
    }

    @Test
    void forceDeleteOfARunningContainer() throws Exception {
        Path bundle = TestBundles.create("sleep", work.resolve("force"));
        String id = id("force");
        assertEquals(0, cli.run("run", "-d", "-b", bundle.toString(), id).code());
        cli.awaitStatus(id, "running", 60);
        assertEquals(0, cli.run("delete", "--force", id).code());
        cli.assertNothingLeft(id);
    }

    @Test
    void execRunsInTheContainerWithItsOwnStdioAndStatus() throws Exception {
        String id = id("exec");
        assertEquals(0, cli.run("run", "-d", "-b", termBundle("exec").toString(), id).code());
        cli.awaitStatus(id, "running", 60);
        CliFixture.Result r = cli.run("exec", "-e", "X=1", "-e", "Y=2", id, "sh", "-c",
                "echo out $X$Y > /tmp/f; cat /tmp/f; echo err >&2; exit 7");
        assertEquals(7, r.code(), r.err());
        assertEquals("out 12\n", r.out());
        assertEquals("err\n", r.err());
        Path pidFile = work.resolve(id + ".exec.pid");
        Path process = work.resolve(id + ".process.json");
        Files.writeString(process, "{\"args\":[\"sh\",\"-c\",\"cat /tmp/f; exit 3\"],\"cwd\":\"/\","
                + "\"env\":[\"PATH=/bin:/usr/bin\"],\"user\":{\"uid\":0,\"gid\":0}}");
        CliFixture.Running detached = cli.start("exec", "--process", process.toString(), "--detach", "--pid-file",
                pidFile.toString(), id);
        CliFixture.Result d = detached.await(120);
        assertEquals(0, d.code(), d.err());
        long standIn = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle.of(standIn).ifPresent(ph -> ph.onExit().join());
        // the stand-in wrote the process's output to the stdout it shares with the exec command
        assertEquals("out 12\n", Files.readString(detached.out));
        assertEquals(0, cli.run("delete", "--force", id).code());
        cli.assertNothingLeft(id);
    }

    @Test
    void hooksSeeTheState() throws Exception {
        Path bundle = TestBundles.create("hooks", work.resolve("hooks"));
        String id = id("hooks");
        CliFixture.Result r = cli.run("run", "-b", bundle.toString(), id);
        assertEquals(0, r.code(), r.err());
        assertEquals("hooked\n", r.out());
        for (String h : List.of("prestart", "createRuntime", "poststart", "poststop")) {
            ObjectNode s = (ObjectNode) Json.mapper().readTree(bundle.resolve("hook-" + h + ".json").toFile());
            assertEquals(id, s.get("id").asText(), h);
            assertEquals(bundle.toString(), s.get("bundle").asText(), h);
        }
        cli.assertNothingLeft(id);
    }
}
