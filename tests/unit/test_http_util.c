/*
 * tests/unit/test_http_util.c — tests of the request-target helpers
 * (common/http_util.c): the length of the path part, query-parameter lookup
 * with percent-decoding ('+', %XX, and the escapes and sizes we refuse), names
 * that are prefixes of other names, the canonical-path rule of the relay
 * (each fault by example, every encoded and raw byte, every spelling of a dot
 * segment, and seeded random canonical paths with a fault put in), reason
 * phrases, which URL hosts are loopback literals (the CLIProxyAPI hop
 * rule), and the dashboard's negotiation: Accept-Encoding weights and
 * If-None-Match lists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
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


/* ---- canonical paths ------------------------------------------------------ */

static enum http_path_fault
path_fault(const char *target)
{
	return http_path_check(target, strlen(target));
}

static void
assert_path(const char *target, enum http_path_fault expected)
{
	enum http_path_fault got = path_fault(target);

	if (got != expected)
		fail_msg("%s: fault %d, expected %d", target, (int)got, (int)expected);
}

static void
test_path_canonical_examples(void **state)
{
	static const char *const ok[] = {
		"/v1/chat/completions",
		"/v1/models",
		"/v1/models/openai/gpt-4o",
		"/v1/models/gpt-3.5-turbo",
		"/v1/audio/transcriptions",
		"/v1/a...b/...",		/* three dots are a name */
		"/v1/.well-known/x",
		"/v1/x./.y/a.b",
		"/v1/%2ex/x%2E",		/* a dot with more: a name */
		"/v1/%41%7e~_-",		/* encoded unreserved bytes are data */
		"/v1/caf%C3%A9/%e2%82%ac/%F0%9F%98%80",
		"/v1/a;b/c;d=1",		/* path parameters on a named segment */
		"/v1/a%3Bb",
		"/v1/x%20y/%3F/%23",		/* encoded space, '?', '#': data */
		"/v1/chat/completions?",
		"/v1/chat/completions?x=1&y=..//%2f%00%zz\\",	/* query not judged */
		"/v1/x?/../",
		"/a",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_path(ok[i], HTTP_PATH_CANONICAL);
	assert_string_equal(http_path_fault_message(HTTP_PATH_CANONICAL), "");
}

static void
test_path_fault_examples(void **state)
{
	static const struct {
		const char		*target;
		enum http_path_fault	 fault;
	} cases[] = {
		{ "", HTTP_PATH_NOT_ABSOLUTE },
		{ "v1/x", HTTP_PATH_NOT_ABSOLUTE },
		{ "*", HTTP_PATH_NOT_ABSOLUTE },
		{ "?/v1", HTTP_PATH_NOT_ABSOLUTE },
		{ "/v1/chat/completions#x", HTTP_PATH_FRAGMENT },
		{ "/v1/chat/completions#", HTTP_PATH_FRAGMENT },
		{ "/v1/x?a=1#b", HTTP_PATH_FRAGMENT },	/* smuggled in the query */
		{ "/v1/../admin", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/./chat/completions", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/chat/%2e%2e/x", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/chat/.%2E/x", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/chat/%2E./x", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/chat/%2e", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/chat/..", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/..;/admin", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/.;x=1/admin", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/..%3b/admin", HTTP_PATH_DOT_SEGMENT },
		{ "/..", HTTP_PATH_DOT_SEGMENT },
		{ "/v1//chat/completions", HTTP_PATH_EMPTY_SEGMENT },
		{ "/v1/chat/completions/", HTTP_PATH_EMPTY_SEGMENT },
		{ "/v1/", HTTP_PATH_EMPTY_SEGMENT },
		{ "/", HTTP_PATH_EMPTY_SEGMENT },
		{ "//v1", HTTP_PATH_EMPTY_SEGMENT },
		{ "/v1/;x/y", HTTP_PATH_EMPTY_SEGMENT },
		{ "/v1/x/?a=1", HTTP_PATH_EMPTY_SEGMENT },
		{ "/v1/chat%2fcompletions", HTTP_PATH_ENCODED_SLASH },
		{ "/v1/chat%2Fcompletions", HTTP_PATH_ENCODED_SLASH },
		{ "/v1/chat\\completions", HTTP_PATH_BACKSLASH },
		{ "/v1/chat%5ccompletions", HTTP_PATH_BACKSLASH },
		{ "/v1/chat%5Ccompletions", HTTP_PATH_BACKSLASH },
		{ "/v1/chat/completions%00", HTTP_PATH_NUL },
		{ "/v1/x%0d%0aHost:%20y", HTTP_PATH_CONTROL },
		{ "/v1/x%09", HTTP_PATH_CONTROL },
		{ "/v1/x%7F", HTTP_PATH_CONTROL },
		{ "/v1/%252e%252e/x", HTTP_PATH_ENCODED_PERCENT },
		{ "/v1/x%25", HTTP_PATH_ENCODED_PERCENT },
		{ "/v1/x%", HTTP_PATH_BAD_ESCAPE },
		{ "/v1/x%2", HTTP_PATH_BAD_ESCAPE },
		{ "/v1/x%2?a", HTTP_PATH_BAD_ESCAPE },	/* the escape ends with the path */
		{ "/v1/x%zz", HTTP_PATH_BAD_ESCAPE },
		{ "/v1/x%-1", HTTP_PATH_BAD_ESCAPE },
		{ "/v1/x%%41", HTTP_PATH_BAD_ESCAPE },
		{ "/v1/a b", HTTP_PATH_BAD_BYTE },
		{ "/v1/a\tb", HTTP_PATH_BAD_BYTE },
		{ "/v1/caf\xc3\xa9", HTTP_PATH_BAD_BYTE },
		{ "/v1/%c0%ae%c0%ae/x", HTTP_PATH_NOT_UTF8 },	/* overlong dots */
		{ "/v1/%e0%80%ae", HTTP_PATH_NOT_UTF8 },
		{ "/v1/%ed%a0%80", HTTP_PATH_NOT_UTF8 },	/* a surrogate */
		{ "/v1/%f4%90%80%80", HTTP_PATH_NOT_UTF8 },	/* above U+10FFFF */
		{ "/v1/%c3", HTTP_PATH_NOT_UTF8 },		/* cut by the end */
		{ "/v1/%c3/%a9", HTTP_PATH_NOT_UTF8 },		/* cut by a '/' */
		{ "/v1/%c3a", HTTP_PATH_NOT_UTF8 },		/* cut by a raw byte */
		{ "/v1/%80", HTTP_PATH_NOT_UTF8 },
		{ "/v1/%ff", HTTP_PATH_NOT_UTF8 },
		/* the first fault in byte order wins */
		{ "/v1/../%00", HTTP_PATH_DOT_SEGMENT },
		{ "/v1/%00/..", HTTP_PATH_NUL },
		{ "/v1//%2f", HTTP_PATH_EMPTY_SEGMENT },
		{ "/v1/%2f//", HTTP_PATH_ENCODED_SLASH },
		/* but a fragment anywhere comes first */
		{ "/v1/../x#", HTTP_PATH_FRAGMENT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_path(cases[i].target, cases[i].fault);
		assert_true(strlen(http_path_fault_message(cases[i].fault)) > 0);
	}
}

/* Only len bytes are read: the fault past them does not count. */
static void
test_path_only_len_bytes(void **state)
{
	(void)state;
	assert_int_equal(http_path_check("/v1/x/..", 5), HTTP_PATH_CANONICAL);
	assert_int_equal(http_path_check("/v1/x#", 5), HTTP_PATH_CANONICAL);
	assert_int_equal(http_path_check("/v1/x%2e", 7), HTTP_PATH_BAD_ESCAPE);
	assert_int_equal(http_path_check("/v1/x/", 6), HTTP_PATH_EMPTY_SEGMENT);
	assert_int_equal(http_path_check("/v1/x/", 0), HTTP_PATH_NOT_ABSOLUTE);
}

/* Every byte written as %XX, both hex cases, in the middle of a name. */
static void
test_path_every_encoded_byte(void **state)
{
	char target[32];
	unsigned b;

	(void)state;
	for (b = 0; b < 256; b++) {
		enum http_path_fault expected = HTTP_PATH_CANONICAL;
		int upper;

		if (b == 0)
			expected = HTTP_PATH_NUL;
		else if (b < 0x20 || b == 0x7f)
			expected = HTTP_PATH_CONTROL;
		else if (b == '/')
			expected = HTTP_PATH_ENCODED_SLASH;
		else if (b == '\\')
			expected = HTTP_PATH_BACKSLASH;
		else if (b == '%')
			expected = HTTP_PATH_ENCODED_PERCENT;
		else if (b >= 0x80)
			expected = HTTP_PATH_NOT_UTF8;	/* alone, never UTF-8 */
		for (upper = 0; upper < 2; upper++) {
			snprintf(target, sizeof(target), upper ? "/v1/a%%%02Xb" :
			    "/v1/a%%%02xb", b);
			assert_path(target, expected);
		}
	}
}

/* Every byte raw, in the middle of a name. */
static void
test_path_every_raw_byte(void **state)
{
	char target[16];
	unsigned b;

	(void)state;
	for (b = 1; b < 256; b++) {
		enum http_path_fault expected = HTTP_PATH_CANONICAL;

		if (b <= 0x20 || b >= 0x7f)
			expected = HTTP_PATH_BAD_BYTE;
		else if (b == '\\')
			expected = HTTP_PATH_BACKSLASH;
		else if (b == '#')
			expected = HTTP_PATH_FRAGMENT;
		else if (b == '%')
			expected = HTTP_PATH_BAD_ESCAPE;
		snprintf(target, sizeof(target), "/v1/a%cb", (char)b);
		assert_path(target, expected);
	}
	/* a NUL inside len is a byte like any other control character */
	assert_int_equal(http_path_check("/v1/a\0b", 7), HTTP_PATH_BAD_BYTE);
}

/*
 * Every spelling of a one- or two-character dot segment ('.', "%2e",
 * "%2E"), alone or with path parameters, as the first, a middle and the last
 * segment, before a query or not: all refused as dot segments.
 */
static void
test_path_every_dot_spelling(void **state)
{
	static const char *const dot[] = { ".", "%2e", "%2E" };
	static const char *const params[] = { "", ";", ";x", "%3b", "%3Bx=1" };
	static const char *const shapes[] = {
		"/%s/v1/x", "/v1/%s/x", "/v1/x/%s", "/v1/x/%s?q=1",
	};
	char segment[32], target[64];
	size_t n, a, b, p, sh, tried = 0;

	(void)state;
	for (n = 1; n <= 2; n++)
		for (a = 0; a < 3; a++)
			for (b = 0; b < (n == 2 ? 3u : 1u); b++)
				for (p = 0; p < sizeof(params) / sizeof(params[0]); p++) {
					snprintf(segment, sizeof(segment), "%s%s%s", dot[a],
					    n == 2 ? dot[b] : "", params[p]);
					for (sh = 0; sh < sizeof(shapes) / sizeof(shapes[0]);
					    sh++) {
						snprintf(target, sizeof(target), shapes[sh],
						    segment);
						assert_path(target, HTTP_PATH_DOT_SEGMENT);
						tried++;
					}
					/* one more character makes it a name */
					snprintf(target, sizeof(target), "/v1/%sz", segment);
					assert_path(target, p == 0 ? HTTP_PATH_CANONICAL :
					    HTTP_PATH_DOT_SEGMENT);
					snprintf(target, sizeof(target), "/v1/%s...", segment);
					assert_path(target, p == 0 ? HTTP_PATH_CANONICAL :
					    HTTP_PATH_DOT_SEGMENT);
				}
	assert_int_equal(tried, (3 + 9) * 5 * 4);
}

/* A small fixed-seed generator: the same paths on every run. */
static uint32_t
next_random(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

/* A random name: unreserved bytes, sub-delims and UTF-8 written %XX. */
static size_t
random_segment(uint32_t *seed, char *out)
{
	static const char plain[] =
	    "abcxyzABCXYZ0189-._~!$&'()*+,=:@";
	static const char *const encoded[] = {
		"%41", "%7e", "%2E", "%20", "%3F", "%23", "%C3%A9", "%e2%82%ac",
		"%F0%9F%98%80",
	};
	size_t len = 0, parts = 1 + next_random(seed) % 6, i;
	bool only_dots = true;

	for (i = 0; i < parts; i++) {
		if (next_random(seed) % 4 == 0) {
			const char *e = encoded[next_random(seed) %
			    (sizeof(encoded) / sizeof(encoded[0]))];
			memcpy(out + len, e, strlen(e));
			len += strlen(e);
			only_dots = only_dots && strcmp(e, "%2E") == 0;
		} else {
			char c = plain[next_random(seed) % (sizeof(plain) - 1)];
			out[len++] = c;
			only_dots = only_dots && c == '.';
		}
	}
	if (only_dots && parts <= 2)
		out[len++] = 'z';	/* keep it a name */
	return len;
}

/*
 * 2000 random canonical paths pass; each, with one fault put in at a random
 * segment boundary, is refused for that fault.
 */
static void
test_path_random_canonical(void **state)
{
	static const struct {
		const char		*insert;
		enum http_path_fault	 fault;
	} faults[] = {
		{ "/", HTTP_PATH_EMPTY_SEGMENT },
		{ "/..", HTTP_PATH_DOT_SEGMENT },
		{ "/%2e%2E", HTTP_PATH_DOT_SEGMENT },
		{ "/.", HTTP_PATH_DOT_SEGMENT },
		{ "/x%2fy", HTTP_PATH_ENCODED_SLASH },
		{ "/x\\y", HTTP_PATH_BACKSLASH },
		{ "/x%00", HTTP_PATH_NUL },
		{ "/x%", HTTP_PATH_BAD_ESCAPE },
	};
	uint32_t seed = 0x5eed1234;
	char target[512], broken[600];
	size_t round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		size_t len = 0, segments = 1 + next_random(&seed) % 6, i, cut;
		size_t boundaries[8], nb = 0, f;

		memcpy(target, "/v1", 3);
		len = 3;
		for (i = 0; i < segments; i++) {
			boundaries[nb++] = len;
			target[len++] = '/';
			len += random_segment(&seed, target + len);
		}
		boundaries[nb++] = len;
		if (next_random(&seed) % 2) {	/* a query of anything but '#' */
			size_t q = next_random(&seed) % 12;
			target[len++] = '?';
			for (i = 0; i < q; i++) {
				char c = (char)(0x21 + next_random(&seed) % 94);
				target[len++] = c == '#' ? '/' : c;
			}
		}
		target[len] = '\0';
		if (http_path_check(target, len) != HTTP_PATH_CANONICAL)
			fail_msg("%s: fault %d", target,
			    (int)http_path_check(target, len));
		cut = boundaries[next_random(&seed) % nb];
		f = next_random(&seed) % (sizeof(faults) / sizeof(faults[0]));
		snprintf(broken, sizeof(broken), "%.*s%s%s", (int)cut, target,
		    faults[f].insert, target + cut);
		/* "/x%" just before a '/' or '?' is still a bad escape */
		assert_path(broken, faults[f].fault);
	}
}

/* Only literal loopback forms and "localhost" are local; names and near misses are not. */
static void
test_host_is_loopback(void **state)
{
	static const struct {
		const char	*host;
		bool		 loopback;
	} cases[] = {
		{ "127.0.0.1", true },
		{ "127.0.0.2", true },
		{ "127.255.255.254", true },
		{ "::1", true },
		{ "0:0:0:0:0:0:0:1", true },
		{ "::ffff:127.0.0.9", true },		/* IPv4-mapped 127/8 */
		{ "localhost", true },
		{ "LocalHost", true },
		{ "localhost.", false },			/* may be asked of DNS */
		{ "127.1", false },			/* not dotted-quad: resolver food */
		{ "0127.0.0.1", false },		/* octal-looking: refused */
		{ "127.0.0.256", false },
		{ "127.0.0.1.", false },
		{ "0.0.0.0", false },
		{ "::", false },
		{ "::2", false },
		{ "cliproxy.test", false },		/* may resolve to loopback: still a name */
		{ "localhost.test", false },
		{ "mylocalhost", false },
		{ "localhost..", false },
		{ "[::1]", false },			/* brackets are stripped before */
		{ "::1%lo", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_host_is_loopback(cases[i].host) != cases[i].loopback)
			fail_msg("case %zu: %s", i, cases[i].host);
}

static bool
accepts(const char *encodings)
{
	return http_accepts_coding(encodings, strlen(encodings), "gzip");
}

static void
test_accepts_coding(void **state)
{
	(void)state;
	assert_true(accepts("gzip"));
	assert_true(accepts("deflate, gzip;q=1.0, br"));
	assert_true(accepts("GZip"));
	assert_true(accepts("br;q=0.9,gzip;q=0.001"));
	assert_true(accepts("*"));
	assert_true(accepts("identity, *;q=0.5"));
	assert_true(accepts("gzip ; q = 0.5"));
	assert_true(accepts("gzip;level=9"));		/* an unknown parameter */
	assert_false(accepts(""));
	assert_false(accepts("identity"));
	assert_false(accepts("gzip;q=0"));
	assert_false(accepts("gzip;q=0.000"));
	assert_false(accepts("*;q=0"));
	assert_false(accepts("*, gzip;q=0"));		/* named beats the wildcard */
	assert_false(accepts("gzipx, xgzip"));
	/* malformed weights count as 0: the plain answer is always safe */
	assert_false(accepts("gzip;q=2"));
	assert_false(accepts("gzip;q=1.5"));
	assert_false(accepts("gzip;q=0.0001"));
	assert_false(accepts("gzip;q=abc"));
	assert_false(accepts("gzip;q="));
	assert_false(accepts("gzip;q=0.5x"));
	assert_false(http_accepts_coding("gzip", 0, "gzip"));
	assert_true(http_accepts_coding("gzipped", 4, "gzip"));	/* only len bytes */
}

static bool
etag_matches(const char *tags)
{
	return http_etag_matches(tags, strlen(tags), "\"abc123\"");
}

static void
test_etag_matches(void **state)
{
	(void)state;
	assert_true(etag_matches("\"abc123\""));
	assert_true(etag_matches("W/\"abc123\""));		/* weak comparison */
	assert_true(etag_matches("\"x\", \"abc123\""));
	assert_true(etag_matches(" \"x\" ,W/\"abc123\" "));
	assert_true(etag_matches("*"));
	assert_false(etag_matches(""));
	assert_false(etag_matches("abc123"));			/* unquoted */
	assert_false(etag_matches("\"abc12\""));
	assert_false(etag_matches("\"abc123\"x"));
	assert_false(etag_matches("w/\"abc123\""));		/* W/ is case-sensitive */
	assert_false(etag_matches("\"ABC123\""));		/* opaque: byte for byte */
	assert_false(etag_matches("**"));
	assert_true(http_etag_matches("W/\"q\"", 5, "W/\"q\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_is_loopback),
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
		cmocka_unit_test(test_path_canonical_examples),
		cmocka_unit_test(test_path_fault_examples),
		cmocka_unit_test(test_path_only_len_bytes),
		cmocka_unit_test(test_path_every_encoded_byte),
		cmocka_unit_test(test_path_every_raw_byte),
		cmocka_unit_test(test_path_every_dot_spelling),
		cmocka_unit_test(test_path_random_canonical),
		cmocka_unit_test(test_reason_phrase_known),
		cmocka_unit_test(test_reason_phrase_unknown),
		cmocka_unit_test(test_accepts_coding),
		cmocka_unit_test(test_etag_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
