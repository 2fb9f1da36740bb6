/*
 * master/oneproxy_store.h — all SQL of the 1proxy feed: the rows a sync
 * imports (proxy_registry rows with source 'oneproxy'), their listing, stats
 * and rotation, their degradation by real traffic, their removal together
 * with whatever points at them, and the sync status (oneproxy_state), which
 * survives restarts. Manual rows are never touched by anything here.
 */
#ifndef OMNI_ONEPROXY_STORE_H
#define OMNI_ONEPROXY_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "master.h"
#include "oneproxy_feed.h"

/* After this many failed syncs in a row the breaker opens (API.md). */
#define ONEPROXY_BREAKER_FAILURES	5
/* Each failed call through a 1proxy row costs this much quality. */
#define ONEPROXY_FAILURE_PENALTY	10
/* A row whose score falls to this or below leaves rotation (inactive). */
#define ONEPROXY_INACTIVE_AT		10
/* A row without a score counts as this. */
#define ONEPROXY_UNSCORED_QUALITY	50

/* What one page's upsert did. */
struct oneproxy_upsert_counts {
	long long	 added;
	long long	 updated;
	long long	 kept_inactive;	/* degraded by traffic after the feed last
					 * validated them (or switched off by an
					 * operator): updated, left inactive */
	long long	 duplicates;	/* listed again in the same sync: left */
	long long	 over_max;	/* past ONEPROXY_MAX_PROXIES: left */
};

/*
 * Upsert rows (key: host, port, source 'oneproxy') in one transaction, at
 * most *room of them (added + updated + kept count; *room is lowered; the
 * rest count as over_max). Every row a sync writes gets sync_stamp as its
 * updatedAt, so a row listed twice in one sync is counted once. An existing
 * row gets the feed's metrics, and its status and score as feed_decide()
 * says: the feed's word counts only when it validated the proxy after the
 * row's last failure through it. A new row is named "<PROTOCOL> - <CC> -
 * <ip>" (made unique). 0, or -1 with nothing written.
 */
int	oneproxy_upsert_rows(struct master *m, const struct oneproxy_row *rows,
	    size_t n, const char *sync_stamp, long long *room,
	    struct oneproxy_upsert_counts *counts);

struct oneproxy_filter {
	const char	*protocol;	/* NULL: any */
	const char	*country_code;	/* NULL: any */
	long long	 min_quality;	/* -1: any */
	long long	 limit;
	long long	 offset;
};

/* Active 1proxy rows, best quality first (a page of them); *total matches. */
struct json_object *oneproxy_list(struct master *m, const struct oneproxy_filter *f,
	    long long *total);
/* {"total","active","inactive","avgQuality","lastValidated","byProtocol","byCountry"} */
struct json_object *oneproxy_stats(struct master *m);

enum oneproxy_strategy {
	ONEPROXY_ROTATE_QUALITY,
	ONEPROXY_ROTATE_RANDOM,
	ONEPROXY_ROTATE_SEQUENTIAL,
};

/*
 * The next active row by strategy; sequential walks the rows in order of
 * lastValidated (then id) from a persisted cursor, wrapping. NULL when none.
 */
struct json_object *oneproxy_rotate(struct master *m, enum oneproxy_strategy strategy);

/*
 * Delete one 1proxy row (id) or all (id NULL) with their assignments, inside
 * the caller's transaction (the command dispatcher's: a storage error rolls
 * both back). *deleted rows gone. 0, or -1 on a storage error. A manual
 * row's id deletes nothing.
 */
int	oneproxy_delete(struct master *m, const char *id, long long *deleted);

/*
 * Traffic through a 1proxy row failed `failures` times: lower its score by
 * the penalty each (no score counts as 50); at ONEPROXY_INACTIVE_AT or below
 * it becomes inactive, stamped with the time (degraded_at). Every failure is
 * stamped too (last_failure_at), for feed_decide(). -1 on error.
 */
enum oneproxy_degraded {
	ONEPROXY_DEGRADED_NONE = 0,	/* not a 1proxy row */
	ONEPROXY_DEGRADED_SCORE,	/* its score went down, still in rotation */
	ONEPROXY_DEGRADED_OUT,		/* it became inactive: rebuild the snapshot */
};
int	oneproxy_degrade(struct master *m, const char *proxy_id, long long failures);

/* The sync status (API.md "1proxy": action=status), kept in oneproxy_state. */
struct oneproxy_status {
	bool		 ever_ran;
	bool		 last_success;
	char		 last_error[400];	/* "" when none */
	char		 last_at[40];		/* "" when never */
	long long	 last_count;
	long long	 consecutive_failures;
};

int	oneproxy_status_load(struct master *m, struct oneproxy_status *s);
int	oneproxy_status_save(struct master *m, const struct oneproxy_status *s);
struct json_object *oneproxy_status_json(const struct oneproxy_status *s);

#endif
