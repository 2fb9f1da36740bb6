/*
 * tests/unit/test_health_series.c — common/health_series.c: which column of
 * a proxy's health series an outcome row counts in (every stage the workers
 * record, by status), and where the buckets of a window start (whole
 * multiples of the bucket size, the last one holding now, rounded up when
 * the window does not divide).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "health_series.h"

static const char *
column(const char *status, const char *stage)
{
	return health_column_names[health_column_of(status, stage)];
}

static void
test_success_and_timeout_whatever_the_stage(void **state)
{
	(void)state;
	assert_string_equal(column("success", "done"), "ok");
	assert_string_equal(column("success", NULL), "ok");
	assert_string_equal(column("timeout", "connect"), "timeout");
	assert_string_equal(column("timeout", "response"), "timeout");
	assert_string_equal(column("timeout", NULL), "timeout");
}

static void
test_errors_by_recorded_stage(void **state)
{
	static const char *const cases[][2] = {
		{ "dns", "dns" },
		{ "connect", "connect" },
		{ "proxy_tls", "tls" },
		{ "proxy_handshake", "handshake" },
		{ "tls", "tls" },
		{ "response", "http" },
		{ "body", "http" },
		{ "done", "http" },
		{ "request", "other" },
		{ "route", "other" },
		{ "resolve", "other" },
		{ "?", "other" },
		{ "", "other" },
		{ "CONNECT", "other" },		/* the workers' names exactly */
		{ "connect ", "other" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(column("error", cases[i][0]), cases[i][1]);
	assert_string_equal(column("error", NULL), "other");
	/* an unknown status is an error, by its stage */
	assert_string_equal(column("weird", "dns"), "dns");
	assert_string_equal(column(NULL, "connect"), "connect");
}

static void
test_column_names_are_the_api_words(void **state)
{
	static const char *const words[HEALTH_COLUMN_COUNT] = {
		"ok", "dns", "connect", "handshake", "tls", "http", "timeout", "other",
	};
	int c;

	(void)state;
	for (c = 0; c < HEALTH_COLUMN_COUNT; c++)
		assert_string_equal(health_column_names[c], words[c]);
}

static void
test_window_of_hourly_buckets(void **state)
{
	int64_t first, size;
	/* 2026-12-06T01:19:53Z */
	int64_t now = 1796519993;

	(void)state;
	health_series_window(now, 24, 24, &first, &size);
	assert_int_equal(size, 3600);
	assert_int_equal(first % 3600, 0);
	/* the last bucket holds now */
	assert_true(first + 23 * size <= now && now < first + 24 * size);
	assert_int_equal((now - first) / size, 23);
	/* a row 24 h ago is in the first bucket or just before it */
	assert_true(now - 24 * 3600 < first + size);
}

static void
test_window_rounds_up_and_aligns(void **state)
{
	int64_t first, size;

	(void)state;
	/* 7 days in 24 buckets: 7 h each */
	health_series_window(1000000, 168, 24, &first, &size);
	assert_int_equal(size, 7 * 3600);
	assert_int_equal(first % size, 0);
	assert_int_equal((1000000 - first) / size, 23);
	/* 1 h in 7 buckets: 3600 / 7 rounded up */
	health_series_window(1000000, 1, 7, &first, &size);
	assert_int_equal(size, 515);
	assert_true(size * 7 >= 3600);
	assert_int_equal((1000000 - first) / size, 6);
	/* now exactly on a boundary starts the last bucket */
	health_series_window(7200, 2, 2, &first, &size);
	assert_int_equal(size, 3600);
	assert_int_equal(first, 3600);
	/* one bucket */
	health_series_window(5000, 1, 1, &first, &size);
	assert_int_equal(size, 3600);
	assert_int_equal(first, 3600);
}

static void
test_window_guards_nonsense(void **state)
{
	int64_t first, size;

	(void)state;
	health_series_window(10000, 0, 0, &first, &size);
	assert_int_equal(size, 3600);
	assert_int_equal(first, 7200);
	health_series_window(10000, 720, HEALTH_BUCKETS_MAX, &first, &size);
	assert_int_equal(size, 720 * 3600 / HEALTH_BUCKETS_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_and_timeout_whatever_the_stage),
		cmocka_unit_test(test_errors_by_recorded_stage),
		cmocka_unit_test(test_column_names_are_the_api_words),
		cmocka_unit_test(test_window_of_hourly_buckets),
		cmocka_unit_test(test_window_rounds_up_and_aligns),
		cmocka_unit_test(test_window_guards_nonsense),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
