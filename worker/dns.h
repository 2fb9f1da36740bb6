/*
 * worker/dns.h — name resolution for a worker's egress: c-ares driven by the
 * worker's libevent loop (never a blocking getaddrinfo), IPv4 and IPv6, with a
 * small cache that honours the answers' TTLs (capped). IP literals are
 * answered without a query.
 */
#ifndef OMNI_DNS_H
#define OMNI_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#define DNS_MAX_ADDRS	8

struct dns_resolver;
struct dns_query;

struct dns_answer {
	struct sockaddr_storage	 addrs[DNS_MAX_ADDRS];
	socklen_t		 lens[DNS_MAX_ADDRS];
	size_t			 count;
};

/* error is NULL on success; answer is valid only during the call. */
typedef void (*dns_done_fn)(const struct dns_answer *answer, const char *error,
	    void *arg);

struct dns_resolver *dns_resolver_new(struct event_base *base, char *err, size_t errlen);
void	dns_resolver_free(struct dns_resolver *r);

/*
 * Look up host; the callback runs later from the loop (never from inside this
 * call). Returns a handle for dns_cancel, or NULL when out of memory.
 */
struct dns_query *dns_lookup(struct dns_resolver *r, const char *host, uint16_t port,
	    dns_done_fn done, void *arg);
/* The callback will not run. */
void	dns_cancel(struct dns_query *q);

#endif
