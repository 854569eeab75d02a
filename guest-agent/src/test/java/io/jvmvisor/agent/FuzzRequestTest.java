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

    /** A fuzz input: mode byte (odd: structured; bit 1: a port), method index, flags, gRPC body. */
    private static byte[] seed(int mode, int method, int flags, byte[] message) {
        var b = new java.io.ByteArrayOutputStream();
        b.write(mode);
        b.write(method);
        b.write(flags);
        b.write(0);
        b.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(message.length).array());
        b.writeBytes(message);
        return b.toByteArray();
    }

    /** Protobuf field 1 (string). */
    private static byte[] field1(String v) {
        byte[] s = v.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] m = new byte[s.length + 2];
        m[0] = 0x0a;
        m[1] = (byte) s.length;
        System.arraycopy(s, 0, m, 2, s.length);
        return m;
    }

    @Test
    void requestDecodingSurvivesFuzzing(@TempDir Path tmp) throws Exception {
        assumeTrue(clangPresent(), "clang is not installed (apt-get install clang): the fuzz harness cannot be built");
        Path out = Path.of("target/agent").toAbsolutePath();
        run(List.of("make", "-s", "-C", "src/main/c", "OUT=" + out, "fuzz"), tmp.resolve("make.log"), 300);

        int seconds = Integer.getInteger("jvmvisor.fuzz.seconds", 20);
        Path artifacts = Files.createDirectories(Path.of("target/fuzz-artifacts").toAbsolutePath());
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        // well-formed requests to start from (format: see fuzz_request.c): Ping, Stats over
        // 7-byte frames, a deferred WaitProcess, a ReadOutput stream, and one on a port
        Files.write(corpus.resolve("ping"), seed(0x01, 0, 1, new byte[0]));
        Files.write(corpus.resolve("stats"), seed(0x01, 11, 5, field1("c")));
        Files.write(corpus.resolve("wait"), seed(0x01, 5, 1, field1("sleep:1")));
        Files.write(corpus.resolve("stream"), seed(0x01, 8, 1, field1("stream:1048576:4096")));
        Files.write(corpus.resolve("port-ping"), seed(0x03, 0, 1, new byte[0]));
        String log = run(List.of(out.resolve("fuzz_request").toString(), "-max_total_time=" + seconds,
                        "-rss_limit_mb=2048", "-artifact_prefix=" + artifacts + "/", corpus.toString()),
                tmp.resolve("fuzz.log"), seconds + 120);
        assertTrue(log.contains("DONE"), tail(log));
        String done = log.lines().filter(l -> l.contains("DONE")).findFirst().orElseThrow();
        System.out.println("fuzz_request: " + done);
    }
}
