package io.jvmvisor.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.shim.control.FlatJson;
import java.util.List;

/**
 * JSON output in the shapes runc prints (Go's {@code json.MarshalIndent}:
 * {@code "key": value}). {@code state} and {@code list} write by hand ({@link FlatJson});
 * the ObjectMapper (costly to build) only serves the rarer commands.
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

    /**
     * The state a hook reads on its stdin, compact, written by hand (create runs docker's two hooks
     * right after the VM is up: an ObjectMapper would cost it ~50 ms); what databind wrote before.
     */
    static String hookState(io.jvmvisor.oci.State s) {
        return new FlatJson.Writer()
                .field("ociVersion", s.ociVersion())
                .field("id", s.id())
                .field("status", s.status())
                .field("pid", s.pid())
                .field("bundle", s.bundle())
                .field("annotations", s.annotations())
                .end();
    }

    /** {@code state}'s output: the view indented by two spaces, as runc prints it. */
    static String state(ContainerView v) {
        return view(new FlatJson.Writer("  "), v);
    }

    /** {@code list --format json}'s output: compact, one line. */
    static String list(List<ContainerView> views) {
        StringBuilder sb = new StringBuilder("[");
        for (ContainerView v : views) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(view(new FlatJson.Writer(), v));
        }
        return sb.append(']').toString();
    }

    /** One view, written by hand: state and list must not pay for Jackson (see {@link FlatJson}). */
    private static String view(FlatJson.Writer w, ContainerView v) {
        w.fieldOrNull("ociVersion", v.ociVersion())
                .fieldOrNull("id", v.id())
                .field("pid", v.pid())
                .fieldOrNull("status", v.status())
                .fieldOrNull("bundle", v.bundle())
                .fieldOrNull("rootfs", v.rootfs())
                .fieldOrNull("created", v.created())
                .fieldOrNull("owner", v.owner());
        if (v.annotations() != null && !v.annotations().isEmpty()) {
            w.field("annotations", v.annotations());
        }
        return w.end();
    }
}
