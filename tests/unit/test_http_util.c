/*
 * tests/unit/test_http_util.c — tests of the request-target helpers
 * (common/http_util.c): the length of the path part, query-parameter lookup
 * with percent-decoding ('+', %XX, and the escapes and sizes we refuse), names
 * that are prefixes of other names, and reason phrases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "http_util.h"
#include "util.h"

static char value[64];

static int
query(const char *target, const char *name)
{
	memset(value, 'Z', sizeof(value));
	return http_query_param(target, strlen(target), name, value, sizeof(value));
}

static void
assert_param(const char *target, const char *name, const char *expected)
{
	assert_int_equal(query(target, name), 1);
	assert_string_equal(value, expected);
}

static void
test_path_len(void **state)
{
	(void)state;
	assert_int_equal(http_target_path_len("/api/v1/x?id=1", 14), 9);
	assert_int_equal(http_target_path_len("/a#frag", 7), 2);
	assert_int_equal(http_target_path_len("/a#f?x", 6), 2);
	assert_int_equal(http_target_path_len("/plain", 6), 6);
	assert_int_equal(http_target_path_len("/?", 2), 1);
	assert_int_equal(http_target_path_len("?x", 2), 0);
	assert_int_equal(http_target_path_len("", 0), 0);
	/* Only len bytes are looked at. */
	assert_int_equal(http_target_path_len("/abc?x", 3), 3);
}

static void
test_param_present(void **state)
{
	(void)state;
	assert_param("/p?limit=50&offset=10", "limit", "50");
	assert_param("/p?limit=50&offset=10", "offset", "10");
	assert_param("/p?id=abc-123", "id", "abc-123");
	/* The first occurrence wins. */
	assert_param("/p?a=1&a=2", "a", "1");
}

static void
test_param_absent(void **state)
{
	(void)state;
	assert_int_equal(query("/p?limit=50", "offset"), 0);
	assert_int_equal(query("/p", "id"), 0);
	assert_int_equal(query("/p?", "id"), 0);
	assert_int_equal(query("", "id"), 0);
	/* Names are case-sensitive and compared undecoded. */
	assert_int_equal(query("/p?ID=1", "id"), 0);
	assert_int_equal(query("/p?i%64=1", "id"), 0);
	/* A '?' inside the fragment does not start a query. */
	assert_int_equal(query("/p#x?id=1", "id"), 0);
}

static void
test_param_in_fragment_ignored(void **state)
{
	(void)state;
	assert_param("/p?a=1#b=2", "a", "1");
	assert_int_equal(query("/p?a=1#b=2", "b"), 0);
	assert_param("/p?a=1#", "a", "1");
}

static void
test_param_empty_value(void **state)
{
	(void)state;
	assert_param("/p?a=&b=1", "a", "");
	assert_param("/p?a=&b=1", "b", "1");
	assert_param("/p?b=1&a=", "a", "");
}

static void
test_param_without_equals(void **state)
{
	(void)state;
	assert_param("/p?force&id=x", "force", "");
	assert_param("/p?id=x&force", "force", "");
	assert_param("/p?id=x&force", "id", "x");
}

static void
test_param_empty_segments(void **state)
{
	(void)state;
	assert_param("/p?&&id=7&&", "id", "7");
	assert_param("/p?id=7&", "id", "7");
}

static void
test_param_plus_is_space(void **state)
{
	(void)state;
	assert_param("/p?q=a+b+c", "q", "a b c");
	assert_param("/p?q=%2B", "q", "+");
}

static void
test_param_percent_decoded(void **state)
{
	(void)state;
	assert_param("/p?q=%41", "q", "A");
	assert_param("/p?q=%4a%4A", "q", "JJ");
	assert_param("/p?q=a%26b%3Dc", "q", "a&b=c");
	assert_param("/p?q=caf%C3%A9", "q", "caf\xc3\xa9");
	/* An '=' inside the value is data. */
	assert_param("/p?q=a=b", "q", "a=b");
}

static void
test_param_bad_escape(void **state)
{
	(void)state;
	assert_int_equal(query("/p?q=%zz", "q"), -1);
	assert_int_equal(query("/p?q=%4", "q"), -1);
	assert_int_equal(query("/p?q=%", "q"), -1);
	assert_int_equal(query("/p?q=%4&r=1", "q"), -1);
	assert_int_equal(query("/p?q=%G1", "q"), -1);
	/* A malformed other parameter does not matter. */
	assert_param("/p?q=ok&r=%zz", "q", "ok");
}

static void
test_param_nul_escape_refused(void **state)
{
	(void)state;
	assert_int_equal(query("/p?q=%00", "q"), -1);
	assert_int_equal(query("/p?q=ab%00cd", "q"), -1);
}

static void
test_param_value_length_limit(void **state)
{
	char small[4];

	(void)state;
	/* outlen-1 bytes fit, one more does not. */
	assert_int_equal(http_query_param("/p?q=abc", 8, "q", small, sizeof(small)), 1);
	assert_string_equal(small, "abc");
	assert_int_equal(http_query_param("/p?q=abcd", 9, "q", small, sizeof(small)), -1);
	/* The limit is on decoded bytes. */
	assert_int_equal(http_query_param("/p?q=%41%42%43", 14, "q", small,
	    sizeof(small)), 1);
	assert_string_equal(small, "ABC");
	assert_int_equal(http_query_param("/p?q=%41%42%43%44", 17, "q", small,
	    sizeof(small)), -1);
}

static void
test_param_name_prefix_of_another(void **state)
{
	(void)state;
	assert_param("/p?ids=1&id=2", "id", "2");
	assert_param("/p?ids=1&id=2", "ids", "1");
	assert_param("/p?id=2&ids=1", "ids", "1");
	assert_int_equal(query("/p?ids=1", "id"), 0);
	assert_int_equal(query("/p?id=1", "ids"), 0);
	assert_int_equal(query("/p?xid=1", "id"), 0);
}

static void
test_param_only_len_bytes(void **state)
{
	char out[16];

	(void)state;
	/* Bytes past len are not part of the target. */
	assert_int_equal(http_query_param("/p?a=12345", 7, "a", out, sizeof(out)), 1);
	assert_string_equal(out, "12");
	assert_int_equal(http_query_param("/p?a=1&b=2", 7, "b", out, sizeof(out)), 0);
}

static void
test_reason_phrase_known(void **state)
{
	(void)state;
	assert_string_equal(http_reason_phrase(200), "OK");
	assert_string_equal(http_reason_phrase(201), "Created");
	assert_string_equal(http_reason_phrase(400), "Bad Request");
	assert_string_equal(http_reason_phrase(401), "Unauthorized");
	assert_string_equal(http_reason_phrase(404), "Not Found");
	assert_string_equal(http_reason_phrase(409), "Conflict");
	assert_string_equal(http_reason_phrase(503), "Service Unavailable");
	assert_string_equal(http_reason_phrase(505), "HTTP Version Not Supported");
}

static void
test_reason_phrase_unknown(void **state)
{
	(void)state;
	assert_string_equal(http_reason_phrase(299), "Unknown");
	assert_string_equal(http_reason_phrase(0), "Unknown");
	assert_string_equal(http_reason_phrase(-1), "Unknown");
	assert_string_equal(http_reason_phrase(1000), "Unknown");
}

static void
test_utf8_valid(void **state)
{
	static const struct {
		const char	*bytes;
		bool		 valid;
	} cases[] = {
		{ "plain ascii", true },
		{ "caf\xc3\xa9", true },			/* é */
		{ "\xe2\x82\xac", true },			/* € */
		{ "\xf0\x9f\x98\x80", true },		/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", true },		/* U+10FFFF */
		{ "\xc0\xaf", false },			/* overlong '/' */
		{ "\xe0\x80\xaf", false },			/* overlong */
		{ "\xed\xa0\x80", false },			/* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", false },		/* above U+10FFFF */
		{ "\x80", false },				/* lone continuation */
		{ "\xc3", false },				/* truncated */
		{ "\xe2\x82", false },			/* truncated */
		{ "\xff", false },
		{ "a\xc3(b", false },			/* bad continuation */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (utf8_valid(cases[i].bytes, strlen(cases[i].bytes)) != cases[i].valid)
			fail_msg("case %zu", i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_path_len),
		cmocka_unit_test(test_param_present),
		cmocka_unit_test(test_param_absent),
		cmocka_unit_test(test_param_in_fragment_ignored),
		cmocka_unit_test(test_param_empty_value),
		cmocka_unit_test(test_param_without_equals),
		cmocka_unit_test(test_param_empty_segments),
		cmocka_unit_test(test_param_plus_is_space),
		cmocka_unit_test(test_param_percent_decoded),
		cmocka_unit_test(test_param_bad_escape),
		cmocka_unit_test(test_param_nul_escape_refused),
		cmocka_unit_test(test_param_value_length_limit),
		cmocka_unit_test(test_param_name_prefix_of_another),
		cmocka_unit_test(test_param_only_len_bytes),
		cmocka_unit_test(test_reason_phrase_known),
		cmocka_unit_test(test_reason_phrase_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
