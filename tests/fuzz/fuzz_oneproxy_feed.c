/*
 * tests/fuzz/fuzz_oneproxy_feed.c — libFuzzer target for the 1proxy feed
 * page reader (common/oneproxy_feed.c): the feed is data from the internet.
 * Each input is read as a page under two policies (public only with the
 * default threshold; private allowed, no threshold, a small page) and the
 * promises the sync relies on are checked; any broken one aborts:
 *   - a page either fails with a message or accounts for every row it held
 *     (imported + below threshold + failed = received <= page size);
 *   - every imported row has an IP literal host of an allowed scope, a port,
 *     a dialable type, a score meeting the threshold and printable text;
 *   - the first failure is said when a row failed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oneproxy_feed.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void
read_under(const uint8_t *data, size_t size, const struct oneproxy_policy *policy)
{
	static struct oneproxy_page page;
	char err[200];
	size_t i;

	err[0] = '\0';
	if (oneproxy_feed_parse((const char *)data, size, policy, &page, err, sizeof(err)) != 0) {
		check(err[0] != '\0' && strlen(err) < sizeof(err));
		return;
	}
	check(page.received <= policy->page_size);
	check(page.nrows + page.below_threshold + page.failed == page.received);
	check((page.failed == 0) == (page.first_failure[0] == '\0'));
	for (i = 0; i < page.nrows; i++) {
		const struct oneproxy_row *row = &page.rows[i];
		enum ip_scope scope = ip_literal_scope(row->host, strlen(row->host));
		char name[80];

		check(scope != IP_SCOPE_NOT_IP);
		check(policy->allow_private || scope == IP_SCOPE_PUBLIC);
		check(row->port >= 1);
		check(row->type == PROXY_TYPE_HTTP || row->type == PROXY_TYPE_HTTPS ||
		    (row->type == PROXY_TYPE_SOCKS5 && !policy->refuse_socks5));
		check(policy->min_quality == 0 || row->quality_score >= policy->min_quality);
		check(row->quality_score >= -1 && row->quality_score <= 100);
		check(printable(row->anonymity) && printable(row->country_code) &&
		    printable(row->last_validated));
		check((row->last_validated[0] == '\0') == (row->last_validated_epoch == 0));
		oneproxy_row_name(row, name, sizeof(name));
		check(printable(name));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct oneproxy_policy public_only = { 50, false, false, 100 };
	static const struct oneproxy_policy small_private = { 0, true, true, 3 };

	read_under(data, size, &public_only);
	read_under(data, size, &small_private);
	return 0;
}
