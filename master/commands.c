/*
 * master/commands.c — the command table and the dispatcher: look the name up,
 * parse the JSON arguments, validate them against the command's field table,
 * run the handler. Validation and messages exist once, here and in the
 * handlers, for all three faces (omnirctl, HTTP API, dashboard).
 */
#include <string.h>

#include "commands.h"
#include "db.h"
#include "log.h"
#include "proxy_store.h"

const struct command *const command_table[] = {
	&cmd_help, &cmd_version, &cmd_status, &cmd_workers, &cmd_reload,
	&cmd_proxy_list, &cmd_proxy_get, &cmd_proxy_where_used, &cmd_proxy_add,
	&cmd_proxy_update, &cmd_proxy_delete, &cmd_proxy_import, &cmd_proxy_health,
	&cmd_proxy_health_series,
	&cmd_proxy_test, &cmd_proxy_egress,
	&cmd_assign_set, &cmd_assign_bulk, &cmd_assign_list, &cmd_resolve,
	&cmd_egress_map,
	&cmd_pool_show, &cmd_pool_add, &cmd_pool_remove, &cmd_pool_update,
	&cmd_settings_proxy_get, &cmd_settings_proxy_put, &cmd_settings_proxy_delete,
	&cmd_legacy_migrate, &cmd_backup_export, &cmd_backup_import,
	&cmd_provider_list, &cmd_provider_get, &cmd_provider_add,
	&cmd_provider_update, &cmd_provider_delete,
	&cmd_conn_list, &cmd_conn_get, &cmd_conn_add, &cmd_conn_update,
	&cmd_conn_delete, &cmd_conn_test,
	&cmd_combo_list, &cmd_combo_get, &cmd_combo_add, &cmd_combo_update,
	&cmd_combo_delete,
	&cmd_apikey_list, &cmd_apikey_add, &cmd_apikey_delete,
	&cmd_upstream_get, &cmd_upstream_set, &cmd_upstream_delete,
	&cmd_oneproxy_list, &cmd_oneproxy_stats, &cmd_oneproxy_status,
	&cmd_oneproxy_rotate, &cmd_oneproxy_reset, &cmd_oneproxy_delete,
	&cmd_oneproxy_sync,
	NULL,
};

const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; command_table[i] != NULL; i++)
		if (strcmp(command_table[i]->name, name) == 0)
			return command_table[i];
	return NULL;
}

/*
 * Fields marked ARG_PROXY_REF name a proxy by id or by name: turn a name into
 * the id here, once, for every face. A word that is neither stays as it is,
 * for the command's own 404. false (r set) when a name is ambiguous.
 */
static bool
resolve_proxy_refs(struct master *m, const struct arg_spec *spec,
    struct json_object *args, struct reply *r)
{
	char id[UUID_STR_LEN];
	const char *word;
	long long matches;

	for (; spec != NULL && spec->name != NULL; spec++) {
		if (!(spec->flags & ARG_PROXY_REF) ||
		    (word = arg_string(args, spec->name, NULL)) == NULL ||
		    *word == '\0')
			continue;
		if ((spec->flags & ARG_DIRECT_WORD) && strcmp(word, ASSIGN_DIRECT) == 0)
			continue;
		switch (proxy_ref_resolve(m, word, id, &matches)) {
		case PROXY_REF_NAME:
			json_object_object_add(args, spec->name,
			    json_object_new_string(id));
			break;
		case PROXY_REF_AMBIGUOUS:
			reply_error(r, 409, "Proxy name '%s' is ambiguous: %lld proxies "
			    "are named so; use the id", word, matches);
			return false;
		case PROXY_REF_ID:
		case PROXY_REF_UNKNOWN:
			break;
		}
	}
	return true;
}

void
command_dispatch(struct master *m, const char *name, const char *json,
    size_t json_len, struct reply *r, bool *mutated)
{
	const struct command *cmd = command_find(name);
	struct json_object *args = NULL, *normalised = NULL, *details = NULL;

	*mutated = false;
	r->status = 0;
	r->body = NULL;
	if (cmd == NULL) {
		reply_error(r, 404, "unknown command '%s' (try 'help')", name);
		return;
	}
	if (json != NULL && json_len > 0) {
		char why[160];
		args = json_parse_document_why(json, json_len, 64, why, sizeof(why));
		if (args == NULL) {
			reply_error(r, 400, "Invalid JSON body: %s", why);
			return;
		}
		if (!json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			reply_error(r, 400, "Invalid JSON body: arguments must be an object");
			return;
		}
	}
	if (args_validate(cmd->args, args, &normalised, &details) != 0) {
		json_object_put(args);
		reply_invalid(r, details);
		return;
	}
	json_object_put(args);
	if (!resolve_proxy_refs(m, cmd->args, normalised, r)) {
		json_object_put(normalised);
		return;
	}
	/* A mutating command is one transaction: all of it, or nothing. */
	if (cmd->mutates && db_begin(m->db) != 0) {
		json_object_put(normalised);
		reply_error(r, 503, "database is busy, try again");
		return;
	}
	cmd->run(m, normalised, r);
	json_object_put(normalised);
	if (r->body == NULL && r->job == NULL && !r->reload) {
		log_errorx("command %s produced no reply", name);
		reply_error(r, 500, "command %s failed", name);
	}
	if (cmd->mutates) {
		if (r->status < 400 && db_commit(m->db) != 0) {
			log_errorx("command %s: commit failed: %s", name,
			    sqlite3_errmsg(m->db));
			db_rollback(m->db);
			reply_error(r, 500, "could not save the change");
		} else if (r->status >= 400) {
			db_rollback(m->db);
		}
	}
	*mutated = cmd->mutates && r->status < 400;
}

struct json_object *
list_reply(struct json_object *items, bool paginate, long long limit,
    long long offset, long long total)
{
	struct json_object *root = json_object_new_object(), *page;

	json_object_object_add(root, "items", items);
	if (!paginate) {
		json_object_object_add(root, "total", json_object_new_int64(total));
		return root;
	}
	page = json_object_new_object();
	json_object_object_add(page, "limit", json_object_new_int64(limit));
	json_object_object_add(page, "offset", json_object_new_int64(offset));
	json_object_object_add(page, "total", json_object_new_int64(total));
	json_object_object_add(root, "page", page);
	return root;
}

enum store_rc
reply_deletion(struct reply *r, enum store_rc rc, const struct deletion *d)
{
	struct json_object *ok;

	switch (rc) {
	case STORE_OK:
		ok = json_object_new_object();
		json_object_object_add(ok, "success", json_object_new_boolean(1));
		reply_set(r, 200, ok);
		break;
	case STORE_NOT_FOUND:
		reply_error(r, 404, "%s", d->not_found);
		break;
	case STORE_IN_USE:
		reply_error(r, 409, "%s", d->in_use != NULL ? d->in_use : "still in use");
		break;
	case STORE_DEPENDENTS_FAILED:
		reply_error(r, 500, "could not remove %s", d->dependents != NULL ?
		    d->dependents : "the rows that refer to it");
		break;
	default:
		reply_error(r, 500, "could not delete %s", d->what);
		break;
	}
	return rc;
}

int
command_run_nested(struct master *m, const struct command *cmd,
    struct json_object *args, const char *prefix, struct json_object *details)
{
	struct json_object *normalised = NULL, *errs = NULL, *err, *inner;
	struct reply r = { 0, NULL, NULL, false };
	int rc = 0;

	if (args_validate(cmd->args, args, &normalised, &errs) != 0) {
		details_append_prefixed(details, errs, prefix);
		json_object_put(errs);
		return -1;
	}
	cmd->run(m, normalised, &r);
	json_object_put(normalised);
	if (r.status >= 500 || r.body == NULL) {
		rc = -2;
	} else if (r.status >= 400) {
		rc = -1;
		json_object_object_get_ex(r.body, "error", &err);
		if (json_object_object_get_ex(err, "details", &inner)) {
			details_append_prefixed(details, inner, prefix);
		} else {
			json_object_object_get_ex(err, "message", &inner);
			details_add(details, prefix, "%s", json_object_get_string(inner));
		}
	}
	reply_clear(&r);
	return rc;
}
