package io.jvmvisor.runtime;

import io.jvmvisor.runtime.state.ContainerRecord;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.StoreException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the AOT cache ({@code -XX:AOTCacheOutput}, built in the
 * runtime module's package phase): the commands docker and containerd call
 * most, on a scratch root, so their classes are loaded and linked ahead of time.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws IOException, StoreException {
        Path tmp = Files.createTempDirectory("jvmvisor-aot");
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        System.setErr(quiet);
        try {
            String root = tmp.resolve("root").toString();
            Path bundle = Files.createDirectories(tmp.resolve("bundle"));
            new StateStore(Path.of(root)).create(new ContainerRecord("stopped", bundle.toString(),
                    bundle.resolve("rootfs").toString(), "2026-01-01T00:00:00Z", "root", Map.of("a", "b"), 1, 1));
            for (int i = 0; i < 3; i++) {
                Main.run("--help");
                Main.run("version");
                Main.run("features");
                Main.run("spec", "--bundle", bundle.toString());
                Files.deleteIfExists(bundle.resolve("config.json"));
                Main.run("spec", "--bundle", bundle.toString());
                Main.run("--root", root, "--log", tmp.resolve("log.json").toString(), "--log-format", "json",
                        "create", "--bundle", bundle.toString(), "--pid-file", tmp.resolve("pid").toString(), "x");
                Main.run("--root", root, "state", "missing");
                Main.run("--root", root, "state", "stopped");
                Main.run("--root", root, "list");
                Main.run("--root", root, "list", "--format", "json");
                Main.run("--root", root, "kill", "stopped", "KILL");
                Main.run("--root", root, "kill", "--all", "missing", "9");
                Main.run("--root", root, "start", "missing");
                Main.run("--root", root, "delete", "missing");
                Main.run("--root", root, "delete", "--force", "missing");
                Files.deleteIfExists(bundle.resolve("config.json"));
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> walk = Files.walk(tmp)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
