/*
 * tests/fuzz/fuzz_loopback_host.c — libFuzzer target for the CLIProxyAPI hop
 * rule's decision (common/http_util.c http_host_is_loopback, and the URL
 * split it is fed from). Each input is taken as a host; any broken promise
 * aborts:
 *   - a host said to be loopback is "localhost" (any case)
 *     or a numeric address that getaddrinfo (AI_NUMERICHOST, another parser)
 *     also reads as 127.0.0.0/8, ::1 or an IPv4-mapped 127/8 — a name, a
 *     short form like "127.1" or an octal-looking "0127.0.0.1" never is;
 *   - the verdict does not change with the case of its letters;
 *   - the input is also taken as the rest of a URL after "http://" (what
 *     CLIPROXYAPI_URL holds): when it parses, the host that the hop would
 *     dial keeps the same promises, whatever the port, path or brackets.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     tests/fuzz/fuzz_loopback_host.c common/http_util.c common/util.c \
 *     -o fuzz_loopback_host
 */
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

/* What another parser makes of a numeric host: loopback or not. */
static bool
numeric_loopback(const char *host)
{
	struct addrinfo hints, *res = NULL;
	bool loopback = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_family = AF_UNSPEC;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)res->ai_addr;
		loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	} else if (res->ai_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)res->ai_addr;
		loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
	}
	freeaddrinfo(res);
	return loopback;
}

/* The promises about one host; its verdict. */
static bool
check_host(const char *host)
{
	char flipped[2100];
	bool verdict = http_host_is_loopback(host);
	size_t i, len = strlen(host);

	if (verdict && strcasecmp(host, "localhost") != 0) {
		check(numeric_loopback(host));
		for (i = 0; i < len; i++)	/* digits, dots, hex and colons only */
			check(isxdigit((unsigned char)host[i]) || host[i] == '.' ||
			    host[i] == ':');
	}
	if (len < sizeof(flipped)) {
		for (i = 0; i <= len; i++)
			flipped[i] = isupper((unsigned char)host[i]) ?
			    (char)tolower((unsigned char)host[i]) :
			    (char)toupper((unsigned char)host[i]);
		check(http_host_is_loopback(flipped) == verdict);
	}
	return verdict;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char input[2048], url[2100];
	struct http_url u;
	const char *err;

	if (size >= sizeof(input) || memchr(data, '\0', size) != NULL)
		return 0;
	memcpy(input, data, size);
	input[size] = '\0';
	check_host(input);
	/* as the rest of a CLIPROXYAPI_URL: the host the hop would dial is
	 * judged, and keeps every promise above */
	snprintf(url, sizeof(url), "http://%s", input);
	if (http_url_parse(url, &u, &err) == 0)
		check_host(u.host);
	return 0;
}
