/*
 * common/http_util.c — request-target splitting, query decoding and reason
 * phrases for the worker's HTTP server.
 */
#include <stdio.h>
#include <string.h>

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

const char *
http_reason_phrase(int status)
{
	static const struct {
		int		 status;
		const char	*phrase;
	} phrases[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
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
