/*
 * tests/unit/test_socks5.c — byte-string tests of the SOCKS5 client codec
 * (worker/socks5.c): the exact bytes of every message we build, every reply
 * we parse delivered whole, split at every byte and coalesced with the bytes
 * that follow it, and one test per client fault of egress-notes.md §1 that
 * this layer can get wrong (the test names carry the section number).
 * Parsers are fed exact-size heap copies, so a read past the end is an
 * AddressSanitizer report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socks5.h"

#define SENTINEL	0xA5

/* The method, auth and CONNECT reply parsers, behind one shape. */
enum which_parser {
	METHOD_PARSER,
	AUTH_PARSER,
	REPLY_PARSER,
};

static struct socks5_reply reply;
static uint8_t value;

/* Parse an exact-size heap copy of buf[0..len). */
static enum parse
parse_copy(enum which_parser which, const uint8_t *buf, size_t len,
    size_t *consumed)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum parse result;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, buf, len);
	switch (which) {
	case METHOD_PARSER:
		result = socks5_parse_method(copy, len, &value, consumed);
		break;
	case AUTH_PARSER:
		result = socks5_parse_auth_reply(copy, len, &value, consumed);
		break;
	default:
		result = socks5_parse_reply(copy, len, &reply, consumed);
		break;
	}
	free(copy);
	return result;
}

/*
 * Every proper prefix of a whole message asks for more (and reports nothing);
 * the whole message is PARSE_DONE consuming all of it.
 */
static void
assert_split_at_every_byte(enum which_parser which, const uint8_t *msg,
    size_t len)
{
	size_t k, consumed;

	for (k = 0; k < len; k++) {
		consumed = 99;
		assert_int_equal(parse_copy(which, msg, k, &consumed), PARSE_MORE);
		assert_int_equal(consumed, 0);
	}
	assert_int_equal(parse_copy(which, msg, len, &consumed), PARSE_DONE);
	assert_int_equal(consumed, len);
}

/* The reply followed by tunnel bytes: consumed is exactly the reply. */
static void
assert_coalesced_reply(const uint8_t *msg, size_t len)
{
	static const uint8_t tunnel[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	uint8_t buf[300 + sizeof(tunnel)];
	size_t consumed = 0;

	memcpy(buf, msg, len);
	memcpy(buf + len, tunnel, sizeof(tunnel));
	assert_int_equal(parse_copy(REPLY_PARSER, buf, len + sizeof(tunnel),
	    &consumed), PARSE_DONE);
	assert_int_equal(consumed, len);
	assert_memory_equal(buf + consumed, tunnel, sizeof(tunnel));
}

static void
assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *expected,
    size_t expected_len)
{
	assert_int_equal(got_len, expected_len);
	assert_memory_equal(got, expected, expected_len);
}

static void
assert_untouched(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(buf[i], SENTINEL);
}

/* ---- greeting and method reply ------------------------------------------- */

static void
test_greeting_bytes(void **state)
{
	static const uint8_t no_auth[] = { 0x05, 0x01, 0x00 };
	static const uint8_t with_userpass[] = { 0x05, 0x02, 0x00, 0x02 };
	uint8_t out[SOCKS5_GREETING_MAX_LEN];
	size_t n;

	(void)state;
	n = socks5_build_greeting(out, false);
	assert_bytes(out, n, no_auth, sizeof(no_auth));
	n = socks5_build_greeting(out, true);
	assert_bytes(out, n, with_userpass, sizeof(with_userpass));
}

static void
test_method_reply(void **state)
{
	static const uint8_t no_auth[] = { 0x05, 0x00 };
	static const uint8_t userpass[] = { 0x05, 0x02 };
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(METHOD_PARSER, no_auth, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, SOCKS5_METHOD_NO_AUTH);
	assert_int_equal(consumed, 2);
	assert_int_equal(parse_copy(METHOD_PARSER, userpass, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, SOCKS5_METHOD_USERPASS);
	assert_split_at_every_byte(METHOD_PARSER, userpass, sizeof(userpass));
}

static void
test_method_reply_bad_version(void **state)
{
	static const uint8_t socks4[] = { 0x04, 0x00 };
	static const uint8_t http[] = { 'H', 'T', 'T', 'P', '/', '1' };
	size_t consumed = 99;

	(void)state;
	/* VER is judged as soon as it arrives */
	assert_int_equal(parse_copy(METHOD_PARSER, socks4, 1, &consumed),
	    PARSE_INVALID);
	assert_int_equal(consumed, 0);
	assert_int_equal(value, 0);
	assert_int_equal(parse_copy(METHOD_PARSER, socks4, 2, &consumed),
	    PARSE_INVALID);
	/* nothing yet, as an empty evbuffer's pullup gives it */
	assert_int_equal(socks5_parse_method(NULL, 0, &value, &consumed),
	    PARSE_MORE);
	assert_int_equal(socks5_parse_auth_reply(NULL, 0, &value, &consumed),
	    PARSE_MORE);
	assert_int_equal(socks5_parse_reply(NULL, 0, &reply, &consumed),
	    PARSE_MORE);
	assert_int_equal(parse_copy(METHOD_PARSER, http, sizeof(http),
	    &consumed), PARSE_INVALID);
}

static void
test_method_names(void **state)
{
	(void)state;
	assert_string_equal(socks5_method_name(0x00), "no authentication required");
	assert_string_equal(socks5_method_name(0x01), "GSSAPI");
	assert_string_equal(socks5_method_name(0x02), "username/password");
	assert_string_equal(socks5_method_name(0x03), "IANA-assigned method");
	assert_string_equal(socks5_method_name(0x7f), "IANA-assigned method");
	assert_string_equal(socks5_method_name(0x80), "private method");
	assert_string_equal(socks5_method_name(0xfe), "private method");
	assert_string_equal(socks5_method_name(0xff), "no acceptable methods");
}

/* ---- username/password ---------------------------------------------------- */

static void
test_userpass_bytes(void **state)
{
	static const uint8_t expected[] = {
		0x01, 0x05, 'a', 'l', 'i', 'c', 'e',
		0x06, 's', '3', 'c', 'r', 'e', 't',
	};
	static const uint8_t utf8[] = {
		0x01, 0x03, 0xc3, 0xa9, 'u', 0x04, '@', ':', '%', '#',
	};
	uint8_t out[SOCKS5_USERPASS_MAX_LEN];
	size_t len;

	(void)state;
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "alice", "s3cret",
	    &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
	/* any bytes go through untouched (here UTF-8 "\u00e9u" and "@:%#") */
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "\xc3\xa9u",
	    "@:%#", &len), 0);
	assert_bytes(out, len, utf8, sizeof(utf8));
}

static void
test_userpass_empty_password(void **state)
{
	static const uint8_t expected[] = { 0x01, 0x05, 't', 'o', 'k', 'e', 'n', 0x00 };
	uint8_t out[SOCKS5_USERPASS_MAX_LEN];
	size_t len;

	(void)state;
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "token", "",
	    &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "token", NULL,
	    &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
}

static void
test_userpass_refused(void **state)
{
	uint8_t out[SOCKS5_USERPASS_MAX_LEN];
	size_t len = 99;

	(void)state;
	memset(out, SENTINEL, sizeof(out));
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "", "pw", &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(socks5_build_userpass(out, sizeof(out), NULL, "pw", &len),
	    -1);
	/* one byte short of the message: refused, nothing written */
	assert_int_equal(socks5_build_userpass(out, 13, "alice", "s3cret", &len),
	    -1);
	assert_untouched(out, sizeof(out));
	assert_int_equal(socks5_build_userpass(out, 14, "alice", "s3cret", &len), 0);
	assert_int_equal(len, 14);
}

static void
test_auth_reply(void **state)
{
	static const uint8_t ok[] = { 0x01, 0x00 };
	static const uint8_t ok_socks_version[] = { 0x05, 0x00 };
	static const uint8_t bad_version[] = { 0x02, 0x00 };
	static const uint8_t zero_version[] = { 0x00, 0x00 };
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(AUTH_PARSER, ok, 2, &consumed), PARSE_DONE);
	assert_int_equal(value, 0);
	assert_int_equal(consumed, 2);
	assert_split_at_every_byte(AUTH_PARSER, ok, sizeof(ok));
	/* some servers put the SOCKS version in the sub-negotiation reply */
	assert_int_equal(parse_copy(AUTH_PARSER, ok_socks_version, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, 0);
	assert_int_equal(parse_copy(AUTH_PARSER, bad_version, 1, &consumed),
	    PARSE_INVALID);
	assert_int_equal(parse_copy(AUTH_PARSER, zero_version, 2, &consumed),
	    PARSE_INVALID);
}

/* ---- CONNECT request ------------------------------------------------------- */

static void
test_connect_name_bytes(void **state)
{
	static const uint8_t expected[] = {
		0x05, 0x01, 0x00, 0x03, 14,
		'a', 'p', 'i', '.', 'o', 'p', 'e', 'n', 'a', 'i', '.', 'c', 'o', 'm',
		0x01, 0xbb,
	};
	uint8_t out[SOCKS5_CONNECT_MAX_LEN];
	size_t len;

	(void)state;
	assert_int_equal(socks5_build_connect(out, sizeof(out), "api.openai.com",
	    443, &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
}

static void
test_connect_ipv4_bytes(void **state)
{
	static const uint8_t expected[] = {
		0x05, 0x01, 0x00, 0x01, 192, 0, 2, 1, 0x01, 0xbb,
	};
	uint8_t out[SOCKS5_CONNECT_MAX_LEN];
	size_t len;

	(void)state;
	assert_int_equal(socks5_build_connect(out, sizeof(out), "192.0.2.1", 443,
	    &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
}

static void
test_connect_ipv6_bytes(void **state)
{
	static const uint8_t expected[] = {
		0x05, 0x01, 0x00, 0x04,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x1f, 0x90,
	};
	static const uint8_t mapped[] = {
		0x05, 0x01, 0x00, 0x04,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1,
		0xff, 0xff,
	};
	uint8_t out[SOCKS5_CONNECT_MAX_LEN];
	size_t len;

	(void)state;
	assert_int_equal(socks5_build_connect(out, sizeof(out), "2001:db8::1",
	    8080, &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
	/* with brackets: the same bytes */
	assert_int_equal(socks5_build_connect(out, sizeof(out), "[2001:db8::1]",
	    8080, &len), 0);
	assert_bytes(out, len, expected, sizeof(expected));
	assert_int_equal(socks5_build_connect(out, sizeof(out), "::ffff:192.0.2.1",
	    65535, &len), 0);
	assert_bytes(out, len, mapped, sizeof(mapped));
}

static void
test_connect_refused_hosts(void **state)
{
	static const char *const refused[] = {
		"", "[example.com]", "[::1", "::1]", "[]", "[192.0.2.1]",
		"example.com:443", "fe80::1%eth0", "a b", "a\r\nb", "tab\there",
		"http://example.com", "user@example.com", "example.com/v1",
		"a?b", "a#b", "back\\slash", "del\x7f",
	};
	uint8_t out[SOCKS5_CONNECT_MAX_LEN];
	size_t i, len = 99;

	(void)state;
	memset(out, SENTINEL, sizeof(out));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (socks5_build_connect(out, sizeof(out), refused[i], 443, &len) != -1)
			fail_msg("host \"%s\" was accepted", refused[i]);
		assert_int_equal(len, 0);
	}
	assert_int_equal(socks5_build_connect(out, sizeof(out), NULL, 443, &len), -1);
	/* port 0 */
	assert_int_equal(socks5_build_connect(out, sizeof(out), "example.com", 0,
	    &len), -1);
	/* one byte short of the message: refused, nothing written */
	assert_int_equal(socks5_build_connect(out, 9, "192.0.2.1", 443, &len), -1);
	assert_int_equal(socks5_build_connect(out, 17, "example.com", 443, &len),
	    -1);
	assert_untouched(out, sizeof(out));
	assert_int_equal(socks5_build_connect(out, 18, "example.com", 443, &len), 0);
	assert_int_equal(len, 18);
}

/* ---- CONNECT reply --------------------------------------------------------- */

static void
test_reply_ipv4(void **state)
{
	static const uint8_t msg[] = {
		0x05, 0x00, 0x00, 0x01, 10, 0, 0, 5, 0x04, 0x38,
	};
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg), &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 10);
	assert_int_equal(reply.rep, 0);
	assert_int_equal(reply.atyp, SOCKS5_ATYP_IPV4);
	assert_string_equal(reply.bound_addr, "10.0.0.5");
	assert_int_equal(reply.bound_port, 1080);
	assert_split_at_every_byte(REPLY_PARSER, msg, sizeof(msg));
	assert_coalesced_reply(msg, sizeof(msg));
}

static void
test_reply_ipv6(void **state)
{
	static const uint8_t msg[] = {
		0x05, 0x00, 0x00, 0x04,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0xc3, 0x50,
	};
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg), &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 22);
	assert_int_equal(reply.atyp, SOCKS5_ATYP_IPV6);
	assert_string_equal(reply.bound_addr, "2001:db8::1");
	assert_int_equal(reply.bound_port, 50000);
	assert_split_at_every_byte(REPLY_PARSER, msg, sizeof(msg));
	assert_coalesced_reply(msg, sizeof(msg));
}

static void
test_reply_domain(void **state)
{
	static const uint8_t msg[] = {
		0x05, 0x00, 0x00, 0x03, 11,
		'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
		0x00, 0x50,
	};
	static const uint8_t unprintable[] = {
		0x05, 0x00, 0x00, 0x03, 4, 'a', '\n', 0xc3, 0xa9, 0x00, 0x50,
	};
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg), &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 4 + 1 + 11 + 2);
	assert_int_equal(reply.atyp, SOCKS5_ATYP_DOMAIN);
	assert_string_equal(reply.bound_addr, "example.com");
	assert_int_equal(reply.bound_port, 80);
	assert_split_at_every_byte(REPLY_PARSER, msg, sizeof(msg));
	assert_coalesced_reply(msg, sizeof(msg));
	/* a name is log-safe text */
	assert_int_equal(parse_copy(REPLY_PARSER, unprintable,
	    sizeof(unprintable), &consumed), PARSE_DONE);
	assert_string_equal(reply.bound_addr, "a???");
}

static void
test_reply_domain_empty_and_255(void **state)
{
	static const uint8_t empty[] = { 0x05, 0x00, 0x00, 0x03, 0, 0x01, 0xbb };
	uint8_t msg[4 + 1 + 255 + 2];
	char expected[64];
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(REPLY_PARSER, empty, sizeof(empty), &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 7);
	assert_string_equal(reply.bound_addr, "");
	assert_int_equal(reply.bound_port, 443);
	assert_split_at_every_byte(REPLY_PARSER, empty, sizeof(empty));
	assert_coalesced_reply(empty, sizeof(empty));

	memcpy(msg, "\x05\x00\x00\x03\xff", 5);
	memset(msg + 5, 'n', 255);
	msg[260] = 0x01;
	msg[261] = 0xbb;
	assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg), &consumed),
	    PARSE_DONE);
	assert_int_equal(consumed, 262);
	assert_int_equal(reply.bound_port, 443);
	/* cut for the log field, marked as cut */
	memset(expected, 'n', 60);
	memcpy(expected + 60, "...", 4);
	assert_string_equal(reply.bound_addr, expected);
	assert_split_at_every_byte(REPLY_PARSER, msg, sizeof(msg));
	assert_coalesced_reply(msg, sizeof(msg));
}

static void
test_reply_invalid_atyp(void **state)
{
	static const uint8_t atyps[] = { 0x00, 0x02, 0x05, 0x7f, 0xff };
	uint8_t msg[10] = { 0x05, 0x00, 0x00, 0x00, 10, 0, 0, 1, 0, 80 };
	size_t i, consumed = 99;

	(void)state;
	for (i = 0; i < sizeof(atyps); i++) {
		msg[3] = atyps[i];
		/* refused as soon as ATYP is there */
		assert_int_equal(parse_copy(REPLY_PARSER, msg, 4, &consumed),
		    PARSE_INVALID);
		assert_int_equal(consumed, 0);
		assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg),
		    &consumed), PARSE_INVALID);
	}
}

static void
test_reply_bad_version(void **state)
{
	static const uint8_t versions[] = { 0x00, 0x01, 0x04, 0x06, 'H', 0xff };
	uint8_t msg[10] = { 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 1, 0, 80 };
	size_t i, consumed = 99;

	(void)state;
	for (i = 0; i < sizeof(versions); i++) {
		msg[0] = versions[i];
		assert_int_equal(parse_copy(REPLY_PARSER, msg, 1, &consumed),
		    PARSE_INVALID);
		assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg),
		    &consumed), PARSE_INVALID);
		assert_int_equal(consumed, 0);
	}
}

static void
test_reply_reserved_byte(void **state)
{
	/* a success whose RSV is not 0: framing we cannot trust */
	static const uint8_t msg[] = {
		0x05, 0x00, 0x01, 0x01, 10, 0, 0, 1, 0, 80,
	};
	size_t consumed;

	(void)state;
	assert_int_equal(parse_copy(REPLY_PARSER, msg, 3, &consumed),
	    PARSE_INVALID);
	assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg), &consumed),
	    PARSE_INVALID);
}

static void
test_rep_names(void **state)
{
	static const char *const names[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};
	unsigned rep;

	(void)state;
	for (rep = 0; rep < 9; rep++)
		assert_string_equal(socks5_rep_name((uint8_t)rep), names[rep]);
	for (rep = 9; rep < 256; rep++)
		assert_string_equal(socks5_rep_name((uint8_t)rep),
		    "unknown reply code");
}

/* ---- egress-notes.md §1, one test per client fault ------------------------ */

/*
 * §1.1 Short reads and coalesced replies: each reply arrives together with
 * the next step's bytes; each parser takes exactly its reply and the rest
 * parses as the next one.
 */
static void
test_s1_1_coalesced_steps(void **state)
{
	static const uint8_t wire[] = {
		0x05, 0x02,			/* method: username/password */
		0x01, 0x00,			/* auth: success */
		0x05, 0x00, 0x00, 0x01, 10, 0, 0, 1, 0x01, 0xbb,	/* CONNECT ok */
		0x16, 0x03, 0x03,		/* tunnel: a TLS record */
	};
	size_t at = 0, consumed;

	(void)state;
	assert_int_equal(parse_copy(METHOD_PARSER, wire, sizeof(wire), &consumed),
	    PARSE_DONE);
	assert_int_equal(value, SOCKS5_METHOD_USERPASS);
	assert_int_equal(consumed, 2);
	at += consumed;
	assert_int_equal(parse_copy(AUTH_PARSER, wire + at, sizeof(wire) - at,
	    &consumed), PARSE_DONE);
	assert_int_equal(value, 0);
	assert_int_equal(consumed, 2);
	at += consumed;
	assert_int_equal(parse_copy(REPLY_PARSER, wire + at, sizeof(wire) - at,
	    &consumed), PARSE_DONE);
	assert_int_equal(consumed, 10);
	at += consumed;
	assert_int_equal(sizeof(wire) - at, 3);
	assert_int_equal(wire[at], 0x16);
}

/*
 * §1.2 A failure REP is reported from 2 bytes (servers close after it), and
 * the usual failure shape (ATYP 1, zero fields) or garbage after it does not
 * change the answer.
 */
static void
test_s1_2_failure_rep_from_two_bytes(void **state)
{
	uint8_t msg[10] = { 0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
	uint8_t garbage[6] = { 0x05, 0x00, 0x07, 0x09, 0xff, 0xff };
	size_t consumed;
	unsigned rep;

	(void)state;
	for (rep = 1; rep < 256; rep++) {
		msg[1] = (uint8_t)rep;
		garbage[1] = (uint8_t)rep;
		assert_int_equal(parse_copy(REPLY_PARSER, msg, 1, &consumed),
		    PARSE_MORE);
		assert_int_equal(parse_copy(REPLY_PARSER, msg, 2, &consumed),
		    PARSE_DONE);
		assert_int_equal(reply.rep, rep);
		assert_int_equal(consumed, 2);
		assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg),
		    &consumed), PARSE_DONE);
		assert_int_equal(reply.rep, rep);
		assert_int_equal(consumed, 2);
		assert_int_equal(parse_copy(REPLY_PARSER, garbage, sizeof(garbage),
		    &consumed), PARSE_DONE);
		assert_int_equal(reply.rep, rep);
	}
	msg[1] = 4;
	assert_int_equal(parse_copy(REPLY_PARSER, msg, sizeof(msg), &consumed),
	    PARSE_DONE);
	assert_string_equal(socks5_rep_name(reply.rep), "host unreachable");
	assert_int_equal(reply.atyp, 0);
	assert_string_equal(reply.bound_addr, "");
}

/*
 * §1.3 No pipelining: each builder makes exactly one message (the greeting
 * is exactly 2 + NMETHODS bytes, the auth request 3 + ULEN + PLEN, the
 * request 4 + addrlen + 2), so the caller writes one message per write and
 * waits; and a reply parser never takes the bytes of the next step.
 */
static void
test_s1_3_one_message_per_step(void **state)
{
	static const uint8_t method_then_more[] = { 0x05, 0x00, 0x05, 0x00 };
	uint8_t out[SOCKS5_CONNECT_MAX_LEN + 1];
	size_t n, consumed;

	(void)state;
	memset(out, SENTINEL, sizeof(out));
	n = socks5_build_greeting(out, true);
	assert_int_equal(n, 2u + out[1]);
	assert_int_equal(out[n], SENTINEL);
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "u", "pw", &n), 0);
	assert_int_equal(n, 3u + out[1] + out[2 + out[1]]);
	assert_int_equal(socks5_build_connect(out, sizeof(out), "example.com", 443,
	    &n), 0);
	assert_int_equal(n, 4u + 1 + out[4] + 2);
	assert_int_equal(parse_copy(METHOD_PARSER, method_then_more,
	    sizeof(method_then_more), &consumed), PARSE_DONE);
	assert_int_equal(consumed, 2);
}

/*
 * §1.4 curl CVE-2023-38545: a 255-byte name is sent whole; a 256-byte name is
 * refused, never truncated into the buffer and never turned into a local
 * resolution. Nothing depends on earlier calls, so a slow handshake that
 * builds the request again gets the same answer.
 */
static void
test_s1_4_hostname_255_and_256(void **state)
{
	char name[257];
	uint8_t out[SOCKS5_CONNECT_MAX_LEN + 16];
	size_t len = 99;
	int round;

	(void)state;
	memset(name, 'a', 256);
	name[256] = '\0';
	memset(out, SENTINEL, sizeof(out));
	for (round = 0; round < 2; round++) {
		assert_int_equal(socks5_build_connect(out, sizeof(out), name, 443,
		    &len), -1);
		assert_int_equal(len, 0);
		assert_untouched(out, sizeof(out));
	}
	name[255] = '\0';
	assert_int_equal(socks5_build_connect(out, sizeof(out), name, 443, &len), 0);
	assert_int_equal(len, SOCKS5_CONNECT_MAX_LEN);
	assert_int_equal(out[3], SOCKS5_ATYP_DOMAIN);
	assert_int_equal(out[4], 255);
	assert_memory_equal(out + 5, name, 255);
	assert_int_equal(out[260], 0x01);
	assert_int_equal(out[261], 0xbb);
	assert_int_equal(out[262], SENTINEL);
	/* the exact size fits, one less does not */
	assert_int_equal(socks5_build_connect(out, SOCKS5_CONNECT_MAX_LEN, name,
	    443, &len), 0);
	assert_int_equal(socks5_build_connect(out, SOCKS5_CONNECT_MAX_LEN - 1,
	    name, 443, &len), -1);
}

/*
 * §1.5 Auth negotiation: we offer only 00 and 02; 0xFF is reported; a server
 * may pick 00 although we offered 02; a non-zero auth status is reported;
 * ULEN and PLEN of 255 pass and 256 is refused (tinyproxy's "& 0xFF" would
 * send 0 and the wrong bytes).
 */
static void
test_s1_5_auth_negotiation(void **state)
{
	static const uint8_t no_acceptable[] = { 0x05, 0xff };
	static const uint8_t picked_no_auth[] = { 0x05, 0x00 };
	static const uint8_t auth_failed[] = { 0x01, 0x01 };
	static const uint8_t auth_failed_other[] = { 0x01, 0xff };
	uint8_t greeting[SOCKS5_GREETING_MAX_LEN];
	uint8_t out[SOCKS5_USERPASS_MAX_LEN + 8];
	char field[257];
	size_t n, i, consumed, len = 99;

	(void)state;
	n = socks5_build_greeting(greeting, true);
	for (i = 2; i < n; i++)
		assert_true(greeting[i] == SOCKS5_METHOD_NO_AUTH ||
		    greeting[i] == SOCKS5_METHOD_USERPASS);

	assert_int_equal(parse_copy(METHOD_PARSER, no_acceptable, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, SOCKS5_METHOD_NO_ACCEPTABLE);
	assert_string_equal(socks5_method_name(value), "no acceptable methods");
	assert_int_equal(parse_copy(METHOD_PARSER, picked_no_auth, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, SOCKS5_METHOD_NO_AUTH);
	assert_int_equal(parse_copy(AUTH_PARSER, auth_failed, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, 1);
	assert_int_equal(parse_copy(AUTH_PARSER, auth_failed_other, 2, &consumed),
	    PARSE_DONE);
	assert_int_equal(value, 0xff);

	memset(field, 'x', 256);
	field[256] = '\0';
	memset(out, SENTINEL, sizeof(out));
	assert_int_equal(socks5_build_userpass(out, sizeof(out), field, "pw",
	    &len), -1);
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "user", field,
	    &len), -1);
	assert_int_equal(len, 0);
	assert_untouched(out, sizeof(out));
	field[255] = '\0';
	assert_int_equal(socks5_build_userpass(out, sizeof(out), field, field,
	    &len), 0);
	assert_int_equal(len, SOCKS5_USERPASS_MAX_LEN);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 255);
	assert_memory_equal(out + 2, field, 255);
	assert_int_equal(out[257], 255);
	assert_memory_equal(out + 258, field, 255);
	assert_int_equal(out[513], SENTINEL);
}

/*
 * §1.6 No DNS leak: everything that is not an IP literal goes to the proxy as
 * a name (ATYP 3), byte for byte, including names that only look numeric.
 */
static void
test_s1_6_names_are_sent_not_resolved(void **state)
{
	static const char *const names[] = {
		"localhost", "api.openai.com", "API.Anthropic.COM.", "127.1",
		"1.2.3", "1.2.3.4.5", "256.1.1.1", "0x7f.0.0.1", "b\303\274cher.example",
		"under_score.internal",
	};
	static const char *const ipv4[] = { "127.0.0.1", "0.0.0.0", "255.255.255.255" };
	static const char *const ipv6[] = { "::1", "[::1]", "::", "fe80::1",
		"2001:db8:0:0:0:0:0:1" };
	uint8_t out[SOCKS5_CONNECT_MAX_LEN];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(socks5_build_connect(out, sizeof(out), names[i], 443,
		    &len), 0);
		assert_int_equal(out[3], SOCKS5_ATYP_DOMAIN);
		assert_int_equal(out[4], strlen(names[i]));
		assert_memory_equal(out + 5, names[i], strlen(names[i]));
		assert_int_equal(len, 7 + strlen(names[i]));
	}
	for (i = 0; i < sizeof(ipv4) / sizeof(ipv4[0]); i++) {
		assert_int_equal(socks5_build_connect(out, sizeof(out), ipv4[i], 443,
		    &len), 0);
		assert_int_equal(out[3], SOCKS5_ATYP_IPV4);
		assert_int_equal(len, 10);
	}
	for (i = 0; i < sizeof(ipv6) / sizeof(ipv6[0]); i++) {
		assert_int_equal(socks5_build_connect(out, sizeof(out), ipv6[i], 443,
		    &len), 0);
		assert_int_equal(out[3], SOCKS5_ATYP_IPV6);
		assert_int_equal(len, 22);
	}
}

/*
 * §1.8 Credentials: the only copy the builder makes is the message itself
 * (the caller wipes it), and a refused request writes nothing, so no partial
 * password is left in a buffer the caller does not expect to hold one.
 */
static void
test_s1_8_credentials_only_in_the_message(void **state)
{
	uint8_t out[16];
	size_t len;

	(void)state;
	memset(out, SENTINEL, sizeof(out));
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "user",
	    "a-password-too-long-for-16", &len), -1);
	assert_untouched(out, sizeof(out));
	assert_int_equal(socks5_build_userpass(out, sizeof(out), "user", "pw",
	    &len), 0);
	assert_int_equal(len, 9);
	assert_int_equal(out[9], SENTINEL);
}

/*
 * §1.9 Bounded work: a reply never needs more than 262 bytes, so whatever a
 * slow or hostile proxy sends, 262 buffered bytes always give an answer
 * (the handshake deadline itself belongs to the state machine).
 */
static void
test_s1_9_reply_size_is_bounded(void **state)
{
	uint8_t msg[SOCKS5_CONNECT_MAX_LEN];
	size_t consumed;
	unsigned atyp, b;

	(void)state;
	memset(msg, 0xff, sizeof(msg));
	msg[0] = 0x05;
	for (b = 0; b < 256; b++) {
		msg[1] = (uint8_t)b;
		for (atyp = 0; atyp < 256; atyp++) {
			msg[2] = 0;
			msg[3] = (uint8_t)atyp;
			assert_int_not_equal(socks5_parse_reply(msg, sizeof(msg),
			    &reply, &consumed), PARSE_MORE);
			assert_true(consumed <= sizeof(msg));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_bytes),
		cmocka_unit_test(test_method_reply),
		cmocka_unit_test(test_method_reply_bad_version),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_userpass_bytes),
		cmocka_unit_test(test_userpass_empty_password),
		cmocka_unit_test(test_userpass_refused),
		cmocka_unit_test(test_auth_reply),
		cmocka_unit_test(test_connect_name_bytes),
		cmocka_unit_test(test_connect_ipv4_bytes),
		cmocka_unit_test(test_connect_ipv6_bytes),
		cmocka_unit_test(test_connect_refused_hosts),
		cmocka_unit_test(test_reply_ipv4),
		cmocka_unit_test(test_reply_ipv6),
		cmocka_unit_test(test_reply_domain),
		cmocka_unit_test(test_reply_domain_empty_and_255),
		cmocka_unit_test(test_reply_invalid_atyp),
		cmocka_unit_test(test_reply_bad_version),
		cmocka_unit_test(test_reply_reserved_byte),
		cmocka_unit_test(test_rep_names),
		cmocka_unit_test(test_s1_1_coalesced_steps),
		cmocka_unit_test(test_s1_2_failure_rep_from_two_bytes),
		cmocka_unit_test(test_s1_3_one_message_per_step),
		cmocka_unit_test(test_s1_4_hostname_255_and_256),
		cmocka_unit_test(test_s1_5_auth_negotiation),
		cmocka_unit_test(test_s1_6_names_are_sent_not_resolved),
		cmocka_unit_test(test_s1_8_credentials_only_in_the_message),
		cmocka_unit_test(test_s1_9_reply_size_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
