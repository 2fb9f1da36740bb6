/*
 * common/http_util.h — small pure helpers around HTTP messages: the path and
 * query parameters of a request-target (percent-decoded), whether a path is
 * in the one canonical form the relay passes on, reason phrases.
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

/*
 * Why the path of an origin-form request-target is not canonical: the one
 * spelling the relay sends on under a provider's base URL, so that what the
 * daemon routes, logs and judges is what every server after it reads. The
 * faults, in the order they are looked for:
 *   - a target that does not start with '/';
 *   - a fragment: a '#' anywhere in the target, query included (a client
 *     never sends one, and a server may cut the target there or not);
 *   then in the path (up to the first '?'), the first fault in byte order:
 *   - a raw byte that is not visible ASCII, a malformed %-escape;
 *   - a backslash, raw or %5C (some servers read it as '/');
 *   - an encoded '/' (%2F), NUL (%00), other control character (%01-%1F,
 *     %7F) or '%' (%25: decoded once more by some servers, so "%252e" would
 *     become a dot);
 *   - encoded bytes that are not UTF-8 (an overlong "%C0%AE" is '.' to a
 *     lax decoder);
 *   - an empty segment ("//", and a trailing '/', the empty last segment:
 *     no provider endpoint ends in '/', and servers differ on whether "/x/"
 *     is "/x", so it is one more spelling of a path);
 *   - a '.' or '..' segment, raw or encoded in any mix ("%2e", ".%2E"),
 *     also with path parameters ("..;x", which servers that strip them read
 *     as "..").
 * A segment is judged up to its first ';' (raw or %3B) for the last two
 * rules. "/" alone is one empty segment. The query is not looked at beyond
 * its '#'. Only target[0..len) is read.
 */
enum http_path_fault {
	HTTP_PATH_CANONICAL = 0,
	HTTP_PATH_NOT_ABSOLUTE,
	HTTP_PATH_FRAGMENT,
	HTTP_PATH_BAD_BYTE,
	HTTP_PATH_BAD_ESCAPE,
	HTTP_PATH_BACKSLASH,
	HTTP_PATH_ENCODED_SLASH,
	HTTP_PATH_NUL,
	HTTP_PATH_CONTROL,
	HTTP_PATH_ENCODED_PERCENT,
	HTTP_PATH_NOT_UTF8,
	HTTP_PATH_EMPTY_SEGMENT,
	HTTP_PATH_DOT_SEGMENT,
	HTTP_PATH_FAULT_COUNT
};

enum http_path_fault http_path_check(const char *target, size_t len);

/* What the fault is, for an error message ("" for HTTP_PATH_CANONICAL). */
const char	*http_path_fault_message(enum http_path_fault fault);

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
 * Whether host (as http_url_parse leaves it: IPv6 without brackets) is a
 * loopback literal — 127.0.0.0/8 in dotted-quad form, ::1 (or an IPv4-mapped
 * 127/8) — or the name localhost (any case; not "localhost.", which a
 * resolver may send to DNS). A name that merely resolves to loopback is
 * not: only these forms are known to stay on the machine.
 */
bool		http_host_is_loopback(const char *host);

/*
 * Percent-decode s[0..len) into out (NUL-terminated); '+' becomes a space when
 * plus_is_space (query strings). -1 on a malformed escape, %00, or a result
 * that does not fit in outlen.
 */
int		percent_decode(const char *s, size_t len, bool plus_is_space,
		    char *out, size_t outlen);

/*
 * Whether an Accept-Encoding value accepts coding (RFC 9110 §12.5.3): named
 * (any case) with a weight other than 0, or else "*" with one. A coding
 * named with q=0 is refused even when "*" would take it; a malformed weight
 * counts as 0 (the identity answer is always safe).
 */
bool		http_accepts_coding(const char *value, size_t len, const char *coding);

/*
 * Whether an If-None-Match value matches etag, a quoted entity-tag
 * ("\"abc\""): "*", or a listed tag equal to it by the weak comparison
 * (RFC 9110 §13.1.2, a W/ prefix ignored on either side).
 */
bool		http_etag_matches(const char *value, size_t len, const char *etag);

#endif
