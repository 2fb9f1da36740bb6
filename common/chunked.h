/*
 * common/chunked.h — an incremental framer for chunked message bodies
 * (RFC 9112 §7.1). The relay streams a chunked response through unchanged;
 * this only follows along, counting, to learn where the body ends, so that
 * bytes after it are never taken for body and a malformed body is caught; a
 * chunked request body is decoded by the same machine (chunked_decode). It
 * never allocates, and all its state lives in struct chunked_state,
 * so buffers may be split anywhere, even inside a size or a CRLF.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG             (at most 16 significant digits)
 *   chunk-ext    = *( BWS ";" ... )     (bounded, see CHUNKED_MAX_SIZE_LINE)
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *   trailer-section = *( field-line CRLF )
 */
#ifndef OMNI_CHUNKED_H
#define OMNI_CHUNKED_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "parse.h"

/* chunk-size with its chunk-ext (leading zeros included), CRLF excluded */
#define CHUNKED_MAX_SIZE_LINE	4096
/* all trailer field lines with their CRLFs, the final CRLF excluded */
#define CHUNKED_MAX_TRAILER	8192
/* significant hex digits of a chunk-size: 16 fill a uint64_t */
#define CHUNKED_MAX_SIZE_DIGITS	16

enum chunked_step {
	CHUNKED_SIZE,		/* hex digits of a chunk-size */
	CHUNKED_SIZE_BWS,	/* whitespace after the digits, before ';' */
	CHUNKED_EXT,		/* chunk-ext bytes up to CR */
	CHUNKED_SIZE_LF,	/* the LF ending the size line */
	CHUNKED_DATA,		/* chunk-data; chunk_remaining bytes left */
	CHUNKED_DATA_CR,	/* the CRLF after chunk-data */
	CHUNKED_DATA_LF,
	CHUNKED_TRAILER_START,	/* a trailer field line, or the final CRLF */
	CHUNKED_TRAILER_NAME,
	CHUNKED_TRAILER_VALUE,
	CHUNKED_TRAILER_LF,	/* the LF ending a trailer field line */
	CHUNKED_END_LF,		/* the LF of the final CRLF */
	CHUNKED_DONE,
	CHUNKED_INVALID,
};

struct chunked_state {
	enum chunked_step step;
	uint64_t	 chunk_remaining;	/* size being read, then data left */
	uint64_t	 body_bytes;		/* chunk-data bytes seen so far */
	size_t		 size_digits;		/* significant digits of this size */
	size_t		 line_len;		/* bytes of this size line so far */
	bool		 size_has_digit;	/* at least one hex digit, zeros too */
	size_t		 trailer_len;		/* trailer section bytes so far */
	const char	*error_message;		/* static string, on PARSE_INVALID */
};

void		chunked_init(struct chunked_state *st);

/*
 * Follow buf[0..len) as the next bytes of the body. PARSE_MORE: all of buf
 * belongs to the body, which is not finished (*consumed = len). PARSE_DONE:
 * the body ended after *consumed bytes of buf, at the final CRLF; the rest
 * belongs to what comes next. PARSE_INVALID: the byte at buf[*consumed] can
 * never continue a chunked body; st->error_message names why. DONE and
 * INVALID are final: later calls repeat them with *consumed = 0.
 */
enum parse	chunked_feed(struct chunked_state *st, const char *buf, size_t len,
		    size_t *consumed);

/*
 * chunked_feed that also copies the chunk-data bytes of buf[0..*consumed) to
 * out, *out_len of them. out must have room for len bytes (a body's payload
 * is never longer than its framing). The server uses it to take a chunked
 * request body whole.
 */
enum parse	chunked_decode(struct chunked_state *st, const char *buf, size_t len,
		    size_t *consumed, char *out, size_t *out_len);

/* chunk-data bytes seen so far (the payload, without framing). */
uint64_t	chunked_body_bytes(const struct chunked_state *st);

#endif
