/*
 * tests/fuzz/fuzz_socks5_reply.c — libFuzzer target for the SOCKS5 client
 * codec (worker/socks5.c). Each input is parsed as a CONNECT reply, a method
 * reply and an auth reply, and is also used as the host, user and password
 * of the builders; what callers rely on is checked, and any broken promise
 * aborts:
 *   - consumed <= len, and 0 unless PARSE_DONE;
 *   - PARSE_DONE with REP 0: VER 5, RSV 0, ATYP 1/3/4 and consumed ==
 *     4 + addrlen + 2 (addrlen computed here from the bytes), bound_addr a
 *     string, bound_port the last two bytes; the reply alone parses the same
 *     and one byte less asks for more;
 *   - PARSE_DONE with REP != 0: consumed == 2;
 *   - PARSE_MORE only below 262 bytes (the longest reply);
 *   - a prefix's DONE or INVALID is final: more bytes never change it;
 *   - the builders never write past cap (exact-size buffers) and write what
 *     the wire format says.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     -I worker tests/fuzz/fuzz_socks5_reply.c worker/socks5.c -o fuzz_socks5
 */
#include <stdlib.h>
#include <string.h>

#include "socks5.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

/* The reply size the bytes announce, or 0 when they do not say yet. */
static size_t
expected_reply_len(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return 0;
	switch (buf[3]) {
	case SOCKS5_ATYP_IPV4:
		return 4 + 4 + 2;
	case SOCKS5_ATYP_IPV6:
		return 4 + 16 + 2;
	case SOCKS5_ATYP_DOMAIN:
		return len < 5 ? 0 : 4 + 1 + (size_t)buf[4] + 2;
	default:
		return 0;
	}
}

static void
check_reply_done(const uint8_t *buf, size_t len, const struct socks5_reply *r,
    size_t consumed)
{
	struct socks5_reply again;
	size_t again_consumed;

	check(buf[0] == SOCKS5_VERSION);
	check(r->rep == buf[1]);
	if (r->rep != SOCKS5_REP_SUCCEEDED) {
		check(consumed == 2);
		check(r->atyp == 0);
		return;
	}
	check(buf[2] == 0);
	check(r->atyp == SOCKS5_ATYP_IPV4 || r->atyp == SOCKS5_ATYP_IPV6 ||
	    r->atyp == SOCKS5_ATYP_DOMAIN);
	check(r->atyp == buf[3]);
	check(consumed == expected_reply_len(buf, len));
	check(consumed >= 7 && consumed <= SOCKS5_CONNECT_MAX_LEN);
	check(memchr(r->bound_addr, '\0', sizeof(r->bound_addr)) != NULL);
	check(r->bound_port == ((buf[consumed - 2] << 8) | buf[consumed - 1]));

	check(socks5_parse_reply(buf, consumed, &again, &again_consumed) ==
	    PARSE_DONE);
	check(again_consumed == consumed);
	check(memcmp(&again, r, sizeof(again)) == 0);
	check(socks5_parse_reply(buf, consumed - 1, &again, &again_consumed) ==
	    PARSE_MORE);
	check(again_consumed == 0);
}

static void
check_reply(const uint8_t *buf, size_t len)
{
	struct socks5_reply r, prefix_r;
	size_t consumed = 99, prefix_consumed;
	enum parse result, prefix_result;

	result = socks5_parse_reply(buf, len, &r, &consumed);
	check(consumed <= len);
	switch (result) {
	case PARSE_DONE:
		check_reply_done(buf, len, &r, consumed);
		break;
	case PARSE_MORE:
		check(consumed == 0);
		check(len < SOCKS5_CONNECT_MAX_LEN);
		break;
	case PARSE_INVALID:
		check(consumed == 0);
		check(len >= 1);
		break;
	default:
		abort();
	}
	check(strlen(socks5_rep_name(r.rep)) > 0);

	prefix_result = socks5_parse_reply(buf, len / 2, &prefix_r,
	    &prefix_consumed);
	if (prefix_result == PARSE_INVALID)
		check(result == PARSE_INVALID);
	if (prefix_result == PARSE_DONE)
		check(result == PARSE_DONE && consumed == prefix_consumed &&
		    r.rep == prefix_r.rep);
}

static void
check_two_byte_replies(const uint8_t *buf, size_t len)
{
	uint8_t value = 99;
	size_t consumed = 99;
	enum parse result;

	result = socks5_parse_method(buf, len, &value, &consumed);
	if (result == PARSE_DONE)
		check(len >= 2 && buf[0] == 5 && consumed == 2 && value == buf[1]);
	else
		check(consumed == 0 && value == 0 &&
		    (result == PARSE_MORE) == (len == 0 || (len == 1 &&
		    buf[0] == 5)));
	check(strlen(socks5_method_name(value)) > 0);

	result = socks5_parse_auth_reply(buf, len, &value, &consumed);
	if (result == PARSE_DONE)
		check(len >= 2 && (buf[0] == 1 || buf[0] == 5) && consumed == 2 &&
		    value == buf[1]);
	else
		check(consumed == 0 && value == 0);
}

/* The builders, with exact-size output buffers. */
static void
check_builders(const uint8_t *data, size_t size)
{
	uint8_t greeting[SOCKS5_GREETING_MAX_LEN];
	char *text, *second;
	uint8_t *out;
	size_t cap, len = 99, name_len;

	if (size < 1)
		return;
	/* first byte: the output cap; the rest: "host\0pass" or "user\0pass" */
	cap = (size_t)data[0] * 2 + 1;
	text = calloc(1, size + 1);
	out = malloc(cap);
	if (text == NULL || out == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	second = text + strlen(text) + 1;	/* at most text + size */

	if (socks5_build_connect(out, cap, text, 443, &len) == 0) {
		check(len <= cap && len <= SOCKS5_CONNECT_MAX_LEN);
		check(out[0] == 5 && out[1] == 1 && out[2] == 0);
		check(out[len - 2] == 0x01 && out[len - 1] == 0xbb);
		name_len = strlen(text);
		switch (out[3]) {
		case SOCKS5_ATYP_IPV4:
			check(len == 10);
			break;
		case SOCKS5_ATYP_IPV6:
			check(len == 22);
			break;
		case SOCKS5_ATYP_DOMAIN:
			check(name_len >= 1 && name_len <= 255);
			check(out[4] == name_len && len == 7 + name_len);
			check(memcmp(out + 5, text, name_len) == 0);
			check(strpbrk(text, ":/?#[]@%\\ ") == NULL);
			break;
		default:
			abort();
		}
	} else
		check(len == 0);

	if (socks5_build_userpass(out, cap, text, second, &len) == 0) {
		check(len <= cap && len <= SOCKS5_USERPASS_MAX_LEN);
		check(out[0] == 1 && out[1] == strlen(text) && out[1] > 0);
		check(memcmp(out + 2, text, out[1]) == 0);
		check(out[2 + out[1]] == strlen(second));
		check(len == 3u + out[1] + out[2 + out[1]]);
	} else
		check(len == 0);

	len = socks5_build_greeting(greeting, data[0] & 1);
	check(len == 3u + (data[0] & 1) && greeting[0] == 5 &&
	    greeting[1] == len - 2);
	free(out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so any read past len is an ASan report */
	uint8_t *buf = malloc(size > 0 ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	check_reply(buf, size);
	check_two_byte_replies(buf, size);
	free(buf);
	check_builders(data, size);
	return 0;
}
