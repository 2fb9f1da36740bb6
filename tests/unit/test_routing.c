/*
 * tests/unit/test_routing.c — tests of the typed routing tables and the
 * choice of a call's candidates (common/routing.c), fed the channel's JSON:
 * a provider's active connections by priority (inactive and resting ones
 * left out), combos target by target, auth-less providers, the upstream
 * modes, the candidate cap, unknown models, lookups, malformed tables, and
 * deltas (common/registry.c) that change the connections — the precomputed
 * order follows, and a malformed delta changes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "registry.h"
#include "routing.h"
#include "util.h"

static struct route_tables tables;

static int
teardown(void **state)
{
	(void)state;
	route_tables_free(&tables);
	return 0;
}

/* Single quotes stand for double ones, to keep the fixtures readable. */
static struct json_object *
parse(const char *text)
{
	char *s = xstrdup(text), *c;
	struct json_object *obj;

	for (c = s; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	obj = json_tokener_parse(s);
	free(s);
	assert_non_null(obj);
	return obj;
}

static void
load(const char *text)
{
	struct json_object *obj = parse(text);
	char err[200] = "";

	route_tables_free(&tables);
	if (route_tables_from_json(obj, &tables, err, sizeof(err)) != 0)
		fail_msg("rejected: %s", err);
	json_object_put(obj);
}

#define CONN(id, provider, name, priority, active)				\
	"{'id':'" id "','provider':'" provider "','name':'" name "','key':'k-" id	\
	"','priority':" #priority ",'active':" #active "}"

/* openai: four connections, one inactive, priorities out of order;
 * anthropic: x-api-key, one connection; local: no key, no connection;
 * groq: only an inactive connection. Listed in the API's order. */
static const char fixture[] =
    "{'providers':["
    "{'id':'openai','baseUrl':'https://api.openai.com/v1','authStyle':'bearer','headers':{}},"
    "{'id':'anthropic','baseUrl':'https://api.anthropic.com/v1','authStyle':'x-api-key',"
    "'headers':{'anthropic-version':'2023-06-01'}},"
    "{'id':'groq','baseUrl':'https://api.groq.com/openai/v1','authStyle':'bearer'},"
    "{'id':'local','baseUrl':'http://127.0.0.1:9/v1','authStyle':'none','headers':{}}],"
    "'connections':["
    CONN("c-o3", "openai", "zeta", 5, true) ","
    CONN("c-o1", "openai", "beta", 1, true) ","
    CONN("c-o2", "openai", "alpha", 5, true) ","
    CONN("c-o0", "openai", "off", 0, false) ","
    CONN("c-a1", "anthropic", "main", 0, true) ","
    CONN("c-g1", "groq", "off", 0, false) "],"
    "'combos':[{'id':'fast','targets':['groq/llama','nobody/x','anthropic/claude',"
    "'no-slash','openai/gpt-4o']},{'id':'empty','targets':[]}],"
    "'apiKeys':[{'hash':'" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "','id':'k2'},"
    "{'hash':'" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "','id':'k1'}],"
    "'upstreamModes':[]}";

static void
assert_candidate(const struct route_plan *plan, size_t i, const char *provider,
    const char *connection, const char *model, enum route_via via)
{
	const struct route_candidate *c = &plan->cand[i];

	assert_true(i < plan->count);
	assert_string_equal(c->provider->id, provider);
	if (connection == NULL)
		assert_null(c->connection);
	else
		assert_string_equal(c->connection->id, connection);
	assert_string_equal(c->model, model);
	assert_int_equal(c->via, via);
}

static bool
skip_named(void *arg, const struct route_connection *c)
{
	const char *const *ids = arg;

	for (; *ids != NULL; ids++)
		if (strcmp(*ids, c->id) == 0)
			return true;
	return false;
}

static void
test_provider_active_connections_by_priority(void **state)
{
	struct route_plan plan;
	const struct route_provider *p;

	(void)state;
	load(fixture);
	route_candidates(&tables, "openai/gpt-4o", NULL, NULL, &plan);
	assert_non_null(plan.provider);
	assert_null(plan.combo);
	assert_int_equal(plan.count, 3);	/* the inactive one left out */
	assert_candidate(&plan, 0, "openai", "c-o1", "gpt-4o", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 1, "openai", "c-o2", "gpt-4o", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 2, "openai", "c-o3", "gpt-4o", ROUTE_VIA_PROVIDER);
	assert_string_equal(plan.cand[0].connection->key, "k-c-o1");

	p = route_find_provider(&tables, "openai");
	assert_non_null(p);
	assert_int_equal(p->active_count, 3);
	assert_int_equal(p->auth, ROUTE_AUTH_BEARER);
	assert_int_equal(p->upstream, UPSTREAM_NATIVE);
	assert_int_equal(route_find_provider(&tables, "groq")->active_count, 0);
	/* the model may hold more slashes; only the first one splits */
	route_candidates(&tables, "openai/org/model", NULL, NULL, &plan);
	assert_int_equal(plan.count, 3);
	assert_string_equal(plan.cand[0].model, "org/model");
}

static void
test_resting_connections_left_out(void **state)
{
	static const char *const resting[] = { "c-o1", "c-o3", NULL };
	static const char *const all[] = { "c-o1", "c-o2", "c-o3", NULL };
	struct route_plan plan;
	const struct route_provider *p;

	(void)state;
	load(fixture);
	route_candidates(&tables, "openai/gpt-4o", skip_named, (void *)(uintptr_t)resting,
	    &plan);
	assert_int_equal(plan.count, 1);
	assert_candidate(&plan, 0, "openai", "c-o2", "gpt-4o", ROUTE_VIA_PROVIDER);

	/* all resting: nothing now, but the provider is known */
	route_candidates(&tables, "openai/gpt-4o", skip_named, (void *)(uintptr_t)all,
	    &plan);
	assert_int_equal(plan.count, 0);
	assert_non_null(plan.provider);

	/* the model list's questions: best, then next after those tried */
	p = route_find_provider(&tables, "openai");
	assert_string_equal(route_first_connection(p, NULL, NULL)->id, "c-o1");
	assert_string_equal(route_first_connection(p, skip_named,
	    (void *)(uintptr_t)resting)->id, "c-o2");
	assert_null(route_first_connection(p, skip_named, (void *)(uintptr_t)all));
	assert_null(route_first_connection(route_find_provider(&tables, "groq"), NULL, NULL));
}

static void
test_combo_targets_in_order(void **state)
{
	struct route_plan plan;

	(void)state;
	load(fixture);
	route_candidates(&tables, "fast", NULL, NULL, &plan);
	assert_null(plan.provider);
	assert_non_null(plan.combo);
	assert_string_equal(plan.combo->id, "fast");
	/* groq: no active connection; nobody: unknown; no-slash: dropped */
	assert_int_equal(plan.combo->target_count, 4);
	assert_int_equal(plan.count, 4);
	assert_candidate(&plan, 0, "anthropic", "c-a1", "claude", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 1, "openai", "c-o1", "gpt-4o", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 2, "openai", "c-o2", "gpt-4o", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 3, "openai", "c-o3", "gpt-4o", ROUTE_VIA_PROVIDER);

	route_candidates(&tables, "empty", NULL, NULL, &plan);
	assert_non_null(plan.combo);
	assert_int_equal(plan.count, 0);
}

static void
test_unknown_models(void **state)
{
	static const char *const unknown[] = {
		"gpt-4o", "nobody/gpt-4o", "openai/", "/gpt-4o", "", "FAST", "fast/x",
		"openaiopenaiopenaiopenaiopenaiopenaiopenaiopenaiopenaiopenaiopenai/x",
	};
	struct route_plan plan;
	size_t i;

	(void)state;
	load(fixture);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		route_candidates(&tables, unknown[i], NULL, NULL, &plan);
		if (plan.provider != NULL || plan.combo != NULL || plan.count != 0)
			fail_msg("routed: '%s'", unknown[i]);
	}
	/* empty tables route nothing */
	route_tables_free(&tables);
	route_candidates(&tables, "openai/gpt-4o", NULL, NULL, &plan);
	assert_null(plan.provider);
	assert_int_equal(plan.count, 0);
	assert_null(route_find_connection(&tables, "c-o1"));
	assert_null(route_find_combo(&tables, "fast"));
	assert_null(route_find_api_key(&tables, NULL));
}

static void
test_keyless_provider_without_connection(void **state)
{
	struct route_plan plan;

	(void)state;
	load(fixture);
	route_candidates(&tables, "local/llama3", NULL, NULL, &plan);
	assert_int_equal(plan.count, 1);
	assert_candidate(&plan, 0, "local", NULL, "llama3", ROUTE_VIA_PROVIDER);
	/* a keyed provider without an active connection has none */
	route_candidates(&tables, "groq/llama", NULL, NULL, &plan);
	assert_non_null(plan.provider);
	assert_int_equal(plan.count, 0);
}

static void
test_upstream_modes(void **state)
{
	struct route_plan plan;

	(void)state;
	load("{'providers':["
	    "{'id':'openai','baseUrl':'https://o/v1','authStyle':'bearer'},"
	    "{'id':'groq','baseUrl':'https://g/v1','authStyle':'bearer'}],"
	    "'connections':[" CONN("o1", "openai", "a", 0, true) ","
	    CONN("o2", "openai", "b", 1, true) "," CONN("g1", "groq", "a", 0, true) ","
	    CONN("g2", "groq", "b", 1, true) "],"
	    "'combos':[{'id':'both','targets':['groq/l','openai/m']}],"
	    "'upstreamModes':[{'id':'openai','mode':'cliproxyapi'},"
	    "{'id':'groq','mode':'fallback'},{'id':'ghost','mode':'cliproxyapi'}]}");
	assert_int_equal(route_find_provider(&tables, "openai")->upstream, UPSTREAM_CLIPROXYAPI);
	assert_int_equal(route_upstream_mode(&tables, "ghost"), UPSTREAM_CLIPROXYAPI);
	assert_int_equal(route_upstream_mode(&tables, "mistral"), UPSTREAM_NATIVE);

	route_candidates(&tables, "openai/m", NULL, NULL, &plan);
	assert_int_equal(plan.count, 2);
	assert_candidate(&plan, 0, "openai", "o1", "m", ROUTE_VIA_CLIPROXYAPI);
	assert_candidate(&plan, 1, "openai", "o2", "m", ROUTE_VIA_CLIPROXYAPI);

	/* fallback: the natives, then one CLIProxyAPI candidate for the group */
	route_candidates(&tables, "both", NULL, NULL, &plan);
	assert_int_equal(plan.count, 5);
	assert_candidate(&plan, 0, "groq", "g1", "l", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 1, "groq", "g2", "l", ROUTE_VIA_PROVIDER);
	assert_candidate(&plan, 2, "groq", NULL, "l", ROUTE_VIA_FALLBACK);
	assert_int_equal(plan.cand[2].group, 0);
	assert_candidate(&plan, 3, "openai", "o1", "m", ROUTE_VIA_CLIPROXYAPI);
	assert_candidate(&plan, 4, "openai", "o2", "m", ROUTE_VIA_CLIPROXYAPI);

	/* fallback with no native candidate adds nothing */
	{
		static const char *const all[] = { "g1", "g2", NULL };
		route_candidates(&tables, "groq/l", skip_named, (void *)(uintptr_t)all, &plan);
		assert_int_equal(plan.count, 0);
	}
}

static void
test_candidates_capped(void **state)
{
	char text[8192];
	size_t off = 0, i;
	struct route_plan plan;

	(void)state;
	off += (size_t)snprintf(text + off, sizeof(text) - off, "{'providers':["
	    "{'id':'p','baseUrl':'https://p/v1','authStyle':'bearer'}],'connections':[");
	for (i = 0; i < 20; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s{'id':'c%02zu',"
		    "'provider':'p','name':'n%02zu','key':'k','priority':%zu,'active':true}",
		    i ? "," : "", i, i, 19 - i);
	snprintf(text + off, sizeof(text) - off, "],'combos':[{'id':'twice','targets':"
	    "['p/a','p/b']}]}");
	load(text);
	route_candidates(&tables, "p/m", NULL, NULL, &plan);
	assert_int_equal(plan.count, ROUTE_MAX_CANDIDATES);
	assert_string_equal(plan.cand[0].connection->id, "c19");	/* priority 0 */
	assert_string_equal(plan.cand[15].connection->id, "c04");
	route_candidates(&tables, "twice", NULL, NULL, &plan);
	assert_int_equal(plan.count, ROUTE_MAX_CANDIDATES);
	assert_string_equal(plan.cand[15].model, "a");
}

static void
test_lookups(void **state)
{
	const struct route_api_key *k;
	const struct route_connection *c;
	const struct route_provider *p;

	(void)state;
	load(fixture);
	/* the API's order is kept for listing; lookups are by id */
	assert_int_equal(tables.provider_count, 4);
	assert_string_equal(tables.providers[0].id, "openai");
	assert_string_equal(tables.providers[3].id, "local");
	p = route_find_provider(&tables, "anthropic");
	assert_non_null(p);
	assert_int_equal(p->auth, ROUTE_AUTH_X_API_KEY);
	assert_string_equal(json_object_get_string(json_object_object_get(p->headers,
	    "anthropic-version")), "2023-06-01");
	assert_null(route_find_provider(&tables, "anthropicx"));
	assert_null(route_find_provider(&tables, NULL));
	assert_null(route_find_provider(&tables, "groq")->headers);

	c = route_find_connection(&tables, "c-o0");
	assert_non_null(c);
	assert_false(c->active);
	assert_string_equal(c->provider, "openai");
	assert_int_equal(c->priority, 0);
	assert_null(route_find_connection(&tables, "c-o"));

	assert_non_null(route_find_combo(&tables, "fast"));
	assert_null(route_find_combo(&tables, "slow"));

	k = route_find_api_key(&tables,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_non_null(k);
	assert_string_equal(k->id, "k1");
	assert_string_equal(route_find_api_key(&tables,
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")->id, "k2");
	assert_null(route_find_api_key(&tables,
	    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"));
	assert_null(route_find_api_key(&tables, "aaaa"));

	assert_string_equal(route_auth_name(ROUTE_AUTH_NONE), "none");
	assert_string_equal(upstream_mode_name(UPSTREAM_FALLBACK), "fallback");
}

static void
test_round_trip(void **state)
{
	struct route_tables back;
	struct json_object *j, *again;
	char err[200];

	(void)state;
	load(fixture);
	j = route_tables_to_json(&tables);
	assert_int_equal(route_tables_from_json(j, &back, err, sizeof(err)), 0);
	again = route_tables_to_json(&back);
	assert_true(json_object_equal(j, again));
	/* the provider order survives the channel */
	assert_string_equal(back.providers[1].id, "anthropic");
	route_json_put(j);
	route_json_put(again);
	route_tables_free(&back);
}

static void
test_malformed_tables_rejected(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{'providers':{}}",
		"{'providers':[{'id':'p','baseUrl':'u','authStyle':'basic'}]}",
		"{'providers':[{'id':'p','authStyle':'bearer'}]}",
		"{'providers':[{'id':'p','baseUrl':'u','authStyle':'bearer','headers':[]}]}",
		"{'providers':[{'id':7,'baseUrl':'u','authStyle':'bearer'}]}",
		"{'connections':[" CONN("a", "p", "n", 0, true) ",{'id':'b','provider':'p',"
		    "'name':'n','key':'secret','priority':'1','active':true}]}",
		"{'connections':[{'id':'b','provider':'p','name':'n','key':'secret',"
		    "'priority':1,'active':1}]}",
		"{'connections':[{'id':'b','provider':'p','name':'n','priority':1,'active':true}]}",
		"{'combos':[{'id':'c'}]}",
		"{'combos':[{'id':'c','targets':['a/b',3]}]}",
		"{'apiKeys':[{'hash':'abc','id':'k'}]}",
		"{'apiKeys':[{'hash':'" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "','id':'k'}]}",
		"{'upstreamModes':[{'id':'p','mode':'sideways'}]}",
		"{'upstreamModes':[null]}",
		/* one key twice */
		"{'providers':[{'id':'p','baseUrl':'u','authStyle':'none'},"
		    "{'id':'q','baseUrl':'u','authStyle':'none'},"
		    "{'id':'p','baseUrl':'v','authStyle':'none'}]}",
		"{'connections':[" CONN("a", "p", "n", 0, true) "," CONN("a", "q", "m", 1,
		    false) "]}",
		"{'combos':[{'id':'c','targets':[]},{'id':'c','targets':[]}]}",
	};
	struct json_object *obj;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = parse(bad[i]);
		err[0] = '\0';
		if (route_tables_from_json(obj, &tables, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		json_object_put(obj);
		assert_true(strlen(err) > 0);
		assert_null(strstr(err, "secret"));
		assert_int_equal(tables.provider_count + tables.connection_count +
		    tables.combo_count + tables.api_key_count + tables.upstream_count, 0);
		assert_null(tables.connections);
	}
}

/* ---- deltas ------------------------------------------------------------------ */

static const char *
active_ids(const struct registry_snapshot *s, const char *provider, char *out, size_t len)
{
	const struct route_provider *p = route_find_provider(&s->routes, provider);
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; p != NULL && i < p->active_count; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? " " : "",
		    p->active[i]->id);
	return out;
}

static void
snapshot_load(struct registry_snapshot *s, uint64_t generation, const char *routes)
{
	char text[4096], err[200];
	struct json_object *obj;

	snprintf(text, sizeof(text), "{'generation':%llu,'proxies':[],'assignments':[],"
	    "'routes':%s}", (unsigned long long)generation, routes);
	obj = parse(text);
	if (snapshot_from_json(obj, s, err, sizeof(err)) != 0)
		fail_msg("snapshot rejected: %s", err);
	json_object_put(obj);
}

static void
test_delta_updates_the_precomputed_order(void **state)
{
	struct registry_snapshot old, new;
	struct json_object *delta, *v;
	char ids[200], err[200];

	(void)state;
	snapshot_load(&old, 4, fixture);
	assert_string_equal(active_ids(&old, "openai", ids, sizeof(ids)), "c-o1 c-o2 c-o3");
	/* c-o1 removed, c-o0 turned active, c-o9 added at the front */
	snapshot_load(&new, 5, "{'providers':["
	    "{'id':'openai','baseUrl':'https://api.openai.com/v1','authStyle':'bearer','headers':{}}],"
	    "'connections':["
	    CONN("c-o3", "openai", "zeta", 5, true) ","
	    CONN("c-o2", "openai", "alpha", 5, true) ","
	    CONN("c-o0", "openai", "off", 3, true) ","
	    CONN("c-o9", "openai", "new", -1, true) "]}");
	delta = snapshot_diff(&old, &new);
	assert_true(json_object_object_get_ex(delta, "routes", &v));
	assert_int_equal(snapshot_apply_delta(&old, delta, err, sizeof(err)), 0);
	json_object_put(delta);
	assert_true(old.generation == 5);
	assert_string_equal(active_ids(&old, "openai", ids, sizeof(ids)),
	    "c-o9 c-o0 c-o2 c-o3");
	assert_null(route_find_connection(&old.routes, "c-o1"));
	assert_null(route_find_provider(&old.routes, "anthropic"));

	/* unchanged tables are not sent again */
	new.generation = 6;
	delta = snapshot_diff(&old, &new);
	assert_false(json_object_object_get_ex(delta, "routes", &v));
	assert_int_equal(snapshot_apply_delta(&old, delta, err, sizeof(err)), 0);
	json_object_put(delta);
	assert_string_equal(active_ids(&old, "openai", ids, sizeof(ids)),
	    "c-o9 c-o0 c-o2 c-o3");
	snapshot_free(&old);
	snapshot_free(&new);
}

static void
test_malformed_delta_leaves_snapshot_unchanged(void **state)
{
	static const char *const bad[] = {
		/* a good routes section, a malformed proxy row */
		"{'generation':5,'base':4,'proxies':[['x','n','ftp','h',1,'','',true]],"
		    "'removedProxies':[],'assignments':[],'removedAssignments':[],"
		    "'routes':{'connections':[]}}",
		/* good lists, malformed routes */
		"{'generation':5,'base':4,'proxies':[],'removedProxies':[],'assignments':[],"
		    "'removedAssignments':[],'routes':{'connections':[" CONN("z", "openai",
		    "z", 0, true) ",{'id':'y'}]}}",
		"{'generation':5,'base':4,'proxies':[],'removedProxies':[],'assignments':[],"
		    "'removedAssignments':[],'routes':[]}",
		/* wrong base */
		"{'generation':5,'base':3,'proxies':[],'removedProxies':[],'assignments':[],"
		    "'removedAssignments':[],'routes':{}}",
	};
	struct registry_snapshot s;
	struct json_object *delta, *before, *after;
	char ids[200], err[200];
	size_t i;

	(void)state;
	snapshot_load(&s, 4, fixture);
	before = snapshot_to_json(&s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		delta = parse(bad[i]);
		if (snapshot_apply_delta(&s, delta, err, sizeof(err)) == 0)
			fail_msg("delta %zu applied", i);
		json_object_put(delta);
		after = snapshot_to_json(&s);
		assert_true(json_object_equal(before, after));
		json_object_put(after);
	}
	assert_true(s.generation == 4);
	assert_string_equal(active_ids(&s, "openai", ids, sizeof(ids)), "c-o1 c-o2 c-o3");
	json_object_put(before);
	snapshot_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_provider_active_connections_by_priority, teardown),
		cmocka_unit_test_teardown(test_resting_connections_left_out, teardown),
		cmocka_unit_test_teardown(test_combo_targets_in_order, teardown),
		cmocka_unit_test_teardown(test_unknown_models, teardown),
		cmocka_unit_test_teardown(test_keyless_provider_without_connection, teardown),
		cmocka_unit_test_teardown(test_upstream_modes, teardown),
		cmocka_unit_test_teardown(test_candidates_capped, teardown),
		cmocka_unit_test_teardown(test_lookups, teardown),
		cmocka_unit_test_teardown(test_round_trip, teardown),
		cmocka_unit_test_teardown(test_malformed_tables_rejected, teardown),
		cmocka_unit_test_teardown(test_delta_updates_the_precomputed_order, teardown),
		cmocka_unit_test_teardown(test_malformed_delta_leaves_snapshot_unchanged,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
