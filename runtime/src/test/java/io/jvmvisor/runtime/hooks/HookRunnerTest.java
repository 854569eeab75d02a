package io.jvmvisor.runtime.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.oci.Hooks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookRunnerTest {
    @TempDir
    Path dir;

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void hookGetsStateOnStdinWithItsArgsAndEnv() throws Exception {
        Path out = dir.resolve("out");
        Path hook = script("record", "cat > " + out + "; echo \"$1 $2 $GREETING\" >> " + out);
        byte[] state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c\",\"status\":\"created\",\"pid\":1,\"bundle\":\"/b\"}"
                .getBytes(StandardCharsets.UTF_8);
        HookRunner.run("prestart", 0, new Hooks.Hook(hook.toString(), List.of("record", "a", "b"),
                List.of("GREETING=hi"), 5), state);
        assertEquals(new String(state, StandardCharsets.UTF_8) + "a b hi\n", Files.readString(out));
    }

    @Test
    void argvZeroIsArgsZero() throws Exception {
        Path out = dir.resolve("cmdline");
        HookRunner.run("prestart", 0, new Hooks.Hook("/bin/sh",
                List.of("libnetwork-setkey", "-c", "tr '\\0' ' ' < /proc/$$/cmdline > " + out), List.of("A=1"), 5),
                new byte[0]);
        assertEquals("libnetwork-setkey -c tr '\\0' ' ' < /proc/$$/cmdline > " + out + " ", Files.readString(out));
    }

    @Test
    void timeoutKillsTheHook() throws Exception {
        Path pidFile = dir.resolve("pid");
        Path hook = script("slow", "echo $$ > " + pidFile + "; exec sleep 30");
        long t0 = System.nanoTime();
        HookException e = assertThrows(HookException.class, () -> HookRunner.run("createRuntime", 1,
                new Hooks.Hook(hook.toString(), null, null, 1), new byte[0]));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000);
        assertEquals("error running createRuntime hook #1 (" + hook + "): timed out after 1s, killed", e.getMessage());
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertTrue(ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true), "hook process " + pid + " still runs");
    }

    @Test
    void failureReportsExitStatusAndOutput() throws Exception {
        Path hook = script("fail", "echo nope >&2; exit 3");
        HookException e = assertThrows(HookException.class, () -> HookRunner.run("prestart", 0,
                new Hooks.Hook(hook.toString(), null, null, null), new byte[0]));
        assertEquals("error running prestart hook #0 (" + hook + "): exit status 3, output: nope", e.getMessage());
        List<String> failures = HookRunner.runAllReportingFailures("poststop",
                List.of(new Hooks.Hook(hook.toString(), null, null, null), new Hooks.Hook("/nonexistent", null, null, null)),
                new byte[0]);
        assertEquals(2, failures.size());
        assertTrue(failures.get(1).startsWith("error running poststop hook #1 (/nonexistent): "), failures.get(1));
    }
}
