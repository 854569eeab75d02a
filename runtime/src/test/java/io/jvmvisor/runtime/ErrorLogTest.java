package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErrorLogTest {
    @TempDir
    Path dir;

    @Test
    void jsonLogLinesLikeRuncAndOneLineOnStderr() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path file = dir.resolve("log.json");
        ErrorLog log = new ErrorLog(file, "json", false, new PrintStream(err, true, StandardCharsets.UTF_8));
        log.error("container with id exists: \"x\"\n");
        assertEquals("jvmvisor: container with id exists: \"x\"\n\n", err.toString(StandardCharsets.UTF_8));
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size());
        JsonNode n = Json.mapper().readTree(lines.getFirst());
        assertEquals("error", n.get("level").asText());
        assertEquals("container with id exists: \"x\"\n", n.get("msg").asText());
        assertTrue(n.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z"), n.toString());
    }

    @Test
    void textLogLikeLogrus() throws Exception {
        Path file = dir.resolve("log.txt");
        ErrorLog log = new ErrorLog(file, "text", false, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        log.error("boom");
        assertTrue(Files.readString(file).matches("time=\"[^\"]+\" level=error msg=\"boom\"\n"), Files.readString(file));
    }
}
