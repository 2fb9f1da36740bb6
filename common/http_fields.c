/*
 * common/http_fields.c — the one head core behind both HTTP/1.1 head
 * parsers: the walk over a head's lines (CRLF only, judged as they arrive,
 * capped), how a field line is read (name, colon, OWS, value bytes, no
 * obs-fold) and how the fields that decide framing and persistence are
 * judged (Content-Length, Transfer-Encoding, Connection). The request parser
 * (http_parse.c) and the response parser (http_response.c) hand it their
 * bytes and word its faults for their own peer; what they keep is what truly
 * differs: the start line, Host, the statuses and the HEAD answers that have
 * no body, and their wording.
 *
 * The stricter reading wins everywhere: a value either parser would refuse is
 * refused by both, so there is no header block that a client could frame one
 * way and a provider another through this relay. Every rule is pure, keeps no
 * state but the facts it is handed, and looks only at the bytes given.
 */
#include "http_fields.h"
#include "http_lex.h"

#define CONTENT_LENGTH_MAX_DIGITS	18	/* below 2^63: no overflow */

/* Whether a field's name is this literal (any case); lengths first. */
#define FIELD_NAMED(field, literal)					\
	same_token((field)->name, (field)->name_len, literal, sizeof(literal) - 1)

bool
http_token_equals(const char *s, size_t len, const char *lit)
{
	return same_token(s, len, lit, strlen(lit));
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

const struct http_header *
http_fields_find(const struct http_header *headers, size_t count,
    const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (http_token_equals(headers[i].name, headers[i].name_len, name))
			return &headers[i];
	return NULL;
}

/* A byte that does not belong where it is; NUL is a fault of its own. */
static enum http_head_fault
misplaced(unsigned char c, enum http_head_fault fault)
{
	return c == '\0' ? HTTP_HEAD_NUL : fault;
}

/*
 *   field-line = field-name ":" OWS field-value OWS
 *   field-name = token
 *   field-value: VCHAR / SP / HTAB / obs-text
 */
enum http_head_fault
http_field_line(const char *line, size_t n, bool complete,
    struct http_header *headers, size_t *header_count)
{
	struct http_header *h;
	size_t i, name_len, value_start, value_end;

	if (is_ows((unsigned char)line[0]))
		return *header_count == 0 ? HTTP_FIELD_WHITESPACE_BEFORE_FIRST :
		    HTTP_FIELD_OBS_FOLD;
	if (*header_count == HTTP_MAX_HEADERS)
		return HTTP_FIELD_TOO_MANY;
	for (i = 0; i < n && is_tchar((unsigned char)line[i]); i++)
		;
	if (i == n)
		return complete ? HTTP_FIELD_NO_COLON : HTTP_HEAD_OK;
	if (is_ows((unsigned char)line[i]))
		return HTTP_FIELD_WHITESPACE_BEFORE_COLON;
	if (line[i] != ':')
		return misplaced((unsigned char)line[i], HTTP_FIELD_BAD_NAME_BYTE);
	if (i == 0)
		return HTTP_FIELD_EMPTY_NAME;
	name_len = i;
	for (i = name_len + 1; i < n; i++)
		if (!is_field_byte((unsigned char)line[i]))
			return misplaced((unsigned char)line[i],
			    HTTP_FIELD_BAD_VALUE_BYTE);
	if (!complete)
		return HTTP_HEAD_OK;

	value_start = name_len + 1;
	value_end = n;
	while (value_start < value_end && is_ows((unsigned char)line[value_start]))
		value_start++;
	while (value_end > value_start && is_ows((unsigned char)line[value_end - 1]))
		value_end--;
	h = &headers[(*header_count)++];
	h->name = line;
	h->name_len = name_len;
	h->value = line + value_start;
	h->value_len = value_end - value_start;
	return HTTP_HEAD_OK;
}

/* Exactly one, 1..18 digits, nothing else: no sign, no list, no OWS inside. */
static enum http_head_fault
apply_content_length(const struct http_header *h, struct http_field_facts *facts)
{
	uint64_t length = 0;
	size_t i;

	if (facts->have_content_length)
		return HTTP_FIELD_DUPLICATE_CONTENT_LENGTH;
	if (facts->chunked)
		return HTTP_FIELD_LENGTH_AND_CODING;
	if (h->value_len == 0 || h->value_len > CONTENT_LENGTH_MAX_DIGITS)
		return HTTP_FIELD_BAD_CONTENT_LENGTH;
	for (i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];

		if (!is_digit(c))
			return HTTP_FIELD_BAD_CONTENT_LENGTH;
		length = length * 10 + (uint64_t)(c - '0');
	}
	facts->have_content_length = true;
	facts->content_length = length;
	return HTTP_HEAD_OK;
}

/*
 * Only "chunked" is accepted. Anything else is told apart so each parser can
 * name it: the hostile shapes (chunked twice, chunked not last) apart from
 * codings omniroute does not take (gzip, deflate, ...: HTTP's 501).
 */
static enum http_head_fault
apply_transfer_encoding(const struct http_header *h, int version_minor,
    struct http_field_facts *facts)
{
	const char *element;
	size_t element_len, pos = 0, chunked_count = 0;
	bool last_is_chunked = false;

	if (version_minor == 0)
		return HTTP_FIELD_CODING_IN_HTTP10;
	if (facts->chunked)
		return HTTP_FIELD_DUPLICATE_TRANSFER_ENCODING;
	if (facts->have_content_length)
		return HTTP_FIELD_LENGTH_AND_CODING;
	if (http_token_equals(h->value, h->value_len, "chunked")) {
		facts->chunked = true;
		return HTTP_HEAD_OK;
	}
	do {
		pos = next_list_element(h->value, h->value_len, pos, &element,
		    &element_len);
		if (!is_token(element, element_len))
			return HTTP_FIELD_BAD_TRANSFER_ENCODING;
		last_is_chunked = http_token_equals(element, element_len,
		    "chunked");
		if (last_is_chunked)
			chunked_count++;
	} while (pos < h->value_len);
	if (h->value_len > 0 && h->value[h->value_len - 1] == ',')
		return HTTP_FIELD_BAD_TRANSFER_ENCODING;
	if (chunked_count > 1)
		return HTTP_FIELD_CHUNKED_TWICE;
	if (chunked_count == 0)
		return HTTP_FIELD_NO_CHUNKED;
	if (!last_is_chunked)
		return HTTP_FIELD_CHUNKED_NOT_FINAL;
	return HTTP_FIELD_UNSUPPORTED_CODING;
}

static enum http_head_fault
apply_connection(const struct http_header *h, struct http_field_facts *facts)
{
	if (http_connection_lists(h, "close", 5))
		facts->connection_close = true;
	if (http_connection_lists(h, "keep-alive", 10))
		facts->connection_keep_alive = true;
	return HTTP_HEAD_OK;
}

enum http_head_fault
http_field_apply(const struct http_header *field, int version_minor,
    struct http_field_facts *facts)
{
	if (FIELD_NAMED(field, "Content-Length"))
		return apply_content_length(field, facts);
	if (FIELD_NAMED(field, "Transfer-Encoding"))
		return apply_transfer_encoding(field, version_minor, facts);
	if (FIELD_NAMED(field, "Connection"))
		return apply_connection(field, facts);
	return HTTP_HEAD_OK;
}

bool
http_field_keep_alive(const struct http_field_facts *facts, int version_minor)
{
	if (facts->connection_close)
		return false;
	return version_minor == 1 || facts->connection_keep_alive;
}

/* A header line as far as it has arrived, through the shared rules. */
static enum parse
take_field_line(const char *line, size_t n, bool complete,
    const struct http_head_lines *lines, void *parser,
    struct http_head_parts *parts)
{
	const struct http_header *field;
	enum http_head_fault fault;

	fault = http_field_line(line, n, complete, parts->headers, parts->count);
	if (fault != HTTP_HEAD_OK)
		return lines->refuse(parser, fault);
	if (!complete)
		return PARSE_MORE;
	field = &parts->headers[*parts->count - 1];
	fault = http_field_apply(field, *parts->version_minor, &parts->facts);
	if (fault != HTTP_HEAD_OK)
		return lines->refuse(parser, fault);
	return lines->field != NULL ? lines->field(parser, field) : PARSE_DONE;
}

enum parse
http_head_walk(const char *buf, size_t len, size_t max_head,
    const struct http_head_lines *lines, void *parser,
    struct http_head_parts *parts)
{
	size_t limit = len < max_head ? len : max_head;
	size_t pos = 0, content_len, empty_lines = 0;
	bool have_start_line = false;

	for (;;) {
		const char *line = buf + pos;
		enum line_end end = find_line_end(line, limit - pos, &content_len);
		bool complete = end == LINE_COMPLETE;
		enum parse result = PARSE_MORE;

		if (complete && content_len == 0) {
			pos += 2;
			if (have_start_line) {
				*parts->head_len = pos;
				return lines->finish(parser);
			}
			if (++empty_lines > lines->max_leading_empty_lines)
				return lines->refuse(parser,
				    HTTP_HEAD_TOO_MANY_EMPTY_LINES);
			continue;
		}
		if (content_len > 0 && !have_start_line)
			result = lines->start_line(parser, line, content_len,
			    complete);
		else if (content_len > 0)
			result = take_field_line(line, content_len, complete,
			    lines, parser, parts);
		if (result == PARSE_INVALID)
			return result;

		switch (end) {
		case LINE_COMPLETE:
			have_start_line = true;
			pos += content_len + 2;
			break;
		case LINE_BARE_LF:
			return lines->refuse(parser, HTTP_HEAD_BARE_LF);
		case LINE_BARE_CR:
			return lines->refuse(parser, HTTP_HEAD_BARE_CR);
		case LINE_PARTIAL:
			if (len < max_head)
				return PARSE_MORE;
			return lines->refuse(parser, have_start_line ?
			    HTTP_HEAD_TOO_LARGE : HTTP_HEAD_START_LINE_TOO_LONG);
		}
	}
}
