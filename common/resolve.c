/*
 * common/resolve.c — proxy resolution as a pure function over a snapshot.
 * See resolve.h for the rules; every decision is recorded in the explain trail.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_util.h"
#include "resolve.h"
#include "util.h"

static const char *const verdict_names[] = {
	[VERDICT_NOT_GIVEN] = "no scope id",
	[VERDICT_NO_ASSIGNMENT] = "no assignment",
	[VERDICT_USED] = "used",
	[VERDICT_DIRECT] = "direct (assigned)",
	[VERDICT_SKIPPED_INACTIVE] = "skipped: proxy inactive",
	[VERDICT_SKIPPED_MISSING] = "skipped: proxy missing",
	[VERDICT_REFUSED_INACTIVE] = "refused: proxy inactive",
	[VERDICT_REFUSED_MISSING] = "refused: proxy missing",
	[VERDICT_REFUSED_TRIED] = "refused: every usable member failed",
	[VERDICT_NOT_CONSULTED] = "not consulted",
	[VERDICT_DELEGATED] = "delegated to CLIProxyAPI",
};

const char *
resolve_verdict_name(enum resolve_verdict v)
{
	return verdict_names[v];
}

static bool
was_tried(const struct resolve_request *req, const struct snap_assignment *a,
    uint64_t member)
{
	size_t i;

	if (req->tried_count == 0 || req->tried_pool != a->key)
		return false;
	for (i = 0; i < req->tried_count; i++)
		if (req->tried[i] == member)
			return true;
	return false;
}

/*
 * The member a call takes (pool_choose over the members usable for it);
 * NULL when none is usable (*any_present: some member exists but is
 * inactive or was tried; *any_tried: one was tried). *index: the member's
 * position.
 */
static const struct snap_proxy *
pool_member(const struct registry_snapshot *snap, const struct snap_assignment *a,
    const struct resolve_request *req, struct pool_slot *slot, bool *any_present,
    bool *any_tried, long *index)
{
	uint64_t member[POOL_CHOICE_MAX];
	bool usable[POOL_CHOICE_MAX];
	int64_t latency_us[POOL_CHOICE_MAX];
	const struct snap_proxy *found[POOL_CHOICE_MAX];
	bool by_latency = a->strategy == POOL_LATENCY && req->latency != NULL;
	size_t i, n = a->member_count < POOL_CHOICE_MAX ? a->member_count :
	    POOL_CHOICE_MAX;
	struct pool_choice in = {
		.strategy = a->strategy,
		.pool = a->key,
		.sticky_window_minutes = a->sticky_window_minutes,
		.count = n,
		.member = member,
		.usable = usable,
		.latency_us = by_latency ? latency_us : NULL,
		.connection = req->connection_id != NULL && *req->connection_id != '\0' ?
		    pool_id_hash(req->connection_id) : 0,
		.after = req->tried_count > 0 && req->tried_pool == a->key ?
		    req->tried[req->tried_count - 1] : 0,
		.random = req->random,
		.now_ms = req->now_ms,
		.take = req->take_member,
	};

	*any_present = *any_tried = false;
	*index = -1;
	for (i = 0; i < n; i++) {
		/* linked by snapshot_index: no lookup by name on a call */
		found[i] = a->member_proxy != NULL ? a->member_proxy[i] :
		    snapshot_find_proxy(snap, a->members[i]);
		member[i] = a->member_hash != NULL ? a->member_hash[i] :
		    pool_id_hash(a->members[i]);
		usable[i] = found[i] != NULL && found[i]->active;
		if (usable[i] && was_tried(req, a, member[i])) {
			usable[i] = false;
			*any_tried = true;
		}
		if (found[i] != NULL && !usable[i])
			*any_present = true;
		if (by_latency)
			latency_us[i] = latency_average(req->latency, member[i], req->now_s);
	}
	/* slot NULL (a pool of one, a peek before any call, no board): the
	 * strategy chooses without shared state */
	*index = pool_choose(req->board, slot, &in);
	return *index >= 0 ? found[*index] : NULL;
}

void
resolve_request_choose(struct resolve_request *req, struct pool_board *board,
    const struct latency_board *latency, bool take)
{
	req->board = board;
	req->latency = latency;
	req->take_member = take;
	req->now_ms = monotonic_ms();
	req->now_s = (int64_t)time(NULL);
	req->random = (uint64_t)random();
}

void
proxy_resolve(const struct registry_snapshot *snap,
    const struct resolve_request *req, struct resolve_result *out)
{
	const struct route_connection *conn = req->provider_id == NULL ?
	    route_find_connection(&snap->routes, req->connection_id) : NULL;
	const char *ids[SCOPE_COUNT] = {
		[SCOPE_ACCOUNT] = req->connection_id,
		[SCOPE_PROVIDER] = conn != NULL ? conn->provider : req->provider_id,
		[SCOPE_COMBO] = req->combo_id,
		[SCOPE_GLOBAL] = GLOBAL_SCOPE_ID,
	};
	bool decided = false;
	enum scope s;

	memset(out, 0, sizeof(*out));
	out->member_index = -1;
	out->outcome = RESOLVE_DIRECT;
	out->level_is_direct = true;
	for (s = 0; s < SCOPE_COUNT; s++) {
		struct resolve_step *step = &out->explain[s];
		const struct snap_assignment *a;
		const struct snap_proxy *p;
		bool present, tried;

		step->scope = s;
		step->scope_id = s == SCOPE_GLOBAL ? NULL :
		    (ids[s] != NULL && *ids[s] != '\0' ? ids[s] : NULL);
		if (decided) {
			step->verdict = VERDICT_NOT_CONSULTED;
			continue;
		}
		if (s != SCOPE_GLOBAL && step->scope_id == NULL) {
			step->verdict = VERDICT_NOT_GIVEN;
			continue;
		}
		a = snapshot_find_assignment(snap, s, ids[s]);
		if (a == NULL) {
			step->verdict = VERDICT_NO_ASSIGNMENT;
			continue;
		}
		step->proxy_id = a->proxy_id;
		if (req->delegated) {
			/* the level that would decide; its proxy is not used */
			step->verdict = VERDICT_DELEGATED;
			decided = true;
			continue;
		}
		if (strcmp(a->proxy_id, ASSIGN_DIRECT) == 0) {
			step->verdict = VERDICT_DIRECT;
			decided = true;
			out->outcome = RESOLVE_DIRECT;
			out->level_is_direct = false;
			out->level = s;
			out->level_id = step->scope_id;
			continue;
		}
		/* a pool of one needs no shared state; a peek claims no slot
		 * (none yet: cursor 0, nothing recorded = position order) */
		out->slot = a->member_count > 1 ? pool_board_slot_by_key(req->board,
		    a->key, req->take_member) : NULL;
		p = pool_member(snap, a, req, out->slot, &present, &tried,
		    &out->member_index);
		if (p == NULL && req->fail_open && !tried) {
			step->verdict = present ? VERDICT_SKIPPED_INACTIVE :
			    VERDICT_SKIPPED_MISSING;
			continue;
		}
		out->pool = a;
		if (p == NULL) {
			/* fail closed: this scope decided, and it cannot be honoured */
			step->verdict = tried ? VERDICT_REFUSED_TRIED : present ?
			    VERDICT_REFUSED_INACTIVE : VERDICT_REFUSED_MISSING;
			decided = true;
			out->outcome = RESOLVE_REFUSED;
			out->level_is_direct = false;
			out->level = s;
			out->level_id = step->scope_id;
			continue;
		}
		step->proxy_id = p->id;
		step->verdict = VERDICT_USED;
		decided = true;
		out->outcome = RESOLVE_PROXY;
		out->level_is_direct = false;
		out->level = s;
		out->level_id = step->scope_id;
		out->proxy = p;
	}
	if (req->delegated) {
		if (!decided)
			out->explain[SCOPE_PROVIDER].verdict = VERDICT_DELEGATED;
		out->outcome = RESOLVE_DELEGATED;
		out->level_is_direct = false;
		out->level = SCOPE_PROVIDER;
		out->level_id = out->explain[SCOPE_PROVIDER].scope_id;
	}
}

void
resolve_peek(const struct registry_snapshot *snap, struct resolve_request *req,
    const char *cliproxyapi_url, struct pool_board *board,
    const struct latency_board *latency, struct resolve_result *out)
{
	req->delegated = resolve_delegates(snap, req->connection_id, req->provider_id,
	    cliproxyapi_url);
	resolve_request_choose(req, board, latency, false);
	proxy_resolve(snap, req, out);
}

bool
cliproxyapi_is_local(const char *cliproxyapi_url)
{
	struct http_url url;
	const char *err;

	return cliproxyapi_url != NULL && http_url_parse(cliproxyapi_url, &url, &err) == 0 &&
	    http_host_is_loopback(url.host);
}

bool
resolve_delegates(const struct registry_snapshot *snap, const char *connection_id,
    const char *provider_id, const char *cliproxyapi_url)
{
	if (provider_id == NULL) {
		const struct route_connection *conn = route_find_connection(&snap->routes,
		    connection_id);
		provider_id = conn != NULL ? conn->provider : NULL;
	}
	return route_upstream_mode(&snap->routes, provider_id) == UPSTREAM_CLIPROXYAPI &&
	    cliproxyapi_is_local(cliproxyapi_url);
}

const char *
resolve_level_name(const struct resolve_result *r)
{
	if (r->outcome == RESOLVE_DELEGATED)
		return "delegated";
	return r->level_is_direct ? "direct" : scope_name(r->level);
}

struct json_object *
resolve_result_to_json(const struct resolve_result *r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *explain = json_object_new_array();
	size_t i;

	if (r->outcome == RESOLVE_PROXY) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "type",
		    json_object_new_string(proxy_type_name(r->proxy->type)));
		json_object_object_add(p, "host", json_object_new_string(r->proxy->host));
		json_object_object_add(p, "port", json_object_new_int(r->proxy->port));
		json_object_object_add(p, "username",
		    json_object_new_string(*r->proxy->username ? "***" : ""));
		json_object_object_add(p, "password",
		    json_object_new_string(*r->proxy->password ? "***" : ""));
		json_object_object_add(root, "proxy", p);
		json_object_object_add(root, "proxyId",
		    json_object_new_string(r->proxy->id));
	} else {
		json_object_object_add(root, "proxy", NULL);
		json_object_object_add(root, "proxyId",
		    r->outcome == RESOLVE_DIRECT && !r->level_is_direct ?
		    json_object_new_string(ASSIGN_DIRECT) : NULL);
	}
	json_object_object_add(root, "level",
	    json_object_new_string(resolve_level_name(r)));
	json_object_object_add(root, "levelId", r->level_id != NULL ?
	    json_object_new_string(r->level_id) : NULL);
	json_object_object_add(root, "source", json_object_new_string("registry"));
	json_object_object_add(root, "refused",
	    json_object_new_boolean(r->outcome == RESOLVE_REFUSED));
	if (r->outcome == RESOLVE_REFUSED) {
		json_object_object_add(root, "code",
		    json_object_new_string("PROXY_ASSIGNED_UNAVAILABLE"));
		json_object_object_add(root, "message", json_object_new_string(
		    "assigned proxy is inactive/unavailable; refusing to egress on a direct connection"));
	}
	if (r->pool != NULL) {	/* a plain assignment is a pool of one */
		struct json_object *pool = json_object_new_object();
		struct json_object *members = json_object_new_array();
		json_object_object_add(pool, "strategy",
		    json_object_new_string(pool_strategy_name(r->pool->strategy)));
		json_object_object_add(pool, "stickyWindowMinutes",
		    json_object_new_int(r->pool->sticky_window_minutes));
		for (i = 0; i < r->pool->member_count; i++)
			json_object_array_add(members,
			    json_object_new_string(r->pool->members[i]));
		json_object_object_add(pool, "members", members);
		json_object_object_add(root, "pool", pool);
		json_object_object_add(root, "strategy",
		    json_object_new_string(pool_strategy_name(r->pool->strategy)));
	}
	for (i = 0; i < SCOPE_COUNT; i++) {
		const struct resolve_step *st = &r->explain[i];
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "level",
		    json_object_new_string(scope_name(st->scope)));
		json_object_object_add(e, "scopeId", st->scope_id != NULL ?
		    json_object_new_string(st->scope_id) : NULL);
		json_object_object_add(e, "proxyId", st->proxy_id != NULL ?
		    json_object_new_string(st->proxy_id) : NULL);
		json_object_object_add(e, "verdict",
		    json_object_new_string(verdict_names[st->verdict]));
		json_object_array_add(explain, e);
	}
	json_object_object_add(root, "explain", explain);
	return root;
}
