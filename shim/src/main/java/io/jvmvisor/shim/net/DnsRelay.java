package io.jvmvisor.shim.net;

import io.grpc.stub.StreamObserver;
import io.jvmvisor.agent.v1.DnsQueriesRequest;
import io.jvmvisor.agent.v1.DnsQuery;
import io.jvmvisor.shim.agent.AgentClient;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host half of the guest's DNS relay: keeps the agent's DnsQueries stream open, asks
 * {@link DnsUpstream} (docker's resolver in the container's network namespace) each query on a
 * virtual thread of its own, and returns the answer with DnsAnswer. A query the upstream cannot
 * answer gets SERVFAIL, so the client in the guest does not wait for its timeout. Queries are
 * resolved at once, but the answers to one client go back in the order of its queries, as docker
 * gives them to a runc container (busybox nslookup sends A and AAAA with one ID and takes the first
 * reply for the first question). If the stream ends while the relay is open (the agent connection
 * was re-established), it is opened again.
 */
public final class DnsRelay implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("shim");
    /** Queries resolved at once; the agent itself lets 128 wait per relay. */
    static final int MAX_WORKERS = 128;
    /**
     * Queries taken and not yet answered to the agent. The guest is not trusted: beyond this, queries
     * are dropped (the agent forgets them after its timeout) rather than queued in the shim.
     */
    static final int MAX_PENDING = 1024;

    private final AgentClient agent;
    private final DnsQueriesRequest request;
    private final DnsUpstream upstream;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("dns-", 0).factory());
    private final Semaphore slots = new Semaphore(MAX_WORKERS);
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    /** Per client: completes once its latest query's answer has been delivered to the agent. */
    private final java.util.Map<String, CompletableFuture<Void>> lastAnswer = new java.util.HashMap<>();
    private volatile Runnable cancel = () -> { };
    private volatile boolean closed;
    private volatile String listening;

    private DnsRelay(AgentClient agent, DnsQueriesRequest request, DnsUpstream upstream) {
        this.agent = agent;
        this.request = request;
        this.upstream = upstream;
    }

    /**
     * Opens the relay and waits (at most {@code wait}) until the agent listens. Throws with the
     * agent's reason (port in use, no such container...) if it does not.
     */
    public static DnsRelay start(AgentClient agent, DnsQueriesRequest request, DnsUpstream upstream, Duration wait)
            throws AgentClient.AgentException, InterruptedException {
        DnsRelay r = new DnsRelay(agent, request, upstream);
        CompletableFuture<String> first = r.open();
        try {
            r.listening = first.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            r.close();
            Throwable c = e.getCause();
            String why = c instanceof io.grpc.StatusRuntimeException s && s.getStatus().getDescription() != null
                    ? s.getStatus().getDescription() : c.toString();
            throw new AgentClient.AgentException("cannot start the DNS relay in the guest: " + why);
        } catch (TimeoutException e) {
            r.close();
            throw new AgentClient.AgentException("the guest's DNS relay did not start listening within " + wait.toSeconds() + " s");
        }
        LOG.log(Level.INFO, "DNS relay: guest " + r.listening + " -> " + upstream.server());
        return r;
    }

    /** Where the agent listens, e.g. "127.0.0.11:53". */
    public String listening() {
        return listening;
    }

    /** Queries answered from upstream, and answered with SERVFAIL (or nothing). */
    public long answered() {
        return answered.get();
    }

    public long failed() {
        return failed.get();
    }

    private CompletableFuture<String> open() {
        CompletableFuture<String> first = new CompletableFuture<>();
        cancel = agent.dnsQueries(request, new StreamObserver<>() {
            @Override
            public void onNext(DnsQuery q) {
                if (q.getId() == 0) {
                    first.complete(q.getListening());
                } else {
                    serve(q);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (!first.completeExceptionally(t)) {
                    ended(t.toString());
                }
            }

            @Override
            public void onCompleted() {
                if (!first.completeExceptionally(new IOException("the agent ended DnsQueries before listening"))) {
                    ended("the agent ended it");
                }
            }
        });
        if (closed) {
            cancel.run();
        }
        return first;
    }

    private void ended(String why) {
        if (closed) {
            return;
        }
        LOG.log(Level.WARNING, "DNS relay stream ended (" + why + "); opening it again in 1 s");
        Thread.ofVirtual().name("dns-reopen").start(() -> {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                open().whenComplete((where, t) -> {
                    if (t != null) {
                        ended(t.toString());
                    } else {
                        LOG.log(Level.INFO, "DNS relay: listening again on " + where);
                    }
                });
            }
        });
    }

    private void serve(DnsQuery q) {
        if (pending.incrementAndGet() > MAX_PENDING || q.getData().size() > DnsMessages.MAX) {
            pending.decrementAndGet();
            if (dropped.incrementAndGet() == 1) {
                LOG.log(Level.WARNING, "DNS relay: more than " + MAX_PENDING + " queries from the guest wait for an answer,"
                        + " or one is over " + DnsMessages.MAX + " bytes: dropping such queries");
            }
            return;
        }
        byte[] query = q.getData().toByteArray();
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        if (!slots.tryAcquire()) {
            failed.incrementAndGet();
            answer.complete(fallback(query));
        } else {
            try {
                workers.execute(() -> {
                    try {
                        answer.complete(upstream.resolve(query, q.getTcp()));
                        answered.incrementAndGet();
                    } catch (IOException e) {
                        LOG.log(Level.DEBUG, "DNS query " + q.getId() + (q.getTcp() ? " (tcp)" : " (udp)") + ": " + e.getMessage());
                        failed.incrementAndGet();
                        answer.complete(fallback(query));
                    } finally {
                        slots.release();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                slots.release(); // closing
                pending.decrementAndGet();
                return;
            }
        }
        String c = q.getClient();
        String client = c.length() > 64 ? c.substring(0, 64) : c;
        synchronized (lastAnswer) {
            CompletableFuture<Void> before = lastAnswer.getOrDefault(client, CompletableFuture.completedFuture(null));
            CompletableFuture<Void> mine = before.thenCombine(answer, (v, a) -> a).thenCompose(a -> reply(q.getId(), a));
            lastAnswer.put(client, mine);
            mine.whenComplete((v, t) -> {
                pending.decrementAndGet();
                synchronized (lastAnswer) {
                    lastAnswer.remove(client, mine);
                }
            });
        }
    }

    private static byte[] fallback(byte[] query) {
        byte[] s = DnsMessages.servfail(query);
        return s == null ? new byte[0] : s;
    }

    /** Sends the answer; completes (never exceptionally) once the agent took it or the call failed. */
    private CompletableFuture<Void> reply(long id, byte[] answer) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        agent.dnsAnswer(id, answer, t -> {
            if (t != null && !closed) {
                LOG.log(Level.DEBUG, "DNS answer " + id + " not delivered: " + t);
            }
            done.complete(null);
        });
        return done;
    }

    /** Ends the stream (the agent closes its sockets) and stops the workers. */
    @Override
    public void close() {
        closed = true;
        cancel.run();
        workers.shutdownNow();
    }
}
