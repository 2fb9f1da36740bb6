/*
 * common/registry.h — the read-only view of the proxy registry that the
 * master pushes to every worker after each mutation (a "snapshot"): proxies,
 * assignments and the routing tables (routing.h); its JSON
 * (de)serialisation for the channel, and the scope vocabulary.
 *
 * Proxies are sorted by id and assignments by (scope, scope_id), so lookups
 * are binary searches: resolution is per request on the relay's hot path.
 */
#ifndef OMNI_REGISTRY_H
#define OMNI_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "routing.h"

enum proxy_type {
	PROXY_TYPE_HTTP = 0,
	PROXY_TYPE_HTTPS,
	PROXY_TYPE_SOCKS5,
};

enum scope {
	SCOPE_ACCOUNT = 0,	/* a connection id */
	SCOPE_PROVIDER,
	SCOPE_COMBO,
	SCOPE_GLOBAL,
	SCOPE_COUNT,
};

/* The word an assignment holds instead of a proxy id to go direct on purpose. */
#define ASSIGN_DIRECT		"direct"
/* The head of a pool made only of a live 1proxy set (master/pool_store.h). */
#define ASSIGN_LIVE_ONEPROXY	"live:oneproxy"
/* How global assignments are stored (SQLite UNIQUE treats NULLs as distinct). */
#define GLOBAL_SCOPE_ID		"__global__"

struct snap_proxy {
	char		*id;
	char		*name;
	enum proxy_type	 type;
	char		*host;
	uint16_t	 port;
	char		*username;	/* plaintext; "" when none; wiped on free */
	char		*password;
	bool		 active;
	/* master only (never sent): the stored ciphertexts the plaintexts came
	 * from, so a rebuild decrypts only credentials that changed */
	char		*sealed_username;
	char		*sealed_password;
};

/* How a pool picks a member per call (API.md "Pools"); the names are the API's. */
enum pool_strategy {
	POOL_ROUND_ROBIN = 0,	/* the default */
	POOL_RANDOM,
	POOL_STICKY,
	POOL_LATENCY,
	POOL_QUALITY,
	POOL_STRATEGY_COUNT,
};
#define POOL_STICKY_WINDOW_DEFAULT	30	/* minutes; 1..1440 */

/*
 * A scope's assignment, which is a pool (master/pool_store.h): its members
 * in position order, static members first and then the live 1proxy set the
 * master expanded when it built the snapshot. proxy_id is the head the
 * store keeps (the first static member, ASSIGN_DIRECT, or
 * ASSIGN_LIVE_ONEPROXY). A plain assignment is a pool of one: members holds
 * proxy_id alone; "direct" has no members. Members are ids; whether one is
 * usable (active, present) is read from the proxies at call time.
 */
struct snap_assignment {
	enum scope	 scope;
	char		*scope_id;	/* GLOBAL_SCOPE_ID for global */
	char		*proxy_id;	/* a proxy id, ASSIGN_DIRECT or ASSIGN_LIVE_ONEPROXY */
	enum pool_strategy strategy;
	uint16_t	 sticky_window_minutes;
	char		**members;
	size_t		 member_count;
	/* derived by snapshot_index / snapshot_apply_delta, never sent: each
	 * member's proxy (NULL: not in the registry) and id hash, and the
	 * pool's key (pool_choice.h), so a call looks nothing up by name */
	const struct snap_proxy **member_proxy;
	uint64_t	*member_hash;
	uint64_t	 key;
};

struct registry_snapshot {
	uint64_t		 generation;
	struct snap_proxy	*proxies;
	size_t			 proxy_count;
	struct snap_assignment	*assignments;
	size_t			 assignment_count;
	/* derived: assignments by key, open addressing (index + 1; 0 free) */
	uint32_t		*assignment_slots;
	size_t			 assignment_slot_count;	/* a power of two */
	/* what the relay routes to: small tables, sent whole when they change */
	struct route_tables	 routes;
};

const char	*proxy_type_name(enum proxy_type t);
/*
 * A 64-bit fingerprint of a proxy's user and password (FNV-1a, a separator
 * between them): tells credentials apart in keys held in memory (connection
 * pool, TLS session store) without holding them. Never logged.
 */
uint64_t	 proxy_credentials_fingerprint(const char *user, const char *password);
bool		 proxy_type_parse(const char *s, enum proxy_type *out);
/*
 * SQL: whether the registry type column t is one proxy_type_parse accepts
 * (any case), i.e. a row the master's snapshot loads and the workers can
 * dial; a 1proxy socks4 row is stored but never dialled. The names are
 * proxy_type_names' (common/registry.c); tests/unit/test_resolve.c checks
 * that the two agree.
 */
#define PROXY_TYPE_DIALLED_SQL(t)	"lower(" t ") IN ('http', 'https', 'socks5')"
const char	*scope_name(enum scope s);
/* "key" is accepted as "account"; anything unknown → false. */
bool		 scope_parse(const char *s, enum scope *out);
const char	*pool_strategy_name(enum pool_strategy s);
bool		 pool_strategy_parse(const char *s, enum pool_strategy *out);
/* Set a's members to proxy_id alone (none for "direct"): a pool of one. */
void		 snap_assignment_plain_members(struct snap_assignment *a);
/* Whether a's pool says no more than its head: one member (or "direct"),
 * default strategy and window, no live set. */
bool		 snap_assignment_is_plain(const struct snap_assignment *a);

/* Sort both arrays and derive what the lookups below use (the assignments'
 * hash index, each pool's member links); call after filling or changing. */
void		 snapshot_index(struct registry_snapshot *snap);
const struct snap_proxy *snapshot_find_proxy(const struct registry_snapshot *snap,
		    const char *id);
const struct snap_assignment *snapshot_find_assignment(
		    const struct registry_snapshot *snap, enum scope scope,
		    const char *scope_id);

/* Channel form: {"generation":N,"proxies":[[id,name,type,host,port,user,pass,active]…],
 * "assignments":[[scope,scopeId,proxyId]…],"routes":{…} (routing.h; optional)}.
 * A pool that is more than a plain assignment (several members, a live set,
 * or a strategy or window other than the defaults) is the longer row
 * [scope,scopeId,proxyId,strategy,stickyWindowMinutes,[memberId…]]. */
struct json_object *snapshot_to_json(const struct registry_snapshot *snap);
int		 snapshot_from_json(struct json_object *obj,
		    struct registry_snapshot *out, char *err, size_t errlen);
void		 snapshot_free(struct registry_snapshot *snap);

/*
 * What changed from old to new, for the channel: {"generation","base",
 * "proxies":[rows upserted],"removedProxies":[ids],"assignments":[rows],
 * "removedAssignments":[[scope,scopeId]]}, and "routes" (whole) when the
 * routing tables differ. Both must be indexed.
 */
struct json_object *snapshot_diff(const struct registry_snapshot *old,
		    const struct registry_snapshot *new);
/*
 * Apply a delta whose base is snap's generation. On any error (wrong base,
 * malformed row, malformed routes) returns -1 and snap is unchanged.
 */
int		 snapshot_apply_delta(struct registry_snapshot *snap,
		    struct json_object *delta, char *err, size_t errlen);

#endif
