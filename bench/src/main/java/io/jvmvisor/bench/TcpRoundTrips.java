package io.jvmvisor.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * {@code TcpRoundTrips HOST PORT N SIZE}: the client of the request-latency figure. Run by the
 * harness inside the bench's network namespace ({@code nsenter --net}), against an echo server in
 * a container; one connection (TCP_NODELAY), N round trips of SIZE bytes after 20 untimed ones.
 * Prints one line per round trip: its duration in nanoseconds.
 */
public final class TcpRoundTrips {
    private TcpRoundTrips() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: TcpRoundTrips HOST PORT N SIZE");
            System.exit(2);
        }
        int n = Integer.parseInt(args[2]);
        byte[] msg = new byte[Integer.parseInt(args[3])];
        java.util.Arrays.fill(msg, (byte) 'x');
        long[] nanos = new long[n];
        try (Socket s = connect(args[0], Integer.parseInt(args[1]))) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] back = new byte[msg.length];
            for (int i = -20; i < n; i++) {
                long t0 = System.nanoTime();
                out.write(msg);
                in.readFully(back);
                if (i >= 0) {
                    nanos[i] = System.nanoTime() - t0;
                }
            }
        }
        StringBuilder b = new StringBuilder();
        for (long v : nanos) {
            b.append(v).append('\n');
        }
        System.out.print(b);
    }

    /** Connects, retrying for 60 s while the server in the container is not listening yet. */
    private static Socket connect(String host, int port) throws IOException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), 5000);
                return s;
            } catch (IOException e) {
                s.close();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    throw new IOException(ie);
                }
            }
        }
    }
}
