package io.jvmvisor.testbundles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/** Writes a one-layer OCI image archive (a tar of an OCI image layout) from a rootfs tar. */
final class OciArchive {
    private OciArchive() {
    }

    static Path write(Path layoutDir, Path layerTar, String refName) throws IOException {
        Path blobs = layoutDir.resolve("blobs/sha256");
        Files.createDirectories(blobs);
        String layerDigest = sha256(layerTar);
        long layerSize = Files.size(layerTar);
        Files.copy(layerTar, blobs.resolve(layerDigest));
        String config = """
                {"architecture":"amd64","os":"linux","config":{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},\
                "rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}""".formatted(layerDigest);
        String configDigest = writeBlob(blobs, config);
        String manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}"""
                .formatted(configDigest, config.length(), layerDigest, layerSize);
        String manifestDigest = writeBlob(blobs, manifest);
        Files.writeString(layoutDir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layoutDir.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}"""
                .formatted(manifestDigest, manifest.length(), refName));
        Path archive = layoutDir.resolveSibling(layoutDir.getFileName() + ".tar");
        CommandResult r = Commands.run(Duration.ofSeconds(60),
                List.of("tar", "-C", layoutDir.toString(), "-cf", archive.toString(), "."));
        if (r.exitCode() != 0) {
            throw new IOException("tar of the OCI layout failed: " + r);
        }
        return archive;
    }

    private static String writeBlob(Path blobs, String content) throws IOException {
        Path tmp = blobs.resolve("tmp");
        Files.writeString(tmp, content);
        String d = sha256(tmp);
        Files.move(tmp, blobs.resolve(d));
        return d;
    }

    private static String sha256(Path f) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
