/*
 * tests/unit/test_pool_store.c — pools (master/pool_store.c) against a real
 * SQLite file: the migration turning old assignments into pools of one,
 * members in order with the head following the first, 409/404 rules,
 * plain assignments replacing a pool, deletes removing memberships, the
 * sharedEgress flag, the live 1proxy set, and the snapshot carrying typed
 * pools (members in order, live sets expanded) through its channel form.
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
#include "master.h"
#include "master_fixture.h"
#include "migrations.h"
#include "oneproxy_store.h"
#include "pool_store.h"
#include "proxy_store.h"
#include "resolve.h"

static void
new_proxy(const char *name, int port, char id[UUID_STR_LEN])
{
	struct json_object *fields = json_object_new_object();

	json_object_object_add(fields, "name", json_object_new_string(name));
	json_object_object_add(fields, "host", json_object_new_string("127.0.0.1"));
	json_object_object_add(fields, "port", json_object_new_int(port));
	assert_int_equal(proxy_insert(&M, fields, NULL, id), 0);
	json_object_put(fields);
}

static const char *
head(enum scope scope, const char *scope_id)
{
	static char out[128];
	struct json_object *rec = assignment_get_record(&M, scope, scope_id), *v;

	if (rec == NULL)
		return NULL;
	json_object_object_get_ex(rec, "proxyId", &v);
	snprintf(out, sizeof(out), "%s", json_object_get_string(v));
	json_object_put(rec);
	return out;
}

/* The pool's member ids joined with ',' (and "-" when there is no pool). */
static const char *
members(enum scope scope, const char *scope_id)
{
	static char out[1024];
	struct json_object *pool = pool_get_record(&M, scope, scope_id), *list, *id;
	size_t i;

	if (pool == NULL)
		return "-";
	out[0] = '\0';
	json_object_object_get_ex(pool, "members", &list);
	for (i = 0; i < json_object_array_length(list); i++) {
		json_object_object_get_ex(json_object_array_get_idx(list, i), "id", &id);
		strcat(out, i > 0 ? "," : "");
		strcat(out, json_object_get_string(id));
	}
	json_object_put(pool);
	return out;
}

static void
test_migration_makes_pools_of_one(void **state)
{
	char dir[] = "/tmp/omni-pool-migrate-XXXXXX", path[128], err[256];
	const struct migration *mg;
	sqlite3 *db;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/old.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* a database as schema 5 left it, with two assignments and a direct one */
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE schema_version (version "
	    "INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
	    NULL, NULL, NULL), SQLITE_OK);
	for (mg = migrations; mg->name != NULL && mg->version <= 5; mg++) {
		char sql[160];
		assert_int_equal(sqlite3_exec(db, mg->sql, NULL, NULL, NULL), SQLITE_OK);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, '%s', 'x')",
		    mg->version, mg->name);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(sqlite3_exec(db, "INSERT INTO proxy_assignments (proxy_id, "
	    "scope, scope_id, created_at, updated_at) VALUES ('p1', 'provider', "
	    "'openai', 't', 't'), ('p2', 'global', '__global__', 't', 't'), "
	    "('direct', 'account', 'c1', 't', 't')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_migrate(db, err, sizeof(err)), 0);
	assert_int_equal(db_count(db, "SELECT COUNT(*) FROM proxy_pools", NULL), 3);
	assert_int_equal(db_count(db, "SELECT COUNT(*) FROM proxy_pool_members", NULL), 2);
	assert_int_equal(db_count(db, "SELECT COUNT(*) FROM proxy_pool_members WHERE "
	    "proxy_id = 'p1' AND scope = 'provider' AND position = 0", NULL), 1);
	assert_int_equal(db_count(db, "SELECT COUNT(*) FROM proxy_pools WHERE "
	    "strategy = 'round-robin' AND sticky_window_minutes = 30 AND source IS NULL "
	    "AND cursor = 0", NULL), 3);
	assert_int_equal(db_count(db, "SELECT COUNT(*) FROM pool_heads h JOIN "
	    "proxy_assignments a USING (scope, scope_id) WHERE h.head = a.proxy_id",
	    NULL), 2);
	sqlite3_close(db);
	unlink(path);
	rmdir(dir);
}

static void
test_members_order_head_and_rules(void **state)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN], c[UUID_STR_LEN], want[256];
	struct json_object *ids;
	enum store_rc rc;
	bool created;

	(void)state;
	new_proxy("Pool A", 9001, a);
	new_proxy("Pool B", 9002, b);
	new_proxy("Pool C", 9003, c);
	assert_null(pool_get_record(&M, SCOPE_PROVIDER, "openai"));
	assert_int_equal(pool_member_add(&M, SCOPE_PROVIDER, "openai", b, &created), STORE_OK);
	assert_true(created);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), b);
	assert_int_equal(pool_member_add(&M, SCOPE_PROVIDER, "openai", a, &created), STORE_OK);
	assert_false(created);
	assert_int_equal(pool_member_add(&M, SCOPE_PROVIDER, "openai", c, &created), STORE_OK);
	assert_int_equal(pool_member_add(&M, SCOPE_PROVIDER, "openai", a, &created),
	    STORE_CONFLICT);
	snprintf(want, sizeof(want), "%s,%s,%s", b, a, c);
	assert_string_equal(members(SCOPE_PROVIDER, "openai"), want);
	assert_int_equal(assignment_count_for_proxy(&M, c), 1);

	/* removing the head: the next member becomes it */
	assert_int_equal(pool_member_remove(&M, SCOPE_PROVIDER, "openai", b), STORE_OK);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), a);
	assert_int_equal(pool_member_remove(&M, SCOPE_PROVIDER, "openai", b),
	    STORE_NOT_FOUND);
	assert_int_equal(db_count(M.db, "SELECT MAX(position) FROM proxy_pool_members "
	    "WHERE scope = 'provider' AND scope_id = 'openai'", NULL), 1);

	/* reorder: the static ids in order, new positions, the head follows */
	ids = pool_member_ids(&M, SCOPE_PROVIDER, "openai", &rc);
	assert_int_equal(rc, STORE_OK);
	assert_int_equal(json_object_array_length(ids), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)), a);
	json_object_put(ids);
	assert_null(pool_member_ids(&M, SCOPE_COMBO, "none", &rc));
	assert_int_equal(rc, STORE_NOT_FOUND);
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(c));
	json_object_array_add(ids, json_object_new_string(a));
	assert_int_equal(pool_members_order(&M, SCOPE_PROVIDER, "openai", ids), STORE_OK);
	json_object_put(ids);
	snprintf(want, sizeof(want), "%s,%s", c, a);
	assert_string_equal(members(SCOPE_PROVIDER, "openai"), want);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), c);

	/* strategy: 404 without a pool; the window kept when not given, the
	 * strategy when NULL */
	assert_int_equal(pool_strategy_set(&M, SCOPE_COMBO, "none",
	    &(enum pool_strategy){ POOL_RANDOM }, 5), STORE_NOT_FOUND);
	assert_int_equal(pool_strategy_set(&M, SCOPE_PROVIDER, "openai",
	    &(enum pool_strategy){ POOL_STICKY }, 45), STORE_OK);
	assert_int_equal(pool_strategy_set(&M, SCOPE_PROVIDER, "openai",
	    &(enum pool_strategy){ POOL_QUALITY }, -1), STORE_OK);
	assert_int_equal(db_count(M.db, "SELECT sticky_window_minutes FROM proxy_pools "
	    "WHERE scope = 'provider' AND scope_id = 'openai' AND strategy = 'quality'",
	    NULL), 45);
	assert_int_equal(pool_strategy_set(&M, SCOPE_PROVIDER, "openai", NULL, 50),
	    STORE_OK);
	assert_int_equal(db_count(M.db, "SELECT sticky_window_minutes FROM proxy_pools "
	    "WHERE scope = 'provider' AND scope_id = 'openai' AND strategy = 'quality'",
	    NULL), 50);

	/* a plain assignment replaces the pool with one member, strategy kept */
	assert_int_equal(assignment_upsert(&M, SCOPE_PROVIDER, "openai", b), 0);
	assert_string_equal(members(SCOPE_PROVIDER, "openai"), b);
	assert_int_equal(db_count(M.db, "SELECT COUNT(*) FROM proxy_pools WHERE "
	    "strategy = 'quality'", NULL), 1);
	/* 'direct': a pool without members; a member turns it into a pool */
	assert_int_equal(assignment_upsert(&M, SCOPE_PROVIDER, "openai", ASSIGN_DIRECT), 0);
	assert_string_equal(members(SCOPE_PROVIDER, "openai"), "");
	assert_int_equal(pool_strategy_set(&M, SCOPE_PROVIDER, "openai",
	    &(enum pool_strategy){ POOL_RANDOM }, 5), STORE_NOT_FOUND);
	assert_int_equal(pool_member_add(&M, SCOPE_PROVIDER, "openai", c, &created), STORE_OK);
	assert_false(created);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), c);
	/* the last member out takes the assignment with it */
	assert_int_equal(pool_member_remove(&M, SCOPE_PROVIDER, "openai", c), STORE_OK);
	assert_null(head(SCOPE_PROVIDER, "openai"));
	assert_string_equal(members(SCOPE_PROVIDER, "openai"), "-");
	assert_int_equal(db_count(M.db, "SELECT COUNT(*) FROM proxy_pools WHERE "
	    "scope = 'provider'", NULL), 0);
	/* null removes the whole pool */
	assert_int_equal(pool_member_add(&M, SCOPE_GLOBAL, GLOBAL_SCOPE_ID, a, &created), STORE_OK);
	assert_int_equal(pool_member_add(&M, SCOPE_GLOBAL, GLOBAL_SCOPE_ID, b, &created), STORE_OK);
	assert_int_equal(assignment_remove(&M, SCOPE_GLOBAL, NULL), 0);
	assert_int_equal(db_count(M.db, "SELECT COUNT(*) FROM proxy_pool_members", NULL), 0);
	assert_int_equal(db_count(M.db, "SELECT COUNT(*) FROM proxy_pools", NULL), 0);
}

static void
test_deletes_remove_memberships(void **state)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN];
	bool created;

	(void)state;
	new_proxy("Del A", 9101, a);
	new_proxy("Del B", 9102, b);
	pool_member_add(&M, SCOPE_COMBO, "fast", a, &created);
	pool_member_add(&M, SCOPE_COMBO, "fast", b, &created);
	pool_member_add(&M, SCOPE_ACCOUNT, "c7", a, &created);
	assert_int_equal(proxy_remove(&M, b, false), STORE_IN_USE);
	assert_int_equal(proxy_remove(&M, b, true), STORE_OK);
	assert_string_equal(members(SCOPE_COMBO, "fast"), a);
	assert_int_equal(proxy_remove(&M, a, true), STORE_OK);
	assert_null(head(SCOPE_COMBO, "fast"));
	assert_null(head(SCOPE_ACCOUNT, "c7"));
	assert_int_equal(db_count(M.db, "SELECT COUNT(*) FROM proxy_pool_members", NULL), 0);
}

static void
test_shared_egress(void **state)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN], c[UUID_STR_LEN];
	struct json_object *pool, *list, *v;
	bool created, shared[3];
	size_t i;

	(void)state;
	new_proxy("Egress A", 9201, a);
	new_proxy("Egress B", 9202, b);
	new_proxy("Egress C", 9203, c);
	pool_member_add(&M, SCOPE_PROVIDER, "groq", a, &created);
	pool_member_add(&M, SCOPE_PROVIDER, "groq", b, &created);
	pool_member_add(&M, SCOPE_PROVIDER, "groq", c, &created);
	assert_int_equal(proxy_store_egress(&M, a, "127.0.0.9", "2026-12-05T00:00:00.000Z"), 1);
	assert_int_equal(proxy_store_egress(&M, c, "127.0.0.9", "2026-12-05T00:00:00.000Z"), 1);
	pool = pool_get_record(&M, SCOPE_PROVIDER, "groq");
	json_object_object_get_ex(pool, "members", &list);
	for (i = 0; i < 3; i++) {
		json_object_object_get_ex(json_object_array_get_idx(list, i), "sharedEgress", &v);
		shared[i] = json_object_get_boolean(v);
	}
	assert_true(shared[0]);
	assert_false(shared[1]);	/* no egress IP: never shared */
	assert_true(shared[2]);
	json_object_put(pool);
	assignment_remove(&M, SCOPE_PROVIDER, "groq");
}

static struct oneproxy_row
feed_row(const char *host, int quality, const char *country)
{
	struct oneproxy_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "%s", host);
	r.port = 3128;
	r.type = PROXY_TYPE_HTTP;
	snprintf(r.country_code, sizeof(r.country_code), "%s", country);
	r.quality_score = quality;
	r.latency_ms = 100;
	return r;
}

static void
test_live_set_and_snapshot(void **state)
{
	struct oneproxy_row rows[] = {
		feed_row("127.0.8.1", 70, "US"), feed_row("127.0.8.2", 90, "US"),
		feed_row("127.0.8.3", 95, "DE"),
	};
	struct pool_live_filter f = { "http", "US", 60 };
	struct oneproxy_upsert_counts counts;
	const struct snap_assignment *asg;
	struct registry_snapshot back;
	struct resolve_request req = { .provider_id = "openai" };
	struct resolve_result res;
	struct json_object *json;
	char manual[UUID_STR_LEN], err[128];
	long long room = 100;
	bool created;

	(void)state;
	memset(&counts, 0, sizeof(counts));
	assert_int_equal(oneproxy_upsert_rows(&M, rows, 3, "2026-12-05T10:00:00.000Z",
	    &room, &counts), 0);
	new_proxy("Live manual", 9301, manual);
	assert_int_equal(pool_live_set(&M, SCOPE_PROVIDER, "openai", &f, &created), STORE_OK);
	assert_true(created);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), ASSIGN_LIVE_ONEPROXY);
	assert_int_equal(pool_member_add(&M, SCOPE_PROVIDER, "openai", manual, &created),
	    STORE_OK);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), manual);
	assert_int_equal(pool_strategy_set(&M, SCOPE_PROVIDER, "openai",
	    &(enum pool_strategy){ POOL_STICKY }, 12), STORE_OK);

	/* the snapshot: static member first, then the live set best first */
	assert_int_equal(master_rebuild_snapshot(&M), 0);
	asg = snapshot_find_assignment(&M.snap, SCOPE_PROVIDER, "openai");
	assert_non_null(asg);
	assert_int_equal(asg->strategy, POOL_STICKY);
	assert_int_equal(asg->sticky_window_minutes, 12);
	assert_int_equal(asg->member_count, 3);
	assert_string_equal(asg->members[0], manual);
	assert_string_equal(snapshot_find_proxy(&M.snap, asg->members[1])->host, "127.0.8.2");
	assert_string_equal(snapshot_find_proxy(&M.snap, asg->members[2])->host, "127.0.8.1");

	/* the channel form carries it whole */
	json = snapshot_to_json(&M.snap);
	memset(&back, 0, sizeof(back));
	assert_int_equal(snapshot_from_json(json, &back, err, sizeof(err)), 0);
	json_object_put(json);
	asg = snapshot_find_assignment(&back, SCOPE_PROVIDER, "openai");
	assert_non_null(asg);
	assert_int_equal(asg->strategy, POOL_STICKY);
	assert_int_equal(asg->member_count, 3);
	assert_string_equal(asg->members[0], manual);

	/* resolution: the first active member in position order */
	proxy_update_fields(&M, manual, json = json_tokener_parse("{\"status\":\"inactive\"}"));
	json_object_put(json);
	assert_int_equal(master_rebuild_snapshot(&M), 0);
	proxy_resolve(&M.snap, &req, &res);
	assert_int_equal(res.outcome, RESOLVE_PROXY);
	assert_string_equal(res.proxy->host, "127.0.8.2");
	assert_non_null(res.pool);

	/* a row degraded to inactive leaves the live set */
	snapshot_free(&back);
	proxy_update_fields(&M, res.proxy->id, json =
	    json_tokener_parse("{\"status\":\"inactive\"}"));
	json_object_put(json);
	assert_int_equal(master_rebuild_snapshot(&M), 0);
	asg = snapshot_find_assignment(&M.snap, SCOPE_PROVIDER, "openai");
	assert_int_equal(asg->member_count, 2);
	assert_string_equal(snapshot_find_proxy(&M.snap, asg->members[1])->host, "127.0.8.1");
	/* deleting the rows empties it */
	{
		long long deleted;
		assert_int_equal(oneproxy_delete(&M, NULL, &deleted), 0);
		assert_int_equal(deleted, 3);
	}
	assert_string_equal(members(SCOPE_PROVIDER, "openai"), manual);
	assert_int_equal(pool_live_remove(&M, SCOPE_PROVIDER, "openai"), STORE_OK);
	assert_int_equal(pool_live_remove(&M, SCOPE_PROVIDER, "openai"), STORE_NOT_FOUND);
	assert_string_equal(head(SCOPE_PROVIDER, "openai"), manual);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migration_makes_pools_of_one),
		cmocka_unit_test(test_members_order_head_and_rules),
		cmocka_unit_test(test_deletes_remove_memberships),
		cmocka_unit_test(test_shared_egress),
		cmocka_unit_test(test_live_set_and_snapshot),
	};

	return cmocka_run_group_tests(tests, master_fixture_setup, master_fixture_teardown);
}
