/*
 * common/http_parse.h — a strict, pure HTTP/1.1 request-head parser.
 *
 * The server side of every worker feeds it the bytes it has buffered so far; it
 * answers PARSE_MORE until a whole head (through CRLFCRLF) is present, then
 * PARSE_DONE with the request line, the headers and the body framing decided,
 * or PARSE_INVALID with an HTTP status and a message naming what was wrong.
 * It never allocates: names and values point into the caller's buffer.
 *
 * Policy (egress-notes.md §3): CRLF line endings only (bare LF, bare CR → 400),
 * no NUL or control characters; the header lines are read by the field core
 * shared with the response parser (http_fields.h: no obs-fold, no whitespace
 * before the colon, token names, exactly one Content-Length, digits only,
 * bounded, or exactly "Transfer-Encoding: chunked", never both, never on
 * HTTP/1.0). Head larger than the cap → 431 (request line alone larger → 414).
 */
#ifndef OMNI_HTTP_PARSE_H
#define OMNI_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "parse.h"
#include "http_fields.h"	/* struct http_header, HTTP_MAX_HEADERS, http_token_equals */

/*
 * Empty lines (CRLF) tolerated before the request line (RFC 9112 §2.2); one
 * more is 400. They count toward max_head and head_len, so the caller drains
 * them with the head; method and target point past them.
 */
#define HTTP_MAX_LEADING_EMPTY_LINES	4

enum http_body_framing {
	HTTP_BODY_NONE,		/* no Content-Length, no Transfer-Encoding */
	HTTP_BODY_LENGTH,	/* Content-Length: content_length bytes */
	HTTP_BODY_CHUNKED,	/* Transfer-Encoding: chunked */
};

struct http_request_head {
	const char	*method;	size_t method_len;
	const char	*target;	size_t target_len;	/* origin-form, e.g. "/api/x?y=1" */
	int		 version_minor;				/* 0 or 1 (HTTP/1.x only) */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t		 header_count;
	enum http_body_framing framing;
	uint64_t	 content_length;
	bool		 keep_alive;	/* from version and Connection header */
	size_t		 head_len;	/* bytes consumed, including the final CRLFCRLF */
	/* set on PARSE_INVALID */
	int		 error_status;	/* 400, 414, 431, 501, 505 ... */
	const char	*error_message;	/* static string, e.g. "bare LF in request head" */
};

/*
 * Parse a request head from buf[0..len). max_head is the cap on the head size
 * (e.g. 16384). Returns PARSE_DONE, PARSE_MORE or PARSE_INVALID.
 */
enum parse	http_parse_request_head(const char *buf, size_t len, size_t max_head,
		    struct http_request_head *out);

/*
 * The head was parsed from a buffer at `from` and its bytes have been copied
 * to `to`: point every field at the copy (no second parse).
 */
void		http_request_head_rebase(struct http_request_head *head, const char *from,
		    const char *to);

/* Case-insensitive lookup of a header by name; NULL when absent. */
const struct http_header *http_find_header(const struct http_request_head *head,
		    const char *name);

#endif
