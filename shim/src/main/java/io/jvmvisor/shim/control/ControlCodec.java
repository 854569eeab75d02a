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
                data == null ? null : Trees.MAPPER.readTree(data));
    }

    private static String tree(JsonNode n) throws JsonProcessingException {
        if (n instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw) {
            return raw.rawValue().toString(); // JSON text as given (exec --process's file): no ObjectMapper
        }
        return n == null ? null : Trees.MAPPER.writeValueAsString(n);
    }
}
