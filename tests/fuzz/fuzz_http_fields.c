/*
 * tests/fuzz/fuzz_http_fields.c — differential libFuzzer target for the head
 * core both parsers share (common/http_fields.c). Each input is a header
 * block (its first byte picks HTTP/1.0 or HTTP/1.1); the same block is put
 * under a request line (common/http_parse.c, with a Host line first for
 * HTTP/1.1, which demands one) and under a status line
 * (common/http_response.c), and the two parsers must agree on every
 * decision they share, or the target aborts:
 *   - both want more, both refuse or both accept the head;
 *   - refusing, for the same fault: the same line and the same rule, each
 *     in its own words (the pairs below);
 *   - accepting, the same fields and head length, and the same framing: no
 *     body-length headers (until close for the response), the same
 *     Content-Length value, or chunked;
 *   - and the same persistence (Connection close / keep-alive), unless the
 *     response body runs until close and so ends the connection anyway.
 * Only the request's own rules (Host, and its one more header against the
 * count limit) may refuse a block the response accepts; such inputs are
 * compared no further. The same heads are checked one by one too (head
 * shape, pointers), as fuzz_http_parse and fuzz_http_response do.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     tests/fuzz/fuzz_http_fields.c common/http_fields.c common/http_parse.c \
 *     common/http_response.c -o fuzz_http_fields
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "http_response.h"
#include "fuzz_head.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same fault worded by the request parser and by the response parser. */
static const struct {
	const char	*request;
	const char	*response;
} same_fault[] = {
	{ "NUL in request head", "NUL in response head" },
	{ "bare LF in request head", "bare LF in response head" },
	{ "bare CR in request head", "bare CR in response head" },
	{ "whitespace before first header",
	    "whitespace before first header in response" },
	/* for HTTP/1.1 the request's first field is our Host line */
	{ "obsolete line folding", "whitespace before first header in response" },
	{ "obsolete line folding", "obsolete line folding in response head" },
	{ "header line has no colon", "response header line has no colon" },
	{ "whitespace before colon in header",
	    "whitespace before colon in response header" },
	{ "invalid character in header name",
	    "invalid character in response header name" },
	{ "empty header name", "empty response header name" },
	{ "control character in header value",
	    "control character in response header value" },
	{ "duplicate Content-Length", "duplicate Content-Length" },
	{ "invalid Content-Length", "invalid Content-Length" },
	{ "both Transfer-Encoding and Content-Length",
	    "both Transfer-Encoding and Content-Length" },
	{ "Transfer-Encoding in HTTP/1.0 request",
	    "Transfer-Encoding in HTTP/1.0 response" },
	{ "duplicate Transfer-Encoding", "duplicate Transfer-Encoding" },
	{ "invalid Transfer-Encoding", "invalid Transfer-Encoding" },
	{ "chunked applied more than once", "chunked applied more than once" },
	{ "chunked is not the final transfer coding",
	    "chunked is not the final transfer coding" },
	/* no chunked at all ("gzip"): the request names it not final */
	{ "chunked is not the final transfer coding",
	    "unsupported transfer coding in response" },
	{ "unsupported transfer coding", "unsupported transfer coding in response" },
};

/* The request's own refusals: Host and the one header more it carries. */
static bool
request_only_refusal(const struct http_request_head *req)
{
	return strcmp(req->error_message, "duplicate Host header") == 0 ||
	    strcmp(req->error_message, "invalid Host header") == 0 ||
	    strcmp(req->error_message, "too many headers") == 0;
}

static bool
same_refusal(const char *request, const char *response)
{
	size_t i;

	for (i = 0; i < sizeof(same_fault) / sizeof(same_fault[0]); i++)
		if (strcmp(same_fault[i].request, request) == 0 &&
		    strcmp(same_fault[i].response, response) == 0)
			return true;
	return false;
}

/* start[0..start_len) then block[0..block_len), in an exact-size buffer. */
static char *
head_of(const char *start, size_t start_len, const uint8_t *block,
    size_t block_len, size_t *len)
{
	char *buf = malloc(start_len + block_len + 1);

	if (buf == NULL)
		abort();
	memcpy(buf, start, start_len);
	memcpy(buf + start_len, block, block_len);
	*len = start_len + block_len;
	return buf;
}

static void
compare_done(const struct http_request_head *req, size_t req_start,
    size_t req_extra_headers, const struct http_response_head *resp,
    size_t resp_start)
{
	check(req->head_len - req_start == resp->head_len - resp_start);
	check(req->header_count - req_extra_headers == resp->header_count);
	switch (req->framing) {
	case HTTP_BODY_NONE:
		check(resp->framing == HTTP_RESPONSE_UNTIL_CLOSE);
		break;
	case HTTP_BODY_LENGTH:
		check(resp->framing == HTTP_RESPONSE_LENGTH);
		check(req->content_length == resp->content_length);
		break;
	case HTTP_BODY_CHUNKED:
		check(resp->framing == HTTP_RESPONSE_CHUNKED);
		break;
	default:
		abort();
	}
	if (resp->framing == HTTP_RESPONSE_UNTIL_CLOSE)
		check(!resp->keep_alive);
	else
		check(req->keep_alive == resp->keep_alive);
}

static void
compare(int version_minor, const uint8_t *block, size_t block_len)
{
	char req_start[64], resp_start[64];
	size_t req_start_len, resp_start_len, req_len, resp_len;
	struct http_request_head req;
	struct http_response_head resp;
	enum parse req_result, resp_result;
	char *req_buf, *resp_buf;

	req_start_len = (size_t)snprintf(req_start, sizeof(req_start),
	    "POST /v1/chat HTTP/1.%d\r\n%s", version_minor,
	    version_minor == 1 ? "Host: relay\r\n" : "");
	resp_start_len = (size_t)snprintf(resp_start, sizeof(resp_start),
	    "HTTP/1.%d 200 OK\r\n", version_minor);
	req_buf = head_of(req_start, req_start_len, block, block_len, &req_len);
	resp_buf = head_of(resp_start, resp_start_len, block, block_len,
	    &resp_len);

	/* a cap neither reaches: the size limits are not shared decisions */
	req_result = http_parse_request_head(req_buf, req_len, req_len + 1, &req);
	resp_result = http_parse_response_head(resp_buf, resp_len, resp_len + 1,
	    false, &resp);
	if (req_result == PARSE_DONE)
		check_head_fields(req_buf, req_len, req_len + 1, req.head_len,
		    req.headers, req.header_count);
	if (resp_result == PARSE_DONE)
		check_head_fields(resp_buf, resp_len, resp_len + 1, resp.head_len,
		    resp.headers, resp.header_count);

	if (req_result == PARSE_INVALID && request_only_refusal(&req))
		goto done;
	check(req_result == resp_result);
	if (req_result == PARSE_INVALID)
		check(same_refusal(req.error_message, resp.error_message));
	if (req_result == PARSE_DONE)
		compare_done(&req, req_start_len, version_minor == 1 ? 1 : 0,
		    &resp, resp_start_len);
done:
	free(req_buf);
	free(resp_buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	compare(data[0] & 1, data + 1, size - 1);
	return 0;
}
