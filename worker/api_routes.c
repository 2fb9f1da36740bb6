/*
 * worker/api_routes.c — the HTTP management API as a table: (method, path,
 * a selecting query parameter) → (control command, how query and body become
 * its arguments). The worker only translates; the master's command handlers
 * validate and decide, so omnirctl and HTTP cannot drift apart. Resolution is
 * answered here from the worker's own snapshot — the same function the relay
 * uses per request. Also: management authentication, GET /healthz, and the
 * /v1 split: GET /v1/models (worker/models.c), every other /v1 path to the
 * relay (worker/relay.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "commands.h"
#include "dashboard.h"
#include "http_util.h"
#include "log.h"
#include "models.h"
#include "resolve.h"
#include "util.h"
#include "worker.h"

enum route_body {
	BODY_IGNORED,		/* arguments come from the query only */
	BODY_IS_ARGS,		/* the JSON body object is the arguments */
};

enum route_local {
	ROUTE_FORWARD,		/* send the command to the master */
	ROUTE_LOCAL_RESOLVE,	/* resolve from this worker's snapshot */
};

struct query_arg {
	const char	*param;		/* name in the query string */
	const char	*arg;		/* name of the command argument */
};

struct api_route {
	const char		*method;
	const char		*path;
	const char		*when_param;	/* route applies only if present
						 * ("name"), or given so ("name=value") */
	const char		*command;
	enum route_body		 body;
	enum route_local	 local;
	const char		*fixed_args;	/* JSON object merged in, or NULL */
	struct query_arg	 query[6];
	const char		*path_arg;	/* the "*" segment of path goes here */
};

#define V1	"/api/v1/management/proxies"
#define SET	"/api/settings/proxies"
#define HEALTH_SERIES_QUERY	{ { "proxyId", "proxyId" }, { "hours", "hours" }, { "buckets", "buckets" } }

static const struct api_route routes[] = {
	/* registry — v1 management (paginated) */
	{ "GET", V1, "where_used", "proxy.where_used", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", V1, "id", "proxy.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", V1, NULL, "proxy.list", BODY_IGNORED, ROUTE_FORWARD, NULL,
	    { { "limit", "limit" }, { "offset", "offset" }, { "q", "q" }, { "type", "type" }, { "status", "status" }, { "include", "include" } }, NULL },
	{ "POST", V1, NULL, "proxy.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PATCH", V1, NULL, "proxy.update", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", V1, NULL, "proxy.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" }, { "force", "force" } }, NULL },
	{ "POST", V1 "/bulk-assign", NULL, "assign.bulk", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PUT", V1 "/bulk-assign", NULL, "assign.bulk", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "GET", V1 "/assignments", "resolve_connection_id", "resolve", BODY_IGNORED, ROUTE_LOCAL_RESOLVE, NULL,
	    { { "resolve_connection_id", "connectionId" }, { "provider", "provider" }, { "combo", "combo" } }, NULL },
	{ "GET", V1 "/assignments", NULL, "assign.list", BODY_IGNORED, ROUTE_FORWARD, NULL,
	    { { "proxy_id", "proxyId" }, { "scope", "scope" }, { "scope_id", "scopeId" }, { "limit", "limit" }, { "offset", "offset" } }, NULL },
	{ "PUT", V1 "/assignments", NULL, "assign.set", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	/* with proxyId (or buckets, refused without it): one proxy's outcomes over time */
	{ "GET", V1 "/health", "proxyId", "proxy.health_series", BODY_IGNORED, ROUTE_FORWARD, NULL, HEALTH_SERIES_QUERY, NULL },
	{ "GET", V1 "/health", "buckets", "proxy.health_series", BODY_IGNORED, ROUTE_FORWARD, NULL, HEALTH_SERIES_QUERY, NULL },
	{ "GET", V1 "/health", NULL, "proxy.health", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "hours", "hours" } }, NULL },
	{ "POST", V1 "/test", NULL, "proxy.test", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "POST", V1 "/egress", NULL, "proxy.egress", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },

	/* registry — dashboard twins (unpaginated lists, camelCase queries) */
	{ "GET", SET, "whereUsed", "proxy.where_used", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", SET, "id", "proxy.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", SET, NULL, "proxy.list", BODY_IGNORED, ROUTE_FORWARD, "{\"paginate\":false}",
	    { { "q", "q" }, { "type", "type" }, { "status", "status" }, { "include", "include" } }, NULL },
	{ "POST", SET, NULL, "proxy.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PATCH", SET, NULL, "proxy.update", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", SET, NULL, "proxy.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" }, { "force", "force" } }, NULL },
	{ "GET", SET "/assignments", "resolveConnectionId", "resolve", BODY_IGNORED, ROUTE_LOCAL_RESOLVE, NULL,
	    { { "resolveConnectionId", "connectionId" }, { "provider", "provider" }, { "combo", "combo" } }, NULL },
	{ "GET", SET "/assignments", NULL, "assign.list", BODY_IGNORED, ROUTE_FORWARD, "{\"paginate\":false}",
	    { { "proxyId", "proxyId" }, { "scope", "scope" }, { "scopeId", "scopeId" } }, NULL },
	{ "PUT", SET "/assignments", NULL, "assign.set", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", SET "/bulk-assign", NULL, "assign.bulk", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PUT", SET "/bulk-assign", NULL, "assign.bulk", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	/* with proxyId (or buckets, refused without it): one proxy's outcomes over time */
	{ "GET", SET "/health", "proxyId", "proxy.health_series", BODY_IGNORED, ROUTE_FORWARD, NULL, HEALTH_SERIES_QUERY, NULL },
	{ "GET", SET "/health", "buckets", "proxy.health_series", BODY_IGNORED, ROUTE_FORWARD, NULL, HEALTH_SERIES_QUERY, NULL },
	{ "GET", SET "/health", NULL, "proxy.health", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "hours", "hours" } }, NULL },
	{ "POST", SET "/bulk-import", NULL, "proxy.import", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", SET "/egress", NULL, "proxy.egress", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", SET "/egress-map", NULL, "egress.map", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", SET "/migrate", NULL, "legacy.migrate", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	/* pools (API.md "Pools"): a scope's members and strategy */
	{ "GET", SET "/pool", NULL, "pool.show", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "scope", "scope" }, { "scopeId", "scopeId" } }, NULL },
	{ "PUT", SET "/pool", NULL, "pool.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", SET "/pool", NULL, "pool.remove", BODY_IGNORED, ROUTE_FORWARD, NULL,
	    { { "scope", "scope" }, { "scopeId", "scopeId" }, { "proxyId", "proxyId" }, { "source", "source" } }, NULL },
	{ "PATCH", SET "/pool", NULL, "pool.update", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },

	/* scoped config (writes registry assignments) */
	{ "GET", "/api/settings/proxy", "resolve", "resolve", BODY_IGNORED, ROUTE_LOCAL_RESOLVE, NULL,
	    { { "resolve", "connectionId" }, { "provider", "provider" }, { "combo", "combo" } }, NULL },
	{ "GET", "/api/settings/proxy", NULL, "settings.proxy.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "level", "level" }, { "id", "id" } }, NULL },
	{ "PUT", "/api/settings/proxy", NULL, "settings.proxy.put", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", "/api/settings/proxy", NULL, "settings.proxy.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "level", "level" }, { "id", "id" } }, NULL },

	/* what the relay routes to: providers, connections, combos, client keys */
	{ "GET", "/api/providers", "id", "provider.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", "/api/providers", NULL, "provider.list", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", "/api/providers", NULL, "provider.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PATCH", "/api/providers", NULL, "provider.update", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", "/api/providers", NULL, "provider.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "POST", "/api/providers/*/test", NULL, "conn.test", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, "id" },
	{ "GET", "/api/connections", "id", "conn.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", "/api/connections", NULL, "conn.list", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "provider", "provider" } }, NULL },
	{ "POST", "/api/connections", NULL, "conn.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PATCH", "/api/connections", NULL, "conn.update", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", "/api/connections", NULL, "conn.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },
	{ "GET", "/api/combos", "name", "combo.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "name", "name" } }, NULL },
	{ "GET", "/api/combos", NULL, "combo.list", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", "/api/combos", NULL, "combo.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "PATCH", "/api/combos", NULL, "combo.update", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", "/api/combos", NULL, "combo.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "name", "name" } }, NULL },
	{ "GET", "/api/keys", NULL, "apikey.list", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", "/api/keys", NULL, "apikey.add", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", "/api/keys", NULL, "apikey.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" } }, NULL },

	/* upstream proxy modes (native, cliproxyapi, fallback) */
	{ "GET", "/api/upstream-proxy/*", NULL, "upstream.get", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, "providerId" },
	{ "PUT", "/api/upstream-proxy/*", NULL, "upstream.set", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, "providerId" },
	{ "DELETE", "/api/upstream-proxy/*", NULL, "upstream.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, "providerId" },

	/* the 1proxy free-proxy feed */
	{ "GET", "/api/settings/oneproxy", "action=stats", "oneproxy.stats", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "GET", "/api/settings/oneproxy", "action=status", "oneproxy.status", BODY_IGNORED, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "GET", "/api/settings/oneproxy", "action", "oneproxy.list", BODY_IGNORED, ROUTE_FORWARD, NULL,
	    { { "action", "action" } }, NULL },	/* any other action: refused by name */
	{ "GET", "/api/settings/oneproxy", NULL, "oneproxy.list", BODY_IGNORED, ROUTE_FORWARD, NULL,
	    { { "protocol", "protocol" }, { "countryCode", "countryCode" }, { "minQuality", "minQuality" }, { "limit", "limit" }, { "offset", "offset" } }, NULL },
	{ "POST", "/api/settings/oneproxy", NULL, "oneproxy.sync", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", "/api/settings/oneproxy/rotate", NULL, "oneproxy.rotate", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "POST", "/api/settings/oneproxy/reset", NULL, "oneproxy.reset", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
	{ "DELETE", "/api/settings/oneproxy", NULL, "oneproxy.delete", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "id", "id" }, { "clearAll", "clearAll" } }, NULL },

	/* backup */
	{ "GET", "/api/settings/backup", NULL, "backup.export", BODY_IGNORED, ROUTE_FORWARD, NULL, { { "secrets", "secrets" } }, NULL },
	{ "POST", "/api/settings/backup", NULL, "backup.import", BODY_IS_ARGS, ROUTE_FORWARD, NULL, { { NULL, NULL } }, NULL },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Filter lists where "?name=" (a form's "any") leaves the argument out. */
static const char *const empty_filter_is_any[] = { "oneproxy.list", NULL };

static bool
empty_is_any(const struct api_route *r)
{
	size_t i;

	for (i = 0; empty_filter_is_any[i] != NULL; i++)
		if (strcmp(empty_filter_is_any[i], r->command) == 0)
			return true;
	return false;
}

/*
 * Commands that put secrets in clear in their answer when an argument says
 * so: over HTTP only with the management key set (API.md), else 403 naming
 * the owner-only way. Keyed by command, so every route to one is covered.
 */
static const struct {
	const char	*command;
	const char	*param;		/* query parameter asking for the secrets */
	const char	*refusal;	/* the 403 message: the way that works */
} secret_commands[] = {
	{ "backup.export", "secrets", "secrets are not sent over HTTP without a "
	    "management key (api_key); export them with \"omnirctl backup export "
	    "--secrets\" over the owner-only control socket" },
};

/* Does the query select the route: "name" present, or "name=value" given so? */
static bool
query_selects(struct http_conn *c, const char *when)
{
	const char *eq = strchr(when, '=');
	char name[64], value[2048];
	int found;

	if (eq == NULL)
		return http_query_param(c->target, strlen(c->target), when, value,
		    sizeof(value)) != 0;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - when), when);
	found = http_query_param(c->target, strlen(c->target), name, value, sizeof(value));
	return found > 0 && strcmp(value, eq + 1) == 0;
}

/*
 * Does path match the route's pattern? A "*" stands for one non-empty segment,
 * which is copied into seg when given.
 */
static bool
path_matches(const char *pattern, const char *path, char *seg, size_t seglen)
{
	const char *star = strchr(pattern, '*'), *end;
	size_t pre, post, len;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(star - pattern);
	post = strlen(star + 1);
	len = strlen(path);
	/* an empty segment matches too: the route then refuses it by name */
	if (len < pre + post || strncmp(path, pattern, pre) != 0 ||
	    strcmp(path + len - post, star + 1) != 0)
		return false;
	end = path + len - post;
	if (memchr(path + pre, '/', (size_t)(end - (path + pre))) != NULL)
		return false;
	if (seg != NULL) {
		if ((size_t)(end - (path + pre)) >= seglen)
			return false;
		memcpy(seg, path + pre, (size_t)(end - (path + pre)));
		seg[end - (path + pre)] = '\0';
	}
	return true;
}

/* The route for this request; *path_known is set when only the method is wrong. */
static const struct api_route *
route_find(struct http_conn *c, bool *path_known)
{
	size_t i;

	*path_known = false;
	for (i = 0; i < NROUTES; i++) {
		const struct api_route *r = &routes[i];
		if (!path_matches(r->path, c->path, NULL, 0))
			continue;
		*path_known = true;
		if (strcmp(r->method, c->method) != 0)
			continue;
		if (r->when_param != NULL && !query_selects(c, r->when_param))
			continue;
		return r;
	}
	return NULL;
}

/*
 * Management authentication (API.md): a Bearer key, or loopback when none is
 * set. Decided from the head alone, when it arrives (http_server.c), so no
 * body of an unauthenticated caller is ever read or counted. false → answered.
 */
bool
api_authorised(struct http_conn *c)
{
	const struct http_header *h = http_find_header(&c->head, "Authorization");
	const char *key = c->w->cfg->api_key;
	char presented[512];

	if (key == NULL) {
		if (c->peer_is_loopback)
			return true;
		http_respond_error(c, 401, "Authentication required");
		return false;
	}
	if (h == NULL || h->value_len < 7 || !http_token_equals(h->value, 6, "Bearer") ||
	    h->value[6] != ' ') {
		http_respond_error(c, 401, "Authentication required");
		return false;
	}
	snprintf(presented, sizeof(presented), "%.*s", (int)(h->value_len - 7),
	    h->value + 7);
	if (!secret_equals(presented, key)) {
		explicit_bzero(presented, sizeof(presented));
		http_respond_error(c, 403, "Invalid management token");
		return false;
	}
	explicit_bzero(presented, sizeof(presented));
	return true;
}

/*
 * Does the request ask for secrets in clear (secret_commands)? Anything but
 * an absent, "0" or "false" value counts as asking. The refusal, or NULL.
 */
static const char *
asks_for_secrets(struct http_conn *c, const struct api_route *r)
{
	char value[16];
	size_t i;
	int found;

	for (i = 0; i < sizeof(secret_commands) / sizeof(secret_commands[0]); i++) {
		if (strcmp(secret_commands[i].command, r->command) != 0)
			continue;
		found = http_query_param(c->target, strlen(c->target),
		    secret_commands[i].param, value, sizeof(value));
		if (found != 0 && !(found > 0 && (strcmp(value, "0") == 0 ||
		    strcmp(value, "false") == 0)))
			return secret_commands[i].refusal;
	}
	return NULL;
}

/* Build the command's arguments from query, fixed args and body. NULL → responded. */
static struct json_object *
route_args(struct http_conn *c, const struct api_route *r)
{
	struct json_object *args = NULL;
	char value[2048];
	size_t i;

	if (r->body == BODY_IS_ARGS && c->body_len > 0) {
		char why[160];
		args = json_parse_document_why(c->body, c->body_len, 64, why, sizeof(why));
		if (args == NULL && !(c->body_len == 4 && memcmp(c->body, "null", 4) == 0)) {
			struct json_object *details = json_object_new_array();
			details_add(details, "", "%s", why);
			http_respond_json(c, 400, error_envelope(400, "Invalid JSON body",
			    details));
			return NULL;
		}
		if (args == NULL || !json_object_is_type(args, json_type_object)) {
			struct json_object *details = json_object_new_array();
			json_object_put(args);
			details_add(details, "", "the request body must be a JSON object");
			http_respond_json(c, 400, error_envelope(400, "Invalid request",
			    details));
			return NULL;
		}
	}
	if (args == NULL)
		args = json_object_new_object();
	for (i = 0; i < sizeof(r->query) / sizeof(r->query[0]) &&
	    r->query[i].param != NULL; i++) {
		int found = http_query_param(c->target, strlen(c->target),
		    r->query[i].param, value, sizeof(value));
		if (found < 0) {
			struct json_object *details = json_object_new_array();
			json_object_put(args);
			details_add(details, r->query[i].param,
			    "%s is not a valid query value", r->query[i].param);
			http_respond_json(c, 400, error_envelope(400, "Invalid request",
			    details));
			return NULL;
		}
		if (found > 0 && !(value[0] == '\0' && empty_is_any(r)))
			json_object_object_add(args, r->query[i].arg,
			    json_object_new_string(value));
	}
	if (r->path_arg != NULL) {
		char seg[256], id[256];
		if (!path_matches(r->path, c->path, seg, sizeof(seg))) {
			json_object_put(args);
			http_respond_error(c, 404, "no such API path");
			return NULL;
		}
		/* the segment is an id: percent-decoded, and never empty or blank
		 * (the command's own argument rules then judge the rest) */
		if (percent_decode(seg, strlen(seg), false, id, sizeof(id)) < 0 ||
		    id[strspn(id, " \t")] == '\0') {
			struct json_object *details = json_object_new_array();
			json_object_put(args);
			details_add(details, r->path_arg, "%s in the path must be a "
			    "non-blank, well-formed percent-encoded id", r->path_arg);
			http_respond_json(c, 400, error_envelope(400, "Invalid request",
			    details));
			return NULL;
		}
		json_object_object_add(args, r->path_arg, json_object_new_string(id));
	}
	if (r->fixed_args != NULL) {
		struct json_object *fixed = json_tokener_parse(r->fixed_args);
		json_object_object_foreach(fixed, k, v)
			json_object_object_add(args, k, json_object_get(v));
		json_object_put(fixed);
	}
	return args;
}

static const char *
nonempty_arg(struct json_object *args, const char *name)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(args, name, &v) || v == NULL)
		return NULL;
	s = json_object_get_string(v);
	return s != NULL && *s != '\0' ? s : NULL;
}

static void
resolve_locally(struct http_conn *c, struct json_object *args)
{
	struct resolve_request req = {
		.connection_id = nonempty_arg(args, "connectionId"),
		.provider_id = nonempty_arg(args, "provider"),
		.combo_id = nonempty_arg(args, "combo"),
		.fail_open = c->w->cfg->proxy_fail_open,
	};
	struct resolve_result res;
	struct json_object *body;

	resolve_peek(&c->w->snap, &req, c->w->cfg->cliproxyapi_url, c->w->pool_board,
	    c->w->latency_board, &res);
	body = resolve_result_to_json(&res);
	json_object_object_add(body, "generation",
	    json_object_new_int64((int64_t)c->w->snap.generation));
	http_respond_json(c, 200, body);
}

static void
healthz(struct http_conn *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "worker", json_object_new_int(c->w->slot));
	json_object_object_add(o, "generation",
	    json_object_new_int64((int64_t)c->w->snap.generation));
	http_respond_json(c, 200, o);
}

static void
healthz_route(struct http_conn *c)
{
	if (strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0)
		healthz(c);
	else
		http_respond_error(c, 405, "method not allowed on /healthz");
}

/*
 * Paths the worker serves itself, outside the management table (the first
 * match wins): /v1 goes to the relay, except the model list, which the worker
 * gathers from every provider. REQUIRE_API_KEY was checked for all of /v1
 * when the head arrived (http_server.c). A /v1 target must be canonical
 * (http_path_check): its path goes on under a provider's base URL, so a
 * '..', an encoded '/' or a fragment there is refused before anything leaves.
 */
static const struct {
	const char	*path;
	bool		 prefix;	/* path is a prefix of the request's */
	bool		 canonical;	/* the target must pass http_path_check */
	void		(*serve)(struct http_conn *c);
} served[] = {
	{ "/healthz", false, false, healthz_route },
	{ "/", false, false, dashboard_redirect },
	{ "/favicon.ico", false, false, dashboard_serve },
	{ "/dashboard", false, false, dashboard_serve },
	{ "/dashboard/", true, false, dashboard_serve },
	{ "/v1/models", false, true, models_start },
	{ "/v1/models/", true, true, models_start },
	{ "/v1/", true, true, relay_start },
};

/* 400 naming what makes the target not canonical; false then. */
static bool
target_is_canonical(struct http_conn *c)
{
	enum http_path_fault fault = http_path_check(c->target, strlen(c->target));
	struct reply reply = { 0 };

	if (fault == HTTP_PATH_CANONICAL)
		return true;
	reply_invalid_field(&reply, "path", "%s; only canonical paths are relayed",
	    http_path_fault_message(fault));
	http_respond_reply(c, &reply);
	return false;
}

void
api_dispatch(struct http_conn *c)
{
	const struct api_route *r;
	const struct command *cmd;
	struct json_object *args;
	const char *refusal;
	bool path_known;
	size_t i;

	for (i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		if (served[i].prefix ? strncmp(c->path, served[i].path,
		    strlen(served[i].path)) == 0 : strcmp(c->path, served[i].path) == 0) {
			if (!served[i].canonical || target_is_canonical(c))
				served[i].serve(c);
			return;
		}
	if (strncmp(c->path, "/api/", 5) != 0) {
		http_respond_error(c, 404, "not found");
		return;
	}
	/* authenticated when the head arrived (api_authorised) */
	r = route_find(c, &path_known);
	if (r == NULL) {
		if (path_known)
			http_respond_error(c, 405, "method not allowed on this path");
		else
			http_respond_error(c, 404, "no such API path");
		return;
	}
	/* a loopback peer is not the owner: any local user or page is one */
	if (c->w->cfg->api_key == NULL && (refusal = asks_for_secrets(c, r)) != NULL) {
		http_respond_error(c, 403, refusal);
		return;
	}
	if ((args = route_args(c, r)) == NULL)
		return;
	if (r->local == ROUTE_LOCAL_RESOLVE) {
		/* answered here, but checked by the command's own table (blank ids: 400) */
		struct json_object *checked = NULL, *details = NULL;
		cmd = command_find(r->command);
		if (cmd != NULL && args_validate(cmd->args, args, &checked, &details) != 0) {
			json_object_put(args);
			http_respond_json(c, 400, error_envelope(400, "Invalid request",
			    details));
			return;
		}
		resolve_locally(c, checked != NULL ? checked : args);
		json_object_put(checked);
		json_object_put(args);
		return;
	}
	if (c->w->master_gone) {
		json_object_put(args);
		http_respond_error(c, 503, "the master process is gone; this worker only "
		    "finishes the calls it holds");
		return;
	}
	c->tag = ++c->w->next_tag;
	worker_send_command(c->w, c->tag, r->command, args);
	if ((cmd = command_find(r->command)) != NULL && cmd->mutates) {
		c->mutation = r->command;	/* logged with its reply */
		c->mutation_args = args;
		return;
	}
	json_object_put(args);
}

void
api_master_gone(struct worker *w)
{
	struct http_conn *c, *next;

	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_WAITING_MASTER)
			http_respond_error(c, 503, "the master process is gone; this "
			    "worker only finishes the calls it holds");
	}
}

void
api_master_reply(struct worker *w, uint64_t tag, int status, const char *json,
    size_t len)
{
	struct http_conn *c;
	struct json_object *body;

	TAILQ_FOREACH(c, &w->conns, entry)
		if (c->state == CONN_WAITING_MASTER && c->tag == tag)
			break;
	if (c == NULL)
		return;		/* the client went away meanwhile */
	body = json_parse_document(json, len, 64);
	if (body == NULL) {
		log_errorx("unparseable reply from the master for tag %llu",
		    (unsigned long long)tag);
		http_respond_error(c, 502, "bad reply from the master");
		return;
	}
	if (c->mutation != NULL) {
		/* who (HTTP peer, and how it was let in) and what (the ids named) */
		char what[512];
		mutation_describe(c->mutation_args, body, what, sizeof(what));
		log_info("mutation %s%s%s by HTTP %s (%s) request %s → %d", c->mutation,
		    what[0] ? " " : "", what, c->peer[0] ? c->peer : "?",
		    c->w->cfg->api_key != NULL ? "management key" : "loopback",
		    c->acc.request_id, status);
	}
	http_respond_json(c, status, body);
}
