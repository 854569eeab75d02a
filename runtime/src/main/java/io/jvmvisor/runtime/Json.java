package io.jvmvisor.runtime;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.runtime.state.RecordJson;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * JSON output in the shapes runc prints (Go's {@code json.MarshalIndent}:
 * {@code "key": value}). {@code state} and {@code list} write with the
 * streaming API; the ObjectMapper (costly to build) only serves the rarer commands.
 */
public final class Json {
    private Json() {
    }

    private static final class Holder {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** The shared ObjectMapper, built on first use. */
    public static ObjectMapper mapper() {
        return Holder.MAPPER;
    }

    /** Go-style pretty printer indenting with {@code indent}. */
    static DefaultPrettyPrinter printer(String indent) {
        DefaultIndenter indenter = new DefaultIndenter(indent, "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                        .withObjectEmptySeparator("")
                        .withArrayEmptySeparator(""));
        printer.indentArraysWith(indenter);
        printer.indentObjectsWith(indenter);
        return printer;
    }

    /** Pretty JSON with {@code indent} spaces, Go style. */
    public static String pretty(Object value, int indent) {
        return pretty(value, " ".repeat(indent));
    }

    /** Pretty JSON indented with {@code indent} (e.g. a tab, as runc spec writes), Go style. */
    public static String pretty(Object value, String indent) {
        try {
            return mapper().writer(printer(indent)).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compact JSON. */
    public static String compact(Object value) {
        try {
            return mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code state}'s output: the view indented by two spaces, as runc prints it. */
    static String state(ContainerView v) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = RecordJson.FACTORY.createGenerator(w)) {
            g.setPrettyPrinter(printer("  "));
            view(g, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** {@code list --format json}'s output: compact, one line. */
    static String list(List<ContainerView> views) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = RecordJson.FACTORY.createGenerator(w)) {
            g.writeStartArray();
            for (ContainerView v : views) {
                view(g, v);
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void view(JsonGenerator g, ContainerView v) throws IOException {
        g.writeStartObject();
        g.writeStringField("ociVersion", v.ociVersion());
        g.writeStringField("id", v.id());
        g.writeNumberField("pid", v.pid());
        g.writeStringField("status", v.status());
        g.writeStringField("bundle", v.bundle());
        g.writeStringField("rootfs", v.rootfs());
        g.writeStringField("created", v.created());
        g.writeStringField("owner", v.owner());
        if (v.annotations() != null && !v.annotations().isEmpty()) {
            RecordJson.writeMap(g, "annotations", v.annotations());
        }
        g.writeEndObject();
    }
}
