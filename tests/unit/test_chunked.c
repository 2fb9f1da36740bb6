/*
 * tests/unit/test_chunked.c — byte-string tests of the chunked-body framer
 * (common/chunked.c): whole bodies, the same bodies split at every byte and
 * every pair of bytes, chunk-size shapes (hex case, leading zeros, overflow),
 * chunk extensions, trailers, the CRLF rules, and what happens after the
 * body ends or is refused; decoding (the payload out, split at every byte).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chunked.h"

/* Three SSE events, an extension, uppercase hex, a trailer; then more data. */
static const char multi_chunk_body[] =
    "1a\r\ndata: {\"delta\":\"Hello!\"}\n\n\r\n"
    "1B;ext=\"a;b\"\r\ndata: {\"delta\":\" world!\"}\n\n\r\n"
    "000e\r\ndata: [DONE]\n\n\r\n"
    "0;final\r\n"
    "X-Usage-Tokens: 42\r\n"
    "\r\n";
static const char next_response[] = "HTTP/1.1 200 OK\r\n\r\n";
#define MULTI_CHUNK_PAYLOAD	(26 + 27 + 14)

static struct chunked_state st;

/* Feed one buffer to a fresh framer. */
static enum parse
feed_fresh(const char *buf, size_t len, size_t *consumed)
{
	chunked_init(&st);
	return chunked_feed(&st, buf, len, consumed);
}

static enum parse
feed_fresh_string(const char *s, size_t *consumed)
{
	return feed_fresh(s, strlen(s), consumed);
}

/* Expect buf[0..len) to be refused at byte offset `at`, with this message. */
static void
assert_invalid_bytes_at(const char *buf, size_t len, size_t at,
    const char *message)
{
	size_t consumed = 999;

	assert_int_equal(feed_fresh(buf, len, &consumed), PARSE_INVALID);
	assert_int_equal(consumed, at);
	assert_string_equal(st.error_message, message);
}

static void
assert_invalid_at(const char *s, size_t at, const char *message)
{
	assert_invalid_bytes_at(s, strlen(s), at, message);
}

/* Expect the whole string to be a complete body. */
static void
assert_whole_body(const char *s, uint64_t payload)
{
	size_t consumed = 0;

	assert_int_equal(feed_fresh_string(s, &consumed), PARSE_DONE);
	assert_int_equal(consumed, strlen(s));
	assert_int_equal(chunked_body_bytes(&st), payload);
	assert_null(st.error_message);
}

/*
 * Feed buf[0..len) in the pieces the cut points make (cuts ascending, each
 * <= len); returns where the body ended, or (size_t)-1 if it did not.
 */
static size_t
feed_in_pieces(const char *buf, size_t len, const size_t *cuts, size_t ncuts)
{
	size_t start = 0, i, consumed;
	enum parse result;

	chunked_init(&st);
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		result = chunked_feed(&st, buf + start, end - start, &consumed);
		if (result == PARSE_DONE)
			return start + consumed;
		assert_int_equal(result, PARSE_MORE);
		assert_int_equal(consumed, end - start);
		start = end;
	}
	return (size_t)-1;
}

static void
test_simple_body(void **state)
{
	(void)state;
	assert_whole_body("5\r\nhello\r\n0\r\n\r\n", 5);
	assert_whole_body("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 11);
}

static void
test_zero_length_body(void **state)
{
	(void)state;
	assert_whole_body("0\r\n\r\n", 0);
	assert_whole_body("000\r\n\r\n", 0);
}

static void
test_multi_chunk_whole(void **state)
{
	char buf[sizeof(multi_chunk_body) + sizeof(next_response)];
	size_t body_len = sizeof(multi_chunk_body) - 1, consumed;

	(void)state;
	assert_whole_body(multi_chunk_body, MULTI_CHUNK_PAYLOAD);

	/* the next response's bytes are left alone */
	memcpy(buf, multi_chunk_body, body_len);
	memcpy(buf + body_len, next_response, sizeof(next_response));
	assert_int_equal(feed_fresh_string(buf, &consumed), PARSE_DONE);
	assert_int_equal(consumed, body_len);
}

static void
test_one_byte_at_a_time(void **state)
{
	char buf[sizeof(multi_chunk_body) + sizeof(next_response)];
	size_t body_len = sizeof(multi_chunk_body) - 1, len, i, consumed;
	enum parse result;

	(void)state;
	memcpy(buf, multi_chunk_body, body_len);
	memcpy(buf + body_len, next_response, sizeof(next_response));
	len = strlen(buf);

	chunked_init(&st);
	for (i = 0; i < len; i++) {
		result = chunked_feed(&st, buf + i, 1, &consumed);
		assert_int_equal(consumed, 1);
		if (i + 1 < body_len)
			assert_int_equal(result, PARSE_MORE);
		else {
			assert_int_equal(result, PARSE_DONE);
			break;
		}
	}
	assert_int_equal(i + 1, body_len);
	assert_int_equal(chunked_body_bytes(&st), MULTI_CHUNK_PAYLOAD);
	/* done is final; the next bytes are not taken */
	assert_int_equal(chunked_feed(&st, buf + body_len, 4, &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 0);
}

static void
test_every_split_in_two(void **state)
{
	char buf[sizeof(multi_chunk_body) + sizeof(next_response)];
	size_t body_len = sizeof(multi_chunk_body) - 1, len, cut;

	(void)state;
	memcpy(buf, multi_chunk_body, body_len);
	memcpy(buf + body_len, next_response, sizeof(next_response));
	len = strlen(buf);

	for (cut = 0; cut <= len; cut++) {
		assert_int_equal(feed_in_pieces(buf, len, &cut, 1), body_len);
		assert_int_equal(chunked_body_bytes(&st), MULTI_CHUNK_PAYLOAD);
	}
}

/* Every pair of cut points: three pieces, both cuts anywhere. */
static void
test_every_split_in_three(void **state)
{
	char buf[sizeof(multi_chunk_body) + sizeof(next_response)];
	size_t body_len = sizeof(multi_chunk_body) - 1, len, cuts[2];

	(void)state;
	memcpy(buf, multi_chunk_body, body_len);
	memcpy(buf + body_len, next_response, sizeof(next_response));
	len = strlen(buf);

	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++)
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++) {
			assert_int_equal(feed_in_pieces(buf, len, cuts, 2),
			    body_len);
			assert_int_equal(chunked_body_bytes(&st),
			    MULTI_CHUNK_PAYLOAD);
		}
}

/* A body cut short is never done, wherever it was cut. */
static void
test_every_prefix_needs_more(void **state)
{
	size_t body_len = sizeof(multi_chunk_body) - 1, i, consumed;

	(void)state;
	for (i = 0; i < body_len; i++) {
		assert_int_equal(feed_fresh(multi_chunk_body, i, &consumed),
		    PARSE_MORE);
		assert_int_equal(consumed, i);
	}
}

static void
test_chunk_extensions(void **state)
{
	char line[CHUNKED_MAX_SIZE_LINE + 32];
	size_t len;

	(void)state;
	assert_whole_body("5;name=value\r\nhello\r\n0\r\n\r\n", 5);
	assert_whole_body("5 ; a=\"q;x\" ;b\r\nhello\r\n0;last=1\r\n\r\n", 5);
	assert_whole_body("5\t;a\r\nhello\r\n0 ;x\r\n\r\n", 5);
	assert_whole_body("5;\xc3\xa9\r\nhello\r\n0\r\n\r\n", 5);

	assert_invalid_at("5 \r\nhello\r\n0\r\n\r\n", 2,
	    "whitespace after chunk size");
	assert_invalid_at("5 x\r\n", 2, "invalid character in chunk size");
	assert_invalid_at("5;a\x01\r\n", 3, "control character in chunk extension");
	assert_invalid_at("5;a=\"\n\"\r\n", 5, "bare LF in chunk size line");
	assert_invalid_at("5;a\rb\r\n", 4, "bare CR in chunk size line");

	/* the size line, digits and extension, is bounded */
	memset(line, 0, sizeof(line));
	line[0] = '5';
	line[1] = ';';
	memset(line + 2, 'e', CHUNKED_MAX_SIZE_LINE - 2);
	memcpy(line + CHUNKED_MAX_SIZE_LINE, "\r\nhello\r\n0\r\n\r\n", 15);
	len = strlen(line);
	assert_whole_body(line, 5);
	assert_int_equal(len, CHUNKED_MAX_SIZE_LINE + 14);
	memmove(line + 1, line, len + 1);
	assert_invalid_at(line, CHUNKED_MAX_SIZE_LINE, "chunk size line too long");
}

static void
test_trailers(void **state)
{
	char trailer[CHUNKED_MAX_TRAILER + 64];
	size_t len;

	(void)state;
	assert_whole_body("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n"
	    "X-Empty:\r\nx-tab:\ta b\t\r\n\r\n", 5);
	assert_whole_body("0\r\nX-Usage: {\"tokens\": 7}\r\n\r\n", 0);

	assert_invalid_at("0\r\nX-A: a\r\n b\r\n\r\n", 11,
	    "obsolete line folding in trailer section");
	assert_invalid_at("0\r\n X-A: a\r\n\r\n", 3,
	    "obsolete line folding in trailer section");
	assert_invalid_at("0\r\nX-A : a\r\n\r\n", 6,
	    "whitespace before colon in trailer field");
	assert_invalid_at("0\r\nNoColon\r\n\r\n", 10, "trailer field has no colon");
	assert_invalid_at("0\r\n: a\r\n\r\n", 3, "empty trailer field name");
	assert_invalid_at("0\r\nX(A): a\r\n\r\n", 4,
	    "invalid character in trailer field name");
	assert_invalid_at("0\r\nX-A: a\x7f\r\n\r\n", 9,
	    "control character in trailer field");
	assert_invalid_at("0\r\nX-A: a\n\r\n", 9, "bare LF in trailer section");
	assert_invalid_at("0\r\nX-A: a\rb\r\n", 10, "bare CR in trailer section");
	assert_invalid_at("0\r\n\n", 3, "bare LF in trailer section");
	assert_invalid_at("0\r\n\rX", 4, "bare CR in trailer section");

	/* the trailer section is bounded: exactly the cap is fine */
	len = (size_t)snprintf(trailer, sizeof(trailer), "0\r\nX-Big: ");
	memset(trailer + len, 'a', CHUNKED_MAX_TRAILER - 9);
	len += CHUNKED_MAX_TRAILER - 9;
	memcpy(trailer + len, "\r\n\r\n", 5);
	assert_whole_body(trailer, 0);
	memcpy(trailer + len, "a\r\n\r\n", 6);
	assert_invalid_at(trailer, 3 + CHUNKED_MAX_TRAILER,
	    "trailer section too large");
}

static void
test_uppercase_hex(void **state)
{
	(void)state;
	assert_whole_body("A\r\n0123456789\r\n0\r\n\r\n", 10);
	assert_whole_body("a\r\n0123456789\r\n0\r\n\r\n", 10);
	assert_whole_body("1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
	    31);
	assert_whole_body("1f\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
	    31);
	assert_invalid_at("G\r\n", 0, "invalid character in chunk size");
	assert_invalid_at("1g\r\n", 1, "invalid character in chunk size");
}

static void
test_leading_zeros(void **state)
{
	char line[CHUNKED_MAX_SIZE_LINE + 32];
	size_t consumed;

	(void)state;
	assert_whole_body("0005\r\nhello\r\n0000\r\n\r\n", 5);
	/* leading zeros do not count as significant digits */
	assert_int_equal(feed_fresh_string("00000000ffffffffffffffff\r\n",
	    &consumed), PARSE_MORE);
	assert_int_equal(st.chunk_remaining, UINT64_MAX);
	/* but they count toward the size line */
	memset(line, 0, sizeof(line));
	memset(line, '0', CHUNKED_MAX_SIZE_LINE);
	memcpy(line + CHUNKED_MAX_SIZE_LINE, "\r\n\r\n", 4);
	assert_whole_body(line, 0);
	memset(line, '0', CHUNKED_MAX_SIZE_LINE + 1);
	assert_invalid_at(line, CHUNKED_MAX_SIZE_LINE,
	    "chunk size line too long");
}

static void
test_size_overflow(void **state)
{
	size_t consumed;

	(void)state;
	assert_int_equal(feed_fresh_string("FFFFFFFFFFFFFFFF\r\n", &consumed),
	    PARSE_MORE);
	assert_int_equal(st.chunk_remaining, UINT64_MAX);
	assert_invalid_at("10000000000000000\r\n", 16, "chunk size too large");
	assert_invalid_at("FFFFFFFFFFFFFFFFF\r\n", 16, "chunk size too large");
	assert_invalid_at("0001000000000000000000\r\n", 19,
	    "chunk size too large");
}

static void
test_invalid_size_lines(void **state)
{
	(void)state;
	assert_invalid_at("\r\n", 0, "empty chunk size");
	assert_invalid_at(";a\r\n", 0, "empty chunk size");
	assert_invalid_at(" 5\r\n", 0, "empty chunk size");
	assert_invalid_at("x\r\n", 0, "invalid character in chunk size");
	assert_invalid_at("-5\r\n", 0, "invalid character in chunk size");
	assert_invalid_at("+5\r\n", 0, "invalid character in chunk size");
	assert_invalid_at("0x5\r\n", 1, "invalid character in chunk size");
	assert_invalid_bytes_at("5\0\r\n", 4, 1,
	    "invalid character in chunk size");
	assert_invalid_at("5\nhello\r\n", 1, "bare LF in chunk size line");
	assert_invalid_at("\n", 0, "bare LF in chunk size line");
	assert_invalid_at("5\rhello\r\n", 2, "bare CR in chunk size line");
	assert_invalid_at("HTTP/1.1 200 OK\r\n", 0,
	    "invalid character in chunk size");
}

static void
test_missing_crlf_after_data(void **state)
{
	(void)state;
	assert_invalid_at("5\r\nhelloX\r\n0\r\n\r\n", 8,
	    "missing CRLF after chunk data");
	assert_invalid_at("5\r\nhello\rX", 9, "missing CRLF after chunk data");
	assert_invalid_at("5\r\nhello\n0\r\n\r\n", 8,
	    "missing CRLF after chunk data");
	/* a size one short of the data leaves a data byte where CRLF belongs */
	assert_invalid_at("4\r\nhello\r\n0\r\n\r\n", 7,
	    "missing CRLF after chunk data");
	/* one too long swallows the CR and then finds no CRLF */
	assert_invalid_at("6\r\nhello\r\n0\r\n\r\n", 9,
	    "missing CRLF after chunk data");
}

static void
test_bytes_after_terminator(void **state)
{
	const char *pipelined = "0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
	const char *with_trailer = "3\r\nabc\r\n0\r\nX-A: 1\r\n\r\n0\r\n\r\n";
	size_t consumed;

	(void)state;
	assert_int_equal(feed_fresh_string(pipelined, &consumed), PARSE_DONE);
	assert_int_equal(consumed, 5);
	assert_int_equal(feed_fresh_string(with_trailer, &consumed), PARSE_DONE);
	assert_int_equal(consumed, strlen(with_trailer) - 5);
	assert_int_equal(chunked_body_bytes(&st), 3);

	/* done stays done, and takes nothing more */
	assert_int_equal(chunked_feed(&st, "0\r\n\r\n", 5, &consumed), PARSE_DONE);
	assert_int_equal(consumed, 0);
	assert_int_equal(chunked_body_bytes(&st), 3);
}

static void
test_invalid_is_final(void **state)
{
	size_t consumed;

	(void)state;
	assert_invalid_at("5\r\nhelloXX", 8, "missing CRLF after chunk data");
	assert_int_equal(chunked_feed(&st, "\r\n0\r\n\r\n", 7, &consumed),
	    PARSE_INVALID);
	assert_int_equal(consumed, 0);
	assert_string_equal(st.error_message, "missing CRLF after chunk data");
}

static void
test_body_bytes_count_partial_chunks(void **state)
{
	size_t consumed;

	(void)state;
	chunked_init(&st);
	assert_int_equal(chunked_body_bytes(&st), 0);
	assert_int_equal(chunked_feed(&st, "a\r\n01234", 8, &consumed),
	    PARSE_MORE);
	assert_int_equal(consumed, 8);
	assert_int_equal(chunked_body_bytes(&st), 5);
	assert_int_equal(chunked_feed(&st, "56789\r", 6, &consumed), PARSE_MORE);
	assert_int_equal(chunked_body_bytes(&st), 10);
	assert_int_equal(chunked_feed(&st, "", 0, &consumed), PARSE_MORE);
	assert_int_equal(consumed, 0);
	assert_int_equal(chunked_feed(&st, "\n0\r\n\r\nrest", 10, &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 6);
	assert_int_equal(chunked_body_bytes(&st), 10);
}

/* A large chunk crosses many buffers in one step each. */
static void
test_large_chunk(void **state)
{
	static char data[65536];
	size_t consumed, i;

	(void)state;
	memset(data, 'z', sizeof(data));
	chunked_init(&st);
	assert_int_equal(chunked_feed(&st, "40000\r\n", 7, &consumed),
	    PARSE_MORE);
	for (i = 0; i < 4; i++) {
		assert_int_equal(chunked_feed(&st, data, sizeof(data),
		    &consumed), PARSE_MORE);
		assert_int_equal(consumed, sizeof(data));
	}
	assert_int_equal(chunked_body_bytes(&st), 4 * sizeof(data));
	assert_int_equal(chunked_feed(&st, "\r\n0\r\n\r\n", 7, &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 7);
}

/* Decode buf in pieces of `step` bytes; the payload and the bytes consumed. */
static enum parse
decode_in_steps(const char *buf, size_t len, size_t step, char *payload,
    size_t *payload_len, size_t *used)
{
	enum parse p = PARSE_MORE;
	size_t pos = 0, consumed, got;

	chunked_init(&st);
	*payload_len = 0;
	while (pos < len && p == PARSE_MORE) {
		size_t n = len - pos < step ? len - pos : step;
		p = chunked_decode(&st, buf + pos, n, &consumed, payload + *payload_len, &got);
		*payload_len += got;
		pos += consumed;
	}
	*used = pos;
	return p;
}

static void
test_decode_gives_the_payload_at_every_split(void **state)
{
	char wire[512], payload[512];
	size_t len, step, payload_len, used;
	const char expected[] = "data: {\"delta\":\"Hello!\"}\n\n"
	    "data: {\"delta\":\" world!\"}\n\ndata: [DONE]\n\n";

	(void)state;
	len = (size_t)snprintf(wire, sizeof(wire), "%s%s", multi_chunk_body, next_response);
	for (step = 1; step <= len; step++) {
		assert_int_equal(decode_in_steps(wire, len, step, payload, &payload_len, &used),
		    PARSE_DONE);
		assert_int_equal(payload_len, MULTI_CHUNK_PAYLOAD);
		assert_memory_equal(payload, expected, MULTI_CHUNK_PAYLOAD);
		/* what follows the body is left alone */
		assert_int_equal(used, strlen(multi_chunk_body));
	}
}

static void
test_decode_refuses_like_feed_and_keeps_what_came_before(void **state)
{
	static const char bad[] = "3\r\nabc\r\n2\r\nxyZ\r\n";
	char payload[64];
	size_t payload_len, used;

	(void)state;
	assert_int_equal(decode_in_steps(bad, strlen(bad), 64, payload, &payload_len, &used),
	    PARSE_INVALID);
	assert_int_equal(used, 13);	/* the 'Z' where CRLF belongs */
	assert_int_equal(payload_len, 5);
	assert_memory_equal(payload, "abcxy", 5);
	assert_non_null(st.error_message);
}

static void
test_decode_binary_payload_with_nul_and_crlf(void **state)
{
	static const char wire[] = "6\r\n\0\r\n\r\n\xff\r\n0\r\n\r\n";
	char payload[16];
	size_t payload_len, used;

	(void)state;
	assert_int_equal(decode_in_steps(wire, sizeof(wire) - 1, 3, payload, &payload_len,
	    &used), PARSE_DONE);
	assert_int_equal(payload_len, 6);
	assert_memory_equal(payload, "\0\r\n\r\n\xff", 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_body),
		cmocka_unit_test(test_zero_length_body),
		cmocka_unit_test(test_multi_chunk_whole),
		cmocka_unit_test(test_one_byte_at_a_time),
		cmocka_unit_test(test_every_split_in_two),
		cmocka_unit_test(test_every_split_in_three),
		cmocka_unit_test(test_every_prefix_needs_more),
		cmocka_unit_test(test_chunk_extensions),
		cmocka_unit_test(test_trailers),
		cmocka_unit_test(test_uppercase_hex),
		cmocka_unit_test(test_leading_zeros),
		cmocka_unit_test(test_size_overflow),
		cmocka_unit_test(test_invalid_size_lines),
		cmocka_unit_test(test_missing_crlf_after_data),
		cmocka_unit_test(test_bytes_after_terminator),
		cmocka_unit_test(test_invalid_is_final),
		cmocka_unit_test(test_body_bytes_count_partial_chunks),
		cmocka_unit_test(test_large_chunk),
		cmocka_unit_test(test_decode_gives_the_payload_at_every_split),
		cmocka_unit_test(test_decode_refuses_like_feed_and_keeps_what_came_before),
		cmocka_unit_test(test_decode_binary_payload_with_nul_and_crlf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
