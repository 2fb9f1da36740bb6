/*
 * tests/unit/test_pool_choice.c — tests of pool member choice
 * (common/pool_choice.c): the board's slots by (scope, scope id), round-robin
 * order and passing over unusable and cooling members, peeking without
 * moving the cursor, random, sticky per connection (kept, spread, expiring,
 * re-chosen when its member dies), latency (unmeasured first, then the
 * lowest average, passing over cooling members), quality in position order,
 * the all-cooling fallback, and the latency board's 3 h window of
 * quarter-hour buckets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pool_choice.h"

#define BOARD_SLOTS	8

static struct pool_board *board;
static uint64_t member[3];
static bool usable[3] = { true, true, true };

static int
setup(void **state)
{
	(void)state;
	board = calloc(1, pool_board_size(BOARD_SLOTS));
	pool_board_init(board, BOARD_SLOTS);
	member[0] = pool_id_hash("p-a");
	member[1] = pool_id_hash("p-b");
	member[2] = pool_id_hash("p-c");
	usable[0] = usable[1] = usable[2] = true;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(board);
	return 0;
}

static struct pool_choice
choice(enum pool_strategy strategy, const char *connection, uint64_t now_ms)
{
	struct pool_choice in = {
		.strategy = strategy,
		.pool = pool_key(SCOPE_PROVIDER, "openai"),
		.sticky_window_minutes = 1,
		.count = 3,
		.member = member,
		.usable = usable,
		.connection = connection != NULL ? pool_id_hash(connection) : 0,
		.now_ms = now_ms,
		.take = true,
	};
	return in;
}

static void
test_board_slots(void **state)
{
	struct pool_slot *a, *b;

	(void)state;
	assert_null(pool_board_slot(board, SCOPE_PROVIDER, "openai", false));
	a = pool_board_slot(board, SCOPE_PROVIDER, "openai", true);
	assert_non_null(a);
	assert_ptr_equal(pool_board_slot(board, SCOPE_PROVIDER, "openai", false), a);
	b = pool_board_slot(board, SCOPE_ACCOUNT, "openai", true);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_not_equal(pool_key(SCOPE_PROVIDER, "x"), pool_key(SCOPE_ACCOUNT, "x"));
	assert_null(pool_board_slot(NULL, SCOPE_GLOBAL, "global", true));
}

static void
test_board_full(void **state)
{
	char id[32];
	int i;

	(void)state;
	for (i = 0; i < BOARD_SLOTS; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		assert_non_null(pool_board_slot(board, SCOPE_ACCOUNT, id, true));
	}
	assert_null(pool_board_slot(board, SCOPE_ACCOUNT, "one-more", true));
	assert_non_null(pool_board_slot(board, SCOPE_ACCOUNT, "c3", false));
}

static void
test_round_robin_order(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_GLOBAL, "global", true);
	struct pool_choice in = choice(POOL_ROUND_ROBIN, NULL, 1000);
	long want[] = { 0, 1, 2, 0, 1, 2, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(pool_choose(board, s, &in), want[i]);
	assert_int_equal(s->cursor, 7);
}

static void
test_peek_does_not_move(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_GLOBAL, "global", true);
	struct pool_choice in = choice(POOL_ROUND_ROBIN, NULL, 1000);

	(void)state;
	assert_int_equal(pool_choose(board, s, &in), 0);
	in.take = false;
	assert_int_equal(pool_choose(board, s, &in), 1);
	assert_int_equal(pool_choose(board, s, &in), 1);
	in.take = true;
	assert_int_equal(pool_choose(board, s, &in), 1);
}

static void
test_round_robin_passes_over(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_GLOBAL, "global", true);
	struct pool_choice in = choice(POOL_ROUND_ROBIN, NULL, 1000);

	(void)state;
	usable[1] = false;		/* inactive, or tried in this call */
	/* the two left take turns: a passed-over member's turns are shared */
	assert_int_equal(pool_choose(board, s, &in), 0);	/* cursor 0 */
	assert_int_equal(pool_choose(board, s, &in), 2);
	assert_int_equal(pool_choose(board, s, &in), 0);
	assert_int_equal(pool_choose(board, s, &in), 2);
	usable[1] = true;
	pool_cool_down(board, member[0], 0, 2000);
	assert_true(pool_cooling(board, member[0], 1999));
	assert_false(pool_cooling(board, member[0], 2000));
	assert_int_equal(pool_choose(board, s, &in), 1);	/* cursor 4: b, c */
	assert_int_equal(pool_choose(board, s, &in), 2);
	assert_int_equal(pool_choose(board, s, &in), 1);
	in.now_ms = 2000;			/* the cool-down is over */
	assert_int_equal(pool_choose(board, s, &in), 1);	/* cursor 7: a, b, c */
	assert_int_equal(pool_choose(board, s, &in), 2);
	assert_int_equal(pool_choose(board, s, &in), 0);
	/* failing over from c: the next after it (a), the cursor unmoved */
	in.after = member[2];
	usable[2] = false;			/* tried */
	assert_int_equal(pool_choose(board, s, &in), 0);
	in.after = member[0];
	usable[0] = false;
	assert_int_equal(pool_choose(board, s, &in), 1);
	in.after = 0;
	usable[0] = usable[2] = true;
	assert_int_equal(pool_choose(board, s, &in), 1);	/* cursor 10 */
}

static void
test_all_cooling_still_chosen(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_GLOBAL, "global", true);
	struct pool_choice in = choice(POOL_ROUND_ROBIN, NULL, 1000);

	(void)state;
	pool_cool_down(board, member[0], 0, 5000);
	pool_cool_down(board, member[1], 0, 5000);
	pool_cool_down(board, member[2], 0, 5000);
	assert_int_equal(pool_choose(board, s, &in), 0);
	usable[0] = usable[1] = usable[2] = false;
	assert_int_equal(pool_choose(board, s, &in), -1);
}

static void
test_no_slot_position_order(void **state)
{
	struct pool_choice in = choice(POOL_ROUND_ROBIN, NULL, 1000);

	(void)state;
	assert_int_equal(pool_choose(NULL, NULL, &in), 0);
	usable[0] = false;
	assert_int_equal(pool_choose(NULL, NULL, &in), 1);
	in.count = 0;
	assert_int_equal(pool_choose(NULL, NULL, &in), -1);
}

static void
test_random(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_GLOBAL, "global", true);
	struct pool_choice in = choice(POOL_RANDOM, NULL, 1000);

	(void)state;
	in.random = 4;
	assert_int_equal(pool_choose(board, s, &in), 1);
	in.random = 5;
	assert_int_equal(pool_choose(board, s, &in), 2);
	usable[2] = false;
	assert_int_equal(pool_choose(board, s, &in), 0);
	assert_int_equal(s->cursor, 0);
}

static void
test_sticky(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_PROVIDER, "openai", true);
	struct pool_choice a = choice(POOL_STICKY, "conn-a", 1000);
	struct pool_choice b = choice(POOL_STICKY, "conn-b", 1000);
	struct pool_choice c = choice(POOL_STICKY, "conn-c", 1000);

	(void)state;
	assert_int_equal(pool_choose(board, s, &a), 0);
	assert_int_equal(pool_choose(board, s, &b), 1);	/* connections spread */
	assert_int_equal(pool_choose(board, s, &c), 2);
	assert_int_equal(pool_choose(board, s, &a), 0);	/* and keep theirs */
	assert_int_equal(pool_choose(board, s, &b), 1);
	assert_int_equal(pool_choose(board, s, &a), 0);
	/* its member unusable: chosen again, and kept from then on */
	usable[0] = false;
	assert_int_equal(pool_choose(board, s, &a), 2);	/* cursor 3 of b, c */
	usable[0] = true;
	assert_int_equal(pool_choose(board, s, &a), 2);
	/* the window (1 minute) ends: a new choice by the cursor */
	a.now_ms = 1000 + 60000;
	assert_int_equal(pool_choose(board, s, &a), 1);	/* cursor 4 */
	/* a peek records nothing */
	c = choice(POOL_STICKY, "conn-new", 1000);
	c.take = false;
	assert_int_equal(pool_choose(board, s, &c), 2);
	assert_int_equal(pool_choose(board, s, &c), 2);
}

static void
test_sticky_without_connection(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_PROVIDER, "openai", true);
	struct pool_choice in = choice(POOL_STICKY, NULL, 1000);

	(void)state;
	assert_int_equal(pool_choose(board, s, &in), 0);
	assert_int_equal(pool_choose(board, s, &in), 1);
}

static void
test_latency_and_quality(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_GLOBAL, "global", true);
	struct pool_choice in = choice(POOL_LATENCY, NULL, 1000);
	int64_t latency_us[3] = { 900, -1, 300 };

	(void)state;
	/* no measurements given: position order */
	assert_int_equal(pool_choose(board, s, &in), 0);
	in.latency_us = latency_us;
	assert_int_equal(pool_choose(board, s, &in), 1);	/* unmeasured first */
	assert_int_equal(pool_choose(board, s, &in), 1);	/* and again: no cursor */
	latency_us[1] = 500;
	assert_int_equal(pool_choose(board, s, &in), 2);	/* then the lowest */
	latency_us[0] = 300;
	assert_int_equal(pool_choose(board, s, &in), 0);	/* a tie: the earlier */
	pool_cool_down(board, member[0], 0, 5000);
	assert_int_equal(pool_choose(board, s, &in), 2);	/* cooling: passed over */
	usable[2] = false;
	assert_int_equal(pool_choose(board, s, &in), 1);
	/* quality: members arrive best first, the first usable is taken */
	usable[2] = true;
	in.strategy = POOL_QUALITY;
	assert_int_equal(pool_choose(board, s, &in), 1);
}

static void
test_latency_board(void **state)
{
	struct latency_board *b = calloc(1, latency_board_size(4));
	const int64_t t0 = 1800000000;	/* a quarter-hour boundary */
	uint64_t p = pool_id_hash("p-a"), q = pool_id_hash("p-b");
	int i;

	(void)state;
	latency_board_init(b, 4);
	assert_int_equal(latency_average(b, p, t0), -1);
	latency_record(b, p, 3000, 2, t0);		/* 2 samples, 1500 µs each */
	latency_record(b, p, 600, 1, t0 + 60);
	assert_int_equal(latency_average(b, p, t0 + 60), 1200);
	assert_int_equal(latency_average(b, q, t0 + 60), -1);
	assert_int_equal(latency_average(b, p, t0 - 1), -1);	/* all later */
	/* 2 h later: both quarters count */
	latency_record(b, p, 200, 1, t0 + 7200);
	assert_int_equal(latency_average(b, p, t0 + 7200), 950);
	/* 3 h after t0 the first quarter has left the window */
	assert_int_equal(latency_average(b, p, t0 + 3 * 3600), 200);
	/* a bucket reused 3 h on starts afresh; an older sample is dropped */
	latency_record(b, p, 50, 1, t0 + 3 * 3600);
	assert_int_equal(latency_average(b, p, t0 + 3 * 3600), 125);
	latency_record(b, p, 99999, 1, t0 + 10);
	assert_int_equal(latency_average(b, p, t0 + 3 * 3600), 125);
	latency_record(b, p, 5, 0, t0 + 3 * 3600);	/* no sample: nothing */
	assert_int_equal(latency_average(b, p, t0 + 3 * 3600), 125);
	/* a full board measures no more proxies, and keeps the ones it has */
	for (i = 0; i < 10; i++) {
		char id[32];
		snprintf(id, sizeof(id), "x-%d", i);
		latency_record(b, pool_id_hash(id), 10, 1, t0);
	}
	assert_int_equal(latency_average(b, p, t0 + 3 * 3600), 125);
	free(b);
}

static void
test_cool_down_table(void **state)
{
	uint64_t i, n = (uint64_t)board->entry_count;

	(void)state;
	/* every entry of the table can cool a member down at once */
	for (i = 1; i <= n; i++)
		pool_cool_down(board, i, 0, 1000 + i);
	for (i = 1; i <= n; i++)
		assert_true(pool_cooling(board, i, 1000));
	pool_cool_down(board, n + 1, 0, 5000);		/* no room: dropped */
	assert_false(pool_cooling(board, n + 1, 1000));
	pool_cool_down(board, 7, 1000, 9000);		/* renewed in place */
	assert_true(pool_cooling(board, 7, 8999));
	assert_false(pool_cooling(board, 7, 9000));
	/* expired entries make room for new members */
	pool_cool_down(board, n + 1, 2000, 5000);
	assert_true(pool_cooling(board, n + 1, 2000));
	assert_false(pool_cooling(board, 8, 2000));
	assert_false(pool_cooling(NULL, 1, 0));
}

static void
test_sticky_many_connections(void **state)
{
	struct pool_slot *s = pool_board_slot(board, SCOPE_PROVIDER, "openai", true);
	long first[20];
	char id[32];
	int i, used[3] = { 0, 0, 0 };

	(void)state;
	/* more connections than a pool has members, each keeping its own */
	for (i = 0; i < 20; i++) {
		struct pool_choice in;
		snprintf(id, sizeof(id), "conn-%d", i);
		in = choice(POOL_STICKY, id, 1000);
		first[i] = pool_choose(board, s, &in);
		assert_true(first[i] >= 0);
		used[first[i]]++;
	}
	for (i = 0; i < 20; i++) {
		struct pool_choice in;
		snprintf(id, sizeof(id), "conn-%d", i);
		in = choice(POOL_STICKY, id, 2000);
		assert_int_equal(pool_choose(board, s, &in), first[i]);
	}
	/* spread by the cursor: 7, 7 and 6 */
	assert_true(used[0] >= 6 && used[1] >= 6 && used[2] >= 6);
	/* another pool: the same connection chooses afresh there */
	{
		struct pool_slot *t = pool_board_slot(board, SCOPE_GLOBAL, "g", true);
		struct pool_choice in = choice(POOL_STICKY, "conn-1", 2000);
		in.pool = pool_key(SCOPE_GLOBAL, "g");
		assert_int_equal(pool_choose(board, t, &in), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_board_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_board_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peek_does_not_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_passes_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_cooling_still_chosen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_slot_position_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_without_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latency_and_quality, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latency_board, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cool_down_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_many_connections, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
