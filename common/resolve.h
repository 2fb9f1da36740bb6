/*
 * common/resolve.h — which egress a call must use: the one pure resolution
 * function of API.md ("Resolution"), shared by the master (resolve command)
 * and the workers (every relayed request).
 *
 * Order: account (connection) → provider → combo → global → direct. The first
 * scope with an assignment decides: its proxy if active, direct if the word
 * "direct" is assigned there, and REFUSED (fail-closed,
 * PROXY_ASSIGNED_UNAVAILABLE) if its proxy is inactive or missing — a call
 * pinned to one exit never leaves through another or direct. With fail_open
 * (PROXY_FAIL_OPEN) an unusable assignment is skipped instead and the walk goes
 * on, ending direct when nothing else applies. Each level leaves an explain
 * step.
 *
 * Delegation (API.md "Upstream proxy modes"): a call whose hop is a CLIProxyAPI
 * on a loopback address does not leave the machine, so no assignment applies
 * to it — not even a dead or inactive proxy's. The caller says so in the
 * request (resolve_delegates() decides it for a provider in cliproxyapi mode);
 * the outcome is then RESOLVE_DELEGATED, level "delegated", and the explain
 * trail marks with "delegated to CLIProxyAPI" the first level holding an
 * assignment (the one that would have decided), or the provider level when
 * none holds one. Any other CLIProxyAPI host is an egress and resolves like
 * every call.
 */
#ifndef OMNI_RESOLVE_H
#define OMNI_RESOLVE_H

#include <stdbool.h>
#include <json-c/json.h>

#include "pool_choice.h"
#include "registry.h"

enum resolve_outcome {
	RESOLVE_PROXY,		/* leave through `proxy` */
	RESOLVE_DIRECT,		/* no assignment applies, or `direct` assigned */
	RESOLVE_REFUSED,	/* assigned, but nothing usable: never go direct */
	RESOLVE_DELEGATED,	/* to a loopback CLIProxyAPI: local, not an egress */
};

struct resolve_request {
	const char	*connection_id;	/* account scope; may be NULL */
	const char	*provider_id;	/* NULL: the connection's provider, when known */
	const char	*combo_id;	/* the combo being executed; may be NULL */
	bool		 fail_open;	/* PROXY_FAIL_OPEN */
	bool		 delegated;	/* the hop is a loopback CLIProxyAPI */
	/* pool member choice (pool_choice.h): with no board, the first usable
	 * member in position order */
	struct pool_board *board;
	bool		 take_member;	/* a call takes it: the cursor moves */
	/* the members this call already tried (their id hashes) in the pool
	 * whose key is tried_pool: passed over; a pool left with no other
	 * usable member refuses, fail_open or not (never direct after a
	 * member failed) */
	uint64_t	 tried_pool;
	const uint64_t	*tried;
	size_t		 tried_count;
	uint64_t	 now_ms;	/* monotonic */
	uint64_t	 random;
	/* strategy latency: the measurements, read at unix time now_s */
	const struct latency_board *latency;
	int64_t		 now_s;
};

enum resolve_verdict {
	VERDICT_NOT_GIVEN,	/* no scope id for this level in the request */
	VERDICT_NO_ASSIGNMENT,
	VERDICT_USED,
	VERDICT_DIRECT,		/* "direct" assigned here */
	VERDICT_SKIPPED_INACTIVE,	/* fail-open only */
	VERDICT_SKIPPED_MISSING,	/* fail-open only */
	VERDICT_REFUSED_INACTIVE,	/* fail-closed: the decision is a refusal */
	VERDICT_REFUSED_MISSING,
	VERDICT_REFUSED_TRIED,		/* every usable member failed this call */
	VERDICT_NOT_CONSULTED,	/* a higher level already decided */
	VERDICT_DELEGATED,	/* the call goes to a loopback CLIProxyAPI */
};

struct resolve_step {
	enum scope		 scope;
	const char		*scope_id;	/* NULL for global / not given */
	const char		*proxy_id;	/* NULL when no assignment */
	enum resolve_verdict	 verdict;
};

struct resolve_result {
	enum resolve_outcome	 outcome;
	enum scope		 level;		/* for PROXY/REFUSED, and DIRECT by assignment */
	bool			 level_is_direct; /* DIRECT with no assignment at all */
	const char		*level_id;	/* DELEGATED: the provider */
	const struct snap_proxy	*proxy;		/* RESOLVE_PROXY only */
	/* the assignment (pool) of the level that decided, for PROXY/REFUSED */
	const struct snap_assignment *pool;
	long			 member_index;	/* the chosen member's; -1: none */
	struct pool_slot	*slot;		/* the pool's shared state, or NULL */
	struct resolve_step	 explain[SCOPE_COUNT];
};

/*
 * Fill req's member choice from the shared boards at this moment: take
 * (a call takes the member: the cursor moves) or a peek (resolve answers).
 */
void	resolve_request_choose(struct resolve_request *req, struct pool_board *board,
	    const struct latency_board *latency, bool take);
void	proxy_resolve(const struct registry_snapshot *snap,
	    const struct resolve_request *req, struct resolve_result *out);

/*
 * What a call would use now, as every resolve answer shows it (HTTP
 * ?resolve=, omnirctl resolve, the egress map): req names the scopes and
 * fail_open; the delegation comes from cliproxyapi_url (resolve_delegates),
 * and a pool's member is the one the next call would take, peeked (the
 * cursor stays).
 */
void	resolve_peek(const struct registry_snapshot *snap, struct resolve_request *req,
	    const char *cliproxyapi_url, struct pool_board *board,
	    const struct latency_board *latency, struct resolve_result *out);

/*
 * Whether calls for this connection or provider are delegated: the provider
 * (provider_id, else the connection's) is in cliproxyapi mode and
 * cliproxyapi_url names a loopback host (http_host_is_loopback). An
 * unparseable URL is not loopback.
 */
bool	resolve_delegates(const struct registry_snapshot *snap,
	    const char *connection_id, const char *provider_id,
	    const char *cliproxyapi_url);
/* Whether cliproxyapi_url's host is a loopback literal or localhost. */
bool	cliproxyapi_is_local(const char *cliproxyapi_url);

const char *resolve_verdict_name(enum resolve_verdict v);
/* "account", "provider", "combo", "global", "direct" or "delegated". */
const char *resolve_level_name(const struct resolve_result *r);

/*
 * The API shape: {"proxy":{type,host,port,username,password}|null,"proxyId",
 * "level","levelId","source":"registry","refused",["code","message"],"explain":[…]}
 * and, when an assignment (a pool, maybe of one) decided, "pool":
 * {"strategy","stickyWindowMinutes","members":[id…]}, with "strategy" also
 * at the top; proxyId is the member the next call would take.
 * Credentials are redacted ("***"/"").
 */
struct json_object *resolve_result_to_json(const struct resolve_result *r);

#endif
