/*
 * common/health_series.c — see health_series.h: the table from an outcome
 * row's status and stage to a column of a proxy's health series, and the
 * arithmetic of its buckets. No I/O.
 */
#include <stddef.h>
#include <string.h>

#include "health_series.h"

const char *const health_column_names[HEALTH_COLUMN_COUNT] = {
	[HEALTH_OK] = "ok",
	[HEALTH_DNS] = "dns",
	[HEALTH_CONNECT] = "connect",
	[HEALTH_HANDSHAKE] = "handshake",
	[HEALTH_TLS] = "tls",
	[HEALTH_HTTP] = "http",
	[HEALTH_TIMEOUT] = "timeout",
	[HEALTH_OTHER] = "other",
};

/* An error's recorded stage (worker/upstream_result.c's names) → column. */
static const struct {
	const char		*stage;
	enum health_column	 column;
} error_stages[] = {
	{ "dns",		HEALTH_DNS },
	{ "connect",		HEALTH_CONNECT },
	{ "proxy_tls",		HEALTH_TLS },
	{ "proxy_handshake",	HEALTH_HANDSHAKE },
	{ "tls",		HEALTH_TLS },
	{ "response",		HEALTH_HTTP },
	{ "body",		HEALTH_HTTP },
	{ "done",		HEALTH_HTTP },
};

enum health_column
health_column_of(const char *status, const char *stage)
{
	size_t i;

	if (status != NULL && strcmp(status, "success") == 0)
		return HEALTH_OK;
	if (status != NULL && strcmp(status, "timeout") == 0)
		return HEALTH_TIMEOUT;
	for (i = 0; stage != NULL && i < sizeof(error_stages) / sizeof(error_stages[0]); i++)
		if (strcmp(stage, error_stages[i].stage) == 0)
			return error_stages[i].column;
	return HEALTH_OTHER;
}

void
health_series_window(int64_t now, long long hours, long long buckets,
    int64_t *first_start, int64_t *bucket_seconds)
{
	int64_t span = (int64_t)(hours < 1 ? 1 : hours > HEALTH_HOURS_MAX ?
	    HEALTH_HOURS_MAX : hours) * 3600;
	int64_t n = buckets < 1 ? 1 : buckets > HEALTH_BUCKETS_MAX ?
	    HEALTH_BUCKETS_MAX : buckets;
	int64_t size = (span + n - 1) / n;
	int64_t last_start = now - (now % size + size) % size;

	*bucket_seconds = size;
	*first_start = last_start - (n - 1) * size;
}
