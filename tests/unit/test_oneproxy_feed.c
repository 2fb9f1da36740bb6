/*
 * tests/unit/test_oneproxy_feed.c — tests of the 1proxy feed page reader
 * (common/oneproxy_feed.c), fed byte strings: the address scopes at the
 * edges of each special range, a good page, each member rule, the quality
 * threshold enforced locally, rows that fail without failing the page, and
 * pages that fail as a whole. Pages here only hold loopback rows (imported
 * because allow_private is on) or rows that must be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oneproxy_feed.h"

static const struct oneproxy_policy allow_loopback = { 50, true, false, 100 };
static const struct oneproxy_policy public_only = { 50, false, false, 100 };
static const struct oneproxy_policy no_socks5 = { 50, true, true, 100 };

static enum ip_scope
scope(const char *s)
{
	return ip_literal_scope(s, strlen(s));
}

static void
test_scopes(void **state)
{
	(void)state;
	assert_int_equal(scope("127.0.0.1"), IP_SCOPE_LOOPBACK);
	assert_int_equal(scope("127.255.255.254"), IP_SCOPE_LOOPBACK);
	assert_int_equal(scope("::1"), IP_SCOPE_LOOPBACK);
	assert_int_equal(scope("[::1]"), IP_SCOPE_LOOPBACK);
	assert_int_equal(scope("::ffff:127.0.0.1"), IP_SCOPE_LOOPBACK);
	assert_int_equal(scope("10.0.0.1"), IP_SCOPE_PRIVATE);
	assert_int_equal(scope("172.16.0.1"), IP_SCOPE_PRIVATE);
	assert_int_equal(scope("172.31.255.255"), IP_SCOPE_PRIVATE);
	assert_int_equal(scope("192.168.1.1"), IP_SCOPE_PRIVATE);
	assert_int_equal(scope("::ffff:192.168.1.1"), IP_SCOPE_PRIVATE);
	assert_int_equal(scope("fd00::1"), IP_SCOPE_PRIVATE);
	assert_int_equal(scope("169.254.169.254"), IP_SCOPE_LINK_LOCAL);
	assert_int_equal(scope("fe80::1"), IP_SCOPE_LINK_LOCAL);
	assert_int_equal(scope("100.64.0.1"), IP_SCOPE_SHARED);
	assert_int_equal(scope("100.127.255.255"), IP_SCOPE_SHARED);
	assert_int_equal(scope("224.0.0.1"), IP_SCOPE_MULTICAST);
	assert_int_equal(scope("ff02::1"), IP_SCOPE_MULTICAST);
	assert_int_equal(scope("0.0.0.0"), IP_SCOPE_UNSPECIFIED);
	assert_int_equal(scope("::"), IP_SCOPE_UNSPECIFIED);
	assert_int_equal(scope("192.0.2.1"), IP_SCOPE_DOCUMENTATION);
	assert_int_equal(scope("198.51.100.7"), IP_SCOPE_DOCUMENTATION);
	assert_int_equal(scope("203.0.113.9"), IP_SCOPE_DOCUMENTATION);
	assert_int_equal(scope("2001:db8::1"), IP_SCOPE_DOCUMENTATION);
	assert_int_equal(scope("255.255.255.255"), IP_SCOPE_RESERVED);
	assert_int_equal(scope("240.0.0.1"), IP_SCOPE_RESERVED);
	assert_int_equal(scope("198.18.0.1"), IP_SCOPE_RESERVED);
	assert_int_equal(scope("64:ff9b::7f00:1"), IP_SCOPE_RESERVED);
	assert_int_equal(scope("2002:7f00:1::"), IP_SCOPE_RESERVED);
	assert_int_equal(scope("::7f00:1"), IP_SCOPE_RESERVED);
	/* just outside the special ranges (never dialled: a pure classifier) */
	assert_int_equal(scope("172.32.0.1"), IP_SCOPE_PUBLIC);
	assert_int_equal(scope("100.128.0.1"), IP_SCOPE_PUBLIC);
	assert_int_equal(scope("11.0.0.1"), IP_SCOPE_PUBLIC);
	assert_int_equal(scope("2a00::1"), IP_SCOPE_PUBLIC);
	/* not literals */
	assert_int_equal(scope("localhost"), IP_SCOPE_NOT_IP);
	assert_int_equal(scope("127.1"), IP_SCOPE_NOT_IP);
	assert_int_equal(scope("010.0.0.1"), IP_SCOPE_NOT_IP);
	assert_int_equal(scope("127.0.0.1:80"), IP_SCOPE_NOT_IP);
	assert_int_equal(scope("fe80::1%eth0"), IP_SCOPE_NOT_IP);
	assert_int_equal(scope(""), IP_SCOPE_NOT_IP);
	assert_int_equal(ip_literal_scope("127.0.0.1\0x", 11), IP_SCOPE_NOT_IP);
}

static int
parse(const char *body, const struct oneproxy_policy *p, struct oneproxy_page *page,
    char *err, size_t errlen)
{
	return oneproxy_feed_parse(body, strlen(body), p, page, err, errlen);
}

static void
test_good_page(void **state)
{
	struct oneproxy_page *page = malloc(sizeof(*page));
	char err[200], name[80];
	const char *body =
	    "{\"total\":3,\"count\":3,\"offset\":0,\"limit\":100,\"proxies\":["
	    "{\"id\":1,\"ip\":\"127.0.0.2\",\"port\":8080,\"protocol\":\"HTTP\","
	    "\"country_code\":\"us\",\"quality_score\":87,\"latency_ms\":120,"
	    "\"anonymity\":\"elite\",\"can_access_google\":true,"
	    "\"last_validated\":\"2026-05-20T12:00:00.250Z\",\"extra\":[1,2]},"
	    "{\"ip\":\"::1\",\"port\":1080,\"protocol\":\"socks5\",\"country_code\":null,"
	    "\"quality_score\":50,\"latency_ms\":null,\"can_access_google\":0},"
	    "{\"ip\":\"127.0.0.3\",\"port\":443,\"protocol\":\"https\",\"quality_score\":49}"
	    "]}";

	(void)state;
	if (parse(body, &allow_loopback, page, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(page->received, 3);
	assert_int_equal(page->nrows, 2);
	assert_int_equal(page->below_threshold, 1);
	assert_int_equal(page->failed, 0);
	assert_string_equal(page->rows[0].host, "127.0.0.2");
	assert_int_equal(page->rows[0].port, 8080);
	assert_int_equal(page->rows[0].type, PROXY_TYPE_HTTP);
	assert_string_equal(page->rows[0].country_code, "US");
	assert_int_equal(page->rows[0].quality_score, 87);
	assert_int_equal(page->rows[0].latency_ms, 120);
	assert_string_equal(page->rows[0].anonymity, "elite");
	assert_int_equal(page->rows[0].google_access, 1);
	assert_string_equal(page->rows[0].last_validated, "2026-05-20T12:00:00.000Z");
	assert_int_equal(page->rows[0].last_validated_epoch, 1779278400);
	oneproxy_row_name(&page->rows[0], name, sizeof(name));
	assert_string_equal(name, "HTTP - US - 127.0.0.2");
	assert_string_equal(page->rows[1].host, "::1");
	assert_int_equal(page->rows[1].type, PROXY_TYPE_SOCKS5);
	assert_string_equal(page->rows[1].country_code, "");
	assert_int_equal(page->rows[1].latency_ms, -1);
	assert_int_equal(page->rows[1].google_access, 0);
	assert_string_equal(page->rows[1].last_validated, "");
	oneproxy_row_name(&page->rows[1], name, sizeof(name));
	assert_string_equal(name, "SOCKS5 - Unknown - ::1");
	free(page);
}

/* One row (its members after "{"), expected to fail naming field and reason. */
static void
assert_row_fails(const struct oneproxy_policy *p, const char *members, const char *failure)
{
	struct oneproxy_page *page = malloc(sizeof(*page));
	char body[1024], err[200];

	snprintf(body, sizeof(body), "{\"proxies\":[{%s}]}", members);
	if (parse(body, p, page, err, sizeof(err)) != 0)
		fail_msg("page refused: %s (%s)", err, body);
	if (page->failed != 1 || page->nrows != 0)
		fail_msg("row not failed: %s", body);
	if (strstr(page->first_failure, failure) == NULL)
		fail_msg("'%s' does not say '%s'", page->first_failure, failure);
	free(page);
}

#define OK_ROW "\"port\":80,\"protocol\":\"http\",\"quality_score\":90"

static void
test_row_rules(void **state)
{
	(void)state;
	assert_row_fails(&public_only, "\"ip\":\"127.0.0.1\"," OK_ROW,
	    "row 1: ip is a loopback address");
	assert_row_fails(&public_only, "\"ip\":\"10.1.2.3\"," OK_ROW, "ip is a private address");
	assert_row_fails(&public_only, "\"ip\":\"169.254.169.254\"," OK_ROW, "link-local");
	assert_row_fails(&public_only, "\"ip\":\"::ffff:10.0.0.1\"," OK_ROW, "private");
	assert_row_fails(&allow_loopback, "\"ip\":\"proxy.localhost\"," OK_ROW,
	    "ip is not an IP address");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1 \"," OK_ROW, "not an IP");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\\u0000\"," OK_ROW, "not an IP");
	assert_row_fails(&allow_loopback, "\"ip\":2130706433," OK_ROW, "ip must be a string");
	assert_row_fails(&allow_loopback, OK_ROW, "ip is required");
	assert_row_fails(&allow_loopback, "\"ip\":null," OK_ROW, "ip is required");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":0,\"protocol\":\"http\"", "port must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":65536,\"protocol\":\"http\"", "port must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":\"80\",\"protocol\":\"http\"", "port must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":80.5,\"protocol\":\"http\"", "port must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":99999999999999999999,\"protocol\":\"http\"",
	    "port must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"socks4\"", "protocol must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"\"", "protocol must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\",\"port\":80", "protocol is required");
	assert_row_fails(&no_socks5, "\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"SOCKS5\"",
	    "protocol is socks5, and SOCKS5 proxy is disabled");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"country_code\":\"USA\"",
	    "country_code must be two letters");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"country_code\":\"1A\"",
	    "country_code must be two letters");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"http\",\"quality_score\":101",
	    "quality_score must be");
	assert_row_fails(&allow_loopback,
	    "\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"http\",\"quality_score\":-1",
	    "quality_score must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"latency_ms\":-5",
	    "latency_ms must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"anonymity\":\"a\\nb\"",
	    "anonymity must be printable");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW
	    ",\"anonymity\":\"0123456789012345678901234567890123\"", "anonymity must be a string");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"can_access_google\":\"yes\"",
	    "can_access_google must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"last_validated\":\"yesterday\"",
	    "last_validated must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW
	    ",\"last_validated\":\"2026-05-20T12:00:00+2:00\"", "last_validated must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW
	    ",\"last_validated\":\"2026-05-20 12:00:00Z\"", "last_validated must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW
	    ",\"last_validated\":\"2026-05-20T12:00:00.Z\"", "last_validated must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW
	    ",\"last_validated\":\"2026-05-20T12:00:00Zjunk\"", "last_validated must be");
	assert_row_fails(&allow_loopback, "\"ip\":\"127.0.0.1\"," OK_ROW ",\"last_validated\":5",
	    "last_validated must be");
}

/* Times with an offset are stored in UTC; no zone is read as UTC. */
static void
test_validation_times(void **state)
{
	static const struct {
		const char	*given;
		const char	*stored;
	} cases[] = {
		{ "2026-05-20T12:00:00Z", "2026-05-20T12:00:00.000Z" },
		{ "2026-05-20T12:00:00", "2026-05-20T12:00:00.000Z" },
		{ "2026-05-20T12:00:00.123456", "2026-05-20T12:00:00.000Z" },
		{ "2026-05-20T14:30:00+02:30", "2026-05-20T12:00:00.000Z" },
		{ "2026-05-20T07:00:00-05:00", "2026-05-20T12:00:00.000Z" },
	};
	struct oneproxy_page *page = malloc(sizeof(*page));
	char body[300], err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"proxies\":[{\"ip\":\"127.0.0.1\",\"port\":80,"
		    "\"protocol\":\"http\",\"quality_score\":90,\"last_validated\":\"%s\"}]}",
		    cases[i].given);
		assert_int_equal(parse(body, &allow_loopback, page, err, sizeof(err)), 0);
		if (page->nrows != 1)
			fail_msg("'%s' refused: %s", cases[i].given, page->first_failure);
		assert_string_equal(page->rows[0].last_validated, cases[i].stored);
		assert_int_equal(page->rows[0].last_validated_epoch, 1779278400);
	}
	free(page);
}

static void
test_threshold(void **state)
{
	struct oneproxy_page *page = malloc(sizeof(*page));
	struct oneproxy_policy zero = { 0, true, false, 100 };
	char err[200];
	const char *body = "{\"proxies\":[{\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"http\"},"
	    "{\"ip\":\"127.0.0.1\",\"port\":81,\"protocol\":\"http\",\"quality_score\":50},"
	    "{\"ip\":\"127.0.0.1\",\"port\":82,\"protocol\":\"http\",\"quality_score\":0}]}";

	(void)state;
	/* a score-less row is below any threshold but 0; 50 meets 50 */
	assert_int_equal(parse(body, &allow_loopback, page, err, sizeof(err)), 0);
	assert_int_equal(page->nrows, 1);
	assert_int_equal(page->rows[0].port, 81);
	assert_int_equal(page->below_threshold, 2);
	assert_int_equal(parse(body, &zero, page, err, sizeof(err)), 0);
	assert_int_equal(page->nrows, 3);
	assert_int_equal(page->below_threshold, 0);
	free(page);
}

static void
assert_page_fails(const char *body, size_t len, size_t page_size, const char *why)
{
	struct oneproxy_page *page = malloc(sizeof(*page));
	struct oneproxy_policy p = { 50, true, false, page_size };
	char err[200];

	if (oneproxy_feed_parse(body, len, &p, page, err, sizeof(err)) != -1)
		fail_msg("page accepted: %.*s", (int)(len > 80 ? 80 : len), body);
	if (strstr(err, why) == NULL)
		fail_msg("'%s' does not say '%s'", err, why);
	free(page);
}

static void
test_bad_pages(void **state)
{
	static const char two[] = "{\"proxies\":[{},{}]}";
	char *big;

	(void)state;
	assert_page_fails("", 0, 100, "not valid JSON");
	assert_page_fails("<html>", 6, 100, "not valid JSON");
	assert_page_fails("{\"proxies\":[]} x", 16, 100, "not valid JSON");
	assert_page_fails("{\"proxies\":[],}", 15, 100, "not valid JSON");
	/* members the reader ignores may nest, up to a depth */
	{
		char deep[200];
		struct oneproxy_page *ok = malloc(sizeof(*ok));
		struct oneproxy_policy p = { 50, true, false, 100 };
		char err[200];
		snprintf(deep, sizeof(deep), "{\"proxies\":[{\"ip\":\"127.0.0.1\",\"port\":80,"
		    "\"protocol\":\"http\",\"quality_score\":90,\"geo\":{\"a\":[1,{\"b\":2}]}}]}");
		assert_int_equal(oneproxy_feed_parse(deep, strlen(deep), &p, ok, err, sizeof(err)), 0);
		assert_int_equal(ok->nrows, 1);
		free(ok);
	}
	{
		static const char too_deep[] =
		    "{\"proxies\":[{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}]}";
		assert_page_fails(too_deep, strlen(too_deep), 100, "nesting");
	}
	assert_page_fails("{\"proxies\":\"\xff\"}", 15, 100, "not valid JSON");
	assert_page_fails("[]", 2, 100, "not a JSON object");
	assert_page_fails("{\"total\":0}", 11, 100, "no \"proxies\" array");
	assert_page_fails("{\"proxies\":null}", 16, 100, "no \"proxies\" array");
	assert_page_fails("{\"proxies\":{}}", 14, 100, "no \"proxies\" array");
	assert_page_fails(two, strlen(two), 1, "holds 2 rows; 1 were asked for");
	big = malloc(ONEPROXY_PAGE_MAX_BYTES + 1);
	memset(big, ' ', ONEPROXY_PAGE_MAX_BYTES + 1);
	memcpy(big, "{\"proxies\":[]}", 14);
	assert_page_fails(big, ONEPROXY_PAGE_MAX_BYTES + 1, 100, "larger than");
	free(big);
}

static void
test_broken_rows_do_not_fail_the_page(void **state)
{
	struct oneproxy_page *page = malloc(sizeof(*page));
	char err[200];
	const char *body = "{\"proxies\":[1,\"x\",null,[],"
	    "{\"ip\":\"127.0.0.1\",\"port\":80,\"protocol\":\"http\",\"quality_score\":77}]}";

	(void)state;
	assert_int_equal(parse(body, &allow_loopback, page, err, sizeof(err)), 0);
	assert_int_equal(page->received, 5);
	assert_int_equal(page->failed, 4);
	assert_int_equal(page->nrows, 1);
	assert_string_equal(page->first_failure, "row 1: row must be an object");
	free(page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_good_page),
		cmocka_unit_test(test_row_rules),
		cmocka_unit_test(test_validation_times),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_bad_pages),
		cmocka_unit_test(test_broken_rows_do_not_fail_the_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
