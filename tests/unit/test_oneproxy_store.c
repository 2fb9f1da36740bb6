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

/* Each call stands for one sync: its own stamp. */
static int
upsert(struct oneproxy_row *rows, size_t n, long long *room, struct oneproxy_upsert_counts *c)
{
	static int sync_number;
	char stamp[40];

	snprintf(stamp, sizeof(stamp), "2026-12-05T10:00:%02d.000Z", ++sync_number % 60);
	memset(c, 0, sizeof(*c));
	return oneproxy_upsert_rows(&M, rows, n, stamp, room, c);
}

static const char *
at(const char *host, const char *column)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT COALESCE(%s, 'NULL') FROM proxy_registry "
	    "WHERE source = 'oneproxy' AND host = '%s'", column, host);
	return text_of(sql);
}

static void
test_upsert_max_and_duplicates(void **state)
{
	struct oneproxy_row rows[4] = {
		row("127.0.0.2", 8080, 90, "2026-05-20T12:00:00.000Z"),
		row("127.0.0.2", 8080, 90, "2026-05-20T12:00:00.000Z"),	/* again */
		row("127.0.0.3", 8080, 70, NULL),
		row("127.0.0.4", 8080, 60, NULL),	/* past the max */
	};
	struct oneproxy_upsert_counts c;
	char stamp[ISO_TIME_LEN], sql[400];
	long long room = 2;

	(void)state;
	/* a manual row with the same host and port is another row, never touched */
	iso_time_now(stamp, sizeof(stamp));
	snprintf(sql, sizeof(sql), "INSERT INTO proxy_registry (id, name, type, host, port, "
	    "quality_score, created_at, updated_at) VALUES ('manual-2', 'mine-2', 'http', "
	    "'127.0.0.2', 8080, 5, '%s', '%s')", stamp, stamp);
	assert_int_equal(sqlite3_exec(M.db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(upsert(rows, 4, &room, &c), 0);
	assert_int_equal(c.added, 2);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.over_max, 1);
	assert_int_equal(room, 0);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry WHERE source = 'oneproxy'"), 2);
	assert_string_equal(at("127.0.0.2", "name"), "HTTP - US - 127.0.0.2");
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE id = 'manual-2'"), 5);
	/* the next sync: the same rows update, the last is added */
	room = 10;
	rows[0].quality_score = 95;
	assert_int_equal(upsert(rows, 4, &room, &c), 0);
	assert_int_equal(c.added, 1);
	assert_int_equal(c.updated, 2);
	assert_int_equal(c.duplicates, 1);
	assert_string_equal(at("127.0.0.2", "quality_score"), "95");
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE id = 'manual-2'"), 5);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry"), 4);
}

static void
test_degrade_and_revive(void **state)
{
	struct oneproxy_row r = row("127.0.0.9", 3128, 30, "2026-01-01T00:00:00.000Z");
	struct oneproxy_row unscored = row("127.0.0.8", 3128, -1, NULL);
	struct oneproxy_upsert_counts c;
	char id[64];
	long long room = 10;

	(void)state;
	assert_int_equal(upsert(&r, 1, &room, &c), 0);
	snprintf(id, sizeof(id), "%s", at("127.0.0.9", "id"));
	assert_int_equal(oneproxy_degrade(&M, id, 1), ONEPROXY_DEGRADED_SCORE);	/* 30 → 20 */
	assert_string_equal(at("127.0.0.9", "quality_score"), "20");
	assert_string_not_equal(at("127.0.0.9", "last_failure_at"), "NULL");
	/* a sync whose validation is older than the failure keeps the penalty */
	r.quality_score = 80;
	assert_int_equal(upsert(&r, 1, &room, &c), 0);
	assert_int_equal(c.updated, 1);
	assert_string_equal(at("127.0.0.9", "quality_score"), "20");
	/* ... and a lower score of the feed's is taken */
	r.quality_score = 15;
	assert_int_equal(upsert(&r, 1, &room, &c), 0);
	assert_string_equal(at("127.0.0.9", "quality_score"), "15");
	assert_int_equal(oneproxy_degrade(&M, id, 1), ONEPROXY_DEGRADED_OUT);	/* 15 → 5: out */
	assert_string_equal(at("127.0.0.9", "status"), "inactive");
	assert_string_not_equal(at("127.0.0.9", "degraded_at"), "NULL");
	assert_int_equal(oneproxy_degrade(&M, id, 5), ONEPROXY_DEGRADED_SCORE);	/* already out; floor 0 */
	assert_string_equal(at("127.0.0.9", "quality_score"), "0");
	/* listed again, validated before the failures: stays out, score kept */
	r.quality_score = 99;
	assert_int_equal(upsert(&r, 1, &room, &c), 0);
	assert_int_equal(c.kept_inactive, 1);
	assert_string_equal(at("127.0.0.9", "status"), "inactive");
	assert_string_equal(at("127.0.0.9", "quality_score"), "0");
	/* validated after them: revived with the feed's score */
	r = row("127.0.0.9", 3128, 99, "2999-01-01T00:00:00Z");
	assert_int_equal(upsert(&r, 1, &room, &c), 0);
	assert_int_equal(c.updated, 1);
	assert_string_equal(at("127.0.0.9", "status"), "active");
	assert_string_equal(at("127.0.0.9", "quality_score"), "99");
	assert_string_equal(at("127.0.0.9", "degraded_at"), "NULL");
	/* an unscored row counts as 50 */
	assert_int_equal(upsert(&unscored, 1, &room, &c), 0);
	snprintf(id, sizeof(id), "%s", at("127.0.0.8", "id"));
	assert_int_equal(oneproxy_degrade(&M, id, 1), ONEPROXY_DEGRADED_SCORE);
	assert_string_equal(at("127.0.0.8", "quality_score"), "40");
	/* a manual row, or no row, is never degraded */
	assert_int_equal(oneproxy_degrade(&M, "manual-2", 3), ONEPROXY_DEGRADED_NONE);
	assert_int_equal(count("SELECT quality_score FROM proxy_registry WHERE id = 'manual-2'"), 5);
	assert_int_equal(oneproxy_degrade(&M, "no-such-id", 3), ONEPROXY_DEGRADED_NONE);
}

static void
test_sequential_rotation_walks_and_wraps(void **state)
{
	struct oneproxy_filter all = { NULL, NULL, -1, 1000, 0 };
	struct json_object *o, *items;
	long long total, i, j;
	char seen[16][64];

	(void)state;
	/* one active row has no validation time (the cursor's NULL case) */
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_registry WHERE source = 'oneproxy' "
	    "AND status = 'active' AND last_validated IS NULL"), 0);
	assert_int_equal(sqlite3_exec(M.db, "UPDATE proxy_registry SET last_validated = NULL "
	    "WHERE host = '127.0.0.3'", NULL, NULL, NULL), SQLITE_OK);
	items = oneproxy_list(&M, &all, &total);
	json_object_put(items);
	assert_true(total >= 3 && total <= 16);
	for (i = 0; i < total; i++) {
		o = oneproxy_rotate(&M, ONEPROXY_ROTATE_SEQUENTIAL);
		assert_non_null(o);
		snprintf(seen[i], sizeof(seen[i]), "%s",
		    json_object_get_string(json_object_object_get(o, "id")));
		json_object_put(o);
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);	/* each once */
	}
	o = oneproxy_rotate(&M, ONEPROXY_ROTATE_SEQUENTIAL);	/* wrapped */
	assert_string_equal(json_object_get_string(json_object_object_get(o, "id")), seen[0]);
	json_object_put(o);
}

static void
test_delete_takes_assignments_keeps_manual(void **state)
{
	char id[64], stamp[ISO_TIME_LEN], sql[512];
	long long deleted;

	(void)state;
	iso_time_now(stamp, sizeof(stamp));
	snprintf(id, sizeof(id), "%s", at("127.0.0.2", "id"));
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
		cmocka_unit_test(test_upsert_max_and_duplicates),
		cmocka_unit_test(test_degrade_and_revive),
		cmocka_unit_test(test_sequential_rotation_walks_and_wraps),
		cmocka_unit_test(test_delete_takes_assignments_keeps_manual),
		cmocka_unit_test(test_status_survives_reopen),
	};

	return cmocka_run_group_tests(tests, master_fixture_setup, master_fixture_teardown);
}
