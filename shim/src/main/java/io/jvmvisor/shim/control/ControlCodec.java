package io.jvmvisor.shim.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The CLI's JSON codec for control lines, written out field by field ({@link FlatJson}): the CLI
 * runs once per docker/containerd call, and neither Jackson's parser nor reflection over the
 * records is cheap in a fresh JVM (an ObjectMapper ~150 ms, record reflection and a pattern
 * {@code switch} spin classes the AOT cache does not keep). Null fields are left out, unknown
 * fields skipped, as the shim's ObjectMapper does. Only a {@link JsonNode} field (an exec's
 * process, update's resources, ps/stats data) brings in databind, and only when present.
 */
final class ControlCodec {
    private ControlCodec() {
    }

    /** Holder: databind is loaded on first use only. */
    private static final class Trees {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /**
     * One JSON object (no newline) for a request, members in the record's order (a component added
     * to {@link ControlRequest} is added here too: ControlCodecTest sets every one and compares).
     */
    static byte[] write(ControlRequest r) throws IOException {
        String json = new FlatJson.Writer()
                .field("op", r.op())
                .field("signal", r.signal())
                .field("all", r.all())
                .field("force", r.force())
                .field("execId", r.execId())
                .rawField("process", tree(r.process()))
                .field("stdioPid", r.stdioPid())
                .field("consoleSocket", r.consoleSocket())
                .field("rows", r.rows())
                .field("cols", r.cols())
                .rawField("resources", tree(r.resources()))
                .field("hold", r.hold())
                .field("hostPath", r.hostPath())
                .field("containerPath", r.containerPath())
                .field("readonly", r.readonly())
                .field("standIn", r.standIn())
                .end();
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** The members a request may have: {@link ControlRequest}'s components (any other is refused). */
    private static final java.util.Set<String> REQUEST_MEMBERS = java.util.Set.of("op", "signal", "all", "force",
            "execId", "process", "stdioPid", "consoleSocket", "rows", "cols", "resources", "hold", "hostPath",
            "containerPath", "readonly", "standIn");

    /**
     * The shim's reading of one request line: as {@link #write} writes it, a member unknown to
     * {@link ControlRequest} or of the wrong JSON type refused (IOException).
     */
    static ControlRequest readRequest(String json) throws IOException {
        Map<String, Object> m = FlatJson.parse(json);
        for (String name : m.keySet()) {
            if (!REQUEST_MEMBERS.contains(name)) {
                throw new IOException("unknown member \"" + name + "\"");
            }
        }
        return new ControlRequest(FlatJson.string(m, "op"), FlatJson.integer(m, "signal"), FlatJson.bool(m, "all"),
                FlatJson.bool(m, "force"), FlatJson.string(m, "execId"), treeOf(FlatJson.raw(m, "process")),
                FlatJson.number(m, "stdioPid"), FlatJson.string(m, "consoleSocket"), FlatJson.integer(m, "rows"),
                FlatJson.integer(m, "cols"), treeOf(FlatJson.raw(m, "resources")), FlatJson.bool(m, "hold"),
                FlatJson.string(m, "hostPath"), FlatJson.string(m, "containerPath"), FlatJson.bool(m, "readonly"),
                FlatJson.bool(m, "standIn"));
    }

    /** The shim's answer line (no newline): members in the record's order, nulls left out. */
    static byte[] writeResponse(ControlResponse r) throws IOException {
        String json = new FlatJson.Writer()
                .field("ok", r.ok())
                .field("error", r.error())
                .field("code", r.code())
                .field("status", r.status())
                .field("pid", r.pid())
                .field("exitStatus", r.exitStatus())
                .rawField("data", tree(r.data()))
                .end();
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode treeOf(String json) throws IOException {
        return json == null ? null : io.jvmvisor.oci.JsonTree.read(json);
    }

    /** Reads one answer line. */
    static ControlResponse readResponse(String json) throws IOException {
        Map<String, Object> m;
        try {
            m = FlatJson.parse(json);
        } catch (IOException e) {
            throw new IOException("control message is not a JSON object: " + json, e);
        }
        Boolean ok = FlatJson.bool(m, "ok");
        String data = FlatJson.raw(m, "data");
        return new ControlResponse(ok != null && ok, FlatJson.string(m, "error"), FlatJson.string(m, "code"),
                FlatJson.string(m, "status"), FlatJson.number(m, "pid"), FlatJson.integer(m, "exitStatus"),
                treeOf(data));
    }

    private static String tree(JsonNode n) throws JsonProcessingException {
        if (n instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw) {
            return raw.rawValue().toString(); // JSON text as given (exec --process's file): no ObjectMapper
        }
        return n == null ? null : Trees.MAPPER.writeValueAsString(n);
    }
}
