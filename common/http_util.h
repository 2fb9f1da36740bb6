/*
 * common/http_util.h — small pure helpers around HTTP messages: the path and
 * query parameters of a request-target (percent-decoded), reason phrases.
 */
#ifndef OMNI_HTTP_UTIL_H
#define OMNI_HTTP_UTIL_H

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

#endif
