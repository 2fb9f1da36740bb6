/*
 * common/pool_choice.c — pool member choice over the shared pool board.
 * See pool_choice.h for the strategies and the table.
 */
#include <string.h>

#include "pool_choice.h"
#include "util.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

size_t
pool_board_size(size_t slot_count)
{
	return sizeof(struct pool_board) + slot_count * sizeof(struct pool_slot) +
	    2 * slot_count * POOL_BOARD_ENTRIES_PER_SLOT * sizeof(struct pool_expiring);
}

void
pool_board_set_sizes(struct pool_board *b, size_t slot_count)
{
	b->slot_count = (uint32_t)slot_count;
	b->entry_count = (uint32_t)(slot_count * POOL_BOARD_ENTRIES_PER_SLOT);
}

void
pool_board_init(struct pool_board *b, size_t slot_count)
{
	memset(b, 0, pool_board_size(slot_count));
	pool_board_set_sizes(b, slot_count);
}

/* The sticky table, and the cool-down table right after it. */
static struct pool_expiring *
sticky_table(const struct pool_board *b)
{
	return (struct pool_expiring *)(void *)&((struct pool_board *)(uintptr_t)b)->
	    slot[b->slot_count];
}

static struct pool_expiring *
cool_table(const struct pool_board *b)
{
	return sticky_table(b) + b->entry_count;
}

uint64_t
pool_id_hash(const char *s)
{
	uint64_t h = fnv1a64(FNV1A64_OFFSET, s);

	return h != 0 ? h : 1;
}

uint64_t
pool_key(enum scope scope, const char *scope_id)
{
	uint64_t h = pool_id_hash(scope_id != NULL ? scope_id : "");

	/* the scope mixed in after the id, so ("a", account) ≠ ("a", provider) */
	h ^= (uint64_t)scope + 1;
	h *= FNV1A64_PRIME;
	return h != 0 ? h : 1;
}

long
shared_slot_index(void *slots, size_t stride, size_t count, uint64_t key, bool create)
{
	size_t i;

	if (slots == NULL || count == 0)
		return -1;
	for (i = 0; i < count && i < SHARED_PROBE_MAX; i++) {
		size_t k = (key + i) % count;
		uint64_t *slot_key = (uint64_t *)(void *)((char *)slots + k * stride);
		uint64_t have = __atomic_load_n(slot_key, __ATOMIC_ACQUIRE);
		uint64_t expected = 0;

		if (have == key)
			return (long)k;
		if (have != 0)
			continue;
		if (!create)
			return -1;	/* keys are never freed: the probe ends here */
		if (__atomic_compare_exchange_n(slot_key, &expected, key, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || expected == key)
			return (long)k;
	}
	return -1;
}

struct pool_slot *
pool_board_slot_by_key(struct pool_board *b, uint64_t key, bool create)
{
	long k;

	if (b == NULL)
		return NULL;
	k = shared_slot_index(b->slot, sizeof(b->slot[0]), b->slot_count, key, create);
	return k >= 0 ? &b->slot[k] : NULL;
}

struct pool_slot *
pool_board_slot(struct pool_board *b, enum scope scope, const char *scope_id,
    bool create)
{
	return pool_board_slot_by_key(b, pool_key(scope, scope_id), create);
}

/* ---- the expiring tables ------------------------------------------------ */

/* key's live entry (until after now_ms), or NULL. */
static struct pool_expiring *
expiring_find(struct pool_expiring *table, size_t count, uint64_t key, uint64_t now_ms)
{
	size_t i;

	if (table == NULL || count == 0 || key == 0)
		return NULL;
	for (i = 0; i < count && i < SHARED_PROBE_MAX; i++) {
		struct pool_expiring *e = &table[(key + i) % count];
		uint64_t have = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);

		if (have == 0)
			return NULL;	/* keys are never cleared: it is not further */
		if (have == key)
			return LOAD(&e->until_ms) > now_ms ? e : NULL;
	}
	return NULL;
}

/*
 * Set key → value until until_ms: its entry if it has one near its home,
 * else the first free or expired entry there, claimed by a compare-and-swap
 * on the key. A neighbourhood full of live entries drops it.
 */
static void
expiring_put(struct pool_expiring *table, size_t count, uint64_t key, uint64_t value,
    uint64_t now_ms, uint64_t until_ms)
{
	struct pool_expiring *room = NULL;
	uint64_t room_key = 0;
	size_t i;

	if (table == NULL || count == 0 || key == 0)
		return;
	for (i = 0; i < count && i < SHARED_PROBE_MAX; i++) {
		struct pool_expiring *e = &table[(key + i) % count];
		uint64_t have = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);

		if (have == key) {
			room = e;
			room_key = key;
			break;
		}
		if (room == NULL && (have == 0 || LOAD(&e->until_ms) <= now_ms)) {
			room = e;
			room_key = have;
		}
		if (have == 0)
			break;
	}
	if (room == NULL)
		return;
	if (room_key != key && !__atomic_compare_exchange_n(&room->key, &room_key, key,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) && room_key != key)
		return;		/* another writer took it first */
	STORE(&room->value, value);
	STORE(&room->until_ms, until_ms);
}

bool
pool_cooling(const struct pool_board *board, uint64_t member, uint64_t now_ms)
{
	return board != NULL && expiring_find(cool_table(board), board->entry_count,
	    member, now_ms) != NULL;
}

void
pool_cool_down(struct pool_board *board, uint64_t member, uint64_t now_ms,
    uint64_t until_ms)
{
	if (board != NULL)
		expiring_put(cool_table(board), board->entry_count, member, 0, now_ms,
		    until_ms);
}

/* A (pool, connection) pair's sticky key (never 0). */
static uint64_t
sticky_key(uint64_t pool, uint64_t connection)
{
	uint64_t h = pool ^ (connection + 0x9e3779b97f4a7c15ULL + (pool << 6) + (pool >> 2));

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

/* ---- the strategies --------------------------------------------------------- */

/* The first member at or after start (cyclically) that is a candidate. */
static long
first_from(const bool *candidate, size_t count, size_t start)
{
	size_t i;

	for (i = 0; i < count; i++) {
		size_t k = (start + i) % count;
		if (candidate[k])
			return (long)k;
	}
	return -1;
}

static long
index_of(const struct pool_choice *in, const bool *candidate, uint64_t member)
{
	size_t i;

	for (i = 0; i < in->count; i++)
		if (candidate[i] && in->member[i] == member)
			return (long)i;
	return -1;
}

/* What a strategy decides from. */
struct choice_state {
	struct pool_board	*board;		/* may be NULL */
	struct pool_slot	*slot;		/* may be NULL */
	const struct pool_choice *in;
	const bool		*candidate;
};

/*
 * The cursor's member among the candidates: the (cursor mod k)-th of the k
 * candidates, so a member passed over (cooling, inactive, tried) shares its
 * turns out evenly instead of handing them all to its successor; with every
 * member a candidate it is the members in order. The cursor moves by one
 * when a call takes it. A call failing over takes the next candidate after
 * the member that failed instead, and leaves the cursor.
 */
static long
by_cursor(const struct choice_state *st)
{
	struct pool_slot *slot = st->slot;
	const struct pool_choice *in = st->in;
	const bool *candidate = st->candidate;
	size_t i, k = 0, turn;
	uint64_t c;

	if (in->after != 0) {
		/* failing over: the next member after the one that failed,
		 * the cursor staying where the call took it */
		for (i = 0; i < in->count; i++)
			if (in->member[i] == in->after)
				return first_from(candidate, in->count, i + 1);
	}
	if (slot == NULL)
		return first_from(candidate, in->count, 0);
	for (i = 0; i < in->count; i++)
		k += candidate[i];
	if (k == 0)
		return -1;
	c = in->take ? __atomic_fetch_add(&slot->cursor, 1, __ATOMIC_RELAXED) :
	    LOAD(&slot->cursor);
	turn = (size_t)(c % k);
	for (i = 0; i < in->count; i++)
		if (candidate[i] && turn-- == 0)
			return (long)i;
	return -1;
}

static long
by_sticky(const struct choice_state *st)
{
	const struct pool_choice *in = st->in;
	struct pool_expiring *e;
	uint64_t key;
	long k;

	if (st->board == NULL || in->connection == 0)
		return by_cursor(st);
	key = sticky_key(in->pool, in->connection);
	e = expiring_find(sticky_table(st->board), st->board->entry_count, key, in->now_ms);
	if (e != NULL && (k = index_of(in, st->candidate, LOAD(&e->value))) >= 0)
		return k;
	/* none yet, expired, or its member is unusable now: choose again */
	k = by_cursor(st);
	if (k >= 0 && in->take)
		expiring_put(sticky_table(st->board), st->board->entry_count, key,
		    in->member[k], in->now_ms, in->now_ms +
		    (uint64_t)in->sticky_window_minutes * 60000u);
	return k;
}

static long
by_random(const struct choice_state *st)
{
	/* a peek cannot know the draw: it names the first usable member */
	return first_from(st->candidate, st->in->count, st->in->take ?
	    (size_t)(st->in->random % st->in->count) : 0);
}

/* quality (members arrive best first) and anything unknown */
static long
by_position(const struct choice_state *st)
{
	return first_from(st->candidate, st->in->count, 0);
}

/* The first unmeasured member, else the lowest average (earliest on a tie). */
static long
by_latency(const struct choice_state *st)
{
	const struct pool_choice *in = st->in;
	const bool *candidate = st->candidate;
	long best = -1;
	size_t i;

	if (in->latency_us == NULL)
		return by_position(st);
	for (i = 0; i < in->count; i++) {
		if (!candidate[i])
			continue;
		if (in->latency_us[i] < 0)
			return (long)i;
		if (best < 0 || in->latency_us[i] < in->latency_us[best])
			best = (long)i;
	}
	return best;
}

static long (*const choosers[POOL_STRATEGY_COUNT])(const struct choice_state *) = {
	[POOL_ROUND_ROBIN] = by_cursor,
	[POOL_RANDOM] = by_random,
	[POOL_STICKY] = by_sticky,
	[POOL_LATENCY] = by_latency,
	[POOL_QUALITY] = by_position,
};

long
pool_choose(struct pool_board *board, struct pool_slot *slot, const struct pool_choice *in)
{
	bool candidate[POOL_CHOICE_MAX];
	size_t i, n = in->count < POOL_CHOICE_MAX ? in->count : POOL_CHOICE_MAX;
	bool any_fresh = false, any = false;
	struct pool_choice bounded = *in;
	struct choice_state st = {
		.board = board, .slot = slot, .in = &bounded, .candidate = candidate,
	};

	if (n == 0)
		return -1;
	bounded.count = n;
	for (i = 0; i < n; i++) {
		candidate[i] = in->usable[i] && !pool_cooling(board, in->member[i], in->now_ms);
		any_fresh |= candidate[i];
		any |= in->usable[i];
	}
	if (!any)
		return -1;
	if (!any_fresh)		/* all cooling: choose among them anyway */
		for (i = 0; i < n; i++)
			candidate[i] = in->usable[i];
	return (in->strategy < POOL_STRATEGY_COUNT ? choosers[in->strategy] :
	    by_position)(&st);
}

/* ---- the latency board ------------------------------------------------------ */

size_t
latency_board_size(size_t slot_count)
{
	return sizeof(struct latency_board) + slot_count * sizeof(struct latency_slot);
}

void
latency_board_init(struct latency_board *b, size_t slot_count)
{
	memset(b, 0, latency_board_size(slot_count));
	b->slot_count = (uint32_t)slot_count;
}

static struct latency_slot *
latency_slot(const struct latency_board *b, uint64_t proxy, bool create)
{
	long k;

	if (b == NULL)
		return NULL;
	k = shared_slot_index((void *)b->slot, sizeof(b->slot[0]), b->slot_count,
	    proxy, create);
	return k >= 0 ? (struct latency_slot *)&b->slot[k] : NULL;
}

void
latency_record(struct latency_board *b, uint64_t proxy, uint64_t sum_us,
    uint32_t samples, int64_t at_s)
{
	struct latency_slot *slot;
	struct latency_bucket *bucket;
	uint32_t quarter, have;

	if (samples == 0 || at_s < 0)
		return;
	quarter = (uint32_t)(at_s / LATENCY_BUCKET_SECONDS);
	if ((slot = latency_slot(b, proxy, true)) == NULL)
		return;
	bucket = &slot->bucket[quarter % LATENCY_BUCKETS];
	have = __atomic_load_n(&bucket->quarter, __ATOMIC_ACQUIRE);
	if (have != quarter) {
		if (have > quarter)
			return;	/* the bucket already holds a later quarter */
		if (!__atomic_compare_exchange_n(&bucket->quarter, &have, quarter,
		    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (have != quarter)
				return;	/* another writer moved it past this one */
		} else {
			STORE(&bucket->samples, 0);
			STORE(&bucket->sum_us, 0);
		}
	}
	__atomic_fetch_add(&bucket->samples, samples, __ATOMIC_RELAXED);
	__atomic_fetch_add(&bucket->sum_us, sum_us, __ATOMIC_RELAXED);
}

int64_t
latency_average(const struct latency_board *b, uint64_t proxy, int64_t now_s)
{
	const struct latency_slot *slot = latency_slot(b, proxy, false);
	uint64_t samples = 0, sum = 0;
	uint32_t quarter;
	size_t i;

	if (slot == NULL || now_s < 0)
		return -1;
	quarter = (uint32_t)(now_s / LATENCY_BUCKET_SECONDS);
	for (i = 0; i < LATENCY_BUCKETS; i++) {
		uint32_t q = LOAD(&slot->bucket[i].quarter);
		if (q > quarter || quarter - q >= LATENCY_BUCKETS)
			continue;
		samples += LOAD(&slot->bucket[i].samples);
		sum += LOAD(&slot->bucket[i].sum_us);
	}
	return samples > 0 ? (int64_t)(sum / samples) : -1;
}
