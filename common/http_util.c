/*
 * common/http_util.c — request-target splitting, query decoding, the
 * canonical-path rule of the relay (see http_util.h for what it refuses and
 * why) and reason phrases for the worker's HTTP server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_lex.h"
#include "http_util.h"
#include "util.h"

size_t
http_target_path_len(const char *target, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (target[i] == '?' || target[i] == '#')
			break;
	return i;
}

int
percent_decode(const char *s, size_t len, bool plus_is_space, char *out,
    size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			hi = i + 1 < len ? hex_digit_value(s[i + 1]) : -1;
			lo = i + 2 < len ? hex_digit_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int
http_query_param(const char *target, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t path = http_target_path_len(target, len), i, end, nlen = strlen(name);
	const char *q;
	size_t qlen;

	if (path >= len || target[path] != '?')
		return 0;
	q = target + path + 1;
	qlen = len - path - 1;
	for (i = 0; i < qlen; i++)
		if (q[i] == '#') {
			qlen = i;
			break;
		}
	for (i = 0; i < qlen; i = end + 1) {
		size_t eq;
		for (end = i; end < qlen && q[end] != '&'; end++)
			;
		for (eq = i; eq < end && q[eq] != '='; eq++)
			;
		if (eq - i == nlen && memcmp(q + i, name, nlen) == 0) {
			if (outlen == 0)
				return -1;
			if (eq == end) {
				out[0] = '\0';
				return 1;
			}
			return percent_decode(q + eq + 1, end - eq - 1, true, out, outlen) == 0 ?
			    1 : -1;
		}
	}
	return 0;
}

/* ---- canonical paths ----------------------------------------------------- */

static const char *const path_fault_messages[HTTP_PATH_FAULT_COUNT] = {
	[HTTP_PATH_CANONICAL] = "",
	[HTTP_PATH_NOT_ABSOLUTE] = "the path does not start with '/'",
	[HTTP_PATH_FRAGMENT] = "the target has a fragment ('#')",
	[HTTP_PATH_BAD_BYTE] = "the path has a space, a control character or a "
	    "non-ASCII byte",
	[HTTP_PATH_BAD_ESCAPE] = "the path has a malformed percent-escape",
	[HTTP_PATH_BACKSLASH] = "the path has a backslash (raw or %5C)",
	[HTTP_PATH_ENCODED_SLASH] = "the path has an encoded '/' (%2F)",
	[HTTP_PATH_NUL] = "the path has an encoded NUL (%00)",
	[HTTP_PATH_CONTROL] = "the path has an encoded control character",
	[HTTP_PATH_ENCODED_PERCENT] = "the path has an encoded '%' (%25)",
	[HTTP_PATH_NOT_UTF8] = "the path has percent-encoded bytes that are not UTF-8",
	[HTTP_PATH_EMPTY_SEGMENT] = "the path has an empty segment ('//' or a "
	    "trailing '/')",
	[HTTP_PATH_DOT_SEGMENT] = "the path has a '.' or '..' segment",
};

/* What a byte written as %XX in a path means to us: 0 when it is data. */
static const unsigned char encoded_byte_fault[256] = {
	[0x00] = HTTP_PATH_NUL,
	[0x01 ... 0x1f] = HTTP_PATH_CONTROL,
	[0x7f] = HTTP_PATH_CONTROL,
	['%'] = HTTP_PATH_ENCODED_PERCENT,
	['/'] = HTTP_PATH_ENCODED_SLASH,
	['\\'] = HTTP_PATH_BACKSLASH,
};

/*
 * The decoded bytes seen so far, as UTF-8 (RFC 3629 §4): how many
 * continuation bytes are still owed, and the range the next one must be in
 * (the second byte's range rules out overlong forms, surrogates and code
 * points above U+10FFFF).
 */
struct utf8_progress {
	unsigned	 owed;
	unsigned char	 min, max;
};

static bool
utf8_continue(struct utf8_progress *u, unsigned char b)
{
	if (u->owed > 0) {
		if (b < u->min || b > u->max)
			return false;
		u->owed--;
		u->min = 0x80;
		u->max = 0xbf;
		return true;
	}
	if (b < 0x80)
		return true;
	u->min = 0x80;
	u->max = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		u->owed = 1;
	else if (b >= 0xe0 && b <= 0xef) {
		u->owed = 2;
		if (b == 0xe0)
			u->min = 0xa0;
		else if (b == 0xed)
			u->max = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		u->owed = 3;
		if (b == 0xf0)
			u->min = 0x90;
		else if (b == 0xf4)
			u->max = 0x8f;
	} else
		return false;
	return true;
}

/* One path segment as it is decoded; only what comes before a ';' counts. */
struct path_segment {
	size_t	 length;	/* decoded bytes before the first ';' */
	bool	 all_dots;	/* and each of them is '.' */
	bool	 in_parameters;	/* a ';' was seen */
};

static enum http_path_fault
segment_fault(const struct path_segment *seg, const struct utf8_progress *utf8)
{
	if (utf8->owed > 0)
		return HTTP_PATH_NOT_UTF8;
	if (seg->length == 0)
		return HTTP_PATH_EMPTY_SEGMENT;
	if (seg->all_dots && seg->length <= 2)
		return HTTP_PATH_DOT_SEGMENT;
	return HTTP_PATH_CANONICAL;
}

enum http_path_fault
http_path_check(const char *target, size_t len)
{
	static const struct path_segment new_segment = { 0, true, false };
	struct path_segment seg = new_segment;
	struct utf8_progress utf8 = { 0, 0x80, 0xbf };
	enum http_path_fault fault;
	size_t path_len, i;

	if (len == 0 || target[0] != '/')
		return HTTP_PATH_NOT_ABSOLUTE;
	if (memchr(target, '#', len) != NULL)
		return HTTP_PATH_FRAGMENT;
	path_len = http_target_path_len(target, len);
	for (i = 1; i <= path_len; i++) {
		unsigned char b;

		if (i == path_len || target[i] == '/') {
			if ((fault = segment_fault(&seg, &utf8)) != HTTP_PATH_CANONICAL)
				return fault;
			seg = new_segment;
			continue;
		}
		b = (unsigned char)target[i];
		if (b == '%') {
			int hi = i + 2 < path_len ? hex_digit_value(target[i + 1]) : -1;
			int lo = i + 2 < path_len ? hex_digit_value(target[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return HTTP_PATH_BAD_ESCAPE;
			b = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (encoded_byte_fault[b] != 0)
				return (enum http_path_fault)encoded_byte_fault[b];
		} else if (b < 0x21 || b > 0x7e)
			return HTTP_PATH_BAD_BYTE;
		else if (b == '\\')
			return HTTP_PATH_BACKSLASH;
		if (!utf8_continue(&utf8, b))
			return HTTP_PATH_NOT_UTF8;
		if (seg.in_parameters)
			continue;
		if (b == ';')
			seg.in_parameters = true;
		else {
			seg.length++;
			seg.all_dots = seg.all_dots && b == '.';
		}
	}
	return HTTP_PATH_CANONICAL;
}

const char *
http_path_fault_message(enum http_path_fault fault)
{
	if ((unsigned)fault >= HTTP_PATH_FAULT_COUNT)
		return "the path is not canonical";
	return path_fault_messages[fault];
}

/* ---- reason phrases -------------------------------------------------------- */

const char *
http_reason_phrase(int status)
{
	static const struct {
		int		 status;
		const char	*phrase;
	} phrases[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 302, "Found" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" },
		{ 411, "Length Required" }, { 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 414, "URI Too Long" }, { 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].status == status)
			return phrases[i].phrase;
	return "Unknown";
}

int
http_url_parse(const char *url, struct http_url *out, const char **err)
{
	const char *p, *host, *host_end, *path;
	unsigned long port = 0;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (strncmp(url, "https://", 8) == 0) {
		out->tls = 1;
		p = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else {
		*err = "URL must start with http:// or https://";
		return -1;
	}
	path = p + strcspn(p, "/?");
	if (memchr(p, '@', (size_t)(path - p)) != NULL || strchr(url, '#') != NULL) {
		*err = "URL must not contain credentials or a fragment";
		return -1;
	}
	for (host = url; *host != '\0'; host++)
		if ((unsigned char)*host <= ' ' || *host == 0x7f) {
			*err = "URL must not contain spaces or control characters";
			return -1;
		}
	host = p;
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(path - host));
		if (host_end == NULL) {
			*err = "unterminated IPv6 literal in URL";
			return -1;
		}
		host++;
		p = host_end + 1;
	} else {
		host_end = memchr(host, ':', (size_t)(path - host));
		if (host_end == NULL)
			host_end = path;
		p = host_end;
	}
	hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(out->host)) {
		*err = "URL has no host";
		return -1;
	}
	memcpy(out->host, host, hlen);
	if (p < path && *p == ':') {
		for (p++; p < path; p++) {
			if (*p < '0' || *p > '9' || port > 65535) {
				*err = "URL has an invalid port";
				return -1;
			}
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port < 1 || port > 65535) {
			*err = "URL has an invalid port";
			return -1;
		}
	} else if (p != path) {
		*err = "URL has an invalid host";
		return -1;
	}
	out->port = port != 0 ? (unsigned)port : out->tls ? 443 : 80;
	if (*path == '\0')
		strcpy(out->path, "/");
	else if (*path == '?')
		snprintf(out->path, sizeof(out->path), "/%s", path);
	else if (strlen(path) >= sizeof(out->path)) {
		*err = "URL path too long";
		return -1;
	} else
		strcpy(out->path, path);
	return 0;
}

bool
http_host_is_loopback(const char *host)
{
	unsigned char a4[4];
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, a4) == 1)
		return a4[0] == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

/* The weight of an Accept-Encoding element's parameters (";q=0.5"): 1000
 * when absent, 0..1000, or 0 when malformed. */
static int
coding_weight(const char *params, size_t len)
{
	size_t i = 0, digits = 0;
	int weight = 0, scale = 1000;

	while (i < len) {
		const char *name;
		size_t name_len;

		while (i < len && (params[i] == ';' || is_ows((unsigned char)params[i])))
			i++;
		name = params + i;
		while (i < len && params[i] != '=' && params[i] != ';')
			i++;
		name_len = (size_t)(params + i - name);
		while (name_len > 0 && is_ows((unsigned char)name[name_len - 1]))
			name_len--;
		if (i >= len || params[i] != '=' || !same_token(name, name_len, "q", 1)) {
			while (i < len && params[i] != ';')
				i++;
			continue;
		}
		i++;
		while (i < len && is_ows((unsigned char)params[i]))
			i++;
		/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
		if (i >= len || (params[i] != '0' && params[i] != '1'))
			return 0;
		weight = (params[i++] - '0') * 1000;
		if (i < len && params[i] == '.')
			for (i++; i < len && is_digit((unsigned char)params[i]); i++) {
				if (++digits > 3)
					return 0;
				scale /= 10;
				weight += (params[i] - '0') * scale;
			}
		while (i < len && is_ows((unsigned char)params[i]))
			i++;
		if ((i < len && params[i] != ';') || weight > 1000)
			return 0;
		return weight;
	}
	return 1000;
}

bool
http_accepts_coding(const char *value, size_t len, const char *coding)
{
	const char *element;
	size_t element_len, pos = 0;
	int star = -1;

	while (pos < len) {
		size_t name_len = 0;
		int weight;

		pos = next_list_element(value, len, pos, &element, &element_len);
		while (name_len < element_len && element[name_len] != ';' &&
		    !is_ows((unsigned char)element[name_len]))
			name_len++;
		weight = coding_weight(element + name_len, element_len - name_len);
		if (same_token(element, name_len, coding, strlen(coding)))
			return weight > 0;
		if (same_token(element, name_len, "*", 1))
			star = weight;
	}
	return star > 0;
}

/* The opaque part of a listed entity-tag: W/ dropped. */
static void
opaque_tag(const char **tag, size_t *len)
{
	if (*len >= 2 && (*tag)[0] == 'W' && (*tag)[1] == '/') {
		*tag += 2;
		*len -= 2;
	}
}

bool
http_etag_matches(const char *value, size_t len, const char *etag)
{
	const char *element, *ours = etag;
	size_t element_len, ours_len = strlen(etag), pos = 0;

	opaque_tag(&ours, &ours_len);
	while (pos < len) {
		pos = next_list_element(value, len, pos, &element, &element_len);
		if (element_len == 1 && element[0] == '*')
			return true;
		opaque_tag(&element, &element_len);
		if (element_len == ours_len && element_len >= 2 && element[0] == '"' &&
		    memcmp(element, ours, ours_len) == 0)
			return true;
	}
	return false;
}
