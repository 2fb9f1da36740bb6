/*
 * common/util.c — the helpers of util.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "util.h"

/*
 * Random bytes for ids, drawn from OpenSSL's generator 4 KiB at a time (one
 * RAND_bytes call per 256 ids instead of one each: ids are made per request).
 * A forked child starts with an empty pool, so no two processes hand out
 * the same bytes.
 */
static struct {
	unsigned char	 bytes[4096];
	size_t		 left;
	int		 atfork_set;
} id_pool;

static void
id_pool_forget(void)
{
	explicit_bzero(id_pool.bytes, sizeof(id_pool.bytes));
	id_pool.left = 0;
}

static int
id_random(unsigned char *out, size_t len)
{
	if (!id_pool.atfork_set) {
		if (pthread_atfork(NULL, NULL, id_pool_forget) != 0)
			return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
		id_pool.atfork_set = 1;
	}
	if (id_pool.left < len) {
		if (RAND_bytes(id_pool.bytes, sizeof(id_pool.bytes)) != 1)
			return -1;
		id_pool.left = sizeof(id_pool.bytes);
	}
	id_pool.left -= len;
	memcpy(out, id_pool.bytes + id_pool.left, len);
	explicit_bzero(id_pool.bytes + id_pool.left, len);
	return 0;
}

int
uuid_v4(char out[UUID_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, o = 0;

	if (id_random(b, sizeof(b)) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
	return 0;
}

static void
format_iso(const struct timespec *ts, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts->tv_nsec / 1000000L);
}

void
iso_time_now(char *out, size_t outlen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	format_iso(&ts, out, outlen);
}

void
iso_time_ago(char *out, size_t outlen, long seconds_ago)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= seconds_ago;
	format_iso(&ts, out, outlen);
}

void
iso_time_at(char *out, size_t outlen, int64_t unix_seconds)
{
	struct timespec ts = { .tv_sec = (time_t)unix_seconds, .tv_nsec = 0 };

	format_iso(&ts, out, outlen);
}

uint64_t
monotonic_ms(void)
{
	return monotonic_us() / 1000u;
}

uint64_t
fnv1a64(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * FNV1A64_PRIME;
	return h;
}

uint64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool
secret_equals(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

size_t
str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return 0;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		abort();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size == 0 ? 1 : size);

	if (q == NULL)
		abort();
	return q;
}

int
mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -1;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

int64_t
iso8601_seconds(const char *s, size_t len, enum iso_zone *zone)
{
	struct tm tm;
	const char *p;
	int64_t t, offset = 0;
	size_t i;
	int sign;

	*zone = ISO_ZONE_NONE;
	if (len < 19 || len > 40 || strnlen(s, len) != len)
		return -1;
	for (i = 0; i < 19; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : i == 10 ? s[i] != 'T' :
		    i == 13 || i == 16 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) != s + 19)
		return -1;
	p = s + 19;
	if (p < s + len && *p == '.') {
		for (p++; p < s + len && *p >= '0' && *p <= '9'; p++)
			;
		if (p == s + 20)
			return -1;
	}
	if (p < s + len && *p == 'Z') {
		*zone = ISO_ZONE_UTC;
		p++;
	} else if (p < s + len && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		if ((size_t)(s + len - p) != 6 || p[3] != ':' || p[1] < '0' || p[1] > '2' ||
		    p[2] < '0' || p[2] > '9' || p[4] < '0' || p[4] > '5' ||
		    p[5] < '0' || p[5] > '9')
			return -1;
		offset = sign * (((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		    ((p[4] - '0') * 10 + (p[5] - '0')) * 60);
		*zone = offset == 0 ? ISO_ZONE_UTC : ISO_ZONE_OFFSET;
		p += 6;
	}
	if (p != s + len)
		return -1;
	t = (int64_t)timegm(&tm);
	return t < 0 ? -1 : t - offset;
}

int64_t
rfc3339_utc_seconds(const char *s)
{
	enum iso_zone zone;
	int64_t t = iso8601_seconds(s, strlen(s), &zone);

	return t > 0 && zone == ISO_ZONE_UTC ? t : 0;
}
