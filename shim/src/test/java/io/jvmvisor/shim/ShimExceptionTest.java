package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What the shim reports becomes one line of the CLI's error. */
class ShimExceptionTest {
    @Test
    void aHandshakeFailureWithTraceAndConsoleIsOneLine() {
        String shim = "the guest agent did not answer Ping within 45 s (UNAVAILABLE: io exception); last console lines:\n"
                + "[    0.1] Linux version 6.1\n"
                + "io.grpc.StatusRuntimeException: UNAVAILABLE\n\tat io.grpc.stub.ClientCalls.toStatusRuntimeException(ClientCalls.java:268)\n";
        assertEquals("the guest agent did not answer Ping within 45 s (UNAVAILABLE: io exception)",
                new ShimLauncher.ShimException(shim, null).getMessage());
        assertEquals("boom", new ShimLauncher.ShimException("boom", "INTERNAL").getMessage());
    }
}
