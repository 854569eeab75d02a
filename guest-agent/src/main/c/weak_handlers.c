/* Weak stand-ins for the container, process and stdio handlers (and the few
 * helpers of theirs that PID 1 calls): the agent links and answers
 * UNIMPLEMENTED until container.c, process.c, stdio.c and rootfs.c define
 * the real ones (a strong definition replaces a weak one). */
#include "core.h"
#include "rootfs.h"

#define WEAK_RPC(fn)                                                             \
    __attribute__((weak)) void fn(struct call *c, const ProtobufCMessage *req)  \
    {                                                                            \
        (void)req;                                                               \
        call_fail(c, GRPC_UNIMPLEMENTED, "%s is not implemented in this agent", #fn); \
    }

WEAK_RPC(rpc_create_container)
WEAK_RPC(rpc_start_container)
WEAK_RPC(rpc_remove_container)
WEAK_RPC(rpc_exec_process)
WEAK_RPC(rpc_signal_process)
WEAK_RPC(rpc_wait_process)
WEAK_RPC(rpc_list_processes)
WEAK_RPC(rpc_write_stdin)
WEAK_RPC(rpc_close_stdin)
WEAK_RPC(rpc_read_output)
WEAK_RPC(rpc_resize_tty)
WEAK_RPC(rpc_dns_queries)
WEAK_RPC(rpc_dns_answer)
WEAK_RPC(rpc_add_mount)
WEAK_RPC(rpc_remove_mount)
WEAK_RPC(rpc_configure_network)

/* PID 1 brings the VM's loopback up with rootfs.c's; a build without it (the test agent, which
 * runs on the host and never as PID 1) has nothing to bring up. */
__attribute__((weak)) int loopback_up(char *msg)
{
    (void)msg;
    return 0;
}

__attribute__((weak)) void process_reaped(pid_t pid, int status)
{
    agent_dbg("child %d ended (status 0x%x), no process tracking linked in", (int)pid, status);
}

__attribute__((weak)) int container_count_pids(const char *container_id)
{
    (void)container_id;
    return 0;
}
