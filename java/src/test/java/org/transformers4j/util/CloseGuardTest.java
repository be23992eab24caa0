package org.transformers4j.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CloseGuardTest {

    @Test
    void callsAfterCloseFailNamingTheObjectAndASecondCloseDoesNothing() {
        AtomicInteger released = new AtomicInteger();
        CloseGuard g = new CloseGuard("widget", released::incrementAndGet);
        g.enter();
        g.exit();
        g.close();
        g.close();
        assertEquals(1, released.get());
        var e = assertThrows(IllegalStateException.class, g::enter);
        assertEquals("widget is closed", e.getMessage());
        assertThrows(IllegalStateException.class, g::ensureOpen);
        assertTrue(g.isClosed());
    }

    @Test
    void closeWaitsForTheCallsInFlightThenReleases() throws Exception {
        AtomicInteger released = new AtomicInteger();
        CloseGuard g = new CloseGuard("widget", released::incrementAndGet);
        CountDownLatch inside = new CountDownLatch(1), leave = new CountDownLatch(1);
        Thread caller = Thread.ofPlatform().start(() -> {
            g.enter();
            inside.countDown();
            try {
                leave.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                assertEquals(0, released.get(), "released while a call was in flight");
                g.exit();
            }
        });
        inside.await();
        Thread closer = Thread.ofPlatform().start(g::close);
        closer.join(200);
        assertTrue(closer.isAlive(), "close returned while a call was in flight");
        assertThrows(IllegalStateException.class, g::enter, "new calls fail as soon as close has begun");
        leave.countDown();
        closer.join(10_000);
        caller.join(10_000);
        assertFalse(closer.isAlive());
        assertEquals(1, released.get());
    }

    @Test
    void aCloseFromInsideACallReleasesWhenThatCallEnds() {
        AtomicInteger released = new AtomicInteger();
        CloseGuard g = new CloseGuard("widget", released::incrementAndGet);
        g.enter();
        g.close(); // a listener closing what called it: must not wait for itself
        assertEquals(0, released.get());
        g.exit();
        assertEquals(1, released.get());
    }

    @Test
    void manyVirtualThreadsAndConcurrentClosersReleaseExactlyOnce() throws Exception {
        for (int round = 0; round < 50; round++) {
            AtomicInteger released = new AtomicInteger(), inFlightAtRelease = new AtomicInteger();
            AtomicInteger inFlight = new AtomicInteger();
            CloseGuard g = new CloseGuard("widget", () -> {
                inFlightAtRelease.set(inFlight.get());
                released.incrementAndGet();
            });
            List<Thread> threads = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int t = 0; t < 64; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    await(go);
                    while (true) {
                        try {
                            g.enter();
                        } catch (IllegalStateException e) {
                            return;
                        }
                        inFlight.incrementAndGet();
                        Thread.yield();
                        inFlight.decrementAndGet();
                        g.exit();
                    }
                }));
            }
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    await(go);
                    g.close();
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
                assertFalse(t.isAlive());
            }
            assertEquals(1, released.get());
            assertEquals(0, inFlightAtRelease.get(), "released with calls in flight");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
