/*
 * master/cmd_conn.c — connections (provider accounts): list, get, add,
 * update, delete. API keys are encrypted at rest and redacted in replies; an
 * empty key on update keeps the stored one. Active connections of a provider
 * are tried by priority (lower first).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "resolve.h"
#include "route_store.h"
#include "util.h"

static const char *const statuses[] = { "active", "inactive", NULL };

static const struct arg_spec list_args[] = {
	{ "provider", ARG_STRING, ARG_TRIM | ARG_LOWER | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 64, NULL },
	ARGSPEC_END
};

static const struct arg_spec id_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 128, NULL },
	ARGSPEC_END
};

static void
conn_list(struct master *m, struct json_object *args, struct reply *r)
{
	const char *provider = arg_string(args, "provider", NULL);
	struct json_object *items = connection_list_records(m,
	    provider != NULL && *provider ? provider : NULL, false);

	reply_set(r, 200, list_reply(items, false, 0, 0,
	    (long long)json_object_array_length(items)));
}

const struct command cmd_conn_list = {
	.name = "conn.list",
	.help = "connections (provider accounts); {\"provider\"}",
	.args = list_args,
	.run = conn_list,
};

static void
conn_get(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *rec = connection_get_record(m, arg_string(args, "id", ""));

	if (rec == NULL)
		reply_error(r, 404, "Connection not found");
	else
		reply_set(r, 200, rec);
}

const struct command cmd_conn_get = {
	.name = "conn.get",
	.help = "one connection; {\"id\"}",
	.args = id_args,
	.run = conn_get,
};

static const struct arg_spec add_args[] = {
	{ "id", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 36, NULL },
	{ "provider", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	{ "name", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	{ "key", ARG_STRING, ARG_HAS_MAX, 0, 8192, NULL },
	{ "priority", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 0, 1000000, NULL },
	{ "status", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, statuses },
	ARGSPEC_END
};

static bool
key_is_clean(const char *key)
{
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		if (*p < 0x21 || *p == 0x7f)
			return false;
	return true;
}

static void
conn_add(struct master *m, struct json_object *args, struct reply *r)
{
	const char *provider = arg_string(args, "provider", "");
	const char *key = arg_string(args, "key", "");
	const char *name = arg_string(args, "name", "");
	struct connection_fields f = {
		.provider = provider,
		.name = name,
		.key = key,
		.priority = arg_int(args, "priority", 0),
		.has_priority = true,
		.status = arg_string(args, "status", "active"),
	};
	char id[UUID_STR_LEN];

	if (!provider_exists(m, provider)) {
		reply_invalid_field(r, "provider", "unknown provider '%s'", provider);
		return;
	}
	if (!key_is_clean(key)) {
		reply_invalid_field(r, "key", "key must not contain spaces or control characters");
		return;
	}
	if (arg_present(args, "id")) {
		/* a chosen id (a restore keeps ids, which assignments refer to) */
		const char *want = arg_string(args, "id", "");
		if (strspn(want, "0123456789abcdefABCDEF-") != strlen(want)) {
			reply_invalid_field(r, "id", "id must be a UUID (hex digits and '-')");
			return;
		}
		if (connection_exists(m, want)) {
			reply_error(r, 409, "Connection id already exists: %s", want);
			return;
		}
		snprintf(id, sizeof(id), "%s", want);
	} else if (uuid_v4(id) != 0) {
		reply_error(r, 500, "could not store the connection");
		return;
	}
	if (connection_name_taken(m, provider, name)) {
		reply_error(r, 409, "Connection %s already exists for %s", name, provider);
		return;
	}
	if (connection_insert(m, id, &f) != STORE_OK) {
		reply_error(r, 500, "could not store the connection");
		return;
	}
	reply_set(r, 201, connection_get_record(m, id));
}

const struct command cmd_conn_add = {
	.name = "conn.add",
	.help = "add a connection; {\"provider\",\"name\",\"key\",\"priority\",\"status\"} (\"id\" to keep one, as restores do)",
	.args = add_args,
	.mutates = true,
	.run = conn_add,
};

static const struct arg_spec update_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 128, NULL },
	{ "name", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	{ "key", ARG_STRING, ARG_HAS_MAX, 0, 8192, NULL },
	{ "priority", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 0, 1000000, NULL },
	{ "status", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, statuses },
	ARGSPEC_END
};

static void
conn_update(struct master *m, struct json_object *args, struct reply *r)
{
	const char *id = arg_string(args, "id", "");
	const char *key = arg_string(args, "key", "");
	struct connection_fields f = {
		.name = arg_string(args, "name", NULL),
		.key = key,
		.priority = arg_int(args, "priority", 0),
		.has_priority = arg_present(args, "priority"),
		.status = arg_string(args, "status", NULL),
	};

	if (!connection_exists(m, id)) {
		reply_error(r, 404, "Connection not found");
		return;
	}
	if (!key_is_clean(key)) {
		reply_invalid_field(r, "key", "key must not contain spaces or control characters");
		return;
	}
	switch (connection_update(m, id, &f)) {
	case STORE_OK:
		reply_set(r, 200, connection_get_record(m, id));
		break;
	case STORE_CONFLICT:
		reply_error(r, 409, "could not update the connection (name already used?)");
		break;
	default:
		reply_error(r, 500, "could not store the connection");
		break;
	}
}

const struct command cmd_conn_update = {
	.name = "conn.update",
	.help = "change a connection; {\"id\",\"name\",\"key\",\"priority\",\"status\"} (an empty key keeps the stored one)",
	.args = update_args,
	.mutates = true,
	.run = conn_update,
};

static const struct deletion connection_deletion = {
	.not_found = "Connection not found",
	.what = "the connection",
};

static void
conn_delete(struct master *m, struct json_object *args, struct reply *r)
{
	reply_deletion(r, connection_remove(m, arg_string(args, "id", "")),
	    &connection_deletion);
}

const struct command cmd_conn_delete = {
	.name = "conn.delete",
	.help = "delete a connection (its account-scope assignment stays); {\"id\"}",
	.args = id_args,
	.mutates = true,
	.run = conn_delete,
};


static const struct arg_spec test_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 128, NULL },
	{ "timeoutMs", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 100, 120000, NULL },
	ARGSPEC_END
};

/*
 * GET {baseUrl}/models with the connection's key, through the proxy its calls
 * would use (resolved exactly as the relay does), run by a worker.
 */
static void
conn_test(struct master *m, struct json_object *args, struct reply *r)
{
	const struct route_connection *conn = route_find_connection(&m->snap.routes,
	    arg_string(args, "id", ""));
	const struct route_provider *provider;
	struct json_object *job, *headers;
	struct resolve_request req;
	struct resolve_result res;
	char url[2200];

	if (conn == NULL) {
		reply_error(r, 404, "Connection not found");
		return;
	}
	provider = route_find_provider(&m->snap.routes, conn->provider);
	if (provider == NULL) {
		reply_error(r, 409, "the connection's provider no longer exists");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.connection_id = conn->id;
	req.provider_id = conn->provider;
	req.fail_open = m->cfg.proxy_fail_open;
	/* a pool's member the next call would take (cooling ones passed over) */
	resolve_request_choose(&req, m->pool_board, m->latency_board, false);
	proxy_resolve(&m->snap, &req, &res);
	if (res.outcome == RESOLVE_REFUSED) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "success", json_object_new_boolean(0));
		json_object_object_add(o, "status", NULL);
		json_object_object_add(o, "latencyMs", json_object_new_int(0));
		json_object_object_add(o, "level", json_object_new_string(resolve_level_name(&res)));
		json_object_object_add(o, "proxyId", NULL);
		json_object_object_add(o, "error", json_object_new_string(
		    "PROXY_ASSIGNED_UNAVAILABLE: the assigned proxy is inactive or missing; "
		    "refusing to test directly"));
		reply_set(r, 200, o);
		return;
	}
	job = json_object_new_object();
	if (res.outcome == RESOLVE_PROXY)
		json_object_object_add(job, "proxy", job_proxy_json(res.proxy));
	snprintf(url, sizeof(url), "%s/models", provider->base_url);
	headers = json_object_new_object();
	if (provider->auth == ROUTE_AUTH_BEARER && conn->key[0] != '\0') {
		char value[8300];
		snprintf(value, sizeof(value), "Bearer %s", conn->key);
		json_object_object_add(headers, "Authorization", json_object_new_string(value));
		explicit_bzero(value, sizeof(value));
	} else if (provider->auth == ROUTE_AUTH_X_API_KEY && conn->key[0] != '\0') {
		json_object_object_add(headers, "x-api-key", json_object_new_string(conn->key));
	}
	if (provider->headers != NULL) {
		json_object_object_foreach(provider->headers, name, value)
			json_object_object_add(headers, name, json_object_get(value));
	}
	json_object_object_add(job, "url", json_object_new_string(url));
	json_object_object_add(job, "headers", headers);
	json_object_object_add(job, "requireOk", json_object_new_boolean(1));
	json_object_object_add(job, "level", json_object_new_string(resolve_level_name(&res)));
	json_object_object_add(job, "timeoutMs", json_object_new_int64(arg_int(args, "timeoutMs", 15000)));
	reply_job(r, "job.probe", job);
}

const struct command cmd_conn_test = {
	.name = "conn.test",
	.help = "test a connection: GET {baseUrl}/models with its key, through its proxy; {\"id\"}",
	.args = test_args,
	.run = conn_test,
};
