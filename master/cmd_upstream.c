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
#include "upstream_store.h"

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

static void
upstream_get(struct master *m, struct json_object *args, struct reply *r)
{
	const char *provider = arg_string(args, "providerId", "");
	struct json_object *o = upstream_mode_record(m, provider);

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

	/* FIX: the stored model mapping and priorities are kept, not reset */
	if (upstream_mode_set(m, provider, arg_string(args, "mode", "native"),
	    arg_bool(args, "enabled", true)) != 0) {
		reply_error(r, 500, "could not store the upstream mode");
		return;
	}
	reply_set(r, 200, upstream_mode_record(m, provider));
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
	enum store_rc rc = upstream_mode_remove(m, arg_string(args, "providerId", ""));
	struct json_object *o;

	if (rc == STORE_FAILED) {
		reply_error(r, 500, "could not delete the upstream mode");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "deleted", json_object_new_boolean(rc == STORE_OK));
	reply_set(r, 200, o);
}

const struct command cmd_upstream_delete = {
	.name = "upstream.delete",
	.help = "back to native for a provider; {\"providerId\"}",
	.args = provider_args,
	.mutates = true,
	.run = upstream_delete,
};
