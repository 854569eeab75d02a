package io.jvmvisor.runtime.hooks;

import io.jvmvisor.oci.Hooks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs OCI hooks on the host: {@code path} with argv {@code args}, {@code env} as
 * environment, the
 * container's state JSON on stdin, killed after {@code timeout} seconds.
 */
public final class HookRunner {
    private static final Path BASH = Path.of("/bin/bash");
    /** Output kept for error messages. */
    private static final int MAX_OUTPUT = 4096;

    private HookRunner() {
    }

    /** Runs {@code hooks} of phase {@code phase} in order; the first failure stops and is thrown. */
    public static void runAll(String phase, List<Hooks.Hook> hooks, byte[] stateJson) throws HookException {
        for (int i = 0; i < hooks.size(); i++) {
            run(phase, i, hooks.get(i), stateJson);
        }
    }

    /** Runs every hook of {@code phase}, returning the failures instead of stopping (poststart, poststop). */
    public static List<String> runAllReportingFailures(String phase, List<Hooks.Hook> hooks, byte[] stateJson) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < hooks.size(); i++) {
            try {
                run(phase, i, hooks.get(i), stateJson);
            } catch (HookException e) {
                failures.add(e.getMessage());
            }
        }
        return failures;
    }

    /** Runs one hook. */
    public static void run(String phase, int index, Hooks.Hook hook, byte[] stateJson) throws HookException {
        String name = phase + " hook #" + index + " (" + hook.path() + ")";
        List<String> command = command(hook);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        if (hook.env() != null) {
            for (String e : hook.env()) {
                int eq = e.indexOf('=');
                if (eq > 0) {
                    env.put(e.substring(0, eq), e.substring(eq + 1));
                }
            }
        }
        java.lang.Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new HookException("error running " + name + ": " + e.getMessage());
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> drain(p.getInputStream(), output));
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write(stateJson);
        } catch (IOException e) {
            // the hook need not read its stdin
        }
        try {
            boolean done = hook.timeout() == null ? waitForever(p) : p.waitFor(hook.timeout(), TimeUnit.SECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                throw new HookException("error running " + name + ": timed out after " + hook.timeout() + "s, killed");
            }
            reader.join(1000);
            int code = p.exitValue();
            if (code != 0) {
                String out;
                synchronized (output) {
                    out = output.toString(StandardCharsets.UTF_8).strip();
                }
                throw new HookException("error running " + name + ": exit status " + code
                        + (out.isEmpty() ? "" : ", output: " + out));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new HookException("error running " + name + ": interrupted");
        }
    }

    /**
     * The command line: {@code path} with {@code args[1:]}, run so that argv[0] is
     * {@code args[0]} (docker's own prestart hook is dockerd re-executed as
     * "libnetwork-setkey"). Java cannot set argv[0] apart from the path, so a
     * different argv[0] goes through bash's {@code exec -a}; bash then leaves
     * SHLVL=0 in the hook's environment.
     */
    static List<String> command(Hooks.Hook hook) {
        List<String> args = hook.args() == null ? List.of() : hook.args();
        List<String> command = new ArrayList<>();
        if (!args.isEmpty() && !args.getFirst().equals(hook.path()) && Files.isExecutable(BASH)) {
            command.addAll(List.of(BASH.toString(), "-c", "unset PWD OLDPWD; exec -a \"$0\" \"$@\"", args.getFirst()));
        }
        command.add(hook.path());
        if (args.size() > 1) {
            command.addAll(args.subList(1, args.size()));
        }
        return command;
    }

    private static boolean waitForever(java.lang.Process p) throws InterruptedException {
        p.waitFor();
        return true;
    }

    private static void drain(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[1024];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    if (out.size() < MAX_OUTPUT) {
                        out.write(buf, 0, Math.min(n, MAX_OUTPUT - out.size()));
                    }
                }
            }
        } catch (IOException e) {
            // the hook closed its output
        }
    }
}
