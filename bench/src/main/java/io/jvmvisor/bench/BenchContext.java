package io.jvmvisor.bench;

import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** What the sections share: settings, the work folder, the probed runtimes, findings. */
public final class BenchContext {
    private final BenchOptions options;
    private final Path work;
    private final Runtimes runtimes;
    private final Map<String, Fleet.Result> fleets = new HashMap<>();
    private volatile String accel;

    public BenchContext(BenchOptions options, Path work, Runtimes runtimes) {
        this.options = options;
        this.work = work;
        this.runtimes = runtimes;
    }

    public BenchOptions options() {
        return options;
    }

    public Path work() {
        return work;
    }

    public Runtimes runtimes() {
        return runtimes;
    }

    /** A fresh test bundle {@code name} in its own folder under the work folder. */
    public Path bundle(String name, String folder) {
        return TestBundles.create(name, work.resolve("bundles").resolve(folder));
    }

    /** The accelerator jvmvisor's QEMU ran with, as seen in its command line or shim.log (null if unseen). */
    public String accel() {
        return accel;
    }

    public void accel(String seen) {
        if (accel == null && seen != null) {
            accel = seen;
        }
    }

    /** The idle-fleet measurement of a runtime, shared by the memory and density sections. */
    public Fleet.Result fleet(String runtime) {
        return fleets.get(runtime);
    }

    public void fleet(String runtime, Fleet.Result result) {
        fleets.put(runtime, result);
    }
}
