/*
 * common/http_util.h — small pure helpers around HTTP messages: the path and
 * query parameters of a request-target (percent-decoded), reason phrases.
 */
#ifndef OMNI_HTTP_UTIL_H
#define OMNI_HTTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the path part of an origin-form target (up to '?' or '#'). */
size_t		http_target_path_len(const char *target, size_t len);

/*
 * Find query parameter `name` in target[0..len) and percent-decode its value
 * ('+' is a space) into out (NUL-terminated). Returns 1 when found, 0 when
 * absent, -1 when the value is malformed (bad %-escape, %00, or longer than
 * outlen-1).
 */
int		http_query_param(const char *target, size_t len, const char *name,
		    char *out, size_t outlen);

const char	*http_reason_phrase(int status);

/* An http:// or https:// URL split for a request. */
struct http_url {
	int	 tls;			/* https */
	char	 host[256];		/* IPv6 without brackets */
	unsigned port;			/* explicit, else 80 / 443 */
	char	 path[2048];		/* path and query, "/" when empty */
};

/* 0 ok; -1 with a static message in *err. No credentials or fragments. */
int		http_url_parse(const char *url, struct http_url *out, const char **err);

/*
 * Percent-decode s[0..len) into out (NUL-terminated); '+' becomes a space when
 * plus_is_space (query strings). -1 on a malformed escape, %00, or a result
 * that does not fit in outlen.
 */
int		percent_decode(const char *s, size_t len, bool plus_is_space,
		    char *out, size_t outlen);

#endif
