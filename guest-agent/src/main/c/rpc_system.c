/* Ping, Stats, SetTime, Resume (after a template restore), Shutdown, and the rootfs mount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static bool rootfs_mounted;

int rootfs_share_mount(const char *tag, const char *cache, bool readonly, char *msg, size_t cap)
{
    if (rootfs_mounted) {
        snprintf(msg, cap, "the rootfs is mounted already");
        return -EBUSY;
    }
    if (!cache || !cache[0])
        cache = "mmap";
    if (strchr(cache, ',') || strlen(cache) > 16) {
        snprintf(msg, cap, "bad 9p cache mode \"%s\"", cache);
        return -EINVAL;
    }
    int e;
    if ((mkdir("/run/jvmvisor", 0755) < 0 && errno != EEXIST) || (mkdir(AGENT_ROOTFS_DIR, 0755) < 0 && errno != EEXIST)) {
        e = errno;
        snprintf(msg, cap, "cannot create %s: %s", AGENT_ROOTFS_DIR, strerror(e));
        return -e;
    }
    char opts[160];
    snprintf(opts, sizeof opts, "trans=virtio,version=9p2000.L,msize=524288,cache=%s", cache);
    if (mount(tag, AGENT_ROOTFS_DIR, "9p", readonly ? MS_RDONLY : 0, opts) < 0) {
        e = errno;
        snprintf(msg, cap, "cannot mount the rootfs 9p share tag=%s at %s (%s): %s", tag, AGENT_ROOTFS_DIR, opts,
                 strerror(e));
        return -e;
    }
    rootfs_mounted = true;
    agent_log("rootfs: 9p tag=%s mounted at %s%s (cache=%s)", tag, AGENT_ROOTFS_DIR, readonly ? " read-only" : "",
              cache);
    return 0;
}

/* Mixes the bytes into the input pool, credited, then reseeds the CRNG from it
 * (RNDRESEEDCRNG): the next getrandom() and /proc/sys/kernel/random/uuid of
 * this guest differ from those of every other guest restored from the template. */
static int reseed(const uint8_t *data, size_t len, char *msg, size_t cap)
{
    _cleanup_close_ int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        mknod("/dev/urandom", S_IFCHR | 0666, makedev(1, 9));
        fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        snprintf(msg, cap, "cannot open /dev/urandom: %s", strerror(errno));
        return -errno;
    }
    _cleanup_free_ struct rand_pool_info *info = calloc(1, sizeof *info + len);
    if (!info) {
        snprintf(msg, cap, "out of memory");
        return -ENOMEM;
    }
    info->entropy_count = (int)(len * 8);
    info->buf_size = (int)len;
    memcpy(info->buf, data, len);
    if (ioctl(fd, RNDADDENTROPY, info) < 0) {
        int e = errno;
        snprintf(msg, cap, "RNDADDENTROPY: %s", strerror(e));
        return -e;
    }
    /* ENODATA: the CRNG was not ready yet; the credited bytes just made it so */
    if (ioctl(fd, RNDRESEEDCRNG) < 0 && errno != ENODATA) {
        int e = errno;
        snprintf(msg, cap, "RNDRESEEDCRNG: %s", strerror(e));
        return -e;
    }
    return 0;
}

void rpc_resume(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__ResumeRequest *r = (const Jvmvisor__Agent__V1__ResumeRequest *)req;
    if (r->entropy.len < 32 || r->entropy.len > 512) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "entropy must be 32..512 bytes, not %zu", r->entropy.len);
        return;
    }
    if (!r->rootfs_tag || !r->rootfs_tag[0] || strlen(r->rootfs_tag) > 31) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "a rootfs tag (1..31 characters) is needed");
        return;
    }
    char msg[400];
    int e = reseed(r->entropy.data, r->entropy.len, msg, sizeof msg);
    if (e < 0) {
        call_fail(c, GRPC_INTERNAL, "%s", msg);
        return;
    }
    if (r->unix_nanos > 0) {
        struct timespec ts = { .tv_sec = r->unix_nanos / 1000000000LL, .tv_nsec = r->unix_nanos % 1000000000LL };
        if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
            call_fail(c, GRPC_INTERNAL, "cannot set the clock: %s", strerror(errno));
            return;
        }
    }
    if (agent_cfg.host_mode) {
        agent_log("resume: host mode, the rootfs is not mounted");
    } else {
        e = rootfs_share_mount(r->rootfs_tag, r->rootfs_cache, r->rootfs_readonly, msg, sizeof msg);
        if (e < 0) {
            call_fail(c, e == -EBUSY ? GRPC_FAILED_PRECONDITION : e == -EINVAL ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL,
                      "%s", msg);
            return;
        }
    }
    agent_log("resumed from a template: CRNG reseeded with %zu host bytes", r->entropy.len);
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
