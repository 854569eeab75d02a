package io.jvmvisor.shim.net;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tests only: a name server on 127.0.0.1 (UDP and TCP on one port) that answers every A query
 * with 10.9.8.7 over UDP and 10.9.8.6 over TCP, and counts what it served. A UDP query for a name
 * that starts with "slow" is answered 500 ms late.
 */
final class FakeDnsServer implements AutoCloseable {
    final DatagramSocket udp;
    final ServerSocket tcp;
    final AtomicInteger udpQueries = new AtomicInteger();
    final AtomicInteger tcpQueries = new AtomicInteger();

    FakeDnsServer() throws IOException {
        DatagramSocket u = null;
        ServerSocket t = null;
        for (int i = 0; i < 20 && t == null; i++) {
            u = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try {
                t = new ServerSocket(u.getLocalPort(), 16, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                u.close();
            }
        }
        if (t == null) {
            throw new IOException("no port free for both UDP and TCP");
        }
        udp = u;
        tcp = t;
        Thread.ofPlatform().daemon().name("fake-dns-udp").start(this::serveUdp);
        Thread.ofPlatform().daemon().name("fake-dns-tcp").start(this::serveTcp);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                udpQueries.incrementAndGet();
                byte[] q = Arrays.copyOf(buf, p.getLength());
                var from = p.getSocketAddress();
                boolean slow = q.length > 17 && new String(q, 13, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("slow");
                Thread.ofVirtual().start(() -> {
                    try {
                        if (slow) {
                            Thread.sleep(500);
                        }
                        byte[] a = DnsTestMessages.answer(q, 10, 9, 8, 7);
                        udp.send(new DatagramPacket(a, a.length, from));
                    } catch (IOException | InterruptedException e) {
                        // closed
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket s = tcp.accept();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        DataInputStream in = new DataInputStream(s.getInputStream());
                        byte[] q = in.readNBytes(in.readUnsignedShort());
                        tcpQueries.incrementAndGet();
                        byte[] a = DnsTestMessages.answer(q, 10, 9, 8, 6);
                        s.getOutputStream().write(new byte[] {(byte) (a.length >> 8), (byte) a.length});
                        s.getOutputStream().write(a);
                    } catch (IOException e) {
                        // the client went away
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        udp.close();
        tcp.close();
    }
}
