/*
 * tests/fuzz/fuzz_json_scan.c — libFuzzer target for the strict JSON scanner
 * (common/json_scan.c), with json-c's strict parser as a second opinion. The
 * input is a request body, scanned for "model" as the relay does. Any broken
 * promise aborts:
 *   - a found value lies inside the body; a plain string value sits between
 *     quotes and holds no backslash; the value's text, put alone in
 *     {"model":...}, is valid and found again whole, with the same plainness;
 *   - PARSE_DONE: json-c (JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8,
 *     same depth limit, whole buffer, an object) accepts the body too;
 *   - PARSE_INVALID: the error is named and error_at <= len; the bytes
 *     before error_at, scanned alone, are only unfinished (or, before
 *     "trailing data", a whole document); and json-c refuses the body too,
 *     unless the scanner's error is one where json-c is known to be laxer
 *     (the classes listed in json_c_laxer_here and in the json_c_laxer table
 *     of tests/unit/test_json_scan.c);
 *   - scanning without a key gives the same verdict, error and offset;
 *   - json_scan_value (any one value) agrees with json_scan_object on every
 *     document that starts with '{', accepts every object the latter does,
 *     and otherwise names its error at an offset inside the input.
 * Build: clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -I common $(pkg-config --cflags json-c) tests/fuzz/fuzz_json_scan.c \
 *     common/json_scan.c $(pkg-config --libs json-c) -o fuzz_json_scan
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_scan.h"

#define FUZZ_MAX_DEPTH	10

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

/* Scan an exact-size heap copy, so a read past len is an ASan report. */
static enum parse
scan_copy(const uint8_t *buf, size_t len, const char *key,
    struct json_scan_result *out)
{
	char *copy = malloc(len > 0 ? len : 1);
	enum parse result;

	check(copy != NULL);
	memcpy(copy, buf, len);
	result = json_scan_object(copy, len, FUZZ_MAX_DEPTH, key, out);
	free(copy);
	return result;
}

static bool
json_c_accepts_object(const uint8_t *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;
	bool accepted;

	if (len > INT_MAX)
		return false;
	tok = json_tokener_new_ex(FUZZ_MAX_DEPTH);
	check(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	accepted = obj != NULL && json_object_is_type(obj, json_type_object) &&
	    json_tokener_get_parse_end(tok) == len;
	json_object_put(obj);
	json_tokener_free(tok);
	return accepted;
}

static bool
starts_with(const uint8_t *buf, size_t len, size_t at, const char *text)
{
	size_t n = strlen(text);

	return at <= len && len - at >= n && memcmp(buf + at, text, n) == 0;
}

/*
 * The scanner refused at buf[at] for a reason json-c 0.16 (strict, UTF-8
 * checked) is known to overlook: raw control characters in strings, NaN and
 * [-]Infinity, sloppy numbers ("00", "-01", "1.", "1.e5", "-.5"), unpaired
 * surrogate escapes, UTF-8 that has the right shape but is overlong, a
 * surrogate or above U+10FFFF, and single-quoted member names.
 */
static bool
json_c_laxer_here(const uint8_t *buf, size_t len,
    const struct json_scan_result *r)
{
	size_t at = r->error_at;

	if (at >= len)
		return false;
	if (strcmp(r->error, "control character in string") == 0)
		return buf[at] != '\0';
	if (strcmp(r->error, "invalid literal") == 0)
		return starts_with(buf, len, at, "NaN") ||
		    starts_with(buf, len, at, "Infinity");
	if (strcmp(r->error, "digit expected in number") == 0)
		return at > 0 && (buf[at - 1] == '.' || (buf[at - 1] == '-' &&
		    (buf[at] == '.' || starts_with(buf, len, at, "Infinity"))));
	return strcmp(r->error, "leading zero in number") == 0 ||
	    strcmp(r->error, "unpaired surrogate escape") == 0 ||
	    strcmp(r->error, "invalid UTF-8") == 0 ||
	    strcmp(r->error, "single-quoted string") == 0;
}

/* The found value's text, alone in {"model":...}, is found again whole. */
static void
check_value_alone(const uint8_t *buf, const struct json_scan_result *r)
{
	static const char prefix[] = "{\"model\":";
	size_t quotes = (r->value_is_plain_string ||
	    buf[r->value_off - 1] == '"') ? 1 : 0;
	size_t text_len = r->value_len + 2 * quotes;
	size_t len = sizeof(prefix) - 1 + text_len + 1;
	struct json_scan_result again;
	uint8_t *doc = malloc(len);

	check(doc != NULL);
	memcpy(doc, prefix, sizeof(prefix) - 1);
	memcpy(doc + sizeof(prefix) - 1, buf + r->value_off - quotes, text_len);
	doc[len - 1] = '}';
	check(scan_copy(doc, len, "model", &again) == PARSE_DONE);
	check(again.found);
	check(again.value_off == sizeof(prefix) - 1 + quotes);
	check(again.value_len == r->value_len);
	check(again.value_is_plain_string == r->value_is_plain_string);
	free(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_scan_result r, keyless, prefix;
	enum parse result;

	result = scan_copy(data, size, "model", &r);
	check(scan_copy(data, size, NULL, &keyless) == result);
	check(!keyless.found);
	check(keyless.error == r.error && keyless.error_at == r.error_at);

	switch (result) {
	case PARSE_DONE:
		check(r.error == NULL);
		if (r.found) {
			check(r.value_off <= size &&
			    r.value_len <= size - r.value_off);
			check(r.value_off > 0);
			if (r.value_is_plain_string) {
				check(data[r.value_off - 1] == '"');
				check(r.value_off + r.value_len < size &&
				    data[r.value_off + r.value_len] == '"');
				check(memchr(data + r.value_off, '\\',
				    r.value_len) == NULL);
			}
			check_value_alone(data, &r);
		}
		check(json_c_accepts_object(data, size));
		break;
	case PARSE_INVALID:
		check(r.error != NULL && r.error[0] != '\0');
		check(r.error_at <= size);
		check(!r.found && r.value_off == 0 && r.value_len == 0);
		if (strcmp(r.error, "trailing data") == 0)
			check(scan_copy(data, r.error_at, NULL, &prefix) ==
			    PARSE_DONE);
		else if (r.error_at < size) {
			check(scan_copy(data, r.error_at, NULL, &prefix) ==
			    PARSE_INVALID);
			check(strcmp(prefix.error,
			    "unexpected end of input") == 0);
			check(prefix.error_at == r.error_at);
		} else
			check(strcmp(r.error, "unexpected end of input") == 0);
		if (json_c_accepts_object(data, size))
			check(json_c_laxer_here(data, size, &r));
		break;
	default:
		abort();
	}
	{
		struct json_scan_result v;
		size_t first = 0;
		char *copy = malloc(size > 0 ? size : 1);

		check(copy != NULL);
		memcpy(copy, data, size);
		while (first < size && (data[first] == ' ' || data[first] == '\t' ||
		    data[first] == '\n' || data[first] == '\r'))
			first++;
		if (json_scan_value(copy, size, FUZZ_MAX_DEPTH, &v) == PARSE_DONE)
			check(first < size && (data[first] != '{' || r.error == NULL));
		else
			check(v.error != NULL && v.error_at <= size &&
			    !(first < size && data[first] == '{' && r.error == NULL));
		free(copy);
	}
	return 0;
}
