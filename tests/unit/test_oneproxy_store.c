/*
 * tests/unit/test_oneproxy_store.c — the 1proxy store (master/oneproxy_store.c)
 * against a real SQLite file: upserts and the max, the revive rule after a
 * traffic degradation, degradation steps and the inactive line, sequential
 * rotation walking every row and wrapping, removal with assignments (manual
 * rows untouched), and the sync status surviving a reopen of the database.
 * Every row is on loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "log.h"
#include "master.h"
#include "master_fixture.h"
#include "oneproxy_store.h"
#include "proxy_store.h"

static struct oneproxy_row
row(const char *host, int port, int quality, const char *validated)
{
	struct oneproxy_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "%s", host);
	r.port = (uint16_t)port;
	r.type = PROXY_TYPE_HTTP;
	snprintf(r.country_code, sizeof(r.country_code), "US");
	r.quality_score = quality;
	r.latency_ms = 100;
	r.google_access = 1;
	if (validated != NULL) {
		snprintf(r.last_validated, sizeof(r.last_validated), "%s", validated);
		r.last_validated_epoch = rfc3339_utc_seconds(validated);
	}
	return r;
}

static long long
count(const char *sql)
{
	return db_count(M.db, sql, NULL);
}

static const char *
text_of(const char *sql)
{
	static char out[128];
	sqlite3_stmt *st = db_prepare(M.db, sql);

	out[0] = '\0';
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s", db_col_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void
test_upsert_and_max(void **state)
{
	struct oneproxy_row rows[3] = {
		row("127.0.0.2", 8080, 90, "2026-05-20T12:00:00.000Z"),
		row("127.0.0.3", 8080, 70, NULL),
		row("127.0.0.4", 8080, 60, NULL),
	};
	struct oneproxy_upsert_counts c = { 0, 0, 0 };
	long long room = 2;

	(void)state;
	assert_int_equal(oneproxy_upsert_rows(&M, rows, 3, &room, &c), 0);
	assert_int_equal(c.added, 2);
	assert_int_equal(room, 0);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry WHERE source = 'oneproxy'"), 2);
	assert_string_equal(text_of("SELECT name FROM proxy_registry WHERE host = '127.0.0.2'"),
	    "HTTP - US - 127.0.0.2");
	/* again: the same rows update, the third is added */
	room = 10;
	memset(&c, 0, sizeof(c));
	rows[0].quality_score = 95;
	assert_int_equal(oneproxy_upsert_rows(&M, rows, 3, &room, &c), 0);
	assert_int_equal(c.added, 1);
	assert_int_equal(c.updated, 2);
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE host = '127.0.0.2'"), 95);
	/* a manual row with the same host and port is a different row */
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry"), 3);
}

static void
test_degrade_and_revive(void **state)
{
	struct oneproxy_row r = row("127.0.0.9", 3128, 30, "2026-01-01T00:00:00.000Z");
	struct oneproxy_upsert_counts c = { 0, 0, 0 };
	char id[64];
	long long room = 10;

	(void)state;
	assert_int_equal(oneproxy_upsert_rows(&M, &r, 1, &room, &c), 0);
	snprintf(id, sizeof(id), "%s", text_of("SELECT id FROM proxy_registry WHERE host = '127.0.0.9'"));
	assert_int_equal(oneproxy_degrade(&M, id, 1), 0);	/* 30 → 20 */
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE host = '127.0.0.9'"), 20);
	assert_int_equal(oneproxy_degrade(&M, id, 1), 1);	/* 20 → 10: out */
	assert_string_equal(text_of("SELECT status FROM proxy_registry WHERE host = '127.0.0.9'"),
	    "inactive");
	assert_int_equal(count("SELECT degraded_at IS NOT NULL FROM proxy_registry WHERE host = '127.0.0.9'"), 1);
	assert_int_equal(oneproxy_degrade(&M, id, 5), 0);	/* already out; floor 0 */
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE host = '127.0.0.9'"), 0);
	/* the feed lists it again, validated before the degradation: stays out */
	memset(&c, 0, sizeof(c));
	r.quality_score = 99;
	assert_int_equal(oneproxy_upsert_rows(&M, &r, 1, &room, &c), 0);
	assert_int_equal(c.kept_inactive, 1);
	assert_string_equal(text_of("SELECT status FROM proxy_registry WHERE host = '127.0.0.9'"),
	    "inactive");
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE host = '127.0.0.9'"), 0);
	/* validated after it: revived with the feed's score */
	memset(&c, 0, sizeof(c));
	r = row("127.0.0.9", 3128, 99, "2999-01-01T00:00:00Z");
	assert_int_equal(oneproxy_upsert_rows(&M, &r, 1, &room, &c), 0);
	assert_int_equal(c.updated, 1);
	assert_string_equal(text_of("SELECT status FROM proxy_registry WHERE host = '127.0.0.9'"),
	    "active");
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE host = '127.0.0.9'"), 99);
	assert_int_equal(count("SELECT degraded_at IS NULL FROM proxy_registry WHERE host = '127.0.0.9'"), 1);
	/* an unscored row counts as 50; a manual row is never degraded */
	assert_int_equal(oneproxy_degrade(&M, "no-such-id", 3), 0);
}

static void
test_sequential_rotation_walks_and_wraps(void **state)
{
	struct oneproxy_filter all = { NULL, NULL, -1, 1000, 0 };
	struct json_object *o, *items;
	long long total, i;
	char first[64];

	(void)state;
	items = oneproxy_list(&M, &all, &total);
	json_object_put(items);
	assert_true(total >= 3);
	o = oneproxy_rotate(&M, ONEPROXY_ROTATE_SEQUENTIAL);
	assert_non_null(o);
	snprintf(first, sizeof(first), "%s", json_object_get_string(json_object_object_get(o, "id")));
	json_object_put(o);
	for (i = 1; i < total; i++) {
		o = oneproxy_rotate(&M, ONEPROXY_ROTATE_SEQUENTIAL);
		assert_non_null(o);
		assert_string_not_equal(json_object_get_string(json_object_object_get(o, "id")), first);
		json_object_put(o);
	}
	o = oneproxy_rotate(&M, ONEPROXY_ROTATE_SEQUENTIAL);	/* wrapped */
	assert_string_equal(json_object_get_string(json_object_object_get(o, "id")), first);
	json_object_put(o);
}

static void
test_delete_takes_assignments_keeps_manual(void **state)
{
	char id[64], stamp[ISO_TIME_LEN], sql[512];
	long long deleted;

	(void)state;
	iso_time_now(stamp, sizeof(stamp));
	snprintf(id, sizeof(id), "%s", text_of("SELECT id FROM proxy_registry WHERE host = '127.0.0.2'"));
	snprintf(sql, sizeof(sql), "INSERT INTO proxy_assignments (proxy_id, scope, scope_id, "
	    "created_at, updated_at) VALUES ('%s', 'global', '__global__', '%s', '%s'); "
	    "INSERT INTO proxy_registry (id, name, type, host, port, created_at, updated_at) "
	    "VALUES ('manual-1', 'mine', 'http', '127.0.0.2', 8080, '%s', '%s')",
	    id, stamp, stamp, stamp, stamp);
	assert_int_equal(sqlite3_exec(M.db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(oneproxy_delete(&M, "manual-1", &deleted), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(oneproxy_delete(&M, id, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_assignments"), 0);
	assert_int_equal(oneproxy_delete(&M, NULL, &deleted), 0);
	assert_true(deleted >= 2);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry WHERE source = 'oneproxy'"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry WHERE id = 'manual-1'"), 1);
	assert_null(oneproxy_rotate(&M, ONEPROXY_ROTATE_QUALITY));
}

static void
test_status_survives_reopen(void **state)
{
	struct oneproxy_status s, back;
	struct json_object *o;
	char err[256];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.ever_ran = true;
	s.last_success = false;
	snprintf(s.last_error, sizeof(s.last_error), "1proxy API returned 503");
	snprintf(s.last_at, sizeof(s.last_at), "2026-12-05T10:00:00.000Z");
	s.last_count = 7;
	s.consecutive_failures = 5;
	assert_int_equal(oneproxy_status_save(&M, &s), 0);
	sqlite3_close(M.db);
	assert_int_equal(db_open(master_fixture_db, &M.db, err, sizeof(err)), 0);
	assert_int_equal(oneproxy_status_load(&M, &back), 0);
	assert_true(back.ever_ran);
	assert_string_equal(back.last_error, "1proxy API returned 503");
	assert_int_equal(back.last_count, 7);
	assert_int_equal(back.consecutive_failures, 5);
	o = oneproxy_status_json(&back);
	assert_true(json_object_get_boolean(json_object_object_get(o, "circuitOpen")));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upsert_and_max),
		cmocka_unit_test(test_degrade_and_revive),
		cmocka_unit_test(test_sequential_rotation_walks_and_wraps),
		cmocka_unit_test(test_delete_takes_assignments_keeps_manual),
		cmocka_unit_test(test_status_survives_reopen),
	};

	return cmocka_run_group_tests(tests, master_fixture_setup, master_fixture_teardown);
}
