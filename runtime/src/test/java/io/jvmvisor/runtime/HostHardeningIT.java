package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may drive a container, with one real VM: created under umask 000 in a root that others may
 * traverse, its state stays private, an unprivileged user is refused by every socket (control,
 * QMP, agent), and exec writes into the caller's very own open files.
 */
class HostHardeningIT {
    @TempDir
    static Path work;
    static CliFixture cli;

    @BeforeAll
    static void probe() throws Exception {
        cli = new CliFixture(work);
        cli.vmUnavailable().ifPresent(why -> Assumptions.abort("no micro-VM can boot here: " + why));
        // open the way down to the root for others: only jvmvisor's own modes may protect the state
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(cli.root);
        Files.setPosixFilePermissions(cli.root, PosixFilePermissions.fromString("rwx--x--x"));
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/curl")),
                "setpriv and curl are needed to connect as an unprivileged user");
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        if (cli != null && cli.vmUnavailable().isEmpty()) {
            cli.assertNoProcessMentions(cli.root.toString());
        }
    }

    /** Runs a command as nobody (uid/gid 65534, no groups); returns its exit status. */
    private static int asNobody(String... cmd) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        argv.addAll(List.of(cmd));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }

    @Test
    void stateAndSocketsArePrivateAndExecAppends() throws Exception {
        String id = CliFixture.id("harden");
        Path bundle = TestBundles.create("sleep", work.resolve("sleep"));
        // the finding: a create under umask 000 left every socket open to everyone
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\"",
                cli.home.resolve("bin/jvmvisor").toString(), "--root", cli.root.toString(), "create", "-b", bundle.toString(), id)
                .redirectOutput(work.resolve("create.out").toFile()).redirectError(work.resolve("create.err").toFile());
        pb.environment().put("JVMVISOR_CLASSPATH", System.getProperty("java.class.path")); // the classes under test
        Process create = pb.start();
        try {
            assertEquals(0, create.waitFor(), Files.readString(work.resolve("create.err")));
            assertEquals(0, cli.run("start", id).code());
            Path dir = cli.root.resolve(id);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            for (String f : List.of("state.json", "console.log", "shim.log", "timeline.json", "shim.sock", "qmp.sock", "agent.sock")) {
                Path p = dir.resolve(f);
                assertTrue(Files.exists(p), f + " exists");
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertEquals("---", mode.substring(3, 6), f + " is " + mode + ": no access for the group");
                assertEquals("---", mode.substring(6), f + " is " + mode + ": no access for others");
            }
            // curl exits 7 when it cannot connect; a QMP greeting or a control answer would give another status
            for (String sock : List.of("shim.sock", "qmp.sock", "agent.sock")) {
                assertEquals(7, asNobody("/usr/bin/curl", "-s", "-m", "5", "--unix-socket", dir.resolve(sock).toString(),
                        "http://localhost/"), "nobody could connect to " + sock);
            }
            assertEquals(7, asNobody("/usr/bin/curl", "-s", "-m", "5", "--unix-socket", dir.resolve("shim.sock").toString(),
                    "http://localhost/"));

            // exec runs only with the caller's own stdio: a stdioPid that is not the caller's is refused
            var process = Json.mapper().readTree("{\"args\": [\"true\"], \"cwd\": \"/\"}");
            try (var c = io.jvmvisor.shim.control.ControlClient.sendWithFds(dir,
                    io.jvmvisor.shim.control.ControlRequest.exec("someone-else", process, 1, null), 0, 1, 2)) {
                var r = c.next();
                assertEquals("PERMISSION_DENIED", r.code(), String.valueOf(r));
            }

            // config.json is read once, by create (as runc): a bundle changed afterwards changes nothing
            Files.writeString(bundle.resolve("config.json"), "{ not json");

            // exec >> file: appends to the caller's file (its own open file, passed with SCM_RIGHTS)
            Path out = Files.writeString(work.resolve("out.txt"), "first\n");
            ProcessBuilder epb = new ProcessBuilder("/bin/sh", "-c", "exec \"$0\" \"$@\" >> " + out, cli.home.resolve("bin/jvmvisor").toString(),
                    "--root", cli.root.toString(), "exec", id, "echo", "second").redirectError(ProcessBuilder.Redirect.INHERIT);
            epb.environment().put("JVMVISOR_CLASSPATH", System.getProperty("java.class.path"));
            Process exec = epb.start();
            assertEquals(0, exec.waitFor());
            assertEquals("first\nsecond\n", Files.readString(out));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("config.json"))));
        } finally {
            assertEquals(0, cli.run("delete", "--force", id).code());
        }
        cli.assertNothingLeft(id);
    }
}
