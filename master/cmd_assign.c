/*
 * master/cmd_assign.c — scope assignments (global, provider, account/key,
 * combo; a proxy id or the word "direct"), bulk assignment, the filtered
 * listing, and resolution with its explain trail.
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

	req.delegated = resolve_delegates(&m->snap, req.connection_id, req.provider_id,
	    m->cfg.cliproxyapi_url);
	/* the member the next call would take: a peek, the cursor stays */
	resolve_request_choose(&req, m->pool_board, m->latency_board, false);
	proxy_resolve(&m->snap, &req, &res);
	reply_set(r, 200, resolve_result_to_json(&res));
}

const struct command cmd_resolve = {
	.name = "resolve",
	.help = "which egress a call would use; {\"connectionId\",\"provider\",\"combo\"}",
	.args = resolve_args,
	.run = resolve,
};
