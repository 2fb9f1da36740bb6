/*
 * tests/unit/test_proxy_fields.c — tests of the rules a proxy record must
 * meet to be dialled (common/proxy_fields.c), fed byte strings: the host
 * grammar (IPv4 strict dotted-quad, IPv6 with and without brackets, DNS
 * names and their limits, and each likely mistake), CR/LF/NUL at every
 * position of each field, 255 against 256 bytes, multi-byte UTF-8 across
 * the boundary, ':' in an HTTP user name, a password without a user name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proxy_fields.h"

static enum host_kind
classify(const char *host)
{
	return host_classify(host, strlen(host), NULL, NULL, NULL);
}

static void
assert_host_refused(const char *host, const char *why)
{
	const char *reason = NULL;

	if (host_classify(host, strlen(host), &reason, NULL, NULL) != HOST_INVALID)
		fail_msg("host '%s' accepted", host);
	assert_non_null(reason);
	if (why != NULL)
		assert_string_equal(reason, why);
}

static void
test_ipv4(void **state)
{
	(void)state;
	assert_int_equal(classify("127.0.0.1"), HOST_IPV4);
	assert_int_equal(classify("0.0.0.0"), HOST_IPV4);
	assert_int_equal(classify("255.255.255.255"), HOST_IPV4);
	assert_int_equal(classify("10.20.30.40"), HOST_IPV4);
	/* a numeric last label makes it an address, and a bad one */
	assert_host_refused("999.999.999.999", "is not a valid IPv4 address (four "
	    "decimal numbers 0..255, no leading zeros)");
	assert_host_refused("256.1.1.1", NULL);
	assert_host_refused("1.2.3", NULL);		/* inet_aton short form */
	assert_host_refused("127.1", NULL);
	assert_host_refused("2130706433", NULL);	/* a number */
	assert_host_refused("010.1.1.1", NULL);		/* octal to inet_aton */
	assert_host_refused("1.2.3.04", NULL);
	assert_host_refused("1.2.3.4.5", NULL);
	assert_host_refused("1.2.3.4.", NULL);
	assert_host_refused("1..3.4", NULL);
	assert_host_refused("1.2.3.1000", NULL);
	/* names may have numeric labels, just not the last one */
	assert_int_equal(classify("1.2.3.example"), HOST_NAME);
	assert_int_equal(classify("123.example.com"), HOST_NAME);
	assert_int_equal(classify("example.0x1"), HOST_NAME);
}

static void
test_ipv6(void **state)
{
	size_t off = 99, len = 99;

	(void)state;
	assert_int_equal(classify("::1"), HOST_IPV6);
	assert_int_equal(classify("::"), HOST_IPV6);
	assert_int_equal(classify("2001:db8::8a2e:370:7334"), HOST_IPV6);
	assert_int_equal(classify("::ffff:127.0.0.1"), HOST_IPV6);
	assert_int_equal(host_classify("[::1]", 5, NULL, &off, &len), HOST_IPV6);
	assert_int_equal(off, 1);
	assert_int_equal(len, 3);
	assert_int_equal(host_classify("::1", 3, NULL, &off, &len), HOST_IPV6);
	assert_int_equal(off, 0);
	assert_int_equal(len, 3);
	assert_host_refused("::::::", "is not a valid IPv6 address");
	assert_host_refused(":::", NULL);
	assert_host_refused("1:2:3:4:5:6:7:8:9", NULL);
	assert_host_refused("fe80::1%eth0", "must not have an IPv6 zone ('%')");
	assert_host_refused("[::1", "has an unterminated IPv6 bracket");
	assert_host_refused("[]", NULL);
	assert_host_refused("[p.example]", "is not a valid IPv6 address");
	assert_host_refused("[::1]:80", NULL);
	assert_host_refused("::g", NULL);
}

static void
test_names(void **state)
{
	char name[300];

	(void)state;
	assert_int_equal(classify("localhost"), HOST_NAME);
	assert_int_equal(classify("proxy.example.com"), HOST_NAME);
	assert_int_equal(classify("proxy.example.com."), HOST_NAME);
	assert_int_equal(classify("my_proxy-1.example"), HOST_NAME);
	assert_int_equal(classify("_srv.example"), HOST_NAME);
	assert_host_refused("-a.example", "has a label starting or ending with '-'");
	assert_host_refused("a-.example", "has a label starting or ending with '-'");
	assert_host_refused("a..example", "has an empty label ('..' or a leading dot)");
	assert_host_refused(".example", "has an empty label ('..' or a leading dot)");
	assert_host_refused("example..", "has an empty label ('..' or a leading dot)");
	assert_host_refused(".", "is empty");
	assert_host_refused("", "is empty");
	assert_host_refused("bad host", "must not contain spaces");
	assert_host_refused("http://p.example", "must not have a scheme (give the type "
	    "separately)");
	assert_host_refused("p.example/path", "must not have a path");
	assert_host_refused("p.example:8080", "must not have a port (give the port "
	    "separately)");
	assert_host_refused("user@p.example", "must not hold credentials (give "
	    "username and password)");
	assert_host_refused("p\xc3\xa9.example", "may hold only letters, digits, '-', "
	    "'_' and '.'");
	assert_host_refused("p*.example", NULL);

	/* labels: 63 bytes fit, 64 do not */
	memset(name, 'a', 63);
	name[63] = '\0';
	assert_int_equal(classify(name), HOST_NAME);
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_host_refused(name, "has a label longer than 63 bytes");
	/* names: 253 bytes fit (254 with the root dot), 254 do not */
	memset(name, 'a', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	assert_int_equal(classify(name), HOST_NAME);
	name[253] = '.';
	name[254] = '\0';
	assert_int_equal(classify(name), HOST_NAME);
	name[253] = 'a';
	assert_host_refused(name, "is longer than 253 bytes (a DNS name's limit)");
	memset(name, 'a', 256);
	name[256] = '\0';
	assert_host_refused(name, "is longer than 255 bytes");
}

static void
test_control_bytes_in_hosts_at_every_position(void **state)
{
	static const char bytes[] = { '\r', '\n', '\0', '\t', ' ', '\x7f' };
	char host[16];
	size_t b, pos, len = strlen("p.example");

	(void)state;
	for (b = 0; b < sizeof(bytes); b++)
		for (pos = 0; pos < len; pos++) {
			memcpy(host, "p.example", len);
			host[pos] = bytes[b];
			if (host_classify(host, len, NULL, NULL, NULL) != HOST_INVALID)
				fail_msg("byte 0x%02x at %zu accepted", bytes[b], pos);
		}
	/* a NUL inside an IPv6 literal is not cut off by inet_pton */
	assert_int_equal(host_classify("::1\0x", 5, NULL, NULL, NULL), HOST_INVALID);
	assert_int_equal(host_classify("127.0.0.1\0", 10, NULL, NULL, NULL), HOST_INVALID);
}

/* A valid record to break one field at a time. */
static struct proxy_fields
record(const char *type)
{
	struct proxy_fields f = {
		.name = "US", .name_len = 2, .type = type,
		.host = "p.example", .host_len = 9, .port = 8080,
		.username = "alice", .username_len = 5,
		.password = "s3cret", .password_len = 6,
		.check_name = true,
	};
	return f;
}

static size_t
check(const struct proxy_fields *f, struct proxy_field_problem *p)
{
	return proxy_fields_check(f, p, PROXY_FIELD_PROBLEMS_MAX);
}

static void
assert_one_problem(const struct proxy_fields *f, const char *field)
{
	struct proxy_field_problem p[PROXY_FIELD_PROBLEMS_MAX];
	size_t n = check(f, p);

	if (n != 1)
		fail_msg("%zu problems, want 1 (%s)", n, field);
	assert_string_equal(p[0].field, field);
}

static void
test_valid_records(void **state)
{
	struct proxy_field_problem p[PROXY_FIELD_PROBLEMS_MAX];
	struct proxy_fields f;

	(void)state;
	f = record("http");
	assert_int_equal(check(&f, p), 0);
	f = record("https");
	assert_int_equal(check(&f, p), 0);
	f = record(NULL);		/* http by default */
	assert_int_equal(check(&f, p), 0);
	f = record("socks5");
	f.username = "a:b";		/* SOCKS5 carries ':' fine */
	f.username_len = 3;
	assert_int_equal(check(&f, p), 0);
	f = record("http");
	f.username = f.password = NULL;	/* no credentials */
	f.username_len = f.password_len = 0;
	assert_int_equal(check(&f, p), 0);
	f.password = "";		/* empty is none */
	assert_int_equal(check(&f, p), 0);
	f = record("http");
	f.port = -1;			/* not known: not checked */
	assert_int_equal(check(&f, p), 0);
	f = record("http");
	f.check_name = false;		/* a name the master makes up */
	f.name = NULL;
	f.name_len = 0;
	assert_int_equal(check(&f, p), 0);
}

static void
test_cr_lf_nul_at_every_position_of_every_field(void **state)
{
	static const char bytes[] = { '\r', '\n', '\0', '\x01', '\x7f' };
	char buf[8];
	size_t b, pos, field;

	(void)state;
	for (field = 0; field < 4; field++)
		for (b = 0; b < sizeof(bytes); b++)
			for (pos = 0; pos < 6; pos++) {
				struct proxy_fields f = record("http");
				static const char *const names[] = {
					"name", "host", "username", "password" };
				memcpy(buf, "abcdef", 6);
				buf[pos] = bytes[b];
				switch (field) {
				case 0:
					f.name = buf;
					f.name_len = 6;
					break;
				case 1:
					f.host = buf;
					f.host_len = 6;
					break;
				case 2:
					f.username = buf;
					f.username_len = 6;
					break;
				default:
					f.password = buf;
					f.password_len = 6;
					break;
				}
				assert_one_problem(&f, names[field]);
			}
}

static void
test_byte_limits(void **state)
{
	struct proxy_field_problem p[PROXY_FIELD_PROBLEMS_MAX];
	char buf[300], user[300];
	struct proxy_fields f;
	const char *types[] = { "http", "socks5" };
	size_t t;

	(void)state;
	memset(user, 'u', sizeof(user));
	for (t = 0; t < 2; t++) {
		memset(buf, 'p', sizeof(buf));
		f = record(types[t]);
		f.username = user;
		f.username_len = 255;
		f.password = buf;
		f.password_len = 255;
		assert_int_equal(check(&f, p), 0);
		f.username_len = 256;
		assert_one_problem(&f, "username");
		f.username_len = 255;
		f.password_len = 256;
		assert_one_problem(&f, "password");
		/* 254 bytes + a 2-byte character = 256 bytes (128 would be 255 chars) */
		memcpy(buf + 254, "\xc3\xa9", 2);
		f.password_len = 256;
		assert_one_problem(&f, "password");
		/* 253 + 2 = 255 bytes: fits */
		memcpy(buf + 253, "\xc3\xa9", 2);
		f.password_len = 255;
		assert_int_equal(check(&f, p), 0);
		/* the character cut at the boundary is invalid UTF-8 */
		f.password_len = 254;
		assert_one_problem(&f, "password");
	}
	/* 128 'é' are 128 characters but 256 bytes */
	for (t = 0; t < 128; t++)
		memcpy(buf + 2 * t, "\xc3\xa9", 2);
	f = record("socks5");
	f.username = buf;
	f.username_len = 256;
	assert_one_problem(&f, "username");
	assert_int_equal(check(&f, p), 1);
	assert_non_null(strstr(p[0].message, "SOCKS5"));
	/* names: 120 bytes */
	memset(buf, 'n', sizeof(buf));
	f = record("http");
	f.name = buf;
	f.name_len = 120;
	assert_int_equal(check(&f, p), 0);
	f.name_len = 121;
	assert_one_problem(&f, "name");
	f.name_len = 0;
	assert_one_problem(&f, "name");
}

static void
test_rules_between_fields(void **state)
{
	struct proxy_field_problem p[PROXY_FIELD_PROBLEMS_MAX];
	struct proxy_fields f;

	(void)state;
	f = record("http");
	f.username = "a:b";
	f.username_len = 3;
	assert_one_problem(&f, "username");
	f.type = "https";
	assert_one_problem(&f, "username");
	f = record("http");
	f.password = "p:w";		/* a ':' in the password is fine */
	f.password_len = 3;
	assert_int_equal(check(&f, p), 0);
	/* a password alone would never be sent */
	f = record("http");
	f.username = "";
	f.username_len = 0;
	assert_one_problem(&f, "password");
	f.type = "socks5";
	assert_one_problem(&f, "password");
	f = record("ftp");
	assert_one_problem(&f, "type");
	f = record("http");
	f.port = 0;
	assert_one_problem(&f, "port");
	f.port = 65536;
	assert_one_problem(&f, "port");
	f.port = 65535;
	assert_int_equal(check(&f, p), 0);
	f = record("http");
	f.host = "::::::";
	f.host_len = 6;
	assert_one_problem(&f, "host");
	/* several problems are all reported */
	f.port = 0;
	f.username = "a:b";
	f.username_len = 3;
	assert_int_equal(check(&f, p), 3);
	/* more problems than room: counted, not written past max */
	assert_int_equal(proxy_fields_check(&f, p, 1), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_control_bytes_in_hosts_at_every_position),
		cmocka_unit_test(test_valid_records),
		cmocka_unit_test(test_cr_lf_nul_at_every_position_of_every_field),
		cmocka_unit_test(test_byte_limits),
		cmocka_unit_test(test_rules_between_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
