package io.jvmvisor.runtime.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * state.json and exit.json with Jackson's streaming API. The CLI reads them
 * on every {@code state} and {@code list}: building an ObjectMapper and
 * introspecting records would cost more than the rest of the command.
 */
public final class RecordJson {
    /** Shared factory (thread-safe, cheap). */
    public static final JsonFactory FACTORY = new JsonFactory();

    private RecordJson() {
    }

    /** Writes a container record. */
    public static byte[] write(ContainerRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", r.id());
            g.writeStringField("bundle", r.bundle());
            g.writeStringField("rootfs", r.rootfs());
            g.writeStringField("created", r.created());
            g.writeStringField("owner", r.owner());
            writeMap(g, "annotations", r.annotations());
            g.writeNumberField("shimPid", r.shimPid());
            g.writeNumberField("shimStartTime", r.shimStartTime());
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** Writes a string map field (skipped when null). */
    public static void writeMap(JsonGenerator g, String name, Map<String, String> map) throws IOException {
        if (map == null) {
            return;
        }
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, String> e : map.entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    /** Reads a container record; unknown fields are skipped. */
    public static ContainerRecord readRecord(byte[] json) throws IOException {
        String id = null;
        String bundle = null;
        String rootfs = null;
        String created = null;
        String owner = null;
        Map<String, String> annotations = null;
        long pid = 0;
        long start = 0;
        try (JsonParser p = FACTORY.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "id" -> id = p.getValueAsString();
                    case "bundle" -> bundle = p.getValueAsString();
                    case "rootfs" -> rootfs = p.getValueAsString();
                    case "created" -> created = p.getValueAsString();
                    case "owner" -> owner = p.getValueAsString();
                    case "annotations" -> annotations = t == JsonToken.START_OBJECT ? readMap(p) : null;
                    case "shimPid" -> pid = p.getValueAsLong();
                    case "shimStartTime" -> start = p.getValueAsLong();
                    default -> p.skipChildren();
                }
            }
        }
        return new ContainerRecord(id, bundle, rootfs, created, owner, annotations, pid, start);
    }

    /** Reads exit.json. */
    public static ExitRecord readExit(byte[] json) throws IOException {
        Integer status = null;
        Integer signal = null;
        String reason = null;
        try (JsonParser p = FACTORY.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                boolean isNull = t == JsonToken.VALUE_NULL;
                switch (field) {
                    case "exitStatus" -> status = isNull ? null : p.getValueAsInt();
                    case "signal" -> signal = isNull ? null : p.getValueAsInt();
                    case "reason" -> reason = isNull ? null : p.getValueAsString();
                    default -> p.skipChildren();
                }
            }
        }
        return new ExitRecord(status, signal, reason);
    }

    private static Map<String, String> readMap(JsonParser p) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            p.nextToken();
            m.put(k, p.getValueAsString());
        }
        return m;
    }

    private static void expect(JsonToken got, JsonToken want) throws IOException {
        if (got != want) {
            throw new IOException("expected " + want + ", found " + got);
        }
    }
}
