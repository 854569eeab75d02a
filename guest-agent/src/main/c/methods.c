/* The method table: every RPC of agent.proto and its handler. */
#include <string.h>

#include "core.h"

#define SERVICE "/jvmvisor.agent.v1.Agent/"
#define M(name, req, fn) { SERVICE name, &jvmvisor__agent__v1__##req##__descriptor, fn }

const struct rpc_method rpc_methods[] = {
    M("Ping", ping_request, rpc_ping),
    M("CreateContainer", create_container_request, rpc_create_container),
    M("StartContainer", start_container_request, rpc_start_container),
    M("ExecProcess", exec_process_request, rpc_exec_process),
    M("SignalProcess", signal_process_request, rpc_signal_process),
    M("WaitProcess", wait_process_request, rpc_wait_process),
    M("WriteStdin", write_stdin_request, rpc_write_stdin),
    M("CloseStdin", process_ref, rpc_close_stdin),
    M("ReadOutput", read_output_request, rpc_read_output),
    M("ResizeTty", resize_tty_request, rpc_resize_tty),
    M("ListProcesses", list_processes_request, rpc_list_processes),
    M("Stats", stats_request, rpc_stats),
    M("RemoveContainer", remove_container_request, rpc_remove_container),
    M("Shutdown", shutdown_request, rpc_shutdown),
    M("DnsQueries", dns_queries_request, rpc_dns_queries),
    M("DnsAnswer", dns_answer_request, rpc_dns_answer),
    M("AddMount", add_mount_request, rpc_add_mount),
    M("RemoveMount", remove_mount_request, rpc_remove_mount),
    M("SetTime", set_time_request, rpc_set_time),
    M("ConfigureNetwork", configure_network_request, rpc_configure_network),
    M("Resume", resume_request, rpc_resume),
    { NULL, NULL, NULL },
};

const struct rpc_method *rpc_method_find(const char *path, size_t len)
{
    for (const struct rpc_method *m = rpc_methods; m->path; m++)
        if (strlen(m->path) == len && memcmp(m->path, path, len) == 0)
            return m;
    return NULL;
}
