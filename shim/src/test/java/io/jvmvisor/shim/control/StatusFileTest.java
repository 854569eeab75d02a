package io.jvmvisor.shim.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shim's status file reads back as the state answer it stands for. */
class StatusFileTest {
    @TempDir
    Path dir;

    @Test
    void writtenAnswersReadBackAndReplaceEachOther() throws Exception {
        assertNull(StatusFile.read(dir), "no file: ask the shim");
        StatusFile.write(dir, ControlResponse.state("created", null));
        assertEquals(ControlResponse.state("created", null), StatusFile.read(dir));
        StatusFile.write(dir, ControlResponse.state("stopped", 137));
        assertEquals(ControlResponse.state("stopped", 137), StatusFile.read(dir));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(StatusFile.NAME))));
        assertFalse(Files.exists(dir.resolve("." + StatusFile.NAME + ".tmp")), "no temp file left");
        StatusFile.remove(dir);
        assertNull(StatusFile.read(dir));
    }

    @Test
    void aFileThatCannotBeReadMeansAskTheShim() throws Exception {
        Files.writeString(dir.resolve(StatusFile.NAME), "{\"ok\":tr");
        assertNull(StatusFile.read(dir));
    }
}
