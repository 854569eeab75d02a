package io.jvmvisor.shim.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.Map;

/**
 * The CLI's JSON codec for control records, on Jackson's streaming API: the
 * CLI runs once per docker/containerd call, and a full {@code ObjectMapper}
 * costs it about 150 ms of start-up. Records are written and read component
 * by component (null components left out, unknown fields skipped); only a
 * {@link JsonNode} component (an exec's process, update's resources, ps/stats
 * data) brings in databind, and only when present. The shim reads and writes
 * the same JSON with an ObjectMapper.
 */
final class ControlCodec {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ControlCodec() {
    }

    /** Holder: databind is loaded on first use only. */
    private static final class Trees {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** One JSON object (no newline) for a record. */
    static byte[] write(Record record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            for (RecordComponent c : record.getClass().getRecordComponents()) {
                Object v = get(c, record);
                if (v == null) {
                    continue;
                }
                g.writeFieldName(c.getName());
                switch (v) {
                    case String s -> g.writeString(s);
                    case Boolean b -> g.writeBoolean(b);
                    case Integer i -> g.writeNumber(i);
                    case Long l -> g.writeNumber(l);
                    case JsonNode n -> Trees.MAPPER.writeTree(g, n);
                    default -> throw new IOException("cannot encode " + c.getName() + " of type " + v.getClass());
                }
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** Reads one JSON object into a record of type {@code type}. */
    static <R extends Record> R read(String json, Class<R> type) throws IOException {
        RecordComponent[] comps = type.getRecordComponents();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < comps.length; i++) {
            index.put(comps[i].getName(), i);
        }
        Object[] values = new Object[comps.length];
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("control message is not a JSON object: " + json);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                Integer i = index.get(p.currentName());
                JsonToken t = p.nextToken();
                if (i == null) {
                    p.skipChildren();
                    continue;
                }
                values[i] = value(p, t, comps[i].getType());
            }
        }
        for (int i = 0; i < comps.length; i++) {
            if (values[i] == null && comps[i].getType() == boolean.class) {
                values[i] = false;
            }
        }
        try {
            Class<?>[] types = new Class<?>[comps.length];
            for (int i = 0; i < comps.length; i++) {
                types[i] = comps[i].getType();
            }
            Constructor<R> ctor = type.getDeclaredConstructor(types);
            return ctor.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot build " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static Object value(JsonParser p, JsonToken t, Class<?> type) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (type == String.class) {
            return p.getValueAsString();
        }
        if (type == Boolean.class || type == boolean.class) {
            return p.getValueAsBoolean();
        }
        if (type == Integer.class || type == int.class) {
            return p.getValueAsInt();
        }
        if (type == Long.class || type == long.class) {
            return p.getValueAsLong();
        }
        if (type == JsonNode.class) {
            return Trees.MAPPER.readTree(p);
        }
        p.skipChildren();
        return null;
    }

    private static Object get(RecordComponent c, Record r) throws IOException {
        try {
            return c.getAccessor().invoke(r);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IOException("cannot read " + c.getName() + ": " + e.getMessage(), e);
        }
    }
}
