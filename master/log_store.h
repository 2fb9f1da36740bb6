/*
 * master/log_store.h — all SQL on proxy_logs, the outcome of every relayed
 * attempt: appending the batches the workers report (master/outcomes.c
 * decides when), keeping the table to its newest rows, the per-proxy
 * health figures of proxy.health, and one proxy's outcomes over time
 * (proxy.health_series).
 */
#ifndef OMNI_LOG_STORE_H
#define OMNI_LOG_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "master.h"

/* One proxy_logs row (the store adds its id and timestamp). NULL: SQL NULL. */
struct proxy_log_row {
	const char	*status;	/* "success", "error", "timeout" */
	const char	*proxy_id;
	const char	*proxy_type;
	const char	*proxy_host;
	int		 proxy_port;	/* 0: none (NULL) */
	const char	*level;
	const char	*level_id;
	const char	*provider;
	char		 target_url[400];	/* provider/model */
	const char	*stage;
	long long	 latency_ms;
	long long	 bytes;
	const char	*error;
	const char	*connection_id;
	const char	*combo_id;
	long long	 calls;
	long long	 connects;	/* calls that set up a new egress */
	long long	 connect_us;	/* their mean setup time */
};

/*
 * Append rows in one transaction; keep_newest > 0 then trims the table to
 * its newest keep_newest rows. -1 when the database is busy (nothing
 * written: the caller keeps the rows for later); a row the database refuses
 * is logged and skipped.
 */
int	proxy_logs_append(struct master *m, const struct proxy_log_row *rows,
	    size_t n, long keep_newest);

/*
 * Per proxy of the registry, by name: its outcomes since `since` (an ISO
 * time) as the proxy.health items of API.md — totalRequests, successCount,
 * errorCount, timeoutCount, successRate (2 decimals, null without calls),
 * avgLatencyMs, lastSeenAt. NULL on an SQL error.
 */
struct json_object *proxy_health_records(struct master *m, const char *since);
/*
 * The same figures for the proxies whose ids are in the JSON array ids (pool
 * members): {proxyId: {"totalRequests",…,"lastSeenAt"}}, without the
 * proxy's own fields; ids not in the registry are left out. NULL on an SQL
 * error.
 */
struct json_object *proxy_health_by_id(struct master *m, const char *since,
	    struct json_object *ids);
/* The window proxy.health takes without "hours", and pool members' health. */
#define PROXY_HEALTH_HOURS_DEFAULT	24

/*
 * The outcomes of proxy_id in `buckets` buckets of bucket_seconds from the
 * unix time first_start (common/health_series.h): an array of
 * {"start":ISO,"ok":n,"dns":n,…,"other":n}, calls counted by the column of
 * their status and stage, empty buckets with zeros. NULL on an SQL error.
 */
struct json_object *proxy_health_series(struct master *m, const char *proxy_id,
	    int64_t first_start, int64_t bucket_seconds, long long buckets);

/*
 * Each row of the last `seconds` that set up new egresses through a proxy:
 * each(arg, proxy id, the row's unix time, mean setup µs, how many). For
 * the latency board at start. 0 / -1 on an SQL error.
 */
int	proxy_logs_connect_times(struct master *m, long seconds,
	    void (*each)(void *arg, const char *proxy_id, int64_t at_s,
	    long long connect_us, long long connects), void *arg);

#endif
