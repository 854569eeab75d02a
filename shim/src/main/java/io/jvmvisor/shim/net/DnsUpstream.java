package io.jvmvisor.shim.net;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The name server the relay asks: docker's embedded resolver at 127.0.0.11:53, as a process in the
 * container's network namespace reaches it (docker's iptables DNAT in that namespace sends it on to
 * the resolver's socket). The shim runs in that namespace, so plain sockets reach it. One blocking
 * exchange per call; UDP queries go over UDP (one retry), TCP queries over a TCP connection of their own.
 */
public final class DnsUpstream {
    /** Docker's embedded DNS server. */
    public static final InetSocketAddress DOCKER = new InetSocketAddress("127.0.0.11", 53);

    private final InetSocketAddress server;
    private final int timeoutMs;

    /** {@code timeout} is per try; the agent gives a query 5 s in all. */
    public DnsUpstream(InetSocketAddress server, Duration timeout) {
        this.server = server;
        this.timeoutMs = (int) timeout.toMillis();
    }

    public InetSocketAddress server() {
        return server;
    }

    /** The server's answer to {@code query}. */
    public byte[] resolve(byte[] query, boolean tcp) throws IOException {
        if (query.length < DnsMessages.HEADER || query.length > DnsMessages.MAX) {
            throw new IOException("a DNS query of " + query.length + " bytes");
        }
        return tcp ? overTcp(query) : overUdp(query);
    }

    private byte[] overUdp(byte[] query) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(server);
            s.setSoTimeout(timeoutMs);
            byte[] buf = new byte[DnsMessages.MAX];
            for (int attempt = 0; attempt < 2; attempt++) {
                s.send(new DatagramPacket(query, query.length));
                long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
                try {
                    while (true) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        s.receive(p);
                        byte[] answer = java.util.Arrays.copyOf(buf, p.getLength());
                        if (DnsMessages.answers(query, answer)) {
                            return answer;
                        }
                        if (System.nanoTime() > deadline) {
                            throw new SocketTimeoutException();
                        }
                    }
                } catch (SocketTimeoutException e) {
                    // send once more
                }
            }
            throw new IOException("no answer from " + server + " over UDP within " + 2 * timeoutMs + " ms");
        }
    }

    private byte[] overTcp(byte[] query) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, timeoutMs);
            s.setSoTimeout(timeoutMs);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            byte[] framed = new byte[2 + query.length];
            framed[0] = (byte) (query.length >> 8);
            framed[1] = (byte) query.length;
            System.arraycopy(query, 0, framed, 2, query.length);
            out.write(framed);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readUnsignedShort();
            byte[] answer = in.readNBytes(len);
            if (answer.length != len) {
                throw new EOFException(server + " closed the TCP connection in the middle of an answer");
            }
            return answer;
        }
    }
}
