/*
 * worker/dns.h — name resolution for a worker's egress: c-ares driven by the
 * worker's libevent loop (never a blocking getaddrinfo), IPv4 and IPv6, with a
 * small cache that honours the answers' TTLs (capped). IP literals are
 * answered without a query. Answers come in the order egress races them
 * (RFC 8305 §4: the families interleaved, IPv6 first).
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

/*
 * RFC 8305 §4 order for racing connection attempts: the address families take
 * turns, first_family (AF_INET6 or AF_INET) first, e.g. IPv6 → IPv4 → IPv6 …,
 * each family in the order given; once one family runs out the rest of the
 * other follows. Addresses of other families are dropped. At most
 * DNS_MAX_ADDRS are kept, so that a long list of one family cannot crowd the
 * other out. Pure: no I/O, no state.
 */
void	dns_order_for_racing(const struct sockaddr_storage *addrs, const socklen_t *lens,
	    size_t count, int first_family, struct dns_answer *out);

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
