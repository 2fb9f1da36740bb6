/*
 * common/proxy_fields.c — what a proxy record must be to be dialled (see
 * proxy_fields.h): the host grammar, byte limits, control bytes, and the
 * rules between fields (a ':' cannot travel in an HTTP Basic user name; a
 * password without a user name would never be sent). Pure: bytes in,
 * verdicts out; the master's stores call it for every entry point.
 */
#include <arpa/inet.h>
#include <string.h>

#include "argspec.h"
#include "proxy_fields.h"
#include "util.h"

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Four decimal octets 0..255, no leading zeros, nothing else. */
static bool
ipv4_strict(const char *s, size_t len)
{
	size_t i = 0, octets = 0;

	while (octets < 4) {
		size_t start = i;
		unsigned value = 0;

		while (i < len && is_digit((unsigned char)s[i]) && i - start < 3)
			value = value * 10 + (unsigned)(s[i++] - '0');
		if (i == start || value > 255 || (i - start > 1 && s[start] == '0'))
			return false;
		octets++;
		if (octets < 4) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

/* The last label (before an optional trailing dot) is all digits. */
static bool
last_label_numeric(const char *s, size_t len)
{
	size_t end = len, start;

	if (end > 0 && s[end - 1] == '.')
		end--;
	start = end;
	while (start > 0 && s[start - 1] != '.')
		start--;
	if (start == end)
		return false;
	for (; start < end; start++)
		if (!is_digit((unsigned char)s[start]))
			return false;
	return true;
}

static bool
dns_name_valid(const char *s, size_t len, const char **why)
{
	size_t i = 0, label;

	if (len > 0 && s[len - 1] == '.')
		len--;		/* one trailing dot: the root */
	if (len == 0) {
		*why = "is empty";
		return false;
	}
	if (len > HOST_NAME_MAX_BYTES) {
		*why = "is longer than 253 bytes (a DNS name's limit)";
		return false;
	}
	while (i < len) {
		label = i;
		while (i < len && s[i] != '.') {
			unsigned char c = (unsigned char)s[i];
			if (!is_alnum(c) && c != '-' && c != '_') {
				*why = "may hold only letters, digits, '-', '_' and '.'";
				return false;
			}
			i++;
		}
		if (i == label) {
			*why = "has an empty label ('..' or a leading dot)";
			return false;
		}
		if (i - label > HOST_LABEL_MAX_BYTES) {
			*why = "has a label longer than 63 bytes";
			return false;
		}
		if (s[label] == '-' || s[i - 1] == '-') {
			*why = "has a label starting or ending with '-'";
			return false;
		}
		if (i < len)
			i++;	/* the dot */
		if (i == len && s[len - 1] == '.') {
			*why = "has an empty label ('..' or a leading dot)";
			return false;
		}
	}
	return true;
}

/* Why a host that is not one of the three kinds is not: the likely mistake. */
static const char *
host_mistake(const char *s, size_t len)
{
	size_t i, colons = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F)
			return "must not contain control characters";
		if (c == ' ')
			return "must not contain spaces";
		if (c == ':')
			colons++;
	}
	if (len >= 3 && memmem(s, len, "://", 3) != NULL)
		return "must not have a scheme (give the type separately)";
	if (memchr(s, '/', len) != NULL || memchr(s, '?', len) != NULL ||
	    memchr(s, '#', len) != NULL)
		return "must not have a path";
	if (memchr(s, '@', len) != NULL)
		return "must not hold credentials (give username and password)";
	if (colons == 1)
		return "must not have a port (give the port separately)";
	if (colons > 1)
		return "is not a valid IPv6 address";
	return NULL;
}

enum host_kind
host_classify(const char *host, size_t len, const char **why, size_t *bare_off,
    size_t *bare_len)
{
	const char *reason = NULL, *mistake;
	char buf[64];
	unsigned char addr[16];
	size_t off = 0, blen = len;
	bool bracketed = false;

	if (why == NULL)
		why = &reason;
	if (bare_off != NULL)
		*bare_off = 0;
	if (bare_len != NULL)
		*bare_len = len;
	if (len == 0) {
		*why = "is empty";
		return HOST_INVALID;
	}
	if (len > PROXY_HOST_MAX_BYTES) {
		*why = "is longer than 255 bytes";
		return HOST_INVALID;
	}
	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']') {
			*why = "has an unterminated IPv6 bracket";
			return HOST_INVALID;
		}
		bracketed = true;
		off = 1;
		blen = len - 2;
	}
	if (memchr(host + off, ':', blen) != NULL || bracketed) {
		if (blen >= sizeof(buf) || memchr(host + off, '%', blen) != NULL ||
		    memchr(host + off, '\0', blen) != NULL) {
			*why = memchr(host + off, '%', blen) != NULL ?
			    "must not have an IPv6 zone ('%')" : "is not a valid IPv6 address";
			return HOST_INVALID;
		}
		memcpy(buf, host + off, blen);
		buf[blen] = '\0';
		if (inet_pton(AF_INET6, buf, addr) == 1) {
			if (bare_off != NULL)
				*bare_off = off;
			if (bare_len != NULL)
				*bare_len = blen;
			return HOST_IPV6;
		}
		if (bracketed) {
			*why = "is not a valid IPv6 address";
			return HOST_INVALID;
		}
	}
	if ((mistake = host_mistake(host, len)) != NULL) {
		*why = mistake;
		return HOST_INVALID;
	}
	if (last_label_numeric(host, len)) {
		if (ipv4_strict(host, len))
			return HOST_IPV4;
		*why = "is not a valid IPv4 address (four decimal numbers 0..255, "
		    "no leading zeros)";
		return HOST_INVALID;
	}
	if (!dns_name_valid(host, len, why))
		return HOST_INVALID;
	return HOST_NAME;
}

static size_t
add_problem(struct proxy_field_problem *out, size_t max, size_t n,
    const char *field, const char *message)
{
	if (n < max) {
		out[n].field = field;
		out[n].message = message;
	}
	return n + 1;
}

/* A text field: NUL, invalid UTF-8, control bytes, byte length. */
static const char *
text_problem(const char *s, size_t len, size_t max, const char *too_long)
{
	if (s == NULL)
		return NULL;
	if (memchr(s, '\0', len) != NULL)
		return "must not contain NUL";
	if (!utf8_valid(s, len))
		return "must be valid UTF-8";
	if (has_control_chars(s, len, false))
		return "must not contain control characters (CR, LF, TAB, ...)";
	if (len > max)
		return too_long;
	return NULL;
}

size_t
proxy_fields_check(const struct proxy_fields *f, struct proxy_field_problem *out,
    size_t max)
{
	const char *type = f->type != NULL ? f->type : "http";
	bool socks5 = strcmp(type, "socks5") == 0;
	bool http = strcmp(type, "http") == 0 || strcmp(type, "https") == 0;
	const char *why = NULL, *problem;
	size_t n = 0;

	if (!socks5 && !http)
		n = add_problem(out, max, n, "type", "must be one of http, https, socks5");
	if (f->check_name) {
		if (f->name == NULL || f->name_len == 0)
			n = add_problem(out, max, n, "name", "is required");
		else if ((problem = text_problem(f->name, f->name_len,
		    PROXY_NAME_MAX_BYTES, "must be at most 120 bytes (UTF-8)")) != NULL)
			n = add_problem(out, max, n, "name", problem);
	}
	if (f->host == NULL || f->host_len == 0) {
		n = add_problem(out, max, n, "host", "is required");
	} else if (host_classify(f->host, f->host_len, &why, NULL, NULL) == HOST_INVALID) {
		n = add_problem(out, max, n, "host", why);
	}
	if (f->port >= 0 && (f->port < 1 || f->port > 65535))
		n = add_problem(out, max, n, "port", "must be an integer between 1 and 65535");
	if ((problem = text_problem(f->username, f->username_len,
	    PROXY_CREDENTIAL_MAX_BYTES, socks5 ?
	    "must be at most 255 bytes (UTF-8): SOCKS5 sends its length in one byte" :
	    "must be at most 255 bytes (UTF-8)")) != NULL)
		n = add_problem(out, max, n, "username", problem);
	else if (http && f->username != NULL &&
	    memchr(f->username, ':', f->username_len) != NULL)
		n = add_problem(out, max, n, "username",
		    "must not contain ':' for an HTTP/HTTPS proxy (Basic "
		    "authentication cannot carry it)");
	if ((problem = text_problem(f->password, f->password_len,
	    PROXY_CREDENTIAL_MAX_BYTES, socks5 ?
	    "must be at most 255 bytes (UTF-8): SOCKS5 sends its length in one byte" :
	    "must be at most 255 bytes (UTF-8)")) != NULL)
		n = add_problem(out, max, n, "password", problem);
	else if (f->password_len > 0 && f->username_len == 0)
		n = add_problem(out, max, n, "password",
		    "needs a username (a password alone would never be sent)");
	return n;
}
