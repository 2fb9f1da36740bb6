/*
 * tests/unit/test_commands.c — the master's command table driven directly
 * (no processes, no sockets) against a real SQLite file: for every command,
 * unknown keys and wrong types of every field are refused with 400 naming the
 * field, and nothing is written; then a table of valid and invalid calls with
 * the statuses and messages API.md specifies.
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
#include "master.h"
#include "master_fixture.h"
#include "proxy_store.h"

/* Run one command; returns the status, *body (owned by the caller) the JSON. */
static int
run(const char *name, const char *json, struct json_object **body)
{
	struct reply r = { 0, NULL, NULL, false };
	bool mutated;
	int status;

	command_dispatch(&M, name, json, json ? strlen(json) : 0, &r, &mutated);
	if (mutated)
		assert_int_equal(master_rebuild_snapshot(&M), 0);
	status = r.status;
	if (body != NULL)
		*body = r.body;
	else
		json_object_put(r.body);
	return status;
}

static const char *
first_detail_field(struct json_object *body)
{
	struct json_object *err, *details, *field;

	if (!json_object_object_get_ex(body, "error", &err) ||
	    !json_object_object_get_ex(err, "details", &details) ||
	    json_object_array_length(details) == 0)
		return NULL;
	json_object_object_get_ex(json_object_array_get_idx(details, 0), "field", &field);
	return json_object_get_string(field);
}

static const char *
error_message(struct json_object *body)
{
	struct json_object *err, *msg;

	if (!json_object_object_get_ex(body, "error", &err) ||
	    !json_object_object_get_ex(err, "message", &msg))
		return NULL;
	return json_object_get_string(msg);
}

static long long
row_count(void)
{
	return db_count(M.db, "SELECT (SELECT COUNT(*) FROM proxy_registry) + "
	    "(SELECT COUNT(*) FROM proxy_assignments) + (SELECT COUNT(*) FROM key_value) + "
	    "(SELECT COUNT(*) FROM upstream_proxy_config) + (SELECT COUNT(*) FROM providers) + "
	    "(SELECT COUNT(*) FROM connections) + (SELECT COUNT(*) FROM combos) + "
	    "(SELECT COUNT(*) FROM api_keys)", NULL);
}

/* A JSON value of the wrong type for a field of this type. */
static const char *
wrong_value(enum arg_type t)
{
	switch (t) {
	case ARG_STRING: return "123";
	case ARG_INT: return "\"12abc\"";
	case ARG_BOOL: return "\"maybe\"";
	case ARG_STRING_ARRAY: return "\"x\"";
	case ARG_OBJECT: return "[1]";
	case ARG_ARRAY: return "{}";
	case ARG_ANY: return NULL;
	}
	return NULL;
}

static void
test_every_command_refuses_unknown_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; command_table[i] != NULL; i++) {
		struct json_object *body;
		long long before = row_count();
		int status = run(command_table[i]->name, "{\"noSuchField\":1}", &body);
		assert_int_equal(status, 400);
		/* the envelope lists every problem; the unknown key is among them */
		assert_non_null(strstr(json_plain(body), "unknown field 'noSuchField'"));
		json_object_put(body);
		assert_int_equal(row_count(), before);
	}
}

static void
test_every_field_refuses_a_wrong_type(void **state)
{
	size_t i;
	const struct arg_spec *f;
	char json[256];
	int checked = 0;

	(void)state;
	for (i = 0; command_table[i] != NULL; i++) {
		for (f = command_table[i]->args; f->name != NULL; f++) {
			struct json_object *body;
			const char *bad = wrong_value(f->type);
			long long before = row_count();
			if (bad == NULL)
				continue;
			snprintf(json, sizeof(json), "{\"%s\":%s}", f->name, bad);
			assert_int_equal(run(command_table[i]->name, json, &body), 400);
			assert_non_null(strstr(json_plain(body), f->name));
			assert_string_equal(error_message(body), "Invalid request");
			json_object_put(body);
			assert_int_equal(row_count(), before);
			checked++;
		}
	}
	assert_true(checked > 40);
}

static void
test_every_required_field_is_named(void **state)
{
	size_t i;
	const struct arg_spec *f;

	(void)state;
	for (i = 0; command_table[i] != NULL; i++) {
		struct json_object *body;
		bool any_required = false;
		for (f = command_table[i]->args; f->name != NULL; f++)
			any_required |= (f->flags & ARG_REQUIRED) != 0;
		if (!any_required)
			continue;
		assert_int_equal(run(command_table[i]->name, "{}", &body), 400);
		for (f = command_table[i]->args; f->name != NULL; f++) {
			char expect[128];
			if (!(f->flags & ARG_REQUIRED))
				continue;
			snprintf(expect, sizeof(expect), "%s is required", f->name);
			assert_non_null(strstr(json_plain(body), expect));
		}
		json_object_put(body);
	}
}

static void
test_framing_errors(void **state)
{
	struct json_object *body;

	(void)state;
	assert_int_equal(run("no.such.command", NULL, &body), 404);
	json_object_put(body);
	assert_int_equal(run("proxy.list", "{\"limit\":", &body), 400);
	assert_string_equal(error_message(body),
	    "Invalid JSON body: unexpected end of input at byte 9");
	json_object_put(body);
	/* what json-c alone would let through is refused, with where and why */
	assert_int_equal(run("proxy.list", "{'limit':1}", &body), 400);
	assert_non_null(strstr(error_message(body), "at byte 1"));
	json_object_put(body);
	assert_int_equal(run("proxy.list", "{\"limit\":NaN}", &body), 400);
	assert_non_null(strstr(error_message(body), "at byte 9"));
	json_object_put(body);
	assert_int_equal(run("proxy.list", "[]", &body), 400);
	assert_string_equal(error_message(body),
	    "Invalid JSON body: arguments must be an object");
	json_object_put(body);
	assert_int_equal(run("proxy.list", "{} {}", &body), 400);
	json_object_put(body);
	assert_int_equal(run("proxy.list", "{}   ", NULL), 200);
}

struct call {
	const char	*command;
	const char	*json;
	int		 status;
	const char	*field_or_message;	/* first detail field, or the message */
};

static void
test_call_table(void **state)
{
	static const struct call calls[] = {
		{ "proxy.add", "{\"name\":\"a\",\"host\":\"a.example\",\"port\":\"8080\"}", 201, NULL },
		{ "proxy.add", "{\"name\":\"a\",\"host\":\"a.example\",\"port\":8080.5}", 400, "port" },
		{ "proxy.add", "{\"name\":\"a\",\"host\":\"a b\",\"port\":1}", 400, "host" },
		{ "proxy.add", "{\"name\":\"a2\",\"host\":\"::1\",\"port\":1}", 201, NULL },
		{ "proxy.add", "{\"name\":\"a3\",\"host\":\"h\",\"port\":1,\"type\":\" SOCKS5 \"}", 201, NULL },
		{ "proxy.add", "{\"name\":\"a\",\"host\":\"h\",\"port\":1,\"status\":\"dead\"}", 400, "status" },
		{ "proxy.add", "{\"name\":\"a4\",\"host\":\"h\",\"port\":1,\"region\":null}", 201, NULL },
		/* names are unique, case-insensitive; a name names the proxy */
		{ "proxy.add", "{\"name\":\" A \",\"host\":\"h\",\"port\":2}", 409, NULL },
		{ "proxy.get", "{\"id\":\"A2\"}", 200, NULL },
		{ "proxy.update", "{\"id\":\"a2\",\"name\":\"A3\"}", 409, NULL },
		{ "proxy.update", "{\"id\":\"a2\",\"name\":\"A2\"}", 200, NULL },
		{ "proxy.import", "{\"items\":[{\"name\":\"a3\",\"host\":\"new.example\",\"port\":1}]}", 200, NULL },
		{ "proxy.get", "{\"id\":\"missing\"}", 404, "Proxy not found" },
		{ "proxy.update", "{\"id\":\"missing\"}", 404, "Proxy not found" },
		{ "proxy.delete", "{\"id\":\"missing\"}", 404, "Proxy not found" },
		{ "proxy.list", "{\"limit\":\"x\"}", 400, "limit" },
		{ "proxy.list", "{\"limit\":99999999999999999999}", 400, "limit" },
		{ "proxy.health", "{\"hours\":\"0\"}", 200, NULL },
		{ "assign.set", "{\"scope\":\"global\",\"proxyId\":\"direct\"}", 200, NULL },
		{ "assign.set", "{\"scope\":\"combo\",\"proxyId\":\"direct\"}", 400, "scopeId" },
		{ "assign.set", "{\"scope\":\"combo\",\"scopeId\":\"  \",\"proxyId\":\"direct\"}", 400, "scopeId" },
		{ "assign.set", "{\"scope\":\"nope\",\"scopeId\":\"x\"}", 400, "scope" },
		{ "assign.set", "{\"scope\":\"provider\",\"scopeId\":\"x\",\"proxyId\":\"ghost\"}", 404, "Proxy not found: ghost" },
		{ "assign.bulk", "{\"scope\":\"provider\",\"proxyId\":\"direct\"}", 400, "scopeIds" },
		{ "assign.bulk", "{\"scope\":\"provider\",\"scopeIds\":[\"a\"]}", 400, "proxyId" },
		{ "assign.set", "{\"scope\":\"global\",\"proxyId\":\"\"}", 400, "proxyId" },
		{ "assign.set", "{\"scope\":\"global\",\"proxyId\":\"  \"}", 400, "proxyId" },
		{ "assign.set", "{\"scope\":\"global\"}", 400, "proxyId" },
		{ "proxy.add", "{\"name\":\"v1\",\"host\":\"::::::\",\"port\":1}", 400, "host" },
		{ "proxy.add", "{\"name\":\"v2\",\"host\":\"999.999.999.999\",\"port\":1}", 400, "host" },
		{ "proxy.add", "{\"name\":\"v3\",\"host\":\"h\",\"port\":1,\"username\":\"a:b\"}", 400, "username" },
		{ "proxy.add", "{\"name\":\"v4\",\"host\":\"h\",\"port\":1,\"password\":\"p\"}", 400, "password" },
		{ "proxy.add", "{\"name\":\"v5\\r\\n\",\"host\":\"h\",\"port\":1}", 400, "name" },
		{ "proxy.add", "{\"name\":\"v6\",\"host\":\"h\",\"port\":1,\"type\":\"socks5\",\"username\":\"a:b\",\"password\":\"p\"}", 201, NULL },
		{ "proxy.update", "{\"id\":\"v6\",\"type\":\"http\"}", 400, "username" },
		{ "upstream.set", "{\"providerId\":\"%0a\"}", 400, "providerId" },
		{ "upstream.set", "{\"providerId\":\"openai\",\"enabled\":1}", 400, "enabled" },
		{ "assign.bulk", "{\"scope\":\"provider\",\"scopeIds\":[\"\"]}", 400, "scopeIds" },
		{ "resolve", "{}", 200, NULL },
		{ "settings.proxy.put", "{}", 400, "" },
		{ "settings.proxy.put", "{\"level\":\"combo\",\"proxy\":null}", 400, "id" },
		{ "settings.proxy.put", "{\"global\":{\"host\":\"g\",\"port\":\"x\"}}", 400, "global.port" },
		{ "settings.proxy.put", "{\"providers\":{\"p\":{\"host\":\"\"}}}", 400, "providers.p.host" },
		{ "settings.proxy.put", "{\"keys\":{\"\":null}}", 400, "keys." },
		{ "settings.proxy.delete", "{\"level\":\"key\"}", 400, "id" },
		{ "backup.import", "{\"format\":\"omniroute-backup\",\"version\":2}", 400, "version" },
		{ "backup.import", "{\"format\":\"omniroute-backup\",\"version\":1,\"proxies\":[1]}", 400, "proxies[0]." },
		{ "backup.import", "{\"format\":\"omniroute-backup\",\"version\":1,\"settings\":{\"ns\":{\"k\":1}}}", 400, "settings.ns.k" },
		{ "legacy.migrate", "{\"force\":\"yes\"}", 400, "force" },
		{ "provider.add", "{\"id\":\"loc\",\"baseUrl\":\"http://127.0.0.1:1/v1\"}", 201, NULL },
		{ "provider.add", "{\"id\":\"loc\",\"baseUrl\":\"http://127.0.0.1:1/v1\"}", 409, "Provider already exists: loc" },
		{ "provider.add", "{\"id\":\"x/y\",\"baseUrl\":\"http://h\"}", 400, "id" },
		{ "provider.update", "{\"id\":\"nope\",\"name\":\"x\"}", 404, "Provider not found" },
		{ "provider.delete", "{\"id\":\"anthropic\"}", 409, NULL },
		{ "conn.add", "{\"provider\":\"loc\",\"name\":\"a\",\"key\":\"k\"}", 201, NULL },
		{ "conn.add", "{\"provider\":\"loc\",\"name\":\"a\"}", 409, NULL },
		{ "conn.add", "{\"provider\":\"loc\",\"name\":\"b\",\"id\":\"not-hex!\"}", 400, "id" },
		{ "conn.add", "{\"provider\":\"loc\",\"name\":\"b\",\"priority\":-1}", 400, "priority" },
		{ "conn.update", "{\"id\":\"ghost\"}", 404, "Connection not found" },
		{ "provider.delete", "{\"id\":\"loc\"}", 409, "Provider still has connections; delete them first" },
		{ "combo.add", "{\"name\":\"c1\",\"targets\":[\"loc/m\"]}", 201, NULL },
		{ "combo.add", "{\"name\":\"c2\",\"targets\":[\"loc/m\",\"zz/m\"]}", 400, "targets[1]" },
		{ "combo.add", "{\"name\":\"c3\",\"targets\":[]}", 400, "targets" },
		{ "combo.update", "{\"name\":\"ghost\",\"targets\":[\"loc/m\"]}", 404, "Combo not found" },
		/* pool.update: what changes, a move to a 0-based position, a whole order */
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"order\":[]}", 404, "No proxy pool assigned to this scope" },
		{ "pool.add", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"a\"}", 201, NULL },
		{ "pool.add", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"a2\"}", 200, NULL },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\"}", 400, "strategy" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"order\":[\"x\"]}", 400, "order[0]" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"order\":[\"\"]}", 400, "order" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"a\"}", 400, "position" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"position\":1}", 400, "proxyId" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"a\",\"position\":2}", 400, "position" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"a\",\"position\":0,\"order\":[]}", 400, "order" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"ghost\",\"position\":0}", 404, "Proxy is not a member of this pool (live 1proxy members follow their quality): ghost" },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"proxyId\":\"a2\",\"position\":\"0\"}", 200, NULL },
		{ "pool.update", "{\"scope\":\"combo\",\"scopeId\":\"pu\",\"stickyWindowMinutes\":10}", 200, NULL },
		{ "apikey.add", "{\"name\":\"k\"}", 201, NULL },
		{ "apikey.delete", "{\"id\":\"ghost\"}", 404, "API key not found" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct json_object *body;
		long long before = row_count();
		int status = run(calls[i].command, calls[i].json, &body);
		if (status != calls[i].status)
			fail_msg("%s %s: status %d, want %d: %s", calls[i].command,
			    calls[i].json, status, calls[i].status, json_plain(body));
		if (calls[i].field_or_message != NULL && status == 400 &&
		    first_detail_field(body) != NULL)
			assert_string_equal(first_detail_field(body), calls[i].field_or_message);
		else if (calls[i].field_or_message != NULL)
			assert_string_equal(error_message(body), calls[i].field_or_message);
		if (status >= 400)
			assert_int_equal(row_count(), before);
		json_object_put(body);
	}
}

static void
test_mutation_updates_master_snapshot(void **state)
{
	struct json_object *body, *id, *res, *level;
	char json[256];
	uint64_t gen = M.generation;

	(void)state;
	assert_int_equal(run("proxy.add", "{\"name\":\"s\",\"host\":\"snap.example\",\"port\":3128}",
	    &body), 201);
	json_object_object_get_ex(body, "id", &id);
	snprintf(json, sizeof(json), "{\"scope\":\"account\",\"scopeId\":\"c-snap\",\"proxyId\":\"%s\"}",
	    json_object_get_string(id));
	assert_int_equal(run("assign.set", json, NULL), 200);
	assert_true(M.generation >= gen + 2);
	assert_int_equal(run("resolve", "{\"connectionId\":\"c-snap\"}", &res), 200);
	json_object_object_get_ex(res, "level", &level);
	assert_string_equal(json_object_get_string(level), "account");
	json_object_put(res);
	json_object_put(body);
}

/* A word naming a proxy: ids first when it looks like one, then the name. */
static void
test_proxy_ref_decision(void **state)
{
	(void)state;
	assert_true(proxy_ref_looks_like_id("9f0afa4b-1261-46a5-85af-deddbbbd06d3"));
	assert_true(proxy_ref_looks_like_id("9F0AFA4B-1261-46A5-85AF-DEDDBBBD06D3"));
	assert_false(proxy_ref_looks_like_id("9f0afa4b-1261-46a5-85af-deddbbbd06d"));
	assert_false(proxy_ref_looks_like_id("9f0afa4b_1261-46a5-85af-deddbbbd06d3"));
	assert_false(proxy_ref_looks_like_id("g f0afa4b-1261-46a5-85af-deddbbbd06d"));
	assert_false(proxy_ref_looks_like_id("US exit"));
	assert_false(proxy_ref_looks_like_id(""));
	/* looks like an id and is one: the id, whatever names say */
	assert_int_equal(proxy_ref_decide(true, true, 0), PROXY_REF_ID);
	assert_int_equal(proxy_ref_decide(true, true, 2), PROXY_REF_ID);
	/* a name, even one shaped like an id that is not stored */
	assert_int_equal(proxy_ref_decide(true, false, 1), PROXY_REF_NAME);
	assert_int_equal(proxy_ref_decide(false, false, 1), PROXY_REF_NAME);
	/* a name beats an odd-shaped (restored) id of another proxy */
	assert_int_equal(proxy_ref_decide(false, true, 1), PROXY_REF_NAME);
	assert_int_equal(proxy_ref_decide(false, true, 0), PROXY_REF_ID);
	assert_int_equal(proxy_ref_decide(false, false, 3), PROXY_REF_AMBIGUOUS);
	assert_int_equal(proxy_ref_decide(true, false, 2), PROXY_REF_AMBIGUOUS);
	assert_int_equal(proxy_ref_decide(false, false, 0), PROXY_REF_UNKNOWN);
	assert_int_equal(proxy_ref_decide(true, false, 0), PROXY_REF_UNKNOWN);
}

static const char *
string_of(struct json_object *obj, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(obj, key, &v));
	return json_object_get_string(v);
}

static void
test_proxy_names(void **state)
{
	struct json_object *body, *assignment, *results;
	char json[512], id[UUID_STR_LEN], twin[UUID_STR_LEN];
	long long before;

	(void)state;
	assert_int_equal(run("proxy.add", "{\"name\":\"Names One\",\"host\":\"n1.example\",\"port\":1}",
	    &body), 201);
	snprintf(id, sizeof(id), "%s", string_of(body, "id"));
	json_object_put(body);

	/* by name, any case, in every command that takes a proxy */
	assert_int_equal(run("proxy.get", "{\"id\":\"names ONE\"}", &body), 200);
	assert_string_equal(string_of(body, "id"), id);
	json_object_put(body);
	assert_int_equal(run("assign.set", "{\"scope\":\"provider\",\"scopeId\":\"pn\","
	    "\"proxyId\":\"Names One\"}", &body), 200);
	json_object_object_get_ex(body, "assignment", &assignment);
	assert_string_equal(string_of(assignment, "proxyId"), id);
	json_object_put(body);
	assert_int_equal(run("proxy.where_used", "{\"id\":\"Names One\"}", &body), 200);
	assert_int_equal(json_object_get_int(json_object_object_get(body, "count")), 1);
	json_object_put(body);

	/* the word direct stays a scope going direct, even beside a proxy so named */
	assert_int_equal(run("proxy.add", "{\"name\":\"direct\",\"host\":\"d.example\",\"port\":1}",
	    NULL), 201);
	assert_int_equal(run("assign.set", "{\"scope\":\"provider\",\"scopeId\":\"pd\","
	    "\"proxyId\":\"direct\"}", &body), 200);
	json_object_object_get_ex(body, "assignment", &assignment);
	assert_string_equal(string_of(assignment, "proxyId"), "direct");
	json_object_put(body);

	/* a bulk import row with a taken name fails alone, as a conflict */
	assert_int_equal(run("proxy.import", "{\"items\":[{\"name\":\"NAMES one\","
	    "\"host\":\"n2.example\",\"port\":1},{\"name\":\"Names Two\",\"host\":"
	    "\"n2.example\",\"port\":2}]}", &body), 200);
	assert_int_equal(json_object_get_int(json_object_object_get(body, "failed")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(body, "created")), 1);
	results = json_object_object_get(body, "results");
	assert_int_equal(json_object_get_int(json_object_object_get(
	    json_object_array_get_idx(results, 0), "status")), 409);
	json_object_put(body);
	/* ... and a row updating its host+port twin under its own name is fine */
	assert_int_equal(run("proxy.import", "{\"items\":[{\"name\":\"names two\","
	    "\"host\":\"n2.example\",\"port\":2}]}", &body), 200);
	assert_int_equal(json_object_get_int(json_object_object_get(body, "updated")), 1);
	json_object_put(body);

	/* a restore that would make a duplicate changes nothing: 409 */
	before = row_count();
	assert_int_equal(run("backup.import", "{\"format\":\"omniroute-backup\",\"version\":1,"
	    "\"proxies\":[{\"name\":\"fresh\",\"host\":\"n3.example\",\"port\":1},"
	    "{\"name\":\"Names ONE\",\"host\":\"n4.example\",\"port\":1}]}", &body), 409);
	assert_string_equal(first_detail_field(body), "proxies[1].name");
	assert_int_equal(row_count(), before);
	json_object_put(body);

	/* an older database may hold duplicates: they work by id, not by name */
	snprintf(twin, sizeof(twin), "%s", "00000000-0000-4000-8000-000000000001");
	snprintf(json, sizeof(json), "INSERT INTO proxy_registry (id, name, type, host, "
	    "port, username, password, status, created_at, updated_at) SELECT '%s', "
	    "'NAMES ONE', type, 'n5.example', 1, username, password, status, created_at, "
	    "updated_at FROM proxy_registry WHERE id = '%s'", twin, id);
	assert_int_equal(sqlite3_exec(M.db, json, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(run("proxy.get", "{\"id\":\"Names One\"}", &body), 409);
	assert_non_null(strstr(error_message(body), "ambiguous"));
	assert_non_null(strstr(error_message(body), "use the id"));
	json_object_put(body);
	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", twin);
	assert_int_equal(run("proxy.get", json, NULL), 200);
	/* keeping one's own name is no conflict; a new duplicate is */
	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"name\":\"Names One\",\"port\":2}", twin);
	assert_int_equal(run("proxy.update", json, NULL), 200);
	assert_int_equal(run("proxy.add", "{\"name\":\"names one\",\"host\":\"n6.example\",\"port\":1}",
	    &body), 409);
	assert_non_null(strstr(error_message(body), "is taken by proxy 'Names One'"));
	json_object_put(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command_refuses_unknown_keys),
		cmocka_unit_test(test_every_field_refuses_a_wrong_type),
		cmocka_unit_test(test_every_required_field_is_named),
		cmocka_unit_test(test_framing_errors),
		cmocka_unit_test(test_call_table),
		cmocka_unit_test(test_mutation_updates_master_snapshot),
		cmocka_unit_test(test_proxy_ref_decision),
		cmocka_unit_test(test_proxy_names),
	};

	return cmocka_run_group_tests(tests, master_fixture_setup_with_snapshot, master_fixture_teardown);
}
