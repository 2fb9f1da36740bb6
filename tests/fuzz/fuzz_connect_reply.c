/*
 * tests/fuzz/fuzz_connect_reply.c — libFuzzer target for the HTTP CONNECT
 * client codec (worker/http_connect.c). Each input is parsed as a proxy's
 * response under several head caps, and is also split into host, user and
 * password for the request builder; any broken promise aborts:
 *   - PARSE_DONE: head_len <= len and <= max_head, status 200..599 (1xx
 *     heads are skipped), the head ends in an empty line, reason is a string
 *     of printable ASCII; the head alone parses the same and one byte less
 *     asks for more;
 *   - PARSE_INVALID: error_status 502 and a message;
 *   - PARSE_MORE: only while fewer than max_head bytes are buffered;
 *   - a prefix's DONE or INVALID is final: more bytes never change it;
 *   - the request never overflows cap (exact-size buffer), is a string of
 *     *len bytes, and holds no CR or LF but its line endings.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     -I worker tests/fuzz/fuzz_connect_reply.c worker/http_connect.c \
 *     -o fuzz_connect
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http_connect.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void
check_done(const char *buf, size_t len, size_t max_head,
    const struct http_connect_reply *r)
{
	struct http_connect_reply again;
	size_t h = r->head_len;

	check(h <= len && h <= max_head);
	check(r->status >= 200 && r->status <= 599);
	check(r->error == NULL && r->error_status == 0);
	check(memchr(r->reason, '\0', sizeof(r->reason)) != NULL);
	check(printable(r->reason));
	check(h >= 14);		/* "HTTP/1.x NNN\n\n" */
	check(memcmp(buf, "HTTP/1.", 7) == 0);
	check(buf[h - 1] == '\n');
	check(buf[h - 2] == '\n' || (buf[h - 2] == '\r' && buf[h - 3] == '\n'));
	check(memchr(buf, '\0', h) == NULL);

	check(http_connect_parse_reply(buf, h, max_head, &again) == PARSE_DONE);
	check(again.head_len == h && again.status == r->status);
	check(strcmp(again.reason, r->reason) == 0);
	check(http_connect_parse_reply(buf, h - 1, max_head, &again) ==
	    PARSE_MORE);
}

static void
check_one(const char *buf, size_t len, size_t max_head)
{
	struct http_connect_reply r, prefix_r;
	enum parse result, prefix_result;

	result = http_connect_parse_reply(buf, len, max_head, &r);
	check(r.head_len <= len);
	switch (result) {
	case PARSE_DONE:
		check_done(buf, len, max_head, &r);
		break;
	case PARSE_INVALID:
		check(r.error != NULL && r.error[0] != '\0');
		check(r.error_status == 502);
		check(r.status == 0 && r.head_len == 0);
		break;
	case PARSE_MORE:
		check(len < max_head);
		check(r.status == 0 && r.head_len == 0 && r.error == NULL);
		break;
	default:
		abort();
	}

	prefix_result = http_connect_parse_reply(buf, len / 2, max_head,
	    &prefix_r);
	if (prefix_result == PARSE_INVALID)
		check(result == PARSE_INVALID);
	if (prefix_result == PARSE_DONE)
		check(result == PARSE_DONE && r.head_len == prefix_r.head_len &&
		    r.status == prefix_r.status);
}

/*
 * The request builder: input "C P P host \0 user \0 pass" (cap byte, port
 * bytes), with an exact-size output buffer.
 */
static void
check_request(const uint8_t *data, size_t size)
{
	char *text, *user, *pass, *out, *p;
	size_t cap, len = 99, lines = 0;
	uint16_t port;

	if (size < 3)
		return;
	cap = (size_t)data[0] * 4;
	port = (uint16_t)((data[1] << 8) | data[2]);
	text = calloc(1, size + 2);
	out = malloc(cap > 0 ? cap : 1);
	if (text == NULL || out == NULL)
		abort();
	memcpy(text, data + 3, size - 3);
	user = text + strlen(text) + 1;
	pass = user + strlen(user) + 1;	/* at most text + size - 1 */

	if (http_connect_build_request(out, cap, text, port, user, pass,
	    &len) == 0) {
		check(len < cap && strlen(out) == len);
		check(port != 0 && strncmp(out, "CONNECT ", 8) == 0);
		check(len >= 4 && memcmp(out + len - 4, "\r\n\r\n", 4) == 0);
		for (p = out; (p = strpbrk(p, "\r\n")) != NULL; p += 2) {
			check(p[0] == '\r' && p[1] == '\n');
			lines++;
		}
		/* request line, Host, [Proxy-Authorization], empty line */
		check(lines == (user[0] != '\0' ? 4u : 3u));
		check(strchr(user, ':') == NULL || user[0] == '\0');
	} else
		check(len == 0);
	free(out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so any read past len is an ASan report */
	char *buf = malloc(size > 0 ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	check_one(buf, size, 8192);
	check_one(buf, size, size);
	check_one(buf, size, size / 2);
	check_one(buf, size, 32);
	check_one(buf, size, 0);
	free(buf);
	check_request(data, size);
	return 0;
}
