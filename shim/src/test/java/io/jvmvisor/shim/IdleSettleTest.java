package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link IdleSettle}: requests in a burst settle once, after the last of them. */
class IdleSettleTest {
    @Test
    void aBurstOfRequestsSettlesOnceAfterTheDelay() throws Exception {
        int before = IdleSettle.runs();
        long t0 = System.nanoTime();
        IdleSettle.request();
        Thread.sleep(IdleSettle.DELAY_MS / 2);
        IdleSettle.request(); // postpones the first
        Thread.sleep(IdleSettle.DELAY_MS / 2 + 50);
        assertEquals(before, IdleSettle.runs(), "settled before the delay after the last request had passed");
        long deadline = t0 + 10_000_000_000L;
        while (IdleSettle.runs() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(before + 1, IdleSettle.runs(), "a burst of two requests settled " + (IdleSettle.runs() - before) + " times");
        Thread.sleep(IdleSettle.DELAY_MS * 2);
        assertEquals(before + 1, IdleSettle.runs(), "settled again without a request");
    }

    @Test
    void aShorterRequestBringsAPendingSettleForward() throws Exception {
        Thread.sleep(IdleSettle.DELAY_MS * 2); // nothing pending from another test
        int before = IdleSettle.runs();
        long t0 = System.nanoTime();
        IdleSettle.request(IdleSettle.AFTER_CREATE_MS); // create
        IdleSettle.request(); // start
        long deadline = t0 + 10_000_000_000L;
        while (IdleSettle.runs() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000L;
        assertEquals(before + 1, IdleSettle.runs());
        org.junit.jupiter.api.Assertions.assertTrue(ms < IdleSettle.AFTER_CREATE_MS,
                "settled " + ms + " ms after a create and a start, not " + IdleSettle.DELAY_MS + " ms after the start");
    }
}
