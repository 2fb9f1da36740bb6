/*
 * tests/fuzz/fuzz_relay_path.c — libFuzzer target for the relay's canonical
 * path rule (http_path_check, common/http_util.c). The input is a request
 * target. Any broken promise aborts:
 *   - the verdict is a known fault with a message ("" only for canonical);
 *   - NOT_ABSOLUTE exactly when the target is empty or does not start with
 *     '/', and otherwise FRAGMENT exactly when it holds a '#';
 *   - a canonical target: its path (up to '?') has no "//", no trailing '/',
 *     no backslash, and every '%' starts an escape; each segment decodes
 *     (percent_decode, a second decoder) to valid UTF-8 with no NUL, control
 *     character, '/', '\' or '%', and is neither "." nor ".." up to its
 *     first ';';
 *   - canonical stays canonical without its query, or with another query;
 *     and "/..", "/%2e", "/" or "//x" after its path is refused for the
 *     fault each is;
 *   - only len bytes are read (the target is an exact-size heap copy).
 * Build: clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -I common tests/fuzz/fuzz_relay_path.c common/http_util.c \
 *     common/util.c $(pkg-config --libs openssl) -o fuzz_relay_path
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_util.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static enum http_path_fault
check_copy(const char *buf, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);
	enum http_path_fault fault;

	check(copy != NULL);
	memcpy(copy, buf, len);
	fault = http_path_check(copy, len);
	free(copy);
	check((unsigned)fault < HTTP_PATH_FAULT_COUNT);
	check((fault == HTTP_PATH_CANONICAL) ==
	    (http_path_fault_message(fault)[0] == '\0'));
	return fault;
}

/* path[0..len) followed by suffix, checked. */
static enum http_path_fault
check_with(const char *path, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	char *buf = malloc(len + n + 1);
	enum http_path_fault fault;

	check(buf != NULL);
	memcpy(buf, path, len);
	memcpy(buf + len, suffix, n);
	fault = check_copy(buf, len + n);
	free(buf);
	return fault;
}

/* One segment of a canonical path, judged by a second decoder. */
static void
check_segment(const char *seg, size_t len)
{
	char *decoded = malloc(len + 1);
	size_t n, i, named;

	check(decoded != NULL);
	check(len > 0);
	check(percent_decode(seg, len, false, decoded, len + 1) == 0);
	n = strlen(decoded);	/* percent_decode refuses %00: no NUL inside */
	check(utf8_valid(decoded, n));
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)decoded[i];
		check(c >= 0x20 && c != 0x7f && c != '/' && c != '\\' && c != '%');
	}
	named = strcspn(decoded, ";");
	check(named > 0);
	check(!(named == 1 && decoded[0] == '.'));
	check(!(named == 2 && decoded[0] == '.' && decoded[1] == '.'));
	free(decoded);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *target = (const char *)data;
	enum http_path_fault fault = check_copy(target, size);
	size_t path_len, i, start;

	check((fault == HTTP_PATH_NOT_ABSOLUTE) == (size == 0 || target[0] != '/'));
	if (fault == HTTP_PATH_NOT_ABSOLUTE)
		return 0;
	check((fault == HTTP_PATH_FRAGMENT) == (memchr(target, '#', size) != NULL));
	if (fault != HTTP_PATH_CANONICAL)
		return 0;

	path_len = http_target_path_len(target, size);
	check(path_len >= 2 && target[path_len - 1] != '/');
	for (i = 0; i < path_len; i++) {
		check(target[i] != '\\');
		check(!(target[i] == '/' && i + 1 < path_len && target[i + 1] == '/'));
		if (target[i] == '%')
			check(i + 2 < path_len && hex_digit_value(target[i + 1]) >= 0 &&
			    hex_digit_value(target[i + 2]) >= 0);
	}
	for (start = 1, i = 1; i <= path_len; i++)
		if (i == path_len || target[i] == '/') {
			check_segment(target + start, i - start);
			start = i + 1;
		}

	/* the query is not the path's business */
	check(check_copy(target, path_len) == HTTP_PATH_CANONICAL);
	check(check_with(target, path_len, "?a=..//%2f%00\\") == HTTP_PATH_CANONICAL);
	check(check_with(target, path_len, "?a#") == HTTP_PATH_FRAGMENT);
	/* one step more is refused, for what it is */
	check(check_with(target, path_len, "/..") == HTTP_PATH_DOT_SEGMENT);
	check(check_with(target, path_len, "/%2e") == HTTP_PATH_DOT_SEGMENT);
	check(check_with(target, path_len, "/.%2E;x") == HTTP_PATH_DOT_SEGMENT);
	check(check_with(target, path_len, "/") == HTTP_PATH_EMPTY_SEGMENT);
	check(check_with(target, path_len, "//x") == HTTP_PATH_EMPTY_SEGMENT);
	check(check_with(target, path_len, "%2fx") == HTTP_PATH_ENCODED_SLASH);
	check(check_with(target, path_len, "%5C") == HTTP_PATH_BACKSLASH);
	return 0;
}
