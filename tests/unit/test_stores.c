/*
 * tests/unit/test_stores.c — the store functions (master/..._store.c) called
 * directly against a real SQLite file, without the command table: what each
 * write answers (enum store_rc), what it leaves in the database, and the one
 * reply shape of the delete commands (reply_deletion).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "db.h"
#include "log.h"
#include "log_store.h"
#include "master.h"
#include "master_fixture.h"
#include "proxy_store.h"
#include "route_store.h"
#include "settings_store.h"
#include "upstream_store.h"

static long long
count(const char *sql, const char *param)
{
	return db_count(M.db, sql, param);
}

static const char *
member(struct json_object *o, const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

static void
test_delete_by_key(void **state)
{
	(void)state;
	assert_int_equal(setting_set(&M, "ns", "gone", "1"), 0);
	assert_int_equal(db_delete_by_key(M.db, "key_value", "key", "gone"), 1);
	assert_int_equal(db_delete_by_key(M.db, "key_value", "key", "gone"), 0);
	assert_int_equal(db_delete_by_key(M.db, "no_such_table", "id", "x"), -1);
	assert_int_equal(store_rc_of_delete(1), STORE_OK);
	assert_int_equal(store_rc_of_delete(0), STORE_NOT_FOUND);
	assert_int_equal(store_rc_of_delete(-1), STORE_FAILED);
}

static void
test_providers(void **state)
{
	struct provider_fields custom = { "acme", "Acme", "https://acme.example/v1//",
	    "bearer", "{\"x-team\":\"a\"}" };
	struct provider_fields override = { "openai", "OpenAI (ours)",
	    "https://gw.example/v1", "bearer", "{}" };
	struct connection_fields conn = { "acme", "main", "sk-1", 0, true, "active" };
	struct json_object *rec;

	(void)state;
	assert_int_equal(provider_upsert(&M, &custom), 0);
	rec = provider_get_record(&M, "acme");
	assert_non_null(rec);
	assert_string_equal(member(rec, "baseUrl"), "https://acme.example/v1");	/* '/' trimmed */
	assert_string_equal(member(rec, "name"), "Acme");
	json_object_put(rec);
	custom.name = "Acme Two";
	assert_int_equal(provider_upsert(&M, &custom), 0);	/* an upsert, not a second row */
	assert_int_equal(count("SELECT COUNT(*) FROM providers WHERE id = ?", "acme"), 1);

	/* a built-in one: nothing to delete until it has an override */
	assert_int_equal(provider_remove(&M, "openai"), STORE_BUILTIN);
	assert_int_equal(provider_upsert(&M, &override), 0);
	assert_int_equal(provider_remove(&M, "openai"), STORE_OK);
	assert_int_equal(provider_remove(&M, "openai"), STORE_BUILTIN);
	assert_int_equal(provider_remove(&M, "nobody"), STORE_NOT_FOUND);

	/* a custom provider goes only without connections */
	assert_int_equal(connection_insert(&M, "c-acme", &conn), STORE_OK);
	assert_int_equal(provider_remove(&M, "acme"), STORE_IN_USE);
	assert_int_equal(connection_remove(&M, "c-acme"), STORE_OK);
	assert_int_equal(provider_remove(&M, "acme"), STORE_OK);
	assert_null(provider_get_record(&M, "acme"));
}

static void
test_connections(void **state)
{
	struct connection_fields first = { "openai", "first", "sk-first", 5, true, "active" };
	struct connection_fields second = { "openai", "second", "", 9, true, "inactive" };
	struct connection_fields rename = { NULL, "first", NULL, 0, false, NULL };
	struct connection_fields keep = { NULL, NULL, "", 0, false, "inactive" };
	struct json_object *items;
	char *key;

	(void)state;
	assert_false(connection_name_taken(&M, "openai", "first"));
	assert_int_equal(connection_insert(&M, "c1", &first), STORE_OK);
	assert_int_equal(connection_insert(&M, "c2", &second), STORE_OK);
	assert_true(connection_name_taken(&M, "openai", "first"));
	assert_false(connection_name_taken(&M, "anthropic", "first"));

	/* the key is sealed at rest, never stored as given */
	assert_int_equal(count("SELECT COUNT(*) FROM connections WHERE api_key = ?",
	    "sk-first"), 0);
	items = connection_list_records(&M, "openai", true);
	assert_int_equal(json_object_array_length(items), 2);
	key = xstrdup(member(json_object_array_get_idx(items, 0), "apiKey"));
	assert_string_equal(key, "sk-first");
	free(key);
	json_object_put(items);

	/* (provider, name) is unique: a rename onto another's name is a conflict */
	assert_int_equal(connection_update(&M, "c2", &rename), STORE_CONFLICT);
	/* omitted fields and an empty key keep what is stored */
	assert_int_equal(connection_update(&M, "c1", &keep), STORE_OK);
	items = connection_list_records(&M, "openai", true);
	assert_string_equal(member(json_object_array_get_idx(items, 0), "apiKey"), "sk-first");
	assert_string_equal(member(json_object_array_get_idx(items, 0), "name"), "first");
	assert_string_equal(member(json_object_array_get_idx(items, 0), "status"), "inactive");
	assert_int_equal(json_object_get_int(json_object_object_get(
	    json_object_array_get_idx(items, 0), "priority")), 5);
	json_object_put(items);

	assert_int_equal(connection_remove(&M, "c1"), STORE_OK);
	assert_int_equal(connection_remove(&M, "c1"), STORE_NOT_FOUND);
	assert_int_equal(connection_remove(&M, "c2"), STORE_OK);
}

static void
test_combos_and_apikeys(void **state)
{
	struct json_object *rec;

	(void)state;
	assert_int_equal(combo_upsert(&M, "Fast", "[\"openai/gpt-4o-mini\"]"), 0);
	assert_int_equal(combo_upsert(&M, "Fast", "[\"groq/llama\",\"openai/gpt-4o\"]"), 0);
	rec = combo_get_record(&M, "Fast");
	assert_non_null(rec);
	assert_int_equal(json_object_array_length(json_object_object_get(rec, "targets")), 2);
	json_object_put(rec);
	assert_int_equal(combo_remove(&M, "Fast"), STORE_OK);
	assert_int_equal(combo_remove(&M, "Fast"), STORE_NOT_FOUND);

	assert_int_equal(apikey_insert(&M, "k1", "ci", "hash-1", "sk-omni-abcd",
	    "2026-01-01T00:00:00.000Z"), 0);
	/* the hash is unique: the same key cannot be stored twice */
	assert_int_equal(apikey_insert(&M, "k2", "ci", "hash-1", "sk-omni-abcd",
	    "2026-01-01T00:00:00.000Z"), -1);
	rec = apikey_list_records(&M);
	assert_int_equal(json_object_array_length(rec), 1);
	json_object_put(rec);
	assert_int_equal(apikey_remove(&M, "k1"), STORE_OK);
	assert_int_equal(apikey_remove(&M, "k1"), STORE_NOT_FOUND);
}

static void
test_proxy_remove(void **state)
{
	struct json_object *fields = json_object_new_object(), *rows;
	char id[UUID_STR_LEN];

	(void)state;
	json_object_object_add(fields, "name", json_object_new_string("Store P"));
	json_object_object_add(fields, "host", json_object_new_string("p.example"));
	json_object_object_add(fields, "port", json_object_new_int(8080));
	json_object_object_add(fields, "username", json_object_new_string("u"));
	assert_int_equal(proxy_insert(&M, fields, NULL, id), 0);
	json_object_put(fields);
	assert_int_equal(assignment_upsert(&M, SCOPE_PROVIDER, "openai", id), 0);
	assert_int_equal(assignment_upsert(&M, SCOPE_GLOBAL, NULL, ASSIGN_DIRECT), 0);

	/* the scoped view: joined with its proxy, credentials redacted, direct left out */
	rows = assignment_proxy_records(&M);
	assert_int_equal(json_object_array_length(rows), 1);
	assert_string_equal(member(json_object_array_get_idx(rows, 0), "scope"), "provider");
	assert_string_equal(member(json_object_array_get_idx(rows, 0), "scopeId"), "openai");
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(
	    json_object_array_get_idx(rows, 0), "proxy"), JSON_C_TO_STRING_PLAIN),
	    "{\"type\":\"http\",\"host\":\"p.example\",\"port\":8080,"
	    "\"username\":\"***\",\"password\":\"\"}");
	json_object_put(rows);

	/* still assigned: refused unless forced, which takes the assignment along */
	assert_int_equal(proxy_remove(&M, id, false), STORE_IN_USE);
	assert_true(proxy_exists(&M, id));
	assert_int_equal(proxy_remove(&M, id, true), STORE_OK);
	assert_false(proxy_exists(&M, id));
	assert_int_equal(assignment_count_for_proxy(&M, id), 0);
	assert_int_equal(proxy_remove(&M, id, true), STORE_NOT_FOUND);
	assert_int_equal(assignment_remove(&M, SCOPE_GLOBAL, NULL), 0);
}

/* The egress IP a check found: stored on the record, updatedAt kept. */
static void
test_proxy_egress(void **state)
{
	struct json_object *fields = json_object_new_object(), *rec;
	char id[UUID_STR_LEN], updated[ISO_TIME_LEN];

	(void)state;
	json_object_object_add(fields, "name", json_object_new_string("Egress P"));
	json_object_object_add(fields, "host", json_object_new_string("127.0.0.5"));
	json_object_object_add(fields, "port", json_object_new_int(1080));
	assert_int_equal(proxy_insert(&M, fields, NULL, id), 0);
	json_object_put(fields);
	rec = proxy_get_record(&M, id, false);
	assert_null(json_object_object_get(rec, "egressIp"));
	assert_null(json_object_object_get(rec, "egressCheckedAt"));
	assert_true(json_object_object_get_ex(rec, "egressIp", NULL));
	snprintf(updated, sizeof(updated), "%s", member(rec, "updatedAt"));
	json_object_put(rec);

	assert_int_equal(proxy_store_egress(&M, id, "127.0.0.5", "2026-12-05T19:00:00.000Z"), 1);
	rec = proxy_get_record(&M, id, false);
	assert_string_equal(member(rec, "egressIp"), "127.0.0.5");
	assert_string_equal(member(rec, "egressCheckedAt"), "2026-12-05T19:00:00.000Z");
	assert_string_equal(member(rec, "updatedAt"), updated);
	json_object_put(rec);
	assert_int_equal(proxy_store_egress(&M, id, "2001:db8::5", "2026-12-05T19:01:00.000Z"), 1);
	rec = proxy_get_record(&M, id, false);
	assert_string_equal(member(rec, "egressIp"), "2001:db8::5");
	json_object_put(rec);
	assert_int_equal(proxy_store_egress(&M, "no-such-proxy", "127.0.0.5", "x"), 0);
	assert_int_equal(proxy_remove(&M, id, false), STORE_OK);
}

static void
test_upstream_modes(void **state)
{
	struct upstream_mode full = { "openai", "fallback", true, "{\"gpt-4o\":\"x\"}", 3, 4 };
	struct json_object *rec, *items;

	(void)state;
	assert_null(upstream_mode_record(&M, "openai"));
	assert_int_equal(upstream_mode_restore(&M, &full), 0);
	/* a set changes the mode and switch, and keeps mapping and priorities */
	assert_int_equal(upstream_mode_set(&M, "openai", "cliproxyapi", false), 0);
	rec = upstream_mode_record(&M, "openai");
	assert_non_null(rec);
	assert_string_equal(member(rec, "mode"), "cliproxyapi");
	assert_false(json_object_get_boolean(json_object_object_get(rec, "enabled")));
	assert_int_equal(json_object_get_int(json_object_object_get(rec, "nativePriority")), 3);
	assert_true(json_object_is_type(json_object_object_get(rec,
	    "cliproxyapiModelMapping"), json_type_object));
	json_object_put(rec);
	/* the export keeps the mapping as the stored text */
	items = upstream_mode_export_records(&M);
	assert_int_equal(json_object_array_length(items), 1);
	assert_string_equal(member(json_object_array_get_idx(items, 0),
	    "cliproxyapiModelMapping"), "{\"gpt-4o\":\"x\"}");
	json_object_put(items);
	assert_int_equal(upstream_mode_remove(&M, "openai"), STORE_OK);
	assert_int_equal(upstream_mode_remove(&M, "openai"), STORE_NOT_FOUND);
}

static void
test_settings(void **state)
{
	struct json_object *values, *all;

	(void)state;
	assert_int_equal(setting_set(&M, "proxyConfig", "global", "\"http://h:1\""), 0);
	assert_int_equal(setting_set(&M, "proxyConfig", "combos", NULL), 0);
	assert_int_equal(setting_set(&M, "other", "a", "1"), 0);
	assert_int_equal(setting_set(&M, "other", "a", "2"), 0);	/* replaces */
	values = settings_namespace_records(&M, "proxyConfig");
	assert_non_null(values);
	assert_string_equal(json_object_to_json_string_ext(values, JSON_C_TO_STRING_PLAIN),
	    "{\"combos\":null,\"global\":\"\\\"http:\\/\\/h:1\\\"\"}");
	json_object_put(values);
	all = settings_export_records(&M);
	assert_string_equal(member(json_object_object_get(all, "other"), "a"), "2");
	json_object_put(all);
	values = settings_namespace_records(&M, "none");
	assert_int_equal(json_object_object_length(values), 0);
	json_object_put(values);
}

static void
test_proxy_health(void **state)
{
	struct json_object *fields = json_object_new_object(), *items, *o;
	char id[UUID_STR_LEN];

	(void)state;
	json_object_object_add(fields, "name", json_object_new_string("Health P"));
	json_object_object_add(fields, "host", json_object_new_string("h.example"));
	json_object_object_add(fields, "port", json_object_new_int(3128));
	assert_int_equal(proxy_insert(&M, fields, NULL, id), 0);
	json_object_put(fields);
	items = proxy_health_records(&M, "2000-01-01T00:00:00.000Z");
	assert_non_null(items);
	assert_int_equal(json_object_array_length(items), 1);
	o = json_object_array_get_idx(items, 0);
	assert_string_equal(member(o, "proxyId"), id);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "totalRequests")), 0);
	assert_null(json_object_object_get(o, "successRate"));
	assert_null(json_object_object_get(o, "lastSeenAt"));
	json_object_put(items);

	/* rows appended: counted by calls, latency weighted by calls */
	{
		struct proxy_log_row rows[2];
		memset(rows, 0, sizeof(rows));
		rows[0].status = "success";
		rows[0].proxy_id = id;
		rows[0].latency_ms = 100;
		rows[0].calls = 2;
		snprintf(rows[0].target_url, sizeof(rows[0].target_url), "openai/gpt-4o");
		rows[1] = rows[0];
		rows[1].status = "timeout";
		rows[1].latency_ms = 400;
		rows[1].calls = 1;
		assert_int_equal(proxy_logs_append(&M, rows, 2, 0), 0);
		assert_int_equal(count("SELECT COUNT(*) FROM proxy_logs", NULL), 2);
	}
	items = proxy_health_records(&M, "2000-01-01T00:00:00.000Z");
	o = json_object_array_get_idx(items, 0);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "totalRequests")), 3);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "successCount")), 2);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "timeoutCount")), 1);
	assert_string_equal(json_object_to_json_string(json_object_object_get(o,
	    "successRate")), "66.67");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "avgLatencyMs")), 200);
	assert_non_null(json_object_object_get(o, "lastSeenAt"));
	json_object_put(items);
	/* the same figures for the ids asked for only, without the proxy's fields */
	{
		struct json_object *ids = json_object_new_array(), *by_id, *h;
		json_object_array_add(ids, json_object_new_string(id));
		json_object_array_add(ids, json_object_new_string("no-such-proxy"));
		by_id = proxy_health_by_id(&M, "2000-01-01T00:00:00.000Z", ids);
		assert_non_null(by_id);
		assert_int_equal(json_object_object_length(by_id), 1);
		h = json_object_object_get(by_id, id);
		assert_int_equal(json_object_get_int(json_object_object_get(h,
		    "totalRequests")), 3);
		assert_string_equal(json_object_to_json_string(json_object_object_get(h,
		    "successRate")), "66.67");
		assert_int_equal(json_object_get_int(json_object_object_get(h,
		    "avgLatencyMs")), 200);
		assert_null(json_object_object_get(h, "name"));
		json_object_put(by_id);
		json_object_put(ids);
	}
	/* a later window sees none of them */
	items = proxy_health_records(&M, "2999-01-01T00:00:00.000Z");
	o = json_object_array_get_idx(items, 0);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "totalRequests")), 0);
	json_object_put(items);
	/* trimming keeps the newest rows */
	assert_int_equal(proxy_logs_append(&M, NULL, 0, 1), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_logs WHERE status = 'timeout'",
	    NULL), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM proxy_logs", NULL), 1);
	assert_int_equal(proxy_remove(&M, id, false), STORE_OK);
}

/* The delete commands' one reply shape. */
static void
test_reply_deletion(void **state)
{
	static const struct deletion d = {
		.not_found = "Thing not found",
		.in_use = "Thing is in use",
		.what = "the thing",
		.dependents = "the thing's users",
	};
	static const struct {
		enum store_rc	 rc;
		int		 status;
		const char	*body;
	} cases[] = {
		{ STORE_OK, 200, "{\"success\":true}" },
		{ STORE_NOT_FOUND, 404, "Thing not found" },
		{ STORE_IN_USE, 409, "Thing is in use" },
		{ STORE_FAILED, 500, "could not delete the thing" },
		{ STORE_DEPENDENTS_FAILED, 500, "could not remove the thing's users" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r = { 0, NULL, NULL, false };
		const char *text;

		assert_int_equal(reply_deletion(&r, cases[i].rc, &d), cases[i].rc);
		assert_int_equal(r.status, cases[i].status);
		text = json_object_to_json_string_ext(r.body, JSON_C_TO_STRING_PLAIN);
		if (cases[i].status == 200)
			assert_string_equal(text, cases[i].body);
		else
			assert_non_null(strstr(text, cases[i].body));
		reply_clear(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delete_by_key),
		cmocka_unit_test(test_providers),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_combos_and_apikeys),
		cmocka_unit_test(test_proxy_remove),
		cmocka_unit_test(test_proxy_egress),
		cmocka_unit_test(test_upstream_modes),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_proxy_health),
		cmocka_unit_test(test_reply_deletion),
	};

	return cmocka_run_group_tests(tests, master_fixture_setup, master_fixture_teardown);
}
