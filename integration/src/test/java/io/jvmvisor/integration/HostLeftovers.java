package io.jvmvisor.integration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What jvmvisor containers leave on the host: processes (shim JVMs, QEMU),
 * mounts and files under a directory's {@code runtime-*} folders (the runtimes' state roots). Counted before and after a run of
 * containers; the counts must match.
 */
record HostLeftovers(List<String> processes, List<String> mounts, long files) {

    /** Snapshot: jvmvisor/QEMU processes and mounts mentioning {@code marker}, files under {@code dir}. */
    static HostLeftovers snapshot(String marker, Path dir) {
        List<String> procs = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(h -> {
            String cmd = h.info().commandLine().orElse("");
            // only this test's: other runs on the same host (parallel worktrees, CI) have their own
            if ((cmd.contains("qemu-system") || cmd.contains("io.jvmvisor.shim") || cmd.contains("containerd-shim"))
                    && cmd.contains(marker)) {
                procs.add(h.pid() + " " + cmd);
            }
        });
        List<String> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                if (line.contains(marker)) {
                    mounts.add(line);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        long files = 0;
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(p -> dir.relativize(p).toString().startsWith("runtime-")).count();
            } catch (IOException e) {
                files = -1;
            }
        }
        return new HostLeftovers(procs, mounts, files);
    }
}
