package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.Device;
import io.jvmvisor.agent.v1.IdMapping;
import io.jvmvisor.agent.v1.Mount;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What config.json asks that a runtime must honour and images rely on, as runc does it: HOME from
 * passwd, session leaders, a 0x0 tty, the default devices without a /dev mount, linux.devices,
 * propagation options, user namespaces with maps. Host-mode agent here; a subclass runs it in a VM.
 */
public class ContainerSpecTest extends ContainerTestBase {

    /** The hello bundle's spec with the process replaced by {@code sh -c script}, as {@code user}. */
    private ContainerSpec as(User user, String script) {
        ContainerSpec s = script(script);
        return s.toBuilder().setProcess(s.getProcess().toBuilder().setUser(user)).build();
    }

    /** The spec without any mount on /dev or below it (a hand-written config.json). */
    protected static ContainerSpec withoutDev(ContainerSpec s) {
        List<Mount> kept = s.getMountsList().stream().filter(m -> !m.getDestination().startsWith("/dev")).toList();
        return s.toBuilder().clearMounts().addAllMounts(kept).build();
    }

    @Test
    void homeComesFromThePasswdEntryWhenTheEnvHasNone() {
        String echo = "echo $HOME";
        assertEquals("/root\n", ctr.run("home0", as(User.newBuilder().build(), echo)));
        assertEquals("/home/user\n", ctr.run("home1000", as(User.newBuilder().setUid(1000).setGid(1000).build(), echo)));
        assertEquals("/\n", ctr.run("home4242", as(User.newBuilder().setUid(4242).setGid(4242).build(), echo)));
        ContainerSpec given = script(echo);
        given = given.toBuilder().setProcess(given.getProcess().toBuilder().addEnv("HOME=/given")).build();
        assertEquals("/given\n", ctr.run("homeenv", given));
        ctr.create("homeexec", spec("sleep"));
        ctr.start("homeexec");
        ctr.exec("homeexec", "e", shell(echo).setUser(User.newBuilder().setUid(1000).setGid(1000)).build());
        assertEquals("/home/user\n", ctr.read("homeexec", "e", OutputStream.STDOUT));
    }

    @Test
    void initAndExecsAreSessionLeaders() {
        // /proc/self/stat: field 1 the pid, field 6 the session
        String leader = "awk '{ print ($1 == $6) ? \"leader\" : \"not a leader\" }' /proc/self/stat";
        assertEquals("leader\n", ctr.run("sid", script("exec " + leader)));
        ctr.create("sidexec", spec("sleep"));
        ctr.start("sidexec");
        ctr.exec("sidexec", "e", shell("exec " + leader).build());
        assertEquals("leader\n", ctr.read("sidexec", "e", OutputStream.STDOUT));
    }

    @Test
    void aTerminalWithoutConsoleSizeStaysZeroByZero() {
        ctr.create("tty0", spec("sleep"));
        ctr.start("tty0");
        // busybox's stty refuses a terminal of 0 rows (as it does under runc), where 24x80 printed "24 80"
        ctr.exec("tty0", "t", shell("stty size 2>&1").setTerminal(true).build());
        assertEquals("stty: standard input\r\n", ctr.read("tty0", "t", OutputStream.STDOUT));
    }

    @Test
    void defaultDevicesWithoutADevMount() throws Exception {
        ContainerSpec s = withoutDev(script("for d in null zero full random urandom tty; do ls -l /dev/$d | cut -c1; done;"
                + " sleep 0 & wait; echo background-ok; head -c 4 /dev/urandom | wc -c; readlink /dev/ptmx;"
                + " grep -c ' /dev/pts \\| /dev/shm ' /proc/self/mountinfo"));
        String out = ctr.run("nodev", s);
        assertEquals("c\nc\nc\nc\nc\nc\nbackground-ok\n4\npts/ptmx\n2\n", out.replace(" ", ""), out);
        if (seesHostPaths()) {
            Path dev = Path.of(s.getRootPath(), "dev");
            try (var entries = Files.list(dev)) {
                assertEquals(List.of(), entries.toList(), "nothing was created in the rootfs's /dev on the host");
            }
        }
    }

    @Test
    void linuxDevicesAreCreatedWithTheirTypeNumbersModeAndOwner() throws Exception {
        ContainerSpec s = script("stat -c '%F %t:%T %a %u:%g' /dev/test1 /opt/devs/test2; stat -c %F /dev/fifo1;"
                + " echo into-null > /opt/devs/test2 && echo written");
        s = s.toBuilder()
                .addDevices(Device.newBuilder().setPath("/dev/test1").setType("c").setMajor(1).setMinor(5)
                        .setHasFileMode(true).setFileMode(0620).setUid(1000).setGid(10))
                .addDevices(Device.newBuilder().setPath("/opt/devs/test2").setType("c").setMajor(1).setMinor(3))
                .addDevices(Device.newBuilder().setPath("/dev/fifo1").setType("p"))
                .build();
        String out = ctr.run("devs", s);
        assertEquals("character special file 1:5 620 1000:10\ncharacter special file 1:3 666 0:0\nfifo\nwritten\n",
                out, out);
        if (seesHostPaths()) {
            Path onHost = Path.of(s.getRootPath(), "opt/devs/test2");
            assertTrue(Files.isRegularFile(onHost), "on the rootfs the device is an empty file, never a node: " + onHost);
        }
    }

    @Test
    void bindMountsWithPropagationOptionsAreMounted() throws Exception {
        String source = bindSource();
        List<String> options = List.of("shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable",
                "runbindable");
        ContainerSpec.Builder b = script("for o in " + String.join(" ", options)
                + "; do grep -q \" /mnt/$o \" /proc/self/mountinfo && echo $o; done").toBuilder();
        for (String o : options) {
            b.addMounts(Mount.newBuilder().setDestination("/mnt/" + o).setType("bind").setSource(source)
                    .addOptions(o.startsWith("r") ? "rbind" : "bind").addOptions(o));
        }
        // several propagation options apply in order (one mount(2) call each, as runc): the last one wins
        b.addMounts(Mount.newBuilder().setDestination("/mnt/last").setType("bind").setSource(source)
                .addOptions("rbind").addOptions("rprivate").addOptions("rshared"));
        b.setProcess(b.getProcess().toBuilder().setArgs(2, b.getProcess().getArgs(2)
                + "; grep ' /mnt/last ' /proc/self/mountinfo | grep -q shared: && echo last-shared"));
        withShare(b);
        assertEquals(String.join("\n", options) + "\nlast-shared\n", ctr.run("prop", b.build()));
    }

    /** A directory the agent can bind from (host mode: a host directory). */
    protected String bindSource() throws Exception {
        return Files.createDirectories(dir.resolve("bind-src")).toString();
    }

    /** Adds what bindSource needs to the spec (in a VM: its share). */
    protected void withShare(ContainerSpec.Builder b) {
    }

    @Test
    void userNamespaceWithMapsGivesTheContainerItsOwnIds() {
        String show = "tr -s ' ' < /proc/self/uid_map; tr -s ' ' < /proc/self/gid_map; id -u; id -g; stat -c %u:%g /";
        ContainerSpec s = script(show).toBuilder().addNamespaces("user")
                .addUidMappings(IdMapping.newBuilder().setContainerId(0).setHostId(100000).setSize(65536))
                .addGidMappings(IdMapping.newBuilder().setContainerId(0).setHostId(100000).setSize(65536))
                .build();
        // the rootfs belongs to the agent's root, which is not mapped: the overflow IDs, as under runc
        String expected = " 0 100000 65536\n 0 100000 65536\n0\n0\n65534:65534\n";
        assertEquals(expected, ctr.run("userns", s));

        ContainerSpec sleeper = spec("sleep").toBuilder().addNamespaces("user")
                .addUidMappings(IdMapping.newBuilder().setContainerId(0).setHostId(100000).setSize(65536))
                .addGidMappings(IdMapping.newBuilder().setContainerId(0).setHostId(100000).setSize(65536))
                .build();
        ctr.create("usernsexec", sleeper);
        ctr.start("usernsexec");
        ctr.exec("usernsexec", "e", shell(show).build());
        assertEquals(expected, ctr.read("usernsexec", "e", OutputStream.STDOUT));
        ctr.exec("usernsexec", "u", shell("id -u; touch /dev/shm/f; stat -c %u /dev/shm/f")
                .setUser(User.newBuilder().setUid(1000).setGid(1000)).build());
        assertEquals("1000\n1000\n", ctr.read("usernsexec", "u", OutputStream.STDOUT));
    }
}
