package io.jvmvisor.bench;

import io.jvmvisor.testbundles.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Removal of the harness's work folder: mounts under it first, then the files. */
final class Cleanup {
    private Cleanup() {
    }

    static void work(Path work) {
        try {
            String prefix = work.toRealPath() + "/";
            List<String> targets = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && (f[4] + "/").startsWith(prefix)) {
                    targets.add(f[4]);
                }
            }
            targets.sort(Comparator.comparingInt(String::length).reversed());
            for (String t : targets) {
                Commands.run(Duration.ofSeconds(10), List.of("umount", "-l", t));
            }
        } catch (IOException | RuntimeException e) {
            Bench.log("could not check mounts under " + work + ": " + e.getMessage());
        }
        try (Stream<Path> s = Files.walk(work)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            Bench.log("could not remove " + work + ": " + e.getMessage());
        }
    }
}
