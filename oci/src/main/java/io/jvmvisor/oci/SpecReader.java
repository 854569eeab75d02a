package io.jvmvisor.oci;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * config.json read straight from jackson-core's token stream into the {@link Spec} records, without
 * databind: a shim or CLI parses one config per JVM, and databind's first use (bean introspection,
 * annotation proxies, method handles) costs ~100 ms there against a few for this reader.
 *
 * <p>It takes only what databind would read the same way: each value of the JSON type its field
 * naturally has (or null), unknown fields skipped, duplicate keys refused. Anything else (a string
 * where a number goes, a number out of range, an array where an object goes, a malformed document)
 * makes {@link #read} return null, and {@link SpecLoader} then parses with databind, which accepts
 * or reports it as before. SpecReaderTest holds the two to the same records.
 */
final class SpecReader {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Not the plain shape this reader takes: databind decides. */
    private static final class NotPlain extends Exception {
        NotPlain() {
            super(null, null, false, false);
        }
    }

    private static final NotPlain NOT_PLAIN = new NotPlain();

    /** A reader of one record from the object whose START_OBJECT was just read. */
    private interface Fields<T> {
        T read(JsonParser p) throws IOException, NotPlain;
    }

    private SpecReader() {
    }

    /** The spec in {@code json}, or null where databind must decide (see the class comment). */
    static Spec read(byte[] json) {
        return whole(() -> FACTORY.createParser(json), SpecReader::spec);
    }

    /** An exec's process object (a tree the shim holds), or null where databind must decide. */
    static Process process(JsonNode tree) {
        return whole(tree::traverse, SpecReader::process);
    }

    /** A hooks object alone (as config.json's {@code hooks}), or null where it is not plain. */
    static Hooks hooks(byte[] json) {
        return whole(() -> FACTORY.createParser(json), SpecReader::hooks);
    }

    /** Where a whole document's tokens come from. */
    private interface Source {
        JsonParser open() throws IOException;
    }

    /** The one object {@code source} holds, read by {@code fields}; null where it is not plain (databind decides). */
    private static <T> T whole(Source source, Fields<T> fields) {
        try (JsonParser p = source.open()) {
            JsonToken t = p.nextToken();
            return t == JsonToken.START_OBJECT ? object(p, t, fields) : null;
        } catch (IOException | NotPlain | RuntimeException e) {
            return null;
        }
    }

    private static Spec spec(JsonParser p) throws IOException, NotPlain {
        String ociVersion = null;
        String hostname = null;
        Process process = null;
        Root root = null;
        List<Mount> mounts = null;
        Hooks hooks = null;
        Map<String, String> annotations = null;
        Linux linux = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "ociVersion" -> ociVersion = string(p, t);
                case "hostname" -> hostname = string(p, t);
                case "process" -> process = object(p, t, SpecReader::process);
                case "root" -> root = object(p, t, SpecReader::root);
                case "mounts" -> mounts = list(p, t, q -> object(q, q.currentToken(), SpecReader::mount));
                case "hooks" -> hooks = object(p, t, SpecReader::hooks);
                case "annotations" -> annotations = stringMap(p, t);
                case "linux" -> linux = object(p, t, SpecReader::linux);
                default -> p.skipChildren();
            }
        }
        return new Spec(ociVersion, process, root, hostname, mounts, hooks, annotations, linux);
    }

    private static Process process(JsonParser p) throws IOException, NotPlain {
        Boolean terminal = null;
        Process.ConsoleSize consoleSize = null;
        Process.User user = null;
        List<String> args = null;
        List<String> env = null;
        String cwd = null;
        Process.Capabilities capabilities = null;
        List<Process.Rlimit> rlimits = null;
        Boolean noNewPrivileges = null;
        Integer oomScoreAdj = null;
        String apparmorProfile = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "terminal" -> terminal = bool(t);
                case "consoleSize" -> consoleSize = object(p, t, q -> {
                    long[] v = longs(q, "height", "width");
                    return new Process.ConsoleSize(toInt(v[0]), toInt(v[1]));
                });
                case "user" -> user = object(p, t, SpecReader::user);
                case "args" -> args = strings(p, t);
                case "env" -> env = strings(p, t);
                case "cwd" -> cwd = string(p, t);
                case "capabilities" -> capabilities = object(p, t, SpecReader::capabilities);
                case "rlimits" -> rlimits = list(p, t, q -> object(q, q.currentToken(), SpecReader::rlimit));
                case "noNewPrivileges" -> noNewPrivileges = bool(t);
                case "oomScoreAdj" -> oomScoreAdj = boxedInt(p, t);
                case "apparmorProfile" -> apparmorProfile = string(p, t);
                default -> p.skipChildren();
            }
        }
        return new Process(terminal, consoleSize, user, args, env, cwd, capabilities, rlimits, noNewPrivileges,
                oomScoreAdj, apparmorProfile);
    }

    private static Process.Rlimit rlimit(JsonParser p) throws IOException, NotPlain {
        String type = null;
        long hard = 0;
        long soft = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "type" -> type = string(p, t);
                case "hard" -> hard = primitiveLong(p, t);
                case "soft" -> soft = primitiveLong(p, t);
                default -> p.skipChildren();
            }
        }
        return new Process.Rlimit(type, hard, soft);
    }

    private static Process.User user(JsonParser p) throws IOException, NotPlain {
        long uid = 0;
        long gid = 0;
        Integer umask = null;
        List<Long> additionalGids = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "uid" -> uid = primitiveLong(p, t);
                case "gid" -> gid = primitiveLong(p, t);
                case "umask" -> umask = boxedInt(p, t);
                case "additionalGids" -> additionalGids = list(p, t, q -> boxedLong(q, q.currentToken()));
                default -> p.skipChildren();
            }
        }
        return new Process.User(uid, gid, umask, additionalGids);
    }

    private static Process.Capabilities capabilities(JsonParser p) throws IOException, NotPlain {
        List<String> bounding = null;
        List<String> effective = null;
        List<String> inheritable = null;
        List<String> permitted = null;
        List<String> ambient = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "bounding" -> bounding = strings(p, t);
                case "effective" -> effective = strings(p, t);
                case "inheritable" -> inheritable = strings(p, t);
                case "permitted" -> permitted = strings(p, t);
                case "ambient" -> ambient = strings(p, t);
                default -> p.skipChildren();
            }
        }
        return new Process.Capabilities(bounding, effective, inheritable, permitted, ambient);
    }

    private static Root root(JsonParser p) throws IOException, NotPlain {
        String path = null;
        Boolean readonly = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "path" -> path = string(p, t);
                case "readonly" -> readonly = bool(t);
                default -> p.skipChildren();
            }
        }
        return new Root(path, readonly);
    }

    private static Mount mount(JsonParser p) throws IOException, NotPlain {
        String destination = null;
        String type = null;
        String source = null;
        List<String> options = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "destination" -> destination = string(p, t);
                case "type" -> type = string(p, t);
                case "source" -> source = string(p, t);
                case "options" -> options = strings(p, t);
                default -> p.skipChildren();
            }
        }
        return new Mount(destination, type, source, options);
    }

    private static Hooks hooks(JsonParser p) throws IOException, NotPlain {
        Map<String, List<Hooks.Hook>> lists = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" ->
                        lists.put(name, list(p, t, q -> object(q, q.currentToken(), SpecReader::hook)));
                default -> p.skipChildren();
            }
        }
        return new Hooks(lists.get("prestart"), lists.get("createRuntime"), lists.get("createContainer"),
                lists.get("startContainer"), lists.get("poststart"), lists.get("poststop"));
    }

    private static Hooks.Hook hook(JsonParser p) throws IOException, NotPlain {
        String path = null;
        List<String> args = null;
        List<String> env = null;
        Integer timeout = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "path" -> path = string(p, t);
                case "args" -> args = strings(p, t);
                case "env" -> env = strings(p, t);
                case "timeout" -> timeout = boxedInt(p, t);
                default -> p.skipChildren();
            }
        }
        return new Hooks.Hook(path, args, env, timeout);
    }

    private static Linux linux(JsonParser p) throws IOException, NotPlain {
        List<Linux.Namespace> namespaces = null;
        Linux.Resources resources = null;
        String cgroupsPath = null;
        List<String> maskedPaths = null;
        List<String> readonlyPaths = null;
        Map<String, String> sysctl = null;
        List<Linux.Device> devices = null;
        List<Linux.IdMapping> uidMappings = null;
        List<Linux.IdMapping> gidMappings = null;
        JsonNode seccomp = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "namespaces" -> namespaces = list(p, t, q -> object(q, q.currentToken(), r -> {
                    String[] v = strings(r, "type", "path");
                    return new Linux.Namespace(v[0], v[1]);
                }));
                case "resources" -> resources = object(p, t, SpecReader::resources);
                case "cgroupsPath" -> cgroupsPath = string(p, t);
                case "maskedPaths" -> maskedPaths = strings(p, t);
                case "readonlyPaths" -> readonlyPaths = strings(p, t);
                case "sysctl" -> sysctl = stringMap(p, t);
                case "devices" -> devices = list(p, t, q -> object(q, q.currentToken(), SpecReader::device));
                case "uidMappings" -> uidMappings = idMappings(p, t);
                case "gidMappings" -> gidMappings = idMappings(p, t);
                case "seccomp" -> seccomp = tree(p, t); // a JSON null is a NullNode, as databind has it
                default -> p.skipChildren();
            }
        }
        return new Linux(namespaces, resources, cgroupsPath, maskedPaths, readonlyPaths, sysctl, devices, uidMappings,
                gidMappings, seccomp);
    }

    private static List<Linux.IdMapping> idMappings(JsonParser p, JsonToken t) throws IOException, NotPlain {
        return list(p, t, q -> object(q, q.currentToken(), r -> {
            long[] v = longs(r, "containerID", "hostID", "size");
            return new Linux.IdMapping(v[0], v[1], v[2]);
        }));
    }

    private static Linux.Resources resources(JsonParser p) throws IOException, NotPlain {
        Linux.Memory memory = null;
        Linux.Cpu cpu = null;
        Linux.Pids pids = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "memory" -> memory = object(p, t, SpecReader::memory);
                case "cpu" -> cpu = object(p, t, SpecReader::cpu);
                case "pids" -> pids = object(p, t, q -> new Linux.Pids(longs(q, "limit")[0]));
                default -> p.skipChildren();
            }
        }
        return new Linux.Resources(memory, cpu, pids);
    }

    private static Linux.Memory memory(JsonParser p) throws IOException, NotPlain {
        Long limit = null;
        Long reservation = null;
        Long swap = null;
        Long swappiness = null;
        Boolean disableOomKiller = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "limit" -> limit = boxedLong(p, t);
                case "reservation" -> reservation = boxedLong(p, t);
                case "swap" -> swap = boxedLong(p, t);
                case "swappiness" -> swappiness = boxedLong(p, t);
                case "disableOOMKiller" -> disableOomKiller = bool(t);
                default -> p.skipChildren();
            }
        }
        return new Linux.Memory(limit, reservation, swap, swappiness, disableOomKiller);
    }

    private static Linux.Cpu cpu(JsonParser p) throws IOException, NotPlain {
        Long shares = null;
        Long quota = null;
        Long period = null;
        String cpus = null;
        String mems = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "shares" -> shares = boxedLong(p, t);
                case "quota" -> quota = boxedLong(p, t);
                case "period" -> period = boxedLong(p, t);
                case "cpus" -> cpus = string(p, t);
                case "mems" -> mems = string(p, t);
                default -> p.skipChildren();
            }
        }
        return new Linux.Cpu(shares, quota, period, cpus, mems);
    }

    private static Linux.Device device(JsonParser p) throws IOException, NotPlain {
        String type = null;
        String path = null;
        Long major = null;
        Long minor = null;
        Integer fileMode = null;
        Long uid = null;
        Long gid = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "type" -> type = string(p, t);
                case "path" -> path = string(p, t);
                case "major" -> major = boxedLong(p, t);
                case "minor" -> minor = boxedLong(p, t);
                case "fileMode" -> fileMode = boxedInt(p, t);
                case "uid" -> uid = boxedLong(p, t);
                case "gid" -> gid = boxedLong(p, t);
                default -> p.skipChildren();
            }
        }
        return new Linux.Device(type, path, major, minor, fileMode, uid, gid);
    }

    // ---- values ----

    /** A record read by {@code fields}, or null for a JSON null. */
    private static <T> T object(JsonParser p, JsonToken t, Fields<T> fields) throws IOException, NotPlain {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_OBJECT) {
            throw NOT_PLAIN;
        }
        T value = fields.read(p);
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw NOT_PLAIN;
        }
        return value;
    }

    /** A list of what {@code element} reads at each element's first token (JSON null elements kept). */
    private static <T> List<T> list(JsonParser p, JsonToken t, Fields<T> element) throws IOException, NotPlain {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_ARRAY) {
            throw NOT_PLAIN;
        }
        List<T> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() == null) {
                throw NOT_PLAIN;
            }
            out.add(p.currentToken() == JsonToken.VALUE_NULL ? null : element.read(p));
        }
        return out;
    }

    private static List<String> strings(JsonParser p, JsonToken t) throws IOException, NotPlain {
        return list(p, t, q -> string(q, q.currentToken()));
    }

    private static Map<String, String> stringMap(JsonParser p, JsonToken t) throws IOException, NotPlain {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_OBJECT) {
            throw NOT_PLAIN;
        }
        Map<String, String> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            out.put(key, string(p, p.nextToken()));
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw NOT_PLAIN;
        }
        return out;
    }

    private static String string(JsonParser p, JsonToken t) throws IOException, NotPlain {
        return switch (t) {
            case VALUE_NULL -> null;
            case VALUE_STRING -> p.getText();
            default -> throw NOT_PLAIN;
        };
    }

    private static Boolean bool(JsonToken t) throws NotPlain {
        return switch (t) {
            case VALUE_NULL -> null;
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            default -> throw NOT_PLAIN;
        };
    }

    private static Long boxedLong(JsonParser p, JsonToken t) throws IOException, NotPlain {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        return primitiveLong(p, t);
    }

    /** A long field: a JSON integer in range; null is 0 (databind's FAIL_ON_NULL_FOR_PRIMITIVES is off). */
    private static long primitiveLong(JsonParser p, JsonToken t) throws IOException, NotPlain {
        if (t == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw NOT_PLAIN;
        }
        JsonParser.NumberType n = p.getNumberType();
        if (n != JsonParser.NumberType.INT && n != JsonParser.NumberType.LONG) {
            throw NOT_PLAIN;
        }
        return p.getLongValue();
    }

    private static Integer boxedInt(JsonParser p, JsonToken t) throws IOException, NotPlain {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        return toInt(primitiveLong(p, t));
    }

    private static int toInt(long v) throws NotPlain {
        if (v != (int) v) {
            throw NOT_PLAIN;
        }
        return (int) v;
    }

    /** The long fields {@code names} of an object (missing or null: 0); any other field skipped. */
    private static long[] longs(JsonParser p, String... names) throws IOException, NotPlain {
        List<String> wanted = List.of(names);
        long[] v = new long[names.length];
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            int i = wanted.indexOf(p.currentName());
            JsonToken t = p.nextToken();
            if (i >= 0) {
                v[i] = primitiveLong(p, t);
            } else {
                p.skipChildren();
            }
        }
        return v;
    }

    /** The string fields {@code names} of an object (missing: null); any other field skipped. */
    private static String[] strings(JsonParser p, String... names) throws IOException, NotPlain {
        List<String> wanted = List.of(names);
        String[] v = new String[names.length];
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            int i = wanted.indexOf(p.currentName());
            JsonToken t = p.nextToken();
            if (i >= 0) {
                v[i] = string(p, t);
            } else {
                p.skipChildren();
            }
        }
        return v;
    }

    /** The JSON value starting at {@code t} as a tree (seccomp is kept raw). */
    private static JsonNode tree(JsonParser p, JsonToken t) throws IOException {
        return JsonTree.read(p, t);
    }
}
