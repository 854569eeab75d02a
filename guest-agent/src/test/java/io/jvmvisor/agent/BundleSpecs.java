package io.jvmvisor.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.agent.v1.Capabilities;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.Mount;
import io.jvmvisor.agent.v1.Process;
import io.jvmvisor.agent.v1.Rlimit;
import io.jvmvisor.agent.v1.Sysctl;
import io.jvmvisor.agent.v1.User;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tests only: the basic fields of a test bundle's config.json as the agent's
 * {@link ContainerSpec} (what the shim's translator does for real bundles).
 */
final class BundleSpecs {

    private BundleSpecs() {
    }

    /** The bundle's spec, with the rootfs at {@code rootPath} as the agent sees it. */
    static ContainerSpec of(Path bundle, String rootPath) {
        JsonNode c = TestBundles.readConfig(bundle);
        ContainerSpec.Builder b = ContainerSpec.newBuilder()
                .setProcess(process(c.path("process")))
                .setRootPath(rootPath)
                .setRootReadonly(c.path("root").path("readonly").asBoolean(false))
                .setHostname(c.path("hostname").asText(""));
        for (JsonNode m : c.path("mounts")) {
            b.addMounts(Mount.newBuilder().setDestination(m.path("destination").asText())
                    .setType(m.path("type").asText("bind")).setSource(m.path("source").asText(""))
                    .addAllOptions(strings(m.path("options"))));
        }
        JsonNode linux = c.path("linux");
        b.addAllMaskedPaths(strings(linux.path("maskedPaths")));
        b.addAllReadonlyPaths(strings(linux.path("readonlyPaths")));
        for (JsonNode ns : linux.path("namespaces")) {
            b.addNamespaces(ns.path("type").asText());
        }
        for (Map.Entry<String, JsonNode> e : linux.path("sysctl").properties()) {
            b.addSysctl(Sysctl.newBuilder().setKey(e.getKey()).setValue(e.getValue().asText()));
        }
        return b.build();
    }

    static Process process(JsonNode p) {
        Process.Builder b = Process.newBuilder()
                .addAllArgs(strings(p.path("args")))
                .addAllEnv(strings(p.path("env")))
                .setCwd(p.path("cwd").asText("/"))
                .setTerminal(p.path("terminal").asBoolean(false))
                .setNoNewPrivileges(p.path("noNewPrivileges").asBoolean(false));
        JsonNode size = p.path("consoleSize");
        if (!size.isMissingNode()) {
            b.setConsoleRows(size.path("height").asInt()).setConsoleCols(size.path("width").asInt());
        }
        JsonNode u = p.path("user");
        User.Builder ub = User.newBuilder().setUid(u.path("uid").asInt(0)).setGid(u.path("gid").asInt(0));
        for (JsonNode g : u.path("additionalGids")) {
            ub.addAdditionalGids(g.asInt());
        }
        if (u.has("umask")) {
            ub.setHasUmask(true).setUmask(u.path("umask").asInt());
        }
        b.setUser(ub);
        JsonNode caps = p.path("capabilities");
        if (!caps.isMissingNode()) {
            b.setCapabilities(Capabilities.newBuilder()
                    .addAllBounding(strings(caps.path("bounding")))
                    .addAllEffective(strings(caps.path("effective")))
                    .addAllInheritable(strings(caps.path("inheritable")))
                    .addAllPermitted(strings(caps.path("permitted")))
                    .addAllAmbient(strings(caps.path("ambient"))));
        }
        for (JsonNode r : p.path("rlimits")) {
            b.addRlimits(Rlimit.newBuilder().setType(r.path("type").asText())
                    .setSoft(r.path("soft").asLong()).setHard(r.path("hard").asLong()));
        }
        if (p.has("oomScoreAdj")) {
            b.setHasOomScoreAdj(true).setOomScoreAdj(p.path("oomScoreAdj").asInt());
        }
        return b.build();
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return out;
    }
}
