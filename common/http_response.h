/*
 * common/http_response.h — a strict, pure parser for the HTTP/1.1 response
 * heads that upstream providers send back, and the hop-by-hop rules the relay
 * applies when it passes a response's header fields on to its client.
 *
 * The upstream side of a worker feeds it the bytes it has buffered so far; it
 * answers PARSE_MORE until a whole head (through CRLFCRLF) is present, then
 * PARSE_DONE with the status line, the headers and the body framing decided,
 * or PARSE_INVALID with error_status 502 and a message naming what was wrong.
 * It never allocates: names, values and the reason point into the caller's
 * buffer.
 *
 *   status-line = "HTTP/1." ("0" / "1") SP 3DIGIT SP reason-phrase CRLF
 *   reason      = *( HTAB / SP / VCHAR / obs-text )
 *                 ("HTTP/1.1 200" CRLF, without the SP, is taken as an
 *                 empty reason)
 *
 * Policy (egress-notes.md §3, RFC 9112 §6.3): CRLF line endings only, no NUL
 * or control characters; the header lines are read by the field core shared
 * with the request parser (http_fields.h: no obs-fold, no whitespace before
 * the colon, at most one Content-Length, digits only, bounded, and at most
 * one Transfer-Encoding, which must be exactly "chunked"; never both, not
 * even on a response that has no body). Anything a peer could read
 * differently from us is 502 and the upstream connection must not be reused.
 */
#ifndef OMNI_HTTP_RESPONSE_H
#define OMNI_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "parse.h"
#include "http_parse.h"	/* struct http_header, http_connection_lists (http_fields.h) */

enum http_response_framing {
	HTTP_RESPONSE_NO_BODY,		/* 1xx, 204, 304, or the answer to HEAD */
	HTTP_RESPONSE_LENGTH,		/* Content-Length: content_length bytes */
	HTTP_RESPONSE_CHUNKED,		/* Transfer-Encoding: chunked (chunked.h) */
	HTTP_RESPONSE_UNTIL_CLOSE,	/* neither: the body ends when upstream closes */
};

struct http_response_head {
	int		 version_minor;	/* 0 or 1 */
	int		 status;	/* 100..599, never 101 */
	const char	*reason;	/* not NUL-terminated; may be empty */
	size_t		 reason_len;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t		 header_count;
	enum http_response_framing framing;
	uint64_t	 content_length;	/* body bytes; 0 unless framing is LENGTH */
	bool		 keep_alive;	/* upstream connection reusable after the body */
	size_t		 head_len;	/* bytes consumed, including the final CRLFCRLF */
	/* set on PARSE_INVALID */
	int		 error_status;	/* always 502 */
	const char	*error_message;	/* static string, e.g. "bare CR in response head" */
};

/*
 * Parse a response head from buf[0..len). max_head caps the head size (e.g.
 * 16384); request_was_head says the request was HEAD, so no body follows
 * whatever the headers say. Returns PARSE_DONE, PARSE_MORE or PARSE_INVALID.
 *
 * A 1xx head (100 Continue, 103 Early Hints) is PARSE_DONE with that status
 * and framing NO_BODY: drain head_len bytes and parse again for the final
 * response.
 */
enum parse	http_parse_response_head(const char *buf, size_t len,
		    size_t max_head, bool request_was_head,
		    struct http_response_head *out);

/* Case-insensitive lookup of a header by name; the first one, NULL if none. */
const struct http_header *http_response_find_header(
		    const struct http_response_head *head, const char *name);

/*
 * The hop-by-hop field names of RFC 9110 §7.6.1 and the usual extras:
 * Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
 * Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade (any case).
 */
bool		http_is_hop_by_hop(const char *name, size_t len);

/*
 * The relay's own marker fields, X-OmniRoute-* (any case): written by the
 * daemon on every relayed response, so never taken from a provider's
 * response or passed on from a client's request.
 */
bool		http_is_relay_marker(const char *name, size_t len);
/*
 * A response field only the daemon writes: its markers, and the CORS grant
 * (Access-Control-*, sent only for an origin allowed_origins names). A
 * provider's own are dropped.
 */
bool		http_response_field_is_daemons(const char *name, size_t len);

/*
 * The whole forwarding decision for one field of a parsed head: true when it
 * is hop-by-hop by name or listed by any of the head's Connection headers,
 * and so must not be passed on to the client.
 */
bool		http_response_header_is_hop_by_hop(
		    const struct http_response_head *head,
		    const struct http_header *field);

#endif
