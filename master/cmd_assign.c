/*
 * master/cmd_assign.c — scope assignments (global, provider, account/key,
 * combo; a proxy id or the word "direct"), bulk assignment, the filtered
 * listing, resolution with its explain trail, and the egress map (every
 * provider, connection and combo resolved in one answer).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "proxy_store.h"
#include "resolve.h"

static const char *const scope_words[] = {
	"global", "provider", "account", "combo", "key", NULL
};

/* bytes of a scope id, for one assignment and for each id of a bulk one */
#define SCOPE_ID_MAX 255

static const struct arg_spec set_args[] = {
	{ "scope", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0, scope_words },
	{ "scopeId", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, SCOPE_ID_MAX, NULL },
	/* required: removing is said with null, never by leaving it out or "" */
	{ "proxyId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX | ARG_PROXY_REF | ARG_DIRECT_WORD, 0, 128, NULL },
	ARGSPEC_END
};

/*
 * Assign (or with proxy_id NULL remove) one scope target. Returns 0, or
 * fills `reason` (404-class) and returns -1 / -2 on a storage error.
 */
static int
assign_one(struct master *m, enum scope scope, const char *scope_id,
    const char *proxy_id, char *reason, size_t reasonlen)
{
	if (proxy_id == NULL)
		return assignment_remove(m, scope, scope_id) == 0 ? 0 : -2;
	if (strcmp(proxy_id, ASSIGN_DIRECT) != 0 && !proxy_exists(m, proxy_id)) {
		snprintf(reason, reasonlen, "Proxy not found: %s", proxy_id);
		return -1;
	}
	return assignment_upsert(m, scope, scope_id, proxy_id) == 0 ? 0 : -2;
}

static void
assign_set(struct master *m, struct json_object *args, struct reply *r)
{
	enum scope scope;
	const char *scope_id = arg_string(args, "scopeId", NULL);
	const char *proxy_id = arg_string(args, "proxyId", NULL);
	struct json_object *root, *rec;
	char reason[256];
	int rc;

	scope_parse(arg_string(args, "scope", ""), &scope);
	if (scope != SCOPE_GLOBAL && (scope_id == NULL || *scope_id == '\0')) {
		reply_invalid_field(r, "scopeId",
		    "scopeId is required for provider/account/combo/key scope");
		return;
	}
	rc = assign_one(m, scope, scope_id, proxy_id, reason, sizeof(reason));
	if (rc == -1) {
		reply_error(r, 404, "%s", reason);
		return;
	}
	if (rc != 0) {
		reply_error(r, 500, "could not store the assignment");
		return;
	}
	rec = proxy_id != NULL ?
	    assignment_get_record(m, scope, scope_id) : NULL;
	root = json_object_new_object();
	json_object_object_add(root, "success", json_object_new_boolean(1));
	json_object_object_add(root, "assignment", rec);
	reply_set(r, 200, root);
}

const struct command cmd_assign_set = {
	.name = "assign.set",
	.help = "assign a proxy (or \"direct\") to a scope, null removes; {\"scope\":global|provider|account|combo|key,\"scopeId\",\"proxyId\"}",
	.args = set_args,
	.mutates = true,
	.run = assign_set,
};

static const struct arg_spec bulk_args[] = {
	{ "scope", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0, scope_words },
	{ "scopeIds", ARG_STRING_ARRAY, ARG_HAS_MAX, 0, 10000, NULL },
	{ "proxyId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX | ARG_PROXY_REF | ARG_DIRECT_WORD, 0, 128, NULL },
	ARGSPEC_END
};

static void
assign_bulk(struct master *m, struct json_object *args, struct reply *r)
{
	enum scope scope;
	struct json_object *ids = NULL, *failed = json_object_new_array(), *root;
	const char *proxy_id = arg_string(args, "proxyId", NULL);
	size_t i, j, n = 0, requested;
	int updated = 0, rc;
	char reason[256];

	scope_parse(arg_string(args, "scope", ""), &scope);
	if (json_object_object_get_ex(args, "scopeIds", &ids))
		n = json_object_array_length(ids);
	if (scope != SCOPE_GLOBAL && n == 0) {
		json_object_put(failed);
		reply_invalid_field(r, "scopeIds",
		    "scopeIds is required for provider/account/combo/key scope");
		return;
	}
	requested = scope == SCOPE_GLOBAL ? 1 : n;
	for (i = 0; i < (scope == SCOPE_GLOBAL ? 1 : n); i++) {
		const char *id = scope == SCOPE_GLOBAL ? NULL :
		    json_object_get_string(json_object_array_get_idx(ids, i));
		bool duplicate = false;
		for (j = 0; id != NULL && j < i; j++)
			if (strcmp(id, json_object_get_string(
			    json_object_array_get_idx(ids, j))) == 0)
				duplicate = true;
		if (duplicate)
			continue;
		if (id != NULL && strlen(id) > SCOPE_ID_MAX) {
			/* like a single assignment's 400, but for this id alone */
			snprintf(reason, sizeof(reason), "scopeId must be at most %d "
			    "bytes (UTF-8)", SCOPE_ID_MAX);
			rc = -1;
		} else
			rc = assign_one(m, scope, id, proxy_id, reason, sizeof(reason));
		if (rc == 0) {
			updated++;
			continue;
		}
		if (rc == -2) {
			json_object_put(failed);
			reply_error(r, 500, "could not store the assignments");
			return;
		}
		{
			struct json_object *f = json_object_new_object();
			json_object_object_add(f, "scopeId", id != NULL ?
			    json_object_new_string(id) : NULL);
			json_object_object_add(f, "reason", json_object_new_string(reason));
			json_object_array_add(failed, f);
		}
	}
	root = json_object_new_object();
	json_object_object_add(root, "success", json_object_new_boolean(1));
	json_object_object_add(root, "scope", json_object_new_string(scope_name(scope)));
	json_object_object_add(root, "requested", json_object_new_int64((int64_t)requested));
	json_object_object_add(root, "updated", json_object_new_int(updated));
	json_object_object_add(root, "failed", failed);
	reply_set(r, 200, root);
}

const struct command cmd_assign_bulk = {
	.name = "assign.bulk",
	.help = "assign one proxy to many scope ids; {\"scope\",\"scopeIds\":[…],\"proxyId\"}",
	.args = bulk_args,
	.mutates = true,
	.run = assign_bulk,
};

static const struct arg_spec list_args[] = {
	{ "proxyId", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX | ARG_PROXY_REF | ARG_DIRECT_WORD, 0, 128, NULL },
	{ "scope", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, scope_words },
	{ "scopeId", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	{ "limit", ARG_INT, 0, 0, 0, NULL },
	{ "offset", ARG_INT, 0, 0, 0, NULL },
	{ "paginate", ARG_BOOL, 0, 0, 0, NULL },
	ARGSPEC_END
};

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static void
assign_list(struct master *m, struct json_object *args, struct reply *r)
{
	bool paginate = arg_bool(args, "paginate", true);
	long long limit = arg_int(args, "limit", 100), offset = arg_int(args, "offset", 0);
	const char *scope_text = nonempty(arg_string(args, "scope", NULL));
	enum scope scope;
	struct json_object *items;
	long long total;

	limit = paginate ? (limit < 1 ? 1 : limit > 200 ? 200 : limit) : -1;
	offset = paginate && offset > 0 ? offset : 0;
	if (scope_text != NULL && scope_parse(scope_text, &scope))
		scope_text = scope_name(scope);
	items = assignment_list_records(m, nonempty(arg_string(args, "proxyId", NULL)),
	    scope_text, nonempty(arg_string(args, "scopeId", NULL)), limit, offset,
	    &total);
	reply_set(r, 200, list_reply(items, paginate, limit, offset, total));
}

const struct command cmd_assign_list = {
	.name = "assign.list",
	.help = "list assignments; {\"proxyId\",\"scope\",\"scopeId\",\"limit\":1..200,\"offset\"}",
	.args = list_args,
	.run = assign_list,
};

static const struct arg_spec resolve_args[] = {
	{ "connectionId", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	{ "provider", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	{ "combo", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	ARGSPEC_END
};

static void
resolve(struct master *m, struct json_object *args, struct reply *r)
{
	struct resolve_request req = {
		.connection_id = nonempty(arg_string(args, "connectionId", NULL)),
		.provider_id = nonempty(arg_string(args, "provider", NULL)),
		.combo_id = nonempty(arg_string(args, "combo", NULL)),
		.fail_open = m->cfg.proxy_fail_open,
	};
	struct resolve_result res;

	resolve_peek(&m->snap, &req, m->cfg.cliproxyapi_url, m->pool_board,
	    m->latency_board, &res);
	reply_set(r, 200, resolve_result_to_json(&res));
}

const struct command cmd_resolve = {
	.name = "resolve",
	.help = "which egress a call would use; {\"connectionId\",\"provider\",\"combo\"}",
	.args = resolve_args,
	.run = resolve,
};

/*
 * The egress map: the global scope, every provider (the routing tables'
 * order, then provider scope ids assigned without a provider, "known":
 * false), each with its connections, and every combo — each with its own
 * assignment (or null) and
 * its resolution, peeked exactly as resolve answers it (resolve_peek). One
 * call shows the whole picture, instead of one resolve per account. A
 * pool's members are the Pools page's business: a resolution here carries
 * its size ("memberCount"), not the list (a live 1proxy set holds
 * hundreds). "proxies" describes, once each, every proxy the resolutions
 * name (no credentials), with its egress IP.
 */
static const char *const map_proxy_fields[] = {
	"id", "name", "type", "host", "port", "status", "source", "egressIp",
	"egressCheckedAt", NULL
};

static void
map_note_proxy(struct master *m, struct json_object *proxies, const char *id)
{
	struct json_object *rec, *o, *v;
	size_t i;

	if (id == NULL || strcmp(id, ASSIGN_DIRECT) == 0 ||
	    strcmp(id, ASSIGN_LIVE_ONEPROXY) == 0 ||
	    json_object_object_get_ex(proxies, id, NULL) ||
	    (rec = proxy_get_record(m, id, false)) == NULL)
		return;
	o = json_object_new_object();
	for (i = 0; map_proxy_fields[i] != NULL; i++)
		if (json_object_object_get_ex(rec, map_proxy_fields[i], &v))
			json_object_object_add(o, map_proxy_fields[i], json_object_get(v));
	json_object_put(rec);
	json_object_object_add(proxies, id, o);
}

/* A scope's own assignment: {"proxyId" (the head),"memberCount","strategy"} or null. */
static struct json_object *
map_assignment(struct master *m, enum scope scope, const char *scope_id)
{
	const struct snap_assignment *a = snapshot_find_assignment(&m->snap, scope,
	    scope_id);
	struct json_object *o;

	if (a == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "proxyId", json_object_new_string(a->proxy_id));
	json_object_object_add(o, "memberCount", json_object_new_int64((int64_t)a->member_count));
	json_object_object_add(o, "strategy",
	    json_object_new_string(pool_strategy_name(a->strategy)));
	return o;
}

static struct json_object *
map_resolution(struct master *m, const char *connection_id, const char *provider_id,
    const char *combo_id, struct json_object *proxies)
{
	struct resolve_request req = {
		.connection_id = connection_id,
		.provider_id = provider_id,
		.combo_id = combo_id,
		.fail_open = m->cfg.proxy_fail_open,
	};
	struct resolve_result res;
	struct json_object *o, *pool;
	size_t i;

	resolve_peek(&m->snap, &req, m->cfg.cliproxyapi_url, m->pool_board,
	    m->latency_board, &res);
	o = resolve_result_to_json(&res);
	if (json_object_object_get_ex(o, "pool", &pool) && res.pool != NULL) {
		json_object_object_del(pool, "members");
		json_object_object_add(pool, "memberCount",
		    json_object_new_int64((int64_t)res.pool->member_count));
	}
	if (res.outcome == RESOLVE_PROXY)
		map_note_proxy(m, proxies, res.proxy->id);
	for (i = 0; i < SCOPE_COUNT; i++)
		map_note_proxy(m, proxies, res.explain[i].proxy_id);
	return o;
}

static struct json_object *
map_provider(struct master *m, const char *id, bool known, struct json_object *proxies)
{
	const struct route_tables *t = &m->snap.routes;
	struct json_object *o = json_object_new_object();
	struct json_object *conns = json_object_new_array();
	size_t i;

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "known", json_object_new_boolean(known));
	json_object_object_add(o, "upstreamMode",
	    json_object_new_string(upstream_mode_name(route_upstream_mode(t, id))));
	json_object_object_add(o, "assignment", map_assignment(m, SCOPE_PROVIDER, id));
	json_object_object_add(o, "resolution", map_resolution(m, NULL, id, NULL, proxies));
	for (i = 0; i < t->connection_count; i++) {
		const struct route_connection *c = &t->connections[i];
		struct json_object *co;

		if (strcmp(c->provider, id) != 0)
			continue;
		co = json_object_new_object();
		json_object_object_add(co, "id", json_object_new_string(c->id));
		json_object_object_add(co, "name", json_object_new_string(c->name));
		json_object_object_add(co, "priority", json_object_new_int(c->priority));
		json_object_object_add(co, "active", json_object_new_boolean(c->active));
		json_object_object_add(co, "assignment",
		    map_assignment(m, SCOPE_ACCOUNT, c->id));
		json_object_object_add(co, "resolution",
		    map_resolution(m, c->id, NULL, NULL, proxies));
		json_object_array_add(conns, co);
	}
	json_object_object_add(o, "connections", conns);
	return o;
}

static void
egress_map(struct master *m, struct json_object *args, struct reply *r)
{
	const struct route_tables *t = &m->snap.routes;
	struct json_object *root = json_object_new_object();
	struct json_object *providers = json_object_new_array();
	struct json_object *combos = json_object_new_array();
	struct json_object *proxies = json_object_new_object();
	struct json_object *global;
	size_t i;

	(void)args;
	for (i = 0; i < t->provider_count; i++)
		json_object_array_add(providers, map_provider(m, t->providers[i].id, true,
		    proxies));
	for (i = 0; i < m->snap.assignment_count; i++) {
		const struct snap_assignment *a = &m->snap.assignments[i];
		if (a->scope == SCOPE_PROVIDER && route_find_provider(t, a->scope_id) == NULL)
			json_object_array_add(providers, map_provider(m, a->scope_id, false,
			    proxies));
	}
	for (i = 0; i < t->combo_count; i++) {
		struct json_object *co = json_object_new_object();
		json_object_object_add(co, "id", json_object_new_string(t->combos[i].id));
		json_object_object_add(co, "assignment",
		    map_assignment(m, SCOPE_COMBO, t->combos[i].id));
		json_object_object_add(co, "resolution",
		    map_resolution(m, NULL, NULL, t->combos[i].id, proxies));
		json_object_array_add(combos, co);
	}
	global = json_object_new_object();
	json_object_object_add(global, "assignment",
	    map_assignment(m, SCOPE_GLOBAL, GLOBAL_SCOPE_ID));
	json_object_object_add(global, "resolution",
	    map_resolution(m, NULL, NULL, NULL, proxies));
	json_object_object_add(root, "generation",
	    json_object_new_int64((int64_t)m->snap.generation));
	json_object_object_add(root, "global", global);
	json_object_object_add(root, "failOpen",
	    json_object_new_boolean(m->cfg.proxy_fail_open));
	json_object_object_add(root, "cliproxyapiLocal",
	    json_object_new_boolean(cliproxyapi_is_local(m->cfg.cliproxyapi_url)));
	json_object_object_add(root, "providers", providers);
	json_object_object_add(root, "combos", combos);
	json_object_object_add(root, "proxies", proxies);
	reply_set(r, 200, root);
}

static const struct arg_spec no_args[] = { ARGSPEC_END };

const struct command cmd_egress_map = {
	.name = "egress.map",
	.help = "every provider, connection and combo with the egress its calls "
	    "would use now (resolve for all of them in one answer)",
	.args = no_args,
	.run = egress_map,
};
