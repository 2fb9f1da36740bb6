/*
 * master/route_store.h — all SQL on what the relay routes to: providers (the
 * built-in catalog of API.md plus custom ones and overrides), connections
 * (provider accounts, API keys encrypted at rest), combos, and the hashed
 * client API keys; and the API shapes of their rows.
 */
#ifndef OMNI_ROUTE_STORE_H
#define OMNI_ROUTE_STORE_H

#include <stdbool.h>
#include <json-c/json.h>

#include "master.h"

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

/* Provider and combo ids: 1..64 of [a-z0-9._-] (combos also A-Z), alnum first. */
bool	route_id_valid(const char *id, bool allow_upper);

#endif
