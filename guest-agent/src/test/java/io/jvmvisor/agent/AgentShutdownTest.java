package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.ShutdownRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shutdown in host mode: the answer arrives, then the agent exits 0 and removes its socket. */
class AgentShutdownTest {

    @Test
    void shutdownAnswersThenTheAgentExits(@TempDir Path dir) throws Exception {
        HostAgentTarget target = HostAgentTarget.start(dir);
        try (AgentFixture agent = new AgentFixture(target)) {
            agent.blocking().ping(PingRequest.getDefaultInstance());
            agent.blocking().shutdown(ShutdownRequest.getDefaultInstance());
            assertTrue(target.waitForExit(Duration.ofSeconds(10)), "agent still running after Shutdown");
            assertEquals(0, target.exitValue(), target.log());
            assertFalse(Files.exists(target.socket()), "socket left behind");
            assertTrue(target.log().contains("shutdown requested"), target.log());
        }
    }

    @Test
    void sigtermEndsTheAgentCleanly(@TempDir Path dir) throws Exception {
        HostAgentTarget target = HostAgentTarget.start(dir);
        try (target) {
            ProcessHandle.of(target.pid()).orElseThrow().destroy();
            assertTrue(target.waitForExit(Duration.ofSeconds(10)), "agent still running after SIGTERM");
            assertEquals(0, target.exitValue(), target.log());
            assertFalse(Files.exists(target.socket()), "socket left behind");
        }
    }
}
