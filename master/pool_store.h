/*
 * master/pool_store.h — all SQL on pools (issue 11, API.md "Pools"): a
 * scope's assignment is a pool of ordered members with a strategy.
 *
 * Design (the data layer; the workers choose a member per call with
 * common/pool_choice.h and fail over inside a call in worker/upstream.c):
 *
 * Tables (schema/0006_pools.sql). proxy_pools holds one row per assigned
 * scope: strategy (round-robin | random | sticky | latency | quality),
 * sticky_window_minutes (1..1440, default 30), source (NULL or 'oneproxy')
 * with filter (JSON {"protocol","countryCode","minQuality"}) for a live
 * member set, and the round-robin cursor. proxy_pool_members holds the
 * static members (scope, scope_id, proxy_id, position), positions dense from
 * 0. proxy_assignments stays, as the pool's head: its proxy_id is the first
 * member by position, 'direct', or ASSIGN_LIVE_ONEPROXY for a pool made only
 * of a live set (the view pool_heads says what it must be). So every reader
 * of proxy_assignments (listings, the scoped settings view, backups, where
 * used) keeps working, and a pool of one is exactly yesterday's assignment.
 *
 * A plain assignment is a pool of one: assignment_upsert (PUT /assignments,
 * assign set, bulk assign, /api/settings/proxy, backup items, legacy
 * migration) calls pool_reset, which replaces the members with that one
 * proxy (none for 'direct') and drops any live set, keeping the strategy;
 * assignment_remove (proxyId null) calls pool_drop, removing the whole pool.
 * Deleting proxies (proxy.delete with force, oneproxy.delete / clear) removes
 * their memberships in the same transaction (pool_forget_proxies); a pool left
 * empty loses its assignment. A 1proxy row degraded to inactive stays a static
 * member and is passed over at call time (inactive); it leaves a live set,
 * which holds active rows only.
 *
 * Snapshot (master/snapshot.c, common/registry.h struct snap_assignment):
 * each assignment carries its strategy, window and member ids in order —
 * static members, then the live set expanded by the master at snapshot
 * build from active 1proxy rows matching the filter, best quality first
 * (POOL_LIVE_MATCH). A sync or a degradation rebuilds the snapshot, so a
 * live pool follows them without another call.
 *
 * Shared state for the strategies (common/pool_choice.h): the round-robin
 * cursor, sticky choices (connection id → member, expiring after the window)
 * and failure cool-downs (member → until, pool_cooldown_ms) are one per pool
 * whichever worker takes a call. They live in the pool board, a MAP_SHARED
 * table the master maps before forking (pool_board_start), like accept_board
 * in master/master.h: open addressing over slots keyed by a hash of (scope,
 * scope id) (pool_key), so a pool keeps its slot whatever the snapshot's
 * order or a reload, updated with atomics. The master persists the cursors
 * that moved (proxy_pools.cursor, pool_cursors_save) every
 * POOL_CURSOR_SAVE_SECONDS and at shutdown, and seeds each pool's slot from
 * them at start, so round-robin survives restarts. A pool of one uses no
 * shared state: its one member, as before pools. The latency board (same
 * file) keeps each proxy's egress setup times for the latency strategy,
 * seeded at start from proxy_logs.connect_us.
 */
#ifndef OMNI_POOL_STORE_H
#define OMNI_POOL_STORE_H

#include <stdbool.h>
#include <json-c/json.h>

#include "master.h"
#include "registry.h"
#include "store.h"

/*
 * SQL: whether registry row r (alias "r") is in the live set of filter f (an
 * SQL expression giving the filter JSON): an active 1proxy row of a type the
 * snapshot loads (PROXY_TYPE_DIALLED_SQL: no socks4, so counts and listings
 * match what the workers route through) matching protocol, country and
 * minimum quality (each absent = any).
 */
#define POOL_LIVE_MATCH(f) "r.source = 'oneproxy' AND r.status = 'active' " \
	"AND " PROXY_TYPE_DIALLED_SQL("r.type") " " \
	"AND (json_extract(" f ", '$.protocol') IS NULL OR r.type = " \
	"json_extract(" f ", '$.protocol')) AND (json_extract(" f ", " \
	"'$.countryCode') IS NULL OR r.country_code = json_extract(" f ", " \
	"'$.countryCode')) AND (json_extract(" f ", '$.minQuality') IS NULL OR " \
	"COALESCE(r.quality_score, 50) >= json_extract(" f ", '$.minQuality'))"
/* The live set's order: best quality first (NULL counts as 50), then id. */
#define POOL_LIVE_ORDER "COALESCE(r.quality_score, 50) DESC, r.id"

/* The filter of a live 1proxy set; NULL / -1 = any. */
struct pool_live_filter {
	const char	*protocol;
	const char	*country_code;
	long long	 min_quality;
};

/*
 * The pool of a scope (scope_id the stored one, GLOBAL_SCOPE_ID for global):
 * {"scope","scopeId","strategy","stickyWindowMinutes","source","filter",
 * "members":[{…proxy record,"position","live","egressIp","sharedEgress",
 * "health"}],"total"}; NULL when the scope has no assignment. "health" is
 * the member's proxy.health figures (master/log_store.h) over
 * PROXY_HEALTH_HOURS_DEFAULT hours: totalRequests, successCount, errorCount,
 * timeoutCount, successRate (null without calls), avgLatencyMs, lastSeenAt.
 */
struct json_object *pool_get_record(struct master *m, enum scope scope,
	    const char *scope_id);

/*
 * Append a member. STORE_OK (*created: the scope had no assignment before),
 * STORE_CONFLICT (already a member), STORE_FAILED. A 'direct' assignment is
 * replaced.
 */
enum store_rc pool_member_add(struct master *m, enum scope scope,
	    const char *scope_id, const char *proxy_id, bool *created);
/* STORE_OK, STORE_NOT_FOUND (not a member), STORE_FAILED. Removing the last
 * member (of a pool without a live set) removes the assignment. */
enum store_rc pool_member_remove(struct master *m, enum scope scope,
	    const char *scope_id, const char *proxy_id);
/* Set (or replace) the live 1proxy set; *created as for pool_member_add. */
enum store_rc pool_live_set(struct master *m, enum scope scope,
	    const char *scope_id, const struct pool_live_filter *f, bool *created);
/* Drop the live set: STORE_NOT_FOUND when the pool has none. */
enum store_rc pool_live_remove(struct master *m, enum scope scope,
	    const char *scope_id);
/* STORE_OK, STORE_NOT_FOUND (no pool: unassigned or 'direct'), STORE_FAILED;
 * strategy NULL keeps the stored one, sticky_window_minutes ≤ 0 the stored
 * window. */
enum store_rc pool_strategy_set(struct master *m, enum scope scope,
	    const char *scope_id, const enum pool_strategy *strategy,
	    int sticky_window_minutes);
/*
 * The static members' ids in position order (a new array; live members have
 * no position of their own). NULL with *rc STORE_NOT_FOUND when the scope has
 * no pool (unassigned or 'direct'), STORE_FAILED on error.
 */
struct json_object *pool_member_ids(struct master *m, enum scope scope,
	    const char *scope_id, enum store_rc *rc);
/*
 * Give the static members the positions of order (an array of their ids,
 * already checked to be a permutation of pool_member_ids) and make the first
 * the pool's head. STORE_OK / STORE_FAILED.
 */
enum store_rc pool_members_order(struct master *m, enum scope scope,
	    const char *scope_id, struct json_object *order);
/* Persist a round-robin cursor. 0 / -1. */
int	pool_cursor_store(struct master *m, enum scope scope, const char *scope_id,
	    long long cursor);
/* The stored cursor; -1 when the scope has no pool. */
long long pool_cursor_load(struct master *m, enum scope scope, const char *scope_id);

/*
 * The shared pool board (m->pool_board): map it, seed each pool's cursor
 * from proxy_pools, and save the cursors every POOL_CURSOR_SAVE_SECONDS.
 * Call after the first snapshot, before any worker forks. Without the map
 * (mmap failed) pools choose in position order. 0 / -1.
 */
#define POOL_CURSOR_SAVE_SECONDS	5
int	pool_board_start(struct master *m);
/* Save every pool's cursor now (a transaction of its own). */
void	pool_cursors_save(struct master *m);
/* Save the cursors, stop the timer (at exit; the map stays until then). */
void	pool_board_stop(struct master *m);

/* For assignment_upsert: the pool becomes proxy_id alone (none for 'direct'),
 * its live set dropped, its strategy kept. 0 / -1. */
int	pool_reset(struct master *m, enum scope scope, const char *scope_id,
	    const char *proxy_id);
/* For assignment_remove: the pool and its members go. 0 / -1. */
int	pool_drop(struct master *m, enum scope scope, const char *scope_id);
/*
 * Remove the memberships of proxy_id (NULL: of every proxy that no longer
 * exists), then settle the heads: each assignment names its first member,
 * pools left empty lose their assignment. 0 / -1.
 */
int	pool_forget_proxies(struct master *m, const char *proxy_id);

/*
 * Backup: every pool ('direct' scopes have none; their assignment says it), as
 * [{"scope","scopeId","strategy","stickyWindowMinutes","members":[proxyId…],
 * "source","filter"}] ordered by scope and scope id.
 */
struct json_object *pool_export_records(struct master *m);

#endif
