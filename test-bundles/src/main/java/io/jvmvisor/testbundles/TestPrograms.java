package io.jvmvisor.testbundles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small static test programs, compiled from source at test time (gcc from build-essential). */
public final class TestPrograms {
    private TestPrograms() {
    }

    /** A unix-socket echo pair: {@code unixsock serve PATH} answers one client, {@code unixsock call PATH MSG}. */
    static final String UNIXSOCK_C = """
            #include <stdio.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <sys/un.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                if (argc < 3) return 2;
                struct sockaddr_un a = { .sun_family = AF_UNIX };
                snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[2]);
                int s = socket(AF_UNIX, SOCK_STREAM, 0);
                char buf[256] = "pong:";
                if (strcmp(argv[1], "serve") == 0) {
                    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); return 1; }
                    if (listen(s, 1) < 0) { perror("listen"); return 1; }
                    printf("listening\\n"); fflush(stdout);
                    int c = accept(s, NULL, NULL);
                    ssize_t n = read(c, buf + 5, sizeof buf - 6);
                    if (n < 0) return 1;
                    write(c, buf, 5 + n);
                    close(c);
                    return 0;
                }
                if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
                write(s, argv[3], strlen(argv[3]));
                shutdown(s, SHUT_WR);
                ssize_t n = read(s, buf, sizeof buf - 1);
                if (n < 0) return 1;
                buf[n] = 0;
                printf("%s\\n", buf);
                return 0;
            }
            """;

    /** Compiles {@code unixsock} (static) into {@code dir} and returns its path. */
    public static Path unixsock(Path dir) {
        try {
            Path src = Files.writeString(dir.resolve("unixsock.c"), UNIXSOCK_C);
            Path bin = dir.resolve("unixsock");
            Process cc = new ProcessBuilder("gcc", "-static", "-O2", "-o", bin.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String out = new String(cc.getInputStream().readAllBytes());
            if (cc.waitFor() != 0) {
                throw new IllegalStateException("gcc -static unixsock.c failed (build-essential is installed by setup.sh): " + out);
            }
            return bin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
