/*
 * master/pool_store.c — pools: settings, ordered members, live 1proxy sets,
 * and keeping each pool's head (proxy_assignments.proxy_id) equal to its
 * first member. The design is in pool_store.h. Every write runs inside the
 * calling command's transaction; statements about one pool bind the scope
 * as ?1 and the stored scope id as ?2.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "log_store.h"
#include "pool_choice.h"
#include "pool_store.h"
#include "proxy_store.h"
#include "util.h"

/* A statement about one pool: ?1 scope, ?2 stored scope id. */
static sqlite3_stmt *
pool_stmt(struct master *m, const char *sql, enum scope scope, const char *scope_id)
{
	sqlite3_stmt *st = db_prepare(m->db, sql);

	if (st != NULL) {
		db_bind_text(st, 1, scope_name(scope));
		db_bind_text(st, 2, assignment_stored_scope_id(scope, scope_id));
	}
	return st;
}

static int
pool_exec(struct master *m, const char *sql, enum scope scope, const char *scope_id)
{
	sqlite3_stmt *st = pool_stmt(m, sql, scope, scope_id);

	return st == NULL ? -1 : db_exec_stmt(st);
}

/* The first column of the first row as a long long; -1 on error or no row. */
static long long
pool_number(struct master *m, const char *sql, enum scope scope, const char *scope_id)
{
	sqlite3_stmt *st = pool_stmt(m, sql, scope, scope_id);
	long long n = -1;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The stored head: 1 and written into head, 0 no assignment, -1 error. */
static int
pool_head(struct master *m, enum scope scope, const char *scope_id,
    char *head, size_t len)
{
	sqlite3_stmt *st = pool_stmt(m, "SELECT proxy_id FROM proxy_assignments "
	    "WHERE scope = ?1 AND scope_id = ?2", scope, scope_id);
	int rc = 0;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(head, len, "%s", db_col_text(st, 0));
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Make sure the scope has an assignment and a pool row, turning 'direct'
 * into a pool (its head is fixed by the settle that follows every change).
 * *created: there was no assignment.
 */
static int
pool_ensure(struct master *m, enum scope scope, const char *scope_id,
    const char *head, bool *created)
{
	char stored[160], stamp[ISO_TIME_LEN];
	int have = pool_head(m, scope, scope_id, stored, sizeof(stored));
	sqlite3_stmt *st;

	if (have < 0)
		return -1;
	*created = have == 0;
	if (have == 0 || strcmp(stored, ASSIGN_DIRECT) == 0) {
		st = pool_stmt(m, "INSERT INTO proxy_assignments (proxy_id, scope, "
		    "scope_id, created_at, updated_at) VALUES (?3, ?1, ?2, ?4, ?4) "
		    "ON CONFLICT(scope, scope_id) DO UPDATE SET proxy_id = "
		    "excluded.proxy_id, updated_at = excluded.updated_at",
		    scope, scope_id);
		if (st == NULL)
			return -1;
		iso_time_now(stamp, sizeof(stamp));
		db_bind_text(st, 3, head);
		db_bind_text(st, 4, stamp);
		if (db_exec_stmt(st) != 0)
			return -1;
	}
	return pool_exec(m, "INSERT OR IGNORE INTO proxy_pools (scope, scope_id) "
	    "VALUES (?1, ?2)", scope, scope_id);
}

/*
 * Every assignment names what pool_heads says; pools left empty lose their
 * assignment; pool rows and members without an assignment go. 0 / -1.
 */
static int
pool_settle(struct master *m)
{
	static const char *const steps[] = {
		"UPDATE proxy_assignments SET proxy_id = h.head, updated_at = ?1 "
		"FROM pool_heads h WHERE h.scope = proxy_assignments.scope AND "
		"h.scope_id = proxy_assignments.scope_id AND "
		"proxy_assignments.proxy_id <> 'direct' AND h.head IS NOT NULL AND "
		"h.head <> proxy_assignments.proxy_id",
		"DELETE FROM proxy_assignments WHERE proxy_id <> 'direct' AND NOT "
		"EXISTS (SELECT 1 FROM pool_heads h WHERE h.scope = "
		"proxy_assignments.scope AND h.scope_id = proxy_assignments.scope_id "
		"AND h.head IS NOT NULL)",
		"DELETE FROM proxy_pools WHERE NOT EXISTS (SELECT 1 FROM "
		"proxy_assignments a WHERE a.scope = proxy_pools.scope AND "
		"a.scope_id = proxy_pools.scope_id)",
		"DELETE FROM proxy_pool_members WHERE NOT EXISTS (SELECT 1 FROM "
		"proxy_pools p WHERE p.scope = proxy_pool_members.scope AND "
		"p.scope_id = proxy_pool_members.scope_id)",
	};
	char stamp[ISO_TIME_LEN];
	size_t i;

	iso_time_now(stamp, sizeof(stamp));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sqlite3_stmt *st = db_prepare(m->db, steps[i]);
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, stamp);
		if (db_exec_stmt(st) != 0)
			return -1;
	}
	return 0;
}

static bool
pool_is_member(struct master *m, enum scope scope, const char *scope_id,
    const char *proxy_id)
{
	sqlite3_stmt *st = pool_stmt(m, "SELECT 1 FROM proxy_pool_members WHERE "
	    "scope = ?1 AND scope_id = ?2 AND proxy_id = ?3", scope, scope_id);
	bool member;

	if (st == NULL)
		return false;
	db_bind_text(st, 3, proxy_id);
	member = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return member;
}

enum store_rc
pool_member_add(struct master *m, enum scope scope, const char *scope_id,
    const char *proxy_id, bool *created)
{
	sqlite3_stmt *st;

	if (pool_is_member(m, scope, scope_id, proxy_id))
		return STORE_CONFLICT;
	if (pool_ensure(m, scope, scope_id, proxy_id, created) != 0)
		return STORE_FAILED;
	st = pool_stmt(m, "INSERT INTO proxy_pool_members (scope, scope_id, "
	    "proxy_id, position) VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position) "
	    "+ 1, 0) FROM proxy_pool_members WHERE scope = ?1 AND scope_id = ?2))",
	    scope, scope_id);
	if (st == NULL)
		return STORE_FAILED;
	db_bind_text(st, 3, proxy_id);
	if (db_exec_stmt(st) != 0 || pool_settle(m) != 0)
		return STORE_FAILED;
	return STORE_OK;
}

/* Remove one membership (or, proxy_id NULL, every membership of proxies
 * that no longer exist) and close the gaps in the positions. */
static int
pool_remove_memberships(struct master *m, const char *proxy_id)
{
	sqlite3_stmt *st = db_prepare(m->db, "DELETE FROM proxy_pool_members WHERE "
	    "(?1 IS NULL AND proxy_id NOT IN (SELECT id FROM proxy_registry)) OR "
	    "proxy_id = ?1");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, proxy_id);
	if (db_exec_stmt(st) != 0)
		return -1;
	/* dense positions: each member's rank among its pool's members */
	st = db_prepare(m->db, "UPDATE proxy_pool_members SET position = (SELECT "
	    "COUNT(*) FROM proxy_pool_members o WHERE o.scope = "
	    "proxy_pool_members.scope AND o.scope_id = proxy_pool_members.scope_id "
	    "AND o.position < proxy_pool_members.position) WHERE position > 0");
	return st == NULL ? -1 : db_exec_stmt(st);
}

enum store_rc
pool_member_remove(struct master *m, enum scope scope, const char *scope_id,
    const char *proxy_id)
{
	sqlite3_stmt *st;

	if (!pool_is_member(m, scope, scope_id, proxy_id))
		return STORE_NOT_FOUND;
	st = pool_stmt(m, "DELETE FROM proxy_pool_members WHERE scope = ?1 AND "
	    "scope_id = ?2 AND proxy_id = ?3", scope, scope_id);
	if (st == NULL)
		return STORE_FAILED;
	db_bind_text(st, 3, proxy_id);
	if (db_exec_stmt(st) != 0 || pool_exec(m, "UPDATE proxy_pool_members SET "
	    "position = (SELECT COUNT(*) FROM proxy_pool_members o WHERE o.scope = "
	    "?1 AND o.scope_id = ?2 AND o.position < proxy_pool_members.position) "
	    "WHERE scope = ?1 AND scope_id = ?2", scope, scope_id) != 0 ||
	    pool_settle(m) != 0)
		return STORE_FAILED;
	return STORE_OK;
}

enum store_rc
pool_live_set(struct master *m, enum scope scope, const char *scope_id,
    const struct pool_live_filter *f, bool *created)
{
	struct json_object *filter = json_object_new_object();
	sqlite3_stmt *st;
	int rc;

	json_object_object_add(filter, "protocol", f->protocol != NULL ?
	    json_object_new_string(f->protocol) : NULL);
	json_object_object_add(filter, "countryCode", f->country_code != NULL ?
	    json_object_new_string(f->country_code) : NULL);
	json_object_object_add(filter, "minQuality", f->min_quality >= 0 ?
	    json_object_new_int64(f->min_quality) : NULL);
	if (pool_ensure(m, scope, scope_id, ASSIGN_LIVE_ONEPROXY, created) != 0 ||
	    (st = pool_stmt(m, "UPDATE proxy_pools SET source = 'oneproxy', "
	    "filter = ?3 WHERE scope = ?1 AND scope_id = ?2", scope, scope_id)) == NULL) {
		json_object_put(filter);
		return STORE_FAILED;
	}
	db_bind_text(st, 3, json_object_to_json_string_ext(filter, JSON_C_TO_STRING_PLAIN));
	rc = db_exec_stmt(st);
	json_object_put(filter);
	return rc == 0 && pool_settle(m) == 0 ? STORE_OK : STORE_FAILED;
}

enum store_rc
pool_live_remove(struct master *m, enum scope scope, const char *scope_id)
{
	if (pool_number(m, "SELECT COUNT(*) FROM proxy_pools WHERE scope = ?1 AND "
	    "scope_id = ?2 AND source IS NOT NULL", scope, scope_id) <= 0)
		return STORE_NOT_FOUND;
	if (pool_exec(m, "UPDATE proxy_pools SET source = NULL, filter = NULL "
	    "WHERE scope = ?1 AND scope_id = ?2", scope, scope_id) != 0 ||
	    pool_settle(m) != 0)
		return STORE_FAILED;
	return STORE_OK;
}

struct json_object *
pool_member_ids(struct master *m, enum scope scope, const char *scope_id,
    enum store_rc *rc)
{
	char head[160];
	int have = pool_head(m, scope, scope_id, head, sizeof(head));
	struct json_object *ids;
	sqlite3_stmt *st;

	*rc = have < 0 ? STORE_FAILED : have == 0 || strcmp(head, ASSIGN_DIRECT) == 0 ?
	    STORE_NOT_FOUND : STORE_OK;
	if (*rc != STORE_OK)
		return NULL;
	if ((st = pool_stmt(m, "SELECT proxy_id FROM proxy_pool_members WHERE "
	    "scope = ?1 AND scope_id = ?2 ORDER BY position", scope, scope_id)) == NULL) {
		*rc = STORE_FAILED;
		return NULL;
	}
	ids = json_object_new_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(ids, json_object_new_string(db_col_text(st, 0)));
	sqlite3_finalize(st);
	return ids;
}

enum store_rc
pool_members_order(struct master *m, enum scope scope, const char *scope_id,
    struct json_object *order)
{
	size_t i, n = json_object_array_length(order);

	for (i = 0; i < n; i++) {
		sqlite3_stmt *st = pool_stmt(m, "UPDATE proxy_pool_members SET "
		    "position = ?4 WHERE scope = ?1 AND scope_id = ?2 AND proxy_id = ?3",
		    scope, scope_id);
		if (st == NULL)
			return STORE_FAILED;
		db_bind_text(st, 3, json_object_get_string(
		    json_object_array_get_idx(order, i)));
		sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
		if (db_exec_stmt(st) != 0)
			return STORE_FAILED;
	}
	return pool_settle(m) == 0 ? STORE_OK : STORE_FAILED;
}

enum store_rc
pool_strategy_set(struct master *m, enum scope scope, const char *scope_id,
    const enum pool_strategy *strategy, int sticky_window_minutes)
{
	char head[160];
	sqlite3_stmt *st;
	int have = pool_head(m, scope, scope_id, head, sizeof(head));

	if (have < 0)
		return STORE_FAILED;
	if (have == 0 || strcmp(head, ASSIGN_DIRECT) == 0)
		return STORE_NOT_FOUND;
	if (pool_exec(m, "INSERT OR IGNORE INTO proxy_pools (scope, scope_id) "
	    "VALUES (?1, ?2)", scope, scope_id) != 0)
		return STORE_FAILED;
	st = pool_stmt(m, "UPDATE proxy_pools SET strategy = COALESCE(?3, strategy), "
	    "sticky_window_minutes = COALESCE(?4, sticky_window_minutes) "
	    "WHERE scope = ?1 AND scope_id = ?2", scope, scope_id);
	if (st == NULL)
		return STORE_FAILED;
	if (strategy != NULL)
		db_bind_text(st, 3, pool_strategy_name(*strategy));
	if (sticky_window_minutes > 0)
		sqlite3_bind_int(st, 4, sticky_window_minutes);
	return db_exec_stmt(st) == 0 ? STORE_OK : STORE_FAILED;
}

int
pool_cursor_store(struct master *m, enum scope scope, const char *scope_id,
    long long cursor)
{
	sqlite3_stmt *st = pool_stmt(m, "UPDATE proxy_pools SET cursor = ?3 "
	    "WHERE scope = ?1 AND scope_id = ?2", scope, scope_id);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 3, cursor);
	return db_exec_stmt(st);
}

long long
pool_cursor_load(struct master *m, enum scope scope, const char *scope_id)
{
	return pool_number(m, "SELECT cursor FROM proxy_pools WHERE scope = ?1 AND "
	    "scope_id = ?2", scope, scope_id);
}

/* ---- the shared board's cursors -------------------------------------------- */

void
pool_cursors_save(struct master *m)
{
	size_t i;

	if (m->pool_board == NULL || m->db == NULL || db_begin(m->db) != 0)
		return;
	for (i = 0; i < m->snap.assignment_count; i++) {
		const struct snap_assignment *a = &m->snap.assignments[i];
		struct pool_slot *slot;

		uint64_t cursor;

		if (a->member_count < 2 || (slot = pool_board_slot(m->pool_board,
		    a->scope, a->scope_id, false)) == NULL)
			continue;
		/* only the cursors that moved: 10 000 idle pools cost no write */
		cursor = __atomic_load_n(&slot->cursor, __ATOMIC_RELAXED) & INT64_MAX;
		if (cursor == slot->saved_cursor)
			continue;
		if (pool_cursor_store(m, a->scope, a->scope_id, (long long)cursor) != 0) {
			db_rollback(m->db);
			log_warnx("pools: could not save the round-robin cursors");
			return;
		}
		slot->saved_cursor = cursor;
	}
	if (db_commit(m->db) != 0)
		log_warnx("pools: could not save the round-robin cursors");
}

static void
save_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pool_cursors_save(arg);
}

/* A zeroed map shared with the workers to come; NULL when mmap fails. */
static void *
map_shared(size_t size, const char *what)
{
	void *shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (shared != MAP_FAILED)
		return shared;
	log_warn("mmap of the %s", what);
	return NULL;
}

static void
seed_latency(void *arg, const char *proxy_id, int64_t at_s, long long connect_us,
    long long connects)
{
	struct master *m = arg;

	if (connect_us >= 0 && connects > 0 && connects <= UINT32_MAX)
		latency_record(m->latency_board, pool_id_hash(proxy_id),
		    (uint64_t)connect_us * (uint64_t)connects, (uint32_t)connects, at_s);
}

int
pool_board_start(struct master *m)
{
	struct timeval tv = { POOL_CURSOR_SAVE_SECONDS, 0 };
	size_t i;

	/* a fresh anonymous map is zeroed: only the sizes are written, so
	 * pages are touched as slots are used (no pool_board_init memset) */
	m->latency_board = map_shared(latency_board_size(LATENCY_BOARD_SLOTS),
	    "latency board (the latency strategy takes members in order)");
	if (m->latency_board != NULL) {
		m->latency_board->slot_count = LATENCY_BOARD_SLOTS;
		if (proxy_logs_connect_times(m, (long)LATENCY_BUCKETS *
		    LATENCY_BUCKET_SECONDS, seed_latency, m) != 0)
			log_warnx("pools: could not read the egress setup times");
	}
	m->pool_board = map_shared(pool_board_size(POOL_BOARD_SLOTS),
	    "pool board (pools choose in position order)");
	if (m->pool_board == NULL)
		return -1;
	pool_board_set_sizes(m->pool_board, POOL_BOARD_SLOTS);
	for (i = 0; i < m->snap.assignment_count; i++) {
		const struct snap_assignment *a = &m->snap.assignments[i];
		struct pool_slot *slot;
		long long cursor;

		if (a->member_count < 2 || (cursor = pool_cursor_load(m, a->scope,
		    a->scope_id)) <= 0 || (slot = pool_board_slot(m->pool_board,
		    a->scope, a->scope_id, true)) == NULL)
			continue;
		slot->cursor = slot->saved_cursor = (uint64_t)cursor;
	}
	m->pool_cursor_timer = event_new(m->base, -1, EV_PERSIST, save_timer_fired, m);
	if (m->pool_cursor_timer != NULL)
		evtimer_add(m->pool_cursor_timer, &tv);
	return 0;
}

void
pool_board_stop(struct master *m)
{
	if (m->pool_cursor_timer != NULL) {
		event_free(m->pool_cursor_timer);
		m->pool_cursor_timer = NULL;
	}
	pool_cursors_save(m);
}

int
pool_reset(struct master *m, enum scope scope, const char *scope_id,
    const char *proxy_id)
{
	sqlite3_stmt *st;

	if (pool_exec(m, "INSERT INTO proxy_pools (scope, scope_id) VALUES (?1, ?2) "
	    "ON CONFLICT(scope, scope_id) DO UPDATE SET source = NULL, filter = NULL, "
	    "cursor = 0", scope, scope_id) != 0 ||
	    pool_exec(m, "DELETE FROM proxy_pool_members WHERE scope = ?1 AND "
	    "scope_id = ?2", scope, scope_id) != 0)
		return -1;
	if (strcmp(proxy_id, ASSIGN_DIRECT) == 0)
		return 0;
	st = pool_stmt(m, "INSERT INTO proxy_pool_members (scope, scope_id, "
	    "proxy_id, position) VALUES (?1, ?2, ?3, 0)", scope, scope_id);
	if (st == NULL)
		return -1;
	db_bind_text(st, 3, proxy_id);
	return db_exec_stmt(st);
}

int
pool_drop(struct master *m, enum scope scope, const char *scope_id)
{
	return pool_exec(m, "DELETE FROM proxy_pool_members WHERE scope = ?1 AND "
	    "scope_id = ?2", scope, scope_id) == 0 &&
	    pool_exec(m, "DELETE FROM proxy_pools WHERE scope = ?1 AND "
	    "scope_id = ?2", scope, scope_id) == 0 ? 0 : -1;
}

int
pool_forget_proxies(struct master *m, const char *proxy_id)
{
	return pool_remove_memberships(m, proxy_id) == 0 && pool_settle(m) == 0 ?
	    0 : -1;
}

/* ---- reading ------------------------------------------------------------ */

/* The pool row: strategy, window, source, filter (defaults when absent). */
#define POOL_SETTINGS_SQL "SELECT COALESCE(p.strategy, 'round-robin'), " \
	"COALESCE(p.sticky_window_minutes, 30), p.source, p.filter " \
	"FROM proxy_assignments a LEFT JOIN proxy_pools p ON p.scope = a.scope " \
	"AND p.scope_id = a.scope_id WHERE a.scope = ?1 AND a.scope_id = ?2"

/* Members in order: static by position, then the live set (not repeating a
 * static member). Columns: PROXY_COLUMNS of r, then live (0/1). */
#define POOL_MEMBERS_SQL "SELECT * FROM (SELECT " PROXY_COLUMNS_OF_R ", 0, m.position " \
	"FROM proxy_pool_members m JOIN proxy_registry r ON r.id = m.proxy_id " \
	"WHERE m.scope = ?1 AND m.scope_id = ?2 ORDER BY m.position) UNION ALL " \
	"SELECT * FROM (SELECT " PROXY_COLUMNS_OF_R ", 1, 0 FROM proxy_pools p " \
	"JOIN proxy_registry r ON p.source = 'oneproxy' AND " POOL_LIVE_MATCH("p.filter") \
	" WHERE p.scope = ?1 AND p.scope_id = ?2 AND r.id NOT IN (SELECT proxy_id " \
	"FROM proxy_pool_members WHERE scope = ?1 AND scope_id = ?2) ORDER BY " \
	POOL_LIVE_ORDER ")"

#define PROXY_COLUMNS_OF_R "r.id, r.name, r.type, r.host, r.port, r.username, " \
	"r.password, r.region, r.notes, r.status, r.source, r.quality_score, " \
	"r.latency_ms, r.anonymity, r.google_access, r.last_validated, " \
	"r.country_code, r.created_at, r.updated_at, r.egress_ip, r.egress_checked_at"
#define POOL_MEMBER_LIVE_COL	21

/* sharedEgress: another member has the same non-null egressIp. */
static void
pool_mark_shared_egress(struct json_object *members)
{
	size_t i, j, n = json_object_array_length(members);

	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(members, i), *ip, *other;
		bool shared = false;

		if (json_object_object_get_ex(a, "egressIp", &ip) &&
		    json_object_is_type(ip, json_type_string))
			for (j = 0; j < n && !shared; j++)
				shared = j != i && json_object_object_get_ex(
				    json_object_array_get_idx(members, j), "egressIp", &other) &&
				    json_object_is_type(other, json_type_string) &&
				    strcmp(json_object_get_string(ip),
				    json_object_get_string(other)) == 0;
		json_object_object_add(a, "sharedEgress", json_object_new_boolean(shared));
	}
}

/*
 * Each member's "health": the proxy.health figures over its default window
 * (one query for all the members); null if they cannot be read.
 */
static void
pool_add_health(struct master *m, struct json_object *members)
{
	struct json_object *ids = json_object_new_array(), *by_id, *health;
	char since[ISO_TIME_LEN];
	size_t i, n = json_object_array_length(members);

	for (i = 0; i < n; i++)
		json_object_array_add(ids, json_object_get(json_object_object_get(
		    json_object_array_get_idx(members, i), "id")));
	iso_time_ago(since, sizeof(since), PROXY_HEALTH_HOURS_DEFAULT * 3600L);
	by_id = n > 0 ? proxy_health_by_id(m, since, ids) : NULL;
	if (n > 0 && by_id == NULL)
		log_warnx("pools: could not read the members' health");
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(members, i);
		health = NULL;
		if (by_id != NULL)
			json_object_object_get_ex(by_id, json_object_get_string(
			    json_object_object_get(p, "id")), &health);
		json_object_object_add(p, "health", json_object_get(health));
	}
	json_object_put(by_id);
	json_object_put(ids);
}

struct json_object *
pool_get_record(struct master *m, enum scope scope, const char *scope_id)
{
	sqlite3_stmt *st = pool_stmt(m, POOL_SETTINGS_SQL, scope, scope_id);
	struct json_object *o, *members;
	int position = 0;

	if (st == NULL)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "scope", json_object_new_string(scope_name(scope)));
	json_object_object_add(o, "scopeId", scope == SCOPE_GLOBAL ? NULL :
	    json_object_new_string(scope_id));
	json_object_object_add(o, "strategy", json_object_new_string(db_col_text(st, 0)));
	json_object_object_add(o, "stickyWindowMinutes",
	    json_object_new_int(sqlite3_column_int(st, 1)));
	json_object_object_add(o, "source", db_col_is_null(st, 2) ? NULL :
	    json_object_new_string(db_col_text(st, 2)));
	json_object_object_add(o, "filter", db_col_is_null(st, 3) ? NULL :
	    json_tokener_parse(db_col_text(st, 3)));
	sqlite3_finalize(st);

	members = json_object_new_array();
	if ((st = pool_stmt(m, POOL_MEMBERS_SQL, scope, scope_id)) != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct json_object *p = proxy_row_json(m, st, false);
			json_object_object_add(p, "position", json_object_new_int(position++));
			json_object_object_add(p, "live", json_object_new_boolean(
			    sqlite3_column_int(st, POOL_MEMBER_LIVE_COL) != 0));
			json_object_array_add(members, p);
		}
		sqlite3_finalize(st);
	}
	pool_mark_shared_egress(members);
	pool_add_health(m, members);
	json_object_object_add(o, "total",
	    json_object_new_int64((int64_t)json_object_array_length(members)));
	json_object_object_add(o, "members", members);
	return o;
}

struct json_object *
pool_export_records(struct master *m)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT p.scope, p.scope_id, "
	    "p.strategy, p.sticky_window_minutes, p.source, p.filter FROM proxy_pools p "
	    "JOIN proxy_assignments a ON a.scope = p.scope AND a.scope_id = p.scope_id "
	    "WHERE a.proxy_id <> 'direct' ORDER BY p.scope, p.scope_id");
	struct json_object *items = json_object_new_array();

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		struct json_object *ids = json_object_new_array();
		sqlite3_stmt *mst = db_prepare(m->db, "SELECT proxy_id FROM "
		    "proxy_pool_members WHERE scope = ? AND scope_id = ? ORDER BY position");
		bool global = strcmp(db_col_text(st, 0), "global") == 0;

		if (mst != NULL) {
			db_bind_text(mst, 1, db_col_text(st, 0));
			db_bind_text(mst, 2, db_col_text(st, 1));
			while (sqlite3_step(mst) == SQLITE_ROW)
				json_object_array_add(ids,
				    json_object_new_string(db_col_text(mst, 0)));
			sqlite3_finalize(mst);
		}
		json_object_object_add(o, "scope", json_object_new_string(db_col_text(st, 0)));
		json_object_object_add(o, "scopeId", global ? NULL :
		    json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "strategy", json_object_new_string(db_col_text(st, 2)));
		json_object_object_add(o, "stickyWindowMinutes",
		    json_object_new_int(sqlite3_column_int(st, 3)));
		json_object_object_add(o, "members", ids);
		json_object_object_add(o, "source", db_col_is_null(st, 4) ? NULL :
		    json_object_new_string(db_col_text(st, 4)));
		json_object_object_add(o, "filter", db_col_is_null(st, 5) ? NULL :
		    json_tokener_parse(db_col_text(st, 5)));
		json_object_array_add(items, o);
	}
	sqlite3_finalize(st);
	return items;
}
