/*
 * tests/unit/test_provider_head.c — the head lines every provider call
 * carries (worker/provider_head.c): Host with and without a port, IPv6
 * brackets, each auth style, an empty key, extra headers with the client's
 * own winning, and values that could split a head never written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "provider_head.h"

static struct textbuf t;

static int
teardown(void **state)
{
	(void)state;
	textbuf_free(&t);
	return 0;
}

static void
assert_text(const char *expected)
{
	assert_int_equal(t.len, strlen(expected));
	assert_memory_equal(t.data, expected, t.len);
}

static void
host_of(const char *url)
{
	struct http_url u;
	const char *err;

	assert_int_equal(http_url_parse(url, &u, &err), 0);
	textbuf_reset(&t);
	provider_head_host(&t, &u);
}

static void
test_host_lines(void **state)
{
	(void)state;
	host_of("https://api.openai.com/v1");
	assert_text("Host: api.openai.com\r\n");
	host_of("https://api.example:8443/v1");
	assert_text("Host: api.example:8443\r\n");
	host_of("http://10.0.0.9:11434/v1");
	assert_text("Host: 10.0.0.9:11434\r\n");
	host_of("http://h.example:80/");
	assert_text("Host: h.example\r\n");
	host_of("https://[2001:db8::1]/v1");
	assert_text("Host: [2001:db8::1]\r\n");
	host_of("https://[::1]:8443/v1");
	assert_text("Host: [::1]:8443\r\n");
}

static void
test_auth_styles(void **state)
{
	(void)state;
	provider_head_auth(&t, "bearer", "sk-1", NULL, NULL);
	assert_text("Authorization: Bearer sk-1\r\n");
	textbuf_reset(&t);
	provider_head_auth(&t, "x-api-key", "sk-ant", NULL, NULL);
	assert_text("x-api-key: sk-ant\r\n");
	textbuf_reset(&t);
	provider_head_auth(&t, "none", "sk-unused", NULL, NULL);
	provider_head_auth(&t, "bearer", "", NULL, NULL);
	provider_head_auth(&t, "bearer", NULL, NULL, NULL);
	assert_int_equal(t.len, 0);
}

static void
test_extra_headers_client_wins_and_splitters_dropped(void **state)
{
	struct json_object *extra = json_tokener_parse("{\"anthropic-version\":\"2023-06-01\","
	    "\"X-Title\":\"omni\",\"X-Bad\":\"a\\r\\nInjected: 1\",\"Bad Name\":\"x\","
	    "\"X-Num\":5}");
	static const char client_head[] = "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
	    "X-Title: mine\r\n\r\n";
	struct http_request_head head;

	(void)state;
	assert_int_equal(http_parse_request_head(client_head, sizeof(client_head) - 1, 16384,
	    &head), PARSE_DONE);
	provider_head_auth(&t, "x-api-key", "k", extra, &head);
	assert_text("x-api-key: k\r\nanthropic-version: 2023-06-01\r\n");
	textbuf_reset(&t);
	provider_head_auth(&t, "none", NULL, extra, NULL);
	assert_text("anthropic-version: 2023-06-01\r\nX-Title: omni\r\n");
	json_object_put(extra);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_host_lines, teardown),
		cmocka_unit_test_teardown(test_auth_styles, teardown),
		cmocka_unit_test_teardown(test_extra_headers_client_wins_and_splitters_dropped,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
