/*
 * common/proxy_fields.h — the rules a proxy record must meet to be dialled,
 * in one pure function every entry point calls (proxy add and update, bulk
 * import, backup restore, the scoped settings, the legacy migration), and
 * the host parser it and the URL parsers (proxy URLs, provider base URLs)
 * share.
 *
 * A host is one of:
 *   - an IPv4 address, strictly dotted-quad: four decimal octets 0..255, no
 *     leading zeros ("010.1.1.1" would be octal to inet_aton and decimal to
 *     a human: refused), no short forms ("1.2.3", "127.1"): refused;
 *   - an IPv6 literal, as inet_pton reads it, with or without brackets
 *     ("::1", "[::1]"; the record stores it without); no zone ("%eth0");
 *   - a DNS name: labels of 1..63 letters, digits, '-' and '_' (not starting
 *     or ending with '-'), at most 253 bytes without one optional trailing
 *     dot; a name whose last label is all digits is not a name (it reads as
 *     a mistyped IPv4 address: "999.999.999.999", "1.2.3") and is refused.
 * Nothing else: no spaces, no scheme, no path, no port, no control bytes.
 */
#ifndef OMNI_PROXY_FIELDS_H
#define OMNI_PROXY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

enum host_kind {
	HOST_INVALID,
	HOST_IPV4,
	HOST_IPV6,	/* *bare_at / *bare_len give it without brackets */
	HOST_NAME,
};

#define HOST_NAME_MAX_BYTES	253	/* without a trailing dot */
#define HOST_LABEL_MAX_BYTES	63
#define PROXY_NAME_MAX_BYTES	120
#define PROXY_HOST_MAX_BYTES	255
#define PROXY_CREDENTIAL_MAX_BYTES 255	/* RFC 1929: one length byte each */

/*
 * Classify host[0..len). On HOST_INVALID *why (if given) is a static reason
 * ("has a port", "is not a valid IPv4 address", ...). bare_off/bare_len (if
 * given) locate the host without IPv6 brackets.
 */
enum host_kind host_classify(const char *host, size_t len, const char **why,
	    size_t *bare_off, size_t *bare_len);

/*
 * A proxy record as the rules see it: every field of the record as it will
 * be stored (for an update, the stored record with the change applied).
 * Strings are byte strings with lengths (they may hold NUL: refused); a NULL
 * pointer is an empty field. port < 0: not known (not checked).
 */
struct proxy_fields {
	const char	*name;
	size_t		 name_len;
	const char	*type;		/* "http", "https", "socks5"; NULL = http */
	const char	*host;
	size_t		 host_len;
	long long	 port;
	const char	*username;
	size_t		 username_len;
	const char	*password;
	size_t		 password_len;
	bool		 check_name;	/* false: the name is made up by the master */
};

/*
 * One broken rule: the field it concerns and why, as static text that
 * follows the field's name ("host" "must not have a port").
 */
struct proxy_field_problem {
	const char	*field;		/* "name", "host", "port", "username", ... */
	const char	*message;
};

#define PROXY_FIELD_PROBLEMS_MAX 8

/*
 * Check a record against every rule; fills up to max problems, returns how
 * many rules are broken (0: the record can be dialled).
 */
size_t	proxy_fields_check(const struct proxy_fields *f,
	    struct proxy_field_problem *out, size_t max);

#endif
