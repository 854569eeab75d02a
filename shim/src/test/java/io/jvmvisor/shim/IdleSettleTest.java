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
}
