package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands that need no container, run in-process with stdout and stderr captured. */
class CliOutputTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static synchronized Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void versionLikeRunc() {
        Result r = run("version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("jvmvisor version 0.1.0\nspec: 1.2.0\n"), r.out());
        assertEquals(r.out(), run("--version").out());
        assertEquals(r.out(), run("-v").out());
    }

    @Test
    void specWritesALoadableConfigAndRefusesToOverwrite() throws Exception {
        Result r = run("spec", "--bundle", dir.toString());
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(dir.resolve("config.json"));
        assertTrue(text.startsWith("{\n\t\"ociVersion\": \"1.2.0\",\n"), text);
        Spec s = SpecLoader.parse(dir);
        assertEquals("sh", s.process().args().getFirst());
        assertEquals("rootfs", s.root().path());
        Result again = run("spec", "-b", dir.toString());
        assertEquals(1, again.code());
        assertEquals("jvmvisor: File config.json exists. Remove it first\n", again.err());
        assertEquals(text, Files.readString(dir.resolve("config.json")));
        assertEquals(1, run("spec", "--rootless", "-b", dir.resolve("x").toString()).code());
    }

    @Test
    void featuresIsTheOciDocument() throws Exception {
        Result r = run("features");
        assertEquals(0, r.code());
        JsonNode n = Json.mapper().readTree(r.out());
        assertEquals("1.0.0", n.get("ociVersionMin").asText());
        assertEquals("1.2.0", n.get("ociVersionMax").asText());
        assertTrue(n.get("hooks").toString().contains("poststop"));
        assertTrue(n.get("linux").get("namespaces").isArray());
    }

    @Test
    void unknownContainersAndBadArguments() {
        String root = dir.resolve("root").toString();
        Result r = run("--root", root, "state", "nope");
        assertEquals(1, r.code());
        assertEquals("jvmvisor: container does not exist\n", r.err());
        assertEquals("", r.out());
        assertEquals("jvmvisor: container does not exist\n", run("--root", root, "delete", "nope").err());
        assertEquals(0, run("--root", root, "delete", "--force", "nope").code());
        assertEquals("jvmvisor: unknown signal \"BOGUS\"\n", run("--root", root, "kill", "nope", "BOGUS").err());
        assertEquals("jvmvisor: container does not exist\n", run("--root", root, "kill", "nope").err());
        assertEquals("jvmvisor: invalid id format: a/b\n", run("--root", root, "state", "a/b").err());
        assertEquals(1, run("--root", root, "--rootless", "true", "list").code());
        assertEquals(1, run("--root", root, "state").code());
        assertEquals(1, run("--root", root, "list", "--format", "yaml").code());
        Result l = run("--root", root, "list", "-f", "json");
        assertEquals("null\n", l.out());
    }

    @Test
    void createOfABadBundleLeavesNothingAndLogsJson() throws Exception {
        Path root = dir.resolve("root");
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Path log = dir.resolve("log.json");
        Result r = run("--root", root.toString(), "--log", log.toString(), "--log-format", "json",
                "create", "-b", bundle.toString(), "c1");
        assertEquals(1, r.code());
        assertEquals("jvmvisor: config.json: no such file in bundle " + bundle + "\n", r.err());
        assertEquals("config.json: no such file in bundle " + bundle,
                Json.mapper().readTree(Files.readAllLines(log).getLast()).get("msg").asText());
        assertTrue(!Files.exists(root.resolve("c1")));
    }

    /** The state hooks read: the hand-written bytes are databind's, whatever the annotations. */
    @Test
    void hookStateIsWhatDatabindWrites() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Map<String, String> withNull = new java.util.LinkedHashMap<>();
        withNull.put("a", "1");
        withNull.put("q\"uote\n", null);
        for (var annotations : java.util.Arrays.asList(null, java.util.Map.<String, String>of(), withNull)) {
            var s = new io.jvmvisor.oci.State("1.2.0", "id-\u00e9", "created", 1234, "/b\\x", annotations);
            assertEquals(mapper.writeValueAsString(s), Json.hookState(s));
        }
    }
}
