package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {
    private static Options create() {
        return CreateCommand.containerOptions().flag("", "detach", "d");
    }

    @Test
    void formsRuncAccepts() throws Exception {
        Options.Parsed p = create().parse(new String[] {"run", "--bundle", "/b", "-pid-file=/p", "-d", "id"}, 1, false);
        assertEquals("/b", p.value("bundle"));
        assertEquals("/p", p.value("pid-file"));
        assertTrue(p.flag("detach"));
        assertEquals(List.of("id"), p.args());
        Options.Parsed q = create().parse(new String[] {"run", "-b=/c", "--detach=false", "id"}, 1, false);
        assertEquals("/c", q.value("bundle"));
        assertFalse(q.flag("detach"));
        assertNull(q.value("console-socket"));
        assertEquals("0", q.value("preserve-fds"));
        assertEquals(".", create().parse(new String[] {"run", "id"}, 1, false).value("bundle"));
    }

    @Test
    void globalsStopAtTheCommand() throws Exception {
        Options.Parsed p = Global.options().parse(new String[] {"--root", "/r", "--log-format=json", "--systemd-cgroup",
                "kill", "--all", "id", "9"}, 0, true);
        assertEquals("/r", p.value("root"));
        assertEquals("json", p.value("log-format"));
        assertTrue(p.flag("systemd-cgroup"));
        assertEquals(List.of("kill", "--all", "id", "9"), p.args());
        assertEquals("/run/jvmvisor", Global.options().parse(new String[] {"list"}, 0, true).value("root"));
    }

    @Test
    void errorsLikeRunc() {
        assertEquals("flag provided but not defined: -bogus",
                assertThrows(CliException.class, () -> create().parse(new String[] {"x", "--bogus"}, 1, false)).getMessage());
        assertEquals("flag needs an argument: -bundle",
                assertThrows(CliException.class, () -> create().parse(new String[] {"x", "--bundle"}, 1, false)).getMessage());
        assertThrows(CliException.class, () -> create().parse(new String[] {"x", "-d=maybe"}, 1, false));
    }

    @Test
    void argumentCountsLikeRunc() {
        assertEquals("jvmvisor: \"state\" requires exactly 1 argument(s)\n", CliOutputTest.run("state").err());
        assertEquals("jvmvisor: \"kill\" requires a minimum of 1 argument(s)\n", CliOutputTest.run("kill").err());
        assertEquals("jvmvisor: \"kill\" requires a maximum of 2 argument(s)\n", CliOutputTest.run("kill", "a", "b", "c").err());
        assertEquals("jvmvisor: unknown command \"bogus\" (see jvmvisor --help)\n", CliOutputTest.run("bogus").err());
        assertTrue(CliOutputTest.run("--help").out().contains("COMMANDS:"));
        assertTrue(CliOutputTest.run("kill", "--help").out().contains("--all, -a"));
    }
}
