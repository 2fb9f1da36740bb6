/*
 * tests/fuzz/fuzz_proxy_fields.c — libFuzzer target for the rules of a
 * dialable proxy (common/proxy_fields.c). The input is used whole as a host,
 * and split at its first two 0xFF bytes into a user name, a password and a
 * host for a record checked as http and as socks5. Promises checked (any
 * broken one aborts):
 *   - an accepted host holds no control byte, space, '/', '@', '%', '?',
 *     '#' and no byte >= 0x80; it is 1..255 bytes;
 *   - IPv4: inet_pton reads it, and it is the canonical dotted-quad
 *     inet_ntop writes back (so no octal, short or leading-zero forms);
 *   - IPv6: the bare part (brackets off) is what inet_pton reads, brackets
 *     come in pairs; a name: at most 253 bytes without its trailing dot,
 *     labels 1..63 bytes not starting or ending with '-', last label not
 *     all digits;
 *   - the classification is the same on a copy (no reads past len);
 *   - a record with no problems has a valid host, credentials of at most
 *     255 bytes of valid UTF-8 without control bytes, no ':' in an http
 *     user name, and no password without a user name.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I common $(pkg-config --cflags json-c) tests/fuzz/fuzz_proxy_fields.c \
 *     common/proxy_fields.c common/argspec.c common/reply.c common/util.c \
 *     common/json_scan.c $(pkg-config --libs json-c) -lcrypto -o fuzz_proxy_fields
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "proxy_fields.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static void
check_ipv4(const char *host, size_t len)
{
	char text[32], back[INET_ADDRSTRLEN];
	unsigned char addr[4];

	check(len < sizeof(text));
	memcpy(text, host, len);
	text[len] = '\0';
	check(inet_pton(AF_INET, text, addr) == 1);
	check(inet_ntop(AF_INET, addr, back, sizeof(back)) != NULL);
	check(strcmp(text, back) == 0);
}

static void
check_ipv6(const char *host, size_t len, size_t off, size_t bare)
{
	char text[64];
	unsigned char addr[16];

	check(off + bare <= len && bare < sizeof(text));
	check((off == 1) == (host[0] == '['));
	if (off == 1)
		check(host[len - 1] == ']' && bare == len - 2);
	else
		check(bare == len);
	memcpy(text, host + off, bare);
	text[bare] = '\0';
	check(inet_pton(AF_INET6, text, addr) == 1);
}

static void
check_name(const char *host, size_t len)
{
	size_t i = 0, start, end = len;
	bool all_digits = true;

	if (end > 0 && host[end - 1] == '.')
		end--;
	check(end >= 1 && end <= HOST_NAME_MAX_BYTES);
	while (i < end) {
		start = i;
		all_digits = true;
		while (i < end && host[i] != '.') {
			if (host[i] < '0' || host[i] > '9')
				all_digits = false;
			i++;
		}
		check(i - start >= 1 && i - start <= HOST_LABEL_MAX_BYTES);
		check(host[start] != '-' && host[i - 1] != '-');
		if (i < end)
			i++;
	}
	check(!all_digits);
}

static void
check_host(const char *host, size_t len)
{
	size_t off = 0, bare = 0, i;
	enum host_kind kind = host_classify(host, len, NULL, &off, &bare);
	char *copy;

	copy = malloc(len + 1);
	check(copy != NULL);
	memcpy(copy, host, len);
	check(host_classify(copy, len, NULL, NULL, NULL) == kind);
	free(copy);
	if (kind == HOST_INVALID)
		return;
	check(len >= 1 && len <= PROXY_HOST_MAX_BYTES);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];
		check(c > 0x20 && c < 0x7F);
		check(strchr("/@%?#", c) == NULL);
	}
	switch (kind) {
	case HOST_IPV4:
		check_ipv4(host, len);
		break;
	case HOST_IPV6:
		check_ipv6(host, len, off, bare);
		break;
	case HOST_NAME:
		check_name(host, len);
		break;
	case HOST_INVALID:
		break;
	}
}

static void
check_credential(const char *s, size_t len)
{
	check(len <= PROXY_CREDENTIAL_MAX_BYTES);
	check(utf8_valid(s, len));
	check(!has_control_chars(s, len, false));
}

static void
check_record(const char *type, const char *user, size_t ulen, const char *pass,
    size_t plen, const char *host, size_t hlen)
{
	struct proxy_field_problem problems[PROXY_FIELD_PROBLEMS_MAX];
	struct proxy_fields f = {
		.name = "fuzz", .name_len = 4, .type = type,
		.host = host, .host_len = hlen, .port = 8080,
		.username = user, .username_len = ulen,
		.password = pass, .password_len = plen,
		.check_name = true,
	};
	size_t n = proxy_fields_check(&f, problems, PROXY_FIELD_PROBLEMS_MAX), i;

	for (i = 0; i < n && i < PROXY_FIELD_PROBLEMS_MAX; i++)
		check(problems[i].field != NULL && problems[i].message != NULL);
	if (n > 0)
		return;
	check(host_classify(host, hlen, NULL, NULL, NULL) != HOST_INVALID);
	check_credential(user, ulen);
	check_credential(pass, plen);
	check(plen == 0 || ulen > 0);
	if (strcmp(type, "http") == 0)
		check(memchr(user, ':', ulen) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const uint8_t *first, *second;
	size_t ulen, plen;

	check_host(s, size);
	first = memchr(data, 0xFF, size);
	if (first == NULL)
		return 0;
	second = memchr(first + 1, 0xFF, size - (size_t)(first + 1 - data));
	if (second == NULL)
		return 0;
	ulen = (size_t)(first - data);
	plen = (size_t)(second - first - 1);
	check_record("http", s, ulen, (const char *)first + 1, plen,
	    (const char *)second + 1, size - (size_t)(second + 1 - data));
	check_record("socks5", s, ulen, (const char *)first + 1, plen,
	    (const char *)second + 1, size - (size_t)(second + 1 - data));
	return 0;
}
