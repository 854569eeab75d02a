package io.jvmvisor.shim.control;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Flat JSON objects read and written by hand: the control lines and the CLI's state files are
 * objects of strings, integers and booleans, read by a CLI that runs once per docker/containerd
 * call. Jackson's parser costs that CLI a BigDecimal table (5^(2^16), ~30 ms interpreted) and
 * record reflection spins method-handle classes the AOT cache does not keep; this needs neither.
 * A nested object or array is kept as its JSON text ({@link Raw}) for whoever needs it. Strings
 * are escaped as Jackson escapes them, so the output is byte for byte what Jackson wrote before.
 */
public final class FlatJson {
    private FlatJson() {
    }

    /** A nested object or array, or a number that is not a {@code long}, as its JSON text. */
    public record Raw(String json) {
    }

    /**
     * The members of one JSON object: String, Long, Boolean, {@link Raw}, or null for JSON null;
     * a repeated name keeps its last value.
     */
    public static Map<String, Object> parse(String json) throws IOException {
        Reader r = new Reader(json);
        Map<String, Object> members = r.object();
        r.end();
        return members;
    }

    /** The elements of one JSON array, typed as {@link #parse}'s member values. */
    public static java.util.List<Object> parseArray(String json) throws IOException {
        Reader r = new Reader(json);
        java.util.List<Object> elements = r.array();
        r.end();
        return elements;
    }

    /** An object whose members are all strings (or null), e.g. annotations. */
    public static Map<String, String> parseStrings(String json) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : parse(json).entrySet()) {
            Object v = e.getValue();
            if (v != null && !(v instanceof String)) {
                throw new IOException("\"" + e.getKey() + "\" is not a string: " + text(v));
            }
            out.put(e.getKey(), (String) v);
        }
        return out;
    }

    /** A member as a string (null when absent or null); another type is an error. */
    public static String string(Map<String, Object> m, String name) throws IOException {
        Object v = m.get(name);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new IOException("\"" + name + "\" is not a string: " + text(v));
    }

    /** A member as a long (null when absent or null). */
    public static Long number(Map<String, Object> m, String name) throws IOException {
        Object v = m.get(name);
        if (v == null || v instanceof Long) {
            return (Long) v;
        }
        throw new IOException("\"" + name + "\" is not an integer: " + text(v));
    }

    /** A member as an int (null when absent or null). */
    public static Integer integer(Map<String, Object> m, String name) throws IOException {
        Long v = number(m, name);
        if (v == null) {
            return null;
        }
        if (v != v.intValue()) {
            throw new IOException("\"" + name + "\" is out of range: " + v);
        }
        return v.intValue();
    }

    /** A member as a boolean (null when absent or null). */
    public static Boolean bool(Map<String, Object> m, String name) throws IOException {
        Object v = m.get(name);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw new IOException("\"" + name + "\" is not a boolean: " + text(v));
    }

    /** A nested object or array member as JSON text (null when absent or null). */
    public static String raw(Map<String, Object> m, String name) throws IOException {
        Object v = m.get(name);
        if (v == null || v instanceof Raw) {
            return v == null ? null : ((Raw) v).json();
        }
        throw new IOException("\"" + name + "\" is not an object or array: " + text(v));
    }

    private static String text(Object v) {
        if (v instanceof Raw raw) {
            return raw.json();
        }
        return v instanceof String s ? quote(s) : String.valueOf(v);
    }

    /** A JSON string literal. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        quote(sb, s);
        return sb.toString();
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** Appends {@code s} as a JSON string literal, escaped as Jackson does by default. */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                sb.append(c);
                continue;
            }
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\f' -> sb.append("\\f");
                case '\r' -> sb.append("\\r");
                default -> sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        sb.append('"');
    }

    /**
     * One object written member by member, compact ({@code {"a":1,"b":"x"}}) or indented as
     * Go's {@code json.MarshalIndent} and the CLI's pretty printer write it ({@code "a": 1}).
     * Null values are left out.
     */
    public static final class Writer {
        private final StringBuilder sb;
        private final String indent;
        private final int depth;
        private boolean first = true;

        /** A compact object. */
        public Writer() {
            this(new StringBuilder(128), null, 0);
        }

        /** An object indented by {@code indent} per level (null: compact). */
        public Writer(String indent) {
            this(new StringBuilder(256), indent, 0);
        }

        private Writer(StringBuilder sb, String indent, int depth) {
            this.sb = sb;
            this.indent = indent;
            this.depth = depth;
            sb.append('{');
        }

        private void name(String name) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            if (indent != null) {
                sb.append('\n');
                sb.append(indent.repeat(depth + 1));
            }
            quote(sb, name);
            sb.append(indent != null ? ": " : ":");
        }

        public Writer field(String name, String value) {
            if (value != null) {
                name(name);
                quote(sb, value);
            }
            return this;
        }

        /** A string member that is written {@code null} when null. */
        public Writer fieldOrNull(String name, String value) {
            name(name);
            if (value == null) {
                sb.append("null");
            } else {
                quote(sb, value);
            }
            return this;
        }

        public Writer field(String name, Long value) {
            if (value != null) {
                name(name);
                sb.append(value.longValue());
            }
            return this;
        }

        public Writer field(String name, Integer value) {
            if (value != null) {
                name(name);
                sb.append(value.intValue());
            }
            return this;
        }

        public Writer field(String name, Boolean value) {
            if (value != null) {
                name(name);
                sb.append(value.booleanValue());
            }
            return this;
        }

        /** A member whose value is JSON text already (written as it is; compact writers only). */
        public Writer rawField(String name, String json) {
            if (json != null) {
                name(name);
                sb.append(json);
            }
            return this;
        }

        /** A member holding an object of strings, {@code {}} when empty. */
        public Writer field(String name, Map<String, String> map) {
            if (map == null) {
                return this;
            }
            name(name);
            Writer inner = new Writer(sb, indent, depth + 1);
            for (Map.Entry<String, String> e : map.entrySet()) {
                inner.fieldOrNull(e.getKey(), e.getValue());
            }
            inner.close();
            return this;
        }

        private void close() {
            if (indent != null && !first) {
                sb.append('\n').append(indent.repeat(depth));
            }
            sb.append('}');
        }

        /** Ends the object and returns its text. */
        public String end() {
            close();
            return sb.toString();
        }
    }

    /** A recursive-descent reader over one string. */
    private static final class Reader {
        private final String s;
        private int i;

        Reader(String s) {
            this.s = s;
        }

        Map<String, Object> object() throws IOException {
            space();
            if (i >= s.length() || s.charAt(i) != '{') {
                throw error("not a JSON object");
            }
            i++;
            Map<String, Object> m = new LinkedHashMap<>();
            space();
            if (peek() == '}') {
                i++;
                return m;
            }
            while (true) {
                space();
                if (peek() != '"') {
                    throw error("expected a member name");
                }
                String name = string();
                space();
                if (peek() != ':') {
                    throw error("expected ':'");
                }
                i++;
                space();
                m.put(name, value());
                space();
                char c = peek();
                i++;
                if (c == '}') {
                    return m;
                }
                if (c != ',') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        java.util.List<Object> array() throws IOException {
            space();
            if (i >= s.length() || s.charAt(i) != '[') {
                throw error("not a JSON array");
            }
            i++;
            java.util.List<Object> out = new java.util.ArrayList<>();
            space();
            if (peek() == ']') {
                i++;
                return out;
            }
            while (true) {
                space();
                out.add(value());
                space();
                char c = peek();
                i++;
                if (c == ']') {
                    return out;
                }
                if (c != ',') {
                    throw error("expected ',' or ']'");
                }
            }
        }

        void end() throws IOException {
            space();
            if (i < s.length()) {
                throw error("trailing characters");
            }
        }

        private Object value() throws IOException {
            char c = peek();
            switch (c) {
                case '"':
                    return string();
                case '{', '[': {
                    int start = i;
                    skipNested();
                    return new Raw(s.substring(start, i));
                }
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default:
                    return number();
            }
        }

        private Object number() throws IOException {
            int start = i;
            boolean integral = true;
            if (peek() == '-') {
                i++;
            }
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c >= '0' && c <= '9') {
                    i++;
                } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                    integral = false;
                    i++;
                } else {
                    break;
                }
            }
            String text = s.substring(start, i);
            if (text.isEmpty() || text.equals("-")) {
                throw error("unexpected character");
            }
            if (integral) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException e) {
                    // too large for a long: kept as text
                }
            }
            return new Raw(text);
        }

        private void literal(String word) throws IOException {
            if (!s.startsWith(word, i)) {
                throw error("unexpected character");
            }
            i += word.length();
        }

        /** Skips an object or array, strings within included. */
        private void skipNested() throws IOException {
            int depth = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '"') {
                    string();
                    continue;
                }
                i++;
                if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) {
                        return;
                    }
                }
            }
            throw error("unterminated object or array");
        }

        private String string() throws IOException {
            i++; // the opening quote
            StringBuilder sb = null;
            int start = i;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '"') {
                    String out = sb == null ? s.substring(start, i) : sb.append(s, start, i).toString();
                    i++;
                    return out;
                }
                if (c < 0x20) {
                    throw error("control character in a string");
                }
                if (c != '\\') {
                    i++;
                    continue;
                }
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(s, start, i);
                if (i + 1 >= s.length()) {
                    break;
                }
                char e = s.charAt(i + 1);
                i += 2;
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s, i, i + 4, 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
                start = i;
            }
            throw error("unterminated string");
        }

        private char peek() throws IOException {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i);
        }

        private void space() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        private IOException error(String what) {
            String near = s.length() > 200 ? s.substring(0, 200) + "..." : s;
            return new IOException("bad JSON (" + what + " at offset " + i + "): " + near);
        }
    }
}
