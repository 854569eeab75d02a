package io.jvmvisor.runtime;

import io.jvmvisor.shim.control.FlatJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What create needs of config.json before it starts the shim, read without databind: the rootfs
 * and annotations for state.json, and the network namespace the shim joins. Databind's parse of
 * the whole spec costs a fresh JVM 300 ms and more; with this preview create starts the shim first
 * and parses and validates while the shim's JVM boots (a config found wrong then undoes the shim).
 * Null ({@link #of}) when the config is not plain enough to preview: create then parses first.
 *
 * @param rootfs      root.path resolved against the bundle (an existing directory)
 * @param annotations the annotations (empty when none)
 * @param network     whether linux.namespaces has a "network" entry
 * @param networkPath that entry's path (null or "" for a new namespace)
 */
record ConfigPreview(Path rootfs, Map<String, String> annotations, boolean network, String networkPath) {

    /** The preview of config.json's bytes, or null when a full parse must decide. */
    static ConfigPreview of(byte[] config, Path bundle) {
        try {
            Map<String, Object> top = FlatJson.parse(new String(config, StandardCharsets.UTF_8));
            String rootJson = FlatJson.raw(top, "root");
            if (rootJson == null) {
                return null;
            }
            String rootPath = FlatJson.string(FlatJson.parse(rootJson), "path");
            if (rootPath == null || rootPath.isEmpty()) {
                return null;
            }
            Path rootfs = bundle.resolve(rootPath).normalize();
            if (!Files.isDirectory(rootfs)) {
                return null;
            }
            String ann = FlatJson.raw(top, "annotations");
            Map<String, String> annotations = ann == null ? Map.of() : FlatJson.parseStrings(ann);
            boolean network = false;
            String path = null;
            String linux = FlatJson.raw(top, "linux");
            String namespaces = linux == null ? null : FlatJson.raw(FlatJson.parse(linux), "namespaces");
            if (namespaces != null) {
                List<Object> list = FlatJson.parseArray(namespaces);
                for (Object o : list) {
                    if (!(o instanceof FlatJson.Raw raw)) {
                        return null;
                    }
                    Map<String, Object> ns = FlatJson.parse(raw.json());
                    if ("network".equals(FlatJson.string(ns, "type"))) {
                        network = true;
                        path = FlatJson.string(ns, "path");
                        break;
                    }
                }
            }
            return new ConfigPreview(rootfs, annotations, network, path);
        } catch (IOException | RuntimeException e) {
            return null; // malformed or unusual: the full parse says what is wrong
        }
    }
}
