/*
 * tests/fuzz/fuzz_model_keys.c — libFuzzer target for the duplicate-"model"
 * rule of the relay: json_name_match and json_scan_object's key_count
 * (common/json_scan.c), with json-c's unescaper as the second opinion, so
 * the scanner's reading of a name is a JSON reader's reading. The first
 * input byte picks the mode. Any broken promise aborts.
 *
 * Names (first byte even): the rest, split at 0x01 bytes, are up to 8
 * member names as written between quotes. Each name json-c can read (as a
 * string, strict, NULs kept) is classified from json-c's bytes: exact when
 * they are "model", loose when, cut at the first NUL, they are "model" in
 * any ASCII case; json_name_match must say the same. The names are then put
 * in one object ({"n1":0,"n2":1,...}, with the object {"model":...} nested
 * between them): when the scanner accepts it, key_count is the number of
 * exact or loose names, found is set exactly when one is exact, and json-c's
 * own lookup of "model" (names cut at NUL, exact case) finds a member
 * exactly when some name is exact or cut-at-NUL "model".
 *
 * Body (first byte odd): the rest is a request body, scanned for "model"
 * as the relay does. When it is accepted: key_count 0 means json-c finds no
 * "model"; found means it does; and with key_count 1 (a body the relay
 * passes) json-c's "model" is the member the scanner found — a plain string
 * value has json-c's bytes exactly.
 *
 * Build: clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -I common $(pkg-config --cflags json-c) tests/fuzz/fuzz_model_keys.c \
 *     common/json_scan.c $(pkg-config --libs json-c) -o fuzz_model_keys
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_scan.h"

#define MAX_NAMES	8
#define DEPTH		10

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

/* A strict json-c parse of buf[0..len) as one object, or NULL. */
static struct json_object *
json_c_object(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;

	if (len > INT_MAX)
		return NULL;
	tok = json_tokener_new_ex(DEPTH);
	check(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (obj != NULL && (!json_object_is_type(obj, json_type_object) ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* How json-c's bytes of a name read against "model". */
static enum json_name_match
reference_match(const char *bytes, size_t len)
{
	size_t cut = strnlen(bytes, len), i;

	if (len == 5 && memcmp(bytes, "model", 5) == 0)
		return JSON_NAME_EXACT;
	if (cut != 5)
		return JSON_NAME_DIFFERENT;
	for (i = 0; i < 5; i++) {
		char c = bytes[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != "model"[i])
			return JSON_NAME_DIFFERENT;
	}
	return JSON_NAME_LOOSE;
}

/*
 * json-c's reading of the name raw[0..len) (as a string value, where it keeps
 * NULs): the classification, or -1 when json-c or the scanner refuses it.
 */
static int
classify_name(const char *raw, size_t len, bool *cut_model)
{
	char *doc = malloc(len + 8);
	struct json_scan_result scan;
	struct json_object *obj, *v;
	int result = -1;

	check(doc != NULL);
	memcpy(doc, "{\"k\":\"", 6);
	memcpy(doc + 6, raw, len);
	memcpy(doc + 6 + len, "\"}", 2);
	/* the name between its quotes is one string, and nothing more */
	if (json_scan_value(doc + 5, len + 2, DEPTH, &scan) == PARSE_DONE &&
	    (obj = json_c_object(doc, len + 8)) != NULL) {
		check(json_object_object_get_ex(obj, "k", &v));
		result = reference_match(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		*cut_model = strnlen(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) == 5 &&
		    memcmp(json_object_get_string(v), "model", 5) == 0;
		json_object_put(obj);
	}
	free(doc);
	return result;
}

static void
fuzz_names(const char *in, size_t size)
{
	const char *name[MAX_NAMES];
	size_t len[MAX_NAMES], count = 0, i, expected = 0, doc_len = 0;
	bool any_exact = false, any_cut_model = false;
	struct json_scan_result scan;
	struct json_object *obj;
	char *doc;

	while (count < MAX_NAMES) {
		const char *sep = memchr(in, 0x01, size);
		size_t n = sep != NULL ? (size_t)(sep - in) : size;
		bool cut_model = false;
		int match;

		name[count] = in;
		len[count] = n;
		match = classify_name(in, n, &cut_model);
		if (match < 0)
			return;		/* not a name both readers take */
		check(json_name_match(in, n, "model", 5) == (enum json_name_match)match);
		if (match != JSON_NAME_DIFFERENT)
			expected++;
		any_exact = any_exact || match == JSON_NAME_EXACT;
		any_cut_model = any_cut_model || cut_model;
		count++;
		if (sep == NULL)
			break;
		in = sep + 1;
		size -= n + 1;
	}

	/* {"n1":0,"x":{"model":0,"MODEL":1},"n2":1,...} */
	doc = malloc(2 + count * 32 + (size_t)(in - name[0]) + size + 64);
	check(doc != NULL);
	doc[doc_len++] = '{';
	for (i = 0; i < count; i++) {
		if (i > 0)
			doc[doc_len++] = ',';
		doc[doc_len++] = '"';
		memcpy(doc + doc_len, name[i], len[i]);
		doc_len += len[i];
		doc_len += (size_t)sprintf(doc + doc_len, "\":%zu", i);
		if (i == 0)
			doc_len += (size_t)sprintf(doc + doc_len,
			    ",\"x\":{\"model\":0,\"MODEL\":1}");
	}
	doc[doc_len++] = '}';
	check(json_scan_object(doc, doc_len, DEPTH, "model", &scan) == PARSE_DONE);
	check(scan.key_count == expected);
	check(scan.found == any_exact);
	if ((obj = json_c_object(doc, doc_len)) != NULL) {
		check(json_object_object_get_ex(obj, "model", NULL) == any_cut_model);
		json_object_put(obj);
	}
	free(doc);
}

static void
fuzz_body(const char *in, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);
	struct json_scan_result scan;
	struct json_object *obj, *model;

	check(copy != NULL);
	memcpy(copy, in, size);
	if (json_scan_object(copy, size, DEPTH, "model", &scan) != PARSE_DONE) {
		check(scan.key_count == 0 && !scan.found);
		free(copy);
		return;
	}
	check(!scan.found || scan.key_count >= 1);
	if ((obj = json_c_object(copy, size)) != NULL) {
		bool has = json_object_object_get_ex(obj, "model", &model);

		if (scan.key_count == 0)
			check(!has);
		if (scan.found)
			check(has);
		if (scan.key_count == 1 && scan.found && scan.value_is_plain_string) {
			check(json_object_is_type(model, json_type_string));
			check((size_t)json_object_get_string_len(model) == scan.value_len);
			check(memcmp(json_object_get_string(model), copy + scan.value_off,
			    scan.value_len) == 0);
		}
	}
	json_object_put(obj);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_names((const char *)data + 1, size - 1);
	else
		fuzz_body((const char *)data + 1, size - 1);
	return 0;
}
