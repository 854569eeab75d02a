package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.ListProcessesRequest;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.ProcessInfo;
import io.jvmvisor.agent.v1.StatsRequest;
import io.jvmvisor.agent.v1.Sysctl;
import io.jvmvisor.agent.v1.User;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OCI process setup: capabilities, no_new_privileges, umask, user names, sysctls, fds, stats. */
public class ContainerProcessTest extends ContainerTestBase {

    @Test
    void capabilitiesAndNoNewPrivileges() {
        // the bundles keep CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID NET_BIND_SERVICE AUDIT_WRITE
        String out = ctr.run("caps", script("grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status"));
        assertTrue(out.contains("CapEff:\t00000000200004eb"), out);
        assertTrue(out.contains("CapPrm:\t00000000200004eb"), out);
        assertTrue(out.contains("CapBnd:\t00000000200004eb"), out);
        assertTrue(out.contains("NoNewPrivs:\t1"), out);
    }

    @Test
    void umaskOomScoreAdjAndOnlyStdioFds() {
        ContainerSpec s = script("umask; cat /proc/self/oom_score_adj; ls /proc/self/fd | wc -l");
        s = s.toBuilder().setProcess(s.getProcess().toBuilder().setHasOomScoreAdj(true).setOomScoreAdj(500)
                .setUser(s.getProcess().getUser().toBuilder().setHasUmask(true).setUmask(027))).build();
        // ls sees 0, 1, 2 and its own directory fd: nothing of the agent leaks in
        assertEquals("0027\n500\n4\n", ctr.run("umask", s).replace(" ", ""));
    }

    @Test
    void sysctlsAreWrittenInTheContainersNamespaces() {
        ContainerSpec s = script("cat /proc/sys/kernel/domainname");
        s = s.toBuilder().addSysctl(Sysctl.newBuilder().setKey("kernel.domainname").setValue("example.test")).build();
        assertEquals("example.test\n", ctr.run("sysctl", s));
    }

    @Test
    void execAsUserNameAndIntoCreatedContainer() {
        ctr.create("named", spec("sleep"));
        // runc allows exec before start: the init waits, the exec runs
        ctr.exec("named", "u", shell("id -u; id -g; id -un")
                .setUser(User.newBuilder().setUsername("user")).build());
        assertEquals(0, ctr.exitStatus("named", "u"));
        assertEquals("1000\n1000\nuser\n", ctr.read("named", "u", OutputStream.STDOUT));
        ctr.start("named");
    }

    @Test
    void outputEndsWhenTheProcessExitsEvenIfAGrandchildKeepsThePipe() {
        ctr.create("daemon", spec("sleep"));
        ctr.start("daemon");
        ctr.exec("daemon", "bg", shell("sleep 1000 & echo started").build());
        assertEquals(0, ctr.exitStatus("daemon", "bg"));
        assertEquals("started\n", ctr.read("daemon", "bg", OutputStream.STDOUT));
    }

    @Test
    void listProcessesAndStatsCountTheContainersProcesses() {
        int init = ctr.create("ps", spec("sleep"));
        ctr.start("ps");
        ctr.exec("ps", "bg", shell("sleep 1000 & sleep 1001 & wait").setUser(User.newBuilder().setUid(1000)
                .setGid(1000)).build());
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<ProcessInfo> ps;
        do {
            ps = agent.blocking().listProcesses(ListProcessesRequest.newBuilder().setContainerId("ps").build())
                    .getProcessesList();
        } while (ps.stream().noneMatch(p -> p.getCommand().equals("sleep 1001")) && System.nanoTime() < deadline);
        assertEquals(4, ps.size(), ps.toString());
        assertTrue(ps.stream().anyMatch(p -> p.getPid() == init && p.getUid() == 0 && p.getState().equals("S")),
                ps.toString());
        assertTrue(ps.stream().anyMatch(p -> p.getCommand().equals("sleep 1001") && p.getUid() == 1000
                && p.getRssBytes() > 0), ps.toString());
        assertEquals(4, agent.blocking().stats(StatsRequest.newBuilder().setContainerId("ps").build()).getPids());
    }
}
