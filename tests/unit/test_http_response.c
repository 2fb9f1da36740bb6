/*
 * tests/unit/test_http_response.c — byte-string tests of the response-head
 * parser (common/http_response.c): the framings RFC 9112 §6.3 decides,
 * interim 1xx heads, every Content-Length / Transfer-Encoding shape we refuse,
 * response splitting, the characters and line shapes we refuse, size caps,
 * split reads, keep-alive rules and the hop-by-hop decisions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http_response.h"

#define MAX_HEAD	16384

static struct http_response_head head;

static enum parse
parse_bytes(const char *buf, size_t len, bool request_was_head)
{
	return http_parse_response_head(buf, len, MAX_HEAD, request_was_head,
	    &head);
}

static enum parse
parse_string(const char *s)
{
	return parse_bytes(s, strlen(s), false);
}

/* Expect PARSE_INVALID, always 502, with this message. */
static void
assert_invalid(const char *s, size_t len, const char *message)
{
	assert_int_equal(parse_bytes(s, len, false), PARSE_INVALID);
	assert_int_equal(head.error_status, 502);
	assert_string_equal(head.error_message, message);
}

static void
assert_invalid_string(const char *s, const char *message)
{
	assert_invalid(s, strlen(s), message);
}

static void
assert_token(const char *p, size_t len, const char *expected)
{
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(p, expected, len);
}

/* "HTTP/1.1 200 OK" with the given header lines (each ending in CRLF). */
static enum parse
parse_ok_with(const char *version, const char *header_lines)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf), "%s 200 OK\r\n%s\r\n", version,
	    header_lines);
	return parse_string(buf);
}

static void
assert_ok_invalid(const char *header_lines, const char *message)
{
	assert_int_equal(parse_ok_with("HTTP/1.1", header_lines), PARSE_INVALID);
	assert_int_equal(head.error_status, 502);
	assert_string_equal(head.error_message, message);
}

static void
test_200_with_content_length(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 17\r\n\r\n"
	    "{\"choices\": []}\r\n";

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.version_minor, 1);
	assert_int_equal(head.status, 200);
	assert_token(head.reason, head.reason_len, "OK");
	assert_int_equal(head.header_count, 2);
	assert_token(head.headers[0].name, head.headers[0].name_len,
	    "Content-Type");
	assert_token(head.headers[0].value, head.headers[0].value_len,
	    "application/json");
	assert_int_equal(head.framing, HTTP_RESPONSE_LENGTH);
	assert_int_equal(head.content_length, 17);
	assert_true(head.keep_alive);
	assert_int_equal(head.head_len, strlen(resp) - 17);
	assert_null(head.error_message);
}

static void
test_200_chunked(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\n\r\n";

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_CHUNKED);
	assert_int_equal(head.content_length, 0);
	assert_true(head.keep_alive);
	assert_int_equal(head.head_len, strlen(resp) - 15);

	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "Transfer-Encoding:   CHUNKED  \r\n"), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_CHUNKED);
}

static void
test_sse_chunked(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream; charset=utf-8\r\n"
	    "Cache-Control: no-cache\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "X-Request-Id: req_123\r\n\r\n"
	    "1c\r\ndata: {\"delta\":\"Hel\"}\n\n\r\n";
	const struct http_header *ct;

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_CHUNKED);
	assert_true(head.keep_alive);
	assert_int_equal(head.header_count, 4);
	ct = http_response_find_header(&head, "content-type");
	assert_non_null(ct);
	assert_token(ct->value, ct->value_len,
	    "text/event-stream; charset=utf-8");
	assert_memory_equal(resp + head.head_len, "1c\r\n", 4);
}

static void
test_sse_until_close(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n\r\n"
	    "data: {\"delta\":\"Hel\"}\n\n";

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_UNTIL_CLOSE);
	assert_false(head.keep_alive);	/* the body ends at close */
	assert_memory_equal(resp + head.head_len, "data: ", 6);

	/* "Connection: keep-alive" cannot rescue an until-close body */
	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "Content-Type: text/event-stream\r\nConnection: keep-alive\r\n"),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_UNTIL_CLOSE);
	assert_false(head.keep_alive);
}

static void
test_no_body_statuses(void **state)
{
	static const char *const bodiless[] = {
		"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodiless) / sizeof(bodiless[0]); i++) {
		assert_int_equal(parse_string(bodiless[i]), PARSE_DONE);
		assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
		assert_int_equal(head.content_length, 0);
		assert_true(head.keep_alive);
		assert_int_equal(head.head_len, strlen(bodiless[i]));
	}

	/* 205 and 200 are not bodiless by status */
	assert_int_equal(parse_string("HTTP/1.1 205 Reset Content\r\n"
	    "Content-Length: 0\r\n\r\n"), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_LENGTH);
}

static void
test_head_request_has_no_body(void **state)
{
	const char *with_length = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";
	const char *with_chunked = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	const char *with_neither = "HTTP/1.0 200 OK\r\n\r\n";

	(void)state;
	assert_int_equal(parse_bytes(with_length, strlen(with_length), true),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
	assert_int_equal(head.content_length, 0);
	assert_true(head.keep_alive);
	assert_int_equal(head.head_len, strlen(with_length));

	assert_int_equal(parse_bytes(with_chunked, strlen(with_chunked), true),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
	assert_true(head.keep_alive);

	assert_int_equal(parse_bytes(with_neither, strlen(with_neither), true),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
	assert_false(head.keep_alive);	/* HTTP/1.0 without keep-alive */

	/* the same heads answering a GET */
	assert_int_equal(parse_string(with_length), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_LENGTH);
	assert_int_equal(head.content_length, 5000);
}

static void
test_100_continue_then_200(void **state)
{
	const char *resp = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	size_t first;

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.status, 100);
	assert_token(head.reason, head.reason_len, "Continue");
	assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
	assert_int_equal(head.header_count, 0);
	first = head.head_len;
	assert_int_equal(first, 25);

	assert_int_equal(parse_string(resp + first), PARSE_DONE);
	assert_int_equal(head.status, 200);
	assert_int_equal(head.framing, HTTP_RESPONSE_LENGTH);
	assert_int_equal(head.content_length, 2);
	assert_memory_equal(resp + first + head.head_len, "ok", 2);

	/* only the 100 has arrived so far */
	assert_int_equal(parse_bytes(resp, first, false), PARSE_DONE);
	assert_int_equal(head.status, 100);
}

static void
test_103_early_hints(void **state)
{
	const char *resp = "HTTP/1.1 103 Early Hints\r\n"
	    "Link: </style.css>; rel=preload; as=style\r\n"
	    "Link: </script.js>; rel=preload; as=script\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t first;

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.status, 103);
	assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
	assert_int_equal(head.header_count, 2);
	first = head.head_len;
	assert_memory_equal(resp + first, "HTTP/1.1 200", 12);
	assert_int_equal(parse_string(resp + first), PARSE_DONE);
	assert_int_equal(head.status, 200);
	assert_int_equal(head.framing, HTTP_RESPONSE_CHUNKED);

	/* interim heads are bodiless whatever they carry */
	assert_int_equal(parse_string("HTTP/1.1 102 Processing\r\n"
	    "Content-Length: 10\r\n\r\n"), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_NO_BODY);
}

static void
test_101_refused(void **state)
{
	(void)state;
	assert_invalid_string("HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	    "unexpected 101 Switching Protocols");
	/* refused as soon as the code is complete */
	assert_invalid_string("HTTP/1.1 101", "unexpected 101 Switching Protocols");
}

static void
test_transfer_encoding_with_content_length(void **state)
{
	/* egress-notes §3: TE+CL with a response-splitting tail → 502 */
	const char *split = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 0\r\n\r\n"
	    "0\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nevil!\n";
	const char *cl_first = "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 31\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";

	(void)state;
	assert_invalid_string(split, "both Transfer-Encoding and Content-Length");
	assert_invalid_string(cl_first,
	    "both Transfer-Encoding and Content-Length");
	/* refused before the head is even complete */
	assert_invalid(cl_first, strlen(cl_first) - 2,
	    "both Transfer-Encoding and Content-Length");

	/* and on bodiless responses too: the pair is never innocent */
	assert_int_equal(parse_bytes(cl_first, strlen(cl_first), true),
	    PARSE_INVALID);
	assert_string_equal(head.error_message,
	    "both Transfer-Encoding and Content-Length");
	assert_invalid_string("HTTP/1.1 204 No Content\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
	    "both Transfer-Encoding and Content-Length");
}

static void
test_duplicate_content_length(void **state)
{
	(void)state;
	assert_ok_invalid("Content-Length: 5\r\nContent-Length: 5\r\n",
	    "duplicate Content-Length");
	assert_ok_invalid("Content-Length: 5\r\ncontent-length: 6\r\n",
	    "duplicate Content-Length");
	assert_ok_invalid("Content-Length: 5, 5\r\n", "invalid Content-Length");
	assert_ok_invalid("Content-Length: 5,6\r\n", "invalid Content-Length");
}

static void
test_content_length_values(void **state)
{
	static const char *const bad[] = {
		"Content-Length:\r\n",
		"Content-Length: -1\r\n",
		"Content-Length: +1\r\n",
		"Content-Length: 1 2\r\n",
		"Content-Length: 0x10\r\n",
		"Content-Length: 12a\r\n",
		"Content-Length: 1000000000000000000\r\n",	/* 19 digits */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_ok_invalid(bad[i], "invalid Content-Length");

	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "Content-Length: 999999999999999999\r\n"), PARSE_DONE);
	assert_int_equal(head.content_length, 999999999999999999ULL);
	assert_int_equal(parse_ok_with("HTTP/1.1", "Content-Length: 0\r\n"),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_LENGTH);
	assert_int_equal(head.content_length, 0);
	assert_true(head.keep_alive);
	assert_int_equal(parse_ok_with("HTTP/1.1", "Content-Length: 007 \r\n"),
	    PARSE_DONE);
	assert_int_equal(head.content_length, 7);
}

static void
test_transfer_encoding_values(void **state)
{
	(void)state;
	assert_ok_invalid("Transfer-Encoding: chunked, chunked\r\n",
	    "chunked applied more than once");
	assert_ok_invalid("Transfer-Encoding: chunked, gzip, chunked\r\n",
	    "chunked applied more than once");
	assert_ok_invalid("Transfer-Encoding: chunked, gzip\r\n",
	    "chunked is not the final transfer coding");
	assert_ok_invalid("Transfer-Encoding: gzip, chunked\r\n",
	    "unsupported transfer coding in response");
	assert_ok_invalid("Transfer-Encoding: gzip\r\n",
	    "unsupported transfer coding in response");
	assert_ok_invalid("Transfer-Encoding: identity\r\n",
	    "unsupported transfer coding in response");
	assert_ok_invalid("Transfer-Encoding: chunkedx\r\n",
	    "unsupported transfer coding in response");
	assert_ok_invalid("Transfer-Encoding: chunked,\r\n",
	    "invalid Transfer-Encoding");
	assert_ok_invalid("Transfer-Encoding: ,chunked\r\n",
	    "invalid Transfer-Encoding");
	assert_ok_invalid("Transfer-Encoding: \"chunked\"\r\n",
	    "invalid Transfer-Encoding");
	assert_ok_invalid("Transfer-Encoding:\r\n", "invalid Transfer-Encoding");
	assert_ok_invalid("Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n", "duplicate Transfer-Encoding");

	/* RFC 9112 §6.1: TE in an HTTP/1.0 message is faulty framing */
	assert_int_equal(parse_ok_with("HTTP/1.0",
	    "Transfer-Encoding: chunked\r\n"), PARSE_INVALID);
	assert_string_equal(head.error_message,
	    "Transfer-Encoding in HTTP/1.0 response");
}

/*
 * A provider (or something in between) ends a response with CL: 0 and puts a
 * second, forged head right after it. The parser stops at the end of the
 * first head; the forged head is left for the caller, who has no request
 * outstanding for it.
 */
static void
test_response_splitting(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 0\r\n\r\n"
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html\r\n"
	    "Content-Length: 19\r\n\r\n"
	    "<script>..</script>";
	const size_t first_len = 38;

	(void)state;
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.head_len, first_len);
	assert_int_equal(head.header_count, 1);
	assert_int_equal(head.framing, HTTP_RESPONSE_LENGTH);
	assert_int_equal(head.content_length, 0);
	assert_null(http_response_find_header(&head, "Content-Type"));
	assert_memory_equal(resp + head.head_len, "HTTP/1.1 200 OK\r\n", 17);

	/* the same answer from the first head alone, or with any tail */
	assert_int_equal(parse_bytes(resp, first_len, false), PARSE_DONE);
	assert_int_equal(head.head_len, first_len);
	assert_int_equal(parse_bytes(resp, first_len + 5, false), PARSE_DONE);
	assert_int_equal(head.head_len, first_len);

	/* the tail is a head of its own only when parsed on its own */
	assert_int_equal(parse_string(resp + first_len), PARSE_DONE);
	assert_int_equal(head.content_length, 19);

	/* CR or LF smuggled into a field never ends the head early */
	assert_invalid_string("HTTP/1.1 200 OK\r\nX-A: a\rHTTP/1.1 200 OK\r\n\r\n",
	    "bare CR in response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\nX-A: a\n\nHTTP/1.1 200 OK\r\n\r\n",
	    "bare LF in response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\nX-A: a\r\n\n\r\n\r\n",
	    "bare LF in response head");
}

static void
test_bare_lf(void **state)
{
	(void)state;
	assert_invalid_string("HTTP/1.1 200 OK\n\n", "bare LF in response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\nA: b\n\r\n",
	    "bare LF in response head");
	assert_invalid_string("\n", "bare LF in response head");
}

static void
test_bare_cr(void **state)
{
	(void)state;
	assert_invalid_string("HTTP/1.1 200 OK\rX\r\n\r\n",
	    "bare CR in response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
	    "bare CR in response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\n\rX", "bare CR in response head");
}

static void
test_nul_bytes(void **state)
{
	static const char in_value[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
	static const char in_name[] = "HTTP/1.1 200 OK\r\nA\0: b\r\n\r\n";
	static const char in_reason[] = "HTTP/1.1 200 O\0K\r\n\r\n";
	static const char in_status[] = "HTTP/1.1 2\0\0 OK\r\n\r\n";

	(void)state;
	assert_invalid(in_value, sizeof(in_value) - 1, "NUL in response head");
	assert_invalid(in_name, sizeof(in_name) - 1, "NUL in response head");
	assert_invalid(in_reason, sizeof(in_reason) - 1, "NUL in response head");
	assert_invalid(in_status, sizeof(in_status) - 1, "NUL in response head");
	/* refused as soon as the NUL arrives */
	assert_invalid(in_value, 23, "NUL in response head");
}

static void
test_control_characters(void **state)
{
	(void)state;
	assert_ok_invalid("X-A: a\x01\r\n",
	    "control character in response header value");
	assert_ok_invalid("X-A: a\x7f\r\n",
	    "control character in response header value");
	assert_invalid_string("HTTP/1.1 200 O\x1bK\r\n\r\n",
	    "control character in reason phrase");

	/* HTAB and obs-text are field bytes */
	assert_int_equal(parse_ok_with("HTTP/1.1", "X-A: a\tb \xe2\x9c\x93\r\n"),
	    PARSE_DONE);
	assert_token(head.headers[0].value, head.headers[0].value_len,
	    "a\tb \xe2\x9c\x93");
}

static void
test_obsolete_line_folding(void **state)
{
	(void)state;
	assert_ok_invalid("X-A: a\r\n b\r\n",
	    "obsolete line folding in response head");
	assert_ok_invalid("X-A: a\r\n\tb\r\n",
	    "obsolete line folding in response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\n X-A: a\r\n\r\n",
	    "whitespace before first header in response");
}

static void
test_header_line_shapes(void **state)
{
	(void)state;
	assert_ok_invalid("Content-Length : 5\r\n",
	    "whitespace before colon in response header");
	assert_ok_invalid(": x\r\n", "empty response header name");
	assert_ok_invalid("NoColon\r\n", "response header line has no colon");
	assert_ok_invalid("X(A): b\r\n",
	    "invalid character in response header name");

	/* OWS around the value is trimmed, an empty value is fine */
	assert_int_equal(parse_ok_with("HTTP/1.1", "X-Empty:\r\nX-B: \t v \t\r\n"),
	    PARSE_DONE);
	assert_int_equal(head.headers[0].value_len, 0);
	assert_token(head.headers[1].value, head.headers[1].value_len, "v");
}

static void
test_status_line_shapes(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1 200 OK\r\n\r\n",
		"HTTP/1.1\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"<html>\r\n\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_invalid_string(bad[i], "malformed status line");

	assert_invalid_string("HTTP/2 200 OK\r\n\r\n",
	    "unsupported HTTP version in response");
	assert_invalid_string("HTTP/1.2 200 OK\r\n\r\n",
	    "unsupported HTTP version in response");
	assert_invalid_string("HTTP/1.1 600 Odd\r\n\r\n", "invalid status code");
	assert_invalid_string("HTTP/1.1 099 Odd\r\n\r\n", "invalid status code");
	assert_invalid_string("\r\nHTTP/1.1 200 OK\r\n\r\n",
	    "empty line before status line");

	/* empty reason, with and without its SP */
	assert_int_equal(parse_string("HTTP/1.1 200\r\n\r\n"), PARSE_DONE);
	assert_int_equal(head.status, 200);
	assert_int_equal(head.reason_len, 0);
	assert_int_equal(parse_string("HTTP/1.1 404 \r\n\r\n"), PARSE_DONE);
	assert_int_equal(head.status, 404);
	assert_int_equal(head.reason_len, 0);
	assert_int_equal(parse_string("HTTP/1.1 599 Any\tThing \xc3\xa9 \r\n\r\n"),
	    PARSE_DONE);
	assert_int_equal(head.status, 599);
	assert_token(head.reason, head.reason_len, "Any\tThing \xc3\xa9 ");
	assert_int_equal(parse_string("HTTP/1.0 429 Too Many Requests\r\n\r\n"),
	    PARSE_DONE);
	assert_int_equal(head.version_minor, 0);
	assert_int_equal(head.status, 429);
}

/* A prefix that can never become a response head is refused at once. */
static void
test_early_rejection_of_prefixes(void **state)
{
	(void)state;
	assert_invalid_string("X", "malformed status line");
	assert_invalid_string("HTTP/2", "unsupported HTTP version in response");
	assert_invalid_string("HTTP/1.3", "unsupported HTTP version in response");
	assert_invalid_string("HTTP/1.1 6", "invalid status code");
	assert_invalid_string("HTTP/1.1 200 OK\r\nX-A: \x01",
	    "control character in response header value");
	assert_invalid_string("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n", "duplicate Content-Length");
}

static void
assert_every_prefix_needs_more(const char *resp, bool request_was_head)
{
	size_t len = strlen(resp), i;

	for (i = 0; i < len; i++)
		assert_int_equal(parse_bytes(resp, i, request_was_head),
		    PARSE_MORE);
	assert_int_equal(parse_bytes(resp, len, request_was_head), PARSE_DONE);
	assert_int_equal(head.head_len, len);
	/* also when the cap is exactly the head */
	assert_int_equal(http_parse_response_head(resp, len, len,
	    request_was_head, &head), PARSE_DONE);
	for (i = 0; i < len; i++)
		assert_int_equal(http_parse_response_head(resp, i, len,
		    request_was_head, &head), PARSE_MORE);
}

static void
test_every_prefix_needs_more(void **state)
{
	(void)state;
	assert_every_prefix_needs_more("HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Connection: keep-alive\r\n\r\n", false);
	assert_every_prefix_needs_more("HTTP/1.1 200\r\n"
	    "Content-Length: 12\r\n\r\n", false);
	assert_every_prefix_needs_more("HTTP/1.1 100 Continue\r\n\r\n", false);
	assert_every_prefix_needs_more("HTTP/1.0 200 OK\r\nX-A:\r\n\r\n", true);
}

static void
test_head_too_large(void **state)
{
	char resp[MAX_HEAD + 64];
	size_t len;

	(void)state;
	len = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(resp + len, 'a', MAX_HEAD);
	len += MAX_HEAD;
	memcpy(resp + len, "\r\n\r\n", 4);
	len += 4;
	assert_invalid(resp, len, "response head too large");
	/* already at MAX_HEAD bytes without the end of the head */
	assert_invalid(resp, MAX_HEAD, "response head too large");
	assert_int_equal(parse_bytes(resp, MAX_HEAD - 1, false), PARSE_MORE);

	/* a head of exactly the cap is fine, one byte over is not */
	assert_int_equal(http_parse_response_head(resp, len, len, false, &head),
	    PARSE_DONE);
	assert_int_equal(head.head_len, len);
	assert_int_equal(http_parse_response_head(resp, len, len - 1, false,
	    &head), PARSE_INVALID);
	assert_string_equal(head.error_message, "response head too large");

	/* the status line alone overflows the cap */
	memset(resp, 0, sizeof(resp));
	len = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 200 ");
	memset(resp + len, 'r', MAX_HEAD);
	assert_invalid(resp, len + MAX_HEAD, "status line too long");
	assert_int_equal(http_parse_response_head("HTTP/1.1 200 OK\r\n\r\n", 19,
	    0, false, &head), PARSE_INVALID);
	assert_string_equal(head.error_message, "status line too long");
}

static void
test_header_count_limit(void **state)
{
	char resp[4096];
	size_t len, i;

	(void)state;
	len = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		len += (size_t)snprintf(resp + len, sizeof(resp) - len,
		    "X-%zu: v\r\n", i);
	memcpy(resp + len, "\r\n", 3);
	assert_int_equal(parse_string(resp), PARSE_DONE);
	assert_int_equal(head.header_count, HTTP_MAX_HEADERS);
	memcpy(resp + len, "X-Last: v\r\n\r\n", 14);
	assert_invalid_string(resp, "too many headers in response");
}

static void
test_keep_alive_rules(void **state)
{
	(void)state;
	/* HTTP/1.1: persistent unless "close" */
	assert_int_equal(parse_ok_with("HTTP/1.1", "Content-Length: 1\r\n"),
	    PARSE_DONE);
	assert_true(head.keep_alive);
	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "Content-Length: 1\r\nConnection: close\r\n"), PARSE_DONE);
	assert_false(head.keep_alive);
	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "Content-Length: 1\r\nConnection: keep-alive, CLOSE\r\n"),
	    PARSE_DONE);
	assert_false(head.keep_alive);

	/* HTTP/1.0: persistent only with "keep-alive" and a known length */
	assert_int_equal(parse_ok_with("HTTP/1.0", "Content-Length: 1\r\n"),
	    PARSE_DONE);
	assert_false(head.keep_alive);
	assert_int_equal(parse_ok_with("HTTP/1.0",
	    "Content-Length: 1\r\nConnection: Keep-Alive\r\n"), PARSE_DONE);
	assert_int_equal(head.version_minor, 0);
	assert_true(head.keep_alive);
	assert_int_equal(parse_ok_with("HTTP/1.0",
	    "Content-Length: 1\r\nConnection: keep-alive\r\n"
	    "Connection: close\r\n"), PARSE_DONE);
	assert_false(head.keep_alive);
	assert_int_equal(parse_ok_with("HTTP/1.0", "Connection: keep-alive\r\n"),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_RESPONSE_UNTIL_CLOSE);
	assert_false(head.keep_alive);
	assert_int_equal(parse_string("HTTP/1.0 204 No Content\r\n"
	    "Connection: keep-alive\r\n\r\n"), PARSE_DONE);
	assert_true(head.keep_alive);
}

static void
test_header_lookup(void **state)
{
	const struct http_header *h;

	(void)state;
	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "X-Ratelimit-Remaining: 10\r\nx-ratelimit-remaining: 11\r\n"
	    "Content-Length: 0\r\n"), PARSE_DONE);
	h = http_response_find_header(&head, "X-RATELIMIT-REMAINING");
	assert_non_null(h);
	assert_token(h->value, h->value_len, "10");
	assert_null(http_response_find_header(&head, "X-Ratelimit"));
	assert_null(http_response_find_header(&head, "Retry-After"));
}

static void
test_hop_by_hop_names(void **state)
{
	static const char *const hop[] = {
		"Connection", "Keep-Alive", "Proxy-Connection",
		"Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
		"Transfer-Encoding", "Upgrade", "connection", "KEEP-ALIVE",
		"te", "transfer-encoding", "upgrade",
	};
	static const char *const end_to_end[] = {
		"Content-Type", "Content-Length", "Cache-Control",
		"Set-Cookie", "Authorization", "Trailers", "T", "Connectionx",
		"Proxy", "TE ", "", "X-Request-Id", "Openai-Processing-Ms",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		assert_true(http_is_hop_by_hop(hop[i], strlen(hop[i])));
	for (i = 0; i < sizeof(end_to_end) / sizeof(end_to_end[0]); i++)
		assert_false(http_is_hop_by_hop(end_to_end[i],
		    strlen(end_to_end[i])));
	/* length, not NUL, ends the name */
	assert_true(http_is_hop_by_hop("TEXT", 2));
	assert_false(http_is_hop_by_hop("Upgrade", 6));
}

/* X-OmniRoute-* in any case, by prefix; never hop-by-hop, and vice versa. */
static void
test_relay_marker_names(void **state)
{
	static const char *const markers[] = {
		"X-OmniRoute-Connection", "X-OmniRoute-Proxy-Level",
		"X-OmniRoute-Proxy-Id", "x-omniroute-connection",
		"X-OMNIROUTE-PROXY-ID", "x-OmNiRoUtE-anything", "X-OmniRoute-",
	};
	static const char *const others[] = {
		"X-OmniRoute", "X-OmniRoutes-Id", "X-Omni-Route-Id", "OmniRoute-Id",
		"X-Request-Id", "X-OmniRout-Id", "", "Connection", "Upgrade",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		assert_true(http_is_relay_marker(markers[i], strlen(markers[i])));
		assert_false(http_is_hop_by_hop(markers[i], strlen(markers[i])));
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_false(http_is_relay_marker(others[i], strlen(others[i])));
	/* length, not NUL, ends the name */
	assert_false(http_is_relay_marker("X-OmniRoute-Id", 11));
	assert_true(http_is_relay_marker("X-OmniRoute-Id", 12));
}

static void
test_connection_lists(void **state)
{
	const struct http_header *connection;
	size_t i, dropped = 0;

	(void)state;
	assert_int_equal(parse_ok_with("HTTP/1.1",
	    "Connection: close ,X-Internal-Trace\t, ,keep-alive\r\n"
	    "X-Internal-Trace: abc\r\n"
	    "Connection: X-Debug\r\n"
	    "X-Debug: 1\r\n"
	    "X-Keep: 1\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "Content-Length: 0\r\n"), PARSE_DONE);
	connection = http_response_find_header(&head, "connection");
	assert_non_null(connection);
	assert_true(http_connection_lists(connection, "x-internal-trace", 16));
	assert_true(http_connection_lists(connection, "CLOSE", 5));
	assert_true(http_connection_lists(connection, "keep-alive", 10));
	assert_false(http_connection_lists(connection, "X-Internal", 10));
	assert_false(http_connection_lists(connection, "X-Debug", 7));
	assert_false(http_connection_lists(connection, "", 0));
	assert_false(http_connection_lists(NULL, "close", 5));

	/* what the relay passes on: X-Keep and Content-Length only */
	for (i = 0; i < head.header_count; i++) {
		const struct http_header *h = &head.headers[i];
		bool hop = http_response_header_is_hop_by_hop(&head, h);

		if (hop)
			dropped++;
		else
			assert_true(http_token_equals(h->name, h->name_len,
			    "X-Keep") || http_token_equals(h->name, h->name_len,
			    "Content-Length"));
	}
	assert_int_equal(dropped, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_200_with_content_length),
		cmocka_unit_test(test_200_chunked),
		cmocka_unit_test(test_sse_chunked),
		cmocka_unit_test(test_sse_until_close),
		cmocka_unit_test(test_no_body_statuses),
		cmocka_unit_test(test_head_request_has_no_body),
		cmocka_unit_test(test_100_continue_then_200),
		cmocka_unit_test(test_103_early_hints),
		cmocka_unit_test(test_101_refused),
		cmocka_unit_test(test_transfer_encoding_with_content_length),
		cmocka_unit_test(test_duplicate_content_length),
		cmocka_unit_test(test_content_length_values),
		cmocka_unit_test(test_transfer_encoding_values),
		cmocka_unit_test(test_response_splitting),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_bare_cr),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_obsolete_line_folding),
		cmocka_unit_test(test_header_line_shapes),
		cmocka_unit_test(test_status_line_shapes),
		cmocka_unit_test(test_early_rejection_of_prefixes),
		cmocka_unit_test(test_every_prefix_needs_more),
		cmocka_unit_test(test_head_too_large),
		cmocka_unit_test(test_header_count_limit),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_hop_by_hop_names),
		cmocka_unit_test(test_relay_marker_names),
		cmocka_unit_test(test_connection_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
