package io.jvmvisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.testbundles.PrivateDocker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness in {@code --quick} mode, as CI does, and checks the report:
 * seven sections, numbers for runc, and for jvmvisor numbers or the reason
 * there are none; nothing left running or on disk afterwards.
 */
class BenchQuickTest {
    private static final List<String> SECTIONS = List.of(ContainerStartBench.TITLE, CliLatencyBench.TITLE,
            BootBreakdownBench.TITLE, MemoryBench.TITLE, FileIoBench.TITLE, DensityBench.TITLE, NetworkBench.TITLE);
    /** Sections with runc rows (the boot breakdown is jvmvisor's alone; networking is skipped in --quick, its reason on every row). */
    private static final List<String> WITH_RUNC = List.of(ContainerStartBench.TITLE, CliLatencyBench.TITLE,
            MemoryBench.TITLE, FileIoBench.TITLE, DensityBench.TITLE);
    private static final Pattern NUMBER = Pattern.compile("[0-9]+(\\.[0-9]+)?");

    @TempDir
    Path out;

    @Test
    void quickRunReportsAllSectionsWithRuncNumbers() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "skipped: the harness needs root (runc, runsc, a private dockerd)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc")),
                "skipped: runc is not installed, the baseline of every ratio");
        Path home = Path.of(System.getProperty("jvmvisor.home", "..")).toAbsolutePath().normalize();
        List<Path> workBefore = benchWorkDirs();

        Path report = Bench.run(BenchOptions.parse(new String[] {"--quick", "--out", out.toString()}, home));

        String md = Files.readString(report);
        for (int i = 0; i < SECTIONS.size(); i++) {
            assertTrue(md.contains("\n## " + (i + 1) + ". " + SECTIONS.get(i) + "\n"), "section missing: " + SECTIONS.get(i));
        }
        for (String title : WITH_RUNC) {
            List<String[]> runc = rows(md, title, Runtimes.RUNC);
            assertFalse(runc.isEmpty(), title + ": no runc rows");
            for (String[] r : runc) {
                boolean dockerMissing = title.equals(ContainerStartBench.TITLE) && r[3].startsWith("n/a (")
                        && PrivateDocker.unavailableReason() != null;
                assertTrue(dockerMissing || NUMBER.matcher(r[3]).matches(), title + ": runc row without a number: "
                        + String.join("|", r));
            }
        }
        boolean jvmvisorUsable = !md.contains("| jvmvisor | n/a (jvmvisor");
        for (String title : SECTIONS) {
            List<String[]> jv = rows(md, title, Runtimes.JVMVISOR);
            assertFalse(jv.isEmpty(), title + ": no jvmvisor rows");
            for (String[] r : jv) {
                assertTrue(NUMBER.matcher(r[3]).matches() || r[3].matches("n/a \\(.+\\)"),
                        title + ": jvmvisor row with neither a number nor a reason: " + String.join("|", r));
            }
        }
        System.out.println("jvmvisor " + (jvmvisorUsable ? "measured" : "not usable; its rows give the reason"));
        assertTrue(Files.isRegularFile(out.resolve("cli-latency.png")), "the CLI latency chart was not drawn");
        assertEquals(0, ProcessHandle.current().descendants().count(),
                "processes left behind: " + ProcessHandle.current().descendants().map(p -> p.pid() + " "
                        + p.info().commandLine().orElse("?")).toList());
        List<Path> left = new ArrayList<>(benchWorkDirs());
        left.removeAll(workBefore); // another run on this host may end meanwhile: only new folders count
        assertEquals(List.of(), left, "the harness left its work folder in /var/tmp");
    }

    /** Table rows of a section for a runtime, split on '|' (index 1 figure, 2 runtime, 3 p50). */
    private static List<String[]> rows(String md, String title, String runtime) {
        int start = md.indexOf(". " + title + "\n");
        int end = md.indexOf("\n## ", start + 1);
        String section = md.substring(start, end < 0 ? md.length() : end);
        List<String[]> rows = new ArrayList<>();
        for (String line : section.split("\n")) {
            String[] cells = line.split("(?<!\\\\)\\|", -1);
            if (line.startsWith("| ") && cells.length > 4 && cells[2].strip().equals(runtime)) {
                for (int i = 0; i < cells.length; i++) {
                    cells[i] = cells[i].strip();
                }
                rows.add(cells);
            }
        }
        return rows;
    }

    private static List<Path> benchWorkDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/var/tmp"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("jvmvisor-bench-")).sorted().toList();
        }
    }
}
