/*
 * tests/unit/test_outcome_batch.c — how a worker folds attempt outcomes into
 * the rows it sends the master (common/outcome_batch.c): identical attempts
 * share a row with a call count, mean latency, summed bytes and the mean
 * setup time of the new egresses among them; any field or
 * error that differs (an empty string counting as none) makes a new row; a
 * full batch says so; the JSON rows have the column order the master reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "outcome_batch.h"

static struct outcome_batch batch;

static struct outcome
success(const char *proxy, uint64_t latency, uint64_t bytes)
{
	struct outcome o = {
		.key = {
			[OC_STATUS] = "success", [OC_PROXY_ID] = proxy, [OC_LEVEL] = "global",
			[OC_LEVEL_ID] = NULL, [OC_PROVIDER] = "openai", [OC_MODEL] = "gpt-4o",
			[OC_CONNECTION_ID] = "c1", [OC_COMBO_ID] = "", [OC_STAGE] = "done",
		},
		.latency_ms = latency, .bytes = bytes,
	};
	return o;
}

static const char *
rows_json(void)
{
	static char text[8192];
	struct json_object *rows = outcome_batch_rows(&batch);

	if (rows == NULL)
		return NULL;
	strncpy(text, json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PLAIN),
	    sizeof(text) - 1);
	json_object_put(rows);
	return text;
}

static int
teardown(void **state)
{
	(void)state;
	outcome_batch_clear(&batch);
	return 0;
}

static void
test_empty_batch_has_no_rows(void **state)
{
	(void)state;
	assert_null(rows_json());
}

static void
test_identical_successes_fold(void **state)
{
	struct outcome a = success("p1", 10, 100), b = success("p1", 21, 50);

	(void)state;
	/* a and one b set up a new egress (1000 µs, 1501 µs); the other b
	 * reused a pooled one */
	a.connected = true;
	a.connect_us = 1000;
	assert_false(outcome_batch_add(&batch, &a));
	assert_false(outcome_batch_add(&batch, &b));
	b.connected = true;
	b.connect_us = 1501;
	assert_false(outcome_batch_add(&batch, &b));
	assert_int_equal(batch.nrows, 1);
	assert_int_equal(batch.calls, 3);
	/* mean latency (10+21+21)/3 = 17.33 → 17; bytes summed; calls; the
	 * mean setup time over the 2 new egresses (1250.5 → 1251) and 2 */
	assert_string_equal(rows_json(), "[[\"success\",\"p1\",\"global\",null,\"openai\","
	    "\"gpt-4o\",\"c1\",null,\"done\",17,200,null,3,1251,2]]");
}

static void
test_any_differing_field_makes_a_row(void **state)
{
	struct outcome base = success("p1", 5, 1);
	size_t field;

	(void)state;
	assert_false(outcome_batch_add(&batch, &base));
	for (field = 0; field < OUTCOME_KEY_FIELDS; field++) {
		struct outcome o = success("p1", 5, 1);
		o.key[field] = "other";
		assert_false(outcome_batch_add(&batch, &o));
	}
	assert_int_equal(batch.nrows, 1 + OUTCOME_KEY_FIELDS);
}

static void
test_empty_string_and_null_are_the_same(void **state)
{
	struct outcome a = success("p1", 1, 1), b = success("p1", 1, 1);

	(void)state;
	a.key[OC_LEVEL_ID] = "";
	b.key[OC_LEVEL_ID] = NULL;
	a.error = "";
	outcome_batch_add(&batch, &a);
	outcome_batch_add(&batch, &b);
	assert_int_equal(batch.nrows, 1);
}

static void
test_failures_fold_only_with_the_same_error(void **state)
{
	struct outcome e1 = success("p1", 3, 0), e2, e3;

	(void)state;
	e1.key[OC_STATUS] = "error";
	e1.key[OC_STAGE] = "proxy_handshake";
	e1.error = "SOCKS5 proxy 127.0.0.1:1080: connection refused";
	e2 = e1;
	e3 = e1;
	e3.error = "SOCKS5 proxy 127.0.0.1:1080: authentication failed";
	outcome_batch_add(&batch, &e1);
	outcome_batch_add(&batch, &e2);
	outcome_batch_add(&batch, &e3);
	assert_int_equal(batch.nrows, 2);
	assert_string_equal(rows_json(), "[[\"error\",\"p1\",\"global\",null,\"openai\","
	    "\"gpt-4o\",\"c1\",null,\"proxy_handshake\",3,0,\"SOCKS5 proxy 127.0.0.1:1080: "
	    "connection refused\",2,null,0],[\"error\",\"p1\",\"global\",null,\"openai\","
	    "\"gpt-4o\",\"c1\",null,\"proxy_handshake\",3,0,\"SOCKS5 proxy 127.0.0.1:1080: "
	    "authentication failed\",1,null,0]]");
}

static void
test_full_batch_is_reported_and_clear_resets(void **state)
{
	char ids[OUTCOME_BATCH_ROWS][16];
	size_t i;

	(void)state;
	for (i = 0; i < OUTCOME_BATCH_ROWS; i++) {
		struct outcome o = success(ids[i], 1, 1);
		snprintf(ids[i], sizeof(ids[i]), "p%zu", i);
		assert_int_equal(outcome_batch_add(&batch, &o), i + 1 == OUTCOME_BATCH_ROWS);
	}
	/* a full batch refuses to grow (the worker sends first) */
	{
		struct outcome extra = success("another", 1, 1);
		assert_true(outcome_batch_add(&batch, &extra));
		assert_int_equal(batch.nrows, OUTCOME_BATCH_ROWS);
	}
	outcome_batch_clear(&batch);
	assert_int_equal(batch.nrows, 0);
	assert_int_equal(batch.calls, 0);
	assert_null(rows_json());
}

static void
test_strings_are_copied(void **state)
{
	char proxy[8] = "p1";
	struct outcome o = success(proxy, 1, 1);

	(void)state;
	outcome_batch_add(&batch, &o);
	strcpy(proxy, "zz");
	assert_non_null(strstr(rows_json(), "\"p1\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_empty_batch_has_no_rows, teardown),
		cmocka_unit_test_teardown(test_identical_successes_fold, teardown),
		cmocka_unit_test_teardown(test_any_differing_field_makes_a_row, teardown),
		cmocka_unit_test_teardown(test_empty_string_and_null_are_the_same, teardown),
		cmocka_unit_test_teardown(test_failures_fold_only_with_the_same_error, teardown),
		cmocka_unit_test_teardown(test_full_batch_is_reported_and_clear_resets, teardown),
		cmocka_unit_test_teardown(test_strings_are_copied, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
