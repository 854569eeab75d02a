package io.jvmvisor.runtime;

import io.jvmvisor.oci.Features;
import java.util.List;
import java.util.Map;

/** {@code features}: the OCI features document (what this runtime implements). */
final class FeaturesCommand implements CliCommand {
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
    public String description() {
        return "show the enabled features";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public int minArgs() {
        return 0;
    }

    @Override
    public int maxArgs() {
        return 0;
    }

    @Override
    public Options options() {
        return new Options();
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) {
        System.out.println(Json.pretty(features(), 4));
        return 0;
    }
}
