package io.jvmvisor.shim.net;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/** Tests only: a DNS query for an A record, and an answer to it with one address. */
final class DnsTestMessages {
    private DnsTestMessages() {
    }

    static byte[] query(int id, String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) (id >> 8), (byte) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        b.writeBytes(new byte[] {0, 0, 1, 0, 1}); // root, QTYPE A, QCLASS IN
        return b.toByteArray();
    }

    /** The answer to {@code query}: its question and one A record {@code a.b.c.d}. */
    static byte[] answer(byte[] query, int a, int b, int c, int d) {
        byte[] r = Arrays.copyOf(query, query.length + 16);
        r[2] = (byte) (0x80 | query[2] & 0x79);
        r[3] = (byte) 0x80;
        r[7] = 1; // ANCOUNT
        byte[] rr = {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) a, (byte) b, (byte) c, (byte) d};
        System.arraycopy(rr, 0, r, query.length, rr.length);
        return r;
    }

    /** The address of the first answer of {@link #answer}. */
    static String address(byte[] answer) {
        int p = answer.length - 4;
        return (answer[p] & 0xff) + "." + (answer[p + 1] & 0xff) + "." + (answer[p + 2] & 0xff) + "." + (answer[p + 3] & 0xff);
    }

    static int rcode(byte[] answer) {
        return answer[3] & 0x0f;
    }
}
