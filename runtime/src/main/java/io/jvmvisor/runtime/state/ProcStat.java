package io.jvmvisor.runtime.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a process's start time from /proc, to tell a live shim from a later process reusing its PID. */
public final class ProcStat {
    private ProcStat() {
    }

    /** Field 22 (starttime) of /proc/PID/stat, or -1 if there is no such process. */
    public static long startTime(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // comm (field 2) may contain spaces and parentheses: fields after it start past the last ')'
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // rest[0] is field 3 (state); starttime is field 22
            if ("Z".equals(rest[0])) {
                return -1;
            }
            return Long.parseLong(rest[22 - 3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** True if {@code pid} runs and started at {@code startTime} (as recorded). */
    public static boolean isAlive(long pid, long startTime) {
        long now = startTime(pid);
        return now >= 0 && (startTime <= 0 || now == startTime);
    }
}
