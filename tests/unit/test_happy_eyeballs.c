/*
 * tests/unit/test_happy_eyeballs.c — tests of the order in which egress races
 * a name's addresses (dns_order_for_racing in worker/dns.c, RFC 8305 §4):
 * IPv4 only, IPv6 only, mixed in either resolver order, many of each (the
 * families still alternate and the cut at DNS_MAX_ADDRS keeps both), IPv4
 * preferred, foreign families dropped, ports and lengths carried along; and
 * the happy_eyeballs_delay_ms setting (common/config.c): its default, the
 * file key, the environment variable and its bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "config.h"
#include "dns.h"

#define MAX_IN	32

/* Addresses to order, built from text: "v4 a.b.c.d" or "v6 ::x", port 443. */
struct input {
	struct sockaddr_storage	 addrs[MAX_IN];
	socklen_t		 lens[MAX_IN];
	size_t			 count;
};

static void
add(struct input *in, const char *text)
{
	struct sockaddr_storage *ss = &in->addrs[in->count];
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	assert_true(in->count < MAX_IN);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(443);
		in->lens[in->count++] = sizeof(*sin);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(443);
	in->lens[in->count++] = sizeof(*sin6);
}

/* The answer as "a b c" (addresses in order), checking lengths and ports. */
static const char *
render(const struct dns_answer *a)
{
	static char out[1024];
	char one[INET6_ADDRSTRLEN];
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < a->count; i++) {
		const struct sockaddr_storage *ss = &a->addrs[i];
		if (ss->ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
			assert_int_equal(a->lens[i], sizeof(*sin));
			assert_int_equal(ntohs(sin->sin_port), 443);
			inet_ntop(AF_INET, &sin->sin_addr, one, sizeof(one));
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
			assert_int_equal(ss->ss_family, AF_INET6);
			assert_int_equal(a->lens[i], sizeof(*sin6));
			assert_int_equal(ntohs(sin6->sin6_port), 443);
			inet_ntop(AF_INET6, &sin6->sin6_addr, one, sizeof(one));
		}
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
		    i > 0 ? " " : "", one);
	}
	return out;
}

static const char *
order(const struct input *in, int first_family)
{
	static struct dns_answer a;

	memset(&a, 0xa5, sizeof(a));	/* the function must not rely on out's contents */
	dns_order_for_racing(in->addrs, in->lens, in->count, first_family, &a);
	assert_true(a.count <= DNS_MAX_ADDRS);
	return render(&a);
}

static void
test_nothing(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	assert_string_equal(order(&in, AF_INET6), "");
}

static void
test_ipv4_only_keeps_the_resolver_order(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	add(&in, "192.0.2.3");
	add(&in, "192.0.2.1");
	add(&in, "192.0.2.2");
	assert_string_equal(order(&in, AF_INET6), "192.0.2.3 192.0.2.1 192.0.2.2");
}

static void
test_ipv6_only_keeps_the_resolver_order(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	add(&in, "2001:db8::2");
	add(&in, "2001:db8::1");
	assert_string_equal(order(&in, AF_INET6), "2001:db8::2 2001:db8::1");
}

static void
test_one_of_each_puts_ipv6_first(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	/* what c-ares answers for a hosts file with 127.0.0.1 before ::1 */
	add(&in, "127.0.0.1");
	add(&in, "::1");
	assert_string_equal(order(&in, AF_INET6), "::1 127.0.0.1");
}

static void
test_mixed_families_alternate(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	/* IPv4 block then IPv6 block, as dns.c used to hand them over */
	add(&in, "192.0.2.1");
	add(&in, "192.0.2.2");
	add(&in, "2001:db8::1");
	add(&in, "2001:db8::2");
	assert_string_equal(order(&in, AF_INET6),
	    "2001:db8::1 192.0.2.1 2001:db8::2 192.0.2.2");
	/* already interleaved, starting with IPv4 */
	memset(&in, 0, sizeof(in));
	add(&in, "192.0.2.1");
	add(&in, "2001:db8::1");
	add(&in, "192.0.2.2");
	add(&in, "2001:db8::2");
	assert_string_equal(order(&in, AF_INET6),
	    "2001:db8::1 192.0.2.1 2001:db8::2 192.0.2.2");
}

static void
test_the_longer_family_finishes_the_list(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	add(&in, "2001:db8::1");
	add(&in, "192.0.2.1");
	add(&in, "192.0.2.2");
	add(&in, "192.0.2.3");
	assert_string_equal(order(&in, AF_INET6),
	    "2001:db8::1 192.0.2.1 192.0.2.2 192.0.2.3");
	memset(&in, 0, sizeof(in));
	add(&in, "192.0.2.1");
	add(&in, "2001:db8::1");
	add(&in, "2001:db8::2");
	add(&in, "2001:db8::3");
	assert_string_equal(order(&in, AF_INET6),
	    "2001:db8::1 192.0.2.1 2001:db8::2 2001:db8::3");
}

static void
test_many_of_each_keeps_both_families_in_the_cut(void **state)
{
	struct input in = { .count = 0 };
	char text[64];
	int i;

	(void)state;
	/* ten IPv4 then ten IPv6: a first-come cut at 8 would keep no IPv6 */
	for (i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		add(&in, text);
	}
	for (i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "2001:db8::%d", i);
		add(&in, text);
	}
	assert_int_equal(DNS_MAX_ADDRS, 8);
	assert_string_equal(order(&in, AF_INET6),
	    "2001:db8::1 192.0.2.1 2001:db8::2 192.0.2.2 "
	    "2001:db8::3 192.0.2.3 2001:db8::4 192.0.2.4");
}

static void
test_ipv4_can_be_preferred(void **state)
{
	struct input in = { .count = 0 };

	(void)state;
	add(&in, "2001:db8::1");
	add(&in, "2001:db8::2");
	add(&in, "192.0.2.1");
	assert_string_equal(order(&in, AF_INET),
	    "192.0.2.1 2001:db8::1 2001:db8::2");
}

static void
test_other_families_are_dropped(void **state)
{
	struct input in = { .count = 0 };
	struct sockaddr_un *sun;

	(void)state;
	add(&in, "192.0.2.1");
	sun = (struct sockaddr_un *)&in.addrs[in.count];
	memset(&in.addrs[in.count], 0, sizeof(in.addrs[in.count]));
	sun->sun_family = AF_UNIX;
	in.lens[in.count++] = sizeof(*sun);
	add(&in, "2001:db8::1");
	assert_string_equal(order(&in, AF_INET6), "2001:db8::1 192.0.2.1");
}

/* ---- the setting ----------------------------------------------------------- */

static void
test_delay_setting(void **state)
{
	struct config cfg;
	char err[512];

	(void)state;
	unsetenv("OMNIROUTE_HAPPY_EYEBALLS_DELAY_MS");
	config_defaults(&cfg);
	assert_int_equal(cfg.happy_eyeballs_delay_ms, 250);	/* RFC 8305 §5 */
	assert_int_equal(config_parse_text(&cfg, "happy_eyeballs_delay_ms = 100\n",
	    "t.conf", err, sizeof(err)), 0);
	assert_int_equal(cfg.happy_eyeballs_delay_ms, 100);
	/* RFC 8305 §5: never below 10 ms */
	assert_int_equal(config_parse_text(&cfg, "happy_eyeballs_delay_ms = 9\n",
	    "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: happy_eyeballs_delay_ms must be an "
	    "integer from 10 to 600000, not '9'");
	assert_int_equal(setenv("OMNIROUTE_HAPPY_EYEBALLS_DELAY_MS", "400", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(cfg.happy_eyeballs_delay_ms, 400);
	unsetenv("OMNIROUTE_HAPPY_EYEBALLS_DELAY_MS");
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_ipv4_only_keeps_the_resolver_order),
		cmocka_unit_test(test_ipv6_only_keeps_the_resolver_order),
		cmocka_unit_test(test_one_of_each_puts_ipv6_first),
		cmocka_unit_test(test_mixed_families_alternate),
		cmocka_unit_test(test_the_longer_family_finishes_the_list),
		cmocka_unit_test(test_many_of_each_keeps_both_families_in_the_cut),
		cmocka_unit_test(test_ipv4_can_be_preferred),
		cmocka_unit_test(test_other_families_are_dropped),
		cmocka_unit_test(test_delay_setting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
