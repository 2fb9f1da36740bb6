/*
 * master/cmd_backup.c — backup and restore of the registry as one JSON
 * document: proxies, assignments, pools (strategy, sticky window, members in
 * order, live 1proxy sets), providers (custom ones and overrides),
 * connections, combos, upstream modes and the key_value settings. Older
 * documents without "pools" restore each assignment as a pool of one.
 * Secrets are left out (shown as "***") unless asked for; a restore is one
 * transaction — proxies upsert by (host, port), assignments by (scope,
 * scopeId), a redacted secret keeps the stored one — and any bad item
 * rejects the whole document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "db.h"
#include "pool_store.h"
#include "proxy_store.h"
#include "route_store.h"
#include "settings_store.h"
#include "upstream_store.h"

#define BACKUP_FORMAT	"omniroute-backup"
#define BACKUP_VERSION	1
#define REDACTED	"***"

static const struct arg_spec export_args[] = {
	{ "secrets", ARG_BOOL, 0, 0, 0, NULL },
	ARGSPEC_END
};

static void
backup_export(struct master *m, struct json_object *args, struct reply *r)
{
	bool secrets = arg_bool(args, "secrets", false);
	struct json_object *root = json_object_new_object();
	long long total;
	char stamp[ISO_TIME_LEN];

	iso_time_now(stamp, sizeof(stamp));
	json_object_object_add(root, "format", json_object_new_string(BACKUP_FORMAT));
	json_object_object_add(root, "version", json_object_new_int(BACKUP_VERSION));
	json_object_object_add(root, "exportedAt", json_object_new_string(stamp));
	json_object_object_add(root, "schemaVersion",
	    json_object_new_int(db_schema_version(m->db)));
	json_object_object_add(root, "secrets", json_object_new_boolean(secrets));
	json_object_object_add(root, "proxies",
	    proxy_list_records(m, NULL, -1, 0, secrets, &total));
	json_object_object_add(root, "assignments",
	    assignment_list_records(m, NULL, NULL, NULL, -1, 0, &total));
	json_object_object_add(root, "pools", pool_export_records(m));
	json_object_object_add(root, "providers", provider_row_records(m));
	json_object_object_add(root, "connections",
	    connection_list_records(m, NULL, secrets));
	json_object_object_add(root, "combos", combo_list_records(m));
	json_object_object_add(root, "upstreamModes", upstream_mode_export_records(m));
	json_object_object_add(root, "settings", settings_export_records(m));
	reply_set(r, 200, root);
}

const struct command cmd_backup_export = {
	.name = "backup.export",
	.help = "the registry as one JSON document; {\"secrets\":bool} includes credentials",
	.args = export_args,
	.run = backup_export,
};

static const struct arg_spec import_args[] = {
	{ "format", ARG_STRING, ARG_REQUIRED, 0, 0, (const char *const[]){ BACKUP_FORMAT, NULL } },
	{ "version", ARG_INT, ARG_REQUIRED | ARG_HAS_MIN | ARG_HAS_MAX, 1, BACKUP_VERSION, NULL },
	{ "exportedAt", ARG_STRING, ARG_HAS_MAX, 0, 64, NULL },
	{ "schemaVersion", ARG_INT, 0, 0, 0, NULL },
	{ "secrets", ARG_BOOL, 0, 0, 0, NULL },
	{ "proxies", ARG_ARRAY, ARG_HAS_MAX, 0, 100000, NULL },
	{ "assignments", ARG_ARRAY, ARG_HAS_MAX, 0, 100000, NULL },
	{ "pools", ARG_ARRAY, ARG_HAS_MAX, 0, 100000, NULL },
	{ "providers", ARG_ARRAY, ARG_HAS_MAX, 0, 10000, NULL },
	{ "connections", ARG_ARRAY, ARG_HAS_MAX, 0, 100000, NULL },
	{ "combos", ARG_ARRAY, ARG_HAS_MAX, 0, 10000, NULL },
	{ "upstreamModes", ARG_ARRAY, ARG_HAS_MAX, 0, 10000, NULL },
	{ "settings", ARG_OBJECT, 0, 0, 0, NULL },
	ARGSPEC_END
};

/* Record keys that describe a row rather than configure it: accepted, not imported. */
static const char *const record_only_keys[] = {
	"id", "source", "qualityScore", "latencyMs", "anonymity", "googleAccess",
	"lastValidated", "countryCode", "createdAt", "updatedAt", "egressIp",
	"egressCheckedAt", NULL,
};

/* A copy of item without the keys that only describe a record. */
static struct json_object *
without_keys(struct json_object *item, const char *const *drop)
{
	struct json_object *copy = json_object_new_object();
	size_t k;

	json_object_object_foreach(item, key, val)
		json_object_object_add(copy, key, json_object_get(val));
	for (k = 0; drop[k] != NULL; k++)
		json_object_object_del(copy, drop[k]);
	return copy;
}

/*
 * Restore providers, connections and combos through their own commands, so a
 * restore validates exactly as an add or update does.
 */
static int
import_via_commands(struct master *m, struct json_object *args,
    struct json_object *details)
{
	static const char *const provider_only[] = {
		"builtin", "overridden", "createdAt", "updatedAt", NULL };
	static const char *const connection_only[] = { "createdAt", "updatedAt", NULL };
	static const char *const combo_only[] = { "id", "createdAt", "updatedAt", NULL };
	struct json_object *list;
	char prefix[48];
	size_t i;
	int rc, worst = 0;

	if (json_object_object_get_ex(args, "providers", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			struct json_object *item = json_object_array_get_idx(list, i);
			struct json_object *a;
			const char *id;
			snprintf(prefix, sizeof(prefix), "providers[%zu].", i);
			if (!json_object_is_type(item, json_type_object)) {
				details_add(details, prefix, "each provider must be an object");
				worst = worst < 0 ? worst : -1;
				continue;
			}
			a = without_keys(item, provider_only);
			id = arg_string(a, "id", "");
			rc = command_run_nested(m, provider_exists(m, id) ?
			    &cmd_provider_update : &cmd_provider_add, a, prefix, details);
			json_object_put(a);
			worst = rc < worst ? rc : worst;
		}
	if (json_object_object_get_ex(args, "connections", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			struct json_object *item = json_object_array_get_idx(list, i);
			struct json_object *a, *key;
			bool exists;
			snprintf(prefix, sizeof(prefix), "connections[%zu].", i);
			if (!json_object_is_type(item, json_type_object)) {
				details_add(details, prefix, "each connection must be an object");
				worst = worst < 0 ? worst : -1;
				continue;
			}
			a = without_keys(item, connection_only);
			/* the record calls the key apiKey; "***" keeps the stored one */
			if (json_object_object_get_ex(a, "apiKey", &key)) {
				if (json_object_is_type(key, json_type_string) &&
				    strcmp(json_object_get_string(key), REDACTED) != 0)
					json_object_object_add(a, "key", json_object_get(key));
				json_object_object_del(a, "apiKey");
			}
			exists = connection_exists(m, arg_string(a, "id", ""));
			if (exists)
				json_object_object_del(a, "provider");
			rc = command_run_nested(m, exists ? &cmd_conn_update : &cmd_conn_add,
			    a, prefix, details);
			json_object_put(a);
			worst = rc < worst ? rc : worst;
		}
	if (json_object_object_get_ex(args, "combos", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			struct json_object *item = json_object_array_get_idx(list, i);
			struct json_object *a;
			snprintf(prefix, sizeof(prefix), "combos[%zu].", i);
			if (!json_object_is_type(item, json_type_object)) {
				details_add(details, prefix, "each combo must be an object");
				worst = worst < 0 ? worst : -1;
				continue;
			}
			a = without_keys(item, combo_only);
			rc = command_run_nested(m, combo_exists(m,
			    arg_string(a, "name", "")) ? &cmd_combo_update : &cmd_combo_add,
			    a, prefix, details);
			json_object_put(a);
			worst = rc < worst ? rc : worst;
		}
	return worst;
}

struct id_map {
	char	**from;
	char	**to;
	size_t	 n;
};

static void
id_map_add(struct id_map *map, const char *from, const char *to)
{
	map->from = xrealloc(map->from, (map->n + 1) * sizeof(char *));
	map->to = xrealloc(map->to, (map->n + 1) * sizeof(char *));
	map->from[map->n] = xstrdup(from);
	map->to[map->n] = xstrdup(to);
	map->n++;
}

static const char *
id_map_get(const struct id_map *map, const char *from)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (strcmp(map->from[i], from) == 0)
			return map->to[i];
	return NULL;
}

static void
id_map_free(struct id_map *map)
{
	size_t i;

	for (i = 0; i < map->n; i++) {
		free(map->from[i]);
		free(map->to[i]);
	}
	free(map->from);
	free(map->to);
}

/*
 * Import one proxy item; 0 ok, -1 bad input (details), -2 storage error,
 * -3 its name is another proxy's (details).
 */
static int
import_proxy(struct master *m, struct json_object *item, size_t index,
    struct json_object *details, struct id_map *ids, int *created, int *updated)
{
	struct json_object *copy, *fields = NULL, *errs = NULL, *v;
	const char *doc_id = NULL;
	char prefix[48], id[UUID_STR_LEN];
	size_t k;
	int found, rc = 0;

	snprintf(prefix, sizeof(prefix), "proxies[%zu].", index);
	if (!json_object_is_type(item, json_type_object)) {
		details_add(details, prefix, "each proxy must be an object");
		return -1;
	}
	copy = json_object_new_object();
	json_object_object_foreach(item, key, val)
		json_object_object_add(copy, key, json_object_get(val));
	if (json_object_object_get_ex(copy, "id", &v) &&
	    json_object_is_type(v, json_type_string))
		doc_id = json_object_get_string(v);
	for (k = 0; record_only_keys[k] != NULL; k++)
		if (strcmp(record_only_keys[k], "id") != 0)
			json_object_object_del(copy, record_only_keys[k]);
	json_object_object_get_ex(item, "id", &v);
	json_object_object_del(copy, "id");
	/* a redacted secret keeps the stored one */
	if (strcmp(arg_string(copy, "username", ""), REDACTED) == 0)
		json_object_object_del(copy, "username");
	if (strcmp(arg_string(copy, "password", ""), REDACTED) == 0)
		json_object_object_del(copy, "password");
	if (args_validate(proxy_create_fields, copy, &fields, &errs) != 0) {
		details_append_prefixed(details, errs, prefix);
		json_object_put(errs);
		json_object_put(copy);
		return -1;
	}
	json_object_put(copy);
	proxy_host_normalise(fields);
	found = proxy_find_by_host_port(m, arg_string(fields, "host", ""),
	    arg_int(fields, "port", 0), id);
	/* the record as it will be: a kept (redacted) credential counts */
	if (found >= 0 && proxy_check_fields(m, fields, found == 1 ? id : NULL,
	    prefix, details) > 0) {
		json_object_put(fields);
		return -1;
	}
	if (found >= 0) {
		char other[UUID_STR_LEN], message[512], field[64];
		int taken = proxy_name_taken(m, arg_string(fields, "name", ""),
		    found == 1 ? id : NULL, other);

		if (taken != 0) {
			if (taken > 0) {
				proxy_name_taken_message(m, message, sizeof(message),
				    arg_string(fields, "name", ""), other);
				snprintf(field, sizeof(field), "%sname", prefix);
				details_add(details, field, "%s", message);
			}
			json_object_put(fields);
			return taken > 0 ? -3 : -2;
		}
	}
	if (found == 1) {
		rc = proxy_update_fields(m, id, fields) == 1 ? 0 : -2;
		(*updated)++;
	} else if (found == 0) {
		bool keep_id = doc_id != NULL && strlen(doc_id) < UUID_STR_LEN &&
		    strspn(doc_id, "0123456789abcdef-") == strlen(doc_id) &&
		    *doc_id != '\0' && !proxy_exists(m, doc_id);
		rc = proxy_insert(m, fields, keep_id ? doc_id : NULL, id) == 0 ? 0 : -2;
		(*created)++;
	} else {
		rc = -2;
	}
	if (rc == 0 && doc_id != NULL)
		id_map_add(ids, doc_id, id);
	json_object_put(fields);
	return rc;
}

static const struct arg_spec assignment_item[] = {
	{ "id", ARG_ANY, 0, 0, 0, NULL },
	{ "proxyId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 128, NULL },
	{ "scope", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0,
	    (const char *const[]){ "global", "provider", "account", "combo", "key", NULL } },
	{ "scopeId", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	{ "createdAt", ARG_ANY, 0, 0, 0, NULL },
	{ "updatedAt", ARG_ANY, 0, 0, 0, NULL },
	{ "poolSize", ARG_ANY, 0, 0, 0, NULL },
	ARGSPEC_END
};

static int
import_assignment(struct master *m, struct json_object *item, size_t index,
    struct json_object *details, const struct id_map *ids)
{
	struct json_object *fields = NULL, *errs = NULL;
	const char *proxy_id, *scope_id;
	char prefix[48], field[64];
	enum scope scope;
	int rc = 0;

	snprintf(prefix, sizeof(prefix), "assignments[%zu].", index);
	if (args_validate(assignment_item, item, &fields, &errs) != 0) {
		details_append_prefixed(details, errs, prefix);
		json_object_put(errs);
		return -1;
	}
	scope_parse(arg_string(fields, "scope", ""), &scope);
	scope_id = arg_string(fields, "scopeId", NULL);
	proxy_id = arg_string(fields, "proxyId", "");
	if (id_map_get(ids, proxy_id) != NULL)
		proxy_id = id_map_get(ids, proxy_id);
	snprintf(field, sizeof(field), "%sscopeId", prefix);
	if (scope != SCOPE_GLOBAL && (scope_id == NULL || *scope_id == '\0')) {
		details_add(details, field, "scopeId is required for this scope");
		rc = -1;
	} else if (strcmp(proxy_id, ASSIGN_LIVE_ONEPROXY) == 0) {
		rc = 0;		/* a live set's head: its pool item restores it */
	} else if (strcmp(proxy_id, ASSIGN_DIRECT) != 0 && !proxy_exists(m, proxy_id)) {
		snprintf(field, sizeof(field), "%sproxyId", prefix);
		details_add(details, field, "Proxy not found: %s", proxy_id);
		rc = -1;
	} else if (assignment_upsert(m, scope, scope_id, proxy_id) != 0) {
		rc = -2;
	}
	json_object_put(fields);
	return rc;
}

static const struct arg_spec pool_item[] = {
	{ "scope", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0,
	    (const char *const[]){ "global", "provider", "account", "combo", "key", NULL } },
	{ "scopeId", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 255, NULL },
	{ "strategy", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0,
	    (const char *const[]){ "round-robin", "random", "sticky", "latency", "quality", NULL } },
	{ "stickyWindowMinutes", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, 1440, NULL },
	{ "members", ARG_STRING_ARRAY, ARG_HAS_MAX, 0, 10000, NULL },
	{ "source", ARG_STRING, ARG_NULLABLE | ARG_TRIM | ARG_LOWER, 0, 0,
	    (const char *const[]){ "oneproxy", NULL } },
	{ "filter", ARG_OBJECT, ARG_NULLABLE, 0, 0, NULL },
	ARGSPEC_END
};

/*
 * A pool replaces whatever the assignments section left for its scope:
 * its members in order (ids mapped like the assignments'), its live set,
 * its strategy and window.
 */
static int
import_pool(struct master *m, struct json_object *item, size_t index,
    struct json_object *details, const struct id_map *ids)
{
	struct json_object *fields = NULL, *errs = NULL, *members = NULL, *filter = NULL;
	struct json_object *filter_fields = NULL;
	enum pool_strategy strategy = POOL_ROUND_ROBIN;
	struct pool_live_filter f = { NULL, NULL, -1 };
	const char *scope_id, *source;
	char prefix[48], field[96];
	enum scope scope;
	bool created;
	size_t i, n = 0;
	int rc = 0;

	snprintf(prefix, sizeof(prefix), "pools[%zu].", index);
	if (args_validate(pool_item, item, &fields, &errs) != 0) {
		details_append_prefixed(details, errs, prefix);
		json_object_put(errs);
		return -1;
	}
	scope_parse(arg_string(fields, "scope", ""), &scope);
	scope_id = arg_string(fields, "scopeId", NULL);
	source = arg_string(fields, "source", NULL);
	if (json_object_object_get_ex(fields, "members", &members))
		n = json_object_array_length(members);
	json_object_object_get_ex(fields, "filter", &filter);
	snprintf(field, sizeof(field), "%sscopeId", prefix);
	if (scope != SCOPE_GLOBAL && (scope_id == NULL || *scope_id == '\0')) {
		details_add(details, field, "scopeId is required for this scope");
		rc = -1;
	} else if (n == 0 && source == NULL) {
		snprintf(field, sizeof(field), "%smembers", prefix);
		details_add(details, field, "a pool needs members or a live set");
		rc = -1;
	} else if (source != NULL && args_validate(pool_filter_args, filter,
	    &filter_fields, &errs) != 0) {
		snprintf(field, sizeof(field), "%sfilter.", prefix);
		details_append_prefixed(details, errs, field);
		json_object_put(errs);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(members, i));
		if (id_map_get(ids, id) != NULL)
			id = id_map_get(ids, id);
		if (!proxy_exists(m, id)) {
			snprintf(field, sizeof(field), "%smembers[%zu]", prefix, i);
			details_add(details, field, "Proxy not found: %s", id);
			rc = -1;
		}
	}
	scope_id = assignment_stored_scope_id(scope, scope_id);
	if (rc == 0 && assignment_remove(m, scope, scope_id) != 0)
		rc = -2;
	for (i = 0; rc == 0 && i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(members, i));
		if (id_map_get(ids, id) != NULL)
			id = id_map_get(ids, id);
		/* a member listed twice is kept once */
		if (pool_member_add(m, scope, scope_id, id, &created) == STORE_FAILED)
			rc = -2;
	}
	if (rc == 0 && source != NULL) {
		f.protocol = arg_string(filter_fields, "protocol", NULL);
		f.country_code = arg_string(filter_fields, "countryCode", NULL);
		f.min_quality = arg_int(filter_fields, "minQuality", -1);
		if (pool_live_set(m, scope, scope_id, &f, &created) != STORE_OK)
			rc = -2;
	}
	pool_strategy_parse(arg_string(fields, "strategy", "round-robin"), &strategy);
	if (rc == 0 && pool_strategy_set(m, scope, scope_id, &strategy,
	    (int)arg_int(fields, "stickyWindowMinutes", POOL_STICKY_WINDOW_DEFAULT)) != STORE_OK)
		rc = -2;
	json_object_put(filter_fields);
	json_object_put(fields);
	return rc;
}

static const struct arg_spec upstream_item[] = {
	{ "providerId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER | ARG_SLUG | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	{ "mode", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER, 0, 0,
	    (const char *const[]){ "native", "cliproxyapi", "fallback", NULL } },
	{ "enabled", ARG_BOOL, 0, 0, 0, NULL },
	{ "cliproxyapiModelMapping", ARG_STRING, ARG_NULLABLE | ARG_HAS_MAX | ARG_TEXT, 0, 65536, NULL },
	{ "nativePriority", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 0, 1000, NULL },
	{ "cliproxyapiPriority", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 0, 1000, NULL },
	ARGSPEC_END
};

static int
import_upstream(struct master *m, struct json_object *item, size_t index,
    struct json_object *details)
{
	struct json_object *fields = NULL, *errs = NULL;
	struct upstream_mode row;
	char prefix[48];
	int rc;

	snprintf(prefix, sizeof(prefix), "upstreamModes[%zu].", index);
	if (args_validate(upstream_item, item, &fields, &errs) != 0) {
		details_append_prefixed(details, errs, prefix);
		json_object_put(errs);
		return -1;
	}
	row.provider_id = arg_string(fields, "providerId", "");
	row.mode = arg_string(fields, "mode", "native");
	row.enabled = arg_bool(fields, "enabled", true);
	row.model_mapping = arg_string(fields, "cliproxyapiModelMapping", NULL);
	row.native_priority = arg_int(fields, "nativePriority", 1);
	row.cliproxyapi_priority = arg_int(fields, "cliproxyapiPriority", 2);
	rc = upstream_mode_restore(m, &row) == 0 ? 0 : -2;
	json_object_put(fields);
	return rc;
}

static int
import_settings(struct master *m, struct json_object *settings,
    struct json_object *details, int *count)
{
	json_object_object_foreach(settings, ns, keys) {
		char field[320];
		snprintf(field, sizeof(field), "settings.%s", ns);
		if (!json_object_is_type(keys, json_type_object) || *ns == '\0') {
			details_add(details, field, "must be an object of key → string");
			return -1;
		}
		json_object_object_foreach(keys, key, value) {
			if (value != NULL && !json_object_is_type(value, json_type_string)) {
				snprintf(field, sizeof(field), "settings.%s.%s", ns, key);
				details_add(details, field, "must be a string or null");
				return -1;
			}
			if (setting_set(m, ns, key, value != NULL ?
			    json_object_get_string(value) : NULL) != 0)
				return -2;
			(*count)++;
		}
	}
	return 0;
}

static void
backup_import(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *details = json_object_new_array(), *list, *root, *counts;
	struct id_map ids = { NULL, NULL, 0 };
	int created = 0, updated = 0, assigned = 0, pools = 0, modes = 0, settings = 0;
	int worst = 0, conflicts = 0, rc;
	size_t i;

	worst = import_via_commands(m, args, details);
	if (worst == 0 && json_object_object_get_ex(args, "proxies", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			rc = import_proxy(m, json_object_array_get_idx(list, i), i, details,
			    &ids, &created, &updated);
			conflicts += rc == -3;
			rc = rc == -3 ? -1 : rc;
			worst = rc < worst ? rc : worst;
		}
	if (worst == 0 && json_object_object_get_ex(args, "assignments", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			rc = import_assignment(m, json_object_array_get_idx(list, i), i,
			    details, &ids);
			worst = rc < worst ? rc : worst;
			assigned += rc == 0;
		}
	if (worst == 0 && json_object_object_get_ex(args, "pools", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			rc = import_pool(m, json_object_array_get_idx(list, i), i,
			    details, &ids);
			worst = rc < worst ? rc : worst;
			pools += rc == 0;
		}
	if (worst == 0 && json_object_object_get_ex(args, "upstreamModes", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			rc = import_upstream(m, json_object_array_get_idx(list, i), i, details);
			worst = rc < worst ? rc : worst;
			modes += rc == 0;
		}
	if (worst == 0 && json_object_object_get_ex(args, "settings", &list)) {
		rc = import_settings(m, list, details, &settings);
		worst = rc < worst ? rc : worst;
	}
	id_map_free(&ids);
	if (worst == -2) {
		json_object_put(details);
		reply_error(r, 500, "could not store the backup; nothing was changed");
		return;
	}
	if (worst == -1 && conflicts > 0) {
		reply_set(r, 409, error_envelope(409, "Proxy name conflict: proxy "
		    "names are unique, case-insensitive; nothing was changed", details));
		return;
	}
	if (worst == -1) {
		reply_invalid(r, details);
		return;
	}
	json_object_put(details);
	root = json_object_new_object();
	counts = json_object_new_object();
	json_object_object_add(counts, "created", json_object_new_int(created));
	json_object_object_add(counts, "updated", json_object_new_int(updated));
	json_object_object_add(root, "success", json_object_new_boolean(1));
	json_object_object_add(root, "proxies", counts);
	json_object_object_add(root, "assignments", json_object_new_int(assigned));
	json_object_object_add(root, "pools", json_object_new_int(pools));
	json_object_object_add(root, "upstreamModes", json_object_new_int(modes));
	json_object_object_add(root, "settings", json_object_new_int(settings));
	reply_set(r, 200, root);
}

const struct command cmd_backup_import = {
	.name = "backup.import",
	.help = "restore a backup document (one transaction; any bad item changes nothing)",
	.args = import_args,
	.mutates = true,
	.run = backup_import,
};
