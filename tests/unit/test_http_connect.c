/*
 * tests/unit/test_http_connect.c — byte-string tests of the HTTP CONNECT
 * client codec (worker/http_connect.c): the exact request bytes (IPv6
 * brackets, Basic credentials checked against known base64 encodings and a
 * decoder), and the proxy's response head delivered whole, split at every
 * byte, followed by tunnel bytes, oversize or malformed; plus one test per
 * client fault of egress-notes.md §1 that this layer can get wrong (the test
 * names carry the section number). The parser is fed exact-size heap
 * copies, so a read past the end is an AddressSanitizer report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_connect.h"

#define MAX_HEAD	8192

static struct http_connect_reply reply;

/* Parse an exact-size heap copy of buf[0..len). */
static enum parse
parse_bytes(const char *buf, size_t len, size_t max_head)
{
	char *copy = malloc(len > 0 ? len : 1);
	enum parse result;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, buf, len);
	result = http_connect_parse_reply(copy, len, max_head, &reply);
	free(copy);
	return result;
}

static enum parse
parse_string(const char *s)
{
	return parse_bytes(s, strlen(s), MAX_HEAD);
}

/* The head of s is all of s: DONE with this status and reason. */
static void
assert_head(const char *s, int status, const char *reason)
{
	assert_int_equal(parse_string(s), PARSE_DONE);
	assert_int_equal(reply.status, status);
	assert_string_equal(reply.reason, reason);
	assert_int_equal(reply.head_len, strlen(s));
	assert_null(reply.error);
	assert_int_equal(reply.error_status, 0);
}

static void
assert_invalid(const char *buf, size_t len, const char *error)
{
	assert_int_equal(parse_bytes(buf, len, MAX_HEAD), PARSE_INVALID);
	assert_int_equal(reply.error_status, 502);
	assert_non_null(reply.error);
	assert_string_equal(reply.error, error);
	assert_int_equal(reply.status, 0);
	assert_int_equal(reply.head_len, 0);
}

static void
assert_invalid_string(const char *s, const char *error)
{
	assert_invalid(s, strlen(s), error);
}

/* Every proper prefix of the head asks for more; the head is DONE. */
static void
assert_split_at_every_byte(const char *head)
{
	size_t k, len = strlen(head);

	for (k = 0; k < len; k++) {
		if (parse_bytes(head, k, MAX_HEAD) != PARSE_MORE)
			fail_msg("prefix of %zu bytes of \"%s\" is not MORE", k, head);
		assert_int_equal(reply.status, 0);
		assert_int_equal(reply.head_len, 0);
		assert_null(reply.error);
	}
	assert_int_equal(parse_bytes(head, len, MAX_HEAD), PARSE_DONE);
	assert_int_equal(reply.head_len, len);
}

/* head followed by tunnel bytes: head_len is exactly the head. */
static void
assert_tunnel_bytes_untouched(const char *head, int status)
{
	static const char tunnel[] = "\x16\x03\x01\x02\x00\x01\x00HTTP/1.1 200 OK\r\n\r\n";
	char buf[2048];
	size_t head_len = strlen(head);

	assert_true(head_len + sizeof(tunnel) <= sizeof(buf));
	memcpy(buf, head, head_len);
	memcpy(buf + head_len, tunnel, sizeof(tunnel) - 1);
	assert_int_equal(parse_bytes(buf, head_len + sizeof(tunnel) - 1, MAX_HEAD),
	    PARSE_DONE);
	assert_int_equal(reply.status, status);
	assert_int_equal(reply.head_len, head_len);
	assert_memory_equal(buf + reply.head_len, tunnel, sizeof(tunnel) - 1);
}

/* ---- base64 reference decoder (only to check the encoder) ---------------- */

static int
base64_value(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

/* Decode s[0..len) (padded) into out; returns the decoded length or -1. */
static long
base64_decode(const char *s, size_t len, unsigned char *out)
{
	size_t i, n = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int a = base64_value(s[i]), b = base64_value(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : base64_value(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : base64_value(s[i + 3]);

		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		out[n++] = (unsigned char)((a << 2) | (b >> 4));
		if (s[i + 2] != '=')
			out[n++] = (unsigned char)((b << 4) | (c >> 2));
		if (s[i + 3] != '=')
			out[n++] = (unsigned char)((c << 6) | d);
	}
	return (long)n;
}

/* The base64 text of the Proxy-Authorization header of request, or NULL. */
static const char *
basic_credentials(const char *request, size_t *len)
{
	static const char header[] = "\r\nProxy-Authorization: Basic ";
	const char *p = strstr(request, header), *end;

	if (p == NULL)
		return NULL;
	p += sizeof(header) - 1;
	end = strstr(p, "\r\n");
	assert_non_null(end);
	*len = (size_t)(end - p);
	return p;
}

static void
assert_request(const char *host, uint16_t port, const char *user,
    const char *pass, const char *expected)
{
	char out[4096];
	size_t len = 0;

	if (http_connect_build_request(out, sizeof(out), host, port, user, pass,
	    &len) != 0)
		fail_msg("request for host \"%s\" was refused", host);
	assert_int_equal(len, strlen(expected));
	assert_string_equal(out, expected);
}

/* The request carries exactly base64(user ":" pass) == expected_base64. */
static void
assert_credentials(const char *user, const char *pass, const char *expected_base64)
{
	char out[4096];
	size_t len, b64_len = 0;
	const char *b64;

	assert_int_equal(http_connect_build_request(out, sizeof(out), "h.example",
	    443, user, pass, &len), 0);
	b64 = basic_credentials(out, &b64_len);
	assert_non_null(b64);
	assert_int_equal(b64_len, strlen(expected_base64));
	assert_memory_equal(b64, expected_base64, b64_len);
}

/* ---- the request ----------------------------------------------------------- */

static void
test_request_without_auth(void **state)
{
	(void)state;
	assert_request("api.openai.com", 443, NULL, NULL,
	    "CONNECT api.openai.com:443 HTTP/1.1\r\n"
	    "Host: api.openai.com:443\r\n"
	    "\r\n");
	assert_request("192.0.2.1", 8443, NULL, NULL,
	    "CONNECT 192.0.2.1:8443 HTTP/1.1\r\n"
	    "Host: 192.0.2.1:8443\r\n"
	    "\r\n");
	/* an empty user means no authentication, whatever the password */
	assert_request("a.example", 1, "", "secret",
	    "CONNECT a.example:1 HTTP/1.1\r\n"
	    "Host: a.example:1\r\n"
	    "\r\n");
	assert_request("a.example", 65535, NULL, "secret",
	    "CONNECT a.example:65535 HTTP/1.1\r\n"
	    "Host: a.example:65535\r\n"
	    "\r\n");
}

static void
test_request_with_auth(void **state)
{
	(void)state;
	assert_request("api.anthropic.com", 443, "alice", "s3cret",
	    "CONNECT api.anthropic.com:443 HTTP/1.1\r\n"
	    "Host: api.anthropic.com:443\r\n"
	    "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"
	    "\r\n");
	/* a user with an empty password is still authentication */
	assert_request("a.example", 80, "token", NULL,
	    "CONNECT a.example:80 HTTP/1.1\r\n"
	    "Host: a.example:80\r\n"
	    "Proxy-Authorization: Basic dG9rZW46\r\n"
	    "\r\n");
}

static void
test_request_ipv6_brackets(void **state)
{
	static const char expected[] =
	    "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n"
	    "Host: [2001:db8::1]:443\r\n"
	    "\r\n";

	(void)state;
	assert_request("2001:db8::1", 443, NULL, NULL, expected);
	assert_request("[2001:db8::1]", 443, NULL, NULL, expected);
	assert_request("::1", 8080, NULL, NULL,
	    "CONNECT [::1]:8080 HTTP/1.1\r\n"
	    "Host: [::1]:8080\r\n"
	    "\r\n");
	assert_request("::ffff:192.0.2.1", 443, NULL, NULL,
	    "CONNECT [::ffff:192.0.2.1]:443 HTTP/1.1\r\n"
	    "Host: [::ffff:192.0.2.1]:443\r\n"
	    "\r\n");
}

static void
test_request_refused_hosts(void **state)
{
	static const char *const refused[] = {
		"", "[example.com]", "[::1", "::1]", "[]", "[192.0.2.1]",
		"example.com:443", "fe80::1%eth0", "a b", "a\r\nX-Injected: 1",
		"a\nb", "tab\there", "http://example.com", "user@example.com",
		"example.com/v1", "a?b", "a#b", "back\\slash", "del\x7f",
	};
	char out[1024], name[257];
	size_t i, len = 99;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (http_connect_build_request(out, sizeof(out), refused[i], 443,
		    NULL, NULL, &len) != -1)
			fail_msg("host \"%s\" was accepted", refused[i]);
		assert_int_equal(len, 0);
	}
	assert_int_equal(http_connect_build_request(out, sizeof(out), NULL, 443,
	    NULL, NULL, &len), -1);
	assert_int_equal(http_connect_build_request(out, sizeof(out), "a.example",
	    0, NULL, NULL, &len), -1);
	/* 255 bytes of name pass, 256 do not */
	memset(name, 'a', 256);
	name[256] = '\0';
	assert_int_equal(http_connect_build_request(out, sizeof(out), name, 443,
	    NULL, NULL, &len), -1);
	name[255] = '\0';
	assert_int_equal(http_connect_build_request(out, sizeof(out), name, 443,
	    NULL, NULL, &len), 0);
	assert_int_equal(len, 2 * (255 + 4) + strlen("CONNECT  HTTP/1.1\r\n") +
	    strlen("Host: \r\n") + 2);
}

static void
test_request_refused_credentials(void **state)
{
	static const char *const bad_users[] = {
		"al:ice", ":", "a\r", "a\nb", "\r\n",
	};
	static const char *const bad_passwords[] = {
		"a\rb", "line\n", "\r\nX-Injected: 1",
	};
	char out[512];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); i++)
		assert_int_equal(http_connect_build_request(out, sizeof(out),
		    "a.example", 443, bad_users[i], "pw", &len), -1);
	for (i = 0; i < sizeof(bad_passwords) / sizeof(bad_passwords[0]); i++)
		assert_int_equal(http_connect_build_request(out, sizeof(out),
		    "a.example", 443, "user", bad_passwords[i], &len), -1);
	/* a colon in the password is fine (the first colon splits) */
	assert_int_equal(http_connect_build_request(out, sizeof(out), "a.example",
	    443, "user", "p:w", &len), 0);
}

static void
test_request_exact_fit(void **state)
{
	static const char expected[] =
	    "CONNECT a.example:443 HTTP/1.1\r\n"
	    "Host: a.example:443\r\n"
	    "Proxy-Authorization: Basic dTpw\r\n"
	    "\r\n";
	char out[sizeof(expected) + 8];
	size_t i, len;

	(void)state;
	/* the request and its NUL fit exactly */
	assert_int_equal(http_connect_build_request(out, sizeof(expected),
	    "a.example", 443, "u", "p", &len), 0);
	assert_int_equal(len, sizeof(expected) - 1);
	assert_string_equal(out, expected);
	/* one byte less: refused, and the partial request is wiped */
	memset(out, 'Z', sizeof(out));
	assert_int_equal(http_connect_build_request(out, sizeof(expected) - 1,
	    "a.example", 443, "u", "p", &len), -1);
	assert_int_equal(len, 0);
	for (i = 0; i < sizeof(expected) - 1; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[sizeof(expected) - 1], 'Z');
	assert_int_equal(http_connect_build_request(out, 0, "a.example", 443, NULL,
	    NULL, &len), -1);
}

static void
test_base64_known_encodings(void **state)
{
	(void)state;
	/* RFC 7617 §2 and §2.1 */
	assert_credentials("Aladdin", "open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	assert_credentials("test", "123\xc2\xa3", "dGVzdDoxMjPCow==");
	/* every length mod 3 */
	assert_credentials("a", "", "YTo=");
	assert_credentials("ab", "", "YWI6");
	assert_credentials("abc", "", "YWJjOg==");
	/* URL-special characters are not escaped, they are just bytes */
	assert_credentials("a@b%c#d/e", "p:@%#/w", "YUBiJWMjZC9lOnA6QCUjL3c=");
	/* non-ASCII UTF-8: "j\u00fcrgen" and a Cyrillic password */
	assert_credentials("j\xc3\xbcrgen",
	    "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",
	    "asO8cmdlbjrQv9Cw0YDQvtC70Yw=");
	/* bytes that are neither ASCII nor UTF-8, and controls but CR/LF */
	assert_credentials("user", "\x01\x7f\xff", "dXNlcjoBf/8=");
}

static void
test_base64_round_trip(void **state)
{
	char user[64], pass[64], out[1024], joined[160];
	unsigned char decoded[160];
	size_t user_len, pass_len, len, b64_len = 0, i;
	const char *b64;
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		user_len = 1 + (size_t)(rand_r(&seed) % 40);
		pass_len = (size_t)(rand_r(&seed) % 40);
		for (i = 0; i < user_len; i++) {
			do
				user[i] = (char)(rand_r(&seed) & 0xff);
			while (user[i] == '\0' || user[i] == '\r' ||
			    user[i] == '\n' || user[i] == ':');
		}
		for (i = 0; i < pass_len; i++) {
			do
				pass[i] = (char)(rand_r(&seed) & 0xff);
			while (pass[i] == '\0' || pass[i] == '\r' || pass[i] == '\n');
		}
		user[user_len] = '\0';
		pass[pass_len] = '\0';
		assert_int_equal(http_connect_build_request(out, sizeof(out),
		    "h.example", 443, user, pass, &len), 0);
		b64 = basic_credentials(out, &b64_len);
		assert_non_null(b64);
		assert_int_equal(b64_len, (user_len + 1 + pass_len + 2) / 3 * 4);
		snprintf(joined, sizeof(joined), "%s:%s", user, pass);
		assert_int_equal(base64_decode(b64, b64_len, decoded),
		    (long)(user_len + 1 + pass_len));
		assert_memory_equal(decoded, joined, user_len + 1 + pass_len);
	}
}

/* ---- the response ---------------------------------------------------------- */

static void
test_reply_200_connection_established(void **state)
{
	static const char head[] = "HTTP/1.1 200 Connection established\r\n\r\n";

	(void)state;
	assert_head(head, 200, "Connection established");
	assert_split_at_every_byte(head);
	assert_tunnel_bytes_untouched(head, 200);
	assert_head("HTTP/1.0 200 Connection established\r\n\r\n", 200,
	    "Connection established");
}

static void
test_reply_200_other_reasons(void **state)
{
	static const char with_headers[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Date: Thu, 26 Nov 2026 11:02:21 GMT\r\n"
	    "Proxy-Agent: tinyproxy/1.11.1\r\n"
	    "Via: 1.1 squid\r\n"
	    "\r\n";

	(void)state;
	assert_head("HTTP/1.1 200 OK\r\n\r\n", 200, "OK");
	assert_head("HTTP/1.0 200 Tunnel ready, go ahead\r\n\r\n", 200,
	    "Tunnel ready, go ahead");
	assert_head("HTTP/1.1 200 \r\n\r\n", 200, "");
	assert_head("HTTP/1.1 200\r\n\r\n", 200, "");
	assert_head("HTTP/1.1 200 \tOK\t\r\n\r\n", 200, "?OK?");
	assert_head(with_headers, 200, "OK");
	assert_split_at_every_byte(with_headers);
	assert_tunnel_bytes_untouched(with_headers, 200);
}

static void
test_reply_204_and_other_2xx(void **state)
{
	(void)state;
	assert_head("HTTP/1.1 204 No Content\r\n\r\n", 204, "No Content");
	assert_tunnel_bytes_untouched("HTTP/1.1 204 No Content\r\n\r\n", 204);
	assert_head("HTTP/1.1 201 Created\r\n\r\n", 201, "Created");
	assert_head("HTTP/1.1 299 Whatever\r\n\r\n", 299, "Whatever");
}

static void
test_reply_407_with_body(void **state)
{
	static const char head[] =
	    "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
	    "Content-Type: text/html\r\n"
	    "Content-Length: 23\r\n"
	    "\r\n";
	char buf[512];

	(void)state;
	snprintf(buf, sizeof(buf), "%s<html>denied</html>\r\n\r\n", head);
	assert_int_equal(parse_string(buf), PARSE_DONE);
	assert_int_equal(reply.status, 407);
	assert_string_equal(reply.reason, "Proxy Authentication Required");
	assert_int_equal(reply.head_len, strlen(head));
	assert_split_at_every_byte(head);
}

static void
test_reply_502_and_other_failures(void **state)
{
	(void)state;
	assert_head("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", 502,
	    "Bad Gateway");
	assert_head("HTTP/1.0 403 Forbidden\r\n\r\n", 403, "Forbidden");
	assert_head("HTTP/1.1 503 Service Unavailable\r\n\r\n", 503,
	    "Service Unavailable");
	assert_head("HTTP/1.1 301 Moved\r\nLocation: http://x/\r\n\r\n", 301,
	    "Moved");
	assert_head("HTTP/1.1 599 Odd\r\n\r\n", 599, "Odd");
}

static void
test_reply_interim_1xx_skipped(void **state)
{
	static const char head[] =
	    "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
	    "HTTP/1.1 200 OK\r\n\r\n";

	(void)state;
	assert_head(head, 200, "OK");
	assert_split_at_every_byte(head);
	assert_tunnel_bytes_untouched(head, 200);
	/* a 1xx alone is not the answer */
	assert_int_equal(parse_string("HTTP/1.1 100 Continue\r\n\r\n"), PARSE_MORE);
	assert_int_equal(reply.status, 0);
}

static void
test_reply_bare_lf_tolerated(void **state)
{
	static const char head[] = "HTTP/1.0 200 Connection established\nVia: x\n\n";

	(void)state;
	assert_head(head, 200, "Connection established");
	assert_split_at_every_byte(head);
	assert_tunnel_bytes_untouched(head, 200);
	assert_head("HTTP/1.1 200 OK\r\nVia: x\n\r\n", 200, "OK");
	assert_head("HTTP/1.1 200 OK\n\r\n", 200, "OK");
}

static void
test_reply_garbage_status_line(void **state)
{
	(void)state;
	assert_invalid_string("SSH-2.0-OpenSSH_9.2\r\n",
	    "CONNECT response is not HTTP/1.x");
	assert_invalid("\x05\x00\x00\x01", 4, "CONNECT response is not HTTP/1.x");
	assert_invalid_string("http/1.1 200 OK\r\n\r\n",
	    "CONNECT response is not HTTP/1.x");
	assert_invalid_string("HTTP/2 200\r\n\r\n",
	    "CONNECT response is not HTTP/1.x");
	assert_invalid_string("HTTP/1.2 200 OK\r\n\r\n",
	    "unsupported HTTP version in CONNECT response");
	assert_invalid_string("HTTP/1.1  200 OK\r\n\r\n",
	    "CONNECT response status is not 100..599");
	assert_invalid_string("HTTP/1.1\t200 OK\r\n\r\n",
	    "malformed CONNECT response status line");
	assert_invalid_string("HTTP/1.1 20 OK\r\n\r\n",
	    "CONNECT response status is not three digits");
	assert_invalid_string("HTTP/1.1 2000 OK\r\n\r\n",
	    "CONNECT response status is not three digits");
	assert_invalid_string("HTTP/1.1 20\r\n\r\n",
	    "malformed CONNECT response status line");
	assert_invalid_string("HTTP/1.1 abc OK\r\n\r\n",
	    "CONNECT response status is not 100..599");
	assert_invalid_string("HTTP/1.1 600 OK\r\n\r\n",
	    "CONNECT response status is not 100..599");
	assert_invalid_string("HTTP/1.1 099 OK\r\n\r\n",
	    "CONNECT response status is not 100..599");
	assert_invalid_string("HTTP/1.1 2x0 OK\r\n\r\n",
	    "CONNECT response status is not three digits");
	assert_invalid_string("\r\nHTTP/1.1 200 OK\r\n\r\n",
	    "malformed CONNECT response status line");
	assert_invalid_string("HTTP/1.1\r\n\r\n",
	    "malformed CONNECT response status line");
}

static void
test_reply_rejected_early(void **state)
{
	(void)state;
	/* the first wrong byte is enough: no waiting for a line end or the cap */
	assert_invalid("S", 1, "CONNECT response is not HTTP/1.x");
	assert_invalid("\x05", 1, "CONNECT response is not HTTP/1.x");
	assert_invalid("HTTP/1.9", 8, "unsupported HTTP version in CONNECT response");
	assert_invalid("HTTP/1.1 7", 10, "CONNECT response status is not 100..599");
	assert_invalid("HTTP/1.1 200 OK\r\nBad Header", 27,
	    "malformed header name in CONNECT response");
	assert_invalid("HTTP/1.1 200 OK\rX", 17, "bare CR in CONNECT response head");
	/* but a CR last in what arrived may be followed by its LF */
	assert_int_equal(parse_bytes("HTTP/1.1 200 OK\r", 16, MAX_HEAD), PARSE_MORE);
	assert_int_equal(parse_bytes("HTTP/1.1 200\r", 13, MAX_HEAD), PARSE_MORE);
}

static void
test_reply_bad_bytes_and_headers(void **state)
{
	(void)state;
	assert_invalid_string("HTTP/1.1 200 OK\rVia: x\r\n\r\n",
	    "bare CR in CONNECT response head");
	assert_invalid("HTTP/1.1 200 OK\r\nVia: a\0b\r\n\r\n", 29,
	    "NUL in CONNECT response head");
	assert_invalid("HTTP/1.1 200 O\0K\r\n\r\n", 20,
	    "NUL in CONNECT response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\nVia: \x1b[31m\r\n\r\n",
	    "control character in CONNECT response head");
	assert_invalid_string("HTTP/1.1 200 OK\x7f\r\n\r\n",
	    "control character in CONNECT response head");
	assert_invalid_string("HTTP/1.1 200 OK\r\nVia x\r\n\r\n",
	    "malformed header name in CONNECT response");
	assert_invalid_string("HTTP/1.1 200 OK\r\nVia : x\r\n\r\n",
	    "malformed header name in CONNECT response");
	assert_invalid_string("HTTP/1.1 200 OK\r\nVia\r\n\r\n",
	    "header line without a colon in CONNECT response");
	assert_invalid_string("HTTP/1.1 200 OK\r\n: x\r\n\r\n",
	    "empty header name in CONNECT response");
	/* obs-fold lines are accepted and ignored; empty values are fine */
	assert_head("HTTP/1.1 200 OK\r\nVia: a\r\n  b\r\nX-Empty:\r\n\r\n", 200, "OK");
}

static void
test_reply_reason_is_log_safe(void **state)
{
	char buf[512], expected[128];

	(void)state;
	assert_head("HTTP/1.1 200 Verbindung hergestellt \xc3\xa4\r\n\r\n", 200,
	    "Verbindung hergestellt ??");
	memcpy(buf, "HTTP/1.1 200 ", 13);
	memset(buf + 13, 'r', 300);
	memcpy(buf + 313, "\r\n\r\n", 5);
	memset(expected, 'r', 127);
	expected[127] = '\0';
	assert_head(buf, 200, expected);
}

static void
test_reply_oversize_head(void **state)
{
	char buf[256];
	size_t len;

	(void)state;
	len = (size_t)snprintf(buf, sizeof(buf),
	    "HTTP/1.1 200 OK\r\nVia: 1.1 proxy\r\n\r\n");
	/* a head of exactly max_head bytes fits */
	assert_int_equal(parse_bytes(buf, len, len), PARSE_DONE);
	assert_int_equal(reply.head_len, len);
	/* one byte more than the cap cannot end in time */
	assert_int_equal(parse_bytes(buf, len, len - 1), PARSE_INVALID);
	assert_string_equal(reply.error, "CONNECT response head too large");
	assert_int_equal(reply.error_status, 502);
	assert_int_equal(parse_bytes(buf, len - 1, len - 1), PARSE_INVALID);
	assert_int_equal(parse_bytes(buf, len - 2, len - 1), PARSE_MORE);
	/* tunnel bytes past a head that fits do not count against the cap */
	memcpy(buf + len, "tunnel bytes", 12);
	assert_int_equal(parse_bytes(buf, len + 12, len), PARSE_DONE);
	assert_int_equal(reply.head_len, len);
	/* a cap of 0 can never be met */
	assert_int_equal(parse_bytes(buf, 0, 0), PARSE_INVALID);
	/* nothing yet, as an empty evbuffer's pullup gives it */
	assert_int_equal(http_connect_parse_reply(NULL, 0, MAX_HEAD, &reply),
	    PARSE_MORE);
}

/* ---- egress-notes.md §1, one test per client fault ------------------------ */

/*
 * §1.1 Short reads and coalesced replies: the head split anywhere asks for
 * more; the head together with the first tunnel bytes gives an exact
 * head_len, and tunnel bytes that look like HTTP are not read as headers.
 */
static void
test_s1_1_split_and_coalesced_head(void **state)
{
	static const char head[] = "HTTP/1.1 200 Connection established\r\n"
	    "Proxy-Agent: Privoxy/3.0.34\r\n\r\n";
	char buf[256];
	size_t len = strlen(head);

	(void)state;
	assert_split_at_every_byte(head);
	memcpy(buf, head, len);
	memcpy(buf + len, "HTTP/1.1 407 Nope\r\n\r\n", 21);
	assert_int_equal(parse_bytes(buf, len + 21, MAX_HEAD), PARSE_DONE);
	assert_int_equal(reply.status, 200);
	assert_int_equal(reply.head_len, len);
}

/*
 * §1.7 Any 2xx is a tunnel from the end of the head, whatever the reason text,
 * and Content-Length / Transfer-Encoding in a 2xx are ignored: the bytes
 * after the head are tunnel bytes, not a body. Non-2xx (407 with a body)
 * are reported with their status, the body left to the caller (who closes).
 */
static void
test_s1_7_2xx_framing_headers_ignored(void **state)
{
	static const char with_length[] =
	    "HTTP/1.1 200 Connection established\r\n"
	    "Content-Length: 100\r\n"
	    "\r\n";
	static const char with_chunked[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n"
	    "\r\n";
	static const char no_content[] =
	    "HTTP/1.1 204 No Content\r\n"
	    "Content-Length: 100\r\n"
	    "\r\n";

	(void)state;
	assert_head(with_length, 200, "Connection established");
	assert_tunnel_bytes_untouched(with_length, 200);
	assert_split_at_every_byte(with_length);
	assert_head(with_chunked, 200, "OK");
	assert_tunnel_bytes_untouched(with_chunked, 200);
	assert_head(no_content, 204, "No Content");
	assert_tunnel_bytes_untouched(no_content, 204);
	assert_tunnel_bytes_untouched(
	    "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Content-Length: 100\r\n\r\n", 407);
}

/*
 * §1.8 Credentials: a user with ':' is refused (RFC 7617), CR/LF cannot be
 * smuggled into the request, the request never holds the plain password,
 * and a request that does not fit is wiped rather than left half-written.
 */
static void
test_s1_8_credentials(void **state)
{
	char out[512], small[64];
	size_t len, i;

	(void)state;
	assert_int_equal(http_connect_build_request(out, sizeof(out), "a.example",
	    443, "user:name", "pw", &len), -1);
	assert_int_equal(http_connect_build_request(out, sizeof(out), "a.example",
	    443, "user", "pw\r\nX-Forwarded-For: 1.2.3.4", &len), -1);
	assert_int_equal(http_connect_build_request(out, sizeof(out), "a.example",
	    443, "user", "hunter2-plaintext", &len), 0);
	assert_null(strstr(out, "hunter2"));
	memset(small, 'Z', sizeof(small));
	assert_int_equal(http_connect_build_request(small, sizeof(small),
	    "a.example", 443, "user", "a-long-password-that-will-not-fit", &len),
	    -1);
	for (i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], 0);
	/* long credentials are fine when they fit: no silent 255 limit here */
	{
		char user[1001], pass[1001], big[4096];

		memset(user, 'u', 1000);
		user[1000] = '\0';
		memset(pass, 'p', 1000);
		pass[1000] = '\0';
		assert_int_equal(http_connect_build_request(big, sizeof(big),
		    "a.example", 443, user, pass, &len), 0);
		assert_int_equal(len, strlen(big));
	}
}

/*
 * §1.9 Bounded work: once max_head bytes are buffered the parser always
 * answers DONE or INVALID, so a proxy that trickles header lines cannot make
 * the caller buffer without end (the handshake deadline is the caller's).
 */
static void
test_s1_9_head_size_is_bounded(void **state)
{
	char buf[1024];
	size_t len = 0, max_head;

	(void)state;
	len += (size_t)snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n");
	while (len + 16 < sizeof(buf))
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "X-Slow: drip\r\n");
	for (max_head = 1; max_head <= len; max_head++)
		assert_int_not_equal(parse_bytes(buf, max_head, max_head), PARSE_MORE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_without_auth),
		cmocka_unit_test(test_request_with_auth),
		cmocka_unit_test(test_request_ipv6_brackets),
		cmocka_unit_test(test_request_refused_hosts),
		cmocka_unit_test(test_request_refused_credentials),
		cmocka_unit_test(test_request_exact_fit),
		cmocka_unit_test(test_base64_known_encodings),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_reply_200_connection_established),
		cmocka_unit_test(test_reply_200_other_reasons),
		cmocka_unit_test(test_reply_204_and_other_2xx),
		cmocka_unit_test(test_reply_407_with_body),
		cmocka_unit_test(test_reply_502_and_other_failures),
		cmocka_unit_test(test_reply_interim_1xx_skipped),
		cmocka_unit_test(test_reply_bare_lf_tolerated),
		cmocka_unit_test(test_reply_garbage_status_line),
		cmocka_unit_test(test_reply_rejected_early),
		cmocka_unit_test(test_reply_bad_bytes_and_headers),
		cmocka_unit_test(test_reply_reason_is_log_safe),
		cmocka_unit_test(test_reply_oversize_head),
		cmocka_unit_test(test_s1_1_split_and_coalesced_head),
		cmocka_unit_test(test_s1_7_2xx_framing_headers_ignored),
		cmocka_unit_test(test_s1_8_credentials),
		cmocka_unit_test(test_s1_9_head_size_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
