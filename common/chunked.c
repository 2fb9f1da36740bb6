/*
 * common/chunked.c — follows a chunked body as it streams through the relay,
 * byte by byte outside chunk-data and in one step across it, to find where
 * the body ends and to refuse a body that a client could frame differently.
 * Every decision depends only on the state and the current byte, so the
 * answer never depends on how the stream was split into buffers.
 *
 * Decisions a caller relies on (see also chunked.h):
 *   - Line endings are CRLF only. A bare LF or a bare CR anywhere in the
 *     framing (size line, after chunk-data, trailer section) is invalid, so
 *     the relay never agrees with one peer that a line ended where another
 *     peer sees none.
 *   - chunk-size: one or more hex digits of either case; leading zeros are
 *     allowed and do not count toward the 16 significant digits a uint64_t
 *     holds (more is "chunk size too large"). An empty size is invalid.
 *   - chunk-ext: optional whitespace after the digits is allowed only before
 *     ';' ("5 \r\n" is invalid, as in the RFC grammar). After the ';' any
 *     field bytes (HTAB, SP, VCHAR, obs-text) up to CR are accepted without
 *     checking the name=value grammar: no control character, and so no CR or
 *     LF hidden in a quoted string, can get through. The whole size line,
 *     digits and extension, is bounded by CHUNKED_MAX_SIZE_LINE.
 *   - chunk-data must be followed by CRLF at once ("missing CRLF after chunk
 *     data" otherwise).
 *   - Trailer fields are checked as header lines (token name, colon, no
 *     whitespace before it, no obs-fold, field bytes only) and bounded in
 *     total by CHUNKED_MAX_TRAILER; they are passed through, not interpreted.
 */
#include <string.h>

#include "chunked.h"

static bool
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_vchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* field-content bytes: VCHAR, SP, HTAB and obs-text (RFC 9110 §5.5) */
static bool
is_field_byte(unsigned char c)
{
	return is_vchar(c) || is_ows(c) || c >= 0x80;
}

/* tchar, RFC 9110 §5.6.2 */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The value of a hex digit, or -1. */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
fail(struct chunked_state *st, const char *message)
{
	st->step = CHUNKED_INVALID;
	st->error_message = message;
	return false;
}

/* Ready for the next chunk-size line. */
static void
start_size_line(struct chunked_state *st)
{
	st->step = CHUNKED_SIZE;
	st->chunk_remaining = 0;
	st->size_digits = 0;
	st->size_has_digit = false;
	st->line_len = 0;
}

void
chunked_init(struct chunked_state *st)
{
	memset(st, 0, sizeof(*st));
	start_size_line(st);
}

uint64_t
chunked_body_bytes(const struct chunked_state *st)
{
	return st->body_bytes;
}

/* One byte of the size line: chunk-size, BWS, chunk-ext, CR. */
static bool
size_line_byte(struct chunked_state *st, unsigned char c)
{
	int digit;

	if (c == '\n')
		return fail(st, "bare LF in chunk size line");
	if (c == '\r') {
		if (!st->size_has_digit)
			return fail(st, "empty chunk size");
		if (st->step == CHUNKED_SIZE_BWS)
			return fail(st, "whitespace after chunk size");
		st->step = CHUNKED_SIZE_LF;
		return true;
	}
	if (++st->line_len > CHUNKED_MAX_SIZE_LINE)
		return fail(st, "chunk size line too long");

	switch (st->step) {
	case CHUNKED_SIZE:
		if ((digit = hex_value(c)) >= 0) {
			if (st->chunk_remaining != 0 || digit != 0)
				st->size_digits++;
			if (st->size_digits > CHUNKED_MAX_SIZE_DIGITS)
				return fail(st, "chunk size too large");
			st->chunk_remaining = st->chunk_remaining * 16 +
			    (uint64_t)digit;
			st->size_has_digit = true;
			return true;
		}
		if (!st->size_has_digit && (c == ';' || is_ows(c)))
			return fail(st, "empty chunk size");
		if (c == ';')
			st->step = CHUNKED_EXT;
		else if (is_ows(c))
			st->step = CHUNKED_SIZE_BWS;
		else
			return fail(st, "invalid character in chunk size");
		return true;
	case CHUNKED_SIZE_BWS:
		if (c == ';')
			st->step = CHUNKED_EXT;
		else if (!is_ows(c))
			return fail(st, "invalid character in chunk size");
		return true;
	default:	/* CHUNKED_EXT */
		if (!is_field_byte(c))
			return fail(st, "control character in chunk extension");
		return true;
	}
}

/* One byte of the trailer section, except the CR that starts its final CRLF. */
static bool
trailer_byte(struct chunked_state *st, unsigned char c)
{
	if (++st->trailer_len > CHUNKED_MAX_TRAILER)
		return fail(st, "trailer section too large");

	switch (st->step) {
	case CHUNKED_TRAILER_START:
		if (c == '\n')
			return fail(st, "bare LF in trailer section");
		if (is_ows(c))
			return fail(st, "obsolete line folding in trailer section");
		if (c == ':')
			return fail(st, "empty trailer field name");
		if (!is_tchar(c))
			return fail(st, "invalid character in trailer field name");
		st->step = CHUNKED_TRAILER_NAME;
		return true;
	case CHUNKED_TRAILER_NAME:
		if (c == ':')
			st->step = CHUNKED_TRAILER_VALUE;
		else if (is_ows(c))
			return fail(st, "whitespace before colon in trailer field");
		else if (c == '\r' || c == '\n')
			return fail(st, "trailer field has no colon");
		else if (!is_tchar(c))
			return fail(st, "invalid character in trailer field name");
		return true;
	case CHUNKED_TRAILER_VALUE:
		if (c == '\r')
			st->step = CHUNKED_TRAILER_LF;
		else if (c == '\n')
			return fail(st, "bare LF in trailer section");
		else if (!is_field_byte(c))
			return fail(st, "control character in trailer field");
		return true;
	default:	/* CHUNKED_TRAILER_LF */
		if (c != '\n')
			return fail(st, "bare CR in trailer section");
		st->step = CHUNKED_TRAILER_START;
		return true;
	}
}

/* Advance over one framing byte (anything but chunk-data). */
static bool
framing_byte(struct chunked_state *st, unsigned char c)
{
	switch (st->step) {
	case CHUNKED_SIZE:
	case CHUNKED_SIZE_BWS:
	case CHUNKED_EXT:
		return size_line_byte(st, c);
	case CHUNKED_SIZE_LF:
		if (c != '\n')
			return fail(st, "bare CR in chunk size line");
		if (st->chunk_remaining == 0)
			st->step = CHUNKED_TRAILER_START;
		else
			st->step = CHUNKED_DATA;
		return true;
	case CHUNKED_DATA_CR:
		if (c != '\r')
			return fail(st, "missing CRLF after chunk data");
		st->step = CHUNKED_DATA_LF;
		return true;
	case CHUNKED_DATA_LF:
		if (c != '\n')
			return fail(st, "missing CRLF after chunk data");
		start_size_line(st);
		return true;
	case CHUNKED_TRAILER_START:
		if (c == '\r') {
			st->step = CHUNKED_END_LF;
			return true;
		}
		return trailer_byte(st, c);
	case CHUNKED_TRAILER_NAME:
	case CHUNKED_TRAILER_VALUE:
	case CHUNKED_TRAILER_LF:
		return trailer_byte(st, c);
	case CHUNKED_END_LF:
		if (c != '\n')
			return fail(st, "bare CR in trailer section");
		st->step = CHUNKED_DONE;
		return true;
	default:	/* DATA, DONE and INVALID are handled by the caller */
		return fail(st, "chunked framer misused");
	}
}

/* The one loop of feed and decode: out NULL only follows along. */
static enum parse
run(struct chunked_state *st, const char *buf, size_t len, size_t *consumed, char *out,
    size_t *out_len)
{
	size_t pos = 0;

	*consumed = 0;
	if (out_len != NULL)
		*out_len = 0;
	if (st->step == CHUNKED_DONE)
		return PARSE_DONE;
	if (st->step == CHUNKED_INVALID)
		return PARSE_INVALID;

	while (pos < len) {
		if (st->step == CHUNKED_DATA) {
			uint64_t take = len - pos;

			if (take > st->chunk_remaining)
				take = st->chunk_remaining;
			if (out != NULL) {
				memcpy(out + *out_len, buf + pos, (size_t)take);
				*out_len += (size_t)take;
			}
			pos += (size_t)take;
			st->body_bytes += take;
			st->chunk_remaining -= take;
			if (st->chunk_remaining == 0)
				st->step = CHUNKED_DATA_CR;
			continue;
		}
		if (!framing_byte(st, (unsigned char)buf[pos])) {
			*consumed = pos;
			return PARSE_INVALID;
		}
		pos++;
		if (st->step == CHUNKED_DONE) {
			*consumed = pos;
			return PARSE_DONE;
		}
	}
	*consumed = len;
	return PARSE_MORE;
}

enum parse
chunked_feed(struct chunked_state *st, const char *buf, size_t len,
    size_t *consumed)
{
	return run(st, buf, len, consumed, NULL, NULL);
}

enum parse
chunked_decode(struct chunked_state *st, const char *buf, size_t len,
    size_t *consumed, char *out, size_t *out_len)
{
	return run(st, buf, len, consumed, out, out_len);
}
