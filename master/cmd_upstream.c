/*
 * master/cmd_upstream.c — upstream proxy modes per provider: native (the
 * provider itself), cliproxyapi (every call goes to a CLIProxyAPI instance,
 * CLIPROXYAPI_URL), or fallback (native first; CLIProxyAPI on a failed
 * attempt, 429 or 5xx before any byte reached the client). Stored in
 * upstream_proxy_config; the relay reads them from the routing tables.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "db.h"
#include "util.h"

static const char *const modes[] = { "native", "cliproxyapi", "fallback", NULL };

static const struct arg_spec provider_args[] = {
	{ "providerId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER | ARG_SLUG | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	ARGSPEC_END
};

/* strict: unknown keys, other modes and non-booleans are 400 */
static const struct arg_spec set_args[] = {
	{ "providerId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER | ARG_SLUG | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	{ "mode", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, modes },
	{ "enabled", ARG_BOOL, ARG_STRICT, 0, 0, NULL },
	ARGSPEC_END
};

struct json_object *
upstream_record(struct master *m, const char *provider)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, provider_id, mode, "
	    "cliproxyapi_model_mapping, native_priority, cliproxyapi_priority, enabled, "
	    "created_at, updated_at FROM upstream_proxy_config WHERE provider_id = ?");
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, provider);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(st, 0)));
		json_object_object_add(o, "providerId", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "mode", json_object_new_string(db_col_text(st, 2)));
		json_object_object_add(o, "cliproxyapiModelMapping", db_col_is_null(st, 3) ?
		    NULL : json_tokener_parse(db_col_text(st, 3)));
		json_object_object_add(o, "nativePriority",
		    json_object_new_int(sqlite3_column_int(st, 4)));
		json_object_object_add(o, "cliproxyapiPriority",
		    json_object_new_int(sqlite3_column_int(st, 5)));
		json_object_object_add(o, "enabled",
		    json_object_new_boolean(sqlite3_column_int(st, 6) != 0));
		json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 7)));
		json_object_object_add(o, "updatedAt", json_object_new_string(db_col_text(st, 8)));
	}
	sqlite3_finalize(st);
	return o;
}

static void
upstream_get(struct master *m, struct json_object *args, struct reply *r)
{
	const char *provider = arg_string(args, "providerId", "");
	struct json_object *o = upstream_record(m, provider);

	if (o == NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "providerId", json_object_new_string(provider));
		json_object_object_add(o, "mode", json_object_new_string("native"));
		json_object_object_add(o, "enabled", json_object_new_boolean(0));
	}
	reply_set(r, 200, o);
}

const struct command cmd_upstream_get = {
	.name = "upstream.get",
	.help = "a provider's upstream mode; {\"providerId\"} (native and disabled when unset)",
	.args = provider_args,
	.run = upstream_get,
};

static void
upstream_set(struct master *m, struct json_object *args, struct reply *r)
{
	const char *provider = arg_string(args, "providerId", "");
	char stamp[ISO_TIME_LEN];
	sqlite3_stmt *st;

	iso_time_now(stamp, sizeof(stamp));
	/* FIX: the stored model mapping and priorities are kept, not reset */
	st = db_prepare(m->db, "INSERT INTO upstream_proxy_config (provider_id, mode, "
	    "enabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) "
	    "ON CONFLICT(provider_id) DO UPDATE SET mode = excluded.mode, "
	    "enabled = excluded.enabled, updated_at = excluded.updated_at");
	if (st == NULL) {
		reply_error(r, 500, "could not store the upstream mode");
		return;
	}
	db_bind_text(st, 1, provider);
	db_bind_text(st, 2, arg_string(args, "mode", "native"));
	sqlite3_bind_int(st, 3, arg_bool(args, "enabled", true));
	db_bind_text(st, 4, stamp);
	if (db_exec_stmt(st) != 0) {
		reply_error(r, 500, "could not store the upstream mode");
		return;
	}
	reply_set(r, 200, upstream_record(m, provider));
}

const struct command cmd_upstream_set = {
	.name = "upstream.set",
	.help = "set a provider's upstream mode; {\"providerId\",\"mode\":native|cliproxyapi|fallback,\"enabled\"}",
	.args = set_args,
	.mutates = true,
	.run = upstream_set,
};

static void
upstream_delete(struct master *m, struct json_object *args, struct reply *r)
{
	const char *provider = arg_string(args, "providerId", "");
	bool existed = db_count(m->db, "SELECT COUNT(*) FROM upstream_proxy_config "
	    "WHERE provider_id = ?", provider) > 0;
	struct json_object *o;
	sqlite3_stmt *st;

	st = db_prepare(m->db, "DELETE FROM upstream_proxy_config WHERE provider_id = ?");
	if (st == NULL) {
		reply_error(r, 500, "could not delete the upstream mode");
		return;
	}
	db_bind_text(st, 1, provider);
	if (db_exec_stmt(st) != 0) {
		reply_error(r, 500, "could not delete the upstream mode");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "deleted", json_object_new_boolean(existed));
	reply_set(r, 200, o);
}

const struct command cmd_upstream_delete = {
	.name = "upstream.delete",
	.help = "back to native for a provider; {\"providerId\"}",
	.args = provider_args,
	.mutates = true,
	.run = upstream_delete,
};
