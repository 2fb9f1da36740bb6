/*
 * tests/unit/test_http_parse.c — byte-string tests of the request-head parser
 * (common/http_parse.c): valid heads, split reads, size caps, every
 * Content-Length / Transfer-Encoding shape we refuse, the characters and line
 * shapes we refuse, keep-alive rules and header lookup.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http_parse.h"

#define MAX_HEAD	16384

static struct http_request_head head;

static enum parse
parse_bytes(const char *buf, size_t len)
{
	return http_parse_request_head(buf, len, MAX_HEAD, &head);
}

static enum parse
parse_string(const char *s)
{
	return parse_bytes(s, strlen(s));
}

/* Expect PARSE_INVALID with this status and message. */
static void
assert_invalid(const char *s, size_t len, int status, const char *message)
{
	assert_int_equal(parse_bytes(s, len), PARSE_INVALID);
	assert_int_equal(head.error_status, status);
	assert_string_equal(head.error_message, message);
}

static void
assert_invalid_string(const char *s, int status, const char *message)
{
	assert_invalid(s, strlen(s), status, message);
}

static void
assert_token(const char *p, size_t len, const char *expected)
{
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(p, expected, len);
}

/* A head with one extra header line after Host. */
static enum parse
parse_with_header(const char *version, const char *header_line)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "POST /v1/chat %s\r\nHost: relay\r\n%s\r\n\r\n",
	    version, header_line);
	return parse_string(buf);
}

static void
test_valid_get(void **state)
{
	const char *req = "GET /api/x?y=1 HTTP/1.1\r\nHost: example.com\r\n"
	    "Accept: */*\r\n\r\n";

	(void)state;
	assert_int_equal(parse_string(req), PARSE_DONE);
	assert_token(head.method, head.method_len, "GET");
	assert_token(head.target, head.target_len, "/api/x?y=1");
	assert_int_equal(head.version_minor, 1);
	assert_int_equal(head.header_count, 2);
	assert_token(head.headers[0].name, head.headers[0].name_len, "Host");
	assert_token(head.headers[0].value, head.headers[0].value_len,
	    "example.com");
	assert_int_equal(head.framing, HTTP_BODY_NONE);
	assert_true(head.keep_alive);
	assert_int_equal(head.head_len, strlen(req));
	assert_null(head.error_message);
}

static void
test_valid_post_with_body(void **state)
{
	const char *hd = "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n"
	    "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n";
	char req[256];

	(void)state;
	snprintf(req, sizeof(req), "%s{\"a\":true}\n", hd);
	assert_int_equal(parse_string(req), PARSE_DONE);
	assert_token(head.method, head.method_len, "POST");
	assert_int_equal(head.framing, HTTP_BODY_LENGTH);
	assert_int_equal(head.content_length, 11);
	assert_int_equal(head.head_len, strlen(hd));
	assert_int_equal(strlen(req) - head.head_len, 11);
}

static void
test_valid_chunked_post(void **state)
{
	const char *req = "POST /up HTTP/1.1\r\nHost: relay\r\n"
	    "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";

	(void)state;
	assert_int_equal(parse_string(req), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_BODY_CHUNKED);
	assert_memory_equal(req + head.head_len, "5\r\nhello", 8);
}

static void
test_every_prefix_needs_more(void **state)
{
	const char *req = "\r\nPOST /v1/x HTTP/1.1\r\nHost: a.example:8080\r\n"
	    "Content-Length: 3\r\nConnection: keep-alive\r\nX-Empty:\r\n\r\nabc";
	size_t head_len = strlen(req) - 3, n;

	(void)state;
	for (n = 0; n < head_len; n++) {
		if (parse_bytes(req, n) != PARSE_MORE)
			fail_msg("prefix of %zu bytes: not PARSE_MORE (%s)", n,
			    head.error_message ? head.error_message : "done");
	}
	assert_int_equal(parse_bytes(req, head_len), PARSE_DONE);
	assert_int_equal(head.head_len, head_len);
	assert_int_equal(parse_bytes(req, head_len + 1), PARSE_DONE);
	assert_int_equal(head.head_len, head_len);
	assert_int_equal(head.content_length, 3);
	assert_token(head.method, head.method_len, "POST");
}

static void
test_pipelined_request_not_consumed(void **state)
{
	const char *first = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *second = "GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	char req[256];
	size_t consumed;

	(void)state;
	snprintf(req, sizeof(req), "%s%s", first, second);
	assert_int_equal(parse_string(req), PARSE_DONE);
	assert_int_equal(head.head_len, strlen(first));
	assert_token(head.target, head.target_len, "/one");
	assert_true(head.keep_alive);
	consumed = head.head_len;
	assert_int_equal(parse_string(req + consumed), PARSE_DONE);
	assert_token(head.target, head.target_len, "/two");
	assert_false(head.keep_alive);
	assert_int_equal(head.head_len, strlen(second));
}

static void
test_head_too_large(void **state)
{
	const char *req = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: aaaaaaaaaaaaaaaa\r\n\r\n";
	size_t len = strlen(req);

	(void)state;
	/* exactly max_head fits, one byte less does not */
	assert_int_equal(http_parse_request_head(req, len, len, &head), PARSE_DONE);
	assert_int_equal(http_parse_request_head(req, len, len - 1, &head),
	    PARSE_INVALID);
	assert_int_equal(head.error_status, 431);
	assert_string_equal(head.error_message, "request head too large");
	/* refused as soon as max_head bytes are buffered without an end */
	assert_int_equal(http_parse_request_head(req, 30, 30, &head), PARSE_INVALID);
	assert_int_equal(head.error_status, 431);
	assert_int_equal(http_parse_request_head(req, 29, 30, &head), PARSE_MORE);
}

static void
test_request_line_too_long(void **state)
{
	char req[300];

	(void)state;
	memset(req, 0, sizeof(req));
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', 250);
	assert_int_equal(http_parse_request_head(req, 255, 64, &head), PARSE_INVALID);
	assert_int_equal(head.error_status, 414);
	assert_string_equal(head.error_message, "request line too long");
	assert_int_equal(http_parse_request_head(req, 63, 64, &head), PARSE_MORE);
}

static void
test_duplicate_content_length(void **state)
{
	(void)state;
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Content-Length: 5\r\nContent-Length: 5"), PARSE_INVALID);
	assert_string_equal(head.error_message, "duplicate Content-Length");
	assert_int_equal(head.error_status, 400);
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Content-Length: 5\r\ncontent-length: 6"), PARSE_INVALID);
	assert_string_equal(head.error_message, "duplicate Content-Length");
}

static void
test_invalid_content_length_values(void **state)
{
	static const char *const bad[] = {
		"Content-Length: +5", "Content-Length: -1",
		"Content-Length: 1 2", "Content-Length: 1,1",
		"Content-Length: 5, 5", "Content-Length:",
		"Content-Length: 0x10", "Content-Length: 1234567890123456789",
		"Content-Length: 5a", "Content-Length: \t",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_with_header("HTTP/1.1", bad[i]) != PARSE_INVALID)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(head.error_status, 400);
		assert_string_equal(head.error_message, "invalid Content-Length");
	}
}

static void
test_valid_content_length_values(void **state)
{
	(void)state;
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Content-Length: 123456789012345678"), PARSE_DONE);
	assert_int_equal(head.content_length, 123456789012345678ULL);
	assert_int_equal(parse_with_header("HTTP/1.1", "Content-Length:\t0 "),
	    PARSE_DONE);
	assert_int_equal(head.framing, HTTP_BODY_LENGTH);
	assert_int_equal(head.content_length, 0);
	assert_int_equal(parse_with_header("HTTP/1.0", "Content-Length: 007"),
	    PARSE_DONE);
	assert_int_equal(head.content_length, 7);
}

static void
test_transfer_encoding_values(void **state)
{
	static const struct {
		const char	*line;
		int		 status;
		const char	*message;
	} cases[] = {
		{ "Transfer-Encoding: chunkedx", 400,
		    "chunked is not the final transfer coding" },
		{ "Transfer-Encoding: xchunked", 400,
		    "chunked is not the final transfer coding" },
		{ "Transfer-Encoding: gzip", 400,
		    "chunked is not the final transfer coding" },
		{ "Transfer-Encoding: chunked, gzip", 400,
		    "chunked is not the final transfer coding" },
		{ "Transfer-Encoding: chunked, chunked", 400,
		    "chunked applied more than once" },
		{ "Transfer-Encoding: chunked, gzip, chunked", 400,
		    "chunked applied more than once" },
		{ "Transfer-Encoding: gzip, chunked", 501,
		    "unsupported transfer coding" },
		{ "Transfer-Encoding: chunked,", 400, "invalid Transfer-Encoding" },
		{ "Transfer-Encoding: , chunked", 400, "invalid Transfer-Encoding" },
		{ "Transfer-Encoding: chunked;x=1", 400, "invalid Transfer-Encoding" },
		{ "Transfer-Encoding: \"chunked\"", 400, "invalid Transfer-Encoding" },
		{ "Transfer-Encoding:", 400, "invalid Transfer-Encoding" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_with_header("HTTP/1.1", cases[i].line) != PARSE_INVALID)
			fail_msg("accepted \"%s\"", cases[i].line);
		assert_int_equal(head.error_status, cases[i].status);
		assert_string_equal(head.error_message, cases[i].message);
	}
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Transfer-Encoding:  CHUNKED \t"), PARSE_DONE);
	assert_int_equal(head.framing, HTTP_BODY_CHUNKED);
}

static void
test_two_transfer_encoding_headers(void **state)
{
	(void)state;
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
	    PARSE_INVALID);
	assert_string_equal(head.error_message, "duplicate Transfer-Encoding");
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"),
	    PARSE_INVALID);
	assert_int_equal(head.error_status, 400);
}

static void
test_transfer_encoding_with_content_length(void **state)
{
	(void)state;
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Transfer-Encoding: chunked\r\nContent-Length: 31"), PARSE_INVALID);
	assert_int_equal(head.error_status, 400);
	assert_string_equal(head.error_message,
	    "both Transfer-Encoding and Content-Length");
	assert_int_equal(parse_with_header("HTTP/1.1",
	    "Content-Length: 31\r\nTransfer-Encoding: chunked"), PARSE_INVALID);
	assert_string_equal(head.error_message,
	    "both Transfer-Encoding and Content-Length");
}

static void
test_transfer_encoding_on_http10(void **state)
{
	(void)state;
	assert_int_equal(parse_with_header("HTTP/1.0",
	    "Transfer-Encoding: chunked"), PARSE_INVALID);
	assert_int_equal(head.error_status, 400);
	assert_string_equal(head.error_message,
	    "Transfer-Encoding in HTTP/1.0 request");
}

static void
test_bare_lf(void **state)
{
	(void)state;
	/* refused before the rest of the head arrives */
	assert_invalid_string("GET / HTTP/1.1\n", 400, "bare LF in request head");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\n\r\n", 400,
	    "bare LF in request head");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\n\n", 400,
	    "bare LF in request head");
	assert_invalid_string("\n", 400, "bare LF in request head");
}

static void
test_bare_cr(void **state)
{
	(void)state;
	assert_invalid_string("GET / HTTP/1.1\rHost: a\r\n\r\n", 400,
	    "bare CR in request head");
	assert_invalid_string("GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n", 400,
	    "bare CR in request head");
	/* a CR at the end of the buffer may still be followed by LF */
	assert_int_equal(parse_string("GET / HTTP/1.1\r"), PARSE_MORE);
}

static void
test_nul_bytes(void **state)
{
	static const char in_request_line[] = "GET /a\0b HTTP/1.1";
	static const char in_header[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0";

	(void)state;
	assert_invalid(in_request_line, sizeof(in_request_line) - 1, 400,
	    "NUL in request head");
	assert_invalid(in_header, sizeof(in_header) - 1, 400,
	    "NUL in request head");
	assert_invalid("\0", 1, 400, "NUL in request head");
}

static void
test_control_characters(void **state)
{
	(void)state;
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n",
	    400, "control character in header value");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",
	    400, "control character in header value");
	assert_invalid_string("GET /\x1b HTTP/1.1\r\n", 400,
	    "invalid character in request-target");
	assert_invalid_string("GET / HTTP/1.1\r\nX\x01Y: 1\r\n", 400,
	    "invalid character in header name");
	/* HTAB and obs-text are field content */
	assert_int_equal(parse_string("GET / HTTP/1.1\r\nHost: a\r\n"
	    "X: a\tb \xc3\xa9\r\n\r\n"), PARSE_DONE);
	assert_token(head.headers[1].value, head.headers[1].value_len,
	    "a\tb \xc3\xa9");
}

static void
test_obsolete_line_folding(void **state)
{
	(void)state;
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n",
	    400, "obsolete line folding");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n",
	    400, "obsolete line folding");
	assert_invalid_string("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400,
	    "whitespace before first header");
}

static void
test_whitespace_before_colon(void **state)
{
	(void)state;
	assert_invalid_string("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
	    "whitespace before colon in header");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length\t: 5\r\n\r\n", 400, "whitespace before colon in header");
	assert_invalid_string("GET / HTTP/1.1\r\n: a\r\n\r\n", 400,
	    "empty header name");
	assert_invalid_string("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400,
	    "header line has no colon");
}

static void
test_http10_keep_alive(void **state)
{
	(void)state;
	assert_int_equal(parse_string("GET / HTTP/1.0\r\n\r\n"), PARSE_DONE);
	assert_int_equal(head.version_minor, 0);
	assert_false(head.keep_alive);
	assert_int_equal(parse_string("GET / HTTP/1.0\r\n"
	    "Connection: Keep-Alive\r\n\r\n"), PARSE_DONE);
	assert_true(head.keep_alive);
	assert_int_equal(parse_string("GET / HTTP/1.0\r\n"
	    "Connection: foo ,\tkeep-alive\r\n\r\n"), PARSE_DONE);
	assert_true(head.keep_alive);
	assert_int_equal(parse_string("GET / HTTP/1.0\r\n"
	    "Connection: keep-alive-ish\r\n\r\n"), PARSE_DONE);
	assert_false(head.keep_alive);
	assert_int_equal(parse_string("GET / HTTP/1.0\r\n"
	    "Connection: keep-alive\r\nConnection: close\r\n\r\n"), PARSE_DONE);
	assert_false(head.keep_alive);
}

static void
test_http11_connection_close(void **state)
{
	(void)state;
	assert_int_equal(parse_string("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: Upgrade, CLOSE\r\n\r\n"), PARSE_DONE);
	assert_false(head.keep_alive);
	assert_int_equal(parse_string("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: closed\r\n\r\n"), PARSE_DONE);
	assert_true(head.keep_alive);
	assert_int_equal(parse_string("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: keep-alive\r\n\r\n"), PARSE_DONE);
	assert_true(head.keep_alive);
}

static void
test_host_rules(void **state)
{
	(void)state;
	assert_invalid_string("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400,
	    "missing Host header");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400,
	    "duplicate Host header");
	assert_invalid_string("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400,
	    "duplicate Host header");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n", 400,
	    "invalid Host header");
	assert_int_equal(parse_string("GET / HTTP/1.1\r\n"
	    "Host: [::1]:8080\r\n\r\n"), PARSE_DONE);
	assert_int_equal(parse_string("GET / HTTP/1.0\r\n\r\n"), PARSE_DONE);
}

static void
test_header_lookup(void **state)
{
	const struct http_header *h;

	(void)state;
	assert_int_equal(parse_string("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Type:   application/json  \r\nX-Empty:\r\n\r\n"), PARSE_DONE);
	h = http_find_header(&head, "content-TYPE");
	assert_non_null(h);
	assert_token(h->value, h->value_len, "application/json");
	h = http_find_header(&head, "x-empty");
	assert_non_null(h);
	assert_int_equal(h->value_len, 0);
	assert_null(http_find_header(&head, "Content"));
	assert_null(http_find_header(&head, "Content-Type-X"));
	assert_true(http_token_equals("CHUNKED", 7, "chunked"));
	assert_false(http_token_equals("chunk", 5, "chunked"));
	assert_false(http_token_equals("chunkedx", 8, "chunked"));
	assert_true(http_token_equals("", 0, ""));
}

static void
test_http_versions(void **state)
{
	(void)state;
	assert_invalid_string("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505,
	    "HTTP version not supported");
	assert_invalid_string("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505,
	    "HTTP version not supported");
	assert_invalid_string("GET / HTTP/0.9\r\n", 505,
	    "HTTP version not supported");
	assert_invalid_string("GET / HTTP/1.x\r\n", 400, "malformed HTTP version");
	assert_invalid_string("GET / HTTP/11.1\r\n", 400, "malformed HTTP version");
	assert_invalid_string("GET / http/1.1\r\n", 400, "malformed HTTP version");
	assert_invalid_string("GET / HTTP/1.1 \r\n", 400, "malformed HTTP version");
	assert_invalid_string("GET / HTTP/1\r\n", 400, "malformed HTTP version");
	assert_invalid_string("GET /\r\n", 400, "request line has no HTTP version");
}

static void
test_request_line_shapes(void **state)
{
	(void)state;
	assert_invalid_string("GET http://a/ HTTP/1.1\r\n", 400,
	    "request-target is not origin-form");
	assert_invalid_string("CONNECT a:443 HTTP/1.1\r\n", 400,
	    "request-target is not origin-form");
	assert_invalid_string("GET  / HTTP/1.1\r\n", 400,
	    "extra whitespace in request line");
	assert_invalid_string("GET /  HTTP/1.1\r\n", 400,
	    "extra whitespace in request line");
	assert_invalid_string("GET\t/ HTTP/1.1\r\n", 400,
	    "invalid character in method");
	assert_invalid_string(" GET / HTTP/1.1\r\n", 400, "empty method");
	assert_invalid_string("GET * HTTP/1.1\r\n", 400,
	    "asterisk-form request-target without OPTIONS");
	assert_invalid_string("OPTIONS *x HTTP/1.1\r\n", 400,
	    "invalid asterisk-form request-target");
	assert_invalid_string("GET\r\n", 400, "request line has no request-target");
	assert_int_equal(parse_string("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
	    PARSE_DONE);
	assert_token(head.target, head.target_len, "*");
}

static void
test_early_rejection_of_prefixes(void **state)
{
	(void)state;
	/* the request can no longer become valid: no need to wait for CRLF */
	assert_invalid_string("G(", 400, "invalid character in method");
	assert_invalid_string("GET h", 400, "request-target is not origin-form");
	assert_invalid_string("GET / HTTP/1.1\r\nHost : ", 400,
	    "whitespace before colon in header");
	assert_invalid_string("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n", 400, "duplicate Content-Length");
	assert_int_equal(parse_string("GET / HT"), PARSE_MORE);
	assert_int_equal(parse_string(""), PARSE_MORE);
}

static void
test_leading_empty_lines(void **state)
{
	const char *req = "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	assert_int_equal(parse_string(req), PARSE_DONE);
	assert_int_equal(head.head_len, strlen(req));
	assert_token(head.method, head.method_len, "GET");
	assert_invalid_string("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n", 400,
	    "too many empty lines before request line");
}

static void
test_header_count_limit(void **state)
{
	char req[4096];
	size_t len, i;

	(void)state;
	len = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < HTTP_MAX_HEADERS; i++)
		len += (size_t)snprintf(req + len, sizeof(req) - len,
		    "X-%zu: v\r\n", i);
	memcpy(req + len, "\r\n", 3);
	assert_int_equal(parse_string(req), PARSE_DONE);
	assert_int_equal(head.header_count, HTTP_MAX_HEADERS);
	memcpy(req + len, "X-Last: v\r\n\r\n", 14);
	assert_invalid_string(req, 431, "too many headers");
}

/* Every byte value in a header name: accepted exactly when it is a tchar. */
static void
test_every_byte_in_a_header_name(void **state)
{
	static const char tchar_punct[] = "!#$%&'*+-.^_`|~";
	char req[128];
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		bool tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 && strchr(tchar_punct, c) != NULL);
		int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nX-");
		enum parse p;

		req[n++] = (char)c;
		n += snprintf(req + n, sizeof(req) - (size_t)n, "y: 1\r\n\r\n");
		p = parse_bytes(req, (size_t)n);
		if (c == ':')	/* ends the name: "X-" with the value ":y: 1" */
			assert_int_equal(p, PARSE_DONE);
		else if (tchar)
			assert_int_equal(p, PARSE_DONE);
		else
			assert_int_equal(p, PARSE_INVALID);
	}
}

/* A head parsed in one buffer and rebased onto a copy reads from the copy. */
static void
test_rebase_onto_a_copy(void **state)
{
	char a[] = "\r\nPOST /v1/x?q=1 HTTP/1.1\r\nHost: h\r\nX-Long: some value\r\n\r\n";
	char b[sizeof(a)];

	(void)state;
	assert_int_equal(parse_bytes(a, sizeof(a) - 1), PARSE_DONE);
	memcpy(b, a, sizeof(a));
	http_request_head_rebase(&head, a, b);
	memset(a, 'Z', sizeof(a));	/* nothing may still point here */
	assert_token(head.method, head.method_len, "POST");
	assert_token(head.target, head.target_len, "/v1/x?q=1");
	assert_int_equal(head.header_count, 2);
	assert_token(head.headers[1].name, head.headers[1].name_len, "X-Long");
	assert_token(head.headers[1].value, head.headers[1].value_len, "some value");
	assert_true(head.headers[0].name >= b && head.headers[0].name < b + sizeof(b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_get),
		cmocka_unit_test(test_valid_post_with_body),
		cmocka_unit_test(test_valid_chunked_post),
		cmocka_unit_test(test_every_prefix_needs_more),
		cmocka_unit_test(test_pipelined_request_not_consumed),
		cmocka_unit_test(test_head_too_large),
		cmocka_unit_test(test_request_line_too_long),
		cmocka_unit_test(test_duplicate_content_length),
		cmocka_unit_test(test_invalid_content_length_values),
		cmocka_unit_test(test_valid_content_length_values),
		cmocka_unit_test(test_transfer_encoding_values),
		cmocka_unit_test(test_two_transfer_encoding_headers),
		cmocka_unit_test(test_transfer_encoding_with_content_length),
		cmocka_unit_test(test_transfer_encoding_on_http10),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_bare_cr),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_obsolete_line_folding),
		cmocka_unit_test(test_whitespace_before_colon),
		cmocka_unit_test(test_http10_keep_alive),
		cmocka_unit_test(test_http11_connection_close),
		cmocka_unit_test(test_host_rules),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_http_versions),
		cmocka_unit_test(test_request_line_shapes),
		cmocka_unit_test(test_early_rejection_of_prefixes),
		cmocka_unit_test(test_leading_empty_lines),
		cmocka_unit_test(test_header_count_limit),
		cmocka_unit_test(test_every_byte_in_a_header_name),
		cmocka_unit_test(test_rebase_onto_a_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
