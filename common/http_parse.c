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
 * instead of after CRLFCRLF; the first fault in byte order wins. Header
 * lines and the framing headers go through the field core the response
 * parser uses too (common/http_fields.c), judged as each line completes
 * (duplicates, CL with TE, TE on HTTP/1.0); what is the request's own is the
 * request line, Host, the statuses it answers with, and the missing-Host rule
 * once the whole head is present.
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

/* One parse: the head being filled, what its header lines said so far. */
struct request_parse {
	struct http_request_head *head;
	struct http_head_parts	 parts;
	bool			 have_host;
};

/* How a client is told about each fault of the shared rules (http_fields.h). */
static const struct {
	int		 status;
	const char	*message;
} refusals[HTTP_HEAD_FAULT_COUNT] = {
	[HTTP_HEAD_NUL] = { 400, "NUL in request head" },
	[HTTP_HEAD_BARE_LF] = { 400, "bare LF in request head" },
	[HTTP_HEAD_BARE_CR] = { 400, "bare CR in request head" },
	[HTTP_HEAD_TOO_MANY_EMPTY_LINES] = { 400, "too many empty lines before request line" },
	[HTTP_HEAD_START_LINE_TOO_LONG] = { 414, "request line too long" },
	[HTTP_HEAD_TOO_LARGE] = { 431, "request head too large" },
	[HTTP_FIELD_WHITESPACE_BEFORE_FIRST] = { 400, "whitespace before first header" },
	[HTTP_FIELD_OBS_FOLD] = { 400, "obsolete line folding" },
	[HTTP_FIELD_TOO_MANY] = { 431, "too many headers" },
	[HTTP_FIELD_NO_COLON] = { 400, "header line has no colon" },
	[HTTP_FIELD_WHITESPACE_BEFORE_COLON] = { 400, "whitespace before colon in header" },
	[HTTP_FIELD_BAD_NAME_BYTE] = { 400, "invalid character in header name" },
	[HTTP_FIELD_EMPTY_NAME] = { 400, "empty header name" },
	[HTTP_FIELD_BAD_VALUE_BYTE] = { 400, "control character in header value" },
	[HTTP_FIELD_DUPLICATE_CONTENT_LENGTH] = { 400, "duplicate Content-Length" },
	[HTTP_FIELD_BAD_CONTENT_LENGTH] = { 400, "invalid Content-Length" },
	[HTTP_FIELD_LENGTH_AND_CODING] = { 400, "both Transfer-Encoding and Content-Length" },
	[HTTP_FIELD_CODING_IN_HTTP10] = { 400, "Transfer-Encoding in HTTP/1.0 request" },
	[HTTP_FIELD_DUPLICATE_TRANSFER_ENCODING] = { 400, "duplicate Transfer-Encoding" },
	[HTTP_FIELD_BAD_TRANSFER_ENCODING] = { 400, "invalid Transfer-Encoding" },
	[HTTP_FIELD_CHUNKED_TWICE] = { 400, "chunked applied more than once" },
	/* RFC 9112 §6.3: chunked not final is 400; §6.1: unknown codings 501 */
	[HTTP_FIELD_CHUNKED_NOT_FINAL] = { 400, "chunked is not the final transfer coding" },
	[HTTP_FIELD_NO_CHUNKED] = { 400, "chunked is not the final transfer coding" },
	[HTTP_FIELD_UNSUPPORTED_CODING] = { 501, "unsupported transfer coding" },
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
		return fail(out, refusals[HTTP_HEAD_NUL].status,
		    refusals[HTTP_HEAD_NUL].message);
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
	return http_fields_find(head->headers, head->header_count, name);
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
parse_request_line(void *parser, const char *line, size_t n, bool complete)
{
	struct http_request_head *out = ((struct request_parse *)parser)->head;
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

/* The request's own field rule: at most one Host, host and port bytes only. */
static enum parse
apply_host(void *parser, const struct http_header *h)
{
	struct request_parse *p = parser;
	size_t i;

	if (!same_token(h->name, h->name_len, "Host", 4))
		return PARSE_DONE;
	if (p->have_host)
		return fail(p->head, 400, "duplicate Host header");
	for (i = 0; i < h->value_len; i++)
		if (!is_host_byte((unsigned char)h->value[i]))
			return fail(p->head, 400, "invalid Host header");
	p->have_host = true;
	return PARSE_DONE;
}

/* The whole head is present: the rules that need every header line. */
static enum parse
finish_head(void *parser)
{
	const struct request_parse *p = parser;
	const struct http_field_facts *facts = &p->parts.facts;
	struct http_request_head *out = p->head;

	if (out->version_minor == 1 && !p->have_host)
		return fail(out, 400, "missing Host header");
	if (facts->chunked)
		out->framing = HTTP_BODY_CHUNKED;
	else if (facts->have_content_length) {
		out->framing = HTTP_BODY_LENGTH;
		out->content_length = facts->content_length;
	}
	out->keep_alive = http_field_keep_alive(facts, out->version_minor);
	return PARSE_DONE;
}

static enum parse
refuse(void *parser, enum http_head_fault fault)
{
	return fail(((struct request_parse *)parser)->head,
	    refusals[fault].status, refusals[fault].message);
}

enum parse
http_parse_request_head(const char *buf, size_t len, size_t max_head,
    struct http_request_head *out)
{
	static const struct http_head_lines request_lines = {
		.start_line = parse_request_line,
		.field = apply_host,
		.finish = finish_head,
		.refuse = refuse,
		.max_leading_empty_lines = HTTP_MAX_LEADING_EMPTY_LINES,
	};
	struct request_parse request = {
		.head = out,
		.parts = HTTP_HEAD_PARTS_OF(out),
	};

	memset(out, 0, sizeof(*out));
	out->framing = HTTP_BODY_NONE;
	return http_head_walk(buf, len, max_head, &request_lines, &request,
	    &request.parts);
}
