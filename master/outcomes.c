/*
 * master/outcomes.c — what relayed attempts report reaches the master in
 * batches ("outcomes [[row]…]" from a worker, every 100 ms; identical
 * attempts already folded into one row with a call count, see
 * common/outcome_batch.h) and is written to proxy_logs in one transaction
 * every 100 ms (or 256 rows), so no worker ever waits for the database. The
 * table is kept to the newest PROXY_LOGS_MAX_ROWS rows. The SQL is
 * master/log_store.c's; this file decides what a row says and when to write.
 * A failure that a 1proxy row is to blame for also lowers that row's quality
 * (master/oneproxy_store.c); a row that drops out of rotation reaches the
 * workers in a new snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_store.h"
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
 * The stages at which a failed attempt (an error or a timeout) is the
 * proxy's fault: it could not be reached, refused the tunnel or its
 * credentials, or the TLS through it failed. Once the request was written
 * (stages "response" and "body") the proxy carried it: a provider that is
 * slow, answers a status, sends a malformed head or cuts its body short is
 * not held against the proxy.
 */
static const char *const proxy_fault_stages[] = {
	"dns", "connect", "proxy_tls", "proxy_handshake", "tls", NULL,
};

static bool
outcome_blames_proxy(const struct proxy_log_row *row)
{
	size_t i;

	if (row->proxy_id == NULL || *row->proxy_id == '\0' || row->stage == NULL ||
	    (strcmp(row->status, "error") != 0 && strcmp(row->status, "timeout") != 0))
		return false;
	for (i = 0; proxy_fault_stages[i] != NULL; i++)
		if (strcmp(row->stage, proxy_fault_stages[i]) == 0)
			return true;
	return false;
}

/*
 * Whether proxy_id is a member of a pool: its score may order a quality
 * pool, or take it out of a live set's minQuality filter.
 */
static bool
in_a_pool(const struct registry_snapshot *snap, const char *proxy_id)
{
	size_t i, k;

	for (i = 0; i < snap->assignment_count; i++) {
		const struct snap_assignment *a = &snap->assignments[i];
		for (k = 0; k < a->member_count; k++)
			if (strcmp(a->members[k], proxy_id) == 0)
				return true;
	}
	return false;
}

/*
 * Lower the scores of the 1proxy rows these failures blame; true when the
 * snapshot must be rebuilt: a row left rotation, or its new score may
 * reorder a quality pool or drop it from a live set.
 */
static bool
degrade_blamed(struct master *m, const struct proxy_log_row *rows, size_t n)
{
	bool rebuild = false;
	size_t i;

	for (i = 0; i < n; i++) {
		int degraded;

		if (!outcome_blames_proxy(&rows[i]))
			continue;
		degraded = oneproxy_degrade(m, rows[i].proxy_id, rows[i].calls);
		if (degraded == ONEPROXY_DEGRADED_OUT || (degraded == ONEPROXY_DEGRADED_SCORE &&
		    !rebuild && in_a_pool(&m->snap, rows[i].proxy_id)))
			rebuild = true;
	}
	return rebuild;
}

/* A worker's outcome row as a proxy_logs row; false for a row no worker sends. */
static bool
log_row(struct master *m, struct json_object *o, struct proxy_log_row *row)
{
	const char *proxy_id = field(o, OC_PROXY_ID);
	const struct snap_proxy *p = proxy_id ? snapshot_find_proxy(&m->snap, proxy_id) : NULL;

	memset(row, 0, sizeof(*row));
	row->calls = json_object_get_int64(json_object_array_get_idx(o, OC_CALLS));
	if (row->calls < 1)
		return false;
	snprintf(row->target_url, sizeof(row->target_url), "%s/%s",
	    field(o, OC_PROVIDER) ? field(o, OC_PROVIDER) : "",
	    field(o, OC_MODEL) ? field(o, OC_MODEL) : "");
	row->status = field(o, OC_STATUS) ? field(o, OC_STATUS) : "error";
	row->proxy_id = proxy_id;
	row->proxy_type = p ? proxy_type_name(p->type) : NULL;
	row->proxy_host = p ? p->host : NULL;
	row->proxy_port = p ? p->port : 0;
	row->level = field(o, OC_LEVEL);
	row->level_id = field(o, OC_LEVEL_ID);
	row->provider = field(o, OC_PROVIDER);
	row->stage = field(o, OC_STAGE);
	row->latency_ms = json_object_get_int64(json_object_array_get_idx(o, OC_LATENCY_MS));
	row->bytes = json_object_get_int64(json_object_array_get_idx(o, OC_BYTES));
	row->error = field(o, OC_ERROR);
	row->connection_id = field(o, OC_CONNECTION_ID);
	row->combo_id = field(o, OC_COMBO_ID);
	row->connects = json_object_get_int64(json_object_array_get_idx(o, OC_CONNECTS));
	row->connect_us = json_object_get_int64(json_object_array_get_idx(o,
	    OC_CONNECT_US));
	if (row->connects < 0 || row->connects > row->calls || row->connect_us < 0)
		row->connects = row->connect_us = 0;
	return true;
}

static void
flush_outcomes(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	struct proxy_log_row *rows;
	size_t i, kept = 0, n = json_object_array_length(m->outcomes);
	bool trim;

	(void)fd;
	(void)what;
	if (n == 0)
		return;
	rows = xcalloc(n, sizeof(*rows));
	for (i = 0; i < n; i++)
		if (log_row(m, json_object_array_get_idx(m->outcomes, i), &rows[kept]))
			kept++;
	trim = m->outcomes_written + n >= PROXY_LOGS_TRIM_EVERY;
	if (proxy_logs_append(m, rows, kept, trim ? PROXY_LOGS_MAX_ROWS : 0) != 0) {
		free(rows);
		log_warnx("proxy_logs: database busy; %zu outcomes kept for later", n);
		return;
	}
	/* a degraded 1proxy row is now inactive (workers stop dialling it),
	 * further down its quality pools, or out of a live set's filter */
	if (degrade_blamed(m, rows, kept) && master_rebuild_snapshot(m) == 0)
		master_push_snapshot(m);
	free(rows);
	m->outcomes_written = trim ? 0 : m->outcomes_written + n;
	json_object_put(m->outcomes);
	m->outcomes = json_object_new_array();
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
