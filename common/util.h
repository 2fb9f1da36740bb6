/*
 * common/util.h — small helpers every program needs: UUIDs, ISO-8601 times,
 * monotonic milliseconds, bounded string copies, constant-time compare.
 */
#ifndef OMNI_UTIL_H
#define OMNI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN	37	/* 36 + NUL */
#define ISO_TIME_LEN	32

/* Random version-4 UUID, lowercase. 0 ok, -1 when the RNG failed. */
int	 uuid_v4(char out[UUID_STR_LEN]);
/* "2026-11-26T11:02:21.123Z" */
void	 iso_time_now(char *out, size_t outlen);
/* The ISO time of (now - seconds_ago). */
void	 iso_time_ago(char *out, size_t outlen, long seconds_ago);
/* The ISO time of a unix time (whole seconds: ".000Z"). */
void	 iso_time_at(char *out, size_t outlen, int64_t unix_seconds);
/* Where an ISO 8601 time said it was: no zone, UTC ("Z" or an offset of
 * zero), or another offset. */
enum iso_zone { ISO_ZONE_NONE, ISO_ZONE_UTC, ISO_ZONE_OFFSET };
/*
 * s[0..len): "YYYY-MM-DDTHH:MM:SS", an optional fraction, then "Z",
 * "+HH:MM", "-HH:MM" or nothing → seconds since the epoch with the offset
 * applied (no zone reads as UTC), and *zone; -1 when it is not such a time.
 */
int64_t	 iso8601_seconds(const char *s, size_t len, enum iso_zone *zone);
/* "2025-02-19T00:00:00Z" or "…+00:00" (RFC 3339, UTC, optional fraction)
 * → seconds since the epoch; 0 when s is not such a time. */
int64_t	 rfc3339_utc_seconds(const char *s);
/* FNV-1a, 64 bits: fnv1a64(FNV1A64_OFFSET, s) hashes s; a running hash
 * goes on from h. In-memory keys only, never a secret's protection. */
#define FNV1A64_OFFSET	14695981039346656037ULL
#define FNV1A64_PRIME	1099511628211ULL
uint64_t fnv1a64(uint64_t h, const char *s);
uint64_t monotonic_ms(void);
uint64_t monotonic_us(void);
/* Compare two strings in time that depends only on their lengths. */
bool	 secret_equals(const char *a, const char *b);
/* Copy src into dst of size bytes, cut to fit, always terminated; the length copied. */
size_t	 str_copy(char *dst, size_t size, const char *src);
/* strdup that aborts on out-of-memory (callers then need no NULL checks). */
char	*xstrdup(const char *s);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t size);
/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or values above U+10FFFF. */
bool	 utf8_valid(const char *s, size_t len);
/* Value of one hex digit (either case), or -1. */
int	 hex_digit_value(char c);
/* Make a directory and its parents (mode 0700 for created ones). */
int	 mkdir_p(const char *path);

#endif
