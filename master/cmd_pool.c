/*
 * master/cmd_pool.c — pools (issue 11, API.md "Pools"): show a scope's pool,
 * add a member (a proxy, or the live 1proxy set), remove one, and change the
 * strategy, the sticky window and the members' order (issue 12: the whole
 * order, or one member moved to a 0-based position). The pool's data layer and its design are in
 * pool_store.h; the workers choose a member per call by the strategy
 * (common/pool_choice.h, at resolution) and the relay fails over to the next
 * member inside a call (worker/upstream.c).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pool_store.h"
#include "proxy_store.h"

static const char *const scope_words[] = {
	"global", "provider", "account", "combo", "key", NULL
};
static const char *const strategy_words[] = {
	"round-robin", "random", "sticky", "latency", "quality", NULL
};
static const char *const source_words[] = { "oneproxy", NULL };
/* The types the registry can dial (common/registry.c proxy_type_names):
 * socks4 rows are stored but never enter the snapshot, so a socks4 filter
 * would make a pool that refuses every call. */
static const char *const protocol_words[] = { "http", "https", "socks5", NULL };

#define SCOPE_ARGS \
	{ "scope", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0, scope_words }, \
	{ "scopeId", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL }

static const struct arg_spec show_args[] = {
	SCOPE_ARGS,
	ARGSPEC_END
};

static const struct arg_spec member_args[] = {
	SCOPE_ARGS,
	{ "proxyId", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX | ARG_PROXY_REF, 0, 128, NULL },
	{ "source", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, source_words },
	{ "filter", ARG_OBJECT, 0, 0, 0, NULL },
	ARGSPEC_END
};

/* The filter of a live 1proxy set (all optional); backups restore with it too. */
const struct arg_spec pool_filter_args[] = {
	{ "protocol", ARG_STRING, ARG_TRIM | ARG_LOWER | ARG_NULLABLE, 0, 0, protocol_words },
	{ "countryCode", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_HAS_MIN | ARG_HAS_MAX, 2, 2, NULL },
	{ "minQuality", ARG_INT, ARG_NULLABLE | ARG_HAS_MIN | ARG_HAS_MAX, 0, 100, NULL },
	ARGSPEC_END
};

/* PATCH: any of strategy, window, and a new order (the whole order, or one
 * member moved to a 0-based position like the record's "position"). */
static const struct arg_spec update_args[] = {
	SCOPE_ARGS,
	{ "strategy", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, strategy_words },
	{ "stickyWindowMinutes", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, 1440, NULL },
	{ "order", ARG_STRING_ARRAY, ARG_HAS_MAX, 0, 1000, NULL },
	{ "proxyId", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX | ARG_PROXY_REF, 0, 128, NULL },
	{ "position", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 0, 999, NULL },
	ARGSPEC_END
};

/* The scope and its stored id; false (r set) when a scoped one lacks its id. */
static bool
pool_scope(struct json_object *args, struct reply *r, enum scope *scope,
    const char **scope_id)
{
	scope_parse(arg_string(args, "scope", ""), scope);
	*scope_id = arg_string(args, "scopeId", NULL);
	if (*scope != SCOPE_GLOBAL && (*scope_id == NULL || **scope_id == '\0')) {
		reply_invalid_field(r, "scopeId",
		    "scopeId is required for provider/account/combo/key scope");
		return false;
	}
	*scope_id = assignment_stored_scope_id(*scope, *scope_id);
	return true;
}

/* Reply the scope's pool with status (a 500 if it cannot be read). */
static void
reply_pool(struct master *m, struct reply *r, int status, enum scope scope,
    const char *scope_id)
{
	struct json_object *pool = pool_get_record(m, scope, scope_id);

	if (pool == NULL)
		reply_error(r, 500, "could not read the pool");
	else
		reply_set(r, status, pool);
}

static void
pool_show(struct master *m, struct json_object *args, struct reply *r)
{
	enum scope scope;
	const char *scope_id;
	struct json_object *pool;

	if (!pool_scope(args, r, &scope, &scope_id))
		return;
	if ((pool = pool_get_record(m, scope, scope_id)) == NULL) {
		reply_error(r, 404, "No proxy assigned to this scope");
		return;
	}
	reply_set(r, 200, pool);
}

const struct command cmd_pool_show = {
	.name = "pool.show",
	.help = "a scope's pool: strategy and members in order; {\"scope\",\"scopeId\"}",
	.args = show_args,
	.run = pool_show,
};

/* The live set's filter from args into f; false (r set) when it is bad. */
static bool
live_filter(struct json_object *args, struct reply *r, struct json_object **norm,
    struct pool_live_filter *f)
{
	struct json_object *filter = NULL, *details = NULL;
	size_t i;

	json_object_object_get_ex(args, "filter", &filter);
	if (args_validate(pool_filter_args, filter, norm, &details) != 0) {
		for (i = 0; i < json_object_array_length(details); i++) {
			struct json_object *d = json_object_array_get_idx(details, i), *field;
			char name[96];
			if (json_object_object_get_ex(d, "field", &field)) {
				snprintf(name, sizeof(name), "filter.%s",
				    json_object_get_string(field));
				json_object_object_add(d, "field", json_object_new_string(name));
			}
		}
		reply_invalid(r, details);
		return false;
	}
	f->protocol = arg_string(*norm, "protocol", NULL);
	f->country_code = arg_string(*norm, "countryCode", NULL);
	f->min_quality = arg_int(*norm, "minQuality", -1);
	return true;
}

static void
pool_add(struct master *m, struct json_object *args, struct reply *r)
{
	const char *proxy_id = arg_string(args, "proxyId", NULL);
	const char *source = arg_string(args, "source", NULL);
	struct json_object *norm = NULL;
	struct pool_live_filter f;
	enum scope scope;
	const char *scope_id;
	enum store_rc rc;
	bool created = false;

	if (!pool_scope(args, r, &scope, &scope_id))
		return;
	if ((proxy_id == NULL) == (source == NULL)) {
		reply_invalid_field(r, proxy_id == NULL ? "proxyId" : "source",
		    "give either proxyId or source (\"oneproxy\" with a filter)");
		return;
	}
	if (proxy_id != NULL && arg_present(args, "filter")) {
		reply_invalid_field(r, "filter", "filter goes with source");
		return;
	}
	if (proxy_id != NULL) {
		if (strcmp(proxy_id, ASSIGN_DIRECT) == 0 || !proxy_exists(m, proxy_id)) {
			reply_error(r, 404, "Proxy not found: %s", proxy_id);
			return;
		}
		rc = pool_member_add(m, scope, scope_id, proxy_id, &created);
	} else {
		if (!live_filter(args, r, &norm, &f))
			return;
		rc = pool_live_set(m, scope, scope_id, &f, &created);
	}
	if (rc == STORE_CONFLICT) {
		reply_error(r, 409, "Proxy is already a member of this pool");
	} else if (rc != STORE_OK) {
		reply_error(r, 500, "could not store the pool");
	} else
		reply_pool(m, r, created ? 201 : 200, scope, scope_id);
	json_object_put(norm);
}

const struct command cmd_pool_add = {
	.name = "pool.add",
	.help = "append a member to a scope's pool; {\"scope\",\"scopeId\",\"proxyId\"} or "
	    "{\"scope\",\"scopeId\",\"source\":\"oneproxy\",\"filter\":{\"protocol\","
	    "\"countryCode\",\"minQuality\"}} (a live set)",
	.args = member_args,
	.mutates = true,
	.run = pool_add,
};

static void
pool_remove(struct master *m, struct json_object *args, struct reply *r)
{
	const char *proxy_id = arg_string(args, "proxyId", NULL);
	const char *source = arg_string(args, "source", NULL);
	struct json_object *root, *pool;
	enum scope scope;
	const char *scope_id;
	enum store_rc rc;

	if (!pool_scope(args, r, &scope, &scope_id))
		return;
	if ((proxy_id == NULL) == (source == NULL) || arg_present(args, "filter")) {
		reply_invalid_field(r, proxy_id == NULL ? "proxyId" : "source",
		    "give either proxyId or source (\"oneproxy\")");
		return;
	}
	rc = proxy_id != NULL ? pool_member_remove(m, scope, scope_id, proxy_id) :
	    pool_live_remove(m, scope, scope_id);
	if (rc == STORE_NOT_FOUND) {
		reply_error(r, 404, proxy_id != NULL ?
		    "Proxy is not a member of this pool" :
		    "This pool has no live 1proxy set");
		return;
	}
	if (rc != STORE_OK) {
		reply_error(r, 500, "could not store the pool");
		return;
	}
	/* the pool, or null when its last member went with the assignment */
	pool = pool_get_record(m, scope, scope_id);
	root = json_object_new_object();
	json_object_object_add(root, "success", json_object_new_boolean(1));
	json_object_object_add(root, "pool", pool);
	reply_set(r, 200, root);
}

const struct command cmd_pool_remove = {
	.name = "pool.remove",
	.help = "remove a member from a scope's pool (the last removes the "
	    "assignment); {\"scope\",\"scopeId\",\"proxyId\"} or {…,\"source\":\"oneproxy\"}",
	.args = member_args,
	.mutates = true,
	.run = pool_remove,
};

/* The index of id in the array ids, or -1. */
static long
id_index(struct json_object *ids, const char *id)
{
	size_t i;

	for (i = 0; i < json_object_array_length(ids); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(ids, i)),
		    id) == 0)
			return (long)i;
	return -1;
}

/*
 * The new order of the static members (a new array): args' "order", checked
 * to be a permutation of members, or members with "proxyId" moved to
 * "position". NULL (r set) when it is not one.
 */
static struct json_object *
new_order(struct json_object *args, struct json_object *members, struct reply *r)
{
	struct json_object *order, *details;
	const char *proxy_id = arg_string(args, "proxyId", NULL);
	size_t i, j, n = json_object_array_length(members);
	long at;

	if (proxy_id != NULL) {
		long long position = arg_int(args, "position", -1);
		if ((at = id_index(members, proxy_id)) < 0) {
			reply_error(r, 404, "Proxy is not a member of this pool "
			    "(live 1proxy members follow their quality): %s", proxy_id);
			return NULL;
		}
		if (position >= (long long)n) {
			reply_invalid_field(r, "position", "position must be 0..%zu: "
			    "the pool has %zu member(s) with a position", n - 1, n);
			return NULL;
		}
		/* the others keep their order; the moved one lands at position */
		order = json_object_new_array();
		for (i = 0, j = 0; i < n; i++) {
			size_t from = (long long)i == position ? (size_t)at :
			    j + (j >= (size_t)at ? 1 : 0);
			if ((long long)i != position)
				j++;
			json_object_array_add(order, json_object_get(
			    json_object_array_get_idx(members, from)));
		}
		return order;
	}
	json_object_object_get_ex(args, "order", &order);
	details = json_object_new_array();
	for (i = 0; i < json_object_array_length(order); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(order, i));
		char field[32];
		snprintf(field, sizeof(field), "order[%zu]", i);
		if (id_index(members, id) < 0)
			details_add(details, field, "%s is not a member of this pool "
			    "(order lists the members' ids)", id);
		else if (id_index(order, id) != (long)i)
			details_add(details, field, "%s is listed twice", id);
	}
	for (i = 0; i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(members, i));
		if (id_index(order, id) < 0)
			details_add(details, "order", "order must list every member: "
			    "%s is missing", id);
	}
	if (json_object_array_length(details) > 0) {
		reply_invalid(r, details);
		return NULL;
	}
	json_object_put(details);
	return json_object_get(order);
}

static void
pool_update(struct master *m, struct json_object *args, struct reply *r)
{
	bool strategy_given = arg_string(args, "strategy", NULL) != NULL;
	bool window_given = arg_present(args, "stickyWindowMinutes");
	bool order_given = arg_present(args, "order");
	bool move_given = arg_present(args, "proxyId") || arg_present(args, "position");
	enum pool_strategy strategy = POOL_ROUND_ROBIN;
	struct json_object *members, *order = NULL;
	enum scope scope;
	const char *scope_id;
	enum store_rc rc;

	if (!pool_scope(args, r, &scope, &scope_id))
		return;
	if (!strategy_given && !window_given && !order_given && !move_given) {
		reply_invalid_field(r, "strategy", "give what changes: strategy, "
		    "stickyWindowMinutes, order, or proxyId with position");
		return;
	}
	if (order_given && move_given) {
		reply_invalid_field(r, "order", "give either order or proxyId with position");
		return;
	}
	if (move_given && (!arg_present(args, "proxyId") || !arg_present(args, "position"))) {
		reply_invalid_field(r, arg_present(args, "proxyId") ? "position" : "proxyId",
		    "proxyId and position go together (the member to move and its "
		    "new 0-based position)");
		return;
	}
	if ((members = pool_member_ids(m, scope, scope_id, &rc)) == NULL) {
		if (rc == STORE_NOT_FOUND)
			reply_error(r, 404, "No proxy pool assigned to this scope");
		else
			reply_error(r, 500, "could not read the pool");
		return;
	}
	if ((order_given || move_given) &&
	    ((order = new_order(args, members, r)) == NULL)) {
		json_object_put(members);
		return;
	}
	json_object_put(members);
	rc = order != NULL ? pool_members_order(m, scope, scope_id, order) : STORE_OK;
	json_object_put(order);
	if (rc == STORE_OK && (strategy_given || window_given)) {
		pool_strategy_parse(arg_string(args, "strategy", ""), &strategy);
		rc = pool_strategy_set(m, scope, scope_id, strategy_given ? &strategy : NULL,
		    (int)arg_int(args, "stickyWindowMinutes", -1));
	}
	if (rc != STORE_OK) {
		reply_error(r, 500, "could not store the pool");
		return;
	}
	reply_pool(m, r, 200, scope, scope_id);
}

const struct command cmd_pool_update = {
	.name = "pool.update",
	.help = "change a pool: strategy, sticky window, order; {\"scope\",\"scopeId\","
	    "\"strategy\":round-robin|random|sticky|latency|quality,"
	    "\"stickyWindowMinutes\":1..1440,\"order\":[proxyId…] (every member) or "
	    "\"proxyId\",\"position\" (0-based)}",
	.args = update_args,
	.mutates = true,
	.run = pool_update,
};
