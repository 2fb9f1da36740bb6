/*
 * common/routing.h — what the relay routes to, as typed tables: providers,
 * connections, combos, the client API keys' hashes and the upstream modes.
 * The master reads them from its database and pushes them inside every
 * registry snapshot (registry.h); the channel carries them as JSON, decoded
 * once here, so no caller ever looks at a field by name.
 *
 * Tables are built whole and never edited: a change replaces them (a delta
 * carries them whole when they changed). Lookups by id are binary searches,
 * and each provider carries its active connections in priority order,
 * computed when the tables are built.
 *
 * route_candidates() is the one answer to "who may serve this call": given a
 * requested model ("provider/model" or a combo name) it yields the ordered
 * (provider, connection, model) candidates. route_first_connection() answers
 * the single-connection question (a provider's best connection, or the next
 * one after those tried) from the same precomputed order.
 */
#ifndef OMNI_ROUTING_H
#define OMNI_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* How a provider takes its connection's key. */
enum route_auth {
	ROUTE_AUTH_BEARER = 0,	/* Authorization: Bearer KEY */
	ROUTE_AUTH_X_API_KEY,	/* x-api-key: KEY */
	ROUTE_AUTH_NONE,	/* no key: usable without a connection */
};

/* Where a provider's calls go (API.md "Upstream proxy modes"). */
enum provider_upstream {
	UPSTREAM_NATIVE = 0,	/* to the provider itself */
	UPSTREAM_CLIPROXYAPI,	/* every call to CLIPROXYAPI_URL */
	UPSTREAM_FALLBACK,	/* to the provider, then CLIProxyAPI after its 429/5xx */
};

struct route_connection {
	char		*id;
	char		*provider;	/* a provider id */
	char		*name;
	char		*key;		/* plaintext API key, "" when none; wiped on free */
	int		 priority;	/* lower first */
	bool		 active;
};

struct route_provider {
	char			*id;
	char			*base_url;
	enum route_auth		 auth;
	/* extra request headers: a JSON object of strings (checked when the
	 * provider was saved), read-only and shared by reference, the form
	 * worker/provider_head.c writes them from; NULL when none */
	struct json_object	*headers;
	enum provider_upstream	 upstream;
	/* the active connections, by priority, then name */
	const struct route_connection *const *active;
	size_t			 active_count;
};

/* One target of a combo: "provider/model" split at its first slash. */
struct route_target {
	char		*provider;
	char		*model;
};

struct route_combo {
	char			*id;
	struct route_target	*targets;	/* in the order they are tried */
	size_t			 target_count;
};

struct route_api_key {
	char		 hash[65];	/* lowercase hex SHA-256 of the key */
	char		*id;
};

/* A provider id's upstream mode (an id may have one without a provider row). */
struct route_upstream {
	char			*provider;
	enum provider_upstream	 mode;
};

struct route_tables {
	struct route_provider	*providers;	/* the API's order: catalog first */
	size_t			 provider_count;
	const struct route_provider **provider_index;	/* the same, by id */
	struct route_connection	*connections;	/* by id */
	size_t			 connection_count;
	struct route_combo	*combos;	/* by id */
	size_t			 combo_count;
	struct route_api_key	*api_keys;	/* by hash */
	size_t			 api_key_count;
	struct route_upstream	*upstreams;	/* by provider id */
	size_t			 upstream_count;
	/* every active connection by (provider, priority, name): each
	 * provider's `active` is its slice of this array */
	const struct route_connection **active;
};

/*
 * Channel form (an object; every section optional, empty when absent):
 * {"providers":[{id,baseUrl,authStyle,headers}] (in the API's order),
 *  "connections":[{id,provider,name,key,priority,active}],
 *  "combos":[{id,targets:["provider/model"…]}], "apiKeys":[{hash,id}],
 *  "upstreamModes":[{id (a provider),mode}]}.
 * from_json: 0, or -1 with err set and *out empty (safe to free). Targets
 * without a slash are left out (nothing could route to them).
 */
int		 route_tables_from_json(struct json_object *obj, struct route_tables *out,
		    char *err, size_t errlen);
struct json_object *route_tables_to_json(const struct route_tables *t);
/* Drop a channel-form object, wiping the connection keys it holds first. */
void		 route_json_put(struct json_object *obj);
void		 route_tables_free(struct route_tables *t);

const char	*route_auth_name(enum route_auth a);
const char	*upstream_mode_name(enum provider_upstream m);

/* Lookups: NULL when absent (or id NULL). */
const struct route_provider *route_find_provider(const struct route_tables *t,
		    const char *id);
const struct route_connection *route_find_connection(const struct route_tables *t,
		    const char *id);
const struct route_combo *route_find_combo(const struct route_tables *t,
		    const char *id);
/* hash: the lowercase hex SHA-256 of a presented key. */
const struct route_api_key *route_find_api_key(const struct route_tables *t,
		    const char *hash);
/* UPSTREAM_NATIVE for an id without a mode, or NULL. */
enum provider_upstream route_upstream_mode(const struct route_tables *t,
		    const char *provider_id);

/* true: leave this connection out (it rests, or was tried already). */
typedef bool	 route_skip_fn(void *arg, const struct route_connection *c);

/* The provider's first active connection by priority that skip (may be
 * NULL) lets through, or NULL. */
const struct route_connection *route_first_connection(const struct route_provider *p,
		    route_skip_fn *skip, void *arg);

#define ROUTE_MAX_CANDIDATES	16

enum route_via {
	ROUTE_VIA_PROVIDER = 0,	/* to the provider */
	ROUTE_VIA_CLIPROXYAPI,	/* cliproxyapi mode: to CLIProxyAPI, the connection's key */
	/* fallback mode: to CLIProxyAPI, only after a candidate of its group
	 * (cand[group..self)) got the provider's own 429/5xx, with that
	 * candidate's connection; it has none of its own */
	ROUTE_VIA_FALLBACK,
};

/* One way to serve the call; the pointers live as long as the tables. */
struct route_candidate {
	const struct route_provider	*provider;
	const struct route_connection	*connection;	/* NULL: none (see above) */
	const char			*model;		/* the provider's model name */
	enum route_via			 via;
	size_t				 group;		/* ROUTE_VIA_FALLBACK only */
};

struct route_plan {
	const struct route_provider	*provider;	/* "provider/model" named it */
	const struct route_combo	*combo;		/* the model is this combo */
	struct route_candidate		 cand[ROUTE_MAX_CANDIDATES];
	size_t				 count;
};

/*
 * The candidates of a call for model, in the order to try them: for
 * "provider/model" (a known provider) that provider; else for a combo's name
 * each of its targets whose provider is known, in order. Per target: the
 * provider's active connections by priority that skip (may be NULL) lets
 * through; none, and the provider needs no key: one candidate without a
 * connection. Then the upstream mode: cliproxyapi turns the target's
 * candidates to ROUTE_VIA_CLIPROXYAPI; fallback adds one ROUTE_VIA_FALLBACK
 * candidate after them (when it has any). At most ROUTE_MAX_CANDIDATES.
 * plan->provider and plan->combo both NULL: the model is unknown; count 0
 * with either set: nothing can serve it now. The model pointers point into
 * `model` or the tables.
 */
void		 route_candidates(const struct route_tables *t, const char *model,
		    route_skip_fn *skip, void *arg, struct route_plan *plan);

#endif
