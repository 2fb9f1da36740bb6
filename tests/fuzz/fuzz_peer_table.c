/*
 * tests/fuzz/fuzz_peer_table.c — libFuzzer target for a worker's per-client
 * table and body budgets (common/peer_table.c). The input is a script, three
 * bytes a step: what happens (a connection from some address opens, bytes
 * arrive on one, its request ends, it closes) and on which connection, from
 * which address (IPv4, IPv4-mapped IPv6, or IPv6 with varying low bits, so
 * /64 keys collide on purpose) and how many bytes. A plain model keeps the
 * same counts. Any broken promise aborts:
 *   - no budget, no peer's share and no peer's connection cap is ever
 *     exceeded, and a refusal names a reason that is true;
 *   - the table's entry for each address has the model's counts, and there
 *     is an entry exactly while the address has a connection open;
 *   - once everything closes the table is empty and the budgets are zero.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I common tests/fuzz/fuzz_peer_table.c common/peer_table.c \
 *     common/util.c -lcrypto -ljson-c -o fuzz_peer_table
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer_table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ADDRS		8	/* distinct addresses the script may use */
#define CONNS		16
#define MAX_PER_PEER	3

struct conn {
	bool		 open;
	int		 addr;		/* index into the addresses */
	enum body_class	 cls;
	size_t		 held;
	struct peer	*entry;
};

static void
check(bool condition)
{
	if (!condition)
		abort();
}

/*
 * Address i: 0-2 IPv4 127.0.0.(1+i), 3 the IPv4-mapped twin of 0, 4-7 IPv6
 * in two /64s (4 and 5 share one, 6 and 7 the other).
 */
static void
address(int i, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (i < 3) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)i);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		if (i == 3) {
			in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
			in6->sin6_addr.s6_addr[12] = 127;
			in6->sin6_addr.s6_addr[15] = 1;
		} else {
			in6->sin6_addr.s6_addr[0] = 0x20;
			in6->sin6_addr.s6_addr[1] = 0x01;
			in6->sin6_addr.s6_addr[7] = (uint8_t)(i < 6 ? 1 : 2);
			in6->sin6_addr.s6_addr[15] = (uint8_t)i;	/* low bits differ */
		}
	}
}

/* Which peer (model index) an address is: 3 is 0; 5 is 4; 7 is 6. */
static int
peer_of(int addr)
{
	static const int peer[ADDRS] = { 0, 1, 2, 0, 4, 4, 6, 6 };
	return peer[addr];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_table t;
	struct body_budget budgets[BODY_CLASSES] = {
		{ .limit = 4000, .per_peer = body_budget_share(4000, 60), .held = 0 },
		{ .limit = 1000, .per_peer = body_budget_share(1000, 50), .held = 0 },
	};
	struct conn conns[CONNS];
	size_t peer_conns[ADDRS], peer_held[ADDRS][BODY_CLASSES];
	struct peer_key keys[ADDRS];
	size_t i, k;
	int a;

	memset(conns, 0, sizeof(conns));
	memset(peer_conns, 0, sizeof(peer_conns));
	memset(peer_held, 0, sizeof(peer_held));
	for (a = 0; a < ADDRS; a++) {
		struct sockaddr_storage ss;
		address(a, &ss);
		peer_key_from_sockaddr((struct sockaddr *)&ss, &keys[a]);
	}
	peer_table_init(&t, size, size > 0 ? data[0] : 0);
	for (i = 0; i + 3 <= size; i += 3) {
		uint8_t op = data[i] & 3;
		struct conn *c = &conns[data[i + 1] % CONNS];
		size_t n = (size_t)data[i + 2] * 8;

		if (!c->open) {			/* a connection opens */
			struct sockaddr_storage ss;
			struct peer_key key;
			struct peer *p;
			int addr = (data[i] >> 2) % ADDRS;

			address(addr, &ss);
			peer_key_from_sockaddr((struct sockaddr *)&ss, &key);
			p = peer_table_get(&t, &key);
			if (!peer_may_connect(p, MAX_PER_PEER)) {
				check(peer_conns[peer_of(addr)] == MAX_PER_PEER);
				peer_table_release(&t, p);
				continue;
			}
			p->conns++;
			peer_conns[peer_of(addr)]++;
			c->open = true;
			c->addr = addr;
			c->entry = p;
			c->cls = (enum body_class)((data[i] >> 5) % BODY_CLASSES);
			c->held = 0;
		} else if (op < 2) {		/* n bytes arrive */
			struct body_budget *b = &budgets[c->cls];
			int pi = peer_of(c->addr);
			enum budget_verdict v = body_budget_check(b, c->entry->held[c->cls], n);

			if (v == BUDGET_FITS) {
				body_budget_take(b, &c->entry->held[c->cls], n);
				peer_held[pi][c->cls] += n;
				c->held += n;
			} else {
				check(v == BUDGET_WORKER_FULL ? b->held + n > b->limit :
				    b->held + n <= b->limit &&
				    peer_held[pi][c->cls] + n > b->per_peer);
				body_budget_give(b, &c->entry->held[c->cls], c->held);
				peer_held[pi][c->cls] -= c->held;
				c->held = 0;
			}
		} else {			/* the request ends; op 3: it closes too */
			int pi = peer_of(c->addr);
			body_budget_give(&budgets[c->cls], &c->entry->held[c->cls], c->held);
			peer_held[pi][c->cls] -= c->held;
			c->held = 0;
			c->cls = (enum body_class)(data[i + 2] % BODY_CLASSES);
			if (op == 3) {
				c->entry->conns--;
				peer_conns[pi]--;
				peer_table_release(&t, c->entry);
				c->open = false;
			}
		}
		for (k = 0; k < BODY_CLASSES; k++) {
			size_t sum = 0;
			check(budgets[k].held <= budgets[k].limit);
			for (a = 0; a < ADDRS; a++) {
				struct peer *p = peer_table_find(&t, &keys[a]);
				int pi = peer_of(a);
				check(peer_held[pi][k] <= budgets[k].per_peer);
				check((p != NULL ? p->held[k] : 0) == peer_held[pi][k]);
				check((p != NULL ? p->conns : 0) == peer_conns[pi]);
				check((p != NULL) == (peer_conns[pi] > 0));
				check(peer_conns[pi] <= MAX_PER_PEER);
				if (a == pi)
					sum += peer_held[pi][k];
			}
			check(sum == budgets[k].held);
		}
	}
	for (i = 0; i < CONNS; i++)
		if (conns[i].open) {
			body_budget_give(&budgets[conns[i].cls],
			    &conns[i].entry->held[conns[i].cls], conns[i].held);
			conns[i].entry->conns--;
			peer_table_release(&t, conns[i].entry);
		}
	check(t.count == 0);
	check(budgets[0].held == 0 && budgets[1].held == 0);
	peer_table_free(&t);
	return 0;
}
