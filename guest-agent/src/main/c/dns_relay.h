/* The DNS relay's shared parts (dns_relay.c: relays, queries in flight, UDP,
 * timeouts, the RPCs; dns_tcp.c: TCP connections). */
#ifndef JVMVISOR_DNS_RELAY_H
#define JVMVISOR_DNS_RELAY_H

#include <netinet/in.h>
#include <sys/types.h>

#include "container.h"

#define DNS_MAX 65535u
#define DNS_HEADER 12u
#define MAX_INFLIGHT 128
#define MAX_CONN_INFLIGHT 8
#define MAX_TCP_CONNS 32
#define MAX_RELAYS 8
#define QUERY_TIMEOUT_MS 5000
#define TCP_IDLE_MS 10000
#define STREAM_HIGH_WATER (1u << 20)
#define UDP_BATCH 32

typedef Jvmvisor__Agent__V1__DnsQueriesRequest DnsQueriesRequest;
typedef Jvmvisor__Agent__V1__DnsQuery DnsQuery;
typedef Jvmvisor__Agent__V1__DnsAnswerRequest DnsAnswerRequest;
#define DNS_QUERY__INIT JVMVISOR__AGENT__V1__DNS_QUERY__INIT

struct relay;

struct tcp_conn {
    struct relay *relay;
    int fd;
    uint8_t in[2 + DNS_MAX]; /* one length-prefixed query at most */
    size_t in_len;
    uint8_t *out;            /* answers not written yet (bounded by MAX_CONN_INFLIGHT) */
    size_t out_off, out_len, out_cap;
    int inflight;
    bool paused;             /* a cap is reached: not read until answers come */
    bool eof;                /* the client closed its side: close once answered */
    bool watched;
    uint64_t active_ms;
    unsigned serial;         /* names the client in DnsQuery.client */
    struct tcp_conn *next;
};

struct pending {
    uint64_t id;
    struct relay *relay;
    struct tcp_conn *conn;   /* NULL: UDP, answered to peer */
    struct sockaddr_in peer;
    uint64_t deadline_ms;
    struct pending *next;
};

struct relay {
    struct call *call;
    dev_t ns_dev;
    ino_t ns_ino;
    struct sockaddr_in addr;
    char where[96];          /* "127.0.0.11:53 in the network namespace of container \"x\"" */
    int udp_fd, tcp_fd;
    struct tcp_conn *conns;
    int nconns;
    int inflight;
    struct relay *next;
};

/* dns_relay.c */
extern struct relay *dns_relays;
uint64_t dns_now_ms(void);
/* Sends one query to the host. -EAGAIN when a cap is reached (the caller
 * drops a UDP query, pauses a TCP connection). */
int dns_forward(struct relay *r, struct tcp_conn *conn, const struct sockaddr_in *peer, const uint8_t *data,
                size_t len);
/* Forgets the queries in flight of a connection that goes away. */
void dns_forget_conn(struct tcp_conn *c);

/* dns_tcp.c */
void dns_tcp_on_listen(int fd, uint32_t events, void *arg);
void dns_tcp_close(struct tcp_conn *c);
/* Answers waiting and caps lifted: reads paused connections again (deferred). */
void dns_tcp_resume_all(void *arg);
/* Queues a length-prefixed answer and writes what the socket takes; may close c. */
int dns_tcp_answer(struct tcp_conn *c, const uint8_t *data, size_t len);
/* Closes connections idle for TCP_IDLE_MS. */
void dns_tcp_expire(struct relay *r, uint64_t now);

#endif
