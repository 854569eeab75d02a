package io.jvmvisor.shim.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DnsMessagesTest {

    @Test
    void servfailKeepsIdOpcodeRdAndTheQuestion() {
        byte[] q = DnsTestMessages.query(0xbeef, "web.example");
        byte[] s = DnsMessages.servfail(q);
        assertEquals(0xbeef, DnsMessages.id(s));
        assertEquals(0x81, s[2] & 0xff, "QR and RD");
        assertEquals(2, DnsTestMessages.rcode(s));
        assertEquals(1, s[5], "one question");
        assertArrayEquals(Arrays.copyOfRange(q, 12, q.length), Arrays.copyOfRange(s, 12, s.length));
        assertTrue(DnsMessages.answers(q, s));
    }

    @Test
    void servfailOfAMalformedQuestionIsTheHeaderOnly() {
        byte[] q = DnsTestMessages.query(7, "a.b");
        byte[] cut = Arrays.copyOf(q, q.length - 3);
        byte[] s = DnsMessages.servfail(cut);
        assertEquals(12, s.length);
        assertEquals(0, s[5]);
        assertNull(DnsMessages.servfail(new byte[5]));
    }

    @Test
    void answersNeedsTheResponseBitAndTheSameId() {
        byte[] q = DnsTestMessages.query(1, "x");
        assertFalse(DnsMessages.answers(q, q), "a query is no answer");
        assertFalse(DnsMessages.answers(q, DnsTestMessages.answer(DnsTestMessages.query(2, "x"), 1, 2, 3, 4)));
        assertTrue(DnsMessages.answers(q, DnsTestMessages.answer(q, 1, 2, 3, 4)));
    }
}
