package io.jvmvisor.runtime.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.jvmvisor.oci.Hooks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code hooks.json}: the poststart and poststop hooks that create read from config.json, kept for
 * {@code start} and {@code delete} (as runc keeps the config it created with), written with the
 * streaming API and read as config.json's hooks object ({@link io.jvmvisor.oci.SpecLoader#hooks}):
 * those commands then neither parse config.json again nor build an ObjectMapper.
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
        Hooks h = io.jvmvisor.oci.SpecLoader.hooks(json); // read as config.json's hooks object
        return new Hooks(null, null, null, null, h.poststart(), h.poststop());
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
}
