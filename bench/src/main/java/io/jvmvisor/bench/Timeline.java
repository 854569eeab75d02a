package io.jvmvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The boot timestamps a jvmvisor shim writes to {@code <root>/<id>/timeline.json}:
 * phase names with epoch nanoseconds. Read leniently (a flat object, or
 * objects/arrays holding {name|phase, ns|epochNs|time} pairs) so that the
 * harness follows the shim's format rather than fixing it.
 */
public final class Timeline {
    /** Epoch ns after 2001: tells a timestamp from a duration or a PID. */
    private static final long MIN_EPOCH_NS = 1_000_000_000L * 1_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One phase: its name and when it was reached (epoch ns). */
    public record Point(String phase, long epochNs) {
    }

    private Timeline() {
    }

    /** The phases in time order; throws BenchException when the file is missing or has none. */
    public static List<Point> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BenchException("the shim wrote no " + file.getFileName() + " in " + file.getParent());
        }
        List<Point> points = new ArrayList<>();
        try {
            collect(JSON.readTree(file.toFile()), null, points);
        } catch (IOException e) {
            throw new BenchException(file + " is not JSON: " + e.getMessage());
        }
        if (points.isEmpty()) {
            throw new BenchException(file + " holds no epoch-ns timestamps");
        }
        points.sort(Comparator.comparingLong(Point::epochNs));
        return points;
    }

    private static void collect(JsonNode node, String name, List<Point> out) {
        if (node.isIntegralNumber() && node.asLong() > MIN_EPOCH_NS && name != null) {
            out.add(new Point(name, node.asLong()));
        } else if (node.isObject()) {
            String label = node.has("name") ? node.get("name").asText() : node.has("phase") ? node.get("phase").asText() : null;
            if (label != null) {
                for (String k : List.of("epochNs", "epoch_ns", "ns", "time", "timestamp", "at")) {
                    if (node.path(k).isIntegralNumber() && node.get(k).asLong() > MIN_EPOCH_NS) {
                        out.add(new Point(label, node.get(k).asLong()));
                        return;
                    }
                }
            }
            Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                collect(e.getValue(), e.getKey(), out);
            }
        } else if (node.isArray()) {
            for (JsonNode n : node) {
                collect(n, name, out);
            }
        }
    }
}
