package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UpdateCommandTest {
    private static ObjectNode resources(String stdin, String... args) throws CliException {
        Options.Parsed p = new UpdateCommand().options().parse(args, 0, false);
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        return UpdateCommand.resources(p, in);
    }

    @Test
    void memoryTakesRuncsSizes() throws CliException {
        assertEquals(256L << 20, UpdateCommand.ramInBytes("256m"));
        assertEquals(1L << 30, UpdateCommand.ramInBytes("1G"));
        assertEquals(1536L << 20, UpdateCommand.ramInBytes("1.5gb"));
        assertEquals(4096, UpdateCommand.ramInBytes("4096"));
        assertEquals(-1, UpdateCommand.ramInBytes("-1"));
        assertThrows(CliException.class, () -> UpdateCommand.ramInBytes("lots"));
    }

    @Test
    void flagsBecomeLinuxResources() throws CliException {
        ObjectNode r = resources("", "--memory", "256m", "--cpu-quota", "50000", "--cpu-period", "100000",
                "--cpu-share", "512", "--pids-limit", "100", "--cpuset-cpus", "0", "id");
        assertEquals("{\"memory\":{\"limit\":268435456},\"cpu\":{\"period\":100000,\"quota\":50000,\"shares\":512,"
                + "\"cpus\":\"0\"},\"pids\":{\"limit\":100}}", r.toString());
    }

    @Test
    void stdinJsonAsContainerdSendsItWithFlagsOverIt() throws CliException {
        ObjectNode r = resources("{\"memory\":{\"limit\":1000,\"swap\":2000},\"cpu\":{\"shares\":2}}",
                "-r", "-", "--memory", "1k", "id");
        assertEquals("{\"memory\":{\"limit\":1024,\"swap\":2000},\"cpu\":{\"shares\":2}}", r.toString());
    }

    @Test
    void badValuesSayWhich() {
        CliException e = assertThrows(CliException.class, () -> resources("", "--pids-limit", "many", "id"));
        assertEquals("invalid value for pids-limit: many", e.getMessage());
        e = assertThrows(CliException.class, () -> resources("[1]", "--resources", "-", "id"));
        assertEquals("resources in stdin are not a JSON object", e.getMessage());
    }
}
