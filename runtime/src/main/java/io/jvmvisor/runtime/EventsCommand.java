package io.jvmvisor.runtime;

import io.jvmvisor.runtime.state.Status;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code events}: runc's container events, one JSON object a line. With
 * {@code --stats} one {@code {"type":"stats","id":ID,"data":...}} and exit;
 * without, a stats event every {@code --interval} until the container stops.
 * The data is the shim's {@code stats} answer (runc's shape, plus {@code guest}).
 */
final class EventsCommand implements CliCommand {
    @Override
    public String description() {
        return "display container events such as OOM notifications, cpu, memory, and IO usage statistics";
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
        return new Options().value("set the stats collection interval", "5s", "interval")
                .flag("display the container's stats then exit", "stats");
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        String id = p.args().getFirst();
        long intervalMs = durationMillis(p.value("interval"));
        if (intervalMs <= 0) {
            throw new CliException("duration interval must be greater than 0");
        }
        Containers.Found f = g.containers().find(id);
        if (f.status() instanceof Status.Stopped || f.status() instanceof Status.Creating) {
            throw new CliException("container with id " + id + " is not running");
        }
        if (p.flag("stats")) {
            System.out.println(event(g, id));
            return 0;
        }
        while (true) {
            String line;
            try {
                line = event(g, id);
            } catch (CliException e) {
                if (stopped(g, id)) {
                    return 0;
                }
                throw e;
            }
            System.out.println(line);
            System.out.flush();
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
            if (stopped(g, id)) {
                return 0;
            }
        }
    }

    private static boolean stopped(Global g, String id) {
        try {
            return g.containers().find(id).status() instanceof Status.Stopped;
        } catch (CliException e) {
            return true;
        }
    }

    private static String event(Global g, String id) throws CliException {
        ControlResponse r;
        try {
            r = ControlClient.call(g.containers().store().dir(id), ControlRequest.of(ControlRequest.Op.STATS));
        } catch (IOException e) {
            throw new CliException("cannot reach the shim of container " + id + ": " + e.getMessage());
        }
        if (!r.ok()) {
            throw new CliException(r.error());
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", "stats");
        event.put("id", id);
        event.put("data", r.data());
        return Json.compact(event);
    }

    /** A Go duration as runc takes it: {@code 5s}, {@code 500ms}, {@code 1m30s}, {@code 2h}. */
    static long durationMillis(String text) throws CliException {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new CliException("invalid duration \"" + text + "\"");
        }
        double total = 0;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            if (start == unitStart) {
                throw new CliException("invalid duration \"" + text + "\"");
            }
            double n;
            try {
                n = Double.parseDouble(s.substring(start, unitStart));
            } catch (NumberFormatException e) {
                throw new CliException("invalid duration \"" + text + "\"");
            }
            total += n * switch (s.substring(unitStart, i)) {
                case "ns" -> 1e-6;
                case "us", "µs" -> 1e-3;
                case "ms" -> 1;
                case "s" -> 1000;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> throw new CliException("invalid duration \"" + text + "\"");
            };
        }
        return (long) total;
    }
}
