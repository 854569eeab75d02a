package io.jvmvisor.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Host processes belonging to containers, and their proportional memory (PSS). */
public final class HostProcesses {
    private static final Pattern ACCEL = Pattern.compile("(?:-accel[= ]|accel=)(kvm|tcg|hvf|xen)");

    private HostProcesses() {
    }

    /**
     * The processes of a runtime's containers: {@code pid} (the PID its
     * {@code state} reports) and its descendants, plus every process whose
     * command line names {@code marker} (the runtime's --root: runsc's
     * sandbox and gofer, jvmvisor's shim and QEMU) and their descendants.
     */
    public static Set<Long> belongingTo(Set<Long> statePids, String marker) {
        Set<Long> pids = new TreeSet<>();
        long self = ProcessHandle.current().pid();
        for (long pid : statePids) {
            if (pid > 1 && pid != self) {
                pids.add(pid);
            }
        }
        for (long pid : allPids()) {
            if (pid != self && cmdline(pid).contains(marker)) {
                pids.add(pid);
            }
        }
        for (long pid : Set.copyOf(pids)) {
            ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        }
        return pids;
    }

    /** Sum of {@code Pss:} of /proc/PID/smaps_rollup, in bytes; vanished processes count 0. */
    public static long pssBytes(Set<Long> pids) {
        long total = 0;
        for (long pid : pids) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                    if (line.startsWith("Pss:")) {
                        total += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                        break;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // gone
            }
        }
        return total;
    }

    /** "java ×1 (52.1 MiB), qemu-system-x86 ×2 (230 MiB)": what the processes are, with their summed PSS. */
    public static String describe(Set<Long> pids) {
        TreeMap<String, Integer> names = new TreeMap<>();
        TreeMap<String, Long> pss = new TreeMap<>();
        for (long pid : pids) {
            String comm = comm(pid);
            if (!comm.isEmpty()) {
                names.merge(comm, 1, Integer::sum);
                pss.merge(comm, pssBytes(Set.of(pid)), Long::sum);
            }
        }
        StringBuilder b = new StringBuilder();
        names.forEach((n, c) -> b.append(b.isEmpty() ? "" : ", ").append(n).append(" ×").append(c).append(" (")
                .append(Measurement.format(pss.get(n) / (double) (1 << 20))).append(" MiB)"));
        return b.toString();
    }

    /** The accelerator on a QEMU command line among the processes ("tcg", "kvm"), or null. */
    public static String accelOf(Set<Long> pids) {
        for (long pid : pids) {
            String cmd = cmdline(pid);
            if (cmd.contains("qemu-system")) {
                Matcher m = ACCEL.matcher(cmd);
                if (m.find()) {
                    return m.group(1) + " (from the QEMU command line: -accel " + m.group(1) + ")";
                }
                if (cmd.contains("-enable-kvm")) {
                    return "kvm (from the QEMU command line: -enable-kvm)";
                }
            }
        }
        return null;
    }

    static String cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(b, StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static Set<Long> allPids() {
        Set<Long> pids = new TreeSet<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : d) {
                pids.add(Long.parseLong(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            // /proc always lists; a failure leaves the set short
        }
        return pids;
    }
}
