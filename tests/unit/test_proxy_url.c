/*
 * tests/unit/test_proxy_url.c — tests of the proxy-URL parser
 * (common/proxy_url.c) that reads legacy OmniRoute proxy settings: every
 * scheme and its default port, explicit ports, bracketed IPv6 literals,
 * percent-decoded credentials, and each malformed shape we refuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proxy_url.h"

static struct proxy_url u;
static const char *err;

static void
assert_parsed(const char *url, const char *type, const char *host, int port,
    const char *user, const char *pass)
{
	err = NULL;
	if (proxy_url_parse(url, &u, &err) != 0)
		fail_msg("%s refused: %s", url, err != NULL ? err : "(no message)");
	assert_string_equal(u.type, type);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.username, user);
	assert_string_equal(u.password, pass);
}

static void
assert_refused(const char *url, const char *message)
{
	err = NULL;
	if (proxy_url_parse(url, &u, &err) != -1)
		fail_msg("%s accepted", url);
	assert_non_null(err);
	assert_string_equal(err, message);
}

static void
test_schemes_and_default_ports(void **state)
{
	(void)state;
	assert_parsed("http://p.example", "http", "p.example", 8080, "", "");
	assert_parsed("https://p.example", "https", "p.example", 443, "", "");
	assert_parsed("socks5://p.example", "socks5", "p.example", 1080, "", "");
	/* socks5h is socks5 to us: the hostname always goes to the proxy. */
	assert_parsed("socks5h://p.example", "socks5", "p.example", 1080, "", "");
	/* Schemes are case-insensitive. */
	assert_parsed("HTTPS://p.example", "https", "p.example", 443, "", "");
	assert_parsed("Socks5H://p.example", "socks5", "p.example", 1080, "", "");
}

static void
test_default_port_table(void **state)
{
	(void)state;
	assert_int_equal(proxy_default_port("http"), 8080);
	assert_int_equal(proxy_default_port("https"), 443);
	assert_int_equal(proxy_default_port("socks5"), 1080);
}

static void
test_explicit_port(void **state)
{
	(void)state;
	assert_parsed("http://10.0.0.5:3128", "http", "10.0.0.5", 3128, "", "");
	assert_parsed("socks5://h:1", "socks5", "h", 1, "", "");
	assert_parsed("https://h:65535", "https", "h", 65535, "", "");
	assert_parsed("http://h:080", "http", "h", 80, "", "");
}

static void
test_ipv6_literal(void **state)
{
	(void)state;
	assert_parsed("http://[::1]:8080", "http", "::1", 8080, "", "");
	assert_parsed("socks5://[2001:db8::5]", "socks5", "2001:db8::5", 1080, "", "");
	assert_parsed("socks5://u:p@[fe80::1]:1081", "socks5", "fe80::1", 1081, "u", "p");
}

static void
test_ipv6_literal_malformed(void **state)
{
	(void)state;
	assert_refused("http://[::1:8080", "unterminated IPv6 literal");
	assert_refused("http://[]:8080", "missing or over-long host");
	assert_refused("http://[::1]8080", "unexpected characters after host");
	/* Without brackets the first ':' starts the port. */
	assert_refused("http://::1", "missing or over-long host");
	assert_refused("http://fe80::1", "invalid port");
}

static void
test_credentials(void **state)
{
	(void)state;
	assert_parsed("http://alice:secret@h:8080", "http", "h", 8080, "alice", "secret");
	assert_parsed("socks5://bob@h", "socks5", "h", 1080, "bob", "");
	assert_parsed("http://:onlypass@h", "http", "h", 8080, "", "onlypass");
	assert_parsed("http://user:@h", "http", "h", 8080, "user", "");
	/* Only the first ':' in the user-info separates name and password. */
	assert_parsed("http://u:a:b@h", "http", "h", 8080, "u", "a:b");
}

static void
test_credentials_percent_decoded(void **state)
{
	(void)state;
	assert_parsed("http://us%40er:p%3Ass%25w@h:1", "http", "h", 1, "us@er", "p:ss%w");
	assert_parsed("socks5://r%C3%A9mi:caf%c3%a9@h", "socks5", "h", 1080,
	    "r\xc3\xa9mi", "caf\xc3\xa9");
	assert_parsed("http://a%2Fb:%20x%20@h", "http", "h", 8080, "a/b", " x ");
}

static void
test_credentials_bad_escapes(void **state)
{
	const char *msg = "bad credentials in URL";

	(void)state;
	assert_refused("http://u:p%00@h", msg);
	assert_refused("http://u%00:p@h", msg);
	assert_refused("http://u:p%zz@h", msg);
	assert_refused("http://u:p%4@h", msg);
	assert_refused("http://u:p%@h", msg);
}

static void
test_credentials_length_limit(void **state)
{
	char url[600], longname[300];

	(void)state;
	memset(longname, 'a', 255);
	longname[255] = '\0';
	snprintf(url, sizeof(url), "http://%s:pw@h", longname);
	assert_parsed(url, "http", "h", 8080, longname, "pw");

	memset(longname, 'a', 256);
	longname[256] = '\0';
	snprintf(url, sizeof(url), "http://%s:pw@h", longname);
	assert_refused(url, "bad credentials in URL");
}

static void
test_trailing_slash_accepted(void **state)
{
	(void)state;
	assert_parsed("http://h:8080/", "http", "h", 8080, "", "");
	assert_parsed("socks5://u:p@h/", "socks5", "h", 1080, "u", "p");
}

static void
test_path_rejected(void **state)
{
	const char *msg = "a proxy URL has no path, query or fragment";

	assert_refused("http://h:8080/proxy", msg);
	assert_refused("http://h//", msg);
	assert_refused("http://u:p/w@h", msg);
	assert_refused("http://h:8080?x=1", msg);
	assert_refused("http://h#frag", msg);
	(void)state;
}

static void
test_bad_ports(void **state)
{
	const char *msg = "invalid port";

	(void)state;
	assert_refused("http://h:0", msg);
	assert_refused("http://h:70000", msg);
	assert_refused("http://h:65536", msg);
	assert_refused("http://h:8o", msg);
	assert_refused("http://h:", msg);
	assert_refused("http://h:-1", msg);
	assert_refused("http://h:+80", msg);
	assert_refused("http://h:99999999999999999999999", msg);
	assert_refused("http://[::1]:0", msg);
}

static void
test_missing_host(void **state)
{
	const char *msg = "missing or over-long host";

	(void)state;
	assert_refused("http://", msg);
	assert_refused("http://:8080", msg);
	assert_refused("http://user:pw@", msg);
	assert_refused("http://user:pw@:1080", msg);
	assert_refused("socks5:///", msg);
}

static void
test_host_characters(void **state)
{
	const char *msg = "invalid host (a DNS name, an IPv4 address or a "
	    "bracketed IPv6 one)";
	char url[400], host[300];

	(void)state;
	assert_parsed("http://my-proxy_1.example.com", "http", "my-proxy_1.example.com",
	    8080, "", "");
	assert_refused("http://bad host:80", msg);
	assert_refused("http://h%41:80", msg);
	assert_refused("http://h\x01:80", msg);
	/* the registry's host grammar: no mistyped IPv4, no non-IPv6 in brackets */
	assert_refused("http://999.999.999.999:80", msg);
	assert_refused("http://1.2.3:80", msg);
	assert_refused("http://[::::::]:80", msg);
	assert_refused("http://[p.example]:80", msg);
	assert_parsed("socks5://[::1]:1080", "socks5", "::1", 1080, "", "");

	memset(host, 'h', 256);
	host[256] = '\0';
	snprintf(url, sizeof(url), "http://%s:80", host);
	assert_refused(url, "missing or over-long host");
	/* a DNS name of 253 bytes (labels of at most 63) is the longest */
	memset(host, 'h', 253);
	host[63] = host[127] = host[191] = '.';
	host[253] = '\0';
	snprintf(url, sizeof(url), "http://%s:80", host);
	assert_parsed(url, "http", host, 80, "", "");
	host[253] = 'h';
	host[254] = '\0';
	snprintf(url, sizeof(url), "http://%s:80", host);
	assert_refused(url, msg);
}

static void
test_unknown_scheme(void **state)
{
	const char *msg = "unsupported scheme (http, https or socks5)";

	(void)state;
	assert_refused("ftp://h:21", msg);
	assert_refused("socks4://h:1080", msg);
	assert_refused("socks://h:1080", msg);
	assert_refused("httpx://h", msg);
	assert_refused("://h:80", msg);
}

static void
test_not_a_url(void **state)
{
	const char *msg = "not a URL (expected scheme://host:port)";

	(void)state;
	assert_refused("h:8080", msg);
	assert_refused("", msg);
	assert_refused("http:/h:80", msg);
	assert_refused("http//h", msg);
}

static void
test_output_cleared_before_parsing(void **state)
{
	(void)state;
	assert_parsed("http://u:p@h:1", "http", "h", 1, "u", "p");
	/* The output is cleared first: nothing of an earlier parse survives. */
	assert_refused("ftp://x", "unsupported scheme (http, https or socks5)");
	assert_string_equal(u.username, "");
	assert_string_equal(u.password, "");
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemes_and_default_ports),
		cmocka_unit_test(test_default_port_table),
		cmocka_unit_test(test_explicit_port),
		cmocka_unit_test(test_ipv6_literal),
		cmocka_unit_test(test_ipv6_literal_malformed),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_credentials_percent_decoded),
		cmocka_unit_test(test_credentials_bad_escapes),
		cmocka_unit_test(test_credentials_length_limit),
		cmocka_unit_test(test_trailing_slash_accepted),
		cmocka_unit_test(test_path_rejected),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_missing_host),
		cmocka_unit_test(test_host_characters),
		cmocka_unit_test(test_unknown_scheme),
		cmocka_unit_test(test_not_a_url),
		cmocka_unit_test(test_output_cleared_before_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
