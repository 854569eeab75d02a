package io.jvmvisor.runtime.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.jvmvisor.oci.Hooks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hooks.json}: the poststart and poststop hooks that create read from config.json, kept for
 * {@code start} and {@code delete} (as runc keeps the config it created with), with the streaming
 * API: those commands then neither parse config.json again nor build an ObjectMapper.
 */
public final class HooksJson {
    /** Shared factory (thread-safe), built on first use: a container without post hooks needs none. */
    private static final class Factory {
        static final JsonFactory INSTANCE = new JsonFactory();
    }

        private HooksJson() {
    }

    /** {@code {"poststart": [...], "poststop": [...]}}, each list only when not empty ({@code {}} for none). */
    public static byte[] write(Hooks hooks) throws IOException {
        if (Hooks.orEmpty(hooks.poststart()).isEmpty() && Hooks.orEmpty(hooks.poststop()).isEmpty()) {
            return "{}".getBytes(StandardCharsets.UTF_8); // the common case, without a generator
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = Factory.INSTANCE.createGenerator(out)) {
            g.writeStartObject();
            writeList(g, "poststart", Hooks.orEmpty(hooks.poststart()));
            writeList(g, "poststop", Hooks.orEmpty(hooks.poststop()));
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** The hooks of {@link #write}'s output (other hook kinds are never kept). */
    public static Hooks read(byte[] json) throws IOException {
        if (new String(json, StandardCharsets.UTF_8).strip().equals("{}")) {
            return Hooks.NONE; // what create writes for a container without post hooks: no parser needed
        }
        List<Hooks.Hook> poststart = null;
        List<Hooks.Hook> poststop = null;
        try (JsonParser p = Factory.INSTANCE.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "poststart" -> poststart = readList(p);
                    case "poststop" -> poststop = readList(p);
                    default -> p.skipChildren();
                }
            }
        }
        return new Hooks(null, null, null, null, poststart, poststop);
    }

    private static void writeList(JsonGenerator g, String name, List<Hooks.Hook> hooks) throws IOException {
        if (hooks.isEmpty()) {
            return;
        }
        g.writeArrayFieldStart(name);
        for (Hooks.Hook h : hooks) {
            g.writeStartObject();
            g.writeStringField("path", h.path());
            writeStrings(g, "args", h.args());
            writeStrings(g, "env", h.env());
            if (h.timeout() != null) {
                g.writeNumberField("timeout", h.timeout());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeStrings(JsonGenerator g, String name, List<String> values) throws IOException {
        if (values == null) {
            return;
        }
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    private static List<Hooks.Hook> readList(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY);
        List<Hooks.Hook> hooks = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            String path = null;
            List<String> args = null;
            List<String> env = null;
            Integer timeout = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "path" -> path = p.getValueAsString();
                    case "args" -> args = readStrings(p);
                    case "env" -> env = readStrings(p);
                    case "timeout" -> timeout = t == JsonToken.VALUE_NULL ? null : p.getValueAsInt();
                    default -> p.skipChildren();
                }
            }
            hooks.add(new Hooks.Hook(path, args, env, timeout));
        }
        return hooks;
    }

    private static List<String> readStrings(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY);
        List<String> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            values.add(p.getValueAsString());
        }
        return values;
    }

    private static void expect(JsonToken got, JsonToken want) throws IOException {
        if (got != want) {
            throw new IOException("expected " + want + ", found " + got);
        }
    }
}
