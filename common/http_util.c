/*
 * common/http_util.c — request-target splitting, query decoding and reason
 * phrases for the worker's HTTP server.
 */
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
		{ 411, "Length Required" }, { 413, "Content Too Large" },
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
