package io.jvmvisor.shim.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code status} in a container's state dir: the shim's answer to {@code state}, one JSON line as
 * on the control socket, replaced by the shim at each transition of the container, before the
 * operation that caused it is answered. While the shim lives, {@code jvmvisor state} reads this
 * file instead of connecting: a fresh JVM's first Unix socket costs ~25 ms (the JDK seeds a
 * SecureRandom for it), more than the rest of the command. A missing or unreadable file means
 * "ask the shim".
 */
public final class StatusFile {
    /** The file's name in the state dir. */
    public static final String NAME = "status";

    private StatusFile() {
    }

    /** Replaces the file atomically (a temp file renamed over it), readable by its owner only. */
    public static void write(Path stateDir, ControlResponse state) throws IOException {
        Path target = stateDir.resolve(NAME);
        Path tmp = stateDir.resolve("." + NAME + ".tmp");
        byte[] line = (new FlatJson.Writer().field("ok", state.ok()).field("status", state.status())
                .field("exitStatus", state.exitStatus()).end() + "\n").getBytes(StandardCharsets.UTF_8);
        try (var out = PrivateFiles.open(tmp, false)) {
            out.write(line);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes the file (the shim could not keep it current: callers ask the shim again). */
    public static void remove(Path stateDir) {
        try {
            Files.deleteIfExists(stateDir.resolve(NAME));
        } catch (IOException e) {
            // the state dir is going or gone
        }
    }

    /** What the shim last wrote; null if there is no file or it cannot be read. */
    public static ControlResponse read(Path stateDir) {
        try {
            String line = Files.readString(stateDir.resolve(NAME), StandardCharsets.UTF_8);
            return ControlCodec.readResponse(line.strip());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
