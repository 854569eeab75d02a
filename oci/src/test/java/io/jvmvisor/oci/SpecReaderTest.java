package io.jvmvisor.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The streaming reader gives exactly databind's records for every config it takes, and leaves
 * everything else to databind (SpecLoader.parse then answers as databind alone would).
 */
class SpecReaderTest {
    /** A config as docker 28 writes it (shortened seccomp profile, the rest as written). */
    static final String DOCKER = """
            {"ociVersion":"1.2.0","process":{"user":{"uid":0,"gid":0,"additionalGids":[0,1,2,3,4,6,10,11,20,26,27]},
             "args":["sh","-c","true"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOSTNAME=abc"],
             "cwd":"/","capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN","CAP_KILL"],
             "permitted":["CAP_CHOWN","CAP_KILL"]},"apparmorProfile":"docker-default","oomScoreAdj":0},
             "root":{"path":"/var/lib/docker/overlay2/abc/merged"},"hostname":"abc",
             "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
              {"destination":"/etc/hosts","type":"bind","source":"/var/lib/docker/containers/abc/hosts","options":["rbind","rprivate"]}],
             "hooks":{"prestart":[{"path":"/proc/1234/exe","args":["libnetwork-setkey","-exec-root=/var/run/docker","abc","def"]}],
              "createRuntime":[{"path":"/proc/1234/exe","args":["libnetwork-setkey","-exec-root=/var/run/docker","abc","def"]}]},
             "linux":{"sysctl":{"net.ipv4.ip_unprivileged_port_start":"0","net.ipv4.ping_group_range":"0 2147483647"},
              "resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":5,"access":"rwm"}],
               "memory":{"limit":268435456,"swap":536870912,"disableOOMKiller":false},"cpu":{"shares":0,"cpus":"0-1"},
               "pids":{"limit":100},"blockIO":{"weight":0}},
              "cgroupsPath":"system.slice:docker:abc",
              "namespaces":[{"type":"mount"},{"type":"network","path":"/var/run/docker/netns/abc"},{"type":"uts"},{"type":"pid"},{"type":"ipc"}],
              "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
               "syscalls":[{"names":["accept","accept4"],"action":"SCMP_ACT_ALLOW"},
                {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]},
                {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}],
                 "excludes":{"caps":["CAP_SYS_ADMIN"],"arches":["s390"]},"ratio":0.5,"big":123456789012345678901234567890,"none":null,"yes":true}]},
              "maskedPaths":["/proc/asound","/proc/acpi"],"readonlyPaths":["/proc/bus","/proc/fs"]}}
            """;

    /** Every field the model has, nulls inside lists and maps, unknown fields of every JSON type. */
    static final String EVERY_FIELD = """
            {"ociVersion":"1.0.2","hostname":null,"x":[1,{"y":null}],"process":{"terminal":true,"consoleSize":{"height":24,"width":80},
             "user":{"uid":1000,"gid":1000,"umask":18,"additionalGids":[5,null]},"args":["a",null],"env":[],
             "cwd":"/w","capabilities":{"bounding":[],"effective":null,"inheritable":["CAP_KILL"],"permitted":["CAP_KILL"],
             "ambient":["CAP_KILL"]},"rlimits":[{"type":"RLIMIT_CORE","hard":0,"soft":null,"z":"q"},null],
             "noNewPrivileges":false,"oomScoreAdj":-999,"apparmorProfile":null},
             "root":{"path":"rootfs","readonly":true,"extra":1.5},
             "mounts":[null,{"destination":"/d","type":null,"source":"/s","options":null}],
             "hooks":{"prestart":[],"createRuntime":null,"createContainer":[{"path":"/bin/true","args":null,"env":["A=1"],"timeout":3}],
              "startContainer":[{"path":"/bin/true"}],"poststart":[{"path":"/bin/true","timeout":null}],"poststop":[{"path":"/bin/false"}],
              "unknownHook":[{"path":"/x"}]},
             "annotations":{"a":"1","b":null},
             "linux":{"namespaces":[{"type":"user","path":null}],"resources":{"memory":{"limit":-1,"reservation":1,"swap":2,
              "swappiness":60,"disableOOMKiller":true},"cpu":{"shares":1024,"quota":-1,"period":100000,"cpus":"0","mems":"0"},
              "pids":{"limit":-1}},"cgroupsPath":"/x/y","maskedPaths":null,"readonlyPaths":[],"sysctl":{},
              "devices":[{"type":"c","path":"/dev/fuse","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}],
              "uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":1}],
              "seccomp":null},
             "trailing":"ignored"}
            """;

    private static Spec both(String json) throws SpecException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        Spec plain = SpecReader.read(b);
        assertNotNull(plain, "the streaming reader took it");
        assertEquals(SpecLoader.parseWithDatabind(b), plain);
        return plain;
    }

    @Test
    void readsDockersConfigAsDatabindDoes() throws Exception {
        Spec s = both(DOCKER);
        assertEquals("/var/run/docker/netns/abc", s.linux().namespaceList().get(1).path());
        assertEquals(2114060288L, s.linux().seccomp().get("syscalls").get(2).get("args").get(0).get("value").asLong());
        assertEquals(2, s.hookSet().createRuntime().getFirst().args().size() - 2);
    }

    @Test
    void readsEveryFieldAndNullAsDatabindDoes() throws Exception {
        Spec s = both(EVERY_FIELD);
        assertEquals(80, s.process().consoleSize().width());
        assertEquals(0, s.process().rlimits().getFirst().soft());
        assertNull(s.process().rlimits().get(1));
        assertNull(s.mountList().getFirst());
        assertEquals(229L, s.linux().devices().getFirst().minor());
        assertEquals(true, s.linux().seccomp().isNull());
        assertEquals("/bin/false", s.hookSet().poststop().getFirst().path());
    }

    @Test
    void readsTheShippedExampleAndTheSmallestConfig() throws Exception {
        Path example = Path.of(System.getProperty("user.dir")).getParent().resolve("config.json.example");
        both(Files.readString(example));
        both("{}");
        both("{\"process\":null,\"linux\":null,\"mounts\":null}");
    }

    /** What the reader does not take goes to databind: accepted by its coercions, or reported as before. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"process\":{\"user\":{\"uid\":\"0\"}}}",             // a number as a string: databind coerces it
        "{\"process\":{\"oomScoreAdj\":1.0}}",                  // a float for an int
        "{\"process\":{\"args\":[1,true]}}",                    // scalars for strings
        "{\"process\":{\"consoleSize\":{\"width\":4294967296}}}", // out of an int's range
        "{\"process\":{\"user\":{\"uid\":18446744073709551616}}}", // out of a long's range
        "{\"root\":[\"rootfs\"]}",                              // an array for an object
        "{\"mounts\":{\"destination\":\"/x\"}}",                // an object for an array
        "{\"hostname\":\"a\",\"hostname\":\"b\"}",              // a duplicate key
        "{\"annotations\":{\"a\":1}}",                          // a number in a string map
        "{\"process\":{\"terminal\":\"yes\"}}",                 // a string for a boolean
        "{\"root\":{\"path\":\"rootfs\"}",                      // unclosed
        "[]", "null", "", "  ", "{\"ociVersion\": }"})
    void leavesTheRestToDatabind(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        assertNull(SpecReader.read(b), json);
        Object viaLoader = outcome(() -> SpecLoader.parse(b));
        Object viaDatabind = outcome(() -> SpecLoader.parseWithDatabind(b));
        assertEquals(viaDatabind, viaLoader, json);
    }

    /** A hooks object alone (create's hooks.json) is read as config.json's hooks; anything else refused. */
    @Test
    void readsAHooksObjectAlone() throws Exception {
        String hooks = "{\"poststart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":3}],\"poststop\":[]}";
        assertEquals(both("{\"hooks\":" + hooks + "}").hooks(), SpecLoader.hooks(hooks.getBytes(StandardCharsets.UTF_8)));
        for (String bad : new String[] {"[]", "{\"poststop\":{}}", "{\"poststart\":[{\"timeout\":\"3\"}]}", ""}) {
            assertThrows(java.io.IOException.class, () -> SpecLoader.hooks(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    @Test
    void aMalformedConfigIsReportedWithItsPosition() {
        byte[] b = "{\n \"root\": {\"path\": \"rootfs\",,}\n}".getBytes(StandardCharsets.UTF_8);
        String m = assertThrows(SpecException.class, () -> SpecLoader.parse(b)).getMessage();
        assertEquals(true, m.startsWith("config.json: at line 2, column 28: "), m);
    }

    private interface Parse {
        Spec run() throws SpecException;
    }

    /** The spec, or the error's message. */
    private static Object outcome(Parse p) {
        try {
            return p.run();
        } catch (SpecException e) {
            return "error: " + e.getMessage();
        }
    }
}
