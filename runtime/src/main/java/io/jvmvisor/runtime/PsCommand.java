package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.Status;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ps}: the processes of a container. {@code --format json} prints the
 * HOST PIDs that stand for the container — the shim and the VMM — because
 * that is how {@code docker top} uses it: it runs {@code ps} on the host and
 * keeps the lines of these PIDs. The default table lists the processes in
 * the guest (guest PIDs), from the agent.
 */
final class PsCommand implements CliCommand {
    @Override
    public String description() {
        return "ps displays the processes running inside a container";
    }

    @Override
    public String usage() {
        return "<container-id> [ps options]";
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
        return new Options().value("select one of: table or json", "table", "format", "f");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        String id = p.args().getFirst();
        Containers.Found f = g.containers().find(id);
        if (f.status() instanceof Status.Stopped || f.status() instanceof Status.Creating) {
            throw new CliException("container " + id + " is not running");
        }
        Path dir = g.containers().store().dir(id);
        String format = p.value("format");
        switch (format) {
            case "json" -> {
                StringBuilder out = new StringBuilder("[").append(f.pid());
                long vmm = vmmPid(dir);
                if (vmm > 0) {
                    out.append(',').append(vmm);
                }
                System.out.println(out.append(']'));
            }
            case "table" -> System.out.print(table(id, dir));
            default -> throw new CliException("invalid format option");
        }
        return 0;
    }

    private static long vmmPid(Path dir) {
        try {
            return Long.parseLong(Files.readString(dir.resolve(StateStore.VMM_PID_FILE)).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static String table(String id, Path dir) throws CliException {
        ControlResponse r;
        try {
            r = ControlClient.call(dir, ControlRequest.of(ControlRequest.Op.PS));
        } catch (IOException e) {
            throw new CliException("cannot reach the shim of container " + id + ": " + e.getMessage());
        }
        if (!r.ok()) {
            throw new CliException(r.error());
        }
        StringBuilder out = new StringBuilder(String.format("%-8s %-8s %-6s %-5s %s%n", "PID", "PPID", "UID", "STAT", "CMD"));
        for (JsonNode proc : r.data()) {
            out.append(String.format("%-8d %-8d %-6d %-5s %s%n", proc.path("pid").asLong(), proc.path("ppid").asLong(),
                    proc.path("uid").asLong(), printable(proc.path("state").asText()),
                    printable(proc.path("command").asText())));
        }
        return out.toString();
    }

    /**
     * The guest chooses its processes' command lines: control characters (ESC and the other C0
     * codes, DEL, the C1 codes) are written as {@code \xNN}, so that nothing the guest prints
     * can move the cursor, retitle or reprogram the caller's terminal.
     */
    static String printable(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == '\\';
            if (control && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (c == '\\') {
                    b.append("\\\\");
                } else if (control) {
                    b.append(String.format("\\x%02x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
