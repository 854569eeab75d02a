package io.jvmvisor.bench;

import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The three runtimes compared, each probed once by running the hello bundle:
 * a runtime that fails the probe gets its reason on every row instead of numbers.
 */
public final class Runtimes {
    public static final String RUNC = "runc";
    public static final String RUNSC = "runsc";
    public static final String JVMVISOR = "jvmvisor";
    public static final List<String> ALL = List.of(RUNC, RUNSC, JVMVISOR);

    /** gVisor's flags on this machine: no network stack, no cgroup setup (cgroup v1 host). */
    public static final List<String> RUNSC_ARGS = List.of("--network=none", "--ignore-cgroups");

    private final Path work;
    private final Path helloBundle;
    private final Map<String, String> executables = new LinkedHashMap<>();
    private final Map<String, String> unavailable = new ConcurrentHashMap<>();
    private final Map<String, Double> probeMillis = new LinkedHashMap<>();
    private final AtomicInteger roots = new AtomicInteger();
    private final List<OciCli> clis = new CopyOnWriteArrayList<>();

    private Runtimes(Path work, Path helloBundle) {
        this.work = work;
        this.helloBundle = helloBundle;
    }

    /** Finds and probes runc, runsc and {@code home/bin/jvmvisor}. */
    public static Runtimes probe(Path home, Path work, Path bundles, Duration jvmvisorTimeout) {
        Runtimes r = new Runtimes(work, TestBundles.create("hello", bundles));
        r.find(RUNC, List.of("/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"));
        r.find(RUNSC, List.of("/usr/bin/runsc", "/usr/local/bin/runsc"));
        r.find(JVMVISOR, List.of(home.resolve("bin/jvmvisor").toString()));
        for (String name : ALL) {
            if (r.executables.containsKey(name)) {
                r.probeOne(name, name.equals(JVMVISOR) ? jvmvisorTimeout : Duration.ofSeconds(60));
            }
        }
        return r;
    }

    private void find(String name, List<String> candidates) {
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                executables.put(name, c);
                return;
            }
        }
        unavailable.put(name, name + " is not installed (looked at " + String.join(", ", candidates) + ")");
    }

    private void probeOne(String name, Duration timeout) {
        OciCli cli = newCli(name);
        String id = "bench-probe-" + name;
        try {
            OciCli.Outcome o = cli.call(timeout, "run", "--bundle", helloBundle.toString(), id);
            if (o.exitCode() != 0) {
                unavailable.put(name, name + " run of the hello bundle failed (exit " + o.exitCode() + ")"
                        + OciCli.lastLine(o.stderr().isBlank() ? o.stdout() : o.stderr()));
            } else if (!o.stdout().contains(TestBundles.HELLO_OUTPUT)) {
                unavailable.put(name, name + " run of the hello bundle printed no greeting"
                        + OciCli.lastLine(o.stdout() + "\n" + o.stderr()));
            } else {
                probeMillis.put(name, o.millis());
            }
        } catch (BenchException e) {
            unavailable.put(name, e.getMessage());
        } finally {
            cli.forceDelete(id);
        }
    }

    /** A fresh CLI (own --root) for a usable runtime; empty if it is not usable. */
    public Optional<OciCli> cli(String name) {
        return usable(name) ? Optional.of(newCli(name)) : Optional.empty();
    }

    private OciCli newCli(String name) {
        int n = roots.incrementAndGet();
        OciCli cli = new OciCli(name, executables.get(name), name.equals(RUNSC) ? RUNSC_ARGS : List.of(),
                work.resolve("root-" + name + "-" + n), work.resolve("logs"),
                reason -> unavailable.putIfAbsent(name, "skipped after an earlier hang: " + reason));
        clis.add(cli);
        return cli;
    }

    /** Force-deletes every container still listed under any root this run used (after a failure). */
    public void removeLeftovers() {
        for (OciCli cli : clis) {
            try {
                OciCli.Outcome o = cli.call(Duration.ofSeconds(60), "list", "-q");
                for (String id : o.exitCode() == 0 ? o.stdout().strip().split("\\s+") : new String[0]) {
                    if (!id.isBlank()) {
                        cli.forceDelete(id);
                    }
                }
            } catch (BenchException e) {
                // the work folder's removal reports what stays
            }
        }
    }

    public boolean usable(String name) {
        return executables.containsKey(name) && !unavailable.containsKey(name);
    }

    /** Why a runtime gives no numbers (null if usable). */
    public String reason(String name) {
        return unavailable.get(name);
    }

    /** The executable's path (null if not found). */
    public String executable(String name) {
        return executables.get(name);
    }

    /** Wall time of the probe's hello run, in ms (null if it failed). */
    public Double probeMillis(String name) {
        return probeMillis.get(name);
    }
}
