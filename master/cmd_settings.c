/*
 * master/cmd_settings.c — the scoped proxy config of /api/settings/proxy
 * (global, providers, combos, keys) and the legacy migration. FIX over
 * OmniRoute: both write registry assignments (reusing a registry proxy with
 * the same type, host, port and username, or creating one), so the registry
 * is the one source of truth; the legacy key_value store is only read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "db.h"
#include "log.h"
#include "proxy_store.h"
#include "proxy_url.h"
#include "settings_store.h"

static const char *const level_words[] = { "global", "provider", "combo", "key", NULL };

/* level word → scope, and the name of its map in the config object */
static const struct {
	const char	*level;
	enum scope	 scope;
	const char	*map;
} levels[] = {
	{ "global", SCOPE_GLOBAL, "global" },
	{ "provider", SCOPE_PROVIDER, "providers" },
	{ "combo", SCOPE_COMBO, "combos" },
	{ "key", SCOPE_ACCOUNT, "keys" },
};
#define NLEVELS (sizeof(levels) / sizeof(levels[0]))

static enum scope
level_scope(const char *level)
{
	size_t i;

	for (i = 0; i < NLEVELS; i++)
		if (strcmp(levels[i].level, level) == 0)
			return levels[i].scope;
	return SCOPE_GLOBAL;
}

static const struct arg_spec scoped_proxy_fields[] = {
	{ "type", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, (const char *const[]){ "http", "https", "socks5", NULL } },
	{ "host", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 255, NULL },
	{ "port", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, 65535, NULL },
	{ "username", ARG_STRING, ARG_HAS_MAX, 0, 255, NULL },
	{ "password", ARG_STRING, ARG_HAS_MAX, 0, 255, NULL },
	ARGSPEC_END
};

/*
 * Point (scope, scope_id) at the registry proxy described by fields (a
 * normalised scoped_proxy_fields object), creating it when no proxy with the
 * same type/host/port/username exists. -1 on a storage error.
 */
static int
scoped_assign(struct master *m, enum scope scope, const char *scope_id,
    struct json_object *fields, const char *name)
{
	char type[8], id[UUID_STR_LEN];
	const char *password;
	long long port;
	int found;

	/* fill the defaults in place (copy first: replacing a key frees its value) */
	snprintf(type, sizeof(type), "%s", arg_string(fields, "type", "http"));
	port = arg_int(fields, "port", proxy_default_port(type));
	json_object_object_add(fields, "type", json_object_new_string(type));
	json_object_object_add(fields, "port", json_object_new_int64(port));
	password = arg_string(fields, "password", "");
	found = proxy_find_by_identity(m, type, arg_string(fields, "host", ""), port,
	    arg_string(fields, "username", ""), id);
	if (found < 0)
		return -1;
	if (found == 0) {
		char unused[360];

		if (proxy_name_unused(m, name, unused, sizeof(unused)) != 0)
			return -1;
		json_object_object_add(fields, "name", json_object_new_string(unused));
		if (proxy_insert(m, fields, NULL, id) != 0)
			return -1;
	} else if (*password != '\0') {
		struct json_object *change = json_object_new_object();
		json_object_object_add(change, "password", json_object_new_string(password));
		found = proxy_update_fields(m, id, change);
		json_object_put(change);
		if (found != 1)
			return -1;
	}
	return assignment_upsert(m, scope, scope_id, id);
}

/* {"global":…,"providers":{},"combos":{},"keys":{}} from the assignments. */
static struct json_object *
scoped_config(struct master *m)
{
	struct json_object *root = json_object_new_object();
	struct json_object *rows = assignment_proxy_records(m);
	size_t i, k, n = json_object_array_length(rows);

	json_object_object_add(root, "global", NULL);
	for (i = 1; i < NLEVELS; i++)
		json_object_object_add(root, levels[i].map, json_object_new_object());
	for (k = 0; k < n; k++) {
		struct json_object *row = json_object_array_get_idx(rows, k), *map;
		struct json_object *proxy = json_object_object_get(row, "proxy");
		enum scope scope;
		if (!scope_parse(arg_string(row, "scope", ""), &scope))
			continue;
		for (i = 0; i < NLEVELS && levels[i].scope != scope; i++)
			;
		if (scope == SCOPE_GLOBAL) {
			json_object_object_add(root, "global", json_object_get(proxy));
		} else if (i < NLEVELS &&
		    json_object_object_get_ex(root, levels[i].map, &map)) {
			json_object_object_add(map, arg_string(row, "scopeId", ""),
			    json_object_get(proxy));
		}
	}
	json_object_put(rows);
	return root;
}

static const struct arg_spec get_args[] = {
	{ "level", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, level_words },
	{ "id", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	ARGSPEC_END
};

static void
settings_proxy_get(struct master *m, struct json_object *args, struct reply *r)
{
	const char *level = arg_string(args, "level", NULL);
	const char *id = arg_string(args, "id", NULL);
	struct json_object *config, *root, *value = NULL, *map;
	size_t i;

	config = scoped_config(m);
	if (level == NULL) {
		reply_set(r, 200, config);
		return;
	}
	for (i = 0; i < NLEVELS && strcmp(levels[i].level, level) != 0; i++)
		;
	if (levels[i].scope != SCOPE_GLOBAL && id == NULL) {
		json_object_put(config);
		reply_invalid_field(r, "id", "id is required for provider/combo/key level");
		return;
	}
	if (levels[i].scope == SCOPE_GLOBAL)
		json_object_object_get_ex(config, "global", &value);
	else if (id != NULL && json_object_object_get_ex(config, levels[i].map, &map))
		json_object_object_get_ex(map, id, &value);
	root = json_object_new_object();
	json_object_object_add(root, "level", json_object_new_string(level));
	json_object_object_add(root, "id", id != NULL && *id && levels[i].scope !=
	    SCOPE_GLOBAL ? json_object_new_string(id) : NULL);
	json_object_object_add(root, "proxy", json_object_get(value));
	json_object_put(config);
	reply_set(r, 200, root);
}

const struct command cmd_settings_proxy_get = {
	.name = "settings.proxy.get",
	.help = "the scoped proxy config {global,providers,combos,keys}, or one {\"level\",\"id\"}",
	.args = get_args,
	.run = settings_proxy_get,
};

/* Validate a proxy value (object or null) found at `path`; NULL + details on error. */
static int
check_proxy_value(struct master *m, struct json_object *value, const char *path,
    struct json_object *details, struct json_object **out)
{
	char prefix[300];

	struct json_object *norm = NULL, *errs = NULL;

	*out = NULL;
	if (value == NULL)
		return 0;
	if (!json_object_is_type(value, json_type_object)) {
		details_add(details, path, "%s must be a proxy object or null", path);
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "%s.", path);
	if (args_validate(scoped_proxy_fields, value, &norm, &errs) != 0) {
		details_append_prefixed(details, errs, prefix);
		json_object_put(errs);
		return -1;
	}
	/* the registry's rules: this value becomes (or names) a registry proxy */
	if (proxy_check_fields(m, norm, NULL, prefix, details) > 0) {
		json_object_put(norm);
		return -1;
	}
	*out = norm;
	return 0;
}

struct scoped_change {
	enum scope		 scope;
	char			*scope_id;
	struct json_object	*fields;	/* NULL removes */
	char			 name[320];
};

static const struct arg_spec put_args[] = {
	{ "proxy", ARG_ANY, ARG_NULLABLE, 0, 0, NULL },
	{ "global", ARG_ANY, ARG_NULLABLE, 0, 0, NULL },
	{ "providers", ARG_OBJECT, 0, 0, 0, NULL },
	{ "combos", ARG_OBJECT, 0, 0, 0, NULL },
	{ "keys", ARG_OBJECT, 0, 0, 0, NULL },
	{ "level", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, level_words },
	{ "id", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	ARGSPEC_END
};

static void
change_add(struct scoped_change **list, size_t *n, enum scope scope,
    const char *scope_id, struct json_object *fields)
{
	struct scoped_change *c;

	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	c = &(*list)[(*n)++];
	c->scope = scope;
	c->scope_id = scope_id != NULL ? xstrdup(scope_id) : NULL;
	c->fields = fields;
	if (scope == SCOPE_GLOBAL)
		snprintf(c->name, sizeof(c->name), "Scoped Global Proxy");
	else
		snprintf(c->name, sizeof(c->name), "Scoped %s Proxy (%s)",
		    scope == SCOPE_PROVIDER ? "Provider" : scope == SCOPE_COMBO ?
		    "Combo" : "Account", scope_id);
}

static void
settings_proxy_put(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *details = json_object_new_array(), *fields, *v;
	struct scoped_change *changes = NULL;
	const char *level = arg_string(args, "level", NULL);
	const char *id = arg_string(args, "id", NULL);
	size_t n = 0, i, k;
	int bad = 0;

	if (!arg_present(args, "proxy") && !arg_present(args, "global") &&
	    !arg_present(args, "providers") && !arg_present(args, "combos") &&
	    !arg_present(args, "keys") && level == NULL) {
		details_add(details, "", "No valid fields to update");
		bad = 1;
	} else if (level != NULL) {
		if (!arg_present(args, "proxy")) {
			details_add(details, "proxy", "proxy is required when level is provided");
			bad = 1;
		} else if (level_scope(level) != SCOPE_GLOBAL && (id == NULL || *id == '\0')) {
			details_add(details, "id",
			    "id is required for provider/combo/key level updates");
			bad = 1;
		} else {
			json_object_object_get_ex(args, "proxy", &v);
			if (check_proxy_value(m, v, "proxy", details, &fields) != 0)
				bad = 1;
			else
				change_add(&changes, &n, level_scope(level), id, fields);
		}
	} else {
		if (arg_present(args, "global")) {
			json_object_object_get_ex(args, "global", &v);
			if (check_proxy_value(m, v, "global", details, &fields) != 0)
				bad = 1;
			else
				change_add(&changes, &n, SCOPE_GLOBAL, NULL, fields);
		}
		for (k = 1; k < NLEVELS; k++) {
			struct json_object *map;
			if (!json_object_object_get_ex(args, levels[k].map, &map))
				continue;
			json_object_object_foreach(map, key, val) {
				char path[320];
				snprintf(path, sizeof(path), "%s.%s", levels[k].map, key);
				if (*key == '\0' || strspn(key, " \t") == strlen(key) ||
				    strlen(key) > 255 || !utf8_valid(key, strlen(key)) ||
				    has_control_chars(key, strlen(key), false)) {
					details_add(details, path, "%s keys must be non-empty ids "
					    "(at most 255 bytes, no control characters)",
					    levels[k].map);
					bad = 1;
				} else if (check_proxy_value(m, val, path, details, &fields) != 0) {
					bad = 1;
				} else {
					change_add(&changes, &n, levels[k].scope, key, fields);
				}
			}
		}
	}
	for (i = 0; !bad && i < n; i++) {
		int rc = changes[i].fields == NULL ?
		    assignment_remove(m, changes[i].scope, changes[i].scope_id) :
		    scoped_assign(m, changes[i].scope, changes[i].scope_id,
		    changes[i].fields, changes[i].name);
		if (rc != 0) {
			bad = 2;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		free(changes[i].scope_id);
		json_object_put(changes[i].fields);
	}
	free(changes);
	if (bad == 1) {
		reply_invalid(r, details);
		return;
	}
	json_object_put(details);
	if (bad == 2) {
		reply_error(r, 500, "could not store the scoped proxy config");
		return;
	}
	reply_set(r, 200, scoped_config(m));
}

const struct command cmd_settings_proxy_put = {
	.name = "settings.proxy.put",
	.help = "set scoped proxies: {\"level\",\"id\",\"proxy\":{type,host,port,username,password}|null} or {\"global\",\"providers\":{},\"combos\":{},\"keys\":{}}",
	.args = put_args,
	.mutates = true,
	.run = settings_proxy_put,
};

static const struct arg_spec delete_args[] = {
	{ "level", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0, level_words },
	{ "id", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	ARGSPEC_END
};

static void
settings_proxy_delete(struct master *m, struct json_object *args, struct reply *r)
{
	enum scope scope = level_scope(arg_string(args, "level", "global"));
	const char *id = arg_string(args, "id", NULL);

	if (scope != SCOPE_GLOBAL && (id == NULL || *id == '\0')) {
		reply_invalid_field(r, "id", "id is required for provider/combo/key level");
		return;
	}
	if (assignment_remove(m, scope, id) != 0) {
		reply_error(r, 500, "could not remove the scoped proxy");
		return;
	}
	reply_set(r, 200, scoped_config(m));
}

const struct command cmd_settings_proxy_delete = {
	.name = "settings.proxy.delete",
	.help = "remove one scoped proxy; {\"level\",\"id\"}",
	.args = delete_args,
	.mutates = true,
	.run = settings_proxy_delete,
};

/* A legacy value (URL string or object) → normalised scoped fields, or NULL. */
static struct json_object *
legacy_value_fields(struct master *m, struct json_object *value)
{
	struct json_object *from_url = NULL, *fields = NULL, *errs = NULL;

	if (json_object_is_type(value, json_type_string)) {
		struct proxy_url u;
		const char *err;
		if (proxy_url_parse(json_object_get_string(value), &u, &err) != 0)
			return NULL;
		from_url = json_object_new_object();
		json_object_object_add(from_url, "type", json_object_new_string(u.type));
		json_object_object_add(from_url, "host", json_object_new_string(u.host));
		json_object_object_add(from_url, "port", json_object_new_int(u.port));
		json_object_object_add(from_url, "username", json_object_new_string(u.username));
		json_object_object_add(from_url, "password", json_object_new_string(u.password));
		explicit_bzero(u.password, sizeof(u.password));
		value = from_url;
	} else if (!json_object_is_type(value, json_type_object)) {
		return NULL;
	}
	if (args_validate(scoped_proxy_fields, value, &fields, &errs) != 0)
		json_object_put(errs);
	json_object_put(from_url);
	if (fields != NULL) {
		/* a value that could never be dialled is skipped, not migrated */
		errs = json_object_new_array();
		if (proxy_check_dialable(m, fields, NULL, "", errs) > 0) {
			json_object_put(fields);
			fields = NULL;
		}
		json_object_put(errs);
	}
	return fields;
}

int
legacy_migrate(struct master *m, bool force, struct reply *r)
{
	struct json_object *root, *legacy;
	int migrated = 0, skipped_values = 0;
	char *done = db_meta_get(m->db, "legacy_migrated");

	if (done != NULL && !force) {
		free(done);
		root = json_object_new_object();
		json_object_object_add(root, "migrated", json_object_new_int(0));
		json_object_object_add(root, "skipped", json_object_new_boolean(1));
		json_object_object_add(root, "reason", json_object_new_string("already_migrated"));
		reply_set(r, 200, root);
		return 0;
	}
	free(done);
	if ((legacy = settings_namespace_records(m, "proxyConfig")) == NULL) {
		reply_error(r, 500, "could not read the legacy proxy config");
		return -1;
	}
	json_object_object_foreach(legacy, key, text) {
		struct json_object *value = json_tokener_parse(text != NULL ?
		    json_object_get_string(text) : "");
		size_t k;

		for (k = 0; k < NLEVELS && strcmp(levels[k].map, key) != 0; k++)
			;
		if (k == NLEVELS || value == NULL) {
			json_object_put(value);
			continue;
		}
		if (levels[k].scope == SCOPE_GLOBAL) {
			struct json_object *f = legacy_value_fields(m, value);
			if (f != NULL && scoped_assign(m, SCOPE_GLOBAL, NULL, f,
			    "Legacy Global Proxy") == 0)
				migrated++;
			else if (f == NULL)
				skipped_values++;
			json_object_put(f);
		} else if (json_object_is_type(value, json_type_object)) {
			json_object_object_foreach(value, id, v) {
				struct json_object *f = legacy_value_fields(m, v);
				char name[320];
				snprintf(name, sizeof(name), "Legacy %s Proxy (%s)",
				    levels[k].scope == SCOPE_PROVIDER ? "Provider" :
				    levels[k].scope == SCOPE_COMBO ? "Combo" : "Account", id);
				if (f != NULL && *id != '\0' &&
				    scoped_assign(m, levels[k].scope, id, f, name) == 0)
					migrated++;
				else
					skipped_values++;
				json_object_put(f);
			}
		}
		json_object_put(value);
	}
	json_object_put(legacy);
	if (db_meta_set(m->db, "legacy_migrated", "1") != 0) {
		reply_error(r, 500, "could not record the legacy migration");
		return -1;
	}
	if (migrated > 0 || skipped_values > 0)
		log_info("legacy proxy config: %d migrated into the registry, %d skipped",
		    migrated, skipped_values);
	root = json_object_new_object();
	json_object_object_add(root, "migrated", json_object_new_int(migrated));
	json_object_object_add(root, "skipped", json_object_new_boolean(0));
	json_object_object_add(root, "invalid", json_object_new_int(skipped_values));
	reply_set(r, 200, root);
	return 0;
}

static const struct arg_spec migrate_args[] = {
	{ "force", ARG_BOOL, 0, 0, 0, NULL },
	ARGSPEC_END
};

static void
legacy_migrate_cmd(struct master *m, struct json_object *args, struct reply *r)
{
	legacy_migrate(m, arg_bool(args, "force", false), r);
}

const struct command cmd_legacy_migrate = {
	.name = "legacy.migrate",
	.help = "copy the legacy key_value proxy config into the registry; {\"force\":bool} re-runs it",
	.args = migrate_args,
	.mutates = true,
	.run = legacy_migrate_cmd,
};
