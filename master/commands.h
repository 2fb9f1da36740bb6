/*
 * master/commands.h — the one command table of the master. Every management
 * operation (omnirctl, the HTTP API, the dashboard) is one of these commands;
 * `help`, argument checking and the reply-after-ack rule are driven from it.
 */
#ifndef OMNI_COMMANDS_H
#define OMNI_COMMANDS_H

#include <stdbool.h>
#include <json-c/json.h>

#include "argspec.h"
#include "master.h"
#include "reply.h"
#include "store.h"

struct command {
	const char		*name;
	const char		*help;
	const struct arg_spec	*args;
	bool			 mutates;	/* reply waits for the workers' snapshot ack */
	void			(*run)(struct master *m, struct json_object *args,
				    struct reply *r);
};

/*
 * Run one command line's command with its JSON text (may be NULL). *mutated is
 * set when the command changed the registry (the caller then pushes a new
 * snapshot and defers the reply).
 */
void	command_dispatch(struct master *m, const char *name, const char *json,
	    size_t json_len, struct reply *r, bool *mutated);

const struct command *command_find(const char *name);

/* Every command, in help order; NULL-terminated. */
extern const struct command *const command_table[];

/* The table (command families, one file each). */
extern const struct command cmd_proxy_list, cmd_proxy_get, cmd_proxy_where_used,
	cmd_proxy_add, cmd_proxy_update, cmd_proxy_delete, cmd_proxy_import,
	cmd_proxy_health, cmd_proxy_health_series, cmd_proxy_test, cmd_proxy_egress;
extern const struct command cmd_assign_set, cmd_assign_bulk, cmd_assign_list,
	cmd_resolve, cmd_egress_map;
extern const struct command cmd_pool_show, cmd_pool_add, cmd_pool_remove,
	cmd_pool_update;
/* A live 1proxy set's filter {"protocol","countryCode","minQuality"}
 * (cmd_pool.c): pool.add and backup restores check it alike. */
extern const struct arg_spec pool_filter_args[];
extern const struct command cmd_settings_proxy_get, cmd_settings_proxy_put,
	cmd_settings_proxy_delete, cmd_legacy_migrate;
extern const struct command cmd_backup_export, cmd_backup_import;
extern const struct command cmd_help, cmd_version, cmd_status, cmd_workers,
	cmd_reload;
extern const struct command cmd_provider_list, cmd_provider_get, cmd_provider_add,
	cmd_provider_update, cmd_provider_delete;
extern const struct command cmd_conn_list, cmd_conn_get, cmd_conn_add,
	cmd_conn_update, cmd_conn_delete, cmd_conn_test;
extern const struct command cmd_combo_list, cmd_combo_get, cmd_combo_add,
	cmd_combo_update, cmd_combo_delete;
extern const struct command cmd_apikey_list, cmd_apikey_add, cmd_apikey_delete;
extern const struct command cmd_upstream_get, cmd_upstream_set, cmd_upstream_delete;
extern const struct command cmd_oneproxy_list, cmd_oneproxy_stats, cmd_oneproxy_status,
	cmd_oneproxy_rotate, cmd_oneproxy_reset, cmd_oneproxy_delete, cmd_oneproxy_sync;

/*
 * A list reply: {"items","page":{"limit","offset","total"}} when paginated,
 * else {"items","total"} (the dashboard twins). Takes ownership of items.
 */
struct json_object *list_reply(struct json_object *items, bool paginate,
	    long long limit, long long offset, long long total);

/*
 * Run a command's handler inside the caller's transaction (a restore running
 * provider.add for each item, say): validate args against its table, run it,
 * and turn a refusal into details prefixed with `prefix` ("providers[2].").
 * 0 ok, -1 refused (details added), -2 storage error.
 */
int	command_run_nested(struct master *m, const struct command *cmd,
	    struct json_object *args, const char *prefix, struct json_object *details);

/*
 * The delete commands (proxy, provider, connection, combo, API key) share one
 * shape: the store removes the row and says how it went; reply_deletion turns
 * that into {"success":true}, the 404 / 409 of the table below, or a 500.
 */
struct deletion {
	const char	*not_found;	/* 404 message: "Proxy not found" */
	const char	*in_use;	/* 409 message for STORE_IN_USE, if it can be */
	const char	*what;		/* 500 "could not delete <what>": "the proxy" */
	const char	*dependents;	/* 500 "could not remove <dependents>" */
};
/* Returns rc; on STORE_OK r->body is the object a caller may add members to. */
enum store_rc reply_deletion(struct reply *r, enum store_rc rc,
	    const struct deletion *d);

/* The legacy migration (also run once at first start). */
int	legacy_migrate(struct master *m, bool force, struct reply *r);

#endif
