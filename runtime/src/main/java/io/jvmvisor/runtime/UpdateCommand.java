package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.runtime.state.Status;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code update}: new OCI {@code linux.resources} for a running container,
 * from {@code --resources FILE|-} (containerd sends JSON on stdin: the path of
 * {@code docker update}) and/or runc's single-value flags, which win. The
 * shim applies them to the host cgroup holding it and QEMU.
 */
final class UpdateCommand implements CliCommand {
    private static final Pattern RAM = Pattern.compile("^(\\d+(?:\\.\\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$");

    @Override
    public String description() {
        return "update container resource constraints";
    }

    @Override
    public String usage() {
        return "<container-id>";
    }

    @Override
    public int minArgs() {
        return 1;
    }

    @Override
    public int maxArgs() {
        return 1;
    }

    @Override
    public Options options() {
        return new Options()
                .value("path to the file containing the resources to update or '-' to read from the standard input",
                        "", "resources", "r")
                .value("Memory limit (in bytes)", "", "memory")
                .value("Memory reservation or soft_limit (in bytes)", "", "memory-reservation")
                .value("Total memory usage (memory + swap); set '-1' to enable unlimited swap", "", "memory-swap")
                .value("CPU CFS period to be used for hardcapping (in usecs). 0 to use system default", "", "cpu-period")
                .value("CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period", "", "cpu-quota")
                .value("CPU shares (relative weight vs. other containers)", "", "cpu-share")
                .value("CPU(s) to use", "", "cpuset-cpus")
                .value("Memory node(s) to use", "", "cpuset-mems")
                .value("Maximum number of pids allowed in the container", "", "pids-limit");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        String id = p.args().getFirst();
        ObjectNode resources = resources(p, System.in);
        Containers.Found f = g.containers().find(id);
        if (!(f.status() instanceof Status.Running) && !(f.status() instanceof Status.Created)
                && !(f.status() instanceof Status.Paused)) {
            throw new CliException("container " + id + " is not running");
        }
        ControlResponse r;
        try {
            r = ControlClient.call(g.containers().store().dir(id), ControlRequest.update(resources));
        } catch (IOException e) {
            throw new CliException("cannot reach the shim of container " + id + ": " + e.getMessage());
        }
        if (!r.ok()) {
            throw new CliException(r.error());
        }
        return 0;
    }

    /** The resources to send: the file's (or stdin's) JSON, then the flags over it. */
    static ObjectNode resources(Options.Parsed p, InputStream stdin) throws CliException {
        ObjectNode r = Json.mapper().createObjectNode();
        String file = p.value("resources");
        if (file != null && !file.isEmpty()) {
            JsonNode read;
            try {
                read = file.equals("-") ? Json.mapper().readTree(stdin) : Json.mapper().readTree(Files.readString(Path.of(file)));
            } catch (IOException e) {
                throw new CliException("cannot read resources from " + (file.equals("-") ? "stdin" : file) + ": "
                        + e.getMessage());
            }
            if (read == null || !read.isObject()) {
                throw new CliException("resources in " + (file.equals("-") ? "stdin" : file) + " are not a JSON object");
            }
            r = (ObjectNode) read;
        }
        setBytes(r, "memory", "limit", p.value("memory"));
        setBytes(r, "memory", "reservation", p.value("memory-reservation"));
        setBytes(r, "memory", "swap", p.value("memory-swap"));
        setNumber(r, "cpu", "period", p.value("cpu-period"), "cpu-period");
        setNumber(r, "cpu", "quota", p.value("cpu-quota"), "cpu-quota");
        setNumber(r, "cpu", "shares", p.value("cpu-share"), "cpu-share");
        setText(r, "cpu", "cpus", p.value("cpuset-cpus"));
        setText(r, "cpu", "mems", p.value("cpuset-mems"));
        setNumber(r, "pids", "limit", p.value("pids-limit"), "pids-limit");
        return r;
    }

    /** docker's units.RAMInBytes, as runc parses memory flags: {@code 256m}, {@code 1g}, {@code 1024}, {@code -1}. */
    static long ramInBytes(String text) throws CliException {
        if (text.equals("-1")) {
            return -1;
        }
        Matcher m = RAM.matcher(text);
        if (!m.matches()) {
            throw new CliException("invalid size: '" + text + "'");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        long mul = switch (unit) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            case "g" -> 1L << 30;
            case "t" -> 1L << 40;
            case "p" -> 1L << 50;
            default -> 1;
        };
        return (long) (n * mul);
    }

    private static void setBytes(ObjectNode r, String group, String field, String value) throws CliException {
        if (value != null && !value.isEmpty()) {
            long bytes;
            try {
                bytes = ramInBytes(value);
            } catch (CliException e) {
                throw new CliException("invalid value for " + group + (field.equals("limit") ? "" : "-" + field) + ": "
                        + e.getMessage());
            }
            r.withObject(group).put(field, bytes);
        }
    }

    private static void setNumber(ObjectNode r, String group, String field, String value, String flag)
            throws CliException {
        if (value != null && !value.isEmpty()) {
            try {
                r.withObject(group).put(field, Long.parseLong(value));
            } catch (NumberFormatException e) {
                throw new CliException("invalid value for " + flag + ": " + value);
            }
        }
    }

    private static void setText(ObjectNode r, String group, String field, String value) {
        if (value != null && !value.isEmpty()) {
            r.withObject(group).put(field, value);
        }
    }
}
