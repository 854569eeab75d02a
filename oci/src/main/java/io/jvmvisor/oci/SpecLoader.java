package io.jvmvisor.oci;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a bundle's {@code config.json} and checks it ({@link SpecValidator}),
 * turning every problem into a {@link SpecException} whose message says what
 * to fix and where.
 */
public final class SpecLoader {
    /** The file name of the configuration in a bundle. */
    public static final String CONFIG = "config.json";

    /** databind, made on first use: {@link SpecReader} reads a plain config without it. */
    private static final class Databind {
        static final ObjectMapper JSON = new ObjectMapper()
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    private static final java.util.regex.Pattern START_MARKER =
            java.util.regex.Pattern.compile("\\(start marker at \\[Source: .*?; line: (\\d+), column: (\\d+)\\]\\)");

    private SpecLoader() {
    }

    /** Reads and validates {@code bundle/config.json}, including checks against the rootfs. */
    public static Spec load(Path bundle) throws SpecException {
        Spec spec = parse(bundle);
        SpecValidator.validate(spec, bundle);
        return spec;
    }

    /** Reads {@code bundle/config.json} without validating it. */
    public static Spec parse(Path bundle) throws SpecException {
        return parse(read(bundle));
    }

    /**
     * The bytes of {@code bundle/config.json}, for a caller that parses them and keeps them (create:
     * the copy in the state dir is then exactly what was validated, read once).
     */
    public static byte[] read(Path bundle) throws SpecException {
        if (!Files.isDirectory(bundle)) {
            throw new SpecException("bundle " + bundle + ": no such directory");
        }
        Path config = bundle.resolve(CONFIG);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(config);
        } catch (NoSuchFileException e) {
            throw new SpecException(CONFIG + ": no such file in bundle " + bundle);
        } catch (IOException e) {
            throw new SpecException(CONFIG + ": cannot read " + config + ": " + e.getMessage());
        }
        return bytes;
    }

    /** Parses config.json text; errors name the line and column. */
    public static Spec parse(byte[] json) throws SpecException {
        Spec plain = SpecReader.read(json);
        if (plain != null) {
            return plain;
        }
        return parseWithDatabind(json);
    }

    /**
     * An exec's process (process.json as a tree), read as config.json's {@code process} is; what
     * databind finds wrong is its exception.
     */
    public static Process process(com.fasterxml.jackson.databind.JsonNode tree) throws IOException {
        Process plain = SpecReader.process(tree);
        return plain != null ? plain : Databind.JSON.treeToValue(tree, Process.class);
    }

    /**
     * A hooks object alone, as config.json's {@code hooks} is read (create keeps the post hooks in
     * hooks.json this way); one that is not plain JSON of that shape is an IOException.
     */
    public static Hooks hooks(byte[] json) throws IOException {
        Hooks hooks = SpecReader.hooks(json);
        if (hooks == null) {
            throw new IOException("not a hooks object: " + new String(json, 0, Math.min(json.length, 200),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        return hooks;
    }

    /** As {@link #parse(byte[])}, always with databind (what {@link SpecReader} does not take; its tests). */
    static Spec parseWithDatabind(byte[] json) throws SpecException {
        try {
            Spec spec = Databind.JSON.readValue(json, Spec.class);
            if (spec == null) {
                throw new SpecException(CONFIG + ": empty document, expected a JSON object");
            }
            return spec;
        } catch (JsonMappingException e) {
            throw new SpecException(CONFIG + ": " + where(e) + "wrong type or value at "
                    + fieldPath(e) + ": " + firstLine(e.getOriginalMessage()));
        } catch (JacksonException e) {
            throw new SpecException(CONFIG + ": malformed JSON " + where(e) + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new SpecException(CONFIG + ": " + e.getMessage());
        }
    }

    private static String where(JacksonException e) {
        JsonLocation loc = e.getLocation();
        if (loc == null || loc.getLineNr() < 0) {
            return "";
        }
        return "at line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
    }

    private static String fieldPath(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "top level" : sb.toString();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        // Jackson names the opening brace with an internal source description: keep only the position
        return START_MARKER.matcher(line).replaceAll("(opened at line $1, column $2)");
    }
}
