/*
 * master/outcomes.c — what each relayed or probed attempt reports
 * ("outcome {…}" from a worker) is written to proxy_logs in batches: queued
 * in memory and flushed in one transaction every 100 ms (or 256 rows), so no
 * worker ever waits for the database. The table is kept to the newest
 * PROXY_LOGS_MAX_ROWS rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "master.h"
#include "util.h"

#define OUTCOME_BATCH_MAX	256
#define OUTCOME_FLUSH_MS	100
#define PROXY_LOGS_MAX_ROWS	100000
#define PROXY_LOGS_TRIM_EVERY	1000

static const char *
field(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static void
write_outcome(struct master *m, sqlite3_stmt *st, struct json_object *o)
{
	const char *proxy_id = field(o, "proxyId");
	const struct snap_proxy *p = proxy_id ? snapshot_find_proxy(&m->snap, proxy_id) : NULL;
	char id[UUID_STR_LEN], stamp[ISO_TIME_LEN], target[400];
	struct json_object *v;

	uuid_v4(id);
	iso_time_now(stamp, sizeof(stamp));
	snprintf(target, sizeof(target), "%s/%s", field(o, "provider") ? field(o, "provider") : "",
	    field(o, "model") ? field(o, "model") : "");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, stamp);
	db_bind_text(st, 3, field(o, "status") ? field(o, "status") : "error");
	db_bind_text(st, 4, proxy_id);
	db_bind_text(st, 5, p ? proxy_type_name(p->type) : NULL);
	db_bind_text(st, 6, p ? p->host : NULL);
	if (p != NULL)
		sqlite3_bind_int(st, 7, p->port);
	db_bind_text(st, 8, field(o, "level"));
	db_bind_text(st, 9, field(o, "levelId"));
	db_bind_text(st, 10, field(o, "provider"));
	db_bind_text(st, 11, target);
	db_bind_text(st, 12, field(o, "stage"));
	sqlite3_bind_int64(st, 13, json_object_object_get_ex(o, "latencyMs", &v) ?
	    json_object_get_int64(v) : 0);
	sqlite3_bind_int64(st, 14, json_object_object_get_ex(o, "bytes", &v) ?
	    json_object_get_int64(v) : 0);
	db_bind_text(st, 15, field(o, "error"));
	db_bind_text(st, 16, field(o, "connectionId"));
	db_bind_text(st, 17, field(o, "comboId"));
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("proxy_logs: %s", sqlite3_errmsg(m->db));
}

static void
flush_outcomes(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	sqlite3_stmt *st;
	size_t i, n = json_object_array_length(m->outcomes);

	(void)fd;
	(void)what;
	if (n == 0)
		return;
	if (db_begin(m->db) != 0) {
		log_warnx("proxy_logs: database busy; %zu outcomes kept for later", n);
		return;
	}
	st = db_prepare(m->db, "INSERT INTO proxy_logs (id, timestamp, status, proxy_id, "
	    "proxy_type, proxy_host, proxy_port, level, level_id, provider, target_url, "
	    "stage, latency_ms, bytes, error, connection_id, combo_id) VALUES (?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	for (i = 0; st != NULL && i < n; i++)
		write_outcome(m, st, json_object_array_get_idx(m->outcomes, i));
	sqlite3_finalize(st);
	m->outcomes_written += n;
	if (m->outcomes_written >= PROXY_LOGS_TRIM_EVERY) {
		m->outcomes_written = 0;
		char sql[160];
		snprintf(sql, sizeof(sql), "DELETE FROM proxy_logs WHERE rowid <= "
		    "(SELECT MAX(rowid) FROM proxy_logs) - %d", PROXY_LOGS_MAX_ROWS);
		sqlite3_exec(m->db, sql, NULL, NULL, NULL);
	}
	if (db_commit(m->db) != 0)
		db_rollback(m->db);
	json_object_put(m->outcomes);
	m->outcomes = json_object_new_array();
}

void
master_record_outcome(struct master *m, const char *json, size_t len)
{
	struct json_object *o = json_parse_document(json, len, 8);
	struct timeval tv = { 0, OUTCOME_FLUSH_MS * 1000 };

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	if (m->outcomes == NULL)
		m->outcomes = json_object_new_array();
	json_object_array_add(m->outcomes, o);
	if (m->outcome_timer == NULL)
		m->outcome_timer = evtimer_new(m->base, flush_outcomes, m);
	if (json_object_array_length(m->outcomes) >= OUTCOME_BATCH_MAX)
		flush_outcomes(-1, 0, m);
	else if (!evtimer_pending(m->outcome_timer, NULL))
		evtimer_add(m->outcome_timer, &tv);
}

void
master_outcomes_flush(struct master *m)
{
	if (m->outcomes != NULL)
		flush_outcomes(-1, 0, m);
	json_object_put(m->outcomes);
	m->outcomes = NULL;
	if (m->outcome_timer != NULL)
		event_free(m->outcome_timer);
	m->outcome_timer = NULL;
}
