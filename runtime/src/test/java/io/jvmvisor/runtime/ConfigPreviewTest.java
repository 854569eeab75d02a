package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.oci.SpecValidator;
import io.jvmvisor.shim.ShimLauncher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preview create starts the shim with agrees with the full parse of the same bytes. */
class ConfigPreviewTest {
    @TempDir
    Path bundle;

    private void agrees(String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ConfigPreview p = ConfigPreview.of(bytes, bundle);
        Spec spec = SpecLoader.parse(bytes);
        assertEquals(SpecValidator.rootfs(spec, bundle), p.rootfs(), json);
        assertEquals(spec.annotationMap(), p.annotations(), json);
        assertEquals(ShimLauncher.networkPrefix(spec), ShimLauncher.networkPrefix(p.network(), p.networkPath()), json);
    }

    @Test
    void rootfsAnnotationsAndNetworkAsTheFullParseSeesThem() throws Exception {
        Files.createDirectories(bundle.resolve("rootfs"));
        String head = "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"env\": [\"A=[b]\"]},"
                + " \"root\": {\"path\": \"rootfs\", \"readonly\": false}";
        agrees(head + "}");
        agrees(head + ", \"annotations\": {\"k\": \"v \\\"q\\\"\", \"e\": \"\"}, \"linux\": {\"namespaces\": "
                + "[{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"network\", \"path\": \"/x\"}]}}");
        agrees(head + ", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/run/netns/n1\"}],"
                + " \"resources\": {\"memory\": {\"limit\": 1.5e9}}}}");
        agrees(head + ", \"linux\": {\"maskedPaths\": [\"/proc/kcore\"]}}");
        agrees("{\"root\": {\"path\": \"" + bundle.resolve("rootfs") + "\"}, \"ociVersion\": \"1.0.2\"}");
    }

    @Test
    void whatItCannotPreviewIsLeftToTheFullParse() throws Exception {
        Files.createDirectories(bundle.resolve("rootfs"));
        for (String json : new String[] {"", "{", "[]", "{\"root\": {\"path\": \"nope\"}}", "{\"root\": {}}",
                "{\"root\": {\"path\": \"rootfs\"}, \"annotations\": {\"n\": 1}}",
                "{\"root\": {\"path\": \"rootfs\"}, \"linux\": {\"namespaces\": [\"network\"]}}"}) {
            assertNull(ConfigPreview.of(json.getBytes(StandardCharsets.UTF_8), bundle), json);
        }
        assertEquals(Map.of(), ConfigPreview.of("{\"root\": {\"path\": \"rootfs\"}}".getBytes(StandardCharsets.UTF_8), bundle)
                .annotations());
    }
}
