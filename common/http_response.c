/*
 * common/http_response.c — the strict HTTP/1.1 response-head parser the relay
 * runs on what an upstream provider sends back, and the hop-by-hop rules for
 * passing response headers on. It decides, from the buffer alone, whether a
 * whole head is present, what the status line and headers are, and how the
 * body is framed (RFC 9112 §6.3); or it names the first thing that makes the
 * head unacceptable. It keeps no state between calls and never allocates:
 * each call rescans buf from the start and the results point into it.
 *
 * It is built like the request parser (common/http_parse.c), line by line,
 * checking every line as far as it has arrived so that a head that can no
 * longer become valid is refused at once; the first fault in byte order wins,
 * and a refused prefix stays refused however many bytes follow. Header lines
 * and the Content-Length / Transfer-Encoding / Connection rules are the field
 * core both parsers share (common/http_fields.c); what is the response's own
 * is the status line, the bodiless statuses and HEAD, and its wording. Every
 * refusal is 502: the relay answers its client with Bad Gateway and closes
 * the upstream connection.
 *
 * Decisions a caller relies on (see also http_response.h):
 *   - Only HTTP/1.0 and HTTP/1.1 status lines; the status code is three
 *     digits, 100..599. 101 Switching Protocols is refused: the relay never
 *     offers an upgrade, so a switch is a protocol violation, and skipping it
 *     like other 1xx would parse the new protocol as HTTP.
 *   - An empty line where the status line belongs is refused (servers may skip
 *     them before a request line, a client has no such allowance).
 *   - Transfer-Encoding must be exactly "chunked" (any case). RFC 9112 §6.3
 *     would read a body whose final coding is not chunked until close, but the
 *     relay drops Transfer-Encoding as hop-by-hop and decodes no coding, so
 *     the client would get coded bytes it was never told about: every other
 *     value is refused, with its own message for the hostile shapes ("chunked,
 *     chunked", "chunked, gzip"). Two Transfer-Encoding lines are refused too.
 *     So is Transfer-Encoding on an HTTP/1.0 response (RFC 9112 §6.1: faulty
 *     framing).
 *   - Content-Length: exactly one, 1..18 digits, nothing else; a second one is
 *     refused even with the same value, and so is one beside
 *     Transfer-Encoding. These header rules hold for bodiless responses too
 *     (HEAD answers, 1xx, 204, 304), where the values are otherwise ignored.
 *   - keep_alive is HTTP/1.1 without "Connection: close", or HTTP/1.0 with
 *     "Connection: keep-alive" and without close; never for UNTIL_CLOSE.
 *   - On PARSE_INVALID only error_status and error_message are meaningful.
 */
#include <string.h>

#include "http_response.h"
#include "http_lex.h"

#define RESPONSE_ERROR_STATUS		502

/* How each fault of the shared rules (http_fields.h) is named in the log. */
static const char *const refusals[HTTP_HEAD_FAULT_COUNT] = {
	[HTTP_HEAD_NUL] = "NUL in response head",
	[HTTP_HEAD_BARE_LF] = "bare LF in response head",
	[HTTP_HEAD_BARE_CR] = "bare CR in response head",
	[HTTP_HEAD_TOO_MANY_EMPTY_LINES] = "empty line before status line",
	[HTTP_HEAD_START_LINE_TOO_LONG] = "status line too long",
	[HTTP_HEAD_TOO_LARGE] = "response head too large",
	[HTTP_FIELD_WHITESPACE_BEFORE_FIRST] = "whitespace before first header in response",
	[HTTP_FIELD_OBS_FOLD] = "obsolete line folding in response head",
	[HTTP_FIELD_TOO_MANY] = "too many headers in response",
	[HTTP_FIELD_NO_COLON] = "response header line has no colon",
	[HTTP_FIELD_WHITESPACE_BEFORE_COLON] = "whitespace before colon in response header",
	[HTTP_FIELD_BAD_NAME_BYTE] = "invalid character in response header name",
	[HTTP_FIELD_EMPTY_NAME] = "empty response header name",
	[HTTP_FIELD_BAD_VALUE_BYTE] = "control character in response header value",
	[HTTP_FIELD_DUPLICATE_CONTENT_LENGTH] = "duplicate Content-Length",
	[HTTP_FIELD_BAD_CONTENT_LENGTH] = "invalid Content-Length",
	[HTTP_FIELD_LENGTH_AND_CODING] = "both Transfer-Encoding and Content-Length",
	[HTTP_FIELD_CODING_IN_HTTP10] = "Transfer-Encoding in HTTP/1.0 response",
	[HTTP_FIELD_DUPLICATE_TRANSFER_ENCODING] = "duplicate Transfer-Encoding",
	[HTTP_FIELD_BAD_TRANSFER_ENCODING] = "invalid Transfer-Encoding",
	[HTTP_FIELD_CHUNKED_TWICE] = "chunked applied more than once",
	[HTTP_FIELD_CHUNKED_NOT_FINAL] = "chunked is not the final transfer coding",
	[HTTP_FIELD_NO_CHUNKED] = "unsupported transfer coding in response",
	[HTTP_FIELD_UNSUPPORTED_CODING] = "unsupported transfer coding in response",
};

/* One parse: the head being filled, what its header lines said so far. */
struct response_parse {
	struct http_response_head *head;
	bool			 request_was_head;
	struct http_head_parts	 parts;
};

/*
 * The response fields a relay never passes on as they came, one table: the
 * hop-by-hop ones (RFC 9110 §7.6.1 and the usual extras), which belong to
 * the upstream connection, and the relay's own markers, which it writes
 * itself (X-OmniRoute-Connection, -Proxy-Level, -Proxy-Id) and which a
 * provider must not be able to set or spoof. With their lengths: a field is
 * compared only with names as long as it, or with a prefix no longer.
 */
enum unforwarded_kind {
	HOP_BY_HOP,
	RELAY_MARKER,
	CORS_GRANT,	/* Access-Control-*: the daemon's to grant (allowed_origins) */
};

#define NAME(s)		{ s, sizeof(s) - 1, false, HOP_BY_HOP }
#define MARKER_PREFIX(s) { s, sizeof(s) - 1, true, RELAY_MARKER }
#define CORS_PREFIX(s)	{ s, sizeof(s) - 1, true, CORS_GRANT }
static const struct {
	const char		*name;
	size_t			 len;
	bool			 prefix;	/* every name that starts so */
	enum unforwarded_kind	 kind;
} unforwarded_names[] = {
	NAME("Connection"),
	NAME("Keep-Alive"),
	NAME("Proxy-Connection"),
	NAME("Proxy-Authenticate"),
	NAME("Proxy-Authorization"),
	NAME("TE"),
	NAME("Trailer"),
	NAME("Transfer-Encoding"),
	NAME("Upgrade"),
	MARKER_PREFIX("X-OmniRoute-"),
	CORS_PREFIX("Access-Control-"),
};
#undef NAME
#undef MARKER_PREFIX
#undef CORS_PREFIX

static enum parse
fail(struct http_response_head *out, const char *message)
{
	out->error_status = RESPONSE_ERROR_STATUS;
	out->error_message = message;
	return PARSE_INVALID;
}

/* A byte that does not belong where it is; NUL gets its own message. */
static enum parse
reject_byte(struct http_response_head *out, unsigned char c,
    const char *message)
{
	if (c == '\0')
		return fail(out, refusals[HTTP_HEAD_NUL]);
	return fail(out, message);
}

const struct http_header *
http_response_find_header(const struct http_response_head *head,
    const char *name)
{
	return http_fields_find(head->headers, head->header_count, name);
}

static bool
is_unforwarded(const char *name, size_t len, enum unforwarded_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(unforwarded_names) / sizeof(unforwarded_names[0]);
	    i++) {
		size_t n = unforwarded_names[i].len;

		if (unforwarded_names[i].kind == kind &&
		    (unforwarded_names[i].prefix ? len >= n : len == n) &&
		    same_token(name, n, unforwarded_names[i].name, n))
			return true;
	}
	return false;
}

bool
http_is_hop_by_hop(const char *name, size_t len)
{
	return is_unforwarded(name, len, HOP_BY_HOP);
}

bool
http_is_relay_marker(const char *name, size_t len)
{
	return is_unforwarded(name, len, RELAY_MARKER);
}

bool
http_response_field_is_daemons(const char *name, size_t len)
{
	return is_unforwarded(name, len, RELAY_MARKER) ||
	    is_unforwarded(name, len, CORS_GRANT);
}

bool
http_response_header_is_hop_by_hop(const struct http_response_head *head,
    const struct http_header *field)
{
	size_t i;

	if (http_is_hop_by_hop(field->name, field->name_len))
		return true;
	for (i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];

		if (h->name_len == 10 && http_token_equals(h->name, h->name_len,
		    "Connection") && http_connection_lists(h, field->name, field->name_len))
			return true;
	}
	return false;
}

/*
 *   status-line = "HTTP/1." DIGIT SP 3DIGIT [ SP reason-phrase ]
 * line[0..n) is the line so far without CRLF; complete says whether CRLF
 * followed it. Each byte is judged as soon as it is there.
 */
static enum parse
parse_status_line(void *parser, const char *line, size_t n, bool complete)
{
	struct http_response_head *out = ((struct response_parse *)parser)->head;
	static const char shape[] = "HTTP/#.# ###";	/* '#' is a digit */
	const size_t shape_len = sizeof(shape) - 1;
	size_t i;

	for (i = 0; i < n && i < shape_len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (shape[i] == '#' ? !is_digit(c) : c != shape[i])
			return reject_byte(out, c, "malformed status line");
		if (i == 5 && c != '1')
			return fail(out, "unsupported HTTP version in response");
		if (i == 7 && c > '1')
			return fail(out, "unsupported HTTP version in response");
		if (i == 9 && (c < '1' || c > '5'))
			return fail(out, "invalid status code");
	}
	if (n >= shape_len && line[9] == '1' && line[10] == '0' &&
	    line[11] == '1')
		return fail(out, "unexpected 101 Switching Protocols");
	if (n > shape_len && line[shape_len] != ' ')
		return reject_byte(out, (unsigned char)line[shape_len],
		    "malformed status line");
	for (i = shape_len + 1; i < n; i++)
		if (!is_field_byte((unsigned char)line[i]))
			return reject_byte(out, (unsigned char)line[i],
			    "control character in reason phrase");
	if (!complete)
		return PARSE_MORE;
	if (n < shape_len)
		return fail(out, "malformed status line");

	out->version_minor = line[7] - '0';
	out->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (n > shape_len) {
		out->reason = line + shape_len + 1;
		out->reason_len = n - shape_len - 1;
	} else {
		out->reason = line + n;
		out->reason_len = 0;
	}
	return PARSE_DONE;
}

/* RFC 9112 §6.3, in its order, once the whole head is present. */
static enum parse
finish_head(void *parser)
{
	const struct response_parse *p = parser;
	const struct http_field_facts *facts = &p->parts.facts;
	struct http_response_head *out = p->head;

	if (p->request_was_head || out->status < 200 || out->status == 204 ||
	    out->status == 304)
		out->framing = HTTP_RESPONSE_NO_BODY;
	else if (facts->chunked)
		out->framing = HTTP_RESPONSE_CHUNKED;
	else if (facts->have_content_length) {
		out->framing = HTTP_RESPONSE_LENGTH;
		out->content_length = facts->content_length;
	} else
		out->framing = HTTP_RESPONSE_UNTIL_CLOSE;

	out->keep_alive = out->framing != HTTP_RESPONSE_UNTIL_CLOSE &&
	    http_field_keep_alive(facts, out->version_minor);
	return PARSE_DONE;
}

static enum parse
refuse(void *parser, enum http_head_fault fault)
{
	return fail(((struct response_parse *)parser)->head, refusals[fault]);
}

enum parse
http_parse_response_head(const char *buf, size_t len, size_t max_head,
    bool request_was_head, struct http_response_head *out)
{
	/* unlike a server, a client has no allowance for empty lines first */
	static const struct http_head_lines response_lines = {
		.start_line = parse_status_line,
		.field = NULL,
		.finish = finish_head,
		.refuse = refuse,
		.max_leading_empty_lines = 0,
	};
	struct response_parse response = {
		.head = out,
		.request_was_head = request_was_head,
		.parts = HTTP_HEAD_PARTS_OF(out),
	};

	memset(out, 0, sizeof(*out));
	out->framing = HTTP_RESPONSE_NO_BODY;
	return http_head_walk(buf, len, max_head, &response_lines, &response,
	    &response.parts);
}
