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
 * and a refused prefix stays refused however many bytes follow. Every refusal
 * is 502: the relay answers its client with Bad Gateway and closes the
 * upstream connection.
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
#define CONTENT_LENGTH_MAX_DIGITS	18

/* What the header lines said so far, for the framing and keep-alive rules. */
struct header_facts {
	bool	 have_content_length;
	bool	 have_transfer_encoding;
	bool	 connection_close;
	bool	 connection_keep_alive;
	uint64_t content_length;
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
		return fail(out, "NUL in response head");
	return fail(out, message);
}

const struct http_header *
http_response_find_header(const struct http_response_head *head,
    const char *name)
{
	size_t i;

	for (i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];

		if (http_token_equals(h->name, h->name_len, name))
			return h;
	}
	return NULL;
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
http_connection_lists(const struct http_header *connection_header,
    const char *name, size_t len)
{
	const char *element;
	size_t element_len, pos = 0;

	if (connection_header == NULL || len == 0)
		return false;
	while (pos < connection_header->value_len) {
		pos = next_list_element(connection_header->value,
		    connection_header->value_len, pos, &element, &element_len);
		if (same_token(element, element_len, name, len))
			return true;
	}
	return false;
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
parse_status_line(const char *line, size_t n, bool complete,
    struct http_response_head *out)
{
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

static enum parse
apply_content_length(const struct http_header *h, struct header_facts *facts,
    struct http_response_head *out)
{
	uint64_t length = 0;
	size_t i;

	if (facts->have_content_length)
		return fail(out, "duplicate Content-Length");
	if (facts->have_transfer_encoding)
		return fail(out, "both Transfer-Encoding and Content-Length");
	if (h->value_len == 0 || h->value_len > CONTENT_LENGTH_MAX_DIGITS)
		return fail(out, "invalid Content-Length");
	for (i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];

		if (!is_digit(c))
			return fail(out, "invalid Content-Length");
		length = length * 10 + (uint64_t)(c - '0');
	}
	facts->have_content_length = true;
	facts->content_length = length;
	return PARSE_DONE;
}

/*
 * Only "chunked" is accepted; anything else is named for the log, the
 * hostile shapes (chunked twice, chunked not last) apart from codings we
 * merely do not implement.
 */
static enum parse
apply_transfer_encoding(const struct http_header *h,
    struct header_facts *facts, struct http_response_head *out)
{
	const char *element;
	size_t element_len, pos = 0, chunked_count = 0;
	bool last_is_chunked = false;

	if (out->version_minor == 0)
		return fail(out, "Transfer-Encoding in HTTP/1.0 response");
	if (facts->have_transfer_encoding)
		return fail(out, "duplicate Transfer-Encoding");
	if (facts->have_content_length)
		return fail(out, "both Transfer-Encoding and Content-Length");
	if (http_token_equals(h->value, h->value_len, "chunked")) {
		facts->have_transfer_encoding = true;
		return PARSE_DONE;
	}
	do {
		pos = next_list_element(h->value, h->value_len, pos, &element,
		    &element_len);
		if (!is_token(element, element_len))
			return fail(out, "invalid Transfer-Encoding");
		last_is_chunked = http_token_equals(element, element_len,
		    "chunked");
		if (last_is_chunked)
			chunked_count++;
	} while (pos < h->value_len);
	if (h->value_len > 0 && h->value[h->value_len - 1] == ',')
		return fail(out, "invalid Transfer-Encoding");
	if (chunked_count > 1)
		return fail(out, "chunked applied more than once");
	if (chunked_count == 1 && !last_is_chunked)
		return fail(out, "chunked is not the final transfer coding");
	return fail(out, "unsupported transfer coding in response");
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
    struct http_response_head *out)
{
	if (http_token_equals(h->name, h->name_len, "Content-Length"))
		return apply_content_length(h, facts, out);
	if (http_token_equals(h->name, h->name_len, "Transfer-Encoding"))
		return apply_transfer_encoding(h, facts, out);
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
    struct header_facts *facts, struct http_response_head *out)
{
	struct http_header *h;
	size_t i, name_len, value_start, value_end;

	if (is_ows((unsigned char)line[0])) {
		if (out->header_count == 0)
			return fail(out,
			    "whitespace before first header in response");
		return fail(out, "obsolete line folding in response head");
	}
	if (out->header_count == HTTP_MAX_HEADERS)
		return fail(out, "too many headers in response");
	for (i = 0; i < n && is_tchar((unsigned char)line[i]); i++)
		;
	if (i == n) {
		if (complete)
			return fail(out, "response header line has no colon");
		return PARSE_MORE;
	}
	if (is_ows((unsigned char)line[i]))
		return fail(out, "whitespace before colon in response header");
	if (line[i] != ':')
		return reject_byte(out, (unsigned char)line[i],
		    "invalid character in response header name");
	if (i == 0)
		return fail(out, "empty response header name");
	name_len = i;
	for (i = name_len + 1; i < n; i++)
		if (!is_field_byte((unsigned char)line[i]))
			return reject_byte(out, (unsigned char)line[i],
			    "control character in response header value");
	if (!complete)
		return PARSE_MORE;

	value_start = name_len + 1;
	value_end = n;
	while (value_start < value_end &&
	    is_ows((unsigned char)line[value_start]))
		value_start++;
	while (value_end > value_start &&
	    is_ows((unsigned char)line[value_end - 1]))
		value_end--;
	h = &out->headers[out->header_count++];
	h->name = line;
	h->name_len = name_len;
	h->value = line + value_start;
	h->value_len = value_end - value_start;
	return apply_header(h, facts, out);
}

/* RFC 9112 §6.3, in its order, once the whole head is present. */
static enum parse
finish_head(const struct header_facts *facts, bool request_was_head,
    struct http_response_head *out)
{
	if (request_was_head || out->status < 200 || out->status == 204 ||
	    out->status == 304)
		out->framing = HTTP_RESPONSE_NO_BODY;
	else if (facts->have_transfer_encoding)
		out->framing = HTTP_RESPONSE_CHUNKED;
	else if (facts->have_content_length) {
		out->framing = HTTP_RESPONSE_LENGTH;
		out->content_length = facts->content_length;
	} else
		out->framing = HTTP_RESPONSE_UNTIL_CLOSE;

	if (out->framing == HTTP_RESPONSE_UNTIL_CLOSE)
		out->keep_alive = false;
	else if (out->version_minor == 1)
		out->keep_alive = !facts->connection_close;
	else
		out->keep_alive = facts->connection_keep_alive &&
		    !facts->connection_close;
	return PARSE_DONE;
}

enum parse
http_parse_response_head(const char *buf, size_t len, size_t max_head,
    bool request_was_head, struct http_response_head *out)
{
	struct header_facts facts;
	size_t limit = len < max_head ? len : max_head;
	size_t pos = 0, content_len;
	bool have_status_line = false;
	enum line_end end;
	enum parse result;

	memset(out, 0, sizeof(*out));
	memset(&facts, 0, sizeof(facts));
	out->framing = HTTP_RESPONSE_NO_BODY;

	for (;;) {
		const char *line = buf + pos;

		end = find_line_end(line, limit - pos, &content_len);
		if (end == LINE_COMPLETE && content_len == 0) {
			if (!have_status_line)
				return fail(out, "empty line before status line");
			out->head_len = pos + 2;
			return finish_head(&facts, request_was_head, out);
		}

		if (content_len == 0)
			result = PARSE_MORE;
		else if (!have_status_line)
			result = parse_status_line(line, content_len,
			    end == LINE_COMPLETE, out);
		else
			result = parse_header_line(line, content_len,
			    end == LINE_COMPLETE, &facts, out);
		if (result == PARSE_INVALID)
			return result;

		switch (end) {
		case LINE_COMPLETE:
			have_status_line = true;
			pos += content_len + 2;
			break;
		case LINE_BARE_LF:
			return fail(out, "bare LF in response head");
		case LINE_BARE_CR:
			return fail(out, "bare CR in response head");
		case LINE_PARTIAL:
			if (len < max_head)
				return PARSE_MORE;
			if (have_status_line)
				return fail(out, "response head too large");
			return fail(out, "status line too long");
		}
	}
}
