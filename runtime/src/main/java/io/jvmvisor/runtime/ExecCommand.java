package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecException;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.runtime.state.ContainerRecord;
import io.jvmvisor.runtime.state.StoreException;
import io.jvmvisor.shim.control.FlatJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code exec}: runs a new process in a running container. The CLI process
 * is the process's stand-in on the host: its stdio is the process's (the shim
 * opens /proc/PID/fd/0-2), its PID goes to --pid-file, and it exits with the
 * process's status. With {@code --detach} a small process is left running as
 * that stand-in (containerd waits on it: {@link DetachedExec}) and this one returns once the
 * process started.
 */
final class ExecCommand implements CliCommand {
    @Override
    public String description() {
        return "execute new process inside the container";
    }

    @Override
    public String usage() {
        return "<container-id> <command> [command options]  ||  -p process.json <container-id>";
    }

    @Override
    public int minArgs() {
        return 1;
    }

    @Override
    public int maxArgs() {
        return Integer.MAX_VALUE;
    }

    @Override
    public Options options() {
        return new Options()
                .value("path to an AF_UNIX socket which will receive the console's pseudoterminal master", null, "console-socket")
                .value("current working directory in the container", null, "cwd")
                .repeatable("set environment variables (NAME=value; repeat the flag)", "env", "e")
                .flag("allocate a pseudo-TTY", "tty", "t")
                .value("UID (format: <uid>[:<gid>])", null, "user", "u")
                .value("additional gids (comma-separated)", null, "additional-gids", "g")
                .value("path to the process.json", null, "process", "p")
                .flag("detach from the container's process", "detach", "d")
                .value("specify the file to write the process id to", null, "pid-file")
                .value("accepted for runc compatibility", null, "process-label")
                .value("accepted for runc compatibility", null, "apparmor")
                .flag("accepted for runc compatibility", "no-new-privs")
                .value("accepted for runc compatibility", null, "cap", "c")
                .value("Pass N additional file descriptors (jvmvisor: 0 only)", "0", "preserve-fds")
                .value("accepted for runc compatibility", null, "cgroup")
                .flag("accepted for runc compatibility", "ignore-paused");
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        String id = p.args().getFirst();
        Containers containers = g.containers();
        ContainerRecord record;
        try {
            // no state round trip to the shim: it refuses an exec in a container that does not run
            record = containers.store().read(id);
        } catch (StoreException e) {
            throw new CliException(e.getMessage());
        }
        ProcessJson proc = process(g, p, id, record);
        JsonNode process = proc.json();
        if (!"0".equals(p.value("preserve-fds"))) {
            throw new CliException("--preserve-fds is not supported by jvmvisor (the process runs in a VM)");
        }
        boolean terminal = proc.terminal();
        if (terminal && p.value("console-socket") == null) {
            throw new CliException("cannot allocate tty if jvmvisor will detach without setting console socket");
        }
        Path pidFile = p.value("pid-file") == null ? null : Path.of(p.value("pid-file"));
        if (p.flag("detach")) {
            return DetachedExec.run(containers, id, process, terminal ? p.value("console-socket") : null, pidFile);
        }
        return new ExecStandIn(containers, id, process, p.value("console-socket"), pidFile).run();
    }

    /** The process to run, and whether it has a terminal. */
    private record ProcessJson(JsonNode json, boolean terminal) {
    }

    /**
     * The process to run: --process's file, or the container's process with the command and flags given.
     * The file (what containerd passes) goes to the shim as it is, read only for "terminal": no
     * ObjectMapper in this short-lived JVM (the shim reads it with its own).
     */
    private static ProcessJson process(Global g, Options.Parsed p, String id, ContainerRecord record) throws CliException {
        String file = p.value("process");
        if (file != null) {
            try {
                // one line on the control socket: a newline is JSON whitespace (never inside a string)
                String json = Files.readString(Path.of(file)).replace('\n', ' ').replace('\r', ' ').strip();
                Boolean terminal = FlatJson.bool(FlatJson.parse(json), "terminal");
                return new ProcessJson(new POJONode(new RawValue(json)), Boolean.TRUE.equals(terminal));
            } catch (IOException e) {
                throw new CliException("cannot read process file " + file + ": " + e.getMessage());
            }
        }
        List<String> command = p.args().subList(1, p.args().size());
        if (command.isEmpty()) {
            throw new CliException("exec: no command given (give <command> after the container id, or --process)");
        }
        if (record == null) {
            throw new CliException(ExecStandIn.notRunning(g.containers(), id, "no state yet"));
        }
        Spec spec;
        try {
            spec = g.containers().createdSpec(record);
        } catch (SpecException e) {
            throw new CliException(e.getMessage());
        }
        ObjectNode proc = Json.mapper().valueToTree(spec.process());
        proc.put("terminal", p.flag("tty"));
        ArrayNode args = proc.putArray("args");
        command.forEach(args::add);
        if (!p.all("env").isEmpty()) {
            ArrayNode env = proc.has("env") ? (ArrayNode) proc.get("env") : proc.putArray("env");
            p.all("env").forEach(env::add);
        }
        if (p.value("cwd") != null) {
            proc.put("cwd", p.value("cwd"));
        }
        if (p.value("user") != null) {
            String[] ug = p.value("user").split(":", 2);
            ObjectNode user = proc.putObject("user");
            try {
                user.put("uid", Long.parseLong(ug[0]));
                user.put("gid", ug.length > 1 ? Long.parseLong(ug[1]) : 0);
                if (p.value("additional-gids") != null) {
                    ArrayNode gids = user.putArray("additionalGids");
                    for (String gid : p.value("additional-gids").split(",")) {
                        gids.add(Long.parseLong(gid.trim()));
                    }
                }
            } catch (NumberFormatException e) {
                throw new CliException("invalid --user " + p.value("user") + " (format: <uid>[:<gid>], numeric)");
            }
        }
        return new ProcessJson(proc, p.flag("tty"));
    }
}
