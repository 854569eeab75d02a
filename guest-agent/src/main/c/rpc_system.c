/* Ping, Stats, SetTime and Shutdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

static void close_filep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_fclose_ __attribute__((cleanup(close_filep)))

static uint64_t boottime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rpc_ping(struct call *c, const ProtobufCMessage *req)
{
    (void)req;
    Jvmvisor__Agent__V1__PingResponse resp = JVMVISOR__AGENT__V1__PING_RESPONSE__INIT;
    resp.version = (char *)AGENT_VERSION;
    resp.ready_boottime_ns = agent_cfg.ready_boottime_ns;
    resp.boottime_ns = boottime_ns();
    resp.channel = (char *)(agent_cfg.channel ? agent_cfg.channel : "");
    call_reply(c, &resp.base);
}

/* "Key:   value kB" lines of /proc/meminfo and /proc/self/status, in bytes. */
static int read_kb_fields(const char *path, const char *const *keys, uint64_t *out, size_t n)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        for (size_t i = 0; i < n; i++) {
            size_t kl = strlen(keys[i]);
            if (strncmp(line, keys[i], kl) == 0 && line[kl] == ':')
                out[i] = strtoull(line + kl + 1, NULL, 10) * 1024;
        }
    }
    return 0;
}

/* The "cpu" line of /proc/stat (user+nice, system) and the number of CPUs. */
static int read_cpu(uint64_t *user_ns, uint64_t *system_ns, uint32_t *cpus)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -errno;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    char line[512];
    *cpus = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long user, nice, sys;
        if (strncmp(line, "cpu ", 4) == 0 && sscanf(line + 4, "%llu %llu %llu", &user, &nice, &sys) == 3) {
            *user_ns = (uint64_t)(user + nice) * (1000000000ull / (uint64_t)hz);
            *system_ns = (uint64_t)sys * (1000000000ull / (uint64_t)hz);
        } else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
            (*cpus)++;
        }
    }
    return 0;
}

void rpc_stats(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__StatsRequest *r = (const Jvmvisor__Agent__V1__StatsRequest *)req;
    Jvmvisor__Agent__V1__StatsResponse resp = JVMVISOR__AGENT__V1__STATS_RESPONSE__INIT;

    static const char *const mem_keys[] = { "MemTotal", "MemFree", "MemAvailable" };
    uint64_t mem[3] = { 0 };
    int e = read_kb_fields("/proc/meminfo", mem_keys, mem, 3);
    if (e < 0) {
        call_fail(c, GRPC_INTERNAL, "cannot read /proc/meminfo: %s", strerror(-e));
        return;
    }
    resp.mem_total_bytes = mem[0];
    resp.mem_free_bytes = mem[1];
    resp.mem_available_bytes = mem[2];

    e = read_cpu(&resp.cpu_user_ns, &resp.cpu_system_ns, &resp.cpus);
    if (e < 0) {
        call_fail(c, GRPC_INTERNAL, "cannot read /proc/stat: %s", strerror(-e));
        return;
    }

    /* smaps_rollup walks the page tables; VmRSS of a process with few page
     * faults lags behind (the kernel syncs per-task RSS counters lazily) */
    static const char *const rollup_key[] = { "Rss" }, *const status_key[] = { "VmRSS" };
    if (read_kb_fields("/proc/self/smaps_rollup", rollup_key, &resp.agent_rss_bytes, 1) < 0 || !resp.agent_rss_bytes)
        read_kb_fields("/proc/self/status", status_key, &resp.agent_rss_bytes, 1);
    resp.uptime_ns = boottime_ns();

    if (r->container_id && r->container_id[0]) {
        int n = container_count_pids(r->container_id);
        if (n < 0) {
            call_fail(c, GRPC_NOT_FOUND, "no container %s in the agent", r->container_id);
            return;
        }
        resp.pids = (uint32_t)n;
    }
    call_reply(c, &resp.base);
}

void rpc_set_time(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__SetTimeRequest *r = (const Jvmvisor__Agent__V1__SetTimeRequest *)req;
    if (r->unix_nanos <= 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "unix_nanos must be positive, not %lld", (long long)r->unix_nanos);
        return;
    }
    struct timespec now, ts = { .tv_sec = r->unix_nanos / 1000000000LL, .tv_nsec = r->unix_nanos % 1000000000LL };
    clock_gettime(CLOCK_REALTIME, &now);
    if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "cannot set the clock: %s", strerror(errno));
        return;
    }
    agent_dbg("clock set: it was %lld ms off", (long long)((ts.tv_sec - now.tv_sec) * 1000LL + (ts.tv_nsec - now.tv_nsec) / 1000000));
    Jvmvisor__Agent__V1__Empty resp = JVMVISOR__AGENT__V1__EMPTY__INIT;
    call_reply(c, &resp.base);
}

void rpc_shutdown(struct call *c, const ProtobufCMessage *req)
{
    (void)req;
    Jvmvisor__Agent__V1__Empty resp = JVMVISOR__AGENT__V1__EMPTY__INIT;
    agent_log("shutdown requested");
    /* The answer means: everything the container wrote is on the host. The host
     * may stop the VM as soon as it has it, without waiting for the power-off
     * (cache=mmap keeps dirty pages of the 9p rootfs in the guest until sync). */
    if (!agent_cfg.host_mode)
        sync();
    call_reply(c, &resp.base);
    server_on_flushed(agent_shutdown);
}
