/*
 * tests/fuzz/fuzz_control_line.c — libFuzzer target for the line-protocol
 * framing (common/line.c). Each input is framed under several caps, and every
 * line found (and the whole input as one line) is split both as a request and
 * as a reply. Lines are copied into buffers of their exact size, so a read past
 * the end is caught by ASan. Any broken promise aborts:
 *   - line_find: PARSE_DONE gives the first LF at line_len <= cap; PARSE_MORE
 *     only with no LF and len <= cap; PARSE_INVALID only with len > cap and
 *     no LF in the first cap + 1 bytes;
 *   - requests: PARSE_DONE has no error, a NUL-terminated name of 1..64
 *     characters from [a-z0-9._-] that is a copy of the line's bytes, JSON
 *     that is absent (NULL, length 0) or a '{'-led span inside the line, and a
 *     tag only when the line starts with '#';
 *   - replies: PARSE_DONE has a status of 100..599 equal to the line's three
 *     digits and a non-empty JSON span inside the line ending at its end;
 *   - PARSE_INVALID always comes with a message; no other result appears.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     tests/fuzz/fuzz_control_line.c common/line.c -o /tmp/fuzz_line
 * Run on a scratch copy of the corpus so new inputs stay out of the tree:
 *     /tmp/fuzz_line -max_total_time=60 /tmp/line_corpus_copy \
 *         tests/fuzz/corpus/control_line
 */
#define _GNU_SOURCE		/* memmem */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static bool
inside(const char *p, size_t len, const char *buf, size_t buf_len)
{
	return p >= buf && len <= buf_len && (size_t)(p - buf) <= buf_len - len;
}

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '-';
}

static void
check_line_find(const char *buf, size_t len, size_t cap)
{
	size_t line_len = (size_t)-1;
	const char *lf;
	enum parse r = line_find(buf, len, cap, &line_len);

	lf = len > 0 ? memchr(buf, '\n', len) : NULL;
	switch (r) {
	case PARSE_DONE:
		check(lf != NULL);
		check(line_len == (size_t)(lf - buf));
		check(line_len <= cap && line_len < len);
		break;
	case PARSE_MORE:
		check(lf == NULL);
		check(len <= cap);
		break;
	case PARSE_INVALID:
		check(len > cap);
		check(lf == NULL || (size_t)(lf - buf) > cap);
		break;
	default:
		check(false);
	}
}

static void
check_request(const char *line, size_t len)
{
	struct control_request req;
	const char *err = (const char *)1;
	enum parse r = control_parse_request(line, len, &req, &err);
	size_t n, i;

	if (r == PARSE_INVALID) {
		check(err != NULL && err != (const char *)1 && *err != '\0');
		return;
	}
	check(r == PARSE_DONE);
	check(err == NULL);
	check(memchr(req.name, '\0', sizeof(req.name)) != NULL);
	n = strlen(req.name);
	check(n >= 1 && n <= COMMAND_NAME_MAX);
	for (i = 0; i < n; i++)
		check(is_name_char(req.name[i]));
	/* The name is a copy of bytes of the line. */
	check(memmem(line, len, req.name, n) != NULL);
	check(memchr(line, '\0', len) == NULL);
	if (req.json == NULL) {
		check(req.json_len == 0);
	} else {
		check(req.json_len > 0);
		check(inside(req.json, req.json_len, line, len));
		check(req.json[0] == '{');
		check(req.json > line && req.json[-1] == ' ');
	}
	if (req.has_tag) {
		check(req.has_tag == 1);
		check(len > 0 && line[0] == '#');
	} else {
		check(req.tag == 0);
	}
}

static void
check_reply(const char *line, size_t len)
{
	struct control_reply rep;
	const char *err = (const char *)1;
	enum parse r = control_parse_reply(line, len, &rep, &err);
	const char *s;

	if (r == PARSE_INVALID) {
		check(err != NULL && err != (const char *)1 && *err != '\0');
		return;
	}
	check(r == PARSE_DONE);
	check(err == NULL);
	check(rep.status >= 100 && rep.status <= 599);
	check(rep.json != NULL && rep.json_len > 0);
	check(inside(rep.json, rep.json_len, line, len));
	check(rep.json + rep.json_len == line + len);
	/* The status is the three digits before the space before the JSON. */
	check(rep.json - line >= 4);
	s = rep.json - 4;
	check(s[3] == ' ');
	check((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0') == rep.status);
	if (rep.has_tag)
		check(line[0] == '#');
	else
		check(rep.tag == 0 && s == line);
}

/* Parse line[0..len) from a heap copy of exactly len bytes. */
static void
check_line(const char *line, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, line, len);
	check_request(copy, len);
	check_reply(copy, len);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static const size_t caps[] = { 0, 1, 8, 64, 4096, CONTROL_LINE_MAX };
	size_t i, off, line_len;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		check_line_find(buf, size, caps[i]);
	if (size > 0)
		check_line_find(buf, size, size - 1);
	check_line_find(buf, size, size);

	/* Every line as a reader would frame it, then the rest as one line. */
	off = 0;
	while (off < size &&
	    line_find(buf + off, size - off, CONTROL_LINE_MAX, &line_len) == PARSE_DONE) {
		check_line(buf + off, line_len);
		off += line_len + 1;
	}
	check_line(buf + off, size - off);
	check_line(buf, size);
	return 0;
}
