/*
 * tests/unit/test_argspec.c — tests of the command-argument schemas
 * (common/argspec.c): every field type and how it is normalised (trimmed and
 * lower-cased strings, integers from numbers and numeric strings, booleans
 * from their accepted spellings, string arrays), bounds and choices, unknown
 * keys, required and nullable fields, non-object arguments, several errors
 * reported together in one details array, and the accessors of a normalised
 * object.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "argspec.h"

static struct json_object *normalised;
static struct json_object *details;

static const char *const type_choices[] = { "http", "https", "socks5", NULL };

static const struct arg_spec string_spec[] = {
	{ "name", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 8, NULL },
	{ "type", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, type_choices },
	{ "raw", ARG_STRING, 0, 0, 0, NULL },
	{ "code", ARG_STRING, ARG_HAS_MIN, 3, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec int_spec[] = {
	{ "port", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, 65535, NULL },
	{ "offset", ARG_INT, ARG_HAS_MIN, 0, 0, NULL },
	{ "delta", ARG_INT, 0, 0, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec bool_spec[] = {
	{ "force", ARG_BOOL, 0, 0, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec array_spec[] = {
	{ "scopeIds", ARG_STRING_ARRAY, ARG_HAS_MIN | ARG_HAS_MAX, 1, 3, NULL },
	{ "items", ARG_ARRAY, ARG_HAS_MAX, 0, 2, NULL },
	{ "proxy", ARG_OBJECT, 0, 0, 0, NULL },
	{ "extra", ARG_ANY, 0, 0, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec presence_spec[] = {
	{ "id", ARG_STRING, ARG_REQUIRED, 0, 0, NULL },
	{ "proxyId", ARG_STRING, ARG_NULLABLE, 0, 0, NULL },
	{ "note", ARG_STRING, 0, 0, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec optional_spec[] = {
	{ "note", ARG_STRING, 0, 0, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec proxy_spec[] = {
	{ "id", ARG_STRING, ARG_REQUIRED, 0, 0, NULL },
	{ "name", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	{ "type", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, type_choices },
	{ "port", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, 65535, NULL },
	{ "force", ARG_BOOL, 0, 0, 0, NULL },
	{ "region", ARG_STRING, ARG_NULLABLE, 0, 0, NULL },
	ARGSPEC_END,
};

static void
reset(void)
{
	if (normalised != NULL)
		json_object_put(normalised);
	if (details != NULL)
		json_object_put(details);
	normalised = NULL;
	details = NULL;
}

static int
teardown(void **state)
{
	(void)state;
	reset();
	return 0;
}

/* Validate an args object (not consumed); checks the out-parameter contract. */
static int
validate_object(const struct arg_spec *spec, struct json_object *args)
{
	int rc;

	reset();
	rc = args_validate(spec, args, &normalised, &details);
	if (rc == 0) {
		assert_non_null(normalised);
		assert_null(details);
		assert_true(json_object_is_type(normalised, json_type_object));
	} else {
		assert_int_equal(rc, -1);
		assert_null(normalised);
		assert_non_null(details);
		assert_true(json_object_is_type(details, json_type_array));
		assert_true(json_object_array_length(details) > 0);
	}
	return rc;
}

/* Validate JSON text (NULL = no arguments at all). */
static int
validate(const struct arg_spec *spec, const char *text)
{
	struct json_object *args = NULL;
	int rc;

	if (text != NULL) {
		args = json_tokener_parse(text);
		assert_non_null(args);
	}
	rc = validate_object(spec, args);
	if (args != NULL)
		json_object_put(args);
	return rc;
}

static void
assert_detail(size_t i, const char *field, const char *message)
{
	struct json_object *d, *f, *m;

	assert_non_null(details);
	assert_true(i < json_object_array_length(details));
	d = json_object_array_get_idx(details, i);
	assert_true(json_object_object_get_ex(d, "field", &f));
	assert_true(json_object_object_get_ex(d, "message", &m));
	assert_string_equal(json_object_get_string(f), field);
	assert_string_equal(json_object_get_string(m), message);
}

/* Exactly one error, naming this field with this message. */
static void
assert_one_error(const struct arg_spec *spec, const char *text, const char *field,
    const char *message)
{
	assert_int_equal(validate(spec, text), -1);
	assert_int_equal(json_object_array_length(details), 1);
	assert_detail(0, field, message);
}

static void
assert_string_result(const struct arg_spec *spec, const char *text,
    const char *name, const char *expected)
{
	assert_int_equal(validate(spec, text), 0);
	assert_string_equal(arg_string(normalised, name, "<absent>"), expected);
}

static void
assert_int_result(const char *text, const char *name, long long expected)
{
	struct json_object *v;

	assert_int_equal(validate(int_spec, text), 0);
	assert_true(json_object_object_get_ex(normalised, name, &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_true(arg_int(normalised, name, -12345) == expected);
}

static void
assert_bool_result(const char *text, bool expected)
{
	struct json_object *v;

	assert_int_equal(validate(bool_spec, text), 0);
	assert_true(json_object_object_get_ex(normalised, "force", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_int_equal(arg_bool(normalised, "force", !expected), expected);
}

static void
test_string_trimmed(void **state)
{
	(void)state;
	assert_string_result(string_spec, "{\"name\":\"  US  \"}", "name", "US");
	/* Control characters are refused before trimming: never silently cut. */
	assert_one_error(string_spec, "{\"name\":\"  US \\t\"}", "name",
	    "name must not contain control characters (CR, LF, TAB, ...)");
	/* Without ARG_TRIM the white space is kept. */
	assert_string_result(string_spec, "{\"raw\":\" x \"}", "raw", " x ");
}

static void
test_string_lowered_before_choices(void **state)
{
	(void)state;
	assert_string_result(string_spec, "{\"type\":\" SOCKS5 \"}", "type", "socks5");
	assert_string_result(string_spec, "{\"type\":\"Https\"}", "type", "https");
}

static void
test_string_choices(void **state)
{
	(void)state;
	assert_one_error(string_spec, "{\"type\":\"ftp\"}", "type",
	    "type must be one of http, https, socks5");
	assert_one_error(string_spec, "{\"type\":\"\"}", "type",
	    "type must be one of http, https, socks5");
}

static void
test_string_min_length(void **state)
{
	(void)state;
	/* min 1: empty after trimming is refused as blank. */
	assert_one_error(string_spec, "{\"name\":\"   \"}", "name", "name must not be empty or blank");
	assert_one_error(string_spec, "{\"name\":\"\"}", "name", "name must not be empty or blank");
	assert_one_error(string_spec, "{\"code\":\"ab\"}", "code",
	    "code must be at least 3 bytes");
	assert_string_result(string_spec, "{\"code\":\"abc\"}", "code", "abc");
	assert_string_result(string_spec, "{\"name\":\"a\"}", "name", "a");
}

static void
test_string_max_length(void **state)
{
	(void)state;
	assert_string_result(string_spec, "{\"name\":\"12345678\"}", "name", "12345678");
	/* Bounds apply after trimming. */
	assert_string_result(string_spec, "{\"name\":\"  12345678  \"}", "name",
	    "12345678");
	assert_one_error(string_spec, "{\"name\":\"123456789\"}", "name",
	    "name must be at most 8 bytes (UTF-8)");
}

static void
test_string_wrong_type(void **state)
{
	(void)state;
	assert_one_error(string_spec, "{\"name\":5}", "name", "name must be a string");
	assert_one_error(string_spec, "{\"name\":true}", "name", "name must be a string");
	assert_one_error(string_spec, "{\"name\":[\"a\"]}", "name",
	    "name must be a string");
	assert_one_error(string_spec, "{\"name\":{}}", "name", "name must be a string");
}

static void
test_string_with_nul_inside(void **state)
{
	struct json_object *args = json_object_new_object();

	(void)state;
	json_object_object_add(args, "raw", json_object_new_string_len("a\0b", 3));
	assert_int_equal(validate_object(string_spec, args), -1);
	assert_int_equal(json_object_array_length(details), 1);
	assert_detail(0, "raw", "raw must not contain NUL");
	json_object_put(args);
}

static void
test_string_input_not_modified(void **state)
{
	struct json_object *args = json_tokener_parse("{\"name\":\"  US  \"}");
	struct json_object *v;

	(void)state;
	assert_int_equal(validate_object(string_spec, args), 0);
	assert_string_equal(arg_string(normalised, "name", NULL), "US");
	assert_true(json_object_object_get_ex(args, "name", &v));
	assert_string_equal(json_object_get_string(v), "  US  ");
	json_object_put(args);
}

static void
test_int_from_integer(void **state)
{
	(void)state;
	assert_int_result("{\"port\":8080}", "port", 8080);
	assert_int_result("{\"port\":1}", "port", 1);
	assert_int_result("{\"port\":65535}", "port", 65535);
	assert_int_result("{\"delta\":-7}", "delta", -7);
	assert_int_result("{\"offset\":0}", "offset", 0);
}

static void
test_int_from_numeric_string(void **state)
{
	(void)state;
	assert_int_result("{\"port\":\"8080\"}", "port", 8080);
	assert_int_result("{\"port\":\" 42 \"}", "port", 42);
	assert_int_result("{\"port\":\"+42\"}", "port", 42);
	assert_int_result("{\"delta\":\"-15\"}", "delta", -15);
}

static void
test_int_rejects_bad_strings(void **state)
{
	const char *msg = "port must be an integer between 1 and 65535";

	(void)state;
	assert_one_error(int_spec, "{\"port\":\"4x\"}", "port", msg);
	assert_one_error(int_spec, "{\"port\":\"\"}", "port", msg);
	assert_one_error(int_spec, "{\"port\":\"  \"}", "port", msg);
	assert_one_error(int_spec, "{\"port\":\"-\"}", "port", msg);
	assert_one_error(int_spec, "{\"port\":\"4 2\"}", "port", msg);
	assert_one_error(int_spec, "{\"port\":\"0x10\"}", "port", msg);
	assert_one_error(int_spec, "{\"port\":\"80.0\"}", "port", msg);
	assert_one_error(int_spec, "{\"delta\":\"99999999999999999999\"}", "delta",
	    "delta must be an integer");
}

static void
test_int_from_double(void **state)
{
	(void)state;
	assert_int_result("{\"port\":3.0}", "port", 3);
	assert_one_error(int_spec, "{\"port\":3.5}", "port",
	    "port must be an integer between 1 and 65535");
	assert_one_error(int_spec, "{\"delta\":1e300}", "delta",
	    "delta must be an integer");
}

static void
test_int_bounds(void **state)
{
	(void)state;
	assert_one_error(int_spec, "{\"port\":0}", "port",
	    "port must be an integer between 1 and 65535");
	assert_one_error(int_spec, "{\"port\":65536}", "port",
	    "port must be an integer between 1 and 65535");
	assert_one_error(int_spec, "{\"port\":\"70000\"}", "port",
	    "port must be an integer between 1 and 65535");
	assert_one_error(int_spec, "{\"offset\":-1}", "offset",
	    "offset must be an integer >= 0");
}

static void
test_int_wrong_type(void **state)
{
	(void)state;
	assert_one_error(int_spec, "{\"delta\":true}", "delta", "delta must be an integer");
	assert_one_error(int_spec, "{\"delta\":[1]}", "delta", "delta must be an integer");
	assert_one_error(int_spec, "{\"delta\":{}}", "delta", "delta must be an integer");
}

static void
test_bool_accepted_spellings(void **state)
{
	(void)state;
	assert_bool_result("{\"force\":true}", true);
	assert_bool_result("{\"force\":1}", true);
	assert_bool_result("{\"force\":\"1\"}", true);
	assert_bool_result("{\"force\":\"true\"}", true);
	assert_bool_result("{\"force\":false}", false);
	assert_bool_result("{\"force\":0}", false);
	assert_bool_result("{\"force\":\"0\"}", false);
	assert_bool_result("{\"force\":\"false\"}", false);
}

static void
test_bool_rejected_values(void **state)
{
	const char *msg = "force must be a boolean";

	(void)state;
	assert_one_error(bool_spec, "{\"force\":\"yes\"}", "force", msg);
	assert_one_error(bool_spec, "{\"force\":2}", "force", msg);
	assert_one_error(bool_spec, "{\"force\":-1}", "force", msg);
	assert_one_error(bool_spec, "{\"force\":\"\"}", "force", msg);
	assert_one_error(bool_spec, "{\"force\":1.0}", "force", msg);
	assert_one_error(bool_spec, "{\"force\":[]}", "force", msg);
}

static void
test_string_array_normalised(void **state)
{
	struct json_object *v;

	(void)state;
	assert_int_equal(validate(array_spec, "{\"scopeIds\":[\" a \",\"b\"]}"), 0);
	assert_true(json_object_object_get_ex(normalised, "scopeIds", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "a");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "b");
}

static void
test_string_array_bad_elements(void **state)
{
	(void)state;
	assert_one_error(array_spec, "{\"scopeIds\":[\"a\",\"\"]}", "scopeIds",
	    "scopeIds[1] must be a non-empty string");
	assert_one_error(array_spec, "{\"scopeIds\":[\"a\",\"   \"]}", "scopeIds",
	    "scopeIds[1] must be a non-empty string");
	assert_one_error(array_spec, "{\"scopeIds\":[5]}", "scopeIds",
	    "scopeIds[0] must be a non-empty string");
	assert_one_error(array_spec, "{\"scopeIds\":[\"a\",\"b\",null]}", "scopeIds",
	    "scopeIds[2] must be a non-empty string");
	assert_one_error(array_spec, "{\"scopeIds\":\"a\"}", "scopeIds",
	    "scopeIds must be an array of strings");
}

static void
test_string_array_nul_element(void **state)
{
	struct json_object *args = json_object_new_object();
	struct json_object *ids = json_object_new_array();

	(void)state;
	json_object_array_add(ids, json_object_new_string("ok"));
	json_object_array_add(ids, json_object_new_string_len("x\0y", 3));
	json_object_object_add(args, "scopeIds", ids);
	assert_int_equal(validate_object(array_spec, args), -1);
	assert_int_equal(json_object_array_length(details), 1);
	assert_detail(0, "scopeIds", "scopeIds[1] must not contain NUL");
	json_object_put(args);
}

static void
test_string_array_count_bounds(void **state)
{
	(void)state;
	assert_one_error(array_spec, "{\"scopeIds\":[]}", "scopeIds",
	    "scopeIds must have at least 1 items");
	assert_one_error(array_spec, "{\"scopeIds\":[\"a\",\"b\",\"c\",\"d\"]}",
	    "scopeIds", "scopeIds must have at most 3 items");
	assert_int_equal(validate(array_spec, "{\"scopeIds\":[\"a\",\"b\",\"c\"]}"), 0);
}

static void
test_object_and_array_types(void **state)
{
	struct json_object *v;

	(void)state;
	assert_int_equal(validate(array_spec,
	    "{\"proxy\":{\"host\":\"h\"},\"items\":[1,\"x\"],\"extra\":[null]}"), 0);
	assert_true(json_object_object_get_ex(normalised, "proxy", &v));
	assert_true(json_object_is_type(v, json_type_object));
	assert_true(json_object_object_get_ex(normalised, "items", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(json_object_object_get_ex(normalised, "extra", &v));
	assert_true(json_object_is_type(v, json_type_array));

	assert_one_error(array_spec, "{\"proxy\":[]}", "proxy", "proxy must be an object");
	assert_one_error(array_spec, "{\"proxy\":\"h\"}", "proxy", "proxy must be an object");
	assert_one_error(array_spec, "{\"items\":{}}", "items", "items must be an array");
	assert_one_error(array_spec, "{\"items\":[1,2,3]}", "items",
	    "items must have at most 2 items");
	assert_int_equal(validate(array_spec, "{\"extra\":5}"), 0);
	assert_int_equal(validate(array_spec, "{\"extra\":\"s\"}"), 0);
}

static void
test_unknown_key_named(void **state)
{
	(void)state;
	assert_one_error(string_spec, "{\"name\":\"x\",\"bogus\":1}", "bogus",
	    "unknown field 'bogus'");
	/* Keys are case-sensitive: camelCase names must match exactly. */
	assert_one_error(presence_spec, "{\"id\":\"a\",\"proxyid\":\"p\"}", "proxyid",
	    "unknown field 'proxyid'");
}

static void
test_required_missing(void **state)
{
	(void)state;
	assert_one_error(presence_spec, "{}", "id", "id is required");
	assert_one_error(presence_spec, NULL, "id", "id is required");
}

static void
test_no_args_means_empty_object(void **state)
{
	(void)state;
	assert_int_equal(validate(optional_spec, NULL), 0);
	assert_int_equal(json_object_object_length(normalised), 0);
	assert_int_equal(validate(optional_spec, "{}"), 0);
	assert_int_equal(json_object_object_length(normalised), 0);
}

static void
test_null_on_nullable_field(void **state)
{
	(void)state;
	assert_int_equal(validate(presence_spec, "{\"id\":\"a\",\"proxyId\":null}"), 0);
	assert_true(arg_present(normalised, "proxyId"));
	assert_true(arg_is_null(normalised, "proxyId"));
	assert_string_equal(arg_string(normalised, "proxyId", "fb"), "fb");
}

static void
test_null_on_non_nullable_field(void **state)
{
	(void)state;
	assert_one_error(presence_spec, "{\"id\":\"a\",\"note\":null}", "note",
	    "note must not be null");
	/* A required field given as null reads as missing. */
	assert_one_error(presence_spec, "{\"id\":null}", "id", "id is required");
}

static void
test_non_object_args(void **state)
{
	(void)state;
	assert_one_error(optional_spec, "[1]", "", "arguments must be a JSON object");
	assert_one_error(optional_spec, "\"note\"", "", "arguments must be a JSON object");
	assert_one_error(optional_spec, "42", "", "arguments must be a JSON object");
}

static void
test_multiple_errors_collected(void **state)
{
	(void)state;
	assert_int_equal(validate(proxy_spec,
	    "{\"name\":\"  \",\"type\":\"ftp\",\"port\":\"abc\",\"force\":\"yes\","
	    "\"bogus\":1}"), -1);
	assert_int_equal(json_object_array_length(details), 6);
	/* Unknown keys first, then the table's fields in table order. */
	assert_detail(0, "bogus", "unknown field 'bogus'");
	assert_detail(1, "id", "id is required");
	assert_detail(2, "name", "name must not be empty or blank");
	assert_detail(3, "type", "type must be one of http, https, socks5");
	assert_detail(4, "port", "port must be an integer between 1 and 65535");
	assert_detail(5, "force", "force must be a boolean");
}

static void
test_valid_proxy_fully_normalised(void **state)
{
	(void)state;
	assert_int_equal(validate(proxy_spec,
	    "{\"id\":\"p1\",\"name\":\" US \",\"type\":\"HTTP\",\"port\":\"8080\","
	    "\"force\":\"1\",\"region\":null}"), 0);
	assert_int_equal(json_object_object_length(normalised), 6);
	assert_string_equal(arg_string(normalised, "id", NULL), "p1");
	assert_string_equal(arg_string(normalised, "name", NULL), "US");
	assert_string_equal(arg_string(normalised, "type", NULL), "http");
	assert_true(arg_int(normalised, "port", 0) == 8080);
	assert_true(arg_bool(normalised, "force", false));
	assert_true(arg_is_null(normalised, "region"));
}

static void
test_accessors(void **state)
{
	(void)state;
	assert_int_equal(validate(proxy_spec,
	    "{\"id\":\"p1\",\"port\":3128,\"force\":false}"), 0);

	assert_string_equal(arg_string(normalised, "id", "fb"), "p1");
	assert_string_equal(arg_string(normalised, "name", "fb"), "fb");
	/* A value of another type gives the fallback. */
	assert_string_equal(arg_string(normalised, "port", "fb"), "fb");
	assert_true(arg_int(normalised, "port", -1) == 3128);
	assert_true(arg_int(normalised, "id", -1) == -1);
	assert_true(arg_int(normalised, "absent", 77) == 77);
	assert_false(arg_bool(normalised, "force", true));
	assert_true(arg_bool(normalised, "absent", true));
	assert_true(arg_bool(normalised, "id", true));

	assert_true(arg_present(normalised, "id"));
	assert_false(arg_present(normalised, "name"));
	assert_false(arg_is_null(normalised, "id"));
	assert_false(arg_is_null(normalised, "name"));

	/* A NULL object: every accessor answers its fallback. */
	assert_string_equal(arg_string(NULL, "id", "fb"), "fb");
	assert_true(arg_int(NULL, "port", 9) == 9);
	assert_true(arg_bool(NULL, "force", true));
	assert_false(arg_present(NULL, "id"));
	assert_false(arg_is_null(NULL, "id"));
}


static const struct arg_spec rules_spec[] = {
	{ "host", ARG_STRING, ARG_TRIM | ARG_HAS_MAX, 0, 4, NULL },
	{ "notes", ARG_STRING, ARG_TEXT, 0, 0, NULL },
	{ "proxyId", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_NOT_BLANK, 0, 0, NULL },
	{ "enabled", ARG_BOOL, ARG_STRICT, 0, 0, NULL },
	{ "providerId", ARG_STRING, ARG_TRIM | ARG_LOWER | ARG_SLUG, 0, 0, NULL },
	{ "ids", ARG_STRING_ARRAY, 0, 0, 0, NULL },
	ARGSPEC_END,
};

static const struct arg_spec required_spec[] = {
	{ "id", ARG_STRING, ARG_REQUIRED, 0, 0, NULL },
	ARGSPEC_END,
};

/* Validate {name: bytes[0..len)} built without the JSON parser (any bytes). */
static int
validate_bytes(const struct arg_spec *spec, const char *name, const char *bytes,
    size_t len)
{
	struct json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, name, json_object_new_string_len(bytes, (int)len));
	rc = validate_object(spec, args);
	json_object_put(args);
	return rc;
}

static void
test_lengths_are_bytes_of_utf8(void **state)
{
	(void)state;
	/* 4 bytes: two 2-byte characters fit; three (6 bytes) do not */
	assert_int_equal(validate_bytes(rules_spec, "host", "\xc3\xa9\xc3\xa9", 4), 0);
	assert_int_equal(validate_bytes(rules_spec, "host", "\xc3\xa9\xc3\xa9\xc3\xa9", 6), -1);
	assert_detail(0, "host", "host must be at most 4 bytes (UTF-8)");
	/* a 4-byte character at the boundary: 1 + 4 = 5 bytes > 4 */
	assert_int_equal(validate_bytes(rules_spec, "host", "a\xf0\x9f\x98\x80", 5), -1);
	assert_int_equal(validate_bytes(rules_spec, "host", "\xf0\x9f\x98\x80", 4), 0);
}

static void
test_invalid_utf8_refused(void **state)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
	} bad[] = {
		{ "\x80", 1 },			/* lone continuation */
		{ "\xc3", 1 },			/* truncated */
		{ "\xc0\xaf", 2 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3 },		/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 3 },		/* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 4 },	/* > U+10FFFF */
		{ "\xff", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(validate_bytes(rules_spec, "notes", bad[i].bytes,
		    bad[i].len), -1);
		assert_detail(0, "notes", "notes must be valid UTF-8");
	}
}

static void
test_control_characters_at_every_position(void **state)
{
	static const char controls[] = { '\r', '\n', '\0', '\t', '\x01', '\x1b', '\x7f' };
	char buf[4];
	size_t c, pos;

	(void)state;
	for (c = 0; c < sizeof(controls); c++)
		for (pos = 0; pos < 3; pos++) {
			memcpy(buf, "abc", 3);
			buf[pos] = controls[c];
			/* ordinary strings refuse every one of them, trimmed or not */
			assert_int_equal(validate_bytes(rules_spec, "host", buf, 3), -1);
			assert_int_equal(validate_bytes(rules_spec, "proxyId", buf, 3), -1);
			/* free text holds TAB, LF and CR, never NUL or the others */
			assert_int_equal(validate_bytes(rules_spec, "notes", buf, 3),
			    controls[c] == '\t' || controls[c] == '\n' ||
			    controls[c] == '\r' ? 0 : -1);
		}
	assert_int_equal(validate_bytes(rules_spec, "host", "a\r\n", 3), -1);
	assert_detail(0, "host",
	    "host must not contain control characters (CR, LF, TAB, ...)");
	assert_int_equal(validate_bytes(rules_spec, "host", "a\0", 2), -1);
	assert_detail(0, "host", "host must not contain NUL");
	/* string arrays too, naming the element */
	assert_one_error(rules_spec, "{\"ids\":[\"a\",\"b\\r\\n\"]}", "ids",
	    "ids[1] must not contain control characters (CR, LF, TAB, ...)");
}

static void
test_blank_ids_refused(void **state)
{
	(void)state;
	assert_one_error(rules_spec, "{\"proxyId\":\"\"}", "proxyId",
	    "proxyId must not be empty or blank (null removes)");
	assert_one_error(rules_spec, "{\"proxyId\":\"   \"}", "proxyId",
	    "proxyId must not be empty or blank (null removes)");
	assert_int_equal(validate(rules_spec, "{\"proxyId\":null}"), 0);
	assert_true(arg_is_null(normalised, "proxyId"));
	assert_string_result(rules_spec, "{\"proxyId\":\" p1 \"}", "proxyId", "p1");
	/* required means non-blank, even without ARG_TRIM or a minimum */
	assert_one_error(required_spec, "{\"id\":\"\"}", "id", "id must not be empty or blank");
	assert_one_error(required_spec, "{\"id\":\" \"}", "id", "id must not be empty or blank");
	assert_string_result(required_spec, "{\"id\":\" x\"}", "id", " x");
}

static void
test_strict_bool_and_slug(void **state)
{
	(void)state;
	assert_int_equal(validate(rules_spec, "{\"enabled\":false}"), 0);
	assert_one_error(rules_spec, "{\"enabled\":1}", "enabled",
	    "enabled must be true or false");
	assert_one_error(rules_spec, "{\"enabled\":\"true\"}", "enabled",
	    "enabled must be true or false");
	assert_string_result(rules_spec, "{\"providerId\":\" OpenAI \"}", "providerId",
	    "openai");
	assert_string_result(rules_spec, "{\"providerId\":\"my.prov_1-x\"}", "providerId",
	    "my.prov_1-x");
	assert_one_error(rules_spec, "{\"providerId\":\"..\"}", "providerId",
	    "providerId must be letters, digits, '.', '_' or '-', starting with a "
	    "letter or digit");
	assert_int_equal(validate(rules_spec, "{\"providerId\":\"%0a\"}"), -1);
	assert_int_equal(validate(rules_spec, "{\"providerId\":\"a b\"}"), -1);
	assert_int_equal(validate(rules_spec, "{\"providerId\":\"-a\"}"), -1);
}

static const char *const include_choices[] = { "health", "usage", NULL };

static const struct arg_spec include_spec[] = {
	{ "include", ARG_STRING, ARG_TRIM | ARG_LOWER | ARG_WORD_LIST, 0, 0,
	    include_choices },
	ARGSPEC_END,
};

/* word_list_parse over the bytes of a literal (no NUL after them needed). */
static int
words(const char *text, unsigned *set)
{
	return word_list_parse(text, strlen(text), include_choices, set);
}

static void
test_word_list_parse(void **state)
{
	unsigned set = 99;

	(void)state;
	assert_int_equal(words("", &set), 0);
	assert_int_equal(set, 0);
	assert_int_equal(words("  ", &set), 0);
	assert_int_equal(set, 0);
	assert_int_equal(words("health", &set), 0);
	assert_int_equal(set, 1);
	assert_int_equal(words("usage", &set), 0);
	assert_int_equal(set, 2);
	assert_int_equal(words("health,usage", &set), 0);
	assert_int_equal(set, 3);
	assert_int_equal(words(" usage , health ,usage", &set), 0);
	assert_int_equal(set, 3);
	assert_int_equal(words("health,", &set), -1);
	assert_int_equal(words(",health", &set), -1);
	assert_int_equal(words("health,,usage", &set), -1);
	assert_int_equal(words("health usage", &set), -1);
	assert_int_equal(words("healthy", &set), -1);
	assert_int_equal(words("healt", &set), -1);
	assert_int_equal(words("Health", &set), -1);
	assert_int_equal(words(",", &set), -1);
	/* nothing of a bad list is kept */
	assert_int_equal(words("usage,health,stats", &set), -1);
	assert_int_equal(set, 0);
	/* only len bytes are read: "health" of "healthXYZ" */
	assert_int_equal(word_list_parse("healthXYZ", 6, include_choices, &set), 0);
	assert_int_equal(set, 1);
}

static void
test_word_list_field(void **state)
{
	(void)state;
	assert_string_result(include_spec, "{\"include\":\" Health,USAGE \"}",
	    "include", "health,usage");
	assert_int_equal(arg_word_set(normalised, "include", include_choices), 3);
	assert_int_equal(validate(include_spec, "{\"include\":\"\"}"), 0);
	assert_int_equal(arg_word_set(normalised, "include", include_choices), 0);
	assert_int_equal(validate(include_spec, "{}"), 0);
	assert_int_equal(arg_word_set(normalised, "include", include_choices), 0);
	assert_one_error(include_spec, "{\"include\":\"health,stats\"}", "include",
	    "include must be a comma-separated list of health, usage");
	assert_one_error(include_spec, "{\"include\":7}", "include",
	    "include must be a string");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_string_trimmed, teardown),
		cmocka_unit_test_teardown(test_string_lowered_before_choices, teardown),
		cmocka_unit_test_teardown(test_string_choices, teardown),
		cmocka_unit_test_teardown(test_string_min_length, teardown),
		cmocka_unit_test_teardown(test_string_max_length, teardown),
		cmocka_unit_test_teardown(test_string_wrong_type, teardown),
		cmocka_unit_test_teardown(test_string_with_nul_inside, teardown),
		cmocka_unit_test_teardown(test_string_input_not_modified, teardown),
		cmocka_unit_test_teardown(test_int_from_integer, teardown),
		cmocka_unit_test_teardown(test_int_from_numeric_string, teardown),
		cmocka_unit_test_teardown(test_int_rejects_bad_strings, teardown),
		cmocka_unit_test_teardown(test_int_from_double, teardown),
		cmocka_unit_test_teardown(test_int_bounds, teardown),
		cmocka_unit_test_teardown(test_int_wrong_type, teardown),
		cmocka_unit_test_teardown(test_bool_accepted_spellings, teardown),
		cmocka_unit_test_teardown(test_bool_rejected_values, teardown),
		cmocka_unit_test_teardown(test_string_array_normalised, teardown),
		cmocka_unit_test_teardown(test_string_array_bad_elements, teardown),
		cmocka_unit_test_teardown(test_string_array_nul_element, teardown),
		cmocka_unit_test_teardown(test_string_array_count_bounds, teardown),
		cmocka_unit_test_teardown(test_object_and_array_types, teardown),
		cmocka_unit_test_teardown(test_unknown_key_named, teardown),
		cmocka_unit_test_teardown(test_required_missing, teardown),
		cmocka_unit_test_teardown(test_no_args_means_empty_object, teardown),
		cmocka_unit_test_teardown(test_null_on_nullable_field, teardown),
		cmocka_unit_test_teardown(test_null_on_non_nullable_field, teardown),
		cmocka_unit_test_teardown(test_non_object_args, teardown),
		cmocka_unit_test_teardown(test_multiple_errors_collected, teardown),
		cmocka_unit_test_teardown(test_valid_proxy_fully_normalised, teardown),
		cmocka_unit_test_teardown(test_accessors, teardown),
		cmocka_unit_test_teardown(test_lengths_are_bytes_of_utf8, teardown),
		cmocka_unit_test_teardown(test_invalid_utf8_refused, teardown),
		cmocka_unit_test_teardown(test_control_characters_at_every_position, teardown),
		cmocka_unit_test_teardown(test_blank_ids_refused, teardown),
		cmocka_unit_test_teardown(test_strict_bool_and_slug, teardown),
		cmocka_unit_test_teardown(test_word_list_parse, teardown),
		cmocka_unit_test_teardown(test_word_list_field, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
