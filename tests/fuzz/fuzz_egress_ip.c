/*
 * tests/fuzz/fuzz_egress_ip.c — libFuzzer target for reading the caller's
 * address out of an echo service's answer (common/egress_ip.c). The input
 * is the body. Promises checked (any broken one aborts):
 *   - an address is found only as a literal inet_pton reads (IPv4 or IPv6),
 *     shorter than EGRESS_IP_MAX, with no '[' or ']';
 *   - no address found leaves ip empty;
 *   - the answer is the same on an exact-size heap copy (no reads past len).
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I common $(pkg-config --cflags json-c) tests/fuzz/fuzz_egress_ip.c \
 *     common/egress_ip.c common/json_scan.c common/proxy_fields.c \
 *     common/argspec.c common/reply.c common/util.c \
 *     $(pkg-config --libs json-c) -lcrypto -o fuzz_egress_ip
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egress_ip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ip[EGRESS_IP_MAX], again[EGRESS_IP_MAX];
	unsigned char addr[16];
	char *copy = malloc(size ? size : 1);
	bool found, found_again;

	check(copy != NULL);
	memcpy(copy, data, size);
	found = egress_ip_from_body((const char *)data, size, ip);
	found_again = egress_ip_from_body(copy, size, again);
	free(copy);
	check(found == found_again && strcmp(ip, again) == 0);
	if (!found) {
		check(ip[0] == '\0');
		return 0;
	}
	check(strlen(ip) > 0 && strlen(ip) < EGRESS_IP_MAX);
	check(strchr(ip, '[') == NULL && strchr(ip, ']') == NULL);
	check(inet_pton(AF_INET, ip, addr) == 1 || inet_pton(AF_INET6, ip, addr) == 1);
	return 0;
}
