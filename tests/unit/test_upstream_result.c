/*
 * tests/unit/test_upstream_result.c — the decisions every user of an
 * upstream exchange shares (worker/upstream_result.c): the one failover rule
 * (no answer, or 401/403/429/5xx, never once the body was taken), the
 * cooldown rule, how a failed attempt is told to a client (status and code,
 * by stage for a broken egress), the outcome status, and the egress's stages
 * and error kinds as the exchange's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "upstream_result.h"

static struct upstream_result
result(enum upstream_error error, enum upstream_stage stage, int status, bool proxied)
{
	struct upstream_result res;

	memset(&res, 0, sizeof(res));
	res.error = error;
	res.stage = stage;
	res.status = status;
	res.proxied = proxied;
	return res;
}

static bool
worth(enum upstream_error error, enum upstream_stage stage, int status)
{
	struct upstream_result res = result(error, stage, status, false);

	return upstream_worth_failing_over(&res);
}

static bool
before_request(enum upstream_error error, enum upstream_stage stage)
{
	struct upstream_result res = { .error = error, .stage = stage };

	return upstream_failed_before_request(&res);
}

static void
test_failed_before_request(void **state)
{
	(void)state;
	/* the egress stages: a pool's next member may carry the call */
	assert_true(before_request(UPSTREAM_ERR_DNS, UPSTREAM_STAGE_DNS));
	assert_true(before_request(UPSTREAM_ERR_CONNECT, UPSTREAM_STAGE_CONNECT));
	assert_true(before_request(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_PROXY_TLS));
	assert_true(before_request(UPSTREAM_ERR_PROXY_AUTH, UPSTREAM_STAGE_PROXY_HANDSHAKE));
	assert_true(before_request(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_TLS));
	assert_true(before_request(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_CONNECT));
	/* the request was written, or no proxy was tried: never */
	assert_false(before_request(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_RESPONSE));
	assert_false(before_request(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_RESPONSE));
	assert_false(before_request(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_BODY));
	assert_false(before_request(UPSTREAM_ERR_REFUSED, UPSTREAM_STAGE_RESOLVE));
	assert_false(before_request(UPSTREAM_ERR_BAD_URL, UPSTREAM_STAGE_ROUTE));
	assert_false(before_request(UPSTREAM_ERR_ABANDONED, UPSTREAM_STAGE_REQUEST));
	assert_false(before_request(UPSTREAM_OK, UPSTREAM_STAGE_DONE));
}

static void
test_no_answer_fails_over(void **state)
{
	(void)state;
	/* the assignment refused, SOCKS5 off: another connection may resolve otherwise */
	assert_true(worth(UPSTREAM_ERR_REFUSED, UPSTREAM_STAGE_RESOLVE, 0));
	assert_true(worth(UPSTREAM_ERR_SOCKS5_DISABLED, UPSTREAM_STAGE_RESOLVE, 0));
	/* every egress failure, a deadline included */
	assert_true(worth(UPSTREAM_ERR_DNS, UPSTREAM_STAGE_DNS, 0));
	assert_true(worth(UPSTREAM_ERR_CONNECT, UPSTREAM_STAGE_CONNECT, 0));
	assert_true(worth(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_PROXY_TLS, 0));
	assert_true(worth(UPSTREAM_ERR_PROXY, UPSTREAM_STAGE_PROXY_HANDSHAKE, 0));
	assert_true(worth(UPSTREAM_ERR_PROXY_AUTH, UPSTREAM_STAGE_PROXY_HANDSHAKE, 0));
	assert_true(worth(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_TLS, 0));
	assert_true(worth(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_CONNECT, 0));
	/* no head, or one that is not HTTP */
	assert_true(worth(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_RESPONSE, 0));
	assert_true(worth(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_RESPONSE, 0));
	assert_true(worth(UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_RESPONSE, 0));
}

static void
test_statuses_that_fail_over(void **state)
{
	static const int yes[] = { 401, 403, 429, 500, 502, 503, 504, 599 };
	static const int no[] = { 200, 204, 301, 400, 402, 404, 405, 409, 413, 422, 428,
	    430, 499 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(worth(UPSTREAM_ERR_STATUS, UPSTREAM_STAGE_RESPONSE, yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(worth(UPSTREAM_ERR_STATUS, UPSTREAM_STAGE_RESPONSE, no[i]));
}

static void
test_never_once_the_body_was_taken(void **state)
{
	(void)state;
	assert_false(worth(UPSTREAM_OK, UPSTREAM_STAGE_DONE, 200));
	assert_false(worth(UPSTREAM_OK, UPSTREAM_STAGE_DONE, 503));
	assert_false(worth(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_BODY, 200));
	assert_false(worth(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_BODY, 500));
	assert_false(worth(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_BODY, 200));
	assert_false(worth(UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_BODY, 200));
	assert_false(worth(UPSTREAM_ERR_TOO_LARGE, UPSTREAM_STAGE_BODY, 200));
}

static void
test_never_for_what_another_connection_shares(void **state)
{
	(void)state;
	/* the provider's URL is every connection's */
	assert_false(worth(UPSTREAM_ERR_BAD_URL, UPSTREAM_STAGE_ROUTE, 0));
	/* its user gave up */
	assert_false(worth(UPSTREAM_ERR_ABANDONED, UPSTREAM_STAGE_REQUEST, 0));
	assert_false(worth(UPSTREAM_ERR_ABANDONED, UPSTREAM_STAGE_BODY, 200));
}

static void
test_cooldown_statuses(void **state)
{
	(void)state;
	assert_true(upstream_status_rests_connection(401));
	assert_true(upstream_status_rests_connection(403));
	assert_true(upstream_status_rests_connection(429));
	assert_false(upstream_status_rests_connection(200));
	assert_false(upstream_status_rests_connection(404));
	assert_false(upstream_status_rests_connection(500));
	assert_false(upstream_status_rests_connection(503));
	assert_false(upstream_status_rests_connection(0));
}

static void
assert_reply(enum upstream_error error, enum upstream_stage stage, bool proxied,
    int want_status, const char *want_code)
{
	struct upstream_result res = result(error, stage, 0, proxied);
	const char *code = NULL;
	int status = 0;

	upstream_result_reply(&res, &status, &code);
	assert_int_equal(status, want_status);
	if (want_code == NULL)
		assert_null(code);
	else
		assert_string_equal(code, want_code);
}

static void
test_reply_of_a_refusal(void **state)
{
	(void)state;
	assert_reply(UPSTREAM_ERR_REFUSED, UPSTREAM_STAGE_RESOLVE, false, 503,
	    "PROXY_ASSIGNED_UNAVAILABLE");
	assert_reply(UPSTREAM_ERR_SOCKS5_DISABLED, UPSTREAM_STAGE_RESOLVE, true, 503,
	    "SOCKS5_DISABLED");
	assert_reply(UPSTREAM_ERR_BAD_URL, UPSTREAM_STAGE_ROUTE, false, 502,
	    "UPSTREAM_UNREACHABLE");
}

static void
test_reply_of_a_broken_egress_names_where(void **state)
{
	(void)state;
	/* direct: the way to the target */
	assert_reply(UPSTREAM_ERR_DNS, UPSTREAM_STAGE_DNS, false, 502,
	    "UPSTREAM_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_CONNECT, UPSTREAM_STAGE_CONNECT, false, 502,
	    "UPSTREAM_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_CONNECT, false, 504,
	    "UPSTREAM_UNREACHABLE");
	/* proxied: the proxy, whatever broke on the way to it or in it */
	assert_reply(UPSTREAM_ERR_DNS, UPSTREAM_STAGE_DNS, true, 502, "PROXY_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_CONNECT, UPSTREAM_STAGE_CONNECT, true, 502,
	    "PROXY_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_PROXY_TLS, true, 502,
	    "PROXY_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_PROXY, UPSTREAM_STAGE_PROXY_HANDSHAKE, true, 502,
	    "PROXY_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_PROXY_AUTH, UPSTREAM_STAGE_PROXY_HANDSHAKE, true, 502,
	    "PROXY_UNREACHABLE");
	assert_reply(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_PROXY_HANDSHAKE, true, 504,
	    "PROXY_UNREACHABLE");
	/* the target's TLS, through a proxy or not */
	assert_reply(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_TLS, false, 502, "UPSTREAM_TLS");
	assert_reply(UPSTREAM_ERR_TLS, UPSTREAM_STAGE_TLS, true, 502, "UPSTREAM_TLS");
	assert_reply(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_TLS, true, 504, "UPSTREAM_TLS");
}

static void
test_reply_of_a_bad_answer(void **state)
{
	(void)state;
	assert_reply(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_RESPONSE, true, 504,
	    "UPSTREAM_TIMEOUT");
	assert_reply(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_BODY, false, 504,
	    "UPSTREAM_TIMEOUT");
	assert_reply(UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_RESPONSE, true, 502,
	    "UPSTREAM_MALFORMED");
	assert_reply(UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_BODY, false, 502,
	    "UPSTREAM_MALFORMED");
	assert_reply(UPSTREAM_ERR_STATUS, UPSTREAM_STAGE_RESPONSE, true, 502,
	    "UPSTREAM_STATUS");
	assert_reply(UPSTREAM_ERR_TOO_LARGE, UPSTREAM_STAGE_BODY, false, 502,
	    "UPSTREAM_TOO_LARGE");
	assert_reply(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_RESPONSE, true, 502,
	    "UPSTREAM_CLOSED");
	assert_reply(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_BODY, false, 502,
	    "UPSTREAM_CLOSED");
}

static void
test_every_failure_has_an_error_status(void **state)
{
	int e, s;

	(void)state;
	for (e = UPSTREAM_OK + 1; e < UPSTREAM_ERR_COUNT; e++)
		for (s = 0; s < UPSTREAM_STAGE_COUNT; s++) {
			struct upstream_result res = result((enum upstream_error)e,
			    (enum upstream_stage)s, 0, s % 2 == 0);
			const char *code;
			int status = 0;

			upstream_result_reply(&res, &status, &code);
			assert_true(status >= 500 && status <= 504);
		}
}

static void
test_outcome_status(void **state)
{
	struct upstream_result res;

	(void)state;
	res = result(UPSTREAM_OK, UPSTREAM_STAGE_DONE, 200, false);
	assert_string_equal(upstream_outcome_status(&res), "success");
	res = result(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_CONNECT, 0, false);
	assert_string_equal(upstream_outcome_status(&res), "timeout");
	res = result(UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_BODY, 200, false);
	assert_string_equal(upstream_outcome_status(&res), "timeout");
	res = result(UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_BODY, 200, false);
	assert_string_equal(upstream_outcome_status(&res), "error");
	res = result(UPSTREAM_ERR_STATUS, UPSTREAM_STAGE_RESPONSE, 503, false);
	assert_string_equal(upstream_outcome_status(&res), "error");
	res = result(UPSTREAM_ERR_ABANDONED, UPSTREAM_STAGE_REQUEST, 0, false);
	assert_string_equal(upstream_outcome_status(&res), "error");
}

static void
test_stage_names(void **state)
{
	(void)state;
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_REQUEST), "request");
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_ROUTE), "route");
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_RESOLVE), "resolve");
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_RESPONSE), "response");
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_BODY), "body");
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_DONE), "done");
	assert_string_equal(upstream_stage_name(UPSTREAM_STAGE_COUNT), "?");
}

static void
test_egress_as_the_exchange(void **state)
{
	(void)state;
	/* the egress's stage names (proxy_logs keeps them) */
	assert_string_equal(upstream_stage_name(upstream_stage_of_egress(EGRESS_DNS)), "dns");
	assert_string_equal(upstream_stage_name(upstream_stage_of_egress(EGRESS_CONNECT)),
	    "connect");
	assert_string_equal(upstream_stage_name(upstream_stage_of_egress(EGRESS_PROXY_TLS)),
	    "proxy_tls");
	assert_string_equal(upstream_stage_name(upstream_stage_of_egress(
	    EGRESS_PROXY_HANDSHAKE)), "proxy_handshake");
	assert_string_equal(upstream_stage_name(upstream_stage_of_egress(EGRESS_TLS)), "tls");
	/* ready: the exchange awaits the answer */
	assert_int_equal(upstream_stage_of_egress(EGRESS_READY), UPSTREAM_STAGE_RESPONSE);
	assert_int_equal(upstream_error_of_egress(EGRESS_OK), UPSTREAM_OK);
	assert_int_equal(upstream_error_of_egress(EGRESS_ERR_DNS), UPSTREAM_ERR_DNS);
	assert_int_equal(upstream_error_of_egress(EGRESS_ERR_CONNECT), UPSTREAM_ERR_CONNECT);
	assert_int_equal(upstream_error_of_egress(EGRESS_ERR_TLS), UPSTREAM_ERR_TLS);
	assert_int_equal(upstream_error_of_egress(EGRESS_ERR_PROXY), UPSTREAM_ERR_PROXY);
	assert_int_equal(upstream_error_of_egress(EGRESS_ERR_PROXY_AUTH),
	    UPSTREAM_ERR_PROXY_AUTH);
	assert_int_equal(upstream_error_of_egress(EGRESS_ERR_TIMEOUT), UPSTREAM_ERR_TIMEOUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_answer_fails_over),
		cmocka_unit_test(test_failed_before_request),
		cmocka_unit_test(test_statuses_that_fail_over),
		cmocka_unit_test(test_never_once_the_body_was_taken),
		cmocka_unit_test(test_never_for_what_another_connection_shares),
		cmocka_unit_test(test_cooldown_statuses),
		cmocka_unit_test(test_reply_of_a_refusal),
		cmocka_unit_test(test_reply_of_a_broken_egress_names_where),
		cmocka_unit_test(test_reply_of_a_bad_answer),
		cmocka_unit_test(test_every_failure_has_an_error_status),
		cmocka_unit_test(test_outcome_status),
		cmocka_unit_test(test_stage_names),
		cmocka_unit_test(test_egress_as_the_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
