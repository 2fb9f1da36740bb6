/*
 * common/oneproxy_feed.c — see oneproxy_feed.h. The page is validated by
 * the strict scanner and read by json-c (json_parse_document_why); each row
 * then goes through a table of member rules, and its address through a table
 * of special-purpose ranges (RFC 6890 and its updates).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "oneproxy_feed.h"
#include "proxy_fields.h"
#include "reply.h"
#include "util.h"

/* page → proxies → row → the row's own members: members the reader ignores
 * may nest (the size cap bounds the work); json-c counts one level more */
#define FEED_JSON_DEPTH		16

/* ---- address scopes --------------------------------------------------- */

struct ip_range {
	int		 family;
	unsigned char	 prefix[16];
	unsigned	 bits;
	enum ip_scope	 scope;
};

/* The first matching range wins: more specific ranges come first. */
static const struct ip_range special_ranges[] = {
	{ AF_INET, { 0 }, 8, IP_SCOPE_UNSPECIFIED },
	{ AF_INET, { 10 }, 8, IP_SCOPE_PRIVATE },
	{ AF_INET, { 100, 64 }, 10, IP_SCOPE_SHARED },
	{ AF_INET, { 127 }, 8, IP_SCOPE_LOOPBACK },
	{ AF_INET, { 169, 254 }, 16, IP_SCOPE_LINK_LOCAL },
	{ AF_INET, { 172, 16 }, 12, IP_SCOPE_PRIVATE },
	{ AF_INET, { 192, 0, 0 }, 24, IP_SCOPE_RESERVED },
	{ AF_INET, { 192, 0, 2 }, 24, IP_SCOPE_DOCUMENTATION },
	{ AF_INET, { 192, 88, 99 }, 24, IP_SCOPE_RESERVED },
	{ AF_INET, { 192, 168 }, 16, IP_SCOPE_PRIVATE },
	{ AF_INET, { 198, 18 }, 15, IP_SCOPE_RESERVED },
	{ AF_INET, { 198, 51, 100 }, 24, IP_SCOPE_DOCUMENTATION },
	{ AF_INET, { 203, 0, 113 }, 24, IP_SCOPE_DOCUMENTATION },
	{ AF_INET, { 224 }, 4, IP_SCOPE_MULTICAST },
	{ AF_INET, { 240 }, 4, IP_SCOPE_RESERVED },	/* and 255.255.255.255 */
	{ AF_INET6, { 0 }, 128, IP_SCOPE_UNSPECIFIED },
	{ AF_INET6, { [15] = 1 }, 128, IP_SCOPE_LOOPBACK },
	{ AF_INET6, { 0 }, 96, IP_SCOPE_RESERVED },	/* IPv4-compatible */
	{ AF_INET6, { 0x00, 0x64, 0xff, 0x9b }, 32, IP_SCOPE_RESERVED },	/* NAT64 */
	{ AF_INET6, { 0x01 }, 64, IP_SCOPE_RESERVED },	/* discard-only */
	{ AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 }, 32, IP_SCOPE_DOCUMENTATION },
	{ AF_INET6, { 0x20, 0x01 }, 23, IP_SCOPE_RESERVED },	/* IETF, Teredo */
	{ AF_INET6, { 0x20, 0x02 }, 16, IP_SCOPE_RESERVED },	/* 6to4 */
	{ AF_INET6, { 0x3f, 0xff }, 20, IP_SCOPE_DOCUMENTATION },
	{ AF_INET6, { 0xfc }, 7, IP_SCOPE_PRIVATE },
	{ AF_INET6, { 0xfe, 0x80 }, 10, IP_SCOPE_LINK_LOCAL },
	{ AF_INET6, { 0xfe, 0xc0 }, 10, IP_SCOPE_RESERVED },	/* site-local */
	{ AF_INET6, { 0xff }, 8, IP_SCOPE_MULTICAST },
};

static const char *const ip_scope_names[] = {
	[IP_SCOPE_PUBLIC] = "public",
	[IP_SCOPE_LOOPBACK] = "loopback",
	[IP_SCOPE_PRIVATE] = "private",
	[IP_SCOPE_LINK_LOCAL] = "link-local",
	[IP_SCOPE_SHARED] = "shared (carrier-grade NAT)",
	[IP_SCOPE_MULTICAST] = "multicast",
	[IP_SCOPE_UNSPECIFIED] = "unspecified",
	[IP_SCOPE_DOCUMENTATION] = "documentation",
	[IP_SCOPE_RESERVED] = "reserved",
	[IP_SCOPE_NOT_IP] = "not an IP address",
};

/* Why a row's address is not imported while ONEPROXY_ALLOW_PRIVATE is off. */
static const char *const ip_scope_refusals[] = {
	[IP_SCOPE_PUBLIC] = NULL,
	[IP_SCOPE_LOOPBACK] = "is a loopback address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_PRIVATE] = "is a private address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_LINK_LOCAL] = "is a link-local address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_SHARED] = "is a shared (carrier-grade NAT) address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_MULTICAST] = "is a multicast address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_UNSPECIFIED] = "is an unspecified address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_DOCUMENTATION] = "is a documentation address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_RESERVED] = "is a reserved address (ONEPROXY_ALLOW_PRIVATE is off)",
	[IP_SCOPE_NOT_IP] = "is not an IP address (names are not imported)",
};

const char *
ip_scope_name(enum ip_scope scope)
{
	return ip_scope_names[scope];
}

static bool
prefix_matches(const unsigned char *addr, const unsigned char *prefix, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(addr, prefix, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr[whole] ^ prefix[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static enum ip_scope
scope_of(int family, const unsigned char *addr)
{
	static const unsigned char v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	size_t i;

	if (family == AF_INET6 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0)
		return scope_of(AF_INET, addr + 12);
	for (i = 0; i < sizeof(special_ranges) / sizeof(special_ranges[0]); i++)
		if (special_ranges[i].family == family &&
		    prefix_matches(addr, special_ranges[i].prefix, special_ranges[i].bits))
			return special_ranges[i].scope;
	/* of IPv6 only 2000::/3 is global unicast */
	if (family == AF_INET6 && (addr[0] & 0xe0) != 0x20)
		return IP_SCOPE_RESERVED;
	return IP_SCOPE_PUBLIC;
}

enum ip_scope
ip_literal_scope(const char *text, size_t len)
{
	unsigned char addr[16];
	char buf[64];
	enum host_kind kind;
	size_t off, bare;

	kind = host_classify(text, len, NULL, &off, &bare);
	if ((kind != HOST_IPV4 && kind != HOST_IPV6) || bare >= sizeof(buf))
		return IP_SCOPE_NOT_IP;
	memcpy(buf, text + off, bare);
	buf[bare] = '\0';
	if (inet_pton(kind == HOST_IPV4 ? AF_INET : AF_INET6, buf, addr) != 1)
		return IP_SCOPE_NOT_IP;
	return scope_of(kind == HOST_IPV4 ? AF_INET : AF_INET6, addr);
}

/* ---- rows -------------------------------------------------------------- */

/* A member rule: read v (never NULL, never JSON null) into row, or say why not. */
typedef const char *(*member_reader)(struct json_object *v, struct oneproxy_row *row,
    const struct oneproxy_policy *policy);

static bool
integer_in(struct json_object *v, int64_t min, int64_t max, int64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= min && *out <= max;
}

static const char *
read_ip(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v), off, bare;
	enum ip_scope scope;

	if (!json_object_is_type(v, json_type_string))
		return "must be a string";
	scope = ip_literal_scope(s, len);
	if (scope == IP_SCOPE_NOT_IP)
		return ip_scope_refusals[scope];
	if (scope != IP_SCOPE_PUBLIC && !policy->allow_private)
		return ip_scope_refusals[scope];
	host_classify(s, len, NULL, &off, &bare);
	if (bare >= sizeof(row->host))
		return "is too long";
	memcpy(row->host, s + off, bare);
	row->host[bare] = '\0';
	return NULL;
}

static const char *
read_port(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	int64_t n;

	(void)policy;
	if (!integer_in(v, 1, 65535, &n))
		return "must be an integer 1..65535";
	row->port = (uint16_t)n;
	return NULL;
}

static const char *
read_protocol(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	char lower[8];
	const char *s = json_object_get_string(v);
	size_t i, len = (size_t)json_object_get_string_len(v);

	if (!json_object_is_type(v, json_type_string) || len == 0 || len >= sizeof(lower))
		return "must be http, https or socks5";
	for (i = 0; i < len; i++)
		lower[i] = (char)tolower((unsigned char)s[i]);
	lower[len] = '\0';
	if (strlen(s) != len || !proxy_type_parse(lower, &row->type))
		return "must be http, https or socks5 (other kinds cannot be dialled)";
	if (row->type == PROXY_TYPE_SOCKS5 && policy->refuse_socks5)
		return "is socks5, and SOCKS5 proxy is disabled";
	return NULL;
}

static const char *
read_country(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	const char *s = json_object_get_string(v);

	(void)policy;
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) != 2 ||
	    !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]) ||
	    (unsigned char)s[0] > 0x7f || (unsigned char)s[1] > 0x7f)
		return "must be two letters";
	row->country_code[0] = (char)toupper((unsigned char)s[0]);
	row->country_code[1] = (char)toupper((unsigned char)s[1]);
	row->country_code[2] = '\0';
	return NULL;
}

static const char *
read_quality(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	int64_t n;

	(void)policy;
	if (!integer_in(v, 0, 100, &n))
		return "must be an integer 0..100";
	row->quality_score = (int)n;
	return NULL;
}

static const char *
read_latency(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	int64_t n;

	(void)policy;
	if (!integer_in(v, 0, ONEPROXY_LATENCY_MAX_MS, &n))
		return "must be an integer 0..3600000";
	row->latency_ms = (int)n;
	return NULL;
}

static const char *
read_anonymity(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	const char *s = json_object_get_string(v);
	size_t i, len = (size_t)json_object_get_string_len(v);

	(void)policy;
	if (!json_object_is_type(v, json_type_string) || len > ONEPROXY_ANONYMITY_MAX)
		return "must be a string of at most 32 characters";
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return "must be printable ASCII";
	memcpy(row->anonymity, s, len);
	row->anonymity[len] = '\0';
	return NULL;
}

static const char *
read_google(struct json_object *v, struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	int64_t n;

	(void)policy;
	if (json_object_is_type(v, json_type_boolean))
		row->google_access = json_object_get_boolean(v) ? 1 : 0;
	else if (integer_in(v, 0, 1, &n))
		row->google_access = (int)n;
	else
		return "must be true, false, 0 or 1";
	return NULL;
}

static const char *
read_last_validated(struct json_object *v, struct oneproxy_row *row,
    const struct oneproxy_policy *policy)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	enum iso_zone zone;
	int64_t t;
	struct tm tm;
	time_t tt;

	(void)policy;
	if (!json_object_is_type(v, json_type_string) ||
	    (t = iso8601_seconds(s, len, &zone)) <= 0)
		return "must be an ISO 8601 time (2026-05-20T12:00:00Z; no zone is UTC)";
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return "must be an ISO 8601 time (2026-05-20T12:00:00Z; no zone is UTC)";
	row->last_validated_epoch = t;
	snprintf(row->last_validated, sizeof(row->last_validated),
	    "%04d-%02d-%02dT%02d:%02d:%02d.000Z", (tm.tm_year + 1900) % 10000,
	    (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100,
	    tm.tm_min % 100, tm.tm_sec % 100);
	return NULL;
}

static const struct {
	const char	*name;
	bool		 required;
	member_reader	 read;
} row_members[] = {
	{ "ip", true, read_ip },
	{ "port", true, read_port },
	{ "protocol", true, read_protocol },
	{ "country_code", false, read_country },
	{ "quality_score", false, read_quality },
	{ "latency_ms", false, read_latency },
	{ "anonymity", false, read_anonymity },
	{ "can_access_google", false, read_google },
	{ "last_validated", false, read_last_validated },
};

/* Read one row; NULL when it is whole, else why not (field named in *field). */
static const char *
read_row(struct json_object *o, struct oneproxy_row *row,
    const struct oneproxy_policy *policy, const char **field)
{
	size_t i;

	memset(row, 0, sizeof(*row));
	row->quality_score = -1;
	row->latency_ms = -1;
	row->google_access = -1;
	*field = "row";
	if (!json_object_is_type(o, json_type_object))
		return "must be an object";
	for (i = 0; i < sizeof(row_members) / sizeof(row_members[0]); i++) {
		struct json_object *v = NULL;
		const char *why;

		*field = row_members[i].name;
		if (!json_object_object_get_ex(o, row_members[i].name, &v) || v == NULL) {
			if (row_members[i].required)
				return "is required";
			continue;
		}
		if ((why = row_members[i].read(v, row, policy)) != NULL)
			return why;
	}
	return NULL;
}

static bool
below_threshold(const struct oneproxy_row *row, const struct oneproxy_policy *policy)
{
	if (policy->min_quality <= 0)
		return false;
	return row->quality_score < policy->min_quality;	/* unknown (-1) too */
}

int
oneproxy_feed_parse(const char *body, size_t len, const struct oneproxy_policy *policy,
    struct oneproxy_page *page, char *err, size_t errlen)
{
	struct json_object *doc, *proxies;
	size_t i, n, page_size;
	char why[120];

	memset(page, 0, sizeof(*page));
	page_size = policy->page_size == 0 || policy->page_size > ONEPROXY_PAGE_SIZE ?
	    ONEPROXY_PAGE_SIZE : policy->page_size;
	if (len > ONEPROXY_PAGE_MAX_BYTES) {
		snprintf(err, errlen, "feed page is larger than %u bytes",
		    ONEPROXY_PAGE_MAX_BYTES);
		return -1;
	}
	if ((doc = json_parse_document_why(body, len, FEED_JSON_DEPTH, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "feed page is not valid JSON (%s)", why);
		return -1;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "feed page is not a JSON object");
		json_object_put(doc);
		return -1;
	}
	if (!json_object_object_get_ex(doc, "proxies", &proxies) ||
	    !json_object_is_type(proxies, json_type_array)) {
		snprintf(err, errlen, "feed page has no \"proxies\" array");
		json_object_put(doc);
		return -1;
	}
	n = json_object_array_length(proxies);
	if (n > page_size) {
		snprintf(err, errlen, "feed page holds %zu rows; %zu were asked for", n, page_size);
		json_object_put(doc);
		return -1;
	}
	page->received = n;
	for (i = 0; i < n; i++) {
		struct oneproxy_row *row = &page->rows[page->nrows];
		const char *field, *problem;

		problem = read_row(json_object_array_get_idx(proxies, i), row, policy, &field);
		if (problem != NULL) {
			if (page->failed++ == 0)
				snprintf(page->first_failure, sizeof(page->first_failure),
				    "row %zu: %s %s", i + 1, field, problem);
			continue;
		}
		if (below_threshold(row, policy)) {
			page->below_threshold++;
			continue;
		}
		page->nrows++;
	}
	json_object_put(doc);
	return 0;
}

void
oneproxy_row_name(const struct oneproxy_row *row, char *out, size_t outlen)
{
	char protocol[8];
	const char *t = proxy_type_name(row->type);
	size_t i;

	for (i = 0; t[i] != '\0' && i + 1 < sizeof(protocol); i++)
		protocol[i] = (char)toupper((unsigned char)t[i]);
	protocol[i] = '\0';
	snprintf(out, outlen, "%s - %s - %s", protocol,
	    row->country_code[0] != '\0' ? row->country_code : "Unknown", row->host);
}
