/*
 * master/oneproxy_store.c — see oneproxy_store.h. Every statement keeps to
 * source = 'oneproxy', so manual rows cannot be reached from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "oneproxy_store.h"
#include "pool_store.h"
#include "proxy_store.h"
#include "util.h"

/* ---- upsert ------------------------------------------------------------ */

/*
 * What the feed may change of a row it lists again, and what traffic has
 * the last word on. The feed's word is newer than traffic's when the feed
 * validated the proxy after the row's last failure through it (or it never
 * failed); an unknown validation time is never newer.
 *   - status: active stays active; a row an operator set inactive (no
 *     degradation stamp) stays inactive; a row traffic degraded comes back
 *     only when the feed's word is newer.
 *   - score: the feed's when its word is newer; otherwise the lower of the
 *     two, so a sync never undoes the penalties of failures it has not seen.
 */
struct feed_verdict {
	bool	 active;
	int	 quality;	/* -1: NULL */
};

static struct feed_verdict
feed_decide(const char *status, const char *degraded_at, const char *last_failure_at,
    int current_quality, const struct oneproxy_row *row)
{
	struct feed_verdict v;
	int64_t failed = last_failure_at[0] != '\0' ? rfc3339_utc_seconds(last_failure_at) : 0;
	bool newer = last_failure_at[0] == '\0' ||
	    (row->last_validated_epoch > 0 && row->last_validated_epoch > failed);

	if (strcmp(status, "active") == 0)
		v.active = true;
	else
		v.active = degraded_at[0] != '\0' && newer;
	if (newer)
		v.quality = row->quality_score >= 0 ? row->quality_score : current_quality;
	else if (row->quality_score >= 0 && current_quality >= 0)
		v.quality = row->quality_score < current_quality ? row->quality_score :
		    current_quality;
	else
		v.quality = current_quality;
	return v;
}

static void
bind_int_or_null(sqlite3_stmt *st, int idx, long long v)
{
	if (v < 0)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_int64(st, idx, v);
}

/* The metrics both an insert and an update write, at ?1..?7. */
static void
bind_metrics(sqlite3_stmt *st, const struct oneproxy_row *row, const char *validated)
{
	db_bind_text(st, 1, proxy_type_name(row->type));
	bind_int_or_null(st, 2, row->latency_ms);
	db_bind_text(st, 3, row->anonymity[0] != '\0' ? row->anonymity : NULL);
	sqlite3_bind_int(st, 4, row->google_access == 1);
	db_bind_text(st, 5, validated);
	db_bind_text(st, 6, row->country_code[0] != '\0' ? row->country_code : NULL);
	bind_int_or_null(st, 7, row->quality_score);
}

static int
insert_row(struct master *m, const struct oneproxy_row *row, const char *validated,
    const char *stamp)
{
	char id[UUID_STR_LEN], base[96], name[128];
	sqlite3_stmt *st;

	oneproxy_row_name(row, base, sizeof(base));
	if (uuid_v4(id) != 0 || proxy_name_unused(m, base, name, sizeof(name)) != 0)
		return -1;
	st = db_prepare(m->db, "INSERT INTO proxy_registry (type, latency_ms, anonymity, "
	    "google_access, last_validated, country_code, quality_score, id, name, host, "
	    "port, region, status, source, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?6, 'active', 'oneproxy', ?12, ?12)");
	if (st == NULL)
		return -1;
	bind_metrics(st, row, validated);
	db_bind_text(st, 8, id);
	db_bind_text(st, 9, name);
	db_bind_text(st, 10, row->host);
	sqlite3_bind_int(st, 11, row->port);
	db_bind_text(st, 12, stamp);
	return db_exec_stmt(st);
}

/* One row found by its key, as the upsert reads it. */
struct stored_row {
	char	 id[UUID_STR_LEN];
	char	 status[16];
	char	 degraded_at[40];
	char	 last_failure_at[40];
	char	 updated_at[40];
	int	 quality;	/* -1: NULL */
};

/* 1 updated and active, 0 updated and left inactive, -1 error. */
static int
update_row(struct master *m, const struct stored_row *cur, const struct oneproxy_row *row,
    const char *validated, const char *stamp)
{
	struct feed_verdict v = feed_decide(cur->status, cur->degraded_at,
	    cur->last_failure_at, cur->quality, row);
	sqlite3_stmt *st;

	st = db_prepare(m->db, "UPDATE proxy_registry SET type = ?1, latency_ms = ?2, "
	    "anonymity = ?3, google_access = ?4, last_validated = ?5, country_code = ?6, "
	    "quality_score = ?7, status = CASE WHEN ?8 THEN 'active' ELSE 'inactive' END, "
	    "degraded_at = CASE WHEN ?8 THEN NULL ELSE degraded_at END, "
	    "updated_at = ?9 WHERE id = ?10 AND source = 'oneproxy'");
	if (st == NULL)
		return -1;
	bind_metrics(st, row, validated);
	bind_int_or_null(st, 7, v.quality);
	sqlite3_bind_int(st, 8, v.active);
	db_bind_text(st, 9, stamp);
	db_bind_text(st, 10, cur->id);
	if (db_exec_stmt(st) != 0)
		return -1;
	return v.active ? 1 : 0;
}

static int
upsert_one(struct master *m, sqlite3_stmt *find, const struct oneproxy_row *row,
    const char *stamp, struct oneproxy_upsert_counts *counts)
{
	const char *validated = row->last_validated[0] != '\0' ? row->last_validated : stamp;
	struct stored_row cur;
	bool found = false;
	int rc;

	sqlite3_reset(find);
	db_bind_text(find, 1, row->host);
	sqlite3_bind_int(find, 2, row->port);
	if (sqlite3_step(find) == SQLITE_ROW) {
		found = true;
		str_copy(cur.id, sizeof(cur.id), db_col_text(find, 0));
		str_copy(cur.status, sizeof(cur.status), db_col_text(find, 1));
		str_copy(cur.degraded_at, sizeof(cur.degraded_at), db_col_text(find, 2));
		str_copy(cur.last_failure_at, sizeof(cur.last_failure_at), db_col_text(find, 3));
		str_copy(cur.updated_at, sizeof(cur.updated_at), db_col_text(find, 4));
		cur.quality = db_col_is_null(find, 5) ? -1 : sqlite3_column_int(find, 5);
	}
	sqlite3_reset(find);
	if (!found) {
		if (insert_row(m, row, validated, stamp) != 0)
			return -1;
		counts->added++;
		return 0;
	}
	if (strcmp(cur.updated_at, stamp) == 0) {
		counts->duplicates++;	/* listed twice in this sync */
		return 0;
	}
	if ((rc = update_row(m, &cur, row, validated, stamp)) < 0)
		return -1;
	if (rc == 1)
		counts->updated++;
	else
		counts->kept_inactive++;
	return 0;
}

int
oneproxy_upsert_rows(struct master *m, const struct oneproxy_row *rows, size_t n,
    const char *sync_stamp, long long *room, struct oneproxy_upsert_counts *counts)
{
	struct oneproxy_upsert_counts page;
	sqlite3_stmt *find;
	size_t i;

	memset(&page, 0, sizeof(page));
	if (db_begin(m->db) != 0)
		return -1;
	find = db_prepare(m->db, "SELECT id, status, degraded_at, last_failure_at, updated_at, "
	    "quality_score FROM proxy_registry WHERE source = 'oneproxy' AND host = ? AND "
	    "port = ? ORDER BY created_at, id LIMIT 1");
	if (find == NULL) {
		db_rollback(m->db);
		return -1;
	}
	for (i = 0; i < n; i++) {
		long long before = page.added + page.updated + page.kept_inactive;

		if (*room <= 0) {
			page.over_max++;
			continue;
		}
		if (upsert_one(m, find, &rows[i], sync_stamp, &page) != 0) {
			sqlite3_finalize(find);
			db_rollback(m->db);
			return -1;
		}
		if (page.added + page.updated + page.kept_inactive > before)
			(*room)--;
	}
	sqlite3_finalize(find);
	if (db_commit(m->db) != 0) {
		db_rollback(m->db);
		return -1;
	}
	counts->added += page.added;
	counts->updated += page.updated;
	counts->kept_inactive += page.kept_inactive;
	counts->duplicates += page.duplicates;
	counts->over_max += page.over_max;
	return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* A proxy record without credential fields (1proxy rows have none). */
static struct json_object *
oneproxy_record(struct master *m, sqlite3_stmt *st)
{
	struct json_object *o = proxy_row_json(m, st, false);

	json_object_object_del(o, "username");
	json_object_object_del(o, "password");
	return o;
}

#define FILTER_WHERE "source = 'oneproxy' AND status = 'active' " \
	"AND (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR country_code = ?2) " \
	"AND (?3 IS NULL OR quality_score >= ?3)"

static void
bind_filter(sqlite3_stmt *st, const struct oneproxy_filter *f)
{
	db_bind_text(st, 1, f->protocol);
	db_bind_text(st, 2, f->country_code);
	bind_int_or_null(st, 3, f->min_quality);
}

struct json_object *
oneproxy_list(struct master *m, const struct oneproxy_filter *f, long long *total)
{
	struct json_object *items = json_object_new_array();
	sqlite3_stmt *st;

	*total = 0;
	if ((st = db_prepare(m->db, "SELECT COUNT(*) FROM proxy_registry WHERE "
	    FILTER_WHERE)) != NULL) {
		bind_filter(st, f);
		if (sqlite3_step(st) == SQLITE_ROW)
			*total = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if ((st = db_prepare(m->db, "SELECT " PROXY_COLUMNS " FROM proxy_registry WHERE "
	    FILTER_WHERE " ORDER BY quality_score DESC NULLS LAST, last_validated DESC, id "
	    "LIMIT ?4 OFFSET ?5")) == NULL)
		return items;
	bind_filter(st, f);
	sqlite3_bind_int64(st, 4, f->limit);
	sqlite3_bind_int64(st, 5, f->offset);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(items, oneproxy_record(m, st));
	sqlite3_finalize(st);
	return items;
}

/* [{key: value, "count": n}…] from a two-column query (value, count). */
static struct json_object *
breakdown(struct master *m, const char *sql, const char *key)
{
	struct json_object *out = json_object_new_array();
	sqlite3_stmt *st = db_prepare(m->db, sql);

	if (st == NULL)
		return out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, key, json_object_new_string(db_col_text(st, 0)));
		json_object_object_add(o, "count", json_object_new_int64(sqlite3_column_int64(st, 1)));
		json_object_array_add(out, o);
	}
	sqlite3_finalize(st);
	return out;
}

struct json_object *
oneproxy_stats(struct master *m)
{
	struct json_object *o = json_object_new_object();
	sqlite3_stmt *st = db_prepare(m->db, "SELECT COUNT(*), "
	    "COALESCE(SUM(status = 'active'), 0), ROUND(AVG(quality_score), 2), "
	    "MAX(last_validated) FROM proxy_registry WHERE source = 'oneproxy'");

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		long long total = sqlite3_column_int64(st, 0), active = sqlite3_column_int64(st, 1);

		json_object_object_add(o, "total", json_object_new_int64(total));
		json_object_object_add(o, "active", json_object_new_int64(active));
		json_object_object_add(o, "inactive", json_object_new_int64(total - active));
		json_object_object_add(o, "avgQuality", db_col_is_null(st, 2) ? NULL :
		    json_object_new_double(sqlite3_column_double(st, 2)));
		json_object_object_add(o, "lastValidated", db_col_is_null(st, 3) ? NULL :
		    json_object_new_string(db_col_text(st, 3)));
	}
	sqlite3_finalize(st);
	json_object_object_add(o, "byProtocol", breakdown(m, "SELECT type, COUNT(*) AS n "
	    "FROM proxy_registry WHERE source = 'oneproxy' GROUP BY type "
	    "ORDER BY n DESC, type", "protocol"));
	json_object_object_add(o, "byCountry", breakdown(m, "SELECT country_code, COUNT(*) AS n "
	    "FROM proxy_registry WHERE source = 'oneproxy' AND country_code IS NOT NULL "
	    "GROUP BY country_code ORDER BY n DESC, country_code LIMIT 20", "countryCode"));
	return o;
}

/* ---- rotation ---------------------------------------------------------- */

#define ROTATION_KEY	"COALESCE(last_validated, ''), id"

static struct json_object *
first_record(struct master *m, const char *sql, const char *p1, const char *p2,
    char *key_out, size_t key_len, char *id_out, size_t id_len)
{
	sqlite3_stmt *st = db_prepare(m->db, sql);
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, p1);
	db_bind_text(st, 2, p2);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = oneproxy_record(m, st);
		if (key_out != NULL)
			str_copy(key_out, key_len, db_col_text(st, 15));
		if (id_out != NULL)
			str_copy(id_out, id_len, db_col_text(st, 0));
	}
	sqlite3_finalize(st);
	return o;
}

static char *
state_get(struct master *m, const char *key)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT value FROM oneproxy_state WHERE key = ?");
	char *v = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW && !db_col_is_null(st, 0))
		v = xstrdup(db_col_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static int
state_set(struct master *m, const char *key, const char *value)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO oneproxy_state (key, value) "
	    "VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, value);
	return db_exec_stmt(st);
}

struct json_object *
oneproxy_rotate(struct master *m, enum oneproxy_strategy strategy)
{
	static const char *const select_active = "SELECT " PROXY_COLUMNS
	    " FROM proxy_registry WHERE source = 'oneproxy' AND status = 'active' ";
	char sql[1024], key[64] = "", id[UUID_STR_LEN] = "";
	char *cursor_key, *cursor_id;
	struct json_object *o;

	switch (strategy) {
	case ONEPROXY_ROTATE_RANDOM:
		snprintf(sql, sizeof(sql), "%sORDER BY RANDOM() LIMIT 1", select_active);
		return first_record(m, sql, NULL, NULL, NULL, 0, NULL, 0);
	case ONEPROXY_ROTATE_SEQUENTIAL:
		break;
	case ONEPROXY_ROTATE_QUALITY:
	default:
		snprintf(sql, sizeof(sql), "%sORDER BY quality_score DESC NULLS LAST, "
		    "latency_ms ASC NULLS LAST, id LIMIT 1", select_active);
		return first_record(m, sql, NULL, NULL, NULL, 0, NULL, 0);
	}
	/* sequential: the first row after the cursor, else the first of all */
	cursor_key = state_get(m, "rotationCursorValidated");
	cursor_id = state_get(m, "rotationCursorId");
	snprintf(sql, sizeof(sql), "%sAND (" ROTATION_KEY ") > (?1, ?2) "
	    "ORDER BY " ROTATION_KEY " LIMIT 1", select_active);
	o = cursor_id == NULL ? NULL : first_record(m, sql, cursor_key ? cursor_key : "",
	    cursor_id, key, sizeof(key), id, sizeof(id));
	free(cursor_key);
	free(cursor_id);
	if (o == NULL) {
		snprintf(sql, sizeof(sql), "%sORDER BY " ROTATION_KEY " LIMIT 1", select_active);
		o = first_record(m, sql, NULL, NULL, key, sizeof(key), id, sizeof(id));
	}
	if (o != NULL && (state_set(m, "rotationCursorValidated", key) != 0 ||
	    state_set(m, "rotationCursorId", id) != 0))
		log_warn("1proxy: could not store the rotation cursor");
	return o;
}

/* ---- removal and degradation ------------------------------------------- */

int
oneproxy_delete(struct master *m, const char *id, long long *deleted)
{
	sqlite3_stmt *st;

	*deleted = 0;
	st = db_prepare(m->db, "DELETE FROM proxy_registry WHERE source = 'oneproxy' "
	    "AND (?1 IS NULL OR id = ?1)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	if (db_exec_stmt(st) != 0)
		return -1;
	*deleted = sqlite3_changes(m->db);
	/* their pool memberships (and pools left empty) go with them */
	return pool_forget_proxies(m, NULL);
}

int
oneproxy_degrade(struct master *m, const char *proxy_id, long long failures)
{
	char stamp[ISO_TIME_LEN], before[16] = "";
	long long penalty;
	sqlite3_stmt *st;
	int changes;

	if (failures < 1)
		return ONEPROXY_DEGRADED_NONE;
	penalty = failures > 10 ? 10 * ONEPROXY_FAILURE_PENALTY : failures * ONEPROXY_FAILURE_PENALTY;
	if ((st = db_prepare(m->db, "SELECT status FROM proxy_registry WHERE id = ? "
	    "AND source = 'oneproxy'")) == NULL)
		return -1;
	db_bind_text(st, 1, proxy_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		str_copy(before, sizeof(before), db_col_text(st, 0));
	sqlite3_finalize(st);
	if (before[0] == '\0')
		return ONEPROXY_DEGRADED_NONE;
	iso_time_now(stamp, sizeof(stamp));
	/* SET expressions see the old row: compute the new score once in each */
	st = db_prepare(m->db, "UPDATE proxy_registry SET "
	    "quality_score = MAX(0, COALESCE(quality_score, ?4) - ?2), "
	    "degraded_at = CASE WHEN status = 'active' AND "
	    "MAX(0, COALESCE(quality_score, ?4) - ?2) <= ?5 THEN ?3 ELSE degraded_at END, "
	    "status = CASE WHEN MAX(0, COALESCE(quality_score, ?4) - ?2) <= ?5 "
	    "THEN 'inactive' ELSE status END, last_failure_at = ?3, updated_at = ?3 "
	    "WHERE id = ?1 AND source = 'oneproxy'");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, proxy_id);
	sqlite3_bind_int64(st, 2, penalty);
	db_bind_text(st, 3, stamp);
	sqlite3_bind_int(st, 4, ONEPROXY_UNSCORED_QUALITY);
	sqlite3_bind_int(st, 5, ONEPROXY_INACTIVE_AT);
	if (db_exec_stmt(st) != 0)
		return -1;
	changes = sqlite3_changes(m->db);
	if (changes == 0)
		return ONEPROXY_DEGRADED_NONE;
	return strcmp(before, "active") == 0 &&
	    db_count(m->db, "SELECT COUNT(*) FROM proxy_registry WHERE id = ? AND "
	    "status = 'inactive'", proxy_id) == 1 ? ONEPROXY_DEGRADED_OUT :
	    ONEPROXY_DEGRADED_SCORE;
}

/* ---- sync status ------------------------------------------------------- */

int
oneproxy_status_load(struct master *m, struct oneproxy_status *s)
{
	char *v;

	memset(s, 0, sizeof(*s));
	if ((v = state_get(m, "lastSyncAt")) != NULL) {
		s->ever_ran = true;
		str_copy(s->last_at, sizeof(s->last_at), v);
		free(v);
	}
	if ((v = state_get(m, "lastSyncSuccess")) != NULL) {
		s->last_success = strcmp(v, "1") == 0;
		free(v);
	}
	if ((v = state_get(m, "lastSyncError")) != NULL) {
		str_copy(s->last_error, sizeof(s->last_error), v);
		free(v);
	}
	if ((v = state_get(m, "lastSyncCount")) != NULL) {
		s->last_count = strtoll(v, NULL, 10);
		free(v);
	}
	if ((v = state_get(m, "consecutiveFailures")) != NULL) {
		s->consecutive_failures = strtoll(v, NULL, 10);
		free(v);
	}
	return 0;
}

int
oneproxy_status_save(struct master *m, const struct oneproxy_status *s)
{
	char count[32], failures[32];

	snprintf(count, sizeof(count), "%lld", s->last_count);
	snprintf(failures, sizeof(failures), "%lld", s->consecutive_failures);
	if (db_begin(m->db) != 0)
		return -1;
	if (state_set(m, "lastSyncAt", s->ever_ran ? s->last_at : NULL) != 0 ||
	    state_set(m, "lastSyncSuccess", s->last_success ? "1" : "0") != 0 ||
	    state_set(m, "lastSyncError", s->last_error[0] != '\0' ? s->last_error : NULL) != 0 ||
	    state_set(m, "lastSyncCount", count) != 0 ||
	    state_set(m, "consecutiveFailures", failures) != 0 ||
	    db_commit(m->db) != 0) {
		db_rollback(m->db);
		return -1;
	}
	return 0;
}

struct json_object *
oneproxy_status_json(const struct oneproxy_status *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "lastSyncSuccess", json_object_new_boolean(s->last_success));
	json_object_object_add(o, "lastSyncError", s->last_error[0] != '\0' ?
	    json_object_new_string(s->last_error) : NULL);
	json_object_object_add(o, "lastSyncAt", s->ever_ran ?
	    json_object_new_string(s->last_at) : NULL);
	json_object_object_add(o, "lastSyncCount", json_object_new_int64(s->last_count));
	json_object_object_add(o, "consecutiveFailures",
	    json_object_new_int64(s->consecutive_failures));
	json_object_object_add(o, "circuitOpen", json_object_new_boolean(
	    s->consecutive_failures >= ONEPROXY_BREAKER_FAILURES));
	return o;
}
