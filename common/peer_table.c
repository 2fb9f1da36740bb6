/*
 * common/peer_table.c — the per-client-address table and the body budget
 * decisions of a worker (see peer_table.h): a chained hash with a keyed mix
 * of the 16 address bytes, entries made on a client's first connection and
 * freed with its last, and the checks "may this peer open a connection",
 * "may it hold N bytes more".
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "peer_table.h"
#include "util.h"

#define PEER_BUCKETS_MIN	64
#define PEER_BUCKETS_MAX	16384

void
peer_table_init(struct peer_table *t, size_t expected, uint64_t seed)
{
	size_t n = PEER_BUCKETS_MIN;

	/* a few connections per client on average; chains stay short */
	while (n < expected / 4 && n < PEER_BUCKETS_MAX)
		n *= 2;
	t->buckets = xcalloc(n, sizeof(*t->buckets));
	t->mask = n - 1;
	t->count = 0;
	t->seed = seed;
}

void
peer_table_free(struct peer_table *t)
{
	size_t i;
	struct peer *p, *next;

	if (t->buckets == NULL)
		return;
	for (i = 0; i <= t->mask; i++)
		for (p = t->buckets[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

void
peer_key_from_sockaddr(const struct sockaddr *sa, struct peer_key *key)
{
	memset(key, 0, sizeof(*key));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		key->addr[10] = key->addr[11] = 0xff;
		memcpy(key->addr + 12, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			memcpy(key->addr, a->s6_addr, 16);	/* the IPv4 client's key */
		else
			memcpy(key->addr, a->s6_addr, 8);	/* its /64 */
	}
}

/* splitmix64's finaliser */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static size_t
bucket_of(const struct peer_table *t, const struct peer_key *key)
{
	uint64_t hi, lo;

	memcpy(&hi, key->addr, 8);
	memcpy(&lo, key->addr + 8, 8);
	return (size_t)(mix(mix(hi ^ t->seed) ^ lo) & t->mask);
}

struct peer *
peer_table_find(const struct peer_table *t, const struct peer_key *key)
{
	struct peer *p;

	for (p = t->buckets[bucket_of(t, key)]; p != NULL; p = p->next)
		if (memcmp(p->key.addr, key->addr, sizeof(key->addr)) == 0)
			return p;
	return NULL;
}

struct peer *
peer_table_get(struct peer_table *t, const struct peer_key *key)
{
	struct peer *p = peer_table_find(t, key);
	size_t b;

	if (p != NULL)
		return p;
	b = bucket_of(t, key);
	p = xcalloc(1, sizeof(*p));
	p->key = *key;
	p->next = t->buckets[b];
	t->buckets[b] = p;
	t->count++;
	return p;
}

void
peer_table_release(struct peer_table *t, struct peer *p)
{
	struct peer **pp;
	size_t k;

	if (p->conns > 0)
		return;
	for (k = 0; k < BODY_CLASSES; k++)
		if (p->held[k] > 0)
			return;
	for (pp = &t->buckets[bucket_of(t, &p->key)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			t->count--;
			free(p);
			return;
		}
}

bool
peer_may_connect(const struct peer *p, long max_per_peer)
{
	return max_per_peer > 0 && p->conns < (size_t)max_per_peer;
}

enum budget_verdict
body_budget_check(const struct body_budget *b, size_t peer_held, size_t more)
{
	if (b->held > b->limit || more > b->limit - b->held)
		return BUDGET_WORKER_FULL;
	if (peer_held > b->per_peer || more > b->per_peer - peer_held)
		return BUDGET_PEER_FULL;
	return BUDGET_FITS;
}

void
body_budget_take(struct body_budget *b, size_t *peer_held, size_t n)
{
	b->held += n;
	*peer_held += n;
}

void
body_budget_give(struct body_budget *b, size_t *peer_held, size_t n)
{
	/* never below zero: a miscount must not wrap into "full for ever" */
	b->held -= n < b->held ? n : b->held;
	*peer_held -= n < *peer_held ? n : *peer_held;
}

size_t
body_budget_share(size_t limit, long percent)
{
	size_t share;

	if (percent >= 100)
		return limit;
	if (percent <= 0)
		return 1;
	/* limit / 100 * percent first: MiB limits divide by 100 without overflow */
	share = limit / 100 * (size_t)percent + limit % 100 * (size_t)percent / 100;
	return share > 0 ? share : 1;
}
