package io.jvmvisor.shim.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The QMP side of a restore: a QEMU started with {@code -incoming defer} and the template's RAM
 * ({@link QemuCommandLine.Start#RESTORE}) loads the template's device state from its file and runs.
 * QEMU 10's names: capability {@code x-ignore-shared} (RAM is not in the stream: it is the template's
 * file), {@code migrate-incoming} with a {@code file:} URI, then {@code cont} (the template was taken
 * of a stopped guest, so the loaded VM stays paused).
 */
final class TemplateRestore {
    private TemplateRestore() {
    }

    /** Loads {@code state} into the QEMU listening on {@code qmp} and resumes it, within {@code timeoutMillis}. */
    static void run(Path qmp, Path state, Process qemu, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        try (QmpClient.Session s = QmpClient.Session.open(qmp, deadline)) {
            s.call("migrate-set-capabilities", "{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true}]}");
            s.call("migrate-incoming", "{\"uri\":" + quote("file:" + state) + "}");
            while (true) {
                JsonNode st = s.call("query-status", null);
                String status = st.path("status").asText();
                if (status.equals("paused") || status.equals("running")) {
                    break;
                }
                if (!status.equals("inmigrate")) {
                    throw new IOException("the template's state did not load: QEMU status " + status);
                }
                if (!qemu.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the template's state did not load within " + timeoutMillis + " ms");
                }
                Thread.sleep(2);
            }
            s.call("cont", null);
        } catch (IOException e) {
            if (!qemu.isAlive()) {
                throw new IOException("QEMU exited while restoring the template (exit code " + qemu.exitValue() + "): "
                        + e.getMessage());
            }
            throw e;
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
