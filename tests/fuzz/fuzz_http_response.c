/*
 * tests/fuzz/fuzz_http_response.c — libFuzzer target for the response-head
 * parser (common/http_response.c). Each input is parsed under several head
 * caps, as the answer to a GET and to a HEAD, and the results are checked
 * against what the relay relies on; any broken promise aborts:
 *   - PARSE_DONE: head_len <= len and <= max_head, the head ends in CRLFCRLF,
 *     every pointer lies inside the head, the status is 100..599 and not 101,
 *     the framing is the one RFC 9112 §6.3 gives for the status and headers
 *     (never both Transfer-Encoding and Content-Length, at most one of each,
 *     no until-close body kept alive), and the head parses the same on its
 *     own, while one byte less asks for more;
 *   - whether the request was HEAD changes the framing only;
 *   - PARSE_INVALID: always 502 with a static message;
 *   - PARSE_MORE: only while fewer than max_head bytes are buffered;
 *   - a prefix already refused or complete keeps that answer as bytes arrive.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     tests/fuzz/fuzz_http_response.c common/http_response.c \
 *     common/http_parse.c common/http_fields.c -o fuzz_http_response
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_response.h"
#include "fuzz_head.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count_headers(const struct http_response_head *head, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < head->header_count; i++)
		if (http_token_equals(head->headers[i].name,
		    head->headers[i].name_len, name))
			n++;
	return n;
}

static uint64_t
decimal_value(const char *s, size_t len)
{
	uint64_t value = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		check(s[i] >= '0' && s[i] <= '9');
		value = value * 10 + (uint64_t)(s[i] - '0');
	}
	return value;
}

static void
check_framing(const struct http_response_head *head, bool request_was_head)
{
	const struct http_header *te, *cl;
	bool bodiless;

	te = http_response_find_header(head, "transfer-encoding");
	cl = http_response_find_header(head, "content-length");
	check(count_headers(head, "transfer-encoding") <= 1);
	check(count_headers(head, "content-length") <= 1);
	check(te == NULL || cl == NULL);
	if (te != NULL) {
		check(head->version_minor == 1);
		check(http_token_equals(te->value, te->value_len, "chunked"));
	}
	if (cl != NULL)
		check(cl->value_len > 0 && cl->value_len <= 18);

	bodiless = request_was_head || head->status < 200 ||
	    head->status == 204 || head->status == 304;
	switch (head->framing) {
	case HTTP_RESPONSE_NO_BODY:
		check(bodiless);
		check(head->content_length == 0);
		break;
	case HTTP_RESPONSE_CHUNKED:
		check(!bodiless && te != NULL);
		check(head->content_length == 0);
		break;
	case HTTP_RESPONSE_LENGTH:
		check(!bodiless && te == NULL && cl != NULL);
		check(head->content_length ==
		    decimal_value(cl->value, cl->value_len));
		break;
	case HTTP_RESPONSE_UNTIL_CLOSE:
		check(!bodiless && te == NULL && cl == NULL);
		check(!head->keep_alive);
		break;
	default:
		abort();
	}
	if (head->keep_alive && head->version_minor == 0)
		check(http_response_find_header(head, "connection") != NULL);
}

static void
check_done(const char *buf, size_t len, size_t max_head, bool request_was_head,
    const struct http_response_head *head)
{
	struct http_response_head again;

	check_head_fields(buf, len, max_head, head->head_len, head->headers,
	    head->header_count);
	check(head->head_len >= 16);	/* "HTTP/1.1 200" CRLF CRLF */
	check(memcmp(buf, "HTTP/1.", 7) == 0);
	check(head->version_minor == 0 || head->version_minor == 1);
	check(head->status >= 100 && head->status <= 599 && head->status != 101);
	check(head->error_message == NULL && head->error_status == 0);
	check(inside(head->reason, head->reason_len, buf, head->head_len));
	check_framing(head, request_was_head);

	/* the head alone gives the same answer; one byte short asks for more */
	check(http_parse_response_head(buf, head->head_len, max_head,
	    request_was_head, &again) == PARSE_DONE);
	check(again.head_len == head->head_len);
	check(again.status == head->status);
	check(again.framing == head->framing);
	check(again.content_length == head->content_length);
	check(again.keep_alive == head->keep_alive);
	check(again.header_count == head->header_count);
	check(http_parse_response_head(buf, head->head_len - 1, max_head,
	    request_was_head, &again) == PARSE_MORE);
}

static enum parse
check_one(const char *buf, size_t len, size_t max_head, bool request_was_head,
    struct http_response_head *head)
{
	struct http_response_head prefix_head;
	struct head_answer whole, prefix;

	whole.result = http_parse_response_head(buf, len, max_head,
	    request_was_head, head);
	switch (whole.result) {
	case PARSE_DONE:
		check_done(buf, len, max_head, request_was_head, head);
		break;
	case PARSE_INVALID:
		check(head->error_status == 502);
		check(head->error_message != NULL &&
		    head->error_message[0] != '\0');
		break;
	case PARSE_MORE:
		break;
	default:
		abort();
	}
	whole.head_len = head->head_len;
	whole.message = head->error_message;

	/* a refused prefix stays refused, a complete one stays complete */
	prefix.result = http_parse_response_head(buf, len / 2, max_head,
	    request_was_head, &prefix_head);
	prefix.head_len = prefix_head.head_len;
	prefix.message = prefix_head.error_message;
	check_answers(&whole, &prefix, len, max_head, true);
	return whole.result;
}

static void
check_cap(const char *buf, size_t len, size_t max_head)
{
	struct http_response_head get_head, head_head;
	enum parse get_result, head_result;

	get_result = check_one(buf, len, max_head, false, &get_head);
	head_result = check_one(buf, len, max_head, true, &head_head);
	check(get_result == head_result);
	if (get_result == PARSE_DONE) {
		check(get_head.head_len == head_head.head_len);
		check(get_head.status == head_head.status);
		check(get_head.header_count == head_head.header_count);
		check(head_head.framing == HTTP_RESPONSE_NO_BODY);
	}
	if (get_result == PARSE_INVALID)
		check(strcmp(get_head.error_message,
		    head_head.error_message) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_under_caps(data, size, check_cap);
	return 0;
}
