/*
 * common/pool_choice.h — which member of a pool carries a call (issue 11,
 * API.md "Pools"): the strategies as one pure decision over a pool's shared
 * state, and that state's table.
 *
 * The pool board is what the master maps shared (MAP_SHARED) before it
 * forks the workers, like the accept board, so a pool behaves as one pool
 * whichever worker takes a call. It holds three open-addressing tables,
 * every probe bounded by SHARED_PROBE_MAX:
 *   slots      one per pool, keyed by a 64-bit hash of (scope, scope id),
 *              claimed with a compare-and-swap on the key and never freed:
 *              the round-robin cursor (atomic increments). A board whose
 *              slots are spent (POOL_BOARD_SLOTS pools assigned since the
 *              start) answers NULL: such a pool chooses without a cursor
 *              (first usable member) but keeps its sticky choices,
 *              cool-downs and failover;
 *   sticky     (pool, connection) → member, until the window ends;
 *   cool-down  member (a proxy id hash, for every pool it is in) → until.
 * The last two hold entries that expire: an expired entry's place is taken
 * by the next key that needs one, so they never fill up for good (a
 * neighbourhood of SHARED_PROBE_MAX live entries drops a new one). Fields
 * are written with relaxed atomics: two workers writing at once may lose
 * one entry, never corrupt the table.
 *
 * pool_choose decides from the members' usability (the caller's: present,
 * active, not already tried in this call), the slot and the time:
 *   round-robin  the (cursor mod k)-th of the k usable members not cooling
 *                down: every member in turn, and a member passed over
 *                shares its turns out evenly; failing over (after), the
 *                next usable member after the one that failed;
 *   random       a random start, then the next usable (a peek: the
 *                first usable, since it cannot know the draw);
 *   sticky       the connection's recorded member while its window lasts
 *                and it is usable; else a new choice by the cursor (so
 *                connections spread over the members), recorded;
 *   latency      the first member not yet measured (position order),
 *                else the lowest average connect+handshake latency over
 *                the last 3 h (the latency board, below);
 *   quality      position order: the master orders a quality pool's
 *                members best qualityScore first (NULL = 50) when it builds
 *                the snapshot, and rebuilds it when a sync or a
 *                degradation changes a score.
 * Members in a cool-down are passed over; when every usable member is
 * cooling down, the choice is made among them anyway (the call then tries
 * them rather than being refused unseen; failover bounds the attempts).
 * `take` false peeks (resolve answers): the cursor does not move and no
 * sticky choice is recorded.
 *
 * The latency board is a second shared table of the same kind, keyed by a
 * proxy id's hash: how long each proxy took to carry a new egress to the
 * point the request could be written (DNS, TCP, proxy handshake and auth,
 * TLS), in 12 buckets of 15 minutes, so an average covers the last 2¾–3 h.
 * Workers add a sample per new egress (a reused pooled tunnel measures
 * nothing); the master fills it at start from the outcome rows of the last
 * 3 h (proxy_logs.connect_us), so a restart keeps the measurements. A
 * bucket is claimed for its quarter-hour with a compare-and-swap; a sample
 * racing a bucket's turnover may be lost, never corrupt a neighbour.
 */
#ifndef OMNI_POOL_CHOICE_H
#define OMNI_POOL_CHOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

#define POOL_BOARD_SLOTS	16384	/* ≥ 10 000 pools at a load under 2/3 */
#define POOL_BOARD_ENTRIES_PER_SLOT 4	/* sticky and cool-down entries each */
#define POOL_CHOICE_MAX		1024	/* members considered, in position order */

struct pool_slot {
	uint64_t		 key;		/* pool_key(); 0 = free */
	uint64_t		 cursor;	/* round-robin: calls taken so far */
	uint64_t		 saved_cursor;	/* the master's: last value persisted */
};

/* A sticky choice or a cool-down: key → value until a time. */
struct pool_expiring {
	uint64_t	 key;		/* 0 = free */
	uint64_t	 value;		/* sticky: the member's id hash */
	uint64_t	 until_ms;	/* monotonic; at or before now: expired */
};

struct pool_board {
	uint32_t		 slot_count;
	uint32_t		 entry_count;	/* of the sticky and cool-down tables */
	/* slot_count slots, then the sticky table, then the cool-down table */
	struct pool_slot	 slot[];
};

/*
 * The index of key's slot in a shared table of count slots of stride bytes
 * whose first field is a uint64_t key (0 = free): found, or claimed when
 * create. -1: absent, or not within SHARED_PROBE_MAX slots of its home
 * (the table is too full there: a lookup stays short whatever the load).
 * Keys are never freed.
 */
#define SHARED_PROBE_MAX	64
long		 shared_slot_index(void *slots, size_t stride, size_t count,
		    uint64_t key, bool create);
/* Bytes to map for a board of slot_count slots (and its tables). */
size_t		 pool_board_size(size_t slot_count);
/* Prepare memory of pool_board_size(slot_count) bytes: zeroed, sized. */
void		 pool_board_init(struct pool_board *b, size_t slot_count);
/* Size zeroed memory (a fresh anonymous map) without touching its pages. */
void		 pool_board_set_sizes(struct pool_board *b, size_t slot_count);
/* FNV-1a of s (never 0); ids and connection ids are keyed by it. */
uint64_t	 pool_id_hash(const char *s);
/* The key of a scope's pool (never 0). */
uint64_t	 pool_key(enum scope scope, const char *scope_id);
/* The scope's slot; create: claim a free one if absent. NULL: none (full). */
struct pool_slot *pool_board_slot(struct pool_board *b, enum scope scope,
		    const char *scope_id, bool create);
/* The same by the pool's key (snap_assignment.key, pool_key()). */
struct pool_slot *pool_board_slot_by_key(struct pool_board *b, uint64_t key,
		    bool create);

#define LATENCY_BOARD_SLOTS	131072	/* 100 000 proxies at a load < 0.8 */
#define LATENCY_BUCKETS		12
#define LATENCY_BUCKET_SECONDS	900	/* 12 × 15 min: the 3 h window */

struct latency_bucket {
	uint32_t	 quarter;	/* unix time / LATENCY_BUCKET_SECONDS */
	uint32_t	 samples;
	uint64_t	 sum_us;
};

struct latency_slot {
	uint64_t		 key;		/* pool_id_hash(proxy id); 0 = free */
	struct latency_bucket	 bucket[LATENCY_BUCKETS];
};

struct latency_board {
	uint32_t		 slot_count;
	struct latency_slot	 slot[];
};

struct pool_choice {
	enum pool_strategy strategy;
	uint64_t	 pool;		/* its key (sticky choices are per pool) */
	unsigned	 sticky_window_minutes;
	size_t		 count;		/* members, at most POOL_CHOICE_MAX */
	const uint64_t	*member;	/* pool_id_hash of each member's proxy id */
	const bool	*usable;	/* present, active, not tried in this call */
	const int64_t	*latency_us;	/* latency: each member's average; -1 unmeasured */
	uint64_t	 connection;	/* pool_id_hash of the connection id; 0: none */
	uint64_t	 after;		/* failing over from this member (hash); 0: none */
	uint64_t	 random;	/* any random value (strategy random) */
	uint64_t	 now_ms;	/* monotonic */
	bool		 take;		/* a call takes it: move the cursor, record */
};

/* The chosen member's index, or -1 when none is usable. board and slot
 * may be NULL (no shared state, no cursor). */
long		 pool_choose(struct pool_board *board, struct pool_slot *slot,
		    const struct pool_choice *in);
/* Whether member (a proxy id hash) is cooling down at now_ms. */
bool		 pool_cooling(const struct pool_board *board, uint64_t member,
		    uint64_t now_ms);
/* Pass member over, in every pool, until until_ms. */
void		 pool_cool_down(struct pool_board *board, uint64_t member,
		    uint64_t now_ms, uint64_t until_ms);

size_t		 latency_board_size(size_t slot_count);
void		 latency_board_init(struct latency_board *b, size_t slot_count);
/* Add `samples` egresses through the proxy (hash of its id) whose setup
 * took sum_us in all, at unix time at_s. Samples older than the window,
 * or older than their bucket's quarter, are dropped. */
void		 latency_record(struct latency_board *b, uint64_t proxy,
		    uint64_t sum_us, uint32_t samples, int64_t at_s);
/* The proxy's average setup time over the window ending at now_s, in
 * microseconds; -1 when it has no sample in the window. */
int64_t		 latency_average(const struct latency_board *b, uint64_t proxy,
		    int64_t now_s);

#endif
