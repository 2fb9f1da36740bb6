/*
 * master/log_store.c — proxy_logs: batches of outcome rows appended with
 * one prepared statement in one transaction, the table trimmed by rowid, and
 * the health figures read from it (one GROUP BY over the window, every
 * registry proxy listed, unused ones with zero counts; or only the proxies
 * asked for, such as a pool's members), and one proxy's outcomes over time
 * (one GROUP BY bucket, status, stage; common/health_series.h says which
 * column each row counts in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "health_series.h"
#include "log.h"
#include "log_store.h"
#include "util.h"

static void
append_row(struct master *m, sqlite3_stmt *st, const struct proxy_log_row *row)
{
	char id[UUID_STR_LEN], stamp[ISO_TIME_LEN];

	uuid_v4(id);
	iso_time_now(stamp, sizeof(stamp));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, stamp);
	db_bind_text(st, 3, row->status);
	db_bind_text(st, 4, row->proxy_id);
	db_bind_text(st, 5, row->proxy_type);
	db_bind_text(st, 6, row->proxy_host);
	if (row->proxy_port != 0)
		sqlite3_bind_int(st, 7, row->proxy_port);
	db_bind_text(st, 8, row->level);
	db_bind_text(st, 9, row->level_id);
	db_bind_text(st, 10, row->provider);
	db_bind_text(st, 11, row->target_url);
	db_bind_text(st, 12, row->stage);
	sqlite3_bind_int64(st, 13, row->latency_ms);
	sqlite3_bind_int64(st, 14, row->bytes);
	db_bind_text(st, 15, row->error);
	db_bind_text(st, 16, row->connection_id);
	db_bind_text(st, 17, row->combo_id);
	sqlite3_bind_int64(st, 18, row->calls);
	if (row->connects > 0)
		sqlite3_bind_int64(st, 19, row->connect_us);
	sqlite3_bind_int64(st, 20, row->connects);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("proxy_logs: %s", sqlite3_errmsg(m->db));
}

int
proxy_logs_append(struct master *m, const struct proxy_log_row *rows, size_t n,
    long keep_newest)
{
	sqlite3_stmt *st;
	size_t i;

	if (db_begin(m->db) != 0)
		return -1;
	st = db_prepare(m->db, "INSERT INTO proxy_logs (id, timestamp, status, "
	    "proxy_id, proxy_type, proxy_host, proxy_port, level, level_id, provider, "
	    "target_url, stage, latency_ms, bytes, error, connection_id, combo_id, "
	    "calls, connect_us, connects) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?)");
	for (i = 0; st != NULL && i < n; i++)
		append_row(m, st, &rows[i]);
	sqlite3_finalize(st);
	if (keep_newest > 0) {
		char sql[160];
		snprintf(sql, sizeof(sql), "DELETE FROM proxy_logs WHERE rowid <= "
		    "(SELECT MAX(rowid) FROM proxy_logs) - %ld", keep_newest);
		sqlite3_exec(m->db, sql, NULL, NULL, NULL);
	}
	if (db_commit(m->db) != 0)
		db_rollback(m->db);
	return 0;
}

/* A number rounded to 2 decimals and printed the way JavaScript would (33.33, 100). */
static struct json_object *
json_number_2dp(double v)
{
	char text[32];
	size_t len;

	snprintf(text, sizeof(text), "%.2f", v);
	len = strlen(text);
	while (len > 0 && text[len - 1] == '0')
		text[--len] = '\0';
	if (len > 0 && text[len - 1] == '.')
		text[--len] = '\0';
	return json_object_new_double_s(strtod(text, NULL), text);
}

/*
 * The health figures per registry proxy over the window from ?1 (every
 * proxy listed, unused ones with zero counts). Columns: id, name, type,
 * host, port, then HEALTH_COLUMN.. the figures health_fields_add reads.
 * HEALTH_SQL("") covers every proxy; HEALTH_SQL(HEALTH_OF_IDS) only those
 * whose ids are in the JSON array ?2.
 */
#define HEALTH_SQL(where) "SELECT p.id, p.name, p.type, p.host, p.port, " \
	"COALESCE(SUM(l.calls), 0), " \
	"COALESCE(SUM((l.status = 'success') * l.calls), 0), " \
	"COALESCE(SUM((l.status = 'error') * l.calls), 0), " \
	"COALESCE(SUM((l.status = 'timeout') * l.calls), 0), " \
	"SUM(l.latency_ms * l.calls) * 1.0 / SUM(l.calls), MAX(l.timestamp) " \
	"FROM proxy_registry p " \
	"LEFT JOIN proxy_logs l ON l.proxy_id = p.id AND l.timestamp >= ?1 " \
	where " GROUP BY p.id ORDER BY p.name ASC, p.id ASC"
#define HEALTH_OF_IDS	"WHERE p.id IN (SELECT value FROM json_each(?2))"
#define HEALTH_COLUMN	5

/* totalRequests … lastSeenAt of the health row st into o. */
static void
health_fields_add(struct json_object *o, sqlite3_stmt *st)
{
	long long total = sqlite3_column_int64(st, HEALTH_COLUMN);
	long long ok = sqlite3_column_int64(st, HEALTH_COLUMN + 1);

	json_object_object_add(o, "totalRequests", json_object_new_int64(total));
	json_object_object_add(o, "successCount", json_object_new_int64(ok));
	json_object_object_add(o, "errorCount",
	    json_object_new_int64(sqlite3_column_int64(st, HEALTH_COLUMN + 2)));
	json_object_object_add(o, "timeoutCount",
	    json_object_new_int64(sqlite3_column_int64(st, HEALTH_COLUMN + 3)));
	json_object_object_add(o, "successRate", total == 0 ? NULL :
	    json_number_2dp((double)ok * 100.0 / (double)total));
	json_object_object_add(o, "avgLatencyMs", db_col_is_null(st, HEALTH_COLUMN + 4) ?
	    NULL : json_object_new_int64((long long)(sqlite3_column_double(st,
	    HEALTH_COLUMN + 4) + 0.5)));
	json_object_object_add(o, "lastSeenAt", db_col_is_null(st, HEALTH_COLUMN + 5) ?
	    NULL : json_object_new_string(db_col_text(st, HEALTH_COLUMN + 5)));
}

struct json_object *
proxy_health_records(struct master *m, const char *since)
{
	sqlite3_stmt *st = db_prepare(m->db, HEALTH_SQL(""));
	struct json_object *items;

	if (st == NULL)
		return NULL;
	items = json_object_new_array();
	db_bind_text(st, 1, since);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "proxyId", json_object_new_string(db_col_text(st, 0)));
		json_object_object_add(o, "name", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "type", json_object_new_string(db_col_text(st, 2)));
		json_object_object_add(o, "host", json_object_new_string(db_col_text(st, 3)));
		json_object_object_add(o, "port", json_object_new_int(sqlite3_column_int(st, 4)));
		health_fields_add(o, st);
		json_object_array_add(items, o);
	}
	sqlite3_finalize(st);
	return items;
}

struct json_object *
proxy_health_by_id(struct master *m, const char *since, struct json_object *ids)
{
	sqlite3_stmt *st = db_prepare(m->db, HEALTH_SQL(HEALTH_OF_IDS));
	struct json_object *by_id;
	int rc;

	if (st == NULL)
		return NULL;
	by_id = json_object_new_object();
	db_bind_text(st, 1, since);
	db_bind_text(st, 2, json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		health_fields_add(o, st);
		json_object_object_add(by_id, db_col_text(st, 0), o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_object_put(by_id);
		return NULL;
	}
	return by_id;
}

struct json_object *
proxy_health_series(struct master *m, const char *proxy_id, int64_t first_start,
    int64_t bucket_seconds, long long buckets)
{
	char since[ISO_TIME_LEN], start[ISO_TIME_LEN];
	long long (*counts)[HEALTH_COLUMN_COUNT];
	struct json_object *series = NULL;
	sqlite3_stmt *st;
	long long b;
	int rc, c;

	if (buckets < 1 || bucket_seconds < 1 ||
	    (counts = calloc((size_t)buckets, sizeof(*counts))) == NULL)
		return NULL;
	/* the index (proxy_id, timestamp) bounds the scan to the window; at
	 * most buckets × statuses × stages rows come back */
	st = db_prepare(m->db, "SELECT (CAST(strftime('%s', timestamp) AS INTEGER) - ?2) / ?3, "
	    "status, stage, SUM(calls) FROM proxy_logs WHERE proxy_id = ?1 AND "
	    "timestamp >= ?4 GROUP BY 1, 2, 3");
	if (st == NULL) {
		free(counts);
		return NULL;
	}
	iso_time_at(since, sizeof(since), first_start);
	db_bind_text(st, 1, proxy_id);
	sqlite3_bind_int64(st, 2, first_start);
	sqlite3_bind_int64(st, 3, bucket_seconds);
	db_bind_text(st, 4, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b = sqlite3_column_int64(st, 0);
		if (b < 0 || b >= buckets)	/* a clock set back: a row from "later" */
			continue;
		counts[b][health_column_of(db_col_text(st, 1), db_col_text(st, 2))] +=
		    sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		series = json_object_new_array();
		for (b = 0; b < buckets; b++) {
			struct json_object *o = json_object_new_object();
			iso_time_at(start, sizeof(start), first_start + b * bucket_seconds);
			json_object_object_add(o, "start", json_object_new_string(start));
			for (c = 0; c < HEALTH_COLUMN_COUNT; c++)
				json_object_object_add(o, health_column_names[c],
				    json_object_new_int64(counts[b][c]));
			json_object_array_add(series, o);
		}
	}
	free(counts);
	return series;
}

int
proxy_logs_connect_times(struct master *m, long seconds,
    void (*each)(void *arg, const char *proxy_id, int64_t at_s, long long connect_us,
    long long connects), void *arg)
{
	char since[ISO_TIME_LEN];
	sqlite3_stmt *st = db_prepare(m->db, "SELECT proxy_id, timestamp, connect_us, "
	    "connects FROM proxy_logs WHERE timestamp >= ? AND connects > 0 AND "
	    "proxy_id IS NOT NULL AND connect_us IS NOT NULL");
	int rc;

	if (st == NULL)
		return -1;
	iso_time_ago(since, sizeof(since), seconds);
	db_bind_text(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *stamp = db_col_text(st, 1);
		enum iso_zone zone;
		int64_t at = iso8601_seconds(stamp, strlen(stamp), &zone);

		if (at > 0)
			each(arg, db_col_text(st, 0), at, sqlite3_column_int64(st, 2),
			    sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
