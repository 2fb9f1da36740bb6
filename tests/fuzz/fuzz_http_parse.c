/*
 * tests/fuzz/fuzz_http_parse.c — libFuzzer target for the request-head parser
 * (common/http_parse.c). Each input is parsed under several head caps and the
 * results are checked against what callers rely on; any broken promise
 * aborts:
 *   - PARSE_DONE: head_len <= len and <= max_head, the head ends in CRLFCRLF,
 *     every pointer lies inside the head, the framing agrees with the
 *     headers, and the head parses the same on its own, while one byte less
 *     asks for more;
 *   - PARSE_INVALID: a static message and one of the statuses we send;
 *   - PARSE_MORE: only while fewer than max_head bytes are buffered;
 *   - a prefix already refused is never accepted once more bytes arrive;
 *     a complete one keeps its length.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     tests/fuzz/fuzz_http_parse.c common/http_parse.c common/http_fields.c \
 *     -o fuzz_http
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "fuzz_head.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
known_status(int status)
{
	return status == 400 || status == 414 || status == 431 ||
	    status == 501 || status == 505;
}

static void
check_done(const char *buf, size_t len, size_t max_head,
    const struct http_request_head *head)
{
	struct http_request_head again;
	const struct http_header *te, *cl;

	check_head_fields(buf, len, max_head, head->head_len, head->headers,
	    head->header_count);
	check(head->version_minor == 0 || head->version_minor == 1);
	check(head->error_message == NULL);
	check(head->method_len > 0 && head->target_len > 0);
	check(inside(head->method, head->method_len, buf, head->head_len));
	check(inside(head->target, head->target_len, buf, head->head_len));
	check(head->target[0] == '/' ||
	    (head->target[0] == '*' && head->target_len == 1));

	te = http_find_header(head, "transfer-encoding");
	cl = http_find_header(head, "content-length");
	switch (head->framing) {
	case HTTP_BODY_NONE:
		check(te == NULL && cl == NULL);
		break;
	case HTTP_BODY_LENGTH:
		check(te == NULL && cl != NULL && cl->value_len <= 18);
		break;
	case HTTP_BODY_CHUNKED:
		check(cl == NULL && te != NULL && head->version_minor == 1);
		check(http_token_equals(te->value, te->value_len, "chunked"));
		break;
	default:
		abort();
	}
	if (head->version_minor == 1)
		check(http_find_header(head, "host") != NULL);

	/* the head alone gives the same answer; one byte short asks for more */
	check(http_parse_request_head(buf, head->head_len, max_head, &again) ==
	    PARSE_DONE);
	check(again.head_len == head->head_len);
	check(again.framing == head->framing);
	check(again.content_length == head->content_length);
	check(again.keep_alive == head->keep_alive);
	check(again.header_count == head->header_count);
	check(http_parse_request_head(buf, head->head_len - 1, max_head,
	    &again) == PARSE_MORE);
}

static void
check_one(const char *buf, size_t len, size_t max_head)
{
	struct http_request_head head, prefix_head;
	struct head_answer whole, prefix;

	whole.result = http_parse_request_head(buf, len, max_head, &head);
	switch (whole.result) {
	case PARSE_DONE:
		check_done(buf, len, max_head, &head);
		break;
	case PARSE_INVALID:
		check(head.error_message != NULL && head.error_message[0] != '\0');
		check(known_status(head.error_status));
		break;
	case PARSE_MORE:
		break;
	default:
		abort();
	}
	whole.head_len = head.head_len;
	whole.message = head.error_message;

	/* refusing is final: a refused prefix stays refused */
	prefix.result = http_parse_request_head(buf, len / 2, max_head,
	    &prefix_head);
	prefix.head_len = prefix_head.head_len;
	prefix.message = prefix_head.error_message;
	/*
	 * not the same message: "OPTIONS *(" is an invalid asterisk-form, and
	 * with a control byte after it an invalid character in the target
	 */
	check_answers(&whole, &prefix, len, max_head, false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_under_caps(data, size, check_one);
	return 0;
}
