/*
 * common/oneproxy_feed.h — reading one page of the 1proxy free-proxy feed
 * (GET {ONEPROXY_API_URL}/api/v1/proxies/advanced, API.md "1proxy"), which is
 * data from the internet: a pure function from the page's bytes to the rows
 * worth importing, with every other row counted by the reason it was left.
 *
 * A page is one strict JSON object (RFC 8259, UTF-8 checked, at most 4 MiB,
 * nested at most 16 deep) whose "proxies" member is an array of at most the
 * page size asked for. Each row must carry:
 *   ip        an IP literal (no names: a name would be resolved by whoever
 *             dials it, so what it points at is not known at import), and a
 *             public one unless private addresses are allowed (see
 *             ip_literal_scope below)
 *   port      an integer 1..65535
 *   protocol  "http", "https" or "socks5" (any case); the registry can dial
 *             nothing else, so "socks4" and the rest are left out, and so is
 *             "socks5" while SOCKS5 is disabled
 * and may carry, each null or absent when unknown:
 *   country_code       two ASCII letters (stored upper-cased)
 *   quality_score      an integer 0..100
 *   latency_ms         an integer 0..3 600 000
 *   anonymity          up to 32 printable ASCII characters
 *   can_access_google  true/false or 0/1
 *   last_validated     an ISO 8601 time, "YYYY-MM-DDTHH:MM:SS", optional
 *                      fraction, then "Z", "+HH:MM", "-HH:MM" or nothing
 *                      (read as UTC); stored in UTC
 * Other members are ignored. A row below the quality threshold is left out
 * as "below threshold" (the threshold is enforced here, whatever the feed did
 * with the min_quality it was sent; a row without a score is imported only
 * when the threshold is 0). A broken row is left out as "failed" with its
 * reason; it never fails the page. A page that is not such an object fails
 * as a whole, with a message naming what was wrong.
 */
#ifndef OMNI_ONEPROXY_FEED_H
#define OMNI_ONEPROXY_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

#define ONEPROXY_PAGE_SIZE		100
#define ONEPROXY_PAGE_MAX_BYTES		(4u * 1024 * 1024)
#define ONEPROXY_ANONYMITY_MAX		32
#define ONEPROXY_LATENCY_MAX_MS		3600000

/* What an IP literal is, for the rule that the feed may only add public ones. */
enum ip_scope {
	IP_SCOPE_PUBLIC = 0,
	IP_SCOPE_LOOPBACK,
	IP_SCOPE_PRIVATE,	/* RFC 1918, unique local fc00::/7 */
	IP_SCOPE_LINK_LOCAL,
	IP_SCOPE_SHARED,	/* carrier-grade NAT 100.64.0.0/10 */
	IP_SCOPE_MULTICAST,
	IP_SCOPE_UNSPECIFIED,	/* 0.0.0.0/8, :: */
	IP_SCOPE_DOCUMENTATION,
	IP_SCOPE_RESERVED,	/* 240/4, broadcast, benchmarking, IETF, NAT64, ... */
	IP_SCOPE_NOT_IP,	/* not an IP literal at all */
};

/* Where text[0..len) (an IP literal, IPv6 without brackets) belongs. */
enum ip_scope	 ip_literal_scope(const char *text, size_t len);
/* "loopback", "private", ... for messages; "public" for IP_SCOPE_PUBLIC. */
const char	*ip_scope_name(enum ip_scope scope);

struct oneproxy_row {
	char		 host[46];		/* the literal, IPv6 without brackets */
	uint16_t	 port;
	enum proxy_type	 type;
	char		 country_code[3];	/* "" when unknown */
	int		 quality_score;		/* -1 when unknown */
	int		 latency_ms;		/* -1 when unknown */
	char		 anonymity[ONEPROXY_ANONYMITY_MAX + 1];	/* "" when unknown */
	int		 google_access;		/* -1 unknown, 0, 1 */
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ", "" when unknown; and as seconds since
	 * the epoch (0 when unknown), for comparing with a degradation time */
	char		 last_validated[48];
	int64_t		 last_validated_epoch;
};

struct oneproxy_policy {
	int		 min_quality;		/* 0..100 */
	bool		 allow_private;		/* ONEPROXY_ALLOW_PRIVATE */
	bool		 refuse_socks5;		/* ENABLE_SOCKS5_PROXY=false */
	size_t		 page_size;		/* rows asked for (1..ONEPROXY_PAGE_SIZE) */
};

/* Why rows were left out (the first reason of each kind is kept, for the note). */
struct oneproxy_page {
	struct oneproxy_row	 rows[ONEPROXY_PAGE_SIZE];
	size_t			 nrows;		/* rows to import */
	size_t			 received;	/* rows the page held */
	size_t			 below_threshold;
	size_t			 failed;	/* broken or not allowed */
	char			 first_failure[160];	/* "row 3: ip: is a private address" */
};

/*
 * Parse body[0..len) as one page under policy. 0 and *page filled; or -1 and
 * err (errlen bytes) says what was wrong with the page as a whole, in words
 * that never quote more than a few bytes of the body.
 */
int	oneproxy_feed_parse(const char *body, size_t len,
	    const struct oneproxy_policy *policy, struct oneproxy_page *page,
	    char *err, size_t errlen);

/*
 * The registry name of an imported row: "<PROTOCOL> - <CC or Unknown> - <ip>"
 * (as OmniRoute names them). out must hold 80 bytes.
 */
void	oneproxy_row_name(const struct oneproxy_row *row, char *out, size_t outlen);

#endif
