/* jvmvisor-ctl-start: the fast path of `jvmvisor start ID` (bin/jvmvisor).
 *
 *   jvmvisor-ctl-start STATE_DIR
 *
 * Sends the shim of the container whose state directory is STATE_DIR the control request
 * {"op":"start"} on STATE_DIR/shim.sock (reached relative to the directory: a state dir's
 * absolute path may exceed a socket address's 107 bytes) and reads its answer line.
 *   exit 0   the shim answered ok: the container's process runs
 *   exit 3   anything else (no state dir, no shim listening, an error answer, a hang-up): nothing
 *            is printed; the caller runs the Java CLI, whose own checks and request give the
 *            error runc would (a container that is not "created" is refused by the shim
 *            before it does anything, so the Java CLI finds it as it was)
 * The shim checks the caller's credentials (root or the socket's owner) as for any client.
 * What the Java CLI's start does besides the request, the poststart hooks, is the caller's to
 * rule out (hooks.json "{}") before it takes this path.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FALL_BACK 3

int main(int argc, char **argv)
{
    if (argc != 2 || chdir(argv[1]) < 0)
        return FALL_BACK;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return FALL_BACK;
    struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "shim.sock" };
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        return FALL_BACK;
    static const char req[] = "{\"op\":\"start\"}\n";
    size_t sent = 0;
    while (sent < sizeof req - 1) {
        ssize_t n = send(s, req + sent, sizeof req - 1 - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALL_BACK;
        sent += (size_t)n;
    }
    /* the answer's first member is "ok" (ControlCodec.writeResponse); only its start matters */
    static const char ok[] = "{\"ok\":true";
    char line[sizeof ok - 1];
    size_t got = 0;
    while (got < sizeof line) {
        ssize_t n = read(s, line + got, sizeof line - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALL_BACK;
        got += (size_t)n;
    }
    close(s);
    return memcmp(line, ok, sizeof line) == 0 ? 0 : FALL_BACK;
}
