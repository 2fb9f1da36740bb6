/*
 * common/http_parse.c — the strict HTTP/1.1 request-head parser every worker
 * runs on the bytes a client has sent so far. It decides, from the buffer
 * alone, whether a whole head is present, what the request line and headers
 * are, and how the body is framed; or it names the first thing that makes the
 * head unacceptable. It keeps no state between calls and never allocates:
 * each call rescans buf from the start and the results point into it.
 *
 * The head is read line by line. Every line is checked as far as it has
 * arrived, so a head that can no longer become valid is refused at once
 * instead of after CRLFCRLF; the first fault in byte order wins. Framing
 * headers are judged as each header line completes (duplicates, CL with TE,
 * TE on HTTP/1.0), the missing-Host rule once the whole head is present.
 *
 * Decisions a caller relies on (see also http_parse.h):
 *   - Up to HTTP_MAX_LEADING_EMPTY_LINES CRLFs before the request line are
 *     skipped (RFC 9112 §2.2) and counted in head_len; one more is 400.
 *   - max_head bounds head_len. Once len >= max_head and no complete head lies
 *     in the first max_head bytes the answer is 431, or 414 when not even the
 *     request line ended there; bytes past max_head are never looked at.
 *   - The request-target must be origin-form ("/..."), or "*" with OPTIONS;
 *     absolute-form and authority-form are 400.
 *   - Transfer-Encoding must be exactly "chunked" (any case). A well-formed
 *     list that ends in one "chunked" after other codings ("gzip, chunked") is
 *     501, as RFC 9112 §6.1 asks for codings we do not implement; any other
 *     value, including a lone "gzip" (chunked not final, RFC 9112 §6.3), is
 *     400.
 *   - A Host header, when present, may hold only host and port characters;
 *     more than one Host is 400 in HTTP/1.0 too.
 *   - On PARSE_INVALID only error_status and error_message are meaningful.
 */
#include <string.h>

#include "http_parse.h"
#include "http_lex.h"

#define HTTP_CONTENT_LENGTH_MAX_DIGITS	18

/* What the header lines said so far, for the framing and Host rules. */
struct header_facts {
	bool	 have_content_length;
	bool	 have_transfer_encoding;
	bool	 have_host;
	bool	 connection_close;
	bool	 connection_keep_alive;
};

static enum parse
fail(struct http_request_head *out, int status, const char *message)
{
	out->error_status = status;
	out->error_message = message;
	return PARSE_INVALID;
}

/* A byte that does not belong where it is; NUL gets its own message. */
static enum parse
reject_byte(struct http_request_head *out, unsigned char c, const char *message)
{
	if (c == '\0')
		return fail(out, 400, "NUL in request head");
	return fail(out, 400, message);
}

/*
 * The line ended before the grammar was satisfied: fatal when the line is
 * complete, otherwise the rest may still arrive.
 */
static enum parse
truncated(bool complete, struct http_request_head *out, const char *message)
{
	if (complete)
		return fail(out, 400, message);
	return PARSE_MORE;
}

/* uri-host [ ":" port ]: reg-name, IPv4 and IP-literal characters */
static bool
is_host_byte(unsigned char c)
{
	if (is_alpha(c) || is_digit(c))
		return true;
	return c != '\0' && strchr("-._~%!$&'()*+,;=:[]", c) != NULL;
}

bool
http_token_equals(const char *s, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lit[i] == '\0')
			return false;
		if (ascii_lower((unsigned char)s[i]) !=
		    ascii_lower((unsigned char)lit[i]))
			return false;
	}
	return lit[len] == '\0';
}

void
http_request_head_rebase(struct http_request_head *head, const char *from, const char *to)
{
	size_t i;

#define MOVE(p)	((p) = (p) != NULL ? to + ((p) - from) : NULL)
	MOVE(head->method);
	MOVE(head->target);
	for (i = 0; i < head->header_count; i++) {
		MOVE(head->headers[i].name);
		MOVE(head->headers[i].value);
	}
#undef MOVE
}

const struct http_header *
http_find_header(const struct http_request_head *head, const char *name)
{
	size_t i;

	for (i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];

		if (http_token_equals(h->name, h->name_len, name))
			return h;
	}
	return NULL;
}

/*
 *   request-line = method SP request-target SP HTTP-version
 *   method       = token
 *   target       = "/" *VCHAR  |  "*" (OPTIONS only)
 *   HTTP-version = "HTTP/" DIGIT "." DIGIT       (1.0 and 1.1 accepted)
 * line[0..n) is the line so far without CRLF; complete says whether CRLF
 * followed it.
 */
static enum parse
parse_request_line(const char *line, size_t n, bool complete,
    struct http_request_head *out)
{
	static const char version_shape[] = "HTTP/#.#";	/* '#' is a digit */
	const size_t version_len = sizeof(version_shape) - 1;
	size_t i, start, k;

	for (i = 0; i < n && is_tchar((unsigned char)line[i]); i++)
		;
	if (i < n && line[i] != ' ')
		return reject_byte(out, (unsigned char)line[i],
		    "invalid character in method");
	if (i < n && i == 0)
		return fail(out, 400, "empty method");
	if (i == n)
		return truncated(complete, out, "request line has no request-target");
	out->method = line;
	out->method_len = i;
	i++;

	start = i;
	if (i == n)
		return truncated(complete, out, "request line has no request-target");
	if (line[i] == ' ')
		return fail(out, 400, "extra whitespace in request line");
	if (line[i] != '/' && line[i] != '*') {
		if (is_vchar((unsigned char)line[i]))
			return fail(out, 400, "request-target is not origin-form");
		return reject_byte(out, (unsigned char)line[i],
		    "invalid character in request-target");
	}
	for (; i < n && is_vchar((unsigned char)line[i]); i++)
		;
	if (i < n && line[i] != ' ')
		return reject_byte(out, (unsigned char)line[i],
		    "invalid character in request-target");
	out->target = line + start;
	out->target_len = i - start;
	if (out->target[0] == '*') {
		if (out->target_len > 1)
			return fail(out, 400, "invalid asterisk-form request-target");
		/* methods are case-sensitive */
		if (i < n && (out->method_len != 7 ||
		    memcmp(out->method, "OPTIONS", 7) != 0))
			return fail(out, 400,
			    "asterisk-form request-target without OPTIONS");
	}
	if (i == n)
		return truncated(complete, out, "request line has no HTTP version");
	i++;

	start = i;
	for (k = 0; start + k < n; k++) {
		unsigned char c = (unsigned char)line[start + k];

		if (k == 0 && c == ' ')
			return fail(out, 400, "extra whitespace in request line");
		if (k >= version_len)
			return reject_byte(out, c, "malformed HTTP version");
		if (version_shape[k] == '#' ? !is_digit(c) : c != version_shape[k])
			return reject_byte(out, c, "malformed HTTP version");
	}
	if (n - start < version_len || !complete)
		return truncated(complete, out, "malformed HTTP version");
	if (line[start + 5] != '1' || line[start + 7] > '1')
		return fail(out, 505, "HTTP version not supported");
	out->version_minor = line[start + 7] - '0';
	return PARSE_DONE;
}

static enum parse
apply_content_length(const struct http_header *h, struct header_facts *facts,
    struct http_request_head *out)
{
	uint64_t length = 0;
	size_t i;

	if (facts->have_content_length)
		return fail(out, 400, "duplicate Content-Length");
	if (facts->have_transfer_encoding)
		return fail(out, 400, "both Transfer-Encoding and Content-Length");
	if (h->value_len == 0 || h->value_len > HTTP_CONTENT_LENGTH_MAX_DIGITS)
		return fail(out, 400, "invalid Content-Length");
	for (i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];

		if (!is_digit(c))
			return fail(out, 400, "invalid Content-Length");
		length = length * 10 + (uint64_t)(c - '0');
	}
	facts->have_content_length = true;
	out->framing = HTTP_BODY_LENGTH;
	out->content_length = length;
	return PARSE_DONE;
}

/*
 * Only "chunked" is accepted. Anything else is classified so the client gets
 * the status RFC 9112 names: 501 for codings we do not implement stacked
 * under a final chunked, 400 for the rest.
 */
static enum parse
apply_transfer_encoding(const struct http_header *h, struct header_facts *facts,
    struct http_request_head *out)
{
	const char *element;
	size_t element_len, pos = 0, chunked_count = 0;
	bool last_is_chunked = false;

	if (out->version_minor == 0)
		return fail(out, 400, "Transfer-Encoding in HTTP/1.0 request");
	if (facts->have_transfer_encoding)
		return fail(out, 400, "duplicate Transfer-Encoding");
	if (facts->have_content_length)
		return fail(out, 400, "both Transfer-Encoding and Content-Length");
	if (http_token_equals(h->value, h->value_len, "chunked")) {
		facts->have_transfer_encoding = true;
		out->framing = HTTP_BODY_CHUNKED;
		return PARSE_DONE;
	}
	do {
		pos = next_list_element(h->value, h->value_len, pos, &element,
		    &element_len);
		if (!is_token(element, element_len))
			return fail(out, 400, "invalid Transfer-Encoding");
		last_is_chunked = http_token_equals(element, element_len,
		    "chunked");
		if (last_is_chunked)
			chunked_count++;
	} while (pos < h->value_len);
	if (h->value_len > 0 && h->value[h->value_len - 1] == ',')
		return fail(out, 400, "invalid Transfer-Encoding");
	if (chunked_count > 1)
		return fail(out, 400, "chunked applied more than once");
	if (!last_is_chunked)
		return fail(out, 400, "chunked is not the final transfer coding");
	return fail(out, 501, "unsupported transfer coding");
}

static enum parse
apply_host(const struct http_header *h, struct header_facts *facts,
    struct http_request_head *out)
{
	size_t i;

	if (facts->have_host)
		return fail(out, 400, "duplicate Host header");
	for (i = 0; i < h->value_len; i++)
		if (!is_host_byte((unsigned char)h->value[i]))
			return fail(out, 400, "invalid Host header");
	facts->have_host = true;
	return PARSE_DONE;
}

static enum parse
apply_connection(const struct http_header *h, struct header_facts *facts)
{
	const char *element;
	size_t element_len, pos = 0;

	while (pos < h->value_len) {
		pos = next_list_element(h->value, h->value_len, pos, &element,
		    &element_len);
		if (http_token_equals(element, element_len, "close"))
			facts->connection_close = true;
		else if (http_token_equals(element, element_len, "keep-alive"))
			facts->connection_keep_alive = true;
	}
	return PARSE_DONE;
}

/* The headers whose meaning the parser itself must decide. */
static enum parse
apply_header(const struct http_header *h, struct header_facts *facts,
    struct http_request_head *out)
{
	if (http_token_equals(h->name, h->name_len, "Content-Length"))
		return apply_content_length(h, facts, out);
	if (http_token_equals(h->name, h->name_len, "Transfer-Encoding"))
		return apply_transfer_encoding(h, facts, out);
	if (http_token_equals(h->name, h->name_len, "Host"))
		return apply_host(h, facts, out);
	if (http_token_equals(h->name, h->name_len, "Connection"))
		return apply_connection(h, facts);
	return PARSE_DONE;
}

/*
 *   field-line = field-name ":" OWS field-value OWS
 *   field-name = token
 *   field-value: VCHAR / SP / HTAB / obs-text
 * line[0..n) is the line so far without CRLF, n > 0.
 */
static enum parse
parse_header_line(const char *line, size_t n, bool complete,
    struct header_facts *facts, struct http_request_head *out)
{
	struct http_header *h;
	size_t i, name_len, value_start, value_end;

	if (is_ows((unsigned char)line[0])) {
		if (out->header_count == 0)
			return fail(out, 400, "whitespace before first header");
		return fail(out, 400, "obsolete line folding");
	}
	if (out->header_count == HTTP_MAX_HEADERS)
		return fail(out, 431, "too many headers");
	for (i = 0; i < n && is_tchar((unsigned char)line[i]); i++)
		;
	if (i == n)
		return truncated(complete, out, "header line has no colon");
	if (is_ows((unsigned char)line[i]))
		return fail(out, 400, "whitespace before colon in header");
	if (line[i] != ':')
		return reject_byte(out, (unsigned char)line[i],
		    "invalid character in header name");
	if (i == 0)
		return fail(out, 400, "empty header name");
	name_len = i;
	for (i = name_len + 1; i < n; i++)
		if (!is_field_byte((unsigned char)line[i]))
			return reject_byte(out, (unsigned char)line[i],
			    "control character in header value");
	if (!complete)
		return PARSE_MORE;

	value_start = name_len + 1;
	value_end = n;
	while (value_start < value_end && is_ows((unsigned char)line[value_start]))
		value_start++;
	while (value_end > value_start && is_ows((unsigned char)line[value_end - 1]))
		value_end--;
	h = &out->headers[out->header_count++];
	h->name = line;
	h->name_len = name_len;
	h->value = line + value_start;
	h->value_len = value_end - value_start;
	return apply_header(h, facts, out);
}

/* The whole head is present: the rules that need every header line. */
static enum parse
finish_head(const struct header_facts *facts, struct http_request_head *out)
{
	if (out->version_minor == 1 && !facts->have_host)
		return fail(out, 400, "missing Host header");
	if (out->version_minor == 1)
		out->keep_alive = !facts->connection_close;
	else
		out->keep_alive = facts->connection_keep_alive &&
		    !facts->connection_close;
	return PARSE_DONE;
}

enum parse
http_parse_request_head(const char *buf, size_t len, size_t max_head,
    struct http_request_head *out)
{
	struct header_facts facts;
	size_t limit = len < max_head ? len : max_head;
	size_t pos = 0, content_len, empty_lines = 0;
	bool have_request_line = false;
	enum line_end end;
	enum parse result;

	memset(out, 0, sizeof(*out));
	memset(&facts, 0, sizeof(facts));
	out->framing = HTTP_BODY_NONE;

	for (;;) {
		const char *line = buf + pos;

		end = find_line_end(line, limit - pos, &content_len);
		if (end == LINE_COMPLETE && content_len == 0) {
			pos += 2;
			if (have_request_line) {
				out->head_len = pos;
				return finish_head(&facts, out);
			}
			if (++empty_lines > HTTP_MAX_LEADING_EMPTY_LINES)
				return fail(out, 400,
				    "too many empty lines before request line");
			continue;
		}

		if (content_len == 0)
			result = PARSE_MORE;
		else if (!have_request_line)
			result = parse_request_line(line, content_len,
			    end == LINE_COMPLETE, out);
		else
			result = parse_header_line(line, content_len,
			    end == LINE_COMPLETE, &facts, out);
		if (result == PARSE_INVALID)
			return result;

		switch (end) {
		case LINE_COMPLETE:
			have_request_line = true;
			pos += content_len + 2;
			break;
		case LINE_BARE_LF:
			return fail(out, 400, "bare LF in request head");
		case LINE_BARE_CR:
			return fail(out, 400, "bare CR in request head");
		case LINE_PARTIAL:
			if (len < max_head)
				return PARSE_MORE;
			if (have_request_line)
				return fail(out, 431, "request head too large");
			return fail(out, 414, "request line too long");
		}
	}
}
