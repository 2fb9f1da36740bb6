/*
 * common/http_lex.h — the byte classes and small scanners that the request
 * parser (http_parse.c) and the response parser (http_response.c) share:
 * RFC 9110 character classes, token checks, where a CRLF-terminated line
 * ends, and the walk over a comma-separated list value. They look only at
 * the bytes they are given and keep no state, so both parsers read a head
 * the same way. Internal to those parsers: public headers do not include it.
 */
#ifndef OMNI_HTTP_LEX_H
#define OMNI_HTTP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

enum line_end {
	LINE_COMPLETE,		/* content followed by CRLF */
	LINE_PARTIAL,		/* the buffer ended before CRLF */
	LINE_BARE_LF,		/* content followed by LF without CR */
	LINE_BARE_CR,		/* content followed by CR and something but LF */
};

static inline unsigned char
ascii_lower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c - 'A' + 'a');
	return c;
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alpha(unsigned char c)
{
	c = ascii_lower(c);
	return c >= 'a' && c <= 'z';
}

/*
 * tchar, RFC 9110 §5.6.2: ALPHA / DIGIT / "!#$%&'*+-.^_`|~", as a bit per
 * byte value below 128 (every header name byte goes through here).
 */
static inline bool
is_tchar(unsigned char c)
{
	static const unsigned long long below_64 = 0x03ff6cfa00000000ULL;
	static const unsigned long long below_128 = 0x57ffffffc7fffffeULL;

	if (c < 64)
		return (below_64 >> c) & 1;
	if (c < 128)
		return (below_128 >> (c - 64)) & 1;
	return false;
}

/* VCHAR: visible US-ASCII */
static inline bool
is_vchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

static inline bool
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * field-content (RFC 9110 §5.5) and reason-phrase (RFC 9112 §4) bytes:
 * VCHAR, SP, HTAB and obs-text.
 */
static inline bool
is_field_byte(unsigned char c)
{
	return is_vchar(c) || is_ows(c) || c >= 0x80;
}

/* token = 1*tchar */
static inline bool
is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* Case-insensitive compare of two (ptr,len) tokens. */
static inline bool
same_token(const char *a, size_t a_len, const char *b, size_t b_len)
{
	size_t i;

	if (a_len != b_len)
		return false;
	for (i = 0; i < a_len; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/*
 * Find where the line starting at p ends, looking at no more than n bytes.
 * *content_len is the length of the line before its terminator (or before
 * the offending byte, or all n bytes when the line is still open).
 */
static inline enum line_end
find_line_end(const char *p, size_t n, size_t *content_len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			*content_len = i;
			return LINE_BARE_LF;
		}
		if (p[i] == '\r') {
			*content_len = i;
			if (i + 1 == n)
				return LINE_PARTIAL;
			return p[i + 1] == '\n' ? LINE_COMPLETE : LINE_BARE_CR;
		}
	}
	*content_len = n;
	return LINE_PARTIAL;
}

/*
 * One element of a comma-separated list value starting at pos, OWS trimmed;
 * returns the position after its comma (len after the last element).
 */
static inline size_t
next_list_element(const char *value, size_t len, size_t pos,
    const char **element, size_t *element_len)
{
	size_t start, end;

	while (pos < len && is_ows((unsigned char)value[pos]))
		pos++;
	start = pos;
	while (pos < len && value[pos] != ',')
		pos++;
	end = pos;
	while (end > start && is_ows((unsigned char)value[end - 1]))
		end--;
	*element = value + start;
	*element_len = end - start;
	return pos < len ? pos + 1 : pos;	/* past the comma */
}

#endif
