/*
 * common/health_series.h — the pure parts of one proxy's outcomes over time
 * (GET …/proxies/health?proxyId=X&hours=H&buckets=N, the dashboard's Health
 * chart): which column of the series an outcome row of proxy_logs counts
 * in, and where the window's buckets start.
 *
 * Columns: "ok" for a success; "timeout" for a timeout at any stage; an
 * error by the stage it recorded, in the words the API uses for a failing
 * stage — "dns", "connect", "handshake" (the proxy's SOCKS5 or CONNECT
 * handshake and its credentials), "tls" (TLS to an https proxy or to the
 * provider), "http" (after the request was written: the provider's answer
 * or its body); "other" for an error before any egress (the client went
 * away, no route or proxy could be chosen) or a stage no table names.
 *
 * Buckets are whole multiples of bucket_seconds since the epoch, the last
 * one holding now, so a chart does not shift between two reloads; the
 * series covers buckets × bucket_seconds ≥ hours, rounded up to whole
 * buckets.
 */
#ifndef OMNI_HEALTH_SERIES_H
#define OMNI_HEALTH_SERIES_H

#include <stdint.h>

enum health_column {
	HEALTH_OK,
	HEALTH_DNS,
	HEALTH_CONNECT,
	HEALTH_HANDSHAKE,
	HEALTH_TLS,
	HEALTH_HTTP,
	HEALTH_TIMEOUT,
	HEALTH_OTHER,
	HEALTH_COLUMN_COUNT
};

/* The series' keys, by column: "ok", "dns", …, "other". */
extern const char *const health_column_names[HEALTH_COLUMN_COUNT];

/* The column of an outcome row with this status ("success", "error",
 * "timeout") and recorded stage ("connect", "proxy_handshake", …; NULL:
 * none). */
enum health_column health_column_of(const char *status, const char *stage);

/* The default and largest number of buckets of a series; the longest
 * window (API.md: hours clamped 1..720). */
#define HEALTH_BUCKETS_DEFAULT	24
#define HEALTH_BUCKETS_MAX	288
#define HEALTH_HOURS_MAX	720

/*
 * The buckets of a window of `hours` cut into `buckets` at the unix time
 * now: *bucket_seconds = hours × 3600 / buckets rounded up, and
 * *first_start the unix time the first bucket starts. A row at unix time t
 * falls in bucket (t - *first_start) / *bucket_seconds. hours is taken
 * within 1..HEALTH_HOURS_MAX and buckets within 1..HEALTH_BUCKETS_MAX (the
 * command refuses or clamps them before).
 */
void	health_series_window(int64_t now, long long hours, long long buckets,
	    int64_t *first_start, int64_t *bucket_seconds);

#endif
