/*
 * tests/unit/test_peer_table.c — the per-client table and the body budget
 * decisions (common/peer_table.c): addresses key as IPv4 / IPv6 /64, entries
 * come with a peer's first connection and go with its last, the connection
 * cap, "may this peer hold N bytes more" against the worker's budget and the
 * peer's share, shares by percent; and a property run: a random sequence of
 * connects, byte arrivals and releases against a naive model, checking that
 * no budget or share is ever exceeded and that everything given back leaves
 * the table empty and the budgets at zero.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "peer_table.h"

static struct peer_key
key4(const char *addr)
{
	struct sockaddr_in in;
	struct peer_key k;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &in.sin_addr), 1);
	peer_key_from_sockaddr((struct sockaddr *)&in, &k);
	return k;
}

static struct peer_key
key6(const char *addr)
{
	struct sockaddr_in6 in;
	struct peer_key k;

	memset(&in, 0, sizeof(in));
	in.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr, &in.sin6_addr), 1);
	peer_key_from_sockaddr((struct sockaddr *)&in, &k);
	return k;
}

static void
keys(void **state)
{
	struct peer_key a, b;

	(void)state;
	a = key4("127.0.0.1");
	b = key6("::ffff:127.0.0.1");
	assert_memory_equal(a.addr, b.addr, 16);	/* mapped = the IPv4 client */
	a = key4("127.0.0.1");
	b = key4("127.0.0.3");
	assert_memory_not_equal(a.addr, b.addr, 16);
	a = key6("2001:db8:1:2::1");
	b = key6("2001:db8:1:2:ffff:1:2:3");
	assert_memory_equal(a.addr, b.addr, 16);	/* one /64, one peer */
	b = key6("2001:db8:1:3::1");
	assert_memory_not_equal(a.addr, b.addr, 16);
	a = key6("::1");
	b = key4("0.0.0.1");
	assert_memory_not_equal(a.addr, b.addr, 16);
	{
		struct sockaddr sa;
		memset(&sa, 0x55, sizeof(sa));
		sa.sa_family = AF_UNIX;
		peer_key_from_sockaddr(&sa, &a);
		memset(&b, 0, sizeof(b));
		assert_memory_equal(a.addr, b.addr, 16);
	}
}

static void
entries_come_and_go(void **state)
{
	struct peer_table t;
	struct peer_key k1 = key4("127.0.0.1"), k2 = key4("127.0.0.2");
	struct peer *p1, *p2;

	(void)state;
	peer_table_init(&t, 4096, 42);
	assert_null(peer_table_find(&t, &k1));
	p1 = peer_table_get(&t, &k1);
	assert_non_null(p1);
	assert_ptr_equal(peer_table_get(&t, &k1), p1);	/* one entry per key */
	assert_ptr_equal(peer_table_find(&t, &k1), p1);
	assert_int_equal(p1->conns, 0);
	p2 = peer_table_get(&t, &k2);
	assert_ptr_not_equal(p1, p2);
	assert_int_equal(t.count, 2);
	p1->conns = 1;
	peer_table_release(&t, p1);		/* still connected: kept */
	assert_ptr_equal(peer_table_find(&t, &k1), p1);
	p1->conns = 0;
	p1->held[BODY_CLASS_API] = 10;
	peer_table_release(&t, p1);		/* bytes held: kept */
	assert_int_equal(t.count, 2);
	p1->held[BODY_CLASS_API] = 0;
	peer_table_release(&t, p1);
	assert_null(peer_table_find(&t, &k1));
	assert_int_equal(t.count, 1);
	peer_table_release(&t, p2);
	assert_int_equal(t.count, 0);
	peer_table_free(&t);
}

/* Many peers in few buckets: chains keep every entry findable and removable. */
static void
many_peers(void **state)
{
	struct peer_table t;
	struct peer_key k;
	struct peer *p;
	char addr[32];
	int i;

	(void)state;
	peer_table_init(&t, 1, 7);		/* the smallest table */
	assert_int_equal(t.mask + 1, 64);
	for (i = 0; i < 3000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		k = key4(addr);
		p = peer_table_get(&t, &k);
		p->conns = 1;
	}
	assert_int_equal(t.count, 3000);
	for (i = 0; i < 3000; i += 2) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		k = key4(addr);
		p = peer_table_find(&t, &k);
		assert_non_null(p);
		p->conns = 0;
		peer_table_release(&t, p);
		assert_null(peer_table_find(&t, &k));
	}
	assert_int_equal(t.count, 1500);
	peer_table_free(&t);			/* frees what is left */
	peer_table_init(&t, 1000000, 7);
	assert_int_equal(t.mask + 1, 16384);	/* capped */
	peer_table_free(&t);
}

static void
connection_cap(void **state)
{
	struct peer p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_true(peer_may_connect(&p, 1));
	p.conns = 1;
	assert_false(peer_may_connect(&p, 1));
	p.conns = 2047;
	assert_true(peer_may_connect(&p, 2048));
	p.conns = 2048;
	assert_false(peer_may_connect(&p, 2048));
	p.conns = 0;
	assert_false(peer_may_connect(&p, 0));
}

static void
budget_decisions(void **state)
{
	struct body_budget b = { .limit = 1000, .per_peer = 500, .held = 0 };
	size_t peer = 0;

	(void)state;
	assert_int_equal(body_budget_check(&b, 0, 0), BUDGET_FITS);
	assert_int_equal(body_budget_check(&b, 0, 500), BUDGET_FITS);
	assert_int_equal(body_budget_check(&b, 0, 501), BUDGET_PEER_FULL);
	assert_int_equal(body_budget_check(&b, 0, 1001), BUDGET_WORKER_FULL);
	body_budget_take(&b, &peer, 400);
	assert_int_equal(b.held, 400);
	assert_int_equal(peer, 400);
	assert_int_equal(body_budget_check(&b, peer, 100), BUDGET_FITS);
	assert_int_equal(body_budget_check(&b, peer, 101), BUDGET_PEER_FULL);
	assert_int_equal(body_budget_check(&b, 0, 600), BUDGET_PEER_FULL);
	b.held = 900;				/* other peers hold the rest */
	assert_int_equal(body_budget_check(&b, 0, 100), BUDGET_FITS);
	assert_int_equal(body_budget_check(&b, 0, 101), BUDGET_WORKER_FULL);
	/* no wrap-around however large the ask */
	assert_int_equal(body_budget_check(&b, 0, SIZE_MAX), BUDGET_WORKER_FULL);
	b.held = 400;
	body_budget_give(&b, &peer, 150);
	assert_int_equal(b.held, 250);
	assert_int_equal(peer, 250);
	body_budget_give(&b, &peer, 10000);	/* never below zero */
	assert_int_equal(b.held, 0);
	assert_int_equal(peer, 0);
	/* held above limit (never happens by take, but a check must not wrap) */
	b.held = 2000;
	assert_int_equal(body_budget_check(&b, 0, 0), BUDGET_WORKER_FULL);
	b.held = 0;
	assert_int_equal(body_budget_check(&b, 600, 0), BUDGET_PEER_FULL);
}

static void
shares(void **state)
{
	const size_t mib = 1024 * 1024;

	(void)state;
	assert_int_equal(body_budget_share(256 * mib, 50), 128 * mib);
	assert_int_equal(body_budget_share(256 * mib, 100), 256 * mib);
	assert_int_equal(body_budget_share(100, 1), 1);
	assert_int_equal(body_budget_share(99, 1), 1);		/* at least a byte */
	assert_int_equal(body_budget_share(1000, 33), 330);
	assert_int_equal(body_budget_share(65536 * mib, 99), 65536 * mib / 100 * 99 +
	    65536 * mib % 100 * 99 / 100);
	assert_true(body_budget_share(SIZE_MAX, 99) < SIZE_MAX);	/* no overflow */
}

/*
 * A worker's life in numbers: connections from a handful of peers open,
 * receive bytes in two classes, end their requests and close, in a random
 * order; the table and budgets must agree with a plain model and never pass
 * a limit.
 */
#define NPEERS	5
#define NCONNS	64

struct model_conn {
	bool		 open;
	int		 peer;
	enum body_class	 cls;
	size_t		 held;
	struct peer	*entry;
};

static void
property_random_life(void **state)
{
	struct peer_table t;
	struct body_budget budgets[BODY_CLASSES] = {
		{ .limit = 10000, .per_peer = body_budget_share(10000, 40) },
		{ .limit = 3000, .per_peer = body_budget_share(3000, 40) },
	};
	struct model_conn conns[NCONNS];
	size_t peer_conns[NPEERS], peer_held[NPEERS][BODY_CLASSES];
	struct peer_key keys[NPEERS];
	const long max_per_peer = 20;
	unsigned seed = 12345;
	int step, i, k;
	size_t refused = 0, fits = 0;

	(void)state;
	memset(conns, 0, sizeof(conns));
	memset(peer_conns, 0, sizeof(peer_conns));
	memset(peer_held, 0, sizeof(peer_held));
	for (i = 0; i < NPEERS; i++) {
		char addr[24];
		snprintf(addr, sizeof(addr), "127.0.0.%d", i + 1);
		keys[i] = key4(addr);
	}
	peer_table_init(&t, NCONNS, 99);
	for (step = 0; step < 200000; step++) {
		struct model_conn *c = &conns[rand_r(&seed) % NCONNS];
		int op = rand_r(&seed) % 4;

		if (!c->open) {		/* accept */
			int pi = rand_r(&seed) % NPEERS;
			struct peer *p = peer_table_get(&t, &keys[pi]);
			if (!peer_may_connect(p, max_per_peer)) {
				assert_int_equal(peer_conns[pi], max_per_peer);
				peer_table_release(&t, p);
				continue;
			}
			p->conns++;
			peer_conns[pi]++;
			c->open = true;
			c->peer = pi;
			c->entry = p;
			c->cls = (enum body_class)(rand_r(&seed) % BODY_CLASSES);
			c->held = 0;
		} else if (op < 2) {	/* bytes arrive */
			size_t more = 1 + rand_r(&seed) % 1500;
			struct body_budget *b = &budgets[c->cls];
			enum budget_verdict v = body_budget_check(b, c->entry->held[c->cls], more);
			if (v == BUDGET_FITS) {
				body_budget_take(b, &c->entry->held[c->cls], more);
				peer_held[c->peer][c->cls] += more;
				c->held += more;
				fits++;
			} else {
				/* refused for a reason that is true */
				if (v == BUDGET_WORKER_FULL)
					assert_true(b->held + more > b->limit);
				else
					assert_true(peer_held[c->peer][c->cls] + more >
					    b->per_peer);
				refused++;
				body_budget_give(b, &c->entry->held[c->cls], c->held);
				peer_held[c->peer][c->cls] -= c->held;
				c->held = 0;
			}
		} else if (op == 2) {	/* the request ends */
			body_budget_give(&budgets[c->cls], &c->entry->held[c->cls], c->held);
			peer_held[c->peer][c->cls] -= c->held;
			c->held = 0;
			c->cls = (enum body_class)(rand_r(&seed) % BODY_CLASSES);
		} else {		/* closes */
			body_budget_give(&budgets[c->cls], &c->entry->held[c->cls], c->held);
			peer_held[c->peer][c->cls] -= c->held;
			c->held = 0;
			c->entry->conns--;
			peer_conns[c->peer]--;
			peer_table_release(&t, c->entry);
			c->open = false;
		}
		/* the invariants */
		for (k = 0; k < BODY_CLASSES; k++) {
			size_t sum = 0;
			assert_true(budgets[k].held <= budgets[k].limit);
			for (i = 0; i < NPEERS; i++) {
				struct peer *p = peer_table_find(&t, &keys[i]);
				assert_true(peer_held[i][k] <= budgets[k].per_peer);
				assert_int_equal(p != NULL ? p->held[k] : 0, peer_held[i][k]);
				assert_int_equal(p != NULL ? p->conns : 0, peer_conns[i]);
				assert_true(p == NULL || p->conns > 0);	/* freed with the last */
				sum += peer_held[i][k];
			}
			assert_int_equal(sum, budgets[k].held);
		}
	}
	assert_true(refused > 0 && fits > 0);	/* both paths were walked */
	for (i = 0; i < NCONNS; i++)
		if (conns[i].open) {
			body_budget_give(&budgets[conns[i].cls],
			    &conns[i].entry->held[conns[i].cls], conns[i].held);
			conns[i].entry->conns--;
			peer_table_release(&t, conns[i].entry);
		}
	assert_int_equal(t.count, 0);
	assert_int_equal(budgets[0].held, 0);
	assert_int_equal(budgets[1].held, 0);
	peer_table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys),
		cmocka_unit_test(entries_come_and_go),
		cmocka_unit_test(many_peers),
		cmocka_unit_test(connection_cap),
		cmocka_unit_test(budget_decisions),
		cmocka_unit_test(shares),
		cmocka_unit_test(property_random_life),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
