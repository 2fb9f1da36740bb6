/*
 * tests/fuzz/fuzz_health_series.c — libFuzzer target for the health series'
 * decisions (common/health_series.c). The input's first 24 bytes are a unix
 * time (kept within ±2^40 s), an hours and a buckets value (any long long);
 * the rest is an outcome row's status and stage, split at the first NUL.
 * Any broken promise aborts:
 *   - the column is one of the table's, "ok" exactly for "success",
 *     "timeout" exactly for "timeout", and the same for any status but
 *     those two (an error is told by its stage alone);
 *   - the bucket size is at least 1 s, the buckets cover the (clamped)
 *     window, each starts at a whole multiple of the size, and now falls
 *     in the last one;
 *   - nothing reads past the input (AddressSanitizer: status and stage are
 *     copied into buffers of exactly their size).
 * Build: see FUZZ_TARGETS in Makefile.am.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "health_series.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
	if (!condition)
		abort();
}

static int64_t
read64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now, first, bucket, span;
	long long hours, buckets, n;
	const uint8_t *nul;
	char *status, *stage;
	size_t status_len;
	enum health_column c, as_error;

	if (size < 24)
		return 0;
	now = read64(data) % ((int64_t)1 << 40);
	hours = (long long)read64(data + 8);
	buckets = (long long)read64(data + 16);
	data += 24;
	size -= 24;

	health_series_window(now, hours, buckets, &first, &bucket);
	n = buckets < 1 ? 1 : buckets > HEALTH_BUCKETS_MAX ? HEALTH_BUCKETS_MAX : buckets;
	span = (hours < 1 ? 1 : hours > HEALTH_HOURS_MAX ? HEALTH_HOURS_MAX : hours) * 3600;
	check(bucket >= 1);
	check(bucket * n >= span && bucket * n < span + n);
	check(first % bucket == 0);
	check(first <= now && now < first + n * bucket);
	check((now - first) / bucket == n - 1);

	nul = memchr(data, '\0', size);
	status_len = nul != NULL ? (size_t)(nul - data) : size;
	status = malloc(status_len + 1);
	stage = malloc(size - status_len + 1);
	if (status == NULL || stage == NULL) {
		free(status);
		free(stage);
		return 0;
	}
	memcpy(status, data, status_len);
	status[status_len] = '\0';
	if (nul != NULL) {
		memcpy(stage, nul + 1, size - status_len - 1);
		stage[size - status_len - 1] = '\0';
	} else {
		stage[0] = '\0';
	}
	c = health_column_of(status, nul != NULL ? stage : NULL);
	as_error = health_column_of("error", nul != NULL ? stage : NULL);
	check(c >= 0 && c < HEALTH_COLUMN_COUNT && health_column_names[c] != NULL);
	check((c == HEALTH_OK) == (strcmp(status, "success") == 0));
	if (strcmp(status, "timeout") == 0)
		check(c == HEALTH_TIMEOUT);
	else if (strcmp(status, "success") != 0)
		check(c == as_error && c != HEALTH_OK && c != HEALTH_TIMEOUT);
	free(status);
	free(stage);
	return 0;
}
