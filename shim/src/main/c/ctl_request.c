/* jvmvisor-ctl: bin/jvmvisor's fast path of `start` and `kill` (no JVM).
 *
 *   jvmvisor-ctl STATE_DIR REQUEST
 *
 * Sends REQUEST, one control line as the Java CLI writes it ({"op":"start"},
 * {"op":"kill","signal":15,"all":true}), to the shim of the container whose state directory is
 * STATE_DIR, on STATE_DIR/shim.sock (reached relative to the directory: a state dir's absolute
 * path may exceed a socket address's 107 bytes), and reads the start of its answer line.
 *   exit 0   the shim answered ok
 *   exit 3   anything else (no state dir, no shim listening, an error answer, a hang-up): nothing
 *            is printed; the caller runs the Java CLI, whose own checks and request give the
 *            error runc would (the shim refuses a request it cannot carry out before it does
 *            anything, so the Java CLI finds the container as it was)
 * The shim checks the caller's credentials (root or the socket's owner) as for any client. What
 * the Java CLI does besides the request (poststart hooks, create's window) is for the caller to
 * rule out before it takes this path.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FALL_BACK 3

static int send_all(int s, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(s, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] != '{' || strchr(argv[2], '\n') || chdir(argv[1]) < 0)
        return FALL_BACK;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return FALL_BACK;
    struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "shim.sock" };
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        return FALL_BACK;
    if (send_all(s, argv[2], strlen(argv[2])) < 0 || send_all(s, "\n", 1) < 0)
        return FALL_BACK;
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
