package io.jvmvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N idle {@code sleep} containers of one runtime, created and started all at
 * once (one thread each), measured while idle, then killed and deleted.
 */
public final class Fleet {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How long the containers idle before they are measured: past the shim's settling (a full GC and
     * malloc_trim after start, again after HotSpot's chunk-pool round at 5 s of uptime), so the figure
     * is what an idle container keeps, not its start-up peak.
     */
    static final Duration SETTLE = Duration.ofSeconds(8);

    /**
     * @param size           containers started
     * @param startAllMillis wall time from launching all creates to the last start returning
     * @param pssBytes       summed PSS of the containers' host processes
     * @param processNames   what those processes are
     * @param guestStats     the first container's guest figures (jvmvisor's stats op), or null
     * @param guestStatsNote why guestStats is null
     */
    public record Result(int size, double startAllMillis, long pssBytes, String processNames,
                         JsonNode guestStats, String guestStatsNote) {
        /** A guest figure: the first numeric field whose name holds both words, or null. */
        public Long guest(String a, String b) {
            JsonNode v = find(guestStats, a, b);
            return v == null ? null : v.asLong();
        }

        public double perContainerMiB() {
            return pssBytes / (double) size / (1 << 20);
        }
    }

    private Fleet() {
    }

    /** Starts {@code n} containers of {@code bundle}, measures them, and always removes them. */
    public static Result measure(BenchContext ctx, OciCli cli, Path bundle, int n, String idPrefix, Duration timeout) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(idPrefix + "-" + i);
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> started = new ArrayList<>();
            for (String id : ids) {
                started.add(pool.submit(() -> {
                    cli.check(timeout, "create", "--bundle", bundle.toString(), id);
                    cli.check(timeout, "start", id);
                }));
            }
            for (Future<?> f : started) {
                waitFor(f);
            }
            double startAllMillis = (System.nanoTime() - t0) / 1e6;
            Thread.sleep(SETTLE.toMillis());
            Set<Long> statePids = new TreeSet<>();
            for (String id : ids) {
                JsonNode state = JSON.readTree(cli.state(id));
                if (!"running".equals(state.path("status").asText())) {
                    throw new BenchException(cli.name() + " container " + id + " is "
                            + state.path("status").asText() + ", not running, " + SETTLE.toSeconds() + " s after start");
                }
                statePids.add(state.path("pid").asLong());
            }
            Set<Long> pids = HostProcesses.belongingTo(statePids, cli.root().toString());
            ctx.accel(HostProcesses.accelOf(pids));
            long pss = HostProcesses.pssBytes(pids);
            JsonNode guest = null;
            String guestNote = null;
            if (cli.name().equals(Runtimes.JVMVISOR)) {
                try {
                    guest = guestStats(cli.root().resolve(ids.getFirst()));
                } catch (BenchException e) {
                    guestNote = e.getMessage();
                }
            }
            return new Result(n, startAllMillis, pss, HostProcesses.describe(pids), guest, guestNote);
        } catch (IOException e) {
            throw new BenchException(cli.name() + ": unreadable state: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        } finally {
            pool.shutdownNow();
            for (String id : ids) {
                cli.forceDelete(id);
            }
        }
    }

    private static void waitFor(Future<?> f) throws InterruptedException {
        try {
            f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BenchException b) {
                throw b;
            }
            throw new BenchException(String.valueOf(e.getCause()));
        }
    }

    /** The guest's figures from the shim's control {@code stats} op (the agent's Stats RPC). */
    static JsonNode guestStats(Path stateDir) {
        ControlResponse r;
        try {
            r = ControlClient.call(stateDir, ControlRequest.of(ControlRequest.Op.STATS));
        } catch (IOException e) {
            throw new BenchException("the shim's stats op did not answer: " + e.getMessage());
        }
        if (!r.ok()) {
            throw new BenchException("the shim's stats op failed: " + r.error());
        }
        if (r.data() == null || !r.data().isObject()) {
            throw new BenchException("the shim's stats answer has no data");
        }
        return r.data();
    }

    /** The first numeric field whose name contains both words (agent_rss_bytes, agentRssBytes). */
    private static JsonNode find(JsonNode node, String a, String b) {
        if (node == null || !node.isContainerNode()) {
            return null;
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.contains(a) && k.contains(b) && e.getValue().isNumber()) {
                return e.getValue();
            }
            JsonNode inner = find(e.getValue(), a, b);
            if (inner != null) {
                return inner;
            }
        }
        return null;
    }
}
