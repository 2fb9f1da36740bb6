/*
 * worker/socks5.c — the client side of the SOCKS5 handshake (RFC 1928,
 * RFC 1929): builders for the greeting, the username/password request and
 * the CONNECT request, and parsers for the three replies. Pure functions fed
 * the bytes buffered so far; see socks5.h for the contract of each one.
 */
#include <arpa/inet.h>
#include <string.h>

#include "socks5.h"

/*
 * Greeting: VER(5) NMETHODS METHODS[NMETHODS].
 *   05 01 00       no authentication
 *   05 02 00 02    no authentication or username/password
 */
size_t
socks5_build_greeting(uint8_t out[SOCKS5_GREETING_MAX_LEN], bool offer_userpass)
{
	out[0] = SOCKS5_VERSION;
	out[2] = SOCKS5_METHOD_NO_AUTH;
	if (!offer_userpass) {
		out[1] = 1;
		return 3;
	}
	out[1] = 2;
	out[3] = SOCKS5_METHOD_USERPASS;
	return 4;
}

/*
 * A two-byte reply VER X whose VER must be one of two values (the method
 * reply and the auth reply have this shape). VER is judged on its own as
 * soon as it arrives.
 */
static enum parse
parse_two_bytes(const uint8_t *buf, size_t len, uint8_t version,
    uint8_t other_version, uint8_t *value, size_t *consumed)
{
	*value = 0;
	*consumed = 0;
	if (len < 1)
		return PARSE_MORE;
	if (buf[0] != version && buf[0] != other_version)
		return PARSE_INVALID;
	if (len < 2)
		return PARSE_MORE;
	*value = buf[1];
	*consumed = 2;
	return PARSE_DONE;
}

/* Method reply: VER(5) METHOD. */
enum parse
socks5_parse_method(const uint8_t *buf, size_t len, uint8_t *method,
    size_t *consumed)
{
	return parse_two_bytes(buf, len, SOCKS5_VERSION, SOCKS5_VERSION, method,
	    consumed);
}

/*
 * Username/password request (RFC 1929 §2):
 *   VER(1) ULEN UNAME[ULEN] PLEN PASSWD[PLEN]
 * ULEN 1..255, PLEN 0..255 (an empty password is allowed, see socks5.h).
 */
int
socks5_build_userpass(uint8_t *out, size_t cap, const char *user,
    const char *pass, size_t *len)
{
	size_t user_len, pass_len, total;

	*len = 0;
	if (user == NULL)
		return -1;
	if (pass == NULL)
		pass = "";
	user_len = strnlen(user, SOCKS5_FIELD_MAX + 1);
	pass_len = strnlen(pass, SOCKS5_FIELD_MAX + 1);
	if (user_len == 0 || user_len > SOCKS5_FIELD_MAX ||
	    pass_len > SOCKS5_FIELD_MAX)
		return -1;
	total = 3 + user_len + pass_len;
	if (total > cap)
		return -1;

	out[0] = SOCKS5_USERPASS_VERSION;
	out[1] = (uint8_t)user_len;
	memcpy(out + 2, user, user_len);
	out[2 + user_len] = (uint8_t)pass_len;
	memcpy(out + 3 + user_len, pass, pass_len);
	*len = total;
	return 0;
}

/* Username/password reply: VER(1, or 5 from some servers) STATUS. */
enum parse
socks5_parse_auth_reply(const uint8_t *buf, size_t len, uint8_t *status,
    size_t *consumed)
{
	return parse_two_bytes(buf, len, SOCKS5_USERPASS_VERSION,
	    SOCKS5_VERSION, status, consumed);
}

/*
 * A byte that may appear in a name we send: printable ASCII or UTF-8, but
 * none of the delimiters of a URL authority or an address literal.
 */
static bool
is_name_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f && strchr(":/?#[]@%\\", c) == NULL;
}

/*
 * CONNECT request: VER(5) CMD(1) RSV(0) ATYP DST.ADDR DST.PORT
 *   ATYP 1: 4 bytes    ATYP 4: 16 bytes    ATYP 3: LEN(1..255) NAME[LEN]
 */
int
socks5_build_connect(uint8_t *out, size_t cap, const char *host, uint16_t port,
    size_t *len)
{
	uint8_t address[16];
	char literal[64];
	size_t host_len, address_len, total, i;
	uint8_t atyp;

	*len = 0;
	if (host == NULL || port == 0)
		return -1;
	host_len = strnlen(host, SOCKS5_FIELD_MAX + 1);
	if (host_len == 0 || host_len > SOCKS5_FIELD_MAX)
		return -1;

	if (host[0] == '[') {
		/* a bracketed host can only be an IPv6 literal */
		if (host_len < 3 || host[host_len - 1] != ']' ||
		    host_len - 2 >= sizeof(literal))
			return -1;
		memcpy(literal, host + 1, host_len - 2);
		literal[host_len - 2] = '\0';
		if (inet_pton(AF_INET6, literal, address) != 1)
			return -1;
		atyp = SOCKS5_ATYP_IPV6;
		address_len = 16;
	} else if (inet_pton(AF_INET6, host, address) == 1) {
		atyp = SOCKS5_ATYP_IPV6;
		address_len = 16;
	} else if (inet_pton(AF_INET, host, address) == 1) {
		atyp = SOCKS5_ATYP_IPV4;
		address_len = 4;
	} else {
		for (i = 0; i < host_len; i++) {
			unsigned char c = (unsigned char)host[i];

			if (!is_name_byte(c))
				return -1;
		}
		atyp = SOCKS5_ATYP_DOMAIN;
		address_len = 1 + host_len;
	}

	total = 4 + address_len + 2;
	if (total > cap)
		return -1;
	out[0] = SOCKS5_VERSION;
	out[1] = SOCKS5_CMD_CONNECT;
	out[2] = 0;
	out[3] = atyp;
	if (atyp == SOCKS5_ATYP_DOMAIN) {
		out[4] = (uint8_t)host_len;
		memcpy(out + 5, host, host_len);
	} else
		memcpy(out + 4, address, address_len);
	out[4 + address_len] = (uint8_t)(port >> 8);
	out[4 + address_len + 1] = (uint8_t)(port & 0xff);
	*len = total;
	return 0;
}

/* BND.ADDR of a name as log-safe text (see socks5.h). */
static void
copy_bound_name(char out[64], const uint8_t *name, size_t name_len)
{
	size_t i, keep = name_len;

	if (name_len > 63)
		keep = 60;
	for (i = 0; i < keep; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? (char)name[i] :
		    '?';
	if (keep < name_len) {
		memcpy(out + keep, "...", 3);
		keep += 3;
	}
	out[keep] = '\0';
}

/*
 * CONNECT reply: VER(5) REP RSV(0) ATYP BND.ADDR BND.PORT
 *   ATYP 1: 4 bytes    ATYP 4: 16 bytes    ATYP 3: LEN(0..255) NAME[LEN]
 * A failure REP is final at 2 bytes; see socks5.h.
 */
enum parse
socks5_parse_reply(const uint8_t *buf, size_t len, struct socks5_reply *out,
    size_t *consumed)
{
	size_t address_len, address_at = 4, total;

	memset(out, 0, sizeof(*out));
	*consumed = 0;
	if (len < 1)
		return PARSE_MORE;
	if (buf[0] != SOCKS5_VERSION)
		return PARSE_INVALID;
	if (len < 2)
		return PARSE_MORE;
	if (buf[1] != SOCKS5_REP_SUCCEEDED) {
		out->rep = buf[1];
		*consumed = 2;
		return PARSE_DONE;
	}
	if (len < 3)
		return PARSE_MORE;
	if (buf[2] != 0)
		return PARSE_INVALID;
	if (len < 4)
		return PARSE_MORE;
	switch (buf[3]) {
	case SOCKS5_ATYP_IPV4:
		address_len = 4;
		break;
	case SOCKS5_ATYP_IPV6:
		address_len = 16;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return PARSE_MORE;
		address_len = buf[4];
		address_at = 5;
		break;
	default:
		return PARSE_INVALID;
	}
	total = address_at + address_len + 2;
	if (len < total)
		return PARSE_MORE;

	out->rep = SOCKS5_REP_SUCCEEDED;
	out->atyp = buf[3];
	if (out->atyp == SOCKS5_ATYP_IPV4)
		inet_ntop(AF_INET, buf + 4, out->bound_addr,
		    sizeof(out->bound_addr));
	else if (out->atyp == SOCKS5_ATYP_IPV6)
		inet_ntop(AF_INET6, buf + 4, out->bound_addr,
		    sizeof(out->bound_addr));
	else
		copy_bound_name(out->bound_addr, buf + address_at, address_len);
	out->bound_port = (uint16_t)((buf[address_at + address_len] << 8) |
	    buf[address_at + address_len + 1]);
	*consumed = total;
	return PARSE_DONE;
}

static const char *const rep_names[] = {
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

const char *
socks5_rep_name(uint8_t rep)
{
	if (rep < sizeof(rep_names) / sizeof(rep_names[0]))
		return rep_names[rep];
	return "unknown reply code";
}

const char *
socks5_method_name(uint8_t method)
{
	switch (method) {
	case SOCKS5_METHOD_NO_AUTH:
		return "no authentication required";
	case SOCKS5_METHOD_GSSAPI:
		return "GSSAPI";
	case SOCKS5_METHOD_USERPASS:
		return "username/password";
	case SOCKS5_METHOD_NO_ACCEPTABLE:
		return "no acceptable methods";
	default:
		return method < 0x80 ? "IANA-assigned method" :
		    "private method";
	}
}
