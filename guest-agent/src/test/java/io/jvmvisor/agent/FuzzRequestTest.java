package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds the libFuzzer harness of the agent's request decoding (make fuzz,
 * clang with ASan and UBSan) and runs it for a bounded time
 * (-Djvmvisor.fuzz.seconds, default 20). A crash, a leak or undefined
 * behaviour fails the test; the input that caused it is kept under
 * target/fuzz-artifacts/.
 */
class FuzzRequestTest {

    private static boolean clangPresent() {
        try {
            Process p = new ProcessBuilder("clang", "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String run(List<String> cmd, Path log, int timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", cmd) + " ran over " + timeoutSeconds + " s");
        }
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + tail(out));
        return out;
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }

    @Test
    void requestDecodingSurvivesFuzzing(@TempDir Path tmp) throws Exception {
        assumeTrue(clangPresent(), "clang is not installed (apt-get install clang): the fuzz harness cannot be built");
        Path out = Path.of("target/agent").toAbsolutePath();
        run(List.of("make", "-s", "-C", "src/main/c", "OUT=" + out, "fuzz"), tmp.resolve("make.log"), 300);

        int seconds = Integer.getInteger("jvmvisor.fuzz.seconds", 20);
        Path artifacts = Files.createDirectories(Path.of("target/fuzz-artifacts").toAbsolutePath());
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        String log = run(List.of(out.resolve("fuzz_request").toString(), "-max_total_time=" + seconds,
                        "-rss_limit_mb=2048", "-artifact_prefix=" + artifacts + "/", corpus.toString()),
                tmp.resolve("fuzz.log"), seconds + 120);
        assertTrue(log.contains("DONE"), tail(log));
        String done = log.lines().filter(l -> l.contains("DONE")).findFirst().orElseThrow();
        System.out.println("fuzz_request: " + done);
    }
}
