/*
 * common/pool_choice.c — pool member choice over the shared pool board.
 * See pool_choice.h for the strategies and the table.
 */
#include <string.h>

#include "pool_choice.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

size_t
pool_board_size(size_t slot_count)
{
	return sizeof(struct pool_board) + slot_count * sizeof(struct pool_slot);
}

void
pool_board_init(struct pool_board *b, size_t slot_count)
{
	memset(b, 0, pool_board_size(slot_count));
	b->slot_count = (uint32_t)slot_count;
}

uint64_t
pool_id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h != 0 ? h : 1;
}

uint64_t
pool_key(enum scope scope, const char *scope_id)
{
	uint64_t h = pool_id_hash(scope_id != NULL ? scope_id : "");

	/* the scope mixed in after the id, so ("a", account) ≠ ("a", provider) */
	h ^= (uint64_t)scope + 1;
	h *= 1099511628211ULL;
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

bool
pool_cooling(const struct pool_slot *slot, uint64_t member, uint64_t now_ms)
{
	size_t i;

	if (slot == NULL)
		return false;
	for (i = 0; i < POOL_COOL_ENTRIES; i++)
		if (LOAD(&slot->cool[i].member) == member &&
		    LOAD(&slot->cool[i].until_ms) > now_ms)
			return true;
	return false;
}

void
pool_cool_down(struct pool_slot *slot, uint64_t member, uint64_t until_ms)
{
	size_t i, pick = 0;

	if (slot == NULL)
		return;
	for (i = 0; i < POOL_COOL_ENTRIES; i++) {
		if (LOAD(&slot->cool[i].member) == member) {
			pick = i;
			break;
		}
		if (LOAD(&slot->cool[i].until_ms) < LOAD(&slot->cool[pick].until_ms))
			pick = i;
	}
	STORE(&slot->cool[pick].member, member);
	STORE(&slot->cool[pick].until_ms, until_ms);
}

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

/* The cursor's member: the cursor moves by one when a call takes it. */
static long
by_cursor(struct pool_slot *slot, const struct pool_choice *in, const bool *candidate)
{
	uint64_t c;

	if (slot == NULL)
		return first_from(candidate, in->count, 0);
	c = in->take ? __atomic_fetch_add(&slot->cursor, 1, __ATOMIC_RELAXED) :
	    LOAD(&slot->cursor);
	return first_from(candidate, in->count, (size_t)(c % in->count));
}

static void
record_sticky(struct pool_slot *slot, const struct pool_choice *in, uint64_t member)
{
	size_t i, pick = 0;

	for (i = 0; i < POOL_STICKY_ENTRIES; i++) {
		if (LOAD(&slot->sticky[i].connection) == in->connection) {
			pick = i;
			break;
		}
		if (LOAD(&slot->sticky[i].until_ms) < LOAD(&slot->sticky[pick].until_ms))
			pick = i;
	}
	STORE(&slot->sticky[pick].connection, in->connection);
	STORE(&slot->sticky[pick].member, member);
	STORE(&slot->sticky[pick].until_ms, in->now_ms +
	    (uint64_t)in->sticky_window_minutes * 60000u);
}

static long
by_sticky(struct pool_slot *slot, const struct pool_choice *in, const bool *candidate)
{
	long k;
	size_t i;

	if (slot == NULL || in->connection == 0)
		return by_cursor(slot, in, candidate);
	for (i = 0; i < POOL_STICKY_ENTRIES; i++) {
		if (LOAD(&slot->sticky[i].connection) != in->connection ||
		    LOAD(&slot->sticky[i].until_ms) <= in->now_ms)
			continue;
		k = index_of(in, candidate, LOAD(&slot->sticky[i].member));
		if (k >= 0)
			return k;
		break;	/* its member is unusable now: choose again */
	}
	k = by_cursor(slot, in, candidate);
	if (k >= 0 && in->take)
		record_sticky(slot, in, in->member[k]);
	return k;
}

static long
by_random(struct pool_slot *slot, const struct pool_choice *in, const bool *candidate)
{
	(void)slot;
	/* a peek cannot know the draw: it names the first usable member */
	return first_from(candidate, in->count, in->take ?
	    (size_t)(in->random % in->count) : 0);
}

/* quality (members arrive best first) and anything unknown */
static long
by_position(struct pool_slot *slot, const struct pool_choice *in, const bool *candidate)
{
	(void)slot;
	return first_from(candidate, in->count, 0);
}

/* The first unmeasured member, else the lowest average (earliest on a tie). */
static long
by_latency(struct pool_slot *slot, const struct pool_choice *in, const bool *candidate)
{
	long best = -1;
	size_t i;

	if (in->latency_us == NULL)
		return by_position(slot, in, candidate);
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

static long (*const choosers[POOL_STRATEGY_COUNT])(struct pool_slot *,
    const struct pool_choice *, const bool *) = {
	[POOL_ROUND_ROBIN] = by_cursor,
	[POOL_RANDOM] = by_random,
	[POOL_STICKY] = by_sticky,
	[POOL_LATENCY] = by_latency,
	[POOL_QUALITY] = by_position,
};

long
pool_choose(struct pool_slot *slot, const struct pool_choice *in)
{
	bool candidate[POOL_CHOICE_MAX];
	size_t i, n = in->count < POOL_CHOICE_MAX ? in->count : POOL_CHOICE_MAX;
	bool any_fresh = false, any = false;
	struct pool_choice bounded = *in;

	if (n == 0)
		return -1;
	bounded.count = n;
	for (i = 0; i < n; i++) {
		candidate[i] = in->usable[i] && !pool_cooling(slot, in->member[i], in->now_ms);
		any_fresh |= candidate[i];
		any |= in->usable[i];
	}
	if (!any)
		return -1;
	if (!any_fresh)		/* all cooling: choose among them anyway */
		for (i = 0; i < n; i++)
			candidate[i] = in->usable[i];
	return (in->strategy < POOL_STRATEGY_COUNT ? choosers[in->strategy] :
	    by_position)(slot, &bounded, candidate);
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
