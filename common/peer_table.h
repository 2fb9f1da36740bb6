/*
 * common/peer_table.h — what a worker lets request bodies and single clients
 * hold, so that no one can starve the others.
 *
 * Request bodies come in two classes with budgets apart: /v1 bodies (the
 * relay, up to 32 MiB each) and every other body (/api and the rest, up to
 * 1 MiB each), so management uploads can never take what the relay needs.
 * A body counts against its class's budget as its bytes arrive, never when a
 * head merely announces a length: a client that sends nothing costs nothing.
 *
 * Per client address ("peer") a worker counts its open connections and the
 * body bytes its connections hold in each class; a peer may hold only its
 * share of each budget and open only so many connections. The table is a
 * hash keyed by address with an entry per address that has a connection
 * open; the entry goes with the address's last connection. An IPv6 client is
 * keyed by its /64, which one host commonly owns whole; an IPv4-mapped IPv6
 * address is its IPv4 address.
 *
 * Pure (no I/O, no clock): worker/http_server.c calls it, and
 * tests/unit/test_peer_table.c drives it with numbers.
 */
#ifndef OMNI_PEER_TABLE_H
#define OMNI_PEER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

enum body_class {
	BODY_CLASS_RELAY,	/* /v1 bodies: body_budget_mb */
	BODY_CLASS_API,		/* every other body (/api …): api_body_budget_mb */
	BODY_CLASSES,
};

struct peer_key {
	uint8_t		 addr[16];	/* IPv6 order; IPv4 as ::ffff:a.b.c.d */
};

struct peer {
	struct peer	*next;		/* in its bucket */
	struct peer_key	 key;
	size_t		 conns;		/* connections open */
	size_t		 held[BODY_CLASSES];	/* body bytes its connections hold */
};

struct peer_table {
	struct peer	**buckets;
	size_t		 mask;		/* buckets - 1; a power of two */
	size_t		 count;		/* entries (peers with a connection) */
	uint64_t	 seed;		/* keys the hash: collisions are hard to aim */
};

/* One class's budget in a worker: bytes all may hold, one peer may hold, held. */
struct body_budget {
	size_t		 limit;
	size_t		 per_peer;
	size_t		 held;
};

enum budget_verdict {
	BUDGET_FITS,
	BUDGET_WORKER_FULL,	/* the worker's budget for the class is taken */
	BUDGET_PEER_FULL,	/* this peer holds its share already */
};

/* A table sized for about expected connections (the buckets; entries come as needed). */
void	peer_table_init(struct peer_table *t, size_t expected, uint64_t seed);
/* Frees the buckets and every entry left. */
void	peer_table_free(struct peer_table *t);
/* The key of a client's address; all-zero for a family without one. */
void	peer_key_from_sockaddr(const struct sockaddr *sa, struct peer_key *key);
/* The entry for key, or NULL. */
struct peer *peer_table_find(const struct peer_table *t, const struct peer_key *key);
/* The entry for key, made with zero counts if there is none. */
struct peer *peer_table_get(struct peer_table *t, const struct peer_key *key);
/* Frees p if it counts nothing any more (no connection, no byte). */
void	peer_table_release(struct peer_table *t, struct peer *p);

/* May a peer that has p->conns connections open one more (max_per_peer)? */
bool	peer_may_connect(const struct peer *p, long max_per_peer);

/*
 * May a peer that holds peer_held bytes of this class take more bytes more?
 * The worker's budget is checked first (its message names the setting an
 * operator would raise), then the peer's share.
 */
enum budget_verdict body_budget_check(const struct body_budget *b, size_t peer_held,
	    size_t more);
/* Count n bytes (checked before) / give n bytes back, in the budget and the peer. */
void	body_budget_take(struct body_budget *b, size_t *peer_held, size_t n);
void	body_budget_give(struct body_budget *b, size_t *peer_held, size_t n);
/* The per-peer share of a limit: percent of it, at least 1 byte. */
size_t	body_budget_share(size_t limit, long percent);

#endif
