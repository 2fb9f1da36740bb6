/*
 * tests/bench/resolve_bench.c — what resolution plus pool member choice
 * costs per call, with a small registry and with a large one, side by side
 * in one run (issue 11: "resolution with 100 000 proxies / 10 000 pools
 * within 2 µs of resolution with 10"). Not part of the test suite: it
 * reports, it does not judge. Build and run: `make tests/bench/resolve_bench
 * && tests/bench/resolve_bench [ROUNDS] [CALLS]`.
 *
 * Each registry is a snapshot built in memory the way the workers hold it
 * (proxies sorted by id, assignments by scope and id), with pools of three
 * members on the account scope, a pool on the provider scope and one on the
 * global scope; the pool board and the latency board are real (calloc'd
 * here, MAP_SHARED in the daemon). A call resolves (connection, provider)
 * as the relay does, taking a member (the cursor moves, the latency board is
 * read): the connections come from a fixed pseudo-random sequence over
 * every account pool, so the large registry is walked the way many accounts
 * would walk it, cache misses included. Every strategy is measured; each
 * round times CALLS calls per (registry, strategy), the registries taking
 * turns, and the median round is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool_choice.h"
#include "registry.h"
#include "resolve.h"
#include "util.h"

#define MEMBERS_PER_POOL	3
#define MAX_ROUNDS		31

struct registry_case {
	const char		*name;
	size_t			 proxies;
	size_t			 account_pools;
	struct registry_snapshot snap;
	struct pool_board	*board;
	struct latency_board	*latency;
	char			**connections;	/* the account pools' scope ids */
	uint32_t		*sequence;	/* which connection each call takes */
	size_t			 sequence_len;
};

static void
add_pool(struct snap_assignment *a, enum scope scope, const char *scope_id,
    const struct registry_snapshot *snap, size_t first_member)
{
	size_t k;

	memset(a, 0, sizeof(*a));
	a->scope = scope;
	a->scope_id = xstrdup(scope_id);
	a->strategy = POOL_ROUND_ROBIN;
	a->sticky_window_minutes = POOL_STICKY_WINDOW_DEFAULT;
	a->members = xcalloc(MEMBERS_PER_POOL, sizeof(*a->members));
	for (k = 0; k < MEMBERS_PER_POOL; k++)
		a->members[k] = xstrdup(snap->proxies[(first_member + k * 7919) %
		    snap->proxy_count].id);
	a->member_count = MEMBERS_PER_POOL;
	a->proxy_id = xstrdup(a->members[0]);
}

static uint64_t
next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void
build(struct registry_case *c)
{
	struct registry_snapshot *snap = &c->snap;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char id[64];
	size_t i;

	memset(snap, 0, sizeof(*snap));
	snap->proxies = xcalloc(c->proxies, sizeof(*snap->proxies));
	for (i = 0; i < c->proxies; i++) {
		struct snap_proxy *p = &snap->proxies[i];
		/* UUID-shaped ids, like the registry's */
		snprintf(id, sizeof(id), "%08llx-0000-4000-8000-%012zx",
		    (unsigned long long)(next_random(&seed) & 0xffffffffu), i);
		p->id = xstrdup(id);
		p->name = xstrdup(id);
		p->type = PROXY_TYPE_SOCKS5;
		p->host = xstrdup("127.0.0.1");
		p->port = (uint16_t)(20000 + i % 40000);
		p->username = xstrdup("");
		p->password = xstrdup("");
		p->active = true;
	}
	snap->proxy_count = c->proxies;
	snapshot_index(snap);	/* proxies by id: the members below name them */
	snap->assignments = xcalloc(c->account_pools + 2, sizeof(*snap->assignments));
	c->connections = xcalloc(c->account_pools, sizeof(*c->connections));
	for (i = 0; i < c->account_pools; i++) {
		snprintf(id, sizeof(id), "conn-%08zx-%04zx", i * 2654435761u % 100000000u, i);
		c->connections[i] = xstrdup(id);
		add_pool(&snap->assignments[i], SCOPE_ACCOUNT, id, snap, i * 13);
	}
	add_pool(&snap->assignments[c->account_pools], SCOPE_PROVIDER, "openai", snap, 1);
	add_pool(&snap->assignments[c->account_pools + 1], SCOPE_GLOBAL, GLOBAL_SCOPE_ID,
	    snap, 2);
	snap->assignment_count = c->account_pools + 2;
	snapshot_index(snap);
	c->board = xcalloc(1, pool_board_size(POOL_BOARD_SLOTS));
	pool_board_init(c->board, POOL_BOARD_SLOTS);
	c->latency = xcalloc(1, latency_board_size(LATENCY_BOARD_SLOTS));
	latency_board_init(c->latency, LATENCY_BOARD_SLOTS);
	/* every member measured, so the latency strategy compares averages */
	for (i = 0; i < snap->proxy_count; i++)
		latency_record(c->latency, pool_id_hash(snap->proxies[i].id),
		    1000 + i % 500, 1, (int64_t)time(NULL));
	c->sequence_len = 1 << 16;
	c->sequence = xcalloc(c->sequence_len, sizeof(*c->sequence));
	for (i = 0; i < c->sequence_len; i++)
		c->sequence[i] = (uint32_t)(next_random(&seed) % c->account_pools);
}

static void
set_strategy(struct registry_case *c, enum pool_strategy s)
{
	size_t i;

	for (i = 0; i < c->snap.assignment_count; i++)
		c->snap.assignments[i].strategy = s;
}

/* Nanoseconds per call over `calls` resolutions taking a member. */
static double
time_calls(struct registry_case *c, size_t calls, size_t *taken)
{
	struct timespec t0, t1;
	struct resolve_request req;
	struct resolve_result res;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < calls; i++) {
		memset(&req, 0, sizeof(req));
		req.connection_id = c->connections[c->sequence[i % c->sequence_len]];
		req.provider_id = "openai";
		resolve_request_choose(&req, c->board, c->latency, true);
		proxy_resolve(&c->snap, &req, &res);
		*taken += res.outcome == RESOLVE_PROXY;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	    (double)calls;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	struct registry_case cases[] = {
		{ .name = "10 proxies, 3 account pools", .proxies = 10, .account_pools = 3 },
		{ .name = "100 000 proxies, 10 000 account pools", .proxies = 100000,
		  .account_pools = 10000 },
	};
	const enum pool_strategy strategies[] = {
		POOL_ROUND_ROBIN, POOL_RANDOM, POOL_STICKY, POOL_LATENCY, POOL_QUALITY,
	};
	size_t rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 7;
	size_t calls = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
	size_t s, r, k, taken = 0;

	if (rounds < 1 || rounds > MAX_ROUNDS || calls < 1000 || calls > 100000000) {
		fprintf(stderr, "usage: resolve_bench [ROUNDS 1..%d] [CALLS 1000..1e8]\n",
		    MAX_ROUNDS);
		return 2;
	}
	for (k = 0; k < 2; k++)
		build(&cases[k]);
	printf("resolution + member choice per call, median of %zu rounds x %zu calls\n",
	    rounds, calls);
	printf("(pools of %d members on the account scope, plus provider and global pools;\n"
	    " each call resolves (connection, provider) and takes a member)\n\n",
	    MEMBERS_PER_POOL);
	printf("%-12s %14s %14s %12s\n", "strategy", "small ns/call", "large ns/call",
	    "difference");
	for (s = 0; s < sizeof(strategies) / sizeof(strategies[0]); s++) {
		double ns[2][MAX_ROUNDS], med[2];

		for (k = 0; k < 2; k++) {
			set_strategy(&cases[k], strategies[s]);
			time_calls(&cases[k], calls / 10, &taken);	/* warm */
		}
		for (r = 0; r < rounds; r++)
			for (k = 0; k < 2; k++)
				ns[k][r] = time_calls(&cases[k], calls, &taken);
		for (k = 0; k < 2; k++)
			med[k] = median(ns[k], rounds);
		printf("%-12s %14.1f %14.1f %+10.1f ns\n", pool_strategy_name(strategies[s]),
		    med[0], med[1], med[1] - med[0]);
	}
	printf("\nsmall: %s; large: %s; calls that took a proxy: %zu\n", cases[0].name,
	    cases[1].name, taken);
	for (k = 0; k < 2; k++) {
		size_t i;

		for (i = 0; i < cases[k].account_pools; i++)
			free(cases[k].connections[i]);
		free(cases[k].connections);
		free(cases[k].sequence);
		snapshot_free(&cases[k].snap);
		free(cases[k].board);
		free(cases[k].latency);
	}
	return 0;
}
