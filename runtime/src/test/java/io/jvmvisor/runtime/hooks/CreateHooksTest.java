package io.jvmvisor.runtime.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.oci.Hooks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * create's hooks run while the shim boots, but never before the shim's process is its JVM (what
 * the hooks see through its PID must be the container's namespaces, not the CLI's), and not at
 * all for a shim that never gets there.
 */
class CreateHooksTest {
    @TempDir
    Path dir;

    /** A hook that records what runs as the state's pid (/proc/PID/exe) when it runs. */
    private Hooks recording(Path out) throws Exception {
        Path hook = dir.resolve("hook.sh");
        Files.writeString(hook, "#!/bin/sh\npid=$(sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/')\nreadlink /proc/$pid/exe >> " + out + "\n");
        hook.toFile().setExecutable(true);
        Hooks.Hook h = new Hooks.Hook(hook.toString(), null, null, 10);
        return new Hooks(List.of(h), List.of(h), null, null, null, null);
    }

    private static byte[] state(long pid) {
        return ("{\"ociVersion\":\"1.2.0\",\"id\":\"x\",\"status\":\"creating\",\"pid\":" + pid + ",\"bundle\":\"/b\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theHooksRunOnceTheShimRunsTheJvm() throws Exception {
        Path out = dir.resolve("seen");
        String java = Files.readSymbolicLink(Path.of("/proc/self/exe")).toString();
        // as a shim starts: another program first (setsid, unshare), then exec of the JVM
        Process shim = new ProcessBuilder("/bin/sh", "-c", "sleep 0.5; exec \"$0\" -cp \"$1\" \"$2\"", java,
                Path.of("target/test-classes").toAbsolutePath().toString(), Sleeper.class.getName()).start();
        try {
            CreateHooks hooks = CreateHooks.start(recording(out), state(shim.pid()), shim);
            hooks.await();
            // prestart and createRuntime each ran once, and each saw the JVM, not sh
            assertEquals(List.of(java, java), Files.readAllLines(out));
        } finally {
            shim.destroyForcibly().waitFor();
        }
    }

    /** The stand-in shim's JVM: lives until it is killed. */
    public static final class Sleeper {
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(60_000);
        }
    }

    @Test
    void aShimThatIsGoneFirstRunsNoHook() throws Exception {
        Path out = dir.resolve("seen");
        Process shim = new ProcessBuilder("/bin/sh", "-c", "exit 3").start();
        CreateHooks hooks = CreateHooks.start(recording(out), state(shim.pid()), shim);
        HookException e = assertThrows(HookException.class, hooks::await);
        assertTrue(e.getMessage().startsWith("create hooks not run: the shim (pid " + shim.pid() + ") did not start"),
                e.getMessage());
        assertEquals(false, Files.exists(out));
    }

    @Test
    void noHooksNothingToWaitFor() throws Exception {
        Process shim = new ProcessBuilder("/bin/sh", "-c", "exit 0").start();
        CreateHooks.start(Hooks.NONE, state(shim.pid()), shim).await();
        shim.waitFor();
    }
}
