/*
 * master/route_store.h — all SQL on what the relay routes to: providers (the
 * built-in catalog of API.md plus custom ones and overrides), connections
 * (provider accounts, API keys encrypted at rest), combos, and the hashed
 * client API keys; and the API shapes of their rows. The command handlers
 * (cmd_provider.c, cmd_conn.c, cmd_combo.c, cmd_apikey.c) validate, call
 * these and reply; the writes run inside the command's transaction.
 */
#ifndef OMNI_ROUTE_STORE_H
#define OMNI_ROUTE_STORE_H

#include <stdbool.h>
#include <json-c/json.h>

#include "master.h"
#include "store.h"

struct catalog_provider {
	const char	*id;
	const char	*name;
	const char	*base_url;
	const char	*auth_style;
	const char	*headers;	/* JSON object text */
};

/* The built-in catalog; ends with an entry whose id is NULL. */
extern const struct catalog_provider provider_catalog[];
const struct catalog_provider *catalog_find(const char *id);

/* The effective provider (catalog entry, overridden by a row), or NULL. */
struct json_object *provider_get_record(struct master *m, const char *id);
struct json_object *provider_list_records(struct master *m);
bool	provider_exists(struct master *m, const char *id);

struct json_object *connection_get_record(struct master *m, const char *id);
struct json_object *connection_list_records(struct master *m, const char *provider,
	    bool with_secrets);
/* The provider rows themselves (custom providers and overrides). */
struct json_object *provider_row_records(struct master *m);
bool	connection_exists(struct master *m, const char *id);

struct json_object *combo_get_record(struct master *m, const char *id);
struct json_object *combo_list_records(struct master *m);
bool	combo_exists(struct master *m, const char *id);

struct json_object *apikey_list_records(struct master *m);

/* SHA-256 of a client API key, as 64 hex characters. */
int	apikey_hash(const char *key, char out[65]);

/* A provider row as stored: every field set (the handler merges omitted ones). */
struct provider_fields {
	const char	*id;
	const char	*name;
	const char	*base_url;	/* stored without trailing '/' */
	const char	*auth_style;
	const char	*headers;	/* JSON object text */
};
/* Insert or replace the row (a custom provider, or a built-in's override). 0 / -1. */
int	provider_upsert(struct master *m, const struct provider_fields *f);
/*
 * Delete a provider row: STORE_OK (a built-in one's catalog entry comes
 * back), STORE_BUILTIN (a catalog entry without an override), STORE_NOT_FOUND,
 * STORE_IN_USE (a custom provider that still has connections), STORE_FAILED.
 */
enum store_rc provider_remove(struct master *m, const char *id);

/* A connection's fields; on update NULL (and an empty key) keep the stored value. */
struct connection_fields {
	const char	*provider;	/* insert only */
	const char	*name;
	const char	*key;		/* plain text: the store seals it */
	long long	 priority;
	bool		 has_priority;	/* update: false keeps the stored one */
	const char	*status;
};
/* Another connection of the provider has this name. */
bool	connection_name_taken(struct master *m, const char *provider, const char *name);
/* STORE_OK or STORE_FAILED. */
enum store_rc connection_insert(struct master *m, const char *id,
	    const struct connection_fields *f);
/* STORE_OK, STORE_FAILED (sealing, SQL), STORE_CONFLICT (the name is taken). */
enum store_rc connection_update(struct master *m, const char *id,
	    const struct connection_fields *f);
enum store_rc connection_remove(struct master *m, const char *id);

/* Insert or replace a combo; targets is a JSON array text. 0 / -1. */
int	combo_upsert(struct master *m, const char *id, const char *targets);
enum store_rc combo_remove(struct master *m, const char *id);

/* Store a client API key by its hash (the key itself is never stored). 0 / -1. */
int	apikey_insert(struct master *m, const char *id, const char *name,
	    const char *key_hash, const char *prefix, const char *created_at);
enum store_rc apikey_remove(struct master *m, const char *id);

/* Provider and combo ids: 1..64 of [a-z0-9._-] (combos also A-Z), alnum first. */
bool	route_id_valid(const char *id, bool allow_upper);

#endif
