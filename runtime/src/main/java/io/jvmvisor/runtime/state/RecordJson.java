package io.jvmvisor.runtime.state;

import io.jvmvisor.shim.control.FlatJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * state.json and exit.json, flat objects read and written by hand ({@link FlatJson}). The CLI
 * reads them on every {@code state}, {@code start}, {@code kill} and {@code delete}: an
 * ObjectMapper, or even Jackson's parser (its BigDecimal table), would cost more than the rest
 * of the command.
 */
public final class RecordJson {
    private RecordJson() {
    }

    /** Writes a container record. */
    public static byte[] write(ContainerRecord r) {
        return new FlatJson.Writer()
                .field("id", r.id())
                .field("bundle", r.bundle())
                .field("rootfs", r.rootfs())
                .field("created", r.created())
                .field("owner", r.owner())
                .field("annotations", r.annotations())
                .field("shimPid", r.shimPid())
                .field("shimStartTime", r.shimStartTime())
                .end().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads a container record; unknown fields are skipped. */
    public static ContainerRecord readRecord(byte[] json) throws IOException {
        Map<String, Object> m = FlatJson.parse(new String(json, StandardCharsets.UTF_8));
        String annotations = FlatJson.raw(m, "annotations");
        Long pid = FlatJson.number(m, "shimPid");
        Long start = FlatJson.number(m, "shimStartTime");
        return new ContainerRecord(FlatJson.string(m, "id"), FlatJson.string(m, "bundle"), FlatJson.string(m, "rootfs"),
                FlatJson.string(m, "created"), FlatJson.string(m, "owner"),
                annotations == null ? null : FlatJson.parseStrings(annotations),
                pid == null ? 0 : pid, start == null ? 0 : start);
    }

    /** Reads exit.json. */
    public static ExitRecord readExit(byte[] json) throws IOException {
        Map<String, Object> m = FlatJson.parse(new String(json, StandardCharsets.UTF_8));
        return new ExitRecord(FlatJson.integer(m, "exitStatus"), FlatJson.integer(m, "signal"), FlatJson.string(m, "reason"));
    }
}
