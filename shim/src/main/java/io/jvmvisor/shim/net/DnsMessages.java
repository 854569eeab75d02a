package io.jvmvisor.shim.net;

import java.util.Arrays;

/** The few things the relay needs to know of a DNS message (RFC 1035 section 4.1.1): its ID and a SERVFAIL answer. */
public final class DnsMessages {
    /** The fixed header: ID, flags, four counts. */
    public static final int HEADER = 12;
    /** The largest message (TCP's 16-bit length prefix). */
    public static final int MAX = 65535;

    private DnsMessages() {
    }

    /** The 16-bit ID of a message of at least {@link #HEADER} bytes. */
    public static int id(byte[] m) {
        return (m[0] & 0xff) << 8 | (m[1] & 0xff);
    }

    /** Whether {@code answer} is a response (QR set) carrying the ID of {@code query}. */
    public static boolean answers(byte[] query, byte[] answer) {
        return answer.length >= HEADER && (answer[2] & 0x80) != 0 && id(answer) == id(query);
    }

    /**
     * A SERVFAIL response to {@code query} (its ID, opcode, RD and question section kept, no other
     * records), so a client that asked learns at once that the name server failed rather than
     * waiting for its timeout. Null for a message too short to answer.
     */
    public static byte[] servfail(byte[] query) {
        if (query.length < HEADER) {
            return null;
        }
        int qdcount = (query[4] & 0xff) << 8 | (query[5] & 0xff);
        int end = qdcount == 1 ? questionEnd(query, HEADER) : -1;
        byte[] r = Arrays.copyOf(query, end > 0 ? end : HEADER);
        r[2] = (byte) (0x80 | (query[2] & 0x79)); // QR, opcode, RD; AA and TC cleared
        r[3] = (byte) 0x82;                        // RA, RCODE 2 (SERVFAIL)
        r[4] = 0;
        r[5] = (byte) (end > 0 ? 1 : 0);
        Arrays.fill(r, 6, HEADER, (byte) 0);       // no answer, authority or additional records
        return r;
    }

    /** The offset after the question (QNAME, QTYPE, QCLASS) that starts at {@code off}, or -1. */
    private static int questionEnd(byte[] m, int off) {
        int p = off;
        while (p < m.length) {
            int len = m[p] & 0xff;
            if (len == 0) {
                return p + 5 <= m.length ? p + 5 : -1;
            }
            if ((len & 0xc0) != 0) {
                return -1; // a pointer has no place in a question name sent by a client
            }
            p += 1 + len;
        }
        return -1;
    }
}
