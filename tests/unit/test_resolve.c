/*
 * tests/unit/test_resolve.c — tests of proxy resolution (common/resolve.c)
 * over registry snapshots built in code (common/registry.c): the order
 * account → provider → combo → global → direct, "direct" assignments,
 * inactive and missing proxies being skipped, fail-closed refusal and
 * PROXY_FAIL_OPEN, the explain trail, the API JSON with redacted
 * credentials, the snapshot's channel form (round trip and malformed rows),
 * scope names, and sorted lookups over ten thousand rows. Delegation to a
 * loopback CLIProxyAPI: no assignment applies (dead, inactive or missing
 * proxies included), the explain trail says so, and resolve_delegates()
 * decides it from the upstream mode and CLIPROXYAPI_URL.
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
#include "reply.h"
#include "resolve.h"
#include "util.h"

static struct registry_snapshot snap;
static struct resolve_result res;

static int
teardown(void **state)
{
	(void)state;
	snapshot_free(&snap);
	return 0;
}

static void
add_proxy_full(const char *id, enum proxy_type type, const char *host,
    uint16_t port, const char *user, const char *pass, bool active)
{
	struct snap_proxy *p;

	snap.proxies = xrealloc(snap.proxies,
	    (snap.proxy_count + 1) * sizeof(*snap.proxies));
	p = &snap.proxies[snap.proxy_count++];
	memset(p, 0, sizeof(*p));
	p->id = xstrdup(id);
	p->name = xstrdup(id);
	p->type = type;
	p->host = xstrdup(host);
	p->port = port;
	p->username = xstrdup(user);
	p->password = xstrdup(pass);
	p->active = active;
}

static void
add_proxy(const char *id, bool active)
{
	add_proxy_full(id, PROXY_TYPE_HTTP, "proxy.example", 8080, "", "", active);
}

/* scope_id is ignored for global, which is stored as GLOBAL_SCOPE_ID. */
static void
assign(enum scope scope, const char *scope_id, const char *proxy_id)
{
	struct snap_assignment *a;

	snap.assignments = xrealloc(snap.assignments,
	    (snap.assignment_count + 1) * sizeof(*snap.assignments));
	a = &snap.assignments[snap.assignment_count++];
	memset(a, 0, sizeof(*a));
	a->scope = scope;
	a->scope_id = xstrdup(scope == SCOPE_GLOBAL ? GLOBAL_SCOPE_ID : scope_id);
	a->proxy_id = xstrdup(proxy_id);
	snap_assignment_plain_members(a);	/* a pool of one */
}

static void
resolve_ids(const char *conn, const char *provider, const char *combo,
    bool fail_open)
{
	const struct resolve_request req = {
		.connection_id = conn,
		.provider_id = provider,
		.combo_id = combo,
		.fail_open = fail_open,
	};

	proxy_resolve(&snap, &req, &res);
}

/* The request used by most tests: every scope id given. */
static void
resolve_all(bool fail_open)
{
	resolve_ids("conn-1", "openai", "fast", fail_open);
}

static void
assert_proxy(enum scope level, const char *level_id, const char *proxy_id)
{
	assert_int_equal(res.outcome, RESOLVE_PROXY);
	assert_false(res.level_is_direct);
	assert_int_equal(res.level, level);
	if (level_id == NULL)
		assert_null(res.level_id);
	else
		assert_string_equal(res.level_id, level_id);
	assert_non_null(res.proxy);
	assert_string_equal(res.proxy->id, proxy_id);
	assert_string_equal(resolve_level_name(&res), scope_name(level));
}

static void
assert_direct_by_assignment(enum scope level)
{
	assert_int_equal(res.outcome, RESOLVE_DIRECT);
	assert_false(res.level_is_direct);
	assert_int_equal(res.level, level);
	assert_null(res.proxy);
	assert_string_equal(resolve_level_name(&res), scope_name(level));
}

static void
assert_plain_direct(void)
{
	assert_int_equal(res.outcome, RESOLVE_DIRECT);
	assert_true(res.level_is_direct);
	assert_null(res.proxy);
	assert_null(res.level_id);
	assert_string_equal(resolve_level_name(&res), "direct");
}

static void
assert_refused(enum scope level, const char *level_id)
{
	assert_int_equal(res.outcome, RESOLVE_REFUSED);
	assert_false(res.level_is_direct);
	assert_int_equal(res.level, level);
	if (level_id == NULL)
		assert_null(res.level_id);
	else
		assert_string_equal(res.level_id, level_id);
	assert_null(res.proxy);
}

static void
assert_step(enum scope s, enum resolve_verdict verdict, const char *proxy_id)
{
	const struct resolve_step *st = &res.explain[s];

	assert_int_equal(st->scope, s);
	assert_int_equal(st->verdict, verdict);
	if (proxy_id == NULL)
		assert_null(st->proxy_id);
	else
		assert_string_equal(st->proxy_id, proxy_id);
}

/* One active proxy assigned at every level: pa, pp, pc, pg. */
static void
build_four_levels(void)
{
	add_proxy("pa", true);
	add_proxy("pp", true);
	add_proxy("pc", true);
	add_proxy("pg", true);
	assign(SCOPE_GLOBAL, NULL, "pg");
	assign(SCOPE_COMBO, "fast", "pc");
	assign(SCOPE_PROVIDER, "openai", "pp");
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	snapshot_index(&snap);
}

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_non_null(v);
	return json_object_get_string(v);
}

static void
assert_json_null(struct json_object *o, const char *key)
{
	struct json_object *v = (struct json_object *)1;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_null(v);
}

static void
test_account_beats_provider_beats_combo_beats_global(void **state)
{
	(void)state;
	build_four_levels();
	resolve_ids("conn-1", "openai", "fast", false);
	assert_proxy(SCOPE_ACCOUNT, "conn-1", "pa");
	resolve_ids("conn-other", "openai", "fast", false);
	assert_proxy(SCOPE_PROVIDER, "openai", "pp");
	resolve_ids("conn-other", "groq", "fast", false);
	assert_proxy(SCOPE_COMBO, "fast", "pc");
	resolve_ids("conn-other", "groq", "slow", false);
	assert_proxy(SCOPE_GLOBAL, NULL, "pg");
	resolve_ids(NULL, NULL, NULL, false);
	assert_proxy(SCOPE_GLOBAL, NULL, "pg");
}

static void
test_each_level_alone(void **state)
{
	static const struct {
		enum scope	 scope;
		const char	*scope_id;
	} levels[] = {
		{ SCOPE_ACCOUNT, "conn-1" }, { SCOPE_PROVIDER, "openai" },
		{ SCOPE_COMBO, "fast" }, { SCOPE_GLOBAL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		add_proxy("only", true);
		assign(levels[i].scope, levels[i].scope_id, "only");
		snapshot_index(&snap);
		resolve_all(false);
		assert_proxy(levels[i].scope, levels[i].scope_id, "only");
		snapshot_free(&snap);
	}
}

static void
test_scopes_do_not_mix(void **state)
{
	(void)state;
	/* The same id string at another scope is another assignment. */
	add_proxy("p", true);
	assign(SCOPE_PROVIDER, "shared", "p");
	snapshot_index(&snap);
	resolve_ids("shared", "other", "shared", false);
	assert_plain_direct();
	resolve_ids("x", "shared", NULL, false);
	assert_proxy(SCOPE_PROVIDER, "shared", "p");
}

static void
test_nothing_assigned_goes_direct(void **state)
{
	(void)state;
	snapshot_index(&snap);
	resolve_all(false);
	assert_plain_direct();
	assert_step(SCOPE_ACCOUNT, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NO_ASSIGNMENT, NULL);
}

static void
test_missing_scope_ids_give_no_scope_id(void **state)
{
	(void)state;
	build_four_levels();
	resolve_ids(NULL, NULL, NULL, false);
	assert_step(SCOPE_ACCOUNT, VERDICT_NOT_GIVEN, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_NOT_GIVEN, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NOT_GIVEN, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_USED, "pg");
	assert_null(res.explain[SCOPE_ACCOUNT].scope_id);
	assert_string_equal(resolve_verdict_name(res.explain[SCOPE_ACCOUNT].verdict),
	    "no scope id");

	/* An empty id is no id. */
	resolve_ids("", "", "", false);
	assert_step(SCOPE_ACCOUNT, VERDICT_NOT_GIVEN, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_NOT_GIVEN, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NOT_GIVEN, NULL);
	assert_proxy(SCOPE_GLOBAL, NULL, "pg");
}

static void
test_direct_assignment_overrides_lower_levels(void **state)
{
	static const struct {
		enum scope	 scope;
		const char	*scope_id;
	} levels[] = {
		{ SCOPE_ACCOUNT, "conn-1" }, { SCOPE_PROVIDER, "openai" },
		{ SCOPE_COMBO, "fast" }, { SCOPE_GLOBAL, NULL },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < 4; i++) {
		/* "direct" at level i, an active proxy at every lower level. */
		add_proxy("lower", true);
		for (j = i; j < 4; j++)
			assign(levels[j].scope, levels[j].scope_id,
			    j == i ? ASSIGN_DIRECT : "lower");
		snapshot_index(&snap);
		resolve_all(false);
		assert_direct_by_assignment(levels[i].scope);
		if (levels[i].scope_id == NULL)
			assert_null(res.level_id);
		else
			assert_string_equal(res.level_id, levels[i].scope_id);
		assert_step(levels[i].scope, VERDICT_DIRECT, ASSIGN_DIRECT);
		for (j = i + 1; j < 4; j++)
			assert_step(levels[j].scope, VERDICT_NOT_CONSULTED, NULL);
		snapshot_free(&snap);
	}
}

static void
test_proxy_above_direct_assignment_wins(void **state)
{
	(void)state;
	add_proxy("pa", true);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	assign(SCOPE_PROVIDER, "openai", ASSIGN_DIRECT);
	snapshot_index(&snap);
	resolve_all(false);
	assert_proxy(SCOPE_ACCOUNT, "conn-1", "pa");
}

static void
test_inactive_proxy_refused_even_with_lower_levels(void **state)
{
	(void)state;
	add_proxy("pa", false);
	add_proxy("pp", true);
	add_proxy("pg", true);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	assign(SCOPE_PROVIDER, "openai", "pp");
	assign(SCOPE_GLOBAL, NULL, "pg");
	snapshot_index(&snap);
	/* fail closed: the account's pinned exit is down; no other exit is used */
	resolve_all(false);
	assert_refused(SCOPE_ACCOUNT, "conn-1");
	assert_step(SCOPE_ACCOUNT, VERDICT_REFUSED_INACTIVE, "pa");
	assert_step(SCOPE_PROVIDER, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
	/* fail open: skipped, the next level is used */
	resolve_all(true);
	assert_proxy(SCOPE_PROVIDER, "openai", "pp");
	assert_step(SCOPE_ACCOUNT, VERDICT_SKIPPED_INACTIVE, "pa");
	assert_step(SCOPE_PROVIDER, VERDICT_USED, "pp");
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
}

static void
test_inactive_at_only_assigned_level_refused(void **state)
{
	(void)state;
	add_proxy("pp", false);
	assign(SCOPE_PROVIDER, "openai", "pp");
	snapshot_index(&snap);
	resolve_all(false);
	assert_refused(SCOPE_PROVIDER, "openai");
	assert_step(SCOPE_ACCOUNT, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_REFUSED_INACTIVE, "pp");
	assert_step(SCOPE_COMBO, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
}

static void
test_inactive_global_refused(void **state)
{
	(void)state;
	add_proxy("pg", false);
	assign(SCOPE_GLOBAL, NULL, "pg");
	snapshot_index(&snap);
	resolve_ids(NULL, NULL, NULL, false);
	assert_refused(SCOPE_GLOBAL, NULL);
	assert_string_equal(resolve_level_name(&res), "global");
}

static void
test_fail_open_turns_refusal_into_direct(void **state)
{
	(void)state;
	add_proxy("pp", false);
	assign(SCOPE_PROVIDER, "openai", "pp");
	snapshot_index(&snap);
	resolve_all(true);
	assert_plain_direct();
	assert_step(SCOPE_PROVIDER, VERDICT_SKIPPED_INACTIVE, "pp");
}

static void
test_skipped_then_direct_assignment_refused(void **state)
{
	(void)state;
	add_proxy("pa", false);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	assign(SCOPE_COMBO, "fast", ASSIGN_DIRECT);
	snapshot_index(&snap);
	resolve_all(false);
	assert_refused(SCOPE_ACCOUNT, "conn-1");
	assert_step(SCOPE_ACCOUNT, VERDICT_REFUSED_INACTIVE, "pa");
	assert_step(SCOPE_PROVIDER, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
}

static void
test_skipped_then_direct_assignment_fail_open(void **state)
{
	(void)state;
	add_proxy("pa", false);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	assign(SCOPE_COMBO, "fast", ASSIGN_DIRECT);
	snapshot_index(&snap);
	resolve_all(true);
	assert_direct_by_assignment(SCOPE_COMBO);
	assert_string_equal(res.level_id, "fast");
}

static void
test_missing_proxy_skipped_like_inactive(void **state)
{
	(void)state;
	add_proxy("pg", true);
	assign(SCOPE_ACCOUNT, "conn-1", "ghost");
	assign(SCOPE_GLOBAL, NULL, "pg");
	snapshot_index(&snap);
	resolve_all(false);
	assert_refused(SCOPE_ACCOUNT, "conn-1");
	assert_step(SCOPE_ACCOUNT, VERDICT_REFUSED_MISSING, "ghost");
	assert_string_equal(resolve_verdict_name(VERDICT_REFUSED_MISSING),
	    "refused: proxy missing");
	resolve_all(true);
	assert_proxy(SCOPE_GLOBAL, NULL, "pg");
	assert_step(SCOPE_ACCOUNT, VERDICT_SKIPPED_MISSING, "ghost");
	assert_string_equal(resolve_verdict_name(VERDICT_SKIPPED_MISSING),
	    "skipped: proxy missing");
	snapshot_free(&snap);

	/* Dangling alone: refused, not direct. */
	assign(SCOPE_ACCOUNT, "conn-1", "ghost");
	snapshot_index(&snap);
	resolve_all(false);
	assert_refused(SCOPE_ACCOUNT, "conn-1");
	resolve_all(true);
	assert_plain_direct();
}

static void
test_refusal_names_first_skipped_level(void **state)
{
	(void)state;
	add_proxy("pp", false);
	add_proxy("pg", false);
	assign(SCOPE_ACCOUNT, "conn-1", "ghost");
	assign(SCOPE_PROVIDER, "openai", "pp");
	assign(SCOPE_GLOBAL, NULL, "pg");
	snapshot_index(&snap);
	resolve_all(false);
	assert_refused(SCOPE_ACCOUNT, "conn-1");
	assert_step(SCOPE_ACCOUNT, VERDICT_REFUSED_MISSING, "ghost");
	assert_step(SCOPE_PROVIDER, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
	/* fail open walks past every unusable one and ends direct */
	resolve_all(true);
	assert_plain_direct();
	assert_step(SCOPE_ACCOUNT, VERDICT_SKIPPED_MISSING, "ghost");
	assert_step(SCOPE_PROVIDER, VERDICT_SKIPPED_INACTIVE, "pp");
	assert_step(SCOPE_COMBO, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_SKIPPED_INACTIVE, "pg");
}

static void
test_explain_trail_has_four_steps(void **state)
{
	struct json_object *j, *explain, *e;
	static const char *const levels[] = { "account", "provider", "combo", "global" };
	static const char *const verdicts[] = {
		"no assignment", "used", "not consulted", "not consulted",
	};
	size_t i;

	(void)state;
	build_four_levels();
	resolve_ids("conn-unknown", "openai", "fast", false);
	assert_step(SCOPE_ACCOUNT, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_USED, "pp");
	assert_step(SCOPE_COMBO, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
	/* Scope ids are reported even for levels not consulted. */
	assert_string_equal(res.explain[SCOPE_ACCOUNT].scope_id, "conn-unknown");
	assert_string_equal(res.explain[SCOPE_COMBO].scope_id, "fast");
	assert_null(res.explain[SCOPE_GLOBAL].scope_id);

	j = resolve_result_to_json(&res);
	assert_true(json_object_object_get_ex(j, "explain", &explain));
	assert_int_equal(json_object_array_length(explain), 4);
	for (i = 0; i < 4; i++) {
		e = json_object_array_get_idx(explain, i);
		assert_string_equal(json_str(e, "level"), levels[i]);
		assert_string_equal(json_str(e, "verdict"), verdicts[i]);
	}
	e = json_object_array_get_idx(explain, 0);
	assert_string_equal(json_str(e, "scopeId"), "conn-unknown");
	assert_json_null(e, "proxyId");
	e = json_object_array_get_idx(explain, 1);
	assert_string_equal(json_str(e, "proxyId"), "pp");
	e = json_object_array_get_idx(explain, 3);
	assert_json_null(e, "scopeId");
	json_object_put(j);
}

static void
test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(resolve_verdict_name(VERDICT_NOT_GIVEN), "no scope id");
	assert_string_equal(resolve_verdict_name(VERDICT_NO_ASSIGNMENT), "no assignment");
	assert_string_equal(resolve_verdict_name(VERDICT_USED), "used");
	assert_string_equal(resolve_verdict_name(VERDICT_DIRECT), "direct (assigned)");
	assert_string_equal(resolve_verdict_name(VERDICT_SKIPPED_INACTIVE),
	    "skipped: proxy inactive");
	assert_string_equal(resolve_verdict_name(VERDICT_NOT_CONSULTED), "not consulted");
	assert_string_equal(resolve_verdict_name(VERDICT_DELEGATED),
	    "delegated to CLIProxyAPI");
}

static void
test_result_json_redacts_credentials(void **state)
{
	struct json_object *j, *p, *v;
	const char *text;

	(void)state;
	add_proxy_full("pa", PROXY_TYPE_SOCKS5, "10.0.0.5", 1080, "alice",
	    "s3cret-pw", true);
	add_proxy_full("pp", PROXY_TYPE_HTTPS, "p.example", 443, "", "", true);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	assign(SCOPE_PROVIDER, "openai", "pp");
	snapshot_index(&snap);

	resolve_all(false);
	j = resolve_result_to_json(&res);
	text = json_plain(j);
	assert_null(strstr(text, "alice"));
	assert_null(strstr(text, "s3cret-pw"));
	assert_true(json_object_object_get_ex(j, "proxy", &p));
	assert_non_null(p);
	assert_string_equal(json_str(p, "type"), "socks5");
	assert_string_equal(json_str(p, "host"), "10.0.0.5");
	assert_true(json_object_object_get_ex(p, "port", &v));
	assert_int_equal(json_object_get_int(v), 1080);
	assert_string_equal(json_str(p, "username"), "***");
	assert_string_equal(json_str(p, "password"), "***");
	assert_string_equal(json_str(j, "proxyId"), "pa");
	assert_string_equal(json_str(j, "level"), "account");
	assert_string_equal(json_str(j, "levelId"), "conn-1");
	assert_string_equal(json_str(j, "source"), "registry");
	assert_true(json_object_object_get_ex(j, "refused", &v));
	assert_false(json_object_get_boolean(v));
	assert_false(json_object_object_get_ex(j, "code", NULL));
	json_object_put(j);

	/* No credentials: empty strings, not "***". */
	resolve_ids("conn-2", "openai", NULL, false);
	j = resolve_result_to_json(&res);
	assert_true(json_object_object_get_ex(j, "proxy", &p));
	assert_string_equal(json_str(p, "type"), "https");
	assert_string_equal(json_str(p, "username"), "");
	assert_string_equal(json_str(p, "password"), "");
	json_object_put(j);
}

static void
test_result_json_refused_carries_code(void **state)
{
	struct json_object *j, *v;

	(void)state;
	add_proxy_full("pp", PROXY_TYPE_HTTP, "h", 8080, "bob", "hunter2", false);
	assign(SCOPE_PROVIDER, "openai", "pp");
	snapshot_index(&snap);
	resolve_all(false);
	j = resolve_result_to_json(&res);
	assert_null(strstr(json_plain(j), "hunter2"));
	assert_json_null(j, "proxy");
	assert_json_null(j, "proxyId");
	assert_string_equal(json_str(j, "level"), "provider");
	assert_string_equal(json_str(j, "levelId"), "openai");
	assert_true(json_object_object_get_ex(j, "refused", &v));
	assert_true(json_object_get_boolean(v));
	assert_string_equal(json_str(j, "code"), "PROXY_ASSIGNED_UNAVAILABLE");
	assert_true(strlen(json_str(j, "message")) > 0);
	json_object_put(j);
}

static void
resolve_delegated(const char *conn, const char *provider, bool fail_open)
{
	const struct resolve_request req = {
		.connection_id = conn,
		.provider_id = provider,
		.combo_id = "fast",
		.fail_open = fail_open,
		.delegated = true,
	};

	proxy_resolve(&snap, &req, &res);
}

static void
assert_delegated(const char *level_id)
{
	assert_int_equal(res.outcome, RESOLVE_DELEGATED);
	assert_false(res.level_is_direct);
	assert_null(res.proxy);
	assert_string_equal(resolve_level_name(&res), "delegated");
	if (level_id == NULL)
		assert_null(res.level_id);
	else
		assert_string_equal(res.level_id, level_id);
}

/* The first assigned level would decide: it is marked, its proxy unused. */
static void
test_delegated_ignores_an_inactive_account_proxy(void **state)
{
	(void)state;
	add_proxy("pa", false);
	add_proxy("pp", true);
	add_proxy("pg", true);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	assign(SCOPE_PROVIDER, "openai", "pp");
	assign(SCOPE_GLOBAL, NULL, "pg");
	snapshot_index(&snap);

	resolve_delegated("conn-1", "openai", false);
	assert_delegated("openai");
	assert_step(SCOPE_ACCOUNT, VERDICT_DELEGATED, "pa");
	assert_step(SCOPE_PROVIDER, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NOT_CONSULTED, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);
	/* the same with fail-open: nothing is skipped, the hop is local */
	resolve_delegated("conn-1", "openai", true);
	assert_delegated("openai");
	assert_step(SCOPE_ACCOUNT, VERDICT_DELEGATED, "pa");
	/* and without delegation the same snapshot refuses */
	resolve_ids("conn-1", "openai", "fast", false);
	assert_refused(SCOPE_ACCOUNT, "conn-1");
}

static void
test_delegated_over_missing_and_direct_assignments(void **state)
{
	(void)state;
	assign(SCOPE_PROVIDER, "openai", "ghost");
	assign(SCOPE_GLOBAL, NULL, ASSIGN_DIRECT);
	snapshot_index(&snap);

	resolve_delegated("conn-1", "openai", false);
	assert_delegated("openai");
	assert_step(SCOPE_ACCOUNT, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_DELEGATED, "ghost");
	assert_step(SCOPE_GLOBAL, VERDICT_NOT_CONSULTED, NULL);

	resolve_delegated("conn-9", "groq", false);	/* only "direct" at global */
	assert_delegated("groq");
	assert_step(SCOPE_PROVIDER, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_DELEGATED, ASSIGN_DIRECT);
}

/* Nothing assigned anywhere: the provider level (its upstream mode) says why. */
static void
test_delegated_without_assignments_marks_the_provider(void **state)
{
	(void)state;
	snapshot_index(&snap);
	resolve_delegated("conn-1", "openai", false);
	assert_delegated("openai");
	assert_step(SCOPE_ACCOUNT, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_PROVIDER, VERDICT_DELEGATED, NULL);
	assert_step(SCOPE_COMBO, VERDICT_NO_ASSIGNMENT, NULL);
	assert_step(SCOPE_GLOBAL, VERDICT_NO_ASSIGNMENT, NULL);
}

static void
test_result_json_delegated(void **state)
{
	struct json_object *j, *v, *explain, *step;
	bool seen = false;
	size_t i;

	(void)state;
	add_proxy_full("pa", PROXY_TYPE_SOCKS5, "127.0.0.9", 1080, "alice", "s3cret-pw",
	    true);
	assign(SCOPE_ACCOUNT, "conn-1", "pa");
	snapshot_index(&snap);
	resolve_delegated("conn-1", "openai", false);
	j = resolve_result_to_json(&res);
	assert_json_null(j, "proxy");
	assert_json_null(j, "proxyId");
	assert_string_equal(json_str(j, "level"), "delegated");
	assert_string_equal(json_str(j, "levelId"), "openai");
	assert_true(json_object_object_get_ex(j, "refused", &v));
	assert_false(json_object_get_boolean(v));
	assert_false(json_object_object_get_ex(j, "code", &v));
	assert_true(json_object_object_get_ex(j, "explain", &explain));
	for (i = 0; i < json_object_array_length(explain); i++) {
		step = json_object_array_get_idx(explain, i);
		if (strcmp(json_str(step, "verdict"), "delegated to CLIProxyAPI") == 0) {
			assert_string_equal(json_str(step, "level"), "account");
			assert_string_equal(json_str(step, "proxyId"), "pa");
			seen = true;
		}
	}
	assert_true(seen);
	assert_null(strstr(json_plain(j), "s3cret"));
	json_object_put(j);
}

/* The upstream mode and CLIPROXYAPI_URL decide; the connection names its provider. */
static void
test_resolve_delegates(void **state)
{
	static const struct {
		const char	*conn, *provider, *url;
		bool		 delegated;
	} cases[] = {
		{ "conn-1", NULL, "http://127.0.0.1:8317", true },
		{ NULL, "openai", "http://127.0.0.1:8317", true },
		{ NULL, "openai", "http://127.0.0.42:8317/", true },
		{ NULL, "openai", "http://[::1]:8317", true },
		{ NULL, "openai", "http://localhost:8317", true },
		{ NULL, "openai", "https://LOCALHOST", true },
		{ NULL, "openai", "http://cliproxy.test:8317", false },
		{ NULL, "openai", "http://127.1:8317", false },
		{ NULL, "openai", "http://localhost.test:8317", false },
		{ NULL, "openai", "not a url", false },
		{ NULL, "openai", "http://user@127.0.0.1:8317", false },
		{ NULL, "openai", NULL, false },
		{ "conn-2", NULL, "http://127.0.0.1:8317", false },	/* fallback */
		{ NULL, "groq", "http://127.0.0.1:8317", false },	/* fallback: native */
		{ NULL, "mistral", "http://127.0.0.1:8317", false },	/* native */
		{ "conn-unknown", NULL, "http://127.0.0.1:8317", false },
		{ NULL, NULL, "http://127.0.0.1:8317", false },
	};
	struct json_object *routes;
	char err[128];
	size_t i;

	(void)state;
	routes = json_tokener_parse("{\"connections\":["
	    "{\"id\":\"conn-1\",\"provider\":\"openai\",\"name\":\"a\",\"key\":\"k\","
	    "\"priority\":0,\"active\":true},"
	    "{\"id\":\"conn-2\",\"provider\":\"groq\",\"name\":\"b\",\"key\":\"k\","
	    "\"priority\":0,\"active\":true}],"
	    "\"upstreamModes\":[{\"id\":\"groq\",\"mode\":\"fallback\"},"
	    "{\"id\":\"openai\",\"mode\":\"cliproxyapi\"}]}");
	assert_non_null(routes);
	assert_int_equal(route_tables_from_json(routes, &snap.routes, err, sizeof(err)), 0);
	json_object_put(routes);
	snapshot_index(&snap);
	assert_int_equal(route_upstream_mode(&snap.routes, "openai"), UPSTREAM_CLIPROXYAPI);
	assert_int_equal(route_upstream_mode(&snap.routes, "groq"), UPSTREAM_FALLBACK);
	assert_int_equal(route_upstream_mode(&snap.routes, "mistral"), UPSTREAM_NATIVE);
	assert_int_equal(route_upstream_mode(&snap.routes, NULL), UPSTREAM_NATIVE);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (resolve_delegates(&snap, cases[i].conn, cases[i].provider,
		    cases[i].url) != cases[i].delegated)
			fail_msg("case %zu", i);
	assert_true(cliproxyapi_is_local("http://127.0.0.1:8317"));
	assert_false(cliproxyapi_is_local("http://cliproxy.test:8317"));
}

static void
test_result_json_direct_shapes(void **state)
{
	struct json_object *j, *v;

	(void)state;
	assign(SCOPE_PROVIDER, "openai", ASSIGN_DIRECT);
	snapshot_index(&snap);

	resolve_all(false);
	j = resolve_result_to_json(&res);
	assert_json_null(j, "proxy");
	assert_string_equal(json_str(j, "proxyId"), "direct");
	assert_string_equal(json_str(j, "level"), "provider");
	assert_string_equal(json_str(j, "levelId"), "openai");
	assert_true(json_object_object_get_ex(j, "refused", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(j);

	resolve_ids("conn-1", "groq", NULL, false);
	j = resolve_result_to_json(&res);
	assert_json_null(j, "proxy");
	assert_json_null(j, "proxyId");
	assert_string_equal(json_str(j, "level"), "direct");
	assert_json_null(j, "levelId");
	json_object_put(j);
}

/* A snapshot with every kind of row, for the channel-form tests. */
static void
build_varied(void)
{
	snap.generation = 424242;
	add_proxy_full("p-http", PROXY_TYPE_HTTP, "h1.example", 1, "", "", true);
	add_proxy_full("p-https", PROXY_TYPE_HTTPS, "2001:db8::1", 65535,
	    "us\"er", "p@ss:w%rd/é", false);
	add_proxy_full("p-socks", PROXY_TYPE_SOCKS5, "10.0.0.5", 1080, "u", "", true);
	assign(SCOPE_ACCOUNT, "conn-1", "p-https");
	assign(SCOPE_ACCOUNT, "conn-2", ASSIGN_DIRECT);
	assign(SCOPE_PROVIDER, "openai", "p-socks");
	assign(SCOPE_COMBO, "fast", "ghost");
	assign(SCOPE_GLOBAL, NULL, "p-http");
	snapshot_index(&snap);
}

static void
test_snapshot_round_trip(void **state)
{
	struct registry_snapshot back;
	struct json_object *j, *parsed;
	char err[256] = "";
	size_t i;

	(void)state;
	build_varied();
	j = snapshot_to_json(&snap);
	/* Through text, the way the channel carries it. */
	parsed = json_tokener_parse(json_plain(j));
	assert_non_null(parsed);
	json_object_put(j);
	assert_int_equal(snapshot_from_json(parsed, &back, err, sizeof(err)), 0);
	json_object_put(parsed);

	assert_true(back.generation == 424242);
	assert_int_equal(back.proxy_count, snap.proxy_count);
	assert_int_equal(back.assignment_count, snap.assignment_count);
	for (i = 0; i < snap.proxy_count; i++) {
		const struct snap_proxy *a = &snap.proxies[i];
		const struct snap_proxy *b = snapshot_find_proxy(&back, a->id);
		assert_non_null(b);
		assert_string_equal(b->name, a->name);
		assert_int_equal(b->type, a->type);
		assert_string_equal(b->host, a->host);
		assert_int_equal(b->port, a->port);
		assert_string_equal(b->username, a->username);
		assert_string_equal(b->password, a->password);
		assert_int_equal(b->active, a->active);
	}
	for (i = 0; i < snap.assignment_count; i++) {
		const struct snap_assignment *a = &snap.assignments[i];
		const struct snap_assignment *b = snapshot_find_assignment(&back,
		    a->scope, a->scope_id);
		assert_non_null(b);
		assert_string_equal(b->scope_id, a->scope_id);
		assert_string_equal(b->proxy_id, a->proxy_id);
	}

	/* Resolution over the copy behaves like over the original. */
	{
		struct registry_snapshot orig = snap;
		snap = back;
		resolve_ids("conn-1", "openai", NULL, false);
		assert_step(SCOPE_ACCOUNT, VERDICT_REFUSED_INACTIVE, "p-https");
		assert_refused(SCOPE_ACCOUNT, "conn-1");
		resolve_ids("conn-1", "openai", NULL, true);
		assert_step(SCOPE_ACCOUNT, VERDICT_SKIPPED_INACTIVE, "p-https");
		assert_proxy(SCOPE_PROVIDER, "openai", "p-socks");
		resolve_ids("conn-2", "openai", NULL, false);
		assert_direct_by_assignment(SCOPE_ACCOUNT);
		resolve_ids("conn-3", "openai", NULL, false);
		assert_proxy(SCOPE_PROVIDER, "openai", "p-socks");
		resolve_ids(NULL, NULL, NULL, false);
		assert_proxy(SCOPE_GLOBAL, NULL, "p-http");
		resolve_ids(NULL, NULL, "fast", true);
		assert_step(SCOPE_COMBO, VERDICT_SKIPPED_MISSING, "ghost");
		assert_proxy(SCOPE_GLOBAL, NULL, "p-http");
		snapshot_free(&snap);
		snap = orig;
	}
}

static void
test_snapshot_from_json_empty(void **state)
{
	struct json_object *j;
	char err[128];

	(void)state;
	j = json_tokener_parse("{\"generation\":7,\"proxies\":[],\"assignments\":[]}");
	assert_int_equal(snapshot_from_json(j, &snap, err, sizeof(err)), 0);
	json_object_put(j);
	assert_true(snap.generation == 7);
	assert_int_equal(snap.proxy_count, 0);
	assert_int_equal(snap.assignment_count, 0);
	assert_null(snapshot_find_proxy(&snap, "x"));
	assert_null(snapshot_find_assignment(&snap, SCOPE_GLOBAL, NULL));
	resolve_all(false);
	assert_plain_direct();
}

static void
test_snapshot_from_json_rejects_malformed(void **state)
{
	/* A good row comes first, so the bad one is met with memory in use. */
#define GOOD_P	"[\"a\",\"A\",\"http\",\"h\",80,\"u\",\"secret\",true]"
#define GOOD_A	"[\"account\",\"c1\",\"a\"]"
	static const char *const bad[] = {
		/* proxies */
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"http\",\"h\",80,\"\",\"\"]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"http\",\"h\",80,\"\",\"\",true,1]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"http\",\"h\",0,\"\",\"\",true]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"http\",\"h\",70000,\"\",\"\",true]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"http\",\"h\",-1,\"\",\"\",true]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"ftp\",\"h\",80,\"\",\"\",true]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[\"b\",\"B\",\"http\",null,80,\"\",\"\",true]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",[5,\"B\",\"http\",\"h\",80,\"\",\"\",true]],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",{\"id\":\"b\"}],\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P ",\"b\"],\"assignments\":[]}",
		/* assignments, after good proxies and a good assignment */
		"{\"generation\":1,\"proxies\":[" GOOD_P "],\"assignments\":[" GOOD_A ",[\"account\",\"c2\"]]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P "],\"assignments\":[" GOOD_A ",[\"account\",\"c2\",\"a\",\"x\"]]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P "],\"assignments\":[" GOOD_A ",[\"planet\",\"c2\",\"a\"]]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P "],\"assignments\":[" GOOD_A ",[\"account\",null,\"a\"]]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P "],\"assignments\":[" GOOD_A ",[\"account\",\"c2\",7]]}",
		"{\"generation\":1,\"proxies\":[" GOOD_P "],\"assignments\":[" GOOD_A ",null]}",
		/* top level */
		"{\"proxies\":[],\"assignments\":[]}",
		"{\"generation\":1,\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[]}",
		"{\"generation\":1,\"proxies\":{},\"assignments\":[]}",
		"{\"generation\":1,\"proxies\":[],\"assignments\":\"x\"}",
	};
#undef GOOD_P
#undef GOOD_A
	struct json_object *j;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_tokener_parse(bad[i]);
		assert_non_null(j);
		err[0] = '\0';
		if (snapshot_from_json(j, &snap, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		json_object_put(j);
		assert_true(strlen(err) > 0);
		assert_null(strstr(err, "secret"));
		/* The output is left empty and safe to free again. */
		assert_int_equal(snap.proxy_count, 0);
		assert_int_equal(snap.assignment_count, 0);
		assert_null(snap.proxies);
		assert_null(snap.assignments);
	}
}

static void
test_scope_and_type_names(void **state)
{
	enum scope s = SCOPE_COUNT;
	enum proxy_type t;

	(void)state;
	assert_true(scope_parse("key", &s));
	assert_int_equal(s, SCOPE_ACCOUNT);
	assert_true(scope_parse("account", &s));
	assert_int_equal(s, SCOPE_ACCOUNT);
	assert_true(scope_parse("provider", &s));
	assert_int_equal(s, SCOPE_PROVIDER);
	assert_true(scope_parse("combo", &s));
	assert_int_equal(s, SCOPE_COMBO);
	assert_true(scope_parse("global", &s));
	assert_int_equal(s, SCOPE_GLOBAL);

	s = SCOPE_COMBO;
	assert_false(scope_parse("planet", &s));
	assert_false(scope_parse("", &s));
	assert_false(scope_parse("keys", &s));
	assert_int_equal(s, SCOPE_COMBO);

	assert_string_equal(scope_name(SCOPE_ACCOUNT), "account");
	assert_string_equal(scope_name(SCOPE_PROVIDER), "provider");
	assert_string_equal(scope_name(SCOPE_COMBO), "combo");
	assert_string_equal(scope_name(SCOPE_GLOBAL), "global");

	assert_true(proxy_type_parse("SOCKS5", &t));
	assert_int_equal(t, PROXY_TYPE_SOCKS5);
	assert_true(proxy_type_parse("https", &t));
	assert_int_equal(t, PROXY_TYPE_HTTPS);
	assert_false(proxy_type_parse("socks4", &t));
	assert_string_equal(proxy_type_name(PROXY_TYPE_HTTP), "http");
}

/* PROXY_TYPE_DIALLED_SQL names exactly the types proxy_type_parse accepts. */
static void
test_dialled_types_sql_matches_parse(void **state)
{
	const char *sql = PROXY_TYPE_DIALLED_SQL("t"), *q = sql;
	bool seen[PROXY_TYPE_SOCKS5 + 1] = { false };
	enum proxy_type t;
	size_t n = 0, i;

	(void)state;
	while ((q = strchr(q, '\'')) != NULL) {
		const char *end = strchr(q + 1, '\'');
		char name[16];

		assert_non_null(end);
		assert_true((size_t)(end - q) < sizeof(name));
		snprintf(name, sizeof(name), "%.*s", (int)(end - q - 1), q + 1);
		assert_true(proxy_type_parse(name, &t));
		assert_string_equal(proxy_type_name(t), name);
		seen[t] = true;
		n++;
		q = end + 1;
	}
	assert_int_equal(n, PROXY_TYPE_SOCKS5 + 1);
	for (i = 0; i <= PROXY_TYPE_SOCKS5; i++)
		assert_true(seen[i]);
	assert_null(strstr(sql, "socks4"));
}

static void
test_ten_thousand_rows_all_found(void **state)
{
	enum { N = 10000 };
	static const enum scope scopes[] = { SCOPE_ACCOUNT, SCOPE_PROVIDER, SCOPE_COMBO };
	char id[32], pid[32];
	size_t i;

	(void)state;
	/* Insert in descending order so the index has real sorting to do. */
	for (i = N; i-- > 0;) {
		snprintf(pid, sizeof(pid), "proxy-%05zu", i);
		add_proxy(pid, i % 7 != 0);
		snprintf(id, sizeof(id), "scope-%05zu", i);
		assign(scopes[i % 3], id, pid);
	}
	snapshot_index(&snap);
	assert_int_equal(snap.proxy_count, N);
	assert_int_equal(snap.assignment_count, N);

	for (i = 0; i < N; i++) {
		const struct snap_proxy *p;
		const struct snap_assignment *a;

		snprintf(pid, sizeof(pid), "proxy-%05zu", i);
		snprintf(id, sizeof(id), "scope-%05zu", i);
		p = snapshot_find_proxy(&snap, pid);
		assert_non_null(p);
		assert_string_equal(p->id, pid);
		a = snapshot_find_assignment(&snap, scopes[i % 3], id);
		assert_non_null(a);
		assert_string_equal(a->proxy_id, pid);
		assert_null(snapshot_find_assignment(&snap, scopes[(i + 1) % 3], id));

		resolve_ids(scopes[i % 3] == SCOPE_ACCOUNT ? id : NULL,
		    scopes[i % 3] == SCOPE_PROVIDER ? id : NULL,
		    scopes[i % 3] == SCOPE_COMBO ? id : NULL, false);
		if (i % 7 != 0)
			assert_proxy(scopes[i % 3], id, pid);
		else
			assert_refused(scopes[i % 3], id);
	}
	assert_null(snapshot_find_proxy(&snap, "proxy-10000"));
	assert_null(snapshot_find_proxy(&snap, "proxy-"));
	assert_null(snapshot_find_assignment(&snap, SCOPE_ACCOUNT, "scope-99999"));
	assert_null(snapshot_find_assignment(&snap, SCOPE_GLOBAL, NULL));
}

/* Serialise a snapshot to compare two of them. */
static char *
snapshot_text(const struct registry_snapshot *x)
{
	struct json_object *j = snapshot_to_json(x);
	char *t = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));

	json_object_put(j);
	return t;
}

/* Round trip through JSON: a deep copy. */
static void
snapshot_copy(const struct registry_snapshot *from, struct registry_snapshot *to)
{
	struct json_object *j = snapshot_to_json(from);
	char err[128];

	assert_int_equal(snapshot_from_json(j, to, err, sizeof(err)), 0);
	json_object_put(j);
}

static void
test_delta_diff_then_apply_equals_new(void **state)
{
	struct registry_snapshot old, applied;
	struct json_object *delta, *lists;
	char err[128], *want, *got;
	size_t i;

	(void)state;
	/* old: 200 proxies and assignments */
	for (i = 0; i < 200; i++) {
		char id[16], sid[16];
		snprintf(id, sizeof(id), "p%03zu", i);
		snprintf(sid, sizeof(sid), "c%03zu", i);
		add_proxy(id, i % 3 != 0);
		assign(SCOPE_ACCOUNT, sid, id);
	}
	assign(SCOPE_GLOBAL, NULL, "p000");
	snapshot_index(&snap);
	snap.generation = 7;
	snapshot_copy(&snap, &old);
	/* new: remove some, change some, add some (out of order) */
	snapshot_free(&snap);
	for (i = 0; i < 220; i++) {
		char id[16], sid[16];
		if (i % 10 == 5)
			continue;			/* removed */
		snprintf(id, sizeof(id), "p%03zu", 219 - i);
		snprintf(sid, sizeof(sid), "c%03zu", 219 - i);
		add_proxy(id, (219 - i) % 4 != 0);	/* some flip active */
		assign(SCOPE_ACCOUNT, sid, (219 - i) % 7 == 0 ? ASSIGN_DIRECT : id);
	}
	assign(SCOPE_PROVIDER, "openai", "p001");
	snapshot_index(&snap);
	snap.generation = 8;

	delta = snapshot_diff(&old, &snap);
	json_object_object_get_ex(delta, "removedProxies", &lists);
	assert_int_equal(json_object_array_length(lists), 20);
	json_object_object_get_ex(delta, "removedAssignments", &lists);
	assert_int_equal(json_object_array_length(lists), 21);	/* + global */
	snapshot_copy(&old, &applied);
	assert_int_equal(snapshot_apply_delta(&applied, delta, err, sizeof(err)), 0);
	want = snapshot_text(&snap);
	got = snapshot_text(&applied);
	assert_string_equal(got, want);
	assert_non_null(snapshot_find_proxy(&applied, "p219"));
	assert_null(snapshot_find_proxy(&applied, "p214"));
	free(want);
	free(got);

	/* an unchanged snapshot gives an empty delta */
	json_object_put(delta);
	snap.generation = 9;
	applied.generation = 8;
	delta = snapshot_diff(&applied, &snap);
	json_object_object_get_ex(delta, "proxies", &lists);
	assert_int_equal(json_object_array_length(lists), 0);
	json_object_object_get_ex(delta, "assignments", &lists);
	assert_int_equal(json_object_array_length(lists), 0);
	json_object_put(delta);
	snapshot_free(&old);
	snapshot_free(&applied);
}

static void
test_delta_refused_leaves_snapshot_unchanged(void **state)
{
	struct registry_snapshot copy;
	struct json_object *delta;
	char err[128], *before, *after;
	static const char *const bad[] = {
		/* wrong base */
		"{\"generation\":3,\"base\":1,\"proxies\":[],\"removedProxies\":[],\"assignments\":[],\"removedAssignments\":[]}",
		/* missing list */
		"{\"generation\":3,\"base\":2,\"proxies\":[]}",
		/* a good removal, then a malformed upsert */
		"{\"generation\":3,\"base\":2,\"proxies\":[[\"x\",\"n\",\"ftp\",\"h\",1,\"\",\"\",true]],\"removedProxies\":[\"pa\"],\"assignments\":[],\"removedAssignments\":[]}",
		"{\"generation\":3,\"base\":2,\"proxies\":[],\"removedProxies\":[\"pa\"],\"assignments\":[[\"galaxy\",\"x\",\"pa\"]],\"removedAssignments\":[]}",
		"{\"generation\":3,\"base\":2,\"proxies\":[],\"removedProxies\":[7],\"assignments\":[],\"removedAssignments\":[]}",
		"{\"generation\":3,\"base\":2,\"proxies\":[],\"removedProxies\":[],\"assignments\":[],\"removedAssignments\":[[\"account\"]]}",
	};
	size_t i;

	(void)state;
	add_proxy("pa", true);
	add_proxy("pb", true);
	assign(SCOPE_ACCOUNT, "c1", "pa");
	snapshot_index(&snap);
	snap.generation = 2;
	before = snapshot_text(&snap);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		delta = json_tokener_parse(bad[i]);
		assert_non_null(delta);
		snapshot_copy(&snap, &copy);
		if (snapshot_apply_delta(&copy, delta, err, sizeof(err)) == 0)
			fail_msg("delta %zu was applied", i);
		after = snapshot_text(&copy);
		assert_string_equal(after, before);
		free(after);
		snapshot_free(&copy);
		json_object_put(delta);
	}
	free(before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_delta_diff_then_apply_equals_new, teardown),
		cmocka_unit_test_teardown(test_delta_refused_leaves_snapshot_unchanged, teardown),
		cmocka_unit_test_teardown(test_account_beats_provider_beats_combo_beats_global, teardown),
		cmocka_unit_test_teardown(test_each_level_alone, teardown),
		cmocka_unit_test_teardown(test_scopes_do_not_mix, teardown),
		cmocka_unit_test_teardown(test_nothing_assigned_goes_direct, teardown),
		cmocka_unit_test_teardown(test_missing_scope_ids_give_no_scope_id, teardown),
		cmocka_unit_test_teardown(test_direct_assignment_overrides_lower_levels, teardown),
		cmocka_unit_test_teardown(test_proxy_above_direct_assignment_wins, teardown),
		cmocka_unit_test_teardown(test_inactive_proxy_refused_even_with_lower_levels, teardown),
		cmocka_unit_test_teardown(test_inactive_at_only_assigned_level_refused, teardown),
		cmocka_unit_test_teardown(test_inactive_global_refused, teardown),
		cmocka_unit_test_teardown(test_fail_open_turns_refusal_into_direct, teardown),
		cmocka_unit_test_teardown(test_skipped_then_direct_assignment_refused, teardown),
		cmocka_unit_test_teardown(test_skipped_then_direct_assignment_fail_open, teardown),
		cmocka_unit_test_teardown(test_missing_proxy_skipped_like_inactive, teardown),
		cmocka_unit_test_teardown(test_refusal_names_first_skipped_level, teardown),
		cmocka_unit_test_teardown(test_explain_trail_has_four_steps, teardown),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test_teardown(test_result_json_redacts_credentials, teardown),
		cmocka_unit_test_teardown(test_result_json_refused_carries_code, teardown),
		cmocka_unit_test_teardown(test_result_json_direct_shapes, teardown),
		cmocka_unit_test_teardown(test_delegated_ignores_an_inactive_account_proxy, teardown),
		cmocka_unit_test_teardown(test_delegated_over_missing_and_direct_assignments, teardown),
		cmocka_unit_test_teardown(test_delegated_without_assignments_marks_the_provider, teardown),
		cmocka_unit_test_teardown(test_result_json_delegated, teardown),
		cmocka_unit_test_teardown(test_resolve_delegates, teardown),
		cmocka_unit_test_teardown(test_snapshot_round_trip, teardown),
		cmocka_unit_test_teardown(test_snapshot_from_json_empty, teardown),
		cmocka_unit_test_teardown(test_snapshot_from_json_rejects_malformed, teardown),
		cmocka_unit_test(test_scope_and_type_names),
		cmocka_unit_test(test_dialled_types_sql_matches_parse),
		cmocka_unit_test_teardown(test_ten_thousand_rows_all_found, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
