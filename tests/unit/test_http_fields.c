/*
 * tests/unit/test_http_fields.c — byte-string tests of the head core both
 * HTTP/1.1 head parsers share (common/http_fields.c): the grammar of a
 * header-field line, each Content-Length / Transfer-Encoding / Connection
 * rule as a fault kind, the keep-alive rule, and the line walk driven by a
 * minimal parser of its own (any start line, a hook that counts fields).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http_fields.h"

static struct http_header headers[HTTP_MAX_HEADERS];
static size_t header_count;

static void
assert_token(const char *p, size_t len, const char *expected)
{
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(p, expected, len);
}

/* One complete line (no CRLF) through the line grammar. */
static enum http_head_fault
line_bytes(const char *line, size_t n)
{
	return http_field_line(line, n, true, headers, &header_count);
}

static enum http_head_fault
line_string(const char *line)
{
	return line_bytes(line, strlen(line));
}

/* One complete "Name: value" line through the grammar, then the rules. */
static enum http_head_fault
apply_line(const char *line, int version_minor, struct http_field_facts *facts)
{
	enum http_head_fault fault = line_string(line);

	if (fault != HTTP_HEAD_OK)
		return fault;
	return http_field_apply(&headers[header_count - 1], version_minor, facts);
}

/* Lines in order on a fresh head of HTTP/1.<version_minor>; the first fault. */
static enum http_head_fault
apply_lines(const char *const *lines, int version_minor,
    struct http_field_facts *facts)
{
	enum http_head_fault fault = HTTP_HEAD_OK;
	size_t i;

	header_count = 0;
	memset(facts, 0, sizeof(*facts));
	for (i = 0; lines[i] != NULL && fault == HTTP_HEAD_OK; i++)
		fault = apply_line(lines[i], version_minor, facts);
	return fault;
}

static enum http_head_fault
apply_one(const char *line, int version_minor, struct http_field_facts *facts)
{
	const char *lines[] = { line, NULL };

	return apply_lines(lines, version_minor, facts);
}

static int
setup(void **state)
{
	(void)state;
	header_count = 0;
	memset(headers, 0, sizeof(headers));
	return 0;
}

static void
test_line_valid_and_trimmed(void **state)
{
	(void)state;
	assert_int_equal(line_string("Content-Type:  \t application/json \t "),
	    HTTP_HEAD_OK);
	assert_int_equal(header_count, 1);
	assert_token(headers[0].name, headers[0].name_len, "Content-Type");
	assert_token(headers[0].value, headers[0].value_len, "application/json");
	assert_int_equal(line_string("X-Empty:"), HTTP_HEAD_OK);
	assert_int_equal(headers[1].value_len, 0);
	assert_int_equal(line_string("X:a\tb \xc3\xa9"), HTTP_HEAD_OK);
	assert_token(headers[2].value, headers[2].value_len, "a\tb \xc3\xa9");
	assert_int_equal(line_string("!#$%&'*+-.^_`|~09azAZ: v"), HTTP_HEAD_OK);
	assert_int_equal(header_count, 4);
}

static void
test_line_faults(void **state)
{
	static const struct {
		const char		*line;
		enum http_head_fault	 fault;
	} cases[] = {
		{ "NoColon", HTTP_FIELD_NO_COLON },
		{ "Host : a", HTTP_FIELD_WHITESPACE_BEFORE_COLON },
		{ "Host\t: a", HTTP_FIELD_WHITESPACE_BEFORE_COLON },
		{ ": a", HTTP_FIELD_EMPTY_NAME },
		{ "X(A): b", HTTP_FIELD_BAD_NAME_BYTE },
		{ "X\"A: b", HTTP_FIELD_BAD_NAME_BYTE },
		{ "X-A: a\x01z", HTTP_FIELD_BAD_VALUE_BYTE },
		{ "X-A: a\x7f", HTTP_FIELD_BAD_VALUE_BYTE },
		{ "X-A: a\x1b", HTTP_FIELD_BAD_VALUE_BYTE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		header_count = 1;	/* not the first line */
		if (line_string(cases[i].line) != cases[i].fault)
			fail_msg("\"%s\": not fault %d", cases[i].line,
			    (int)cases[i].fault);
		assert_int_equal(header_count, 1);	/* nothing taken */
	}
}

static void
test_line_nul(void **state)
{
	(void)state;
	assert_int_equal(line_bytes("X-A: a\0b", 8), HTTP_HEAD_NUL);
	assert_int_equal(line_bytes("X\0A: b", 6), HTTP_HEAD_NUL);
	assert_int_equal(line_bytes("\0", 1), HTTP_HEAD_NUL);
	assert_int_equal(header_count, 0);
}

static void
test_line_folding(void **state)
{
	(void)state;
	assert_int_equal(line_string(" X-A: a"), HTTP_FIELD_WHITESPACE_BEFORE_FIRST);
	assert_int_equal(line_string("\tX-A: a"), HTTP_FIELD_WHITESPACE_BEFORE_FIRST);
	header_count = 1;
	assert_int_equal(line_string(" continued"), HTTP_FIELD_OBS_FOLD);
	assert_int_equal(line_string("\tcontinued"), HTTP_FIELD_OBS_FOLD);
}

static void
test_line_count_limit(void **state)
{
	(void)state;
	header_count = HTTP_MAX_HEADERS - 1;
	assert_int_equal(line_string("X-Last: v"), HTTP_HEAD_OK);
	assert_int_equal(header_count, HTTP_MAX_HEADERS);
	assert_int_equal(line_string("X-More: v"), HTTP_FIELD_TOO_MANY);
	/* refused before the line is even read */
	assert_int_equal(http_field_line("X", 1, false, headers, &header_count),
	    HTTP_FIELD_TOO_MANY);
	assert_int_equal(header_count, HTTP_MAX_HEADERS);
}

/* A line is judged as far as it has arrived and taken only when complete. */
static void
test_line_partial(void **state)
{
	const char *line = "Content-Length: 12";
	size_t n;

	(void)state;
	for (n = 1; n <= strlen(line); n++) {
		assert_int_equal(http_field_line(line, n, false, headers,
		    &header_count), HTTP_HEAD_OK);
		assert_int_equal(header_count, 0);
	}
	/* faults show as soon as their byte is there */
	assert_int_equal(http_field_line("Host ", 5, false, headers,
	    &header_count), HTTP_FIELD_WHITESPACE_BEFORE_COLON);
	assert_int_equal(http_field_line("X: \x01", 4, false, headers,
	    &header_count), HTTP_FIELD_BAD_VALUE_BYTE);
	assert_int_equal(http_field_line("X(", 2, false, headers,
	    &header_count), HTTP_FIELD_BAD_NAME_BYTE);
	/* "no colon" only once the line has ended */
	assert_int_equal(http_field_line("Xyz", 3, false, headers,
	    &header_count), HTTP_HEAD_OK);
	assert_int_equal(header_count, 0);
}

static void
test_content_length_values(void **state)
{
	static const char *const bad[] = {
		"Content-Length:", "Content-Length: +5", "Content-Length: -1",
		"Content-Length: 1 2", "Content-Length: 1,1", "Content-Length: 5, 5",
		"Content-Length: 0x10", "Content-Length: 5a",
		"Content-Length: 1234567890123456789",	/* 19 digits */
		"Content-Length: \t", "Content-Length: \xd9\xa5",
	};
	struct http_field_facts facts;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (apply_one(bad[i], 1, &facts) != HTTP_FIELD_BAD_CONTENT_LENGTH)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_false(facts.have_content_length);
	}
	assert_int_equal(apply_one("Content-Length: 123456789012345678", 1,
	    &facts), HTTP_HEAD_OK);
	assert_true(facts.have_content_length);
	assert_int_equal(facts.content_length, 123456789012345678ULL);
	assert_int_equal(apply_one("content-length:\t0 ", 1, &facts),
	    HTTP_HEAD_OK);
	assert_int_equal(facts.content_length, 0);
	assert_true(facts.have_content_length);
	assert_int_equal(apply_one("CONTENT-LENGTH: 007", 0, &facts),
	    HTTP_HEAD_OK);
	assert_int_equal(facts.content_length, 7);
}

static void
test_content_length_duplicates(void **state)
{
	const char *same[] = { "Content-Length: 5", "Content-Length: 5", NULL };
	const char *other[] = { "Content-Length: 5", "content-length: 6", NULL };
	const char *bad_second[] = { "Content-Length: 5", "Content-Length: x",
	    NULL };
	struct http_field_facts facts;

	(void)state;
	assert_int_equal(apply_lines(same, 1, &facts),
	    HTTP_FIELD_DUPLICATE_CONTENT_LENGTH);
	assert_int_equal(apply_lines(other, 1, &facts),
	    HTTP_FIELD_DUPLICATE_CONTENT_LENGTH);
	/* the second is refused as a second before its value is read */
	assert_int_equal(apply_lines(bad_second, 1, &facts),
	    HTTP_FIELD_DUPLICATE_CONTENT_LENGTH);
}

static void
test_transfer_encoding_values(void **state)
{
	static const struct {
		const char		*line;
		enum http_head_fault	 fault;
	} cases[] = {
		{ "Transfer-Encoding: chunked, chunked", HTTP_FIELD_CHUNKED_TWICE },
		{ "Transfer-Encoding: chunked, gzip, chunked",
		    HTTP_FIELD_CHUNKED_TWICE },
		{ "Transfer-Encoding: chunked, gzip", HTTP_FIELD_CHUNKED_NOT_FINAL },
		{ "Transfer-Encoding: gzip", HTTP_FIELD_NO_CHUNKED },
		{ "Transfer-Encoding: identity", HTTP_FIELD_NO_CHUNKED },
		{ "Transfer-Encoding: chunkedx", HTTP_FIELD_NO_CHUNKED },
		{ "Transfer-Encoding: xchunked", HTTP_FIELD_NO_CHUNKED },
		{ "Transfer-Encoding: gzip, chunked", HTTP_FIELD_UNSUPPORTED_CODING },
		{ "Transfer-Encoding: gzip , CHUNKED", HTTP_FIELD_UNSUPPORTED_CODING },
		{ "Transfer-Encoding: chunked,", HTTP_FIELD_BAD_TRANSFER_ENCODING },
		{ "Transfer-Encoding: , chunked", HTTP_FIELD_BAD_TRANSFER_ENCODING },
		{ "Transfer-Encoding: chunked;x=1", HTTP_FIELD_BAD_TRANSFER_ENCODING },
		{ "Transfer-Encoding: \"chunked\"", HTTP_FIELD_BAD_TRANSFER_ENCODING },
		{ "Transfer-Encoding: chun ked", HTTP_FIELD_BAD_TRANSFER_ENCODING },
		{ "Transfer-Encoding:", HTTP_FIELD_BAD_TRANSFER_ENCODING },
	};
	struct http_field_facts facts;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (apply_one(cases[i].line, 1, &facts) != cases[i].fault)
			fail_msg("\"%s\": not fault %d", cases[i].line,
			    (int)cases[i].fault);
		assert_false(facts.chunked);
	}
	assert_int_equal(apply_one("transfer-encoding:  CHUNKED \t", 1, &facts),
	    HTTP_HEAD_OK);
	assert_true(facts.chunked);
	assert_false(facts.have_content_length);
}

static void
test_transfer_encoding_rules(void **state)
{
	const char *twice[] = { "Transfer-Encoding: chunked",
	    "Transfer-Encoding: chunked", NULL };
	const char *te_then_cl[] = { "Transfer-Encoding: chunked",
	    "Content-Length: 31", NULL };
	const char *cl_then_te[] = { "Content-Length: 31",
	    "Transfer-Encoding: chunked", NULL };
	const char *bad_cl_then_te[] = { "Transfer-Encoding: chunked",
	    "Content-Length: x", NULL };
	struct http_field_facts facts;

	(void)state;
	assert_int_equal(apply_lines(twice, 1, &facts),
	    HTTP_FIELD_DUPLICATE_TRANSFER_ENCODING);
	assert_int_equal(apply_lines(te_then_cl, 1, &facts),
	    HTTP_FIELD_LENGTH_AND_CODING);
	assert_int_equal(apply_lines(cl_then_te, 1, &facts),
	    HTTP_FIELD_LENGTH_AND_CODING);
	assert_int_equal(apply_lines(bad_cl_then_te, 1, &facts),
	    HTTP_FIELD_LENGTH_AND_CODING);
	/* HTTP/1.0: any Transfer-Encoding is faulty framing, checked first */
	assert_int_equal(apply_one("Transfer-Encoding: chunked", 0, &facts),
	    HTTP_FIELD_CODING_IN_HTTP10);
	assert_int_equal(apply_lines(cl_then_te, 0, &facts),
	    HTTP_FIELD_CODING_IN_HTTP10);
}

static void
test_connection_and_keep_alive(void **state)
{
	const char *both[] = { "Connection: keep-alive", "Connection: close",
	    NULL };
	struct http_field_facts facts;

	(void)state;
	assert_int_equal(apply_one("Connection: Upgrade, CLOSE", 1, &facts),
	    HTTP_HEAD_OK);
	assert_true(facts.connection_close);
	assert_false(http_field_keep_alive(&facts, 1));

	assert_int_equal(apply_one("Connection: closed", 1, &facts), HTTP_HEAD_OK);
	assert_false(facts.connection_close);
	assert_true(http_field_keep_alive(&facts, 1));
	assert_false(http_field_keep_alive(&facts, 0));

	assert_int_equal(apply_one("Connection: foo ,\tKeep-Alive", 0, &facts),
	    HTTP_HEAD_OK);
	assert_true(facts.connection_keep_alive);
	assert_true(http_field_keep_alive(&facts, 0));
	assert_int_equal(apply_one("Connection: keep-alive-ish", 0, &facts),
	    HTTP_HEAD_OK);
	assert_false(http_field_keep_alive(&facts, 0));

	/* every Connection line counts; close wins */
	assert_int_equal(apply_lines(both, 0, &facts), HTTP_HEAD_OK);
	assert_false(http_field_keep_alive(&facts, 0));
	assert_false(http_field_keep_alive(&facts, 1));

	/* no Connection header */
	memset(&facts, 0, sizeof(facts));
	assert_true(http_field_keep_alive(&facts, 1));
	assert_false(http_field_keep_alive(&facts, 0));
}

static void
test_other_fields_change_nothing(void **state)
{
	struct http_field_facts facts, none;

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(apply_one("Content-Lengthx: +1", 1, &facts), HTTP_HEAD_OK);
	assert_int_equal(apply_one("Transfer-Encodings: gzip", 0, &facts),
	    HTTP_HEAD_OK);
	assert_int_equal(apply_one("TE: chunked", 1, &facts), HTTP_HEAD_OK);
	assert_int_equal(apply_one("Host: a/b", 1, &facts), HTTP_HEAD_OK);
	assert_memory_equal(&facts, &none, sizeof(facts));
}

static void
test_lookups(void **state)
{
	const struct http_header *h;

	(void)state;
	assert_int_equal(line_string("Connection: close ,X-Trace\t, ,keep-alive"),
	    HTTP_HEAD_OK);
	assert_int_equal(line_string("X-Trace: 1"), HTTP_HEAD_OK);
	assert_int_equal(line_string("x-trace: 2"), HTTP_HEAD_OK);
	h = http_fields_find(headers, header_count, "X-TRACE");
	assert_ptr_equal(h, &headers[1]);
	assert_null(http_fields_find(headers, header_count, "X-Tr"));
	assert_null(http_fields_find(headers, 0, "Connection"));

	h = http_fields_find(headers, header_count, "connection");
	assert_non_null(h);
	assert_true(http_connection_lists(h, "x-trace", 7));
	assert_true(http_connection_lists(h, "CLOSE", 5));
	assert_true(http_connection_lists(h, "keep-alive", 10));
	assert_false(http_connection_lists(h, "X-Tra", 5));
	assert_false(http_connection_lists(h, "", 0));
	assert_false(http_connection_lists(NULL, "close", 5));

	assert_true(http_token_equals("CHUNKED", 7, "chunked"));
	assert_false(http_token_equals("chunk", 5, "chunked"));
	assert_false(http_token_equals("chunkedx", 8, "chunked"));
	assert_true(http_token_equals("", 0, ""));
}

/*
 * The line walk, driven by a minimal parser: any start line without 'X'
 * is fine, "HTTP/1.0" in it makes the head HTTP/1.0, and a "Stop" field is
 * refused by the parser's own rule.
 */
struct walk_parser {
	struct http_header	 headers[HTTP_MAX_HEADERS];
	size_t			 header_count;
	size_t			 head_len;
	int			 version_minor;
	struct http_head_parts	 parts;
	size_t			 start_lines, fields, finished;
	enum http_head_fault	 refused;
	bool			 own_refusal;
};

static enum parse
walk_start_line(void *parser, const char *line, size_t n, bool complete)
{
	struct walk_parser *w = parser;

	if (memchr(line, 'X', n) != NULL) {
		w->own_refusal = true;
		return PARSE_INVALID;
	}
	w->start_lines++;
	if (n >= 8 && memcmp(line, "HTTP/1.0", 8) == 0)
		w->version_minor = 0;
	return complete ? PARSE_DONE : PARSE_MORE;
}

static enum parse
walk_field(void *parser, const struct http_header *field)
{
	struct walk_parser *w = parser;

	w->fields++;
	if (http_token_equals(field->name, field->name_len, "Stop")) {
		w->own_refusal = true;
		return PARSE_INVALID;
	}
	return PARSE_DONE;
}

static enum parse
walk_finish(void *parser)
{
	((struct walk_parser *)parser)->finished++;
	return PARSE_DONE;
}

static enum parse
walk_refuse(void *parser, enum http_head_fault fault)
{
	((struct walk_parser *)parser)->refused = fault;
	return PARSE_INVALID;
}

static enum parse
walk(struct walk_parser *w, const char *buf, size_t len, size_t max_head,
    size_t max_leading_empty_lines)
{
	const struct http_head_lines lines = {
		.start_line = walk_start_line,
		.field = walk_field,
		.finish = walk_finish,
		.refuse = walk_refuse,
		.max_leading_empty_lines = max_leading_empty_lines,
	};
	struct http_head_parts parts = HTTP_HEAD_PARTS_OF(w);

	memset(w, 0, sizeof(*w));
	w->version_minor = 1;
	w->parts = parts;
	return http_head_walk(buf, len, max_head, &lines, w, &w->parts);
}

static enum parse
walk_string(struct walk_parser *w, const char *s)
{
	return walk(w, s, strlen(s), 16384, 0);
}

static void
test_walk_whole_head(void **state)
{
	const char *head = "START\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
	    "hello";
	struct walk_parser w;
	size_t n;

	(void)state;
	assert_int_equal(walk_string(&w, head), PARSE_DONE);
	assert_int_equal(w.head_len, strlen(head) - 5);
	assert_int_equal(w.start_lines, 1);
	assert_int_equal(w.header_count, 2);
	assert_int_equal(w.fields, 2);
	assert_int_equal(w.finished, 1);
	assert_true(w.parts.facts.have_content_length);
	assert_int_equal(w.parts.facts.content_length, 5);
	assert_true(w.parts.facts.connection_close);
	/* every shorter prefix asks for more */
	for (n = 0; n < w.head_len; n++) {
		struct walk_parser again;

		assert_int_equal(walk(&again, head, n, 16384, 0), PARSE_MORE);
		assert_int_equal(again.finished, 0);
	}
	/* a start line alone is a head */
	assert_int_equal(walk_string(&w, "START\r\n\r\n"), PARSE_DONE);
	assert_int_equal(w.head_len, 9);
	assert_int_equal(w.header_count, 0);
}

static void
test_walk_line_endings(void **state)
{
	struct walk_parser w;

	(void)state;
	assert_int_equal(walk_string(&w, "START\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_BARE_LF);
	assert_int_equal(walk_string(&w, "START\r\nA: b\n\r\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_BARE_LF);
	assert_int_equal(walk_string(&w, "START\r\nA: b\r\n\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_BARE_LF);
	assert_int_equal(walk_string(&w, "START\rA: b\r\n\r\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_BARE_CR);
	assert_int_equal(walk_string(&w, "START\r\nA: b\rc\r\n\r\n"),
	    PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_BARE_CR);
	/* a CR at the end may still be followed by LF */
	assert_int_equal(walk_string(&w, "START\r"), PARSE_MORE);
	/* the line before a bare LF is judged first: its fault wins */
	assert_int_equal(walk_string(&w, "START\r\nA : b\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_FIELD_WHITESPACE_BEFORE_COLON);
}

static void
test_walk_leading_empty_lines(void **state)
{
	const char *two = "\r\n\r\nSTART\r\n\r\n";
	struct walk_parser w;

	(void)state;
	assert_int_equal(walk(&w, two, strlen(two), 16384, 0), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_TOO_MANY_EMPTY_LINES);
	assert_int_equal(w.start_lines, 0);
	assert_int_equal(walk(&w, two, strlen(two), 16384, 1), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_TOO_MANY_EMPTY_LINES);
	assert_int_equal(walk(&w, two, strlen(two), 16384, 2), PARSE_DONE);
	assert_int_equal(w.head_len, strlen(two));	/* counted in the head */
}

static void
test_walk_size_cap(void **state)
{
	const char *head = "START\r\nX-Pad: aaaaaaaa\r\n\r\n";
	size_t len = strlen(head);
	struct walk_parser w;

	(void)state;
	assert_int_equal(walk(&w, head, len, len, 0), PARSE_DONE);
	assert_int_equal(walk(&w, head, len, len - 1, 0), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_TOO_LARGE);
	assert_int_equal(walk(&w, head, 10, 11, 0), PARSE_MORE);
	assert_int_equal(walk(&w, head, 11, 11, 0), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_TOO_LARGE);
	/* not even the start line ended within the cap */
	assert_int_equal(walk(&w, head, len, 4, 0), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_START_LINE_TOO_LONG);
	assert_int_equal(walk(&w, head, len, 0, 0), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_START_LINE_TOO_LONG);
}

static void
test_walk_refusals(void **state)
{
	struct walk_parser w;

	(void)state;
	/* the parser's own: start line, then its field rule */
	assert_int_equal(walk_string(&w, "STARX"), PARSE_INVALID);
	assert_true(w.own_refusal);
	assert_int_equal(w.refused, HTTP_HEAD_OK);
	assert_int_equal(walk_string(&w, "START\r\nStop: 1\r\n"), PARSE_INVALID);
	assert_true(w.own_refusal);
	assert_int_equal(w.fields, 1);
	/* the shared rules: the parser's hook never sees a refused field */
	assert_int_equal(walk_string(&w, "START\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_FIELD_DUPLICATE_CONTENT_LENGTH);
	assert_int_equal(w.fields, 1);
	assert_int_equal(walk_string(&w, "START\r\nA: b\r\n c\r\n\r\n"),
	    PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_FIELD_OBS_FOLD);
	assert_int_equal(walk_string(&w, "START\r\n A: b\r\n\r\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_FIELD_WHITESPACE_BEFORE_FIRST);
	/* the version the start line set reaches the rules */
	assert_int_equal(walk_string(&w, "HTTP/1.0 200\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_FIELD_CODING_IN_HTTP10);
	assert_int_equal(walk_string(&w, "HTTP/1.1 200\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), PARSE_DONE);
	assert_true(w.parts.facts.chunked);
	/* NUL in a field line */
	assert_int_equal(walk(&w, "START\r\nA: \0\r\n\r\n", 13, 16384, 0),
	    PARSE_INVALID);
	assert_int_equal(w.refused, HTTP_HEAD_NUL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_line_valid_and_trimmed, setup),
		cmocka_unit_test_setup(test_line_faults, setup),
		cmocka_unit_test_setup(test_line_nul, setup),
		cmocka_unit_test_setup(test_line_folding, setup),
		cmocka_unit_test_setup(test_line_count_limit, setup),
		cmocka_unit_test_setup(test_line_partial, setup),
		cmocka_unit_test_setup(test_content_length_values, setup),
		cmocka_unit_test_setup(test_content_length_duplicates, setup),
		cmocka_unit_test_setup(test_transfer_encoding_values, setup),
		cmocka_unit_test_setup(test_transfer_encoding_rules, setup),
		cmocka_unit_test_setup(test_connection_and_keep_alive, setup),
		cmocka_unit_test_setup(test_other_fields_change_nothing, setup),
		cmocka_unit_test_setup(test_lookups, setup),
		cmocka_unit_test(test_walk_whole_head),
		cmocka_unit_test(test_walk_line_endings),
		cmocka_unit_test(test_walk_leading_empty_lines),
		cmocka_unit_test(test_walk_size_cap),
		cmocka_unit_test(test_walk_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
