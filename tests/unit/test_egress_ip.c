/*
 * tests/unit/test_egress_ip.c — reading the caller's address out of an echo
 * service's answer (common/egress_ip.c): ipify's JSON, plain text with
 * blanks around it, IPv6 with and without brackets, and every body that
 * names no address (a name, a port, a zone, HTML, an empty or escaped or
 * doubled "ip", broken JSON, a NUL, bytes past the given length).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "egress_ip.h"

static void
assert_ip(const char *body, const char *want)
{
	char ip[EGRESS_IP_MAX];

	if (!egress_ip_from_body(body, strlen(body), ip))
		fail_msg("'%s' refused", body);
	assert_string_equal(ip, want);
}

static void
assert_none(const char *body, size_t len)
{
	char ip[EGRESS_IP_MAX] = "x";

	if (egress_ip_from_body(body, len, ip))
		fail_msg("'%.*s' read as '%s'", (int)len, body, ip);
	assert_string_equal(ip, "");
}

#define NONE(s)	assert_none((s), sizeof(s) - 1)

static void
test_json(void **state)
{
	(void)state;
	assert_ip("{\"ip\":\"203.0.113.7\"}", "203.0.113.7");
	assert_ip(" \r\n{ \"ip\" : \"127.0.0.5\" , \"path\": \"/x\", \"n\": [1, {\"ip\": 2}] }\n",
	    "127.0.0.5");
	assert_ip("{\"country\":\"NL\",\"ip\":\"2001:db8::7\"}", "2001:db8::7");
	assert_ip("{\"ip\":\"[::1]\"}", "::1");
	assert_ip("{\"ip\":\"0:0:0:0:0:ffff:255.255.255.255\"}", "0:0:0:0:0:ffff:255.255.255.255");
}

static void
test_json_without_an_address(void **state)
{
	(void)state;
	NONE("{}");
	NONE("{\"origin\":\"1.2.3.4\"}");
	NONE("{\"ip\":\"\"}");
	NONE("{\"ip\":null}");
	NONE("{\"ip\":16909060}");
	NONE("{\"ip\":[\"1.2.3.4\"]}");
	NONE("{\"ip\":\"proxy.example\"}");
	NONE("{\"ip\":\"1.2.3.4:8080\"}");
	NONE("{\"ip\":\"fe80::1%eth0\"}");
	NONE("{\"ip\":\"01.2.3.4\"}");
	NONE("{\"ip\":\" 1.2.3.4\"}");
	NONE("{\"ip\":\"\\u0031.2.3.4\"}");		/* escaped: not taken */
	NONE("{\"ip\":\"1.2.3.4\",\"ip\":\"5.6.7.8\"}");	/* which one? */
	NONE("{\"ip\":\"1.2.3.4\",\"IP\":\"5.6.7.8\"}");
	NONE("{\"ip\":\"1.2.3.4\"");			/* cut short */
	NONE("{\"ip\":\"1.2.3.4\"} trailing");
	NONE("{\"ip\":\"1.2.3.4\",}");
	NONE("{\"data\":{\"ip\":\"1.2.3.4\"}}");	/* nested: not the answer */
	NONE("{\"ip\":\"1.2.3.4\\u0000\"}");
	NONE("{\"ip\":\"1.2.3.4\"}\0");
}

static void
test_plain_text(void **state)
{
	(void)state;
	assert_ip("198.51.100.20", "198.51.100.20");
	assert_ip("127.0.0.5\n", "127.0.0.5");
	assert_ip("\t 127.0.0.6 \r\n\r\n", "127.0.0.6");
	assert_ip("2001:db8:0:0:1:0:0:1\n", "2001:db8:0:0:1:0:0:1");
	assert_ip("[2001:db8::1]", "2001:db8::1");
	assert_ip("::", "::");
}

static void
test_plain_text_without_an_address(void **state)
{
	(void)state;
	NONE("");
	NONE(" \r\n\t");
	NONE("hello");
	NONE("<html><body>1.2.3.4</body></html>");
	NONE("1.2.3.4 5.6.7.8");
	NONE("1.2.3.4\nsecond line");
	NONE("ip=1.2.3.4");
	NONE("1.2.3");
	NONE("256.1.1.1");
	NONE("1.2.3.4.");
	NONE("localhost");
	NONE("[1.2.3.4]");
	NONE("::1%lo");
	NONE("1.2.3.4\0");
	NONE("\x00" "1.2.3.4");
	NONE("1.2.3.4\x7f");
	NONE("\xef\xbb\xbf" "1.2.3.4");		/* a BOM is not a blank */
	NONE("[1234:5678:9abc:def0:1234:5678:9abc:def0:1234]");
}

/* Only body[0..len) counts: a longer buffer with an address after len. */
static void
test_reads_only_len(void **state)
{
	const char body[] = "1.2.3.4" "9";
	char ip[EGRESS_IP_MAX];

	(void)state;
	assert_true(egress_ip_from_body(body, 7, ip));
	assert_string_equal(ip, "1.2.3.4");
	assert_true(egress_ip_from_body(body, 8, ip));
	assert_string_equal(ip, "1.2.3.49");
	assert_false(egress_ip_from_body(body, 4, ip));
	assert_false(egress_ip_from_body(NULL, 0, ip));
	assert_false(egress_ip_from_body("{\"ip\":\"1.2.3.4\"}", 15, ip));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_without_an_address),
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_plain_text_without_an_address),
		cmocka_unit_test(test_reads_only_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
