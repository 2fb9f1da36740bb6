/*
 * tests/fuzz/fuzz_head.h — what the head-parser fuzz targets share
 * (fuzz_http_parse, fuzz_http_response, fuzz_http_fields): abort on a broken
 * promise, pointer bounds, the promises every parsed head keeps whatever its
 * start line (length within the buffer and the cap, the CRLFCRLF end, fields
 * pointing into the head with no CR or LF in a value; a refused or complete
 * prefix keeping its answer as bytes arrive), and the run of one
 * input under the usual head caps on an exact-size copy, so that any read
 * past the input is an ASan report.
 */
#ifndef OMNI_FUZZ_HEAD_H
#define OMNI_FUZZ_HEAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_fields.h"

static inline void
check(bool condition)
{
	if (!condition)
		abort();
}

static inline bool
inside(const char *p, size_t len, const char *buf, size_t buf_len)
{
	return p >= buf && len <= buf_len && (size_t)(p - buf) <= buf_len - len;
}

/* A head parsed as PARSE_DONE from buf[0..len) under max_head. */
static inline void
check_head_fields(const char *buf, size_t len, size_t max_head,
    size_t head_len, const struct http_header *headers, size_t count)
{
	size_t i;

	check(head_len <= len && head_len <= max_head);
	check(head_len >= 4);
	check(memcmp(buf + head_len - 4, "\r\n\r\n", 4) == 0);
	check(count <= HTTP_MAX_HEADERS);
	for (i = 0; i < count; i++) {
		const struct http_header *h = &headers[i];

		check(h->name_len > 0);
		check(inside(h->name, h->name_len, buf, head_len));
		check(inside(h->value, h->value_len, buf, head_len));
		check(h->value > h->name);
		check(memchr(h->value, '\r', h->value_len) == NULL);
		check(memchr(h->value, '\n', h->value_len) == NULL);
	}
}

/* What one parse of a head answered. */
struct head_answer {
	enum parse	 result;
	size_t		 head_len;	/* PARSE_DONE */
	const char	*message;	/* PARSE_INVALID */
};

/*
 * The promises about answers every head parser keeps: PARSE_MORE only while
 * fewer than max_head bytes are buffered; a prefix already refused stays
 * refused (for the same reason, where the parser promises that), and one
 * already complete stays complete with the same length, however many bytes
 * follow.
 */
static inline void
check_answers(const struct head_answer *whole, const struct head_answer *prefix,
    size_t len, size_t max_head, bool same_reason)
{
	if (whole->result == PARSE_MORE)
		check(len < max_head);
	if (prefix->result == PARSE_INVALID)
		check(whole->result == PARSE_INVALID && (!same_reason ||
		    strcmp(prefix->message, whole->message) == 0));
	if (prefix->result == PARSE_DONE)
		check(whole->result == PARSE_DONE &&
		    whole->head_len == prefix->head_len);
}

/* check_cap on one input under a generous, exact, half, small and no cap. */
static inline void
fuzz_under_caps(const uint8_t *data, size_t size,
    void (*check_cap)(const char *buf, size_t len, size_t max_head))
{
	char *buf = malloc(size > 0 ? size : 1);

	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	check_cap(buf, size, 16384);
	check_cap(buf, size, size);
	check_cap(buf, size, size / 2);
	check_cap(buf, size, 64);
	check_cap(buf, size, 0);
	free(buf);
}

#endif
