/*
 * worker/dns.c — c-ares on a libevent loop. c-ares tells us (sock_state_cb)
 * which sockets it wants watched; each gets an event that calls
 * ares_process_fd, and one timer follows ares_timeout(). Queries are
 * ares_getaddrinfo (A and AAAA), put in racing order by the pure
 * dns_order_for_racing(); answers are cached per host for their TTL (at most
 * DNS_CACHE_MAX_TTL seconds). A cancelled query's callback is swallowed when
 * c-ares finishes it. CARES_HOSTS in the environment names a hosts file read
 * instead of /etc/hosts (the integration tests map a name to both ::1 and
 * 127.0.0.1 with it).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>

#include "dns.h"
#include "log.h"
#include "util.h"

#define DNS_MAX_SOCKETS		16
#define DNS_CACHE_SIZE		64
#define DNS_CACHE_MAX_TTL	60
#define DNS_CACHE_MIN_TTL	1
#define DNS_MAX_CANDIDATES	32	/* addresses looked at before ordering */

struct dns_watch {
	ares_socket_t	 fd;
	struct event	*ev;
};

struct dns_cache_entry {
	char			 host[256];
	struct dns_answer	 answer;	/* ports are filled per lookup */
	time_t			 expires;
};

struct dns_resolver {
	struct event_base	*base;
	ares_channel		 channel;
	struct event		*timer;
	struct dns_watch	 watches[DNS_MAX_SOCKETS];
	struct dns_cache_entry	 cache[DNS_CACHE_SIZE];
	size_t			 cache_next;
};

struct dns_query {
	struct dns_resolver	*r;
	char			 host[256];
	uint16_t		 port;
	dns_done_fn		 done;
	void			*arg;
	int			 cancelled;
	struct event		*immediate;	/* literals and cache hits */
	struct dns_answer	 answer;
	char			 error[256];
	int			 in_call;	/* inside ares_getaddrinfo() */
};

static void dns_arm_timer(struct dns_resolver *r);

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;

	ares_process_fd(r->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	dns_arm_timer(r);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;

	(void)fd;
	(void)what;
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_arm_timer(r);
}

static void
dns_arm_timer(struct dns_resolver *r)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(r->channel, NULL, &tv);
	if (tvp != NULL)
		evtimer_add(r->timer, tvp);
	else
		evtimer_del(r->timer);
}

/* c-ares: start, change or stop watching a socket. */
static void
on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver *r = data;
	struct dns_watch *w = NULL, *free_slot = NULL;
	size_t i;

	for (i = 0; i < DNS_MAX_SOCKETS; i++) {
		if (r->watches[i].ev != NULL && r->watches[i].fd == fd)
			w = &r->watches[i];
		else if (r->watches[i].ev == NULL && free_slot == NULL)
			free_slot = &r->watches[i];
	}
	if (w != NULL) {
		event_free(w->ev);
		w->ev = NULL;
	}
	if (!readable && !writable)
		return;
	if (w == NULL)
		w = free_slot;
	if (w == NULL) {
		log_warnx("dns: too many resolver sockets");
		return;
	}
	w->fd = fd;
	w->ev = event_new(r->base, fd, EV_PERSIST | (readable ? EV_READ : 0) |
	    (writable ? EV_WRITE : 0), on_socket_event, r);
	event_add(w->ev, NULL);
}

struct dns_resolver *
dns_resolver_new(struct event_base *base, char *err, size_t errlen)
{
	struct dns_resolver *r = xcalloc(1, sizeof(*r));
	struct ares_options opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = r;
	opts.timeout = 2000;	/* ms per try */
	opts.tries = 2;
	r->base = base;
	if ((rc = ares_init_options(&r->channel, &opts, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(r);
		return NULL;
	}
	r->timer = evtimer_new(base, on_timer, r);
	return r;
}

void
dns_resolver_free(struct dns_resolver *r)
{
	size_t i;

	if (r == NULL)
		return;
	ares_destroy(r->channel);	/* runs pending callbacks with ARES_EDESTRUCTION */
	for (i = 0; i < DNS_MAX_SOCKETS; i++)
		if (r->watches[i].ev != NULL)
			event_free(r->watches[i].ev);
	event_free(r->timer);
	free(r);
}

static void
set_port(struct dns_answer *a, uint16_t port)
{
	size_t i;

	for (i = 0; i < a->count; i++) {
		if (a->addrs[i].ss_family == AF_INET)
			((struct sockaddr_in *)&a->addrs[i])->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&a->addrs[i])->sin6_port = htons(port);
	}
}

/* An IPv4 or IPv6 literal (with or without brackets) → 1 address. */
static int
literal_answer(const char *host, struct dns_answer *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->addrs[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->addrs[0];
	char buf[64];
	size_t len = strlen(host);

	memset(a, 0, sizeof(*a));
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		a->lens[0] = sizeof(*sin);
		a->count = 1;
		return 1;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		a->lens[0] = sizeof(*sin6);
		a->count = 1;
		return 1;
	}
	return 0;
}

static struct dns_cache_entry *
cache_find(struct dns_resolver *r, const char *host)
{
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < DNS_CACHE_SIZE; i++)
		if (r->cache[i].expires > now && strcmp(r->cache[i].host, host) == 0)
			return &r->cache[i];
	return NULL;
}

static void
cache_store(struct dns_resolver *r, const char *host, const struct dns_answer *a,
    int ttl)
{
	struct dns_cache_entry *e = &r->cache[r->cache_next++ % DNS_CACHE_SIZE];

	if (ttl < DNS_CACHE_MIN_TTL)
		ttl = DNS_CACHE_MIN_TTL;
	if (ttl > DNS_CACHE_MAX_TTL)
		ttl = DNS_CACHE_MAX_TTL;
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->answer = *a;
	e->expires = time(NULL) + ttl;
}

static void
query_finish(struct dns_query *q)
{
	if (!q->cancelled)
		q->done(q->error[0] ? NULL : &q->answer, q->error[0] ? q->error : NULL,
		    q->arg);
	if (q->immediate != NULL)
		event_free(q->immediate);
	free(q);
}

static void
on_immediate(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	query_finish(arg);
}

/*
 * The index of the next address of family at or after *cursor (which moves
 * past it), or count when there is none.
 */
static size_t
next_of_family(const struct sockaddr_storage *addrs, size_t count, int family,
    size_t *cursor)
{
	while (*cursor < count && addrs[*cursor].ss_family != family)
		(*cursor)++;
	return *cursor < count ? (*cursor)++ : count;
}

void
dns_order_for_racing(const struct sockaddr_storage *addrs, const socklen_t *lens,
    size_t count, int first_family, struct dns_answer *out)
{
	int other_family = first_family == AF_INET6 ? AF_INET : AF_INET6;
	size_t cursor_first = 0, cursor_other = 0, i;
	bool first_turn = true;

	memset(out, 0, sizeof(*out));
	while (out->count < DNS_MAX_ADDRS) {
		i = first_turn ?
		    next_of_family(addrs, count, first_family, &cursor_first) :
		    next_of_family(addrs, count, other_family, &cursor_other);
		if (i == count)		/* this family ran out: the other's turn for good */
			i = first_turn ?
			    next_of_family(addrs, count, other_family, &cursor_other) :
			    next_of_family(addrs, count, first_family, &cursor_first);
		if (i == count)
			break;
		out->addrs[out->count] = addrs[i];
		out->lens[out->count++] = lens[i];
		first_turn = !first_turn;
	}
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct ares_addrinfo_node *n;
	struct sockaddr_storage found[DNS_MAX_CANDIDATES];
	socklen_t found_lens[DNS_MAX_CANDIDATES];
	size_t nfound = 0;
	int ttl = DNS_CACHE_MAX_TTL;

	(void)timeouts;
	if (status != ARES_SUCCESS || res == NULL) {
		snprintf(q->error, sizeof(q->error), "%s", ares_strerror(status));
	} else {
		for (n = res->nodes; n != NULL && nfound < DNS_MAX_CANDIDATES;
		    n = n->ai_next) {
			if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) ||
			    n->ai_addrlen > sizeof(struct sockaddr_storage))
				continue;
			memset(&found[nfound], 0, sizeof(found[nfound]));
			memcpy(&found[nfound], n->ai_addr, n->ai_addrlen);
			found_lens[nfound++] = n->ai_addrlen;
			if (n->ai_ttl < ttl)
				ttl = n->ai_ttl;
		}
		dns_order_for_racing(found, found_lens, nfound, AF_INET6, &q->answer);
		if (q->answer.count == 0)
			snprintf(q->error, sizeof(q->error), "no address");
		else
			cache_store(q->r, q->host, &q->answer, ttl);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	set_port(&q->answer, q->port);
	if (q->in_call) {
		/* answered at once (hosts file): report from the loop, not the call */
		q->immediate = event_new(q->r->base, -1, 0, on_immediate, q);
		event_active(q->immediate, 0, 0);
		return;
	}
	query_finish(q);
}

struct dns_query *
dns_lookup(struct dns_resolver *r, const char *host, uint16_t port, dns_done_fn done,
    void *arg)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));
	struct ares_addrinfo_hints hints;
	struct dns_cache_entry *cached;
	const char *hosts_file;

	q->r = r;
	q->port = port;
	q->done = done;
	q->arg = arg;
	snprintf(q->host, sizeof(q->host), "%s", host);
	if (strlen(host) == 0 || strlen(host) > 253) {
		snprintf(q->error, sizeof(q->error), "invalid host name");
	} else if (literal_answer(host, &q->answer)) {
		set_port(&q->answer, port);
	} else if ((cached = cache_find(r, host)) != NULL) {
		q->answer = cached->answer;
		set_port(&q->answer, port);
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		/*
		 * Only with the variable set: some c-ares versions fail every
		 * lookup (ARES_ENOMEM) when the flag is set and it is not.
		 */
		if ((hosts_file = getenv("CARES_HOSTS")) != NULL && *hosts_file != '\0')
			hints.ai_flags |= ARES_AI_ENVHOSTS;
		q->in_call = 1;
		ares_getaddrinfo(r->channel, host, NULL, &hints, on_addrinfo, q);
		q->in_call = 0;
		dns_arm_timer(r);
		return q;
	}
	q->immediate = event_new(r->base, -1, 0, on_immediate, q);
	event_active(q->immediate, 0, 0);
	return q;
}

void
dns_cancel(struct dns_query *q)
{
	q->cancelled = 1;
}
