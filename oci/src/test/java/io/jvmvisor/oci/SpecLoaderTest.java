package io.jvmvisor.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecLoaderTest {
    private static final String GOOD = """
            {
              "ociVersion": "1.2.0",
              "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo hi"],
                          "env": ["PATH=/usr/bin:/bin", "TERM=xterm"], "cwd": "/",
                          "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
              "root": {"path": "rootfs", "readonly": true},
              "hostname": "box",
              "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
              "hooks": {"poststop": [{"path": "/bin/true", "args": ["true"], "timeout": 5}]},
              "annotations": {"io.jvmvisor.vcpus": "2"},
              "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}],
                        "resources": {"memory": {"limit": 536870912}, "cpu": {"quota": 200000, "period": 100000},
                                      "pids": {"limit": 64}},
                        "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}},
              "unknownField": {"x": 1}
            }
            """;

    @TempDir
    Path bundle;

    @BeforeEach
    void rootfs() throws IOException {
        Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
        Files.writeString(bin.resolve("sh"), "#!/bin/true\n");
        Files.setPosixFilePermissions(bin.resolve("sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(bundle.resolve("rootfs/home/user"));
        Files.createDirectories(bundle.resolve("rootfs/usr"));
        Files.createSymbolicLink(bundle.resolve("rootfs/usr/bin"), Path.of("/bin"));
        Files.createSymbolicLink(bundle.resolve("rootfs/work"), Path.of("/home/user"));
    }

    private void config(String json) throws IOException {
        Files.writeString(bundle.resolve("config.json"), json);
    }

    private String error(UnaryOperator<String> edit) throws IOException {
        config(edit.apply(GOOD));
        return assertThrows(SpecException.class, () -> SpecLoader.load(bundle)).getMessage();
    }

    @Test
    void readsAValidConfig() throws Exception {
        config(GOOD);
        Spec s = SpecLoader.load(bundle);
        assertEquals("1.2.0", s.ociVersion());
        assertEquals("sh", s.process().args().getFirst());
        assertEquals(1024, s.process().rlimits().getFirst().hard());
        assertTrue(s.root().isReadonly());
        assertEquals(536870912L, s.linux().resources().memory().limit());
        assertEquals(200000L, s.linux().resources().cpu().quota());
        assertEquals(64, s.linux().resources().pids().limit());
        assertEquals("SCMP_ACT_ALLOW", s.linux().seccomp().get("defaultAction").asText());
        assertEquals(5, s.hooks().poststop().getFirst().timeout());
        assertEquals("2", s.annotationMap().get("io.jvmvisor.vcpus"));
    }

    @Test
    void missingConfig() {
        String m = assertThrows(SpecException.class, () -> SpecLoader.load(bundle)).getMessage();
        assertEquals("config.json: no such file in bundle " + bundle, m);
    }

    @Test
    void missingBundle() {
        Path nope = bundle.resolve("nope");
        String m = assertThrows(SpecException.class, () -> SpecLoader.load(nope)).getMessage();
        assertEquals("bundle " + nope + ": no such directory", m);
    }

    @Test
    void malformedJsonNamesLineAndColumn() throws IOException {
        String m = error(g -> g.replace("\"hostname\": \"box\",", "\"hostname\": \"box\",,"));
        assertTrue(m.startsWith("config.json: malformed JSON at line 7, column 21: Unexpected character"), m);
    }

    @Test
    void wrongTypeNamesTheField() throws IOException {
        String m = error(g -> g.replace("\"args\": [\"sh\", \"-c\", \"echo hi\"]", "\"args\": {\"a\": 1}"));
        assertTrue(m.startsWith("config.json: at line 3, column "), m);
        assertTrue(m.contains("process.args"), m);
    }

    @Test
    void unsupportedVersionMajor() throws IOException {
        assertEquals("config.json: unsupported ociVersion \"2.0.0\": jvmvisor supports 1.x",
                error(g -> g.replace("\"1.2.0\"", "\"2.0.0\"")));
        assertEquals("config.json: ociVersion is missing (jvmvisor supports 1.x, e.g. \"1.2.0\")",
                error(g -> g.replace("\"ociVersion\": \"1.2.0\",", "")));
    }

    @Test
    void rootProblems() throws IOException {
        assertEquals("config.json: root.path is missing (the rootfs directory, e.g. \"rootfs\")",
                error(g -> g.replace("\"path\": \"rootfs\", ", "")));
        assertEquals("config.json: root.path \"gone\": no such directory " + bundle.resolve("gone"),
                error(g -> g.replace("\"path\": \"rootfs\"", "\"path\": \"gone\"")));
    }

    @Test
    void processProblems() throws IOException {
        assertEquals("config.json: process.args must not be empty",
                error(g -> g.replace("[\"sh\", \"-c\", \"echo hi\"]", "[]")));
        assertEquals("config.json: process.cwd \"home\" must be an absolute path",
                error(g -> g.replace("\"cwd\": \"/\"", "\"cwd\": \"home\"")));
        assertEquals("config.json: process.cwd \"/nope\" does not exist in the rootfs " + bundle.resolve("rootfs"),
                error(g -> g.replace("\"cwd\": \"/\"", "\"cwd\": \"/nope\"")));
        assertEquals("config.json: process.env entry \"JUNK\" must have the form NAME=value",
                error(g -> g.replace("\"TERM=xterm\"", "\"JUNK\"")));
        assertEquals("config.json: process.rlimits RLIMIT_NOFILE: soft limit 2048 is above hard limit 1024",
                error(g -> g.replace("\"soft\": 1024", "\"soft\": 2048")));
    }

    /** args[0] is the agent's to find, after the mounts: docker run --init binds /sbin/docker-init in. */
    @Test
    void theExecutableIsNotLookedUpInTheBundlesRootfs() throws Exception {
        config(GOOD.replace("[\"sh\",", "[\"/sbin/docker-init\", \"--\", \"sh\","));
        assertEquals("/sbin/docker-init", SpecLoader.load(bundle).process().args().getFirst());
        config(GOOD.replace("[\"sh\",", "[\"not-in-the-image\","));
        assertEquals("not-in-the-image", SpecLoader.load(bundle).process().args().getFirst());
    }

    @Test
    void namespacePathsMustNameANamespaceOfTheirType() throws Exception {
        String cgroupAsIpc = GOOD.replace("{\"type\": \"mount\"}",
                "{\"type\": \"mount\"}, {\"type\": \"cgroup\", \"path\": \"/proc/self/ns/ipc\"}");
        assertEquals("config.json: linux.namespaces[2] (cgroup): path \"/proc/self/ns/ipc\" is a ipc namespace,"
                + " not a cgroup namespace", error(g -> cgroupAsIpc));
        assertEquals("config.json: linux.namespaces[2] (network): path \"/nonexistent/ns\" does not exist",
                error(g -> g.replace("{\"type\": \"mount\"}",
                        "{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/nonexistent/ns\"}")));
        assertEquals("config.json: linux.namespaces[2] (uts): path \"/etc/hostname\" is not a namespace file"
                        + " (such as /proc/PID/ns/uts)",
                error(g -> g.replace("{\"type\": \"mount\"}",
                        "{\"type\": \"mount\"}, {\"type\": \"uts\", \"path\": \"/etc/hostname\"}")));
        config(GOOD.replace("{\"type\": \"mount\"}", "{\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"},"
                + " {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}"));
        assertEquals(4, SpecLoader.load(bundle).linux().namespaceList().size());
    }

    /** An nsfs bind mount (ip netns add) names its kind as the root of its mountinfo line. */
    @Test
    void namespaceKindOfABoundNamespaceFile() {
        var lines = java.util.List.of("22 1 0:4 net:[4026532281] /run/netns/blue rw shared:5 - nsfs nsfs rw",
                "23 1 0:4 / /run/netns/x\\040y rw - tmpfs tmpfs rw");
        assertEquals("net", NamespacePath.kindFromMountinfo(lines, "/run/netns/blue"));
        assertEquals(null, NamespacePath.kindFromMountinfo(lines, "/run/netns/x y"));
        assertEquals("ipc", NamespacePath.name("ipc:[4026531839]"));
    }

    @Test
    void noNamespacesAndNoLinuxSectionLoad() throws Exception {
        config(GOOD.replace("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}],", ""));
        assertEquals(java.util.List.of(), SpecLoader.load(bundle).linux().namespaceList());
        String noLinux = GOOD.substring(0, GOOD.indexOf(",\n  \"linux\"")) + "\n}\n";
        config(noLinux);
        assertEquals(null, SpecLoader.load(bundle).linux());
    }

    @Test
    void mountHookAndNamespaceProblems() throws IOException {
        assertEquals("config.json: mounts[0].destination \"proc\" must be an absolute path",
                error(g -> g.replace("\"destination\": \"/proc\"", "\"destination\": \"proc\"")));
        assertEquals("config.json: hooks.poststop[0].path \"true\" must be an absolute path",
                error(g -> g.replace("\"path\": \"/bin/true\"", "\"path\": \"true\"")));
        assertTrue(error(g -> g.replace("{\"type\": \"pid\"}", "{\"type\": \"pidd\"}"))
                .startsWith("config.json: linux.namespaces: unknown type \"pidd\""));
    }

    @Test
    void rootfsPathStaysInsideTheRootfs() throws IOException {
        Path rootfs = bundle.resolve("rootfs");
        Files.createSymbolicLink(rootfs.resolve("escape"), Path.of("../../../../etc"));
        assertEquals(rootfs.resolve("etc"), RootfsPath.resolve(rootfs, "/escape"));
        assertEquals(rootfs.resolve("home/user/x"), RootfsPath.resolve(rootfs, "/work/x"));
    }
}
