/*
 * master/outcomes.c — what relayed attempts report reaches the master in
 * batches ("outcomes [[row]…]" from a worker, every 100 ms; identical
 * attempts already folded into one row with a call count, see
 * common/outcome_batch.h) and is written to proxy_logs in one transaction
 * every 100 ms (or 256 rows), so no worker ever waits for the database. The
 * table is kept to the newest PROXY_LOGS_MAX_ROWS rows. A failure that a
 * 1proxy row is to blame for also lowers that row's quality in the same
 * transaction (master/oneproxy_store.c), and a row that drops out of rotation
 * reaches the workers in a new snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "master.h"
#include "oneproxy_store.h"
#include "outcome_batch.h"
#include "util.h"

#define OUTCOME_BATCH_MAX	256
#define OUTCOME_FLUSH_MS	100
#define PROXY_LOGS_MAX_ROWS	100000
#define PROXY_LOGS_TRIM_EVERY	1000

static const char *
field(struct json_object *row, enum outcome_column col)
{
	struct json_object *v = json_object_array_get_idx(row, col);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/*
 * The stages at which a failed attempt is the proxy's fault: it could not be
 * reached, refused the tunnel or its credentials, or the TLS through it
 * failed; and any timeout. A provider's answer (stage "ready": a status, a
 * malformed head) and a body cut short are not held against the proxy.
 */
static const char *const proxy_fault_stages[] = {
	"dns", "connect", "proxy_tls", "proxy_handshake", "tls", NULL,
};

static bool
outcome_blames_proxy(const char *status, const char *stage)
{
	size_t i;

	if (status == NULL)
		return false;
	if (strcmp(status, "timeout") == 0)
		return true;
	if (strcmp(status, "error") != 0 || stage == NULL)
		return false;
	for (i = 0; proxy_fault_stages[i] != NULL; i++)
		if (strcmp(stage, proxy_fault_stages[i]) == 0)
			return true;
	return false;
}

/* Write one row; true when it took a 1proxy row out of rotation. */
static bool
write_outcome(struct master *m, sqlite3_stmt *st, struct json_object *o)
{
	const char *proxy_id = field(o, OC_PROXY_ID);
	const struct snap_proxy *p = proxy_id ? snapshot_find_proxy(&m->snap, proxy_id) : NULL;
	char id[UUID_STR_LEN], stamp[ISO_TIME_LEN], target[400];
	int64_t calls = json_object_get_int64(json_object_array_get_idx(o, OC_CALLS));

	if (calls < 1)
		return false;	/* not a row a worker sends */

	uuid_v4(id);
	iso_time_now(stamp, sizeof(stamp));
	snprintf(target, sizeof(target), "%s/%s", field(o, OC_PROVIDER) ? field(o, OC_PROVIDER) :
	    "", field(o, OC_MODEL) ? field(o, OC_MODEL) : "");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, stamp);
	db_bind_text(st, 3, field(o, OC_STATUS) ? field(o, OC_STATUS) : "error");
	db_bind_text(st, 4, proxy_id);
	db_bind_text(st, 5, p ? proxy_type_name(p->type) : NULL);
	db_bind_text(st, 6, p ? p->host : NULL);
	if (p != NULL)
		sqlite3_bind_int(st, 7, p->port);
	db_bind_text(st, 8, field(o, OC_LEVEL));
	db_bind_text(st, 9, field(o, OC_LEVEL_ID));
	db_bind_text(st, 10, field(o, OC_PROVIDER));
	db_bind_text(st, 11, target);
	db_bind_text(st, 12, field(o, OC_STAGE));
	sqlite3_bind_int64(st, 13, json_object_get_int64(json_object_array_get_idx(o,
	    OC_LATENCY_MS)));
	sqlite3_bind_int64(st, 14, json_object_get_int64(json_object_array_get_idx(o,
	    OC_BYTES)));
	db_bind_text(st, 15, field(o, OC_ERROR));
	db_bind_text(st, 16, field(o, OC_CONNECTION_ID));
	db_bind_text(st, 17, field(o, OC_COMBO_ID));
	sqlite3_bind_int64(st, 18, calls);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("proxy_logs: %s", sqlite3_errmsg(m->db));
	return p != NULL && outcome_blames_proxy(field(o, OC_STATUS), field(o, OC_STAGE)) &&
	    oneproxy_degrade(m, proxy_id, calls) == 1;
}

static void
flush_outcomes(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	sqlite3_stmt *st;
	size_t i, n = json_object_array_length(m->outcomes);
	bool rotation_changed = false;

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
	    "stage, latency_ms, bytes, error, connection_id, combo_id, calls) VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	for (i = 0; st != NULL && i < n; i++)
		if (write_outcome(m, st, json_object_array_get_idx(m->outcomes, i)))
			rotation_changed = true;
	sqlite3_finalize(st);
	m->outcomes_written += n;
	if (m->outcomes_written >= PROXY_LOGS_TRIM_EVERY) {
		m->outcomes_written = 0;
		char sql[160];
		snprintf(sql, sizeof(sql), "DELETE FROM proxy_logs WHERE rowid <= "
		    "(SELECT MAX(rowid) FROM proxy_logs) - %d", PROXY_LOGS_MAX_ROWS);
		sqlite3_exec(m->db, sql, NULL, NULL, NULL);
	}
	if (db_commit(m->db) != 0) {
		db_rollback(m->db);
		rotation_changed = false;
	}
	json_object_put(m->outcomes);
	m->outcomes = json_object_new_array();
	/* a degraded 1proxy row is now inactive: workers stop dialling it */
	if (rotation_changed && master_rebuild_snapshot(m) == 0)
		master_push_snapshot(m);
}

void
master_record_outcomes(struct master *m, const char *json, size_t len)
{
	struct json_object *rows = json_parse_document(json, len, 8);
	struct timeval tv = { 0, OUTCOME_FLUSH_MS * 1000 };
	size_t i;

	if (rows == NULL || !json_object_is_type(rows, json_type_array)) {
		json_object_put(rows);
		return;
	}
	if (m->outcomes == NULL)
		m->outcomes = json_object_new_array();
	for (i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		if (json_object_is_type(row, json_type_array) &&
		    json_object_array_length(row) == OC_COUNT)
			json_object_array_add(m->outcomes, json_object_get(row));
	}
	json_object_put(rows);
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
