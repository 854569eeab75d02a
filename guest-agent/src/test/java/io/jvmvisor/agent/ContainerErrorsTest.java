package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.ExecProcessRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad requests get the right gRPC status and a message a person can act on; nothing is left behind. */
public class ContainerErrorsTest extends ContainerTestBase {

    private static StatusRuntimeException fails(Status.Code code, String message, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.toString());
        assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
        return e;
    }

    @Test
    void missingExecutableFailsCreateAndLeavesNothing() {
        ContainerSpec bad = spec("hello", "nope", "arg", "x");
        fails(Status.Code.FAILED_PRECONDITION, "exec: \"nope\": executable file not found in $PATH",
                () -> ctr.create("noexe", bad));
        // the ID is free again
        assertEquals(0, ctr.run("noexe", spec("hello")).isEmpty() ? 1 : 0);
    }

    @Test
    void missingAbsoluteExecutableNamesThePath() {
        ContainerSpec bad = spec("hello", "/bin/nope", "a", "b");
        fails(Status.Code.FAILED_PRECONDITION, "exec: \"/bin/nope\": stat /bin/nope: No such file or directory",
                () -> ctr.create("noabs", bad));
    }

    @Test
    void missingCwdFailsCreate() {
        ContainerSpec s = spec("hello");
        ContainerSpec bad = s.toBuilder().setProcess(s.getProcess().toBuilder().setCwd("/nope")).build();
        fails(Status.Code.FAILED_PRECONDITION, "cwd \"/nope\" does not exist", () -> ctr.create("nocwd", bad));
    }

    @Test
    void duplicateIdIsAlreadyExists() {
        ctr.create("dup", spec("sleep"));
        ContainerSpec again = spec("hello");
        fails(Status.Code.ALREADY_EXISTS, "container \"dup\" already exists", () -> ctr.create("dup", again));
    }

    @Test
    void unknownIdsAreNotFound() {
        fails(Status.Code.NOT_FOUND, "container \"ghost\" does not exist", () -> ctr.start("ghost"));
        fails(Status.Code.NOT_FOUND, "container \"ghost\" does not exist", () -> ctr.await("ghost", ""));
        fails(Status.Code.NOT_FOUND, "container \"ghost\" does not exist", () -> ctr.signal("ghost", "", 9, false));
        fails(Status.Code.NOT_FOUND, "container \"ghost\" does not exist", () -> ctr.remove("ghost"));
        ctr.create("known", spec("sleep"));
        fails(Status.Code.NOT_FOUND, "has no process \"e9\"", () -> ctr.await("known", "e9"));
    }

    @Test
    void invalidSignalsAreRefused() {
        ctr.create("sigs", spec("sleep"));
        fails(Status.Code.INVALID_ARGUMENT, "invalid signal 0", () -> ctr.signal("sigs", "", 0, false));
        fails(Status.Code.INVALID_ARGUMENT, "invalid signal 65", () -> ctr.signal("sigs", "", 65, false));
    }

    @Test
    void startTwiceAndExecIntoStoppedContainerFail() {
        ctr.run("twice", spec("hello"));
        fails(Status.Code.FAILED_PRECONDITION, "is not in created state", () -> ctr.start("twice"));
        fails(Status.Code.FAILED_PRECONDITION, "cannot exec in a stopped container",
                () -> ctr.exec("twice", "e1", shell("true").build()));
        fails(Status.Code.FAILED_PRECONDITION, "already finished", () -> ctr.signal("twice", "", 15, false));
        fails(Status.Code.FAILED_PRECONDITION, "is not running", () -> ctr.signal("twice", "", 15, true));
    }

    @Test
    void execErrorsAreReported() {
        ctr.create("exerr", spec("sleep"));
        ctr.start("exerr");
        fails(Status.Code.FAILED_PRECONDITION, "exec: \"nope\": executable file not found in $PATH",
                () -> ctr.exec("exerr", "bad", shell("x").clearArgs().addArgs("nope").build()));
        fails(Status.Code.FAILED_PRECONDITION, "cwd \"/nope\" does not exist",
                () -> ctr.exec("exerr", "badcwd", shell("true").setCwd("/nope").build()));
        ctr.exec("exerr", "ok", shell("true").build());
        fails(Status.Code.ALREADY_EXISTS, "exec \"ok\" already exists", () -> ctr.exec("exerr", "ok",
                shell("true").build()));
        fails(Status.Code.INVALID_ARGUMENT, "exec_id is empty", () -> agent.blocking().execProcess(
                ExecProcessRequest.newBuilder().setContainerId("exerr").setProcess(shell("true")).build()));
    }

    @Test
    void removeKillsWhatIsLeft() {
        ctr.create("rm", spec("sleep"));
        ctr.start("rm");
        ctr.exec("rm", "e", shell("exec sleep 1000").build());
        ctr.remove("rm");
        fails(Status.Code.NOT_FOUND, "does not exist", () -> ctr.await("rm", ""));
        // a created, never started container can be removed too
        ctr.create("rm2", spec("sleep"));
        ctr.remove("rm2");
    }

    @Test
    void unknownNamespaceIsInvalidAndStdinAfterCloseIsRefused() {
        ContainerSpec s = spec("hello");
        ContainerSpec bad = s.toBuilder().addNamespaces("bogus").build();
        fails(Status.Code.INVALID_ARGUMENT, "namespace \"bogus\" is not supported", () -> ctr.create("ns", bad));
        ctr.create("stdin", spec("sleep"));
        ctr.closeStdin("stdin", "");
        fails(Status.Code.FAILED_PRECONDITION, "stdin of process \"\" is closed", () -> ctr.write("stdin", "", "x"));
    }
}
