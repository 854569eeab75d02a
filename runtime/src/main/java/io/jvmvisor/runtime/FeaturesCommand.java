package io.jvmvisor.runtime;

import io.jvmvisor.oci.Features;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code features}: the OCI features document (what this runtime implements). */
@Command(name = "features", description = "show the enabled features")
public final class FeaturesCommand implements Callable<Integer> {
    /** The document. */
    static Features features() {
        return new Features("1.0.0", Containers.OCI_VERSION,
                List.of("prestart", "createRuntime", "poststart", "poststop"),
                List.of("bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "suid", "dev", "exec", "relatime",
                        "noatime", "strictatime", "sync", "async", "remount", "private", "rprivate", "shared",
                        "rshared", "slave", "rslave"),
                new Features.LinuxFeatures(List.of("mount", "pid", "ipc", "uts", "network"),
                        null, new Features.Cgroup(true, true, false, false, false),
                        new Features.Enabled(false), new Features.Enabled(false), new Features.Enabled(false),
                        new Features.Enabled(false)),
                Map.of("io.jvmvisor.engine", "qemu", "io.jvmvisor.isolation", "vm"));
    }

    @Override
    public Integer call() {
        System.out.println(Json.pretty(features(), 4));
        return 0;
    }
}
