/*
 * tests/unit/test_models.c — byte-string tests of the pure part of GET
 * /v1/models (common/model_list.c): a provider's model list merged into ours
 * (OpenAI, Anthropic and Together shapes, empty, malformed, ids that are not
 * strings, empty, hold a NUL, or are too long to route) and one model's
 * answer prefixed and completed. Every body is parsed from an exact-size heap
 * copy, so that under ASan a read past the end is reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "model_list.h"

struct merged {
	struct json_object	*list;
	int			 added;
	size_t			 skipped;
	char			 err[300];
};

static void
merge_bytes(struct merged *m, const char *provider, const char *body, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);

	assert_non_null(copy);
	memcpy(copy, body, len);
	if (m->list == NULL)
		m->list = json_object_new_array();
	m->err[0] = '\0';
	m->added = models_merge(m->list, provider, copy, len, &m->skipped, m->err,
	    sizeof(m->err));
	free(copy);
}

static void
merge(struct merged *m, const char *provider, const char *body)
{
	merge_bytes(m, provider, body, strlen(body));
}

static struct json_object *
entry(struct merged *m, size_t i)
{
	struct json_object *e = json_object_array_get_idx(m->list, i);

	assert_non_null(e);
	return e;
}

static const char *
field_str(struct json_object *o, const char *name)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, name, &v));
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int64_t
field_int(struct json_object *o, const char *name)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, name, &v));
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static void
test_openai_shape(void **state)
{
	struct merged m = { 0 };

	(void)state;
	merge(&m, "openai", "{\"object\":\"list\",\"data\":["
	    "{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1715367049,"
	    "\"owned_by\":\"system\"},"
	    "{\"id\":\"dall-e-3\",\"object\":\"model\",\"created\":1698785189}]}");
	assert_int_equal(m.added, 2);
	assert_int_equal(m.skipped, 0);
	assert_int_equal(json_object_array_length(m.list), 2);
	assert_string_equal(field_str(entry(&m, 0), "id"), "openai/gpt-4o");
	assert_string_equal(field_str(entry(&m, 0), "object"), "model");
	assert_int_equal(field_int(entry(&m, 0), "created"), 1715367049);
	assert_string_equal(field_str(entry(&m, 0), "owned_by"), "system");
	/* owned_by missing: the provider id */
	assert_string_equal(field_str(entry(&m, 1), "id"), "openai/dall-e-3");
	assert_string_equal(field_str(entry(&m, 1), "owned_by"), "openai");
	/* exactly the four fields, nothing of the provider's beyond them */
	assert_int_equal(json_object_object_length(entry(&m, 0)), 4);
	json_object_put(m.list);
}

static void
test_anthropic_shape(void **state)
{
	struct merged m = { 0 };

	(void)state;
	merge(&m, "anthropic", "{\"data\":[{\"type\":\"model\",\"id\":"
	    "\"claude-sonnet-4-20250514\",\"display_name\":\"Claude Sonnet 4\","
	    "\"created_at\":\"2025-05-22T00:00:00Z\"},"
	    "{\"type\":\"model\",\"id\":\"claude-3-haiku-20240307\",\"created_at\":"
	    "\"2024-03-07T00:00:00.123456+00:00\"},"
	    "{\"type\":\"model\",\"id\":\"claude-x\",\"created_at\":\"not a date\"}],"
	    "\"has_more\":false,\"first_id\":\"claude-sonnet-4-20250514\","
	    "\"last_id\":\"claude-x\"}");
	assert_int_equal(m.added, 3);
	assert_string_equal(field_str(entry(&m, 0), "id"),
	    "anthropic/claude-sonnet-4-20250514");
	assert_int_equal(field_int(entry(&m, 0), "created"), 1747872000);
	assert_string_equal(field_str(entry(&m, 0), "owned_by"), "anthropic");
	assert_int_equal(field_int(entry(&m, 1), "created"), 1709769600);
	assert_int_equal(field_int(entry(&m, 2), "created"), 0);
	json_object_put(m.list);
}

static void
test_bare_array_and_appending(void **state)
{
	struct merged m = { 0 };

	(void)state;
	merge(&m, "together", "[{\"id\":\"meta-llama/Llama-3-8b\",\"object\":\"model\","
	    "\"created\":0,\"owned_by\":\"\"}]");
	assert_int_equal(m.added, 1);
	assert_string_equal(field_str(entry(&m, 0), "id"), "together/meta-llama/Llama-3-8b");
	assert_string_equal(field_str(entry(&m, 0), "owned_by"), "together");
	/* a second provider appends after the first */
	merge(&m, "groq", "{\"data\":[{\"id\":\"llama-3.1-8b-instant\"}]}");
	assert_int_equal(m.added, 1);
	assert_int_equal(json_object_array_length(m.list), 2);
	assert_string_equal(field_str(entry(&m, 1), "id"), "groq/llama-3.1-8b-instant");
	assert_int_equal(field_int(entry(&m, 1), "created"), 0);
	json_object_put(m.list);
}

static void
test_empty_lists(void **state)
{
	struct merged m = { 0 };

	(void)state;
	merge(&m, "openai", "{\"object\":\"list\",\"data\":[]}");
	assert_int_equal(m.added, 0);
	assert_int_equal(m.skipped, 0);
	merge(&m, "openai", "[]");
	assert_int_equal(m.added, 0);
	merge(&m, "openai", " \r\n{\"data\":[]}\n");
	assert_int_equal(m.added, 0);
	assert_int_equal(json_object_array_length(m.list), 0);
	json_object_put(m.list);
}

static void
test_malformed_leaves_the_list_alone(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "{\"data\":[{\"id\":\"a\"}", "{\"data\":[{\"id\":\"a\"},]}",
		"<html>502 Bad Gateway</html>", "null", "42", "\"data\"",
		"{\"data\":{\"id\":\"a\"}}", "{\"data\":null}", "{\"models\":[]}",
		"{\"data\":[]} trailing", "{\"data\":[]}{\"data\":[]}",
		"{\"data\":[],}",
		"{\"data\":[{\"id\":\"\xff\xfe\"}]}",		/* not UTF-8 */
		"{\"data\":[{\"id\":\"\xc0\xaf\"}]}",		/* overlong */
	};
	struct merged m = { 0 };
	size_t i;

	(void)state;
	merge(&m, "openai", "{\"data\":[{\"id\":\"kept\"}]}");
	assert_int_equal(m.added, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		merge(&m, "openai", bad[i]);
		assert_int_equal(m.added, -1);
		assert_true(strstr(m.err, "openai") != NULL);
		assert_int_equal(json_object_array_length(m.list), 1);
	}
	merge(&m, "openai", "<html>");
	assert_string_equal(m.err, "openai sent a model list that is not JSON");
	merge(&m, "openai", "{\"models\":[]}");
	assert_string_equal(m.err, "openai sent JSON without a \"data\" array of models");
	/* a NUL byte inside the body is not JSON */
	merge_bytes(&m, "openai", "{\"data\":[\0]}", 12);
	assert_int_equal(m.added, -1);
	merge_bytes(&m, "openai", "{\"da\0ta\":[]}", 13);
	assert_int_equal(m.added, -1);
	json_object_put(m.list);
}

static void
test_unusable_ids_are_skipped(void **state)
{
	struct merged m = { 0 };

	(void)state;
	merge(&m, "openai", "{\"data\":["
	    "{\"id\":42},{\"id\":null},{\"id\":true},{\"id\":[\"a\"]},{\"id\":{\"x\":1}},"
	    "{\"id\":\"\"},{\"name\":\"no id\"},\"gpt-4o\",7,null,[],"
	    "{\"id\":\"a\\u0000b\"},"
	    "{\"id\":\"ok\",\"created\":\"1700000000\",\"owned_by\":5},"
	    "{\"id\":\"neg\",\"created\":-5},{\"id\":\"float\",\"created\":1.5e9}]}");
	assert_int_equal(m.added, 3);
	assert_int_equal(m.skipped, 12);
	assert_string_equal(field_str(entry(&m, 0), "id"), "openai/ok");
	/* a string created and a non-string owner fall back */
	assert_int_equal(field_int(entry(&m, 0), "created"), 0);
	assert_string_equal(field_str(entry(&m, 0), "owned_by"), "openai");
	assert_int_equal(field_int(entry(&m, 1), "created"), 0);
	assert_int_equal(field_int(entry(&m, 2), "created"), 0);
	json_object_put(m.list);
}

static void
test_escapes_and_unicode_ids(void **state)
{
	struct merged m = { 0 };
	const char *json;

	(void)state;
	merge(&m, "local", "{\"data\":[{\"id\":\"q\\\"uote\\\\back\\/slash\"},"
	    "{\"id\":\"caf\xc3\xa9-\\u00e9-\xf0\x9f\x98\x80\"},{\"id\":\"tab\\there\"}]}");
	assert_int_equal(m.added, 3);
	assert_string_equal(field_str(entry(&m, 0), "id"), "local/q\"uote\\back/slash");
	assert_string_equal(field_str(entry(&m, 1), "id"),
	    "local/caf\xc3\xa9-\xc3\xa9-\xf0\x9f\x98\x80");
	assert_string_equal(field_str(entry(&m, 2), "id"), "local/tab\there");
	/* what goes to the client is JSON again, control characters escaped */
	json = json_object_to_json_string_ext(m.list, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(json, "tab\\there"));
	assert_null(strchr(json, '\t'));
	json_object_put(m.list);
}

static void
test_huge_ids(void **state)
{
	struct merged m = { 0 };
	size_t fit = MODELS_MAX_ID - strlen("openai/");
	size_t sizes[] = { fit - 1, fit, fit + 1, 4096, 1024 * 1024 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], len = n + 32;
		char *body = malloc(len);
		int w;
		assert_non_null(body);
		w = snprintf(body, len, "{\"data\":[{\"id\":\"");
		memset(body + w, 'x', n);
		snprintf(body + w + n, len - (size_t)w - n, "\"}]}");
		merge(&m, "openai", body);
		if (n <= fit) {
			assert_int_equal(m.added, 1);
			assert_int_equal(strlen(field_str(entry(&m,
			    json_object_array_length(m.list) - 1), "id")), strlen("openai/") + n);
		} else {
			assert_int_equal(m.added, 0);	/* could never be routed */
			assert_int_equal(m.skipped, 1);
		}
		free(body);
	}
	assert_int_equal(json_object_array_length(m.list), 2);
	json_object_put(m.list);
}

static void
test_many_models(void **state)
{
	struct merged m = { 0 };
	size_t cap = 20000 * 40 + 64, off = 0, i;
	char *body = malloc(cap);

	(void)state;
	assert_non_null(body);
	off += (size_t)snprintf(body + off, cap - off, "{\"data\":[");
	for (i = 0; i < 20000; i++)
		off += (size_t)snprintf(body + off, cap - off, "%s{\"id\":\"m-%zu\"}",
		    i ? "," : "", i);
	snprintf(body + off, cap - off, "]}");
	merge(&m, "openrouter", body);
	assert_int_equal(m.added, 20000);
	assert_string_equal(field_str(entry(&m, 19999), "id"), "openrouter/m-19999");
	free(body);
	json_object_put(m.list);
}

static void
test_deep_nesting_is_refused(void **state)
{
	struct merged m = { 0 };
	char body[400];
	size_t i, off = 0;

	(void)state;
	off += (size_t)snprintf(body, sizeof(body), "{\"data\":[{\"id\":\"a\",\"x\":");
	for (i = 0; i < 64; i++)
		body[off++] = '[';
	for (i = 0; i < 64; i++)
		body[off++] = ']';
	snprintf(body + off, sizeof(body) - off, "}]}");
	merge(&m, "openai", body);
	assert_int_equal(m.added, -1);
	json_object_put(m.list);
}

/* ---- one model ------------------------------------------------------------ */

static struct json_object *
one(const char *provider, const char *model, const char *body, char *err, size_t errlen)
{
	size_t len = strlen(body);
	char *copy = malloc(len > 0 ? len : 1);
	struct json_object *o;

	assert_non_null(copy);
	memcpy(copy, body, len);
	o = models_prefix_one(provider, model, copy, len, err, errlen);
	free(copy);
	return o;
}

static void
test_one_openai(void **state)
{
	char err[300];
	struct json_object *o;

	(void)state;
	o = one("openai", "gpt-4o", "{\"id\":\"gpt-4o\",\"object\":\"model\","
	    "\"created\":1715367049,\"owned_by\":\"system\"}", err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(field_str(o, "id"), "openai/gpt-4o");
	assert_string_equal(field_str(o, "owned_by"), "system");
	assert_int_equal(field_int(o, "created"), 1715367049);
	assert_int_equal(json_object_object_length(o), 4);
	json_object_put(o);
}

static void
test_one_anthropic_is_completed(void **state)
{
	char err[300];
	struct json_object *o;

	(void)state;
	o = one("anthropic", "claude-sonnet-4-20250514", "{\"type\":\"model\","
	    "\"id\":\"claude-sonnet-4-20250514\",\"display_name\":\"Claude Sonnet 4\","
	    "\"created_at\":\"2025-05-22T00:00:00Z\"}", err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(field_str(o, "id"), "anthropic/claude-sonnet-4-20250514");
	assert_string_equal(field_str(o, "object"), "model");
	assert_int_equal(field_int(o, "created"), 1747872000);
	assert_string_equal(field_str(o, "owned_by"), "anthropic");
	/* the provider's own fields stay */
	assert_string_equal(field_str(o, "display_name"), "Claude Sonnet 4");
	assert_string_equal(field_str(o, "type"), "model");
	json_object_put(o);
}

static void
test_one_without_id_uses_the_name_asked(void **state)
{
	char err[300];
	struct json_object *o;

	(void)state;
	o = one("local", "llama3", "{\"object\":\"model\"}", err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(field_str(o, "id"), "local/llama3");
	json_object_put(o);
	o = one("local", "llama3", "{\"id\":null}", err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(field_str(o, "id"), "local/llama3");
	json_object_put(o);
}

static void
test_one_refuses_what_is_not_a_model(void **state)
{
	static const char *const bad[] = {
		"", "[]", "[{\"id\":\"a\"}]", "null", "\"gpt-4o\"", "{", "{\"id\":42}",
		"{\"id\":\"\"}", "{\"id\":\"a\\u0000\"}", "{\"id\":[]}",
	};
	char err[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(one("openai", "gpt-4o", bad[i], err, sizeof(err)));
		assert_true(strncmp(err, "openai sent a model", 19) == 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openai_shape),
		cmocka_unit_test(test_anthropic_shape),
		cmocka_unit_test(test_bare_array_and_appending),
		cmocka_unit_test(test_empty_lists),
		cmocka_unit_test(test_malformed_leaves_the_list_alone),
		cmocka_unit_test(test_unusable_ids_are_skipped),
		cmocka_unit_test(test_escapes_and_unicode_ids),
		cmocka_unit_test(test_huge_ids),
		cmocka_unit_test(test_many_models),
		cmocka_unit_test(test_deep_nesting_is_refused),
		cmocka_unit_test(test_one_openai),
		cmocka_unit_test(test_one_anthropic_is_completed),
		cmocka_unit_test(test_one_without_id_uses_the_name_asked),
		cmocka_unit_test(test_one_refuses_what_is_not_a_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
