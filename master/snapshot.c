/*
 * master/snapshot.c — after every mutation the master reads the registry
 * into a new snapshot generation, sends it to every worker over its channel,
 * and holds the caller's reply until every live worker has acknowledged that
 * generation (so "the next relayed request already uses it").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "channel.h"
#include "db.h"
#include "log.h"
#include "master.h"
#include "pool_store.h"
#include "reply.h"
#include "route_store.h"
#include "util.h"

/* The plaintext of a stored credential, reusing the previous snapshot's. */
static char *
unseal(struct master *m, const struct snap_proxy *prev, const char *sealed,
    bool is_password)
{
	const char *prev_sealed = prev == NULL ? NULL :
	    is_password ? prev->sealed_password : prev->sealed_username;

	if (prev_sealed != NULL && strcmp(prev_sealed, sealed) == 0)
		return xstrdup(is_password ? prev->password : prev->username);
	return master_decrypt(m, sealed);
}

static int
load_proxies(struct master *m, struct registry_snapshot *snap)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, name, type, host, port, "
	    "username, password, status FROM proxy_registry ORDER BY id");
	size_t cap = 64;

	if (st == NULL)
		return -1;
	snap->proxies = xcalloc(cap, sizeof(*snap->proxies));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const struct snap_proxy *prev;
		struct snap_proxy *p;
		enum proxy_type type;
		char *user, *pass;

		if (!proxy_type_parse(db_col_text(st, 2), &type))
			continue;	/* e.g. a 1proxy socks4 row: never dialled */
		prev = snapshot_find_proxy(&m->snap, db_col_text(st, 0));
		user = unseal(m, prev, db_col_text(st, 5), false);
		pass = unseal(m, prev, db_col_text(st, 6), true);
		if (user == NULL || pass == NULL) {
			log_errorx("proxy %s: stored credentials do not decrypt",
			    db_col_text(st, 0));
			crypto_free_secret(user);
			crypto_free_secret(pass);
			sqlite3_finalize(st);
			return -1;
		}
		if (snap->proxy_count == cap) {
			cap *= 2;
			snap->proxies = xrealloc(snap->proxies, cap * sizeof(*snap->proxies));
		}
		p = &snap->proxies[snap->proxy_count++];
		memset(p, 0, sizeof(*p));
		p->id = xstrdup(db_col_text(st, 0));
		p->name = xstrdup(db_col_text(st, 1));
		p->type = type;
		p->host = xstrdup(db_col_text(st, 3));
		p->port = (uint16_t)sqlite3_column_int(st, 4);
		p->username = user;
		p->password = pass;
		p->sealed_username = xstrdup(db_col_text(st, 5));
		p->sealed_password = xstrdup(db_col_text(st, 6));
		p->active = strcmp(db_col_text(st, 7), "active") == 0;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Append a member id to a's pool. */
static void
add_member(struct snap_assignment *a, const char *proxy_id)
{
	a->members = xrealloc(a->members, (a->member_count + 1) * sizeof(*a->members));
	a->members[a->member_count++] = xstrdup(proxy_id);
}

/*
 * The assignments with their pools (master/pool_store.h): strategy, window
 * and members in order — static members by position, then each live 1proxy
 * set expanded from the active rows matching its filter.
 */
static int
load_assignments(struct master *m, struct registry_snapshot *snap)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT a.scope, a.scope_id, "
	    "a.proxy_id, COALESCE(p.strategy, 'round-robin'), "
	    "COALESCE(p.sticky_window_minutes, 30) FROM proxy_assignments a LEFT JOIN "
	    "proxy_pools p ON p.scope = a.scope AND p.scope_id = a.scope_id");
	size_t cap = 64;

	if (st == NULL)
		return -1;
	snap->assignments = xcalloc(cap, sizeof(*snap->assignments));
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct snap_assignment *a;
		enum scope scope;

		if (!scope_parse(db_col_text(st, 0), &scope))
			continue;
		if (snap->assignment_count == cap) {
			cap *= 2;
			snap->assignments = xrealloc(snap->assignments,
			    cap * sizeof(*snap->assignments));
		}
		a = &snap->assignments[snap->assignment_count++];
		memset(a, 0, sizeof(*a));
		a->scope = scope;
		a->scope_id = xstrdup(db_col_text(st, 1));
		a->proxy_id = xstrdup(db_col_text(st, 2));
		if (!pool_strategy_parse(db_col_text(st, 3), &a->strategy))
			a->strategy = POOL_ROUND_ROBIN;
		a->sticky_window_minutes = (uint16_t)sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
	/* members: static ones by position, then live sets best quality first;
	 * a quality pool's all by qualityScore (NULL = 50), best first, so the
	 * workers' choice is the first usable (common/pool_choice.h) */
	snapshot_index(snap);
	st = db_prepare(m->db, "SELECT u.scope, u.scope_id, u.proxy_id FROM (SELECT "
	    "m.scope, m.scope_id, m.proxy_id, 0 AS part, m.position AS rank FROM "
	    "proxy_pool_members m UNION ALL SELECT p.scope, p.scope_id, r.id, 1, "
	    "ROW_NUMBER() OVER (PARTITION BY p.scope, p.scope_id ORDER BY "
	    POOL_LIVE_ORDER ") FROM proxy_pools p JOIN proxy_registry r ON "
	    "p.source = 'oneproxy' AND " POOL_LIVE_MATCH("p.filter") " WHERE r.id "
	    "NOT IN (SELECT proxy_id FROM proxy_pool_members WHERE scope = p.scope "
	    "AND scope_id = p.scope_id)) u JOIN proxy_pools pp ON pp.scope = u.scope "
	    "AND pp.scope_id = u.scope_id LEFT JOIN proxy_registry q ON q.id = "
	    "u.proxy_id ORDER BY u.scope, u.scope_id, CASE WHEN pp.strategy = "
	    "'quality' THEN -COALESCE(q.quality_score, 50) ELSE 0 END, u.part, u.rank");
	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		enum scope scope;
		struct snap_assignment *a;

		if (!scope_parse(db_col_text(st, 0), &scope))
			continue;
		a = (struct snap_assignment *)snapshot_find_assignment(snap, scope,
		    db_col_text(st, 1));
		if (a != NULL && strcmp(a->proxy_id, ASSIGN_DIRECT) != 0)
			add_member(a, db_col_text(st, 2));
	}
	sqlite3_finalize(st);
	return 0;
}

/* Copy the named fields of each record of `records` (owned) into a new array. */
static struct json_object *
pick_fields(struct json_object *records, const char *const *from, const char *const *to)
{
	struct json_object *out = json_object_new_array(), *v;
	size_t i, k;

	for (i = 0; i < json_object_array_length(records); i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		struct json_object *o = json_object_new_object();
		for (k = 0; from[k] != NULL; k++)
			if (json_object_object_get_ex(rec, from[k], &v))
				json_object_object_add(o, to[k], json_object_get(v));
		json_object_array_add(out, o);
	}
	json_object_put(records);
	return out;
}

/* Each row of an SQL query as an object of the columns named. */
static struct json_object *
query_rows(struct master *m, const char *sql, const char *const *names)
{
	sqlite3_stmt *st = db_prepare(m->db, sql);
	struct json_object *rows = json_object_new_array();
	size_t k;

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		for (k = 0; names[k] != NULL; k++)
			json_object_object_add(o, names[k],
			    json_object_new_string(db_col_text(st, (int)k)));
		json_object_array_add(rows, o);
	}
	sqlite3_finalize(st);
	return rows;
}

/*
 * The routing tables the relay needs (common/routing.h), read in their
 * channel form and decoded the way every worker decodes them.
 */
static int
load_routes(struct master *m, struct route_tables *out)
{
	static const char *const provider_from[] = { "id", "baseUrl", "authStyle", "headers", NULL };
	static const char *const combo_from[] = { "id", "targets", NULL };
	static const char *const conn_from[] = { "id", "provider", "name", "apiKey", "priority", NULL };
	static const char *const conn_to[] = { "id", "provider", "name", "key", "priority", NULL };
	static const char *const key_cols[] = { "hash", "id", NULL };
	static const char *const mode_cols[] = { "id", "mode", NULL };
	struct json_object *routes = json_object_new_object(), *conns, *records;
	char err[200];
	size_t i;
	int rc;

	json_object_object_add(routes, "providers",
	    pick_fields(provider_list_records(m), provider_from, provider_from));
	records = connection_list_records(m, NULL, true);
	conns = pick_fields(json_object_get(records), conn_from, conn_to);
	for (i = 0; i < json_object_array_length(conns); i++) {
		struct json_object *status;
		json_object_object_get_ex(json_object_array_get_idx(records, i), "status", &status);
		json_object_object_add(json_object_array_get_idx(conns, i), "active",
		    json_object_new_boolean(strcmp(json_object_get_string(status), "active") == 0));
	}
	json_object_object_add(routes, "connections", conns);
	json_object_object_add(routes, "combos",
	    pick_fields(combo_list_records(m), combo_from, combo_from));
	json_object_object_add(routes, "apiKeys", query_rows(m,
	    "SELECT key_hash, id FROM api_keys", key_cols));
	json_object_object_add(routes, "upstreamModes", query_rows(m,
	    "SELECT provider_id, mode FROM upstream_proxy_config "
	    "WHERE enabled = 1 AND mode <> 'native'", mode_cols));
	rc = route_tables_from_json(routes, out, err, sizeof(err));
	if (rc != 0)
		log_errorx("cannot build the routing tables: %s", err);
	route_json_put(routes);		/* wipes the keys, shared with records */
	json_object_put(records);
	return rc;
}

/* Replace *line with the channel message "<verb> <json>\n" (common/channel.h),
 * wiping the old one (it held credentials); obj is dropped, the connection
 * keys in its routes wiped. */
static void
set_line(char **line, size_t *len, const char *verb, struct json_object *obj)
{
	const char *text = json_plain(obj);
	size_t tlen = strlen(text);
	struct json_object *routes;

	if (*line != NULL) {
		explicit_bzero(*line, *len);
		free(*line);
	}
	*len = strlen(verb) + 1 + tlen + 1;
	*line = xcalloc(1, *len + 1);
	snprintf(*line, *len + 1, "%s %s\n", verb, text);
	explicit_bzero((char *)(uintptr_t)text, tlen);	/* json-c's copy too */
	if (json_object_object_get_ex(obj, "routes", &routes))
		route_json_put(json_object_get(routes));
	json_object_put(obj);
}

void
master_snapshot_lines_free(struct master *m)
{
	if (m->snapshot_line != NULL) {
		explicit_bzero(m->snapshot_line, m->snapshot_line_len);
		free(m->snapshot_line);
	}
	if (m->delta_line != NULL) {
		explicit_bzero(m->delta_line, m->delta_line_len);
		free(m->delta_line);
	}
	m->snapshot_line = m->delta_line = NULL;
}

int
master_rebuild_snapshot(struct master *m)
{
	struct registry_snapshot snap;
	struct json_object *delta;

	memset(&snap, 0, sizeof(snap));
	if (load_proxies(m, &snap) != 0 || load_assignments(m, &snap) != 0 ||
	    load_routes(m, &snap.routes) != 0) {
		snapshot_free(&snap);
		return -1;
	}
	snapshot_index(&snap);
	snap.generation = ++m->generation;
	/* workers get only what changed; the whole snapshot is built when asked */
	delta = snapshot_diff(&m->snap, &snap);
	set_line(&m->delta_line, &m->delta_line_len, channel_name(CHANNEL_DELTA), delta);
	if (m->snapshot_line != NULL) {
		explicit_bzero(m->snapshot_line, m->snapshot_line_len);
		free(m->snapshot_line);
		m->snapshot_line = NULL;
	}
	snapshot_free(&m->snap);
	m->snap = snap;
	return 0;
}

void
master_send_full_snapshot(struct master *m, struct worker_proc *w)
{
	if (m->snapshot_line == NULL) {
		struct json_object *obj = snapshot_to_json(&m->snap);
		set_line(&m->snapshot_line, &m->snapshot_line_len,
		    channel_name(CHANNEL_SNAPSHOT), obj);
	}
	if (w->channel != NULL)
		bufferevent_write(w->channel, m->snapshot_line, m->snapshot_line_len);
}

void
master_push_snapshot(struct master *m)
{
	int i;

	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (!w->in_use || w->exited || w->channel == NULL)
			continue;
		bufferevent_write(w->channel, m->delta_line, m->delta_line_len);
	}
}

/* Has every live, serving worker acknowledged generation gen? */
static bool
all_acked(const struct master *m, uint64_t gen)
{
	int i;

	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		const struct worker_proc *w = &m->workers[i];
		if (!w->in_use || w->exited || w->draining)
			continue;
		if (w->acked_generation < gen)
			return false;
	}
	return true;
}

static void
send_pending(struct master *m, struct pending_reply *p)
{
	master_send_reply_line(m, p->client, p->worker_slot, p->worker_pid, p->line,
	    p->line_len);
}

void
master_deliver_pending(struct master *m)
{
	struct pending_reply *p, *next;

	for (p = TAILQ_FIRST(&m->pending); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (!all_acked(m, p->generation))
			continue;
		TAILQ_REMOVE(&m->pending, p, entry);
		send_pending(m, p);
		free(p->line);
		free(p);
	}
}

void
master_defer_reply(struct master *m, struct control_client *client,
    int worker_slot, pid_t worker_pid, char *line, size_t len)
{
	struct pending_reply *p = xcalloc(1, sizeof(*p));

	p->generation = m->generation;
	p->client = client;
	p->worker_slot = worker_slot;
	p->worker_pid = worker_pid;
	p->line = line;
	p->line_len = len;
	TAILQ_INSERT_TAIL(&m->pending, p, entry);
	master_deliver_pending(m);
}
