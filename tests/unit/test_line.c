/*
 * tests/unit/test_line.c — byte-string tests of the line-protocol framing
 * (common/line.c): finding the end of a line under a cap, splitting a request
 * line into tag, command name and JSON arguments (and every malformed shape we
 * refuse), and splitting a reply line into tag, status and JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "line.h"

static struct control_request req;
static struct control_reply rep;
static const char *err;

static enum parse
parse_request(const char *s)
{
	return control_parse_request(s, strlen(s), &req, &err);
}

static enum parse
parse_reply(const char *s)
{
	return control_parse_reply(s, strlen(s), &rep, &err);
}

static void
assert_json(const char *json, size_t len, const char *expected)
{
	assert_non_null(json);
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(json, expected, len);
}

/* Expect the request to be refused with exactly this message. */
static void
assert_request_invalid(const char *s, size_t len, const char *message)
{
	assert_int_equal(control_parse_request(s, len, &req, &err), PARSE_INVALID);
	assert_non_null(err);
	assert_string_equal(err, message);
}

static void
assert_reply_invalid(const char *s, const char *message)
{
	assert_int_equal(parse_reply(s), PARSE_INVALID);
	assert_non_null(err);
	assert_string_equal(err, message);
}

static void
test_line_find_lf_found(void **state)
{
	const char buf[] = "help\nproxy.list {}\n";
	size_t n = 99;

	(void)state;
	assert_int_equal(line_find(buf, sizeof(buf) - 1, 64, &n), PARSE_DONE);
	assert_int_equal(n, 4);
	/* An empty line is a line of length 0. */
	assert_int_equal(line_find("\nx", 2, 64, &n), PARSE_DONE);
	assert_int_equal(n, 0);
	/* A CR before the LF is kept for the request parser to drop. */
	assert_int_equal(line_find("help\r\n", 6, 64, &n), PARSE_DONE);
	assert_int_equal(n, 5);
}

static void
test_line_find_no_lf_yet(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(line_find("proxy.li", 8, 64, &n), PARSE_MORE);
	assert_int_equal(line_find("", 0, 64, &n), PARSE_MORE);
	/* Exactly cap bytes and no LF: the LF may still come next. */
	assert_int_equal(line_find("abcd", 4, 4, &n), PARSE_MORE);
}

static void
test_line_find_exactly_cap(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(line_find("abcd\n", 5, 4, &n), PARSE_DONE);
	assert_int_equal(n, 4);
}

static void
test_line_find_cap_plus_one_without_lf(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(line_find("abcde", 5, 4, &n), PARSE_INVALID);
	assert_int_equal(line_find("abcdefghij", 10, 4, &n), PARSE_INVALID);
}

static void
test_line_find_lf_beyond_cap(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(line_find("abcde\n", 6, 4, &n), PARSE_INVALID);
	assert_int_equal(line_find("abcdefgh\nx\n", 11, 4, &n), PARSE_INVALID);
	assert_int_equal(n, 99);
}

static void
test_line_find_real_caps(void **state)
{
	static char big[CONTROL_LINE_MAX + 2];
	size_t n = 0;

	(void)state;
	memset(big, 'a', sizeof(big));
	big[CONTROL_LINE_MAX] = '\n';
	assert_int_equal(line_find(big, sizeof(big), CONTROL_LINE_MAX, &n),
	    PARSE_DONE);
	assert_int_equal(n, CONTROL_LINE_MAX);
	big[CONTROL_LINE_MAX] = 'a';
	assert_int_equal(line_find(big, sizeof(big), CONTROL_LINE_MAX, &n),
	    PARSE_INVALID);
	assert_int_equal(line_find(big, CONTROL_LINE_MAX, CONTROL_LINE_MAX, &n),
	    PARSE_MORE);
}

static void
test_request_plain_command(void **state)
{
	(void)state;
	assert_int_equal(parse_request("help"), PARSE_DONE);
	assert_null(err);
	assert_string_equal(req.name, "help");
	assert_null(req.json);
	assert_int_equal(req.json_len, 0);
	assert_int_equal(req.has_tag, 0);
	assert_int_equal(req.tag, 0);
}

static void
test_request_with_json(void **state)
{
	const char *line = "proxy.add {\"name\":\"US\",\"port\":8080}";

	(void)state;
	assert_int_equal(parse_request(line), PARSE_DONE);
	assert_string_equal(req.name, "proxy.add");
	assert_json(req.json, req.json_len, "{\"name\":\"US\",\"port\":8080}");
	/* The JSON points into the line, it is not a copy. */
	assert_ptr_equal(req.json, line + 10);
}

static void
test_request_name_characters(void **state)
{
	(void)state;
	assert_int_equal(parse_request("a0._-z9"), PARSE_DONE);
	assert_string_equal(req.name, "a0._-z9");
}

static void
test_request_with_tag(void **state)
{
	(void)state;
	assert_int_equal(parse_request("#17 proxy.list {}"), PARSE_DONE);
	assert_int_equal(req.has_tag, 1);
	assert_int_equal(req.tag, 17);
	assert_string_equal(req.name, "proxy.list");
	assert_json(req.json, req.json_len, "{}");

	assert_int_equal(parse_request("#0 help"), PARSE_DONE);
	assert_int_equal(req.has_tag, 1);
	assert_int_equal(req.tag, 0);

	/* 18 digits is the longest tag. */
	assert_int_equal(parse_request("#999999999999999999 help"), PARSE_DONE);
	assert_true(req.tag == 999999999999999999ULL);
}

static void
test_request_bad_tags(void **state)
{
	const char *malformed = "malformed tag (expected \"#<digits> \")";

	(void)state;
	assert_request_invalid("#", 1, malformed);
	assert_request_invalid("#x help", 7, malformed);
	assert_request_invalid("#17", 3, malformed);
	assert_request_invalid("#17help", 7, malformed);
	assert_request_invalid("# help", 6, malformed);
	assert_request_invalid("#1999999999999999999 help", 25, "tag too long");
}

static void
test_request_tag_without_command(void **state)
{
	(void)state;
	assert_request_invalid("#17 ", 4, "missing command name");
}

static void
test_request_nul_in_line(void **state)
{
	(void)state;
	assert_request_invalid("help\0x", 6, "NUL byte in command line");
	assert_request_invalid("proxy.add {\"a\":\"\0\"}", 19,
	    "NUL byte in command line");
	assert_request_invalid("#1 help\0", 8, "NUL byte in command line");
}

static void
test_request_invalid_name_characters(void **state)
{
	(void)state;
	/* A first character outside [a-z0-9._-] leaves the name empty. */
	assert_request_invalid("Help", 4, "missing command name");
	assert_request_invalid("proxy.List", 10, "invalid character in command name");
	assert_request_invalid("proxy/list", 10, "invalid character in command name");
	assert_request_invalid("help\t{}", 7, "invalid character in command name");
	assert_request_invalid("help{}", 6, "invalid character in command name");
	assert_request_invalid("", 0, "missing command name");
	assert_request_invalid(" help", 5, "missing command name");
}

static void
test_request_name_length_limit(void **state)
{
	char line[COMMAND_NAME_MAX + 2];

	(void)state;
	memset(line, 'a', COMMAND_NAME_MAX);
	line[COMMAND_NAME_MAX] = '\0';
	assert_int_equal(parse_request(line), PARSE_DONE);
	assert_int_equal(strlen(req.name), COMMAND_NAME_MAX);

	memset(line, 'a', COMMAND_NAME_MAX + 1);
	line[COMMAND_NAME_MAX + 1] = '\0';
	assert_request_invalid(line, COMMAND_NAME_MAX + 1, "command name too long");
}

static void
test_request_non_object_args(void **state)
{
	const char *msg = "arguments must be a JSON object";

	(void)state;
	assert_request_invalid("proxy.list [1]", 14, msg);
	assert_request_invalid("proxy.list \"x\"", 14, msg);
	assert_request_invalid("proxy.list 1", 12, msg);
}

static void
test_request_trailing_cr(void **state)
{
	(void)state;
	assert_int_equal(parse_request("help\r"), PARSE_DONE);
	assert_string_equal(req.name, "help");
	assert_null(req.json);

	assert_int_equal(parse_request("#3 proxy.get {\"id\":\"a\"}\r"), PARSE_DONE);
	assert_int_equal(req.tag, 3);
	assert_json(req.json, req.json_len, "{\"id\":\"a\"}");
}

static void
test_request_multiple_spaces(void **state)
{
	(void)state;
	assert_int_equal(parse_request("proxy.list    {\"limit\":5}"), PARSE_DONE);
	assert_string_equal(req.name, "proxy.list");
	assert_json(req.json, req.json_len, "{\"limit\":5}");

	/* Trailing spaces only: no arguments. */
	assert_int_equal(parse_request("help   "), PARSE_DONE);
	assert_string_equal(req.name, "help");
	assert_null(req.json);
	assert_int_equal(req.json_len, 0);
}

static void
test_reply_valid(void **state)
{
	const char *line = "200 {\"ok\":true}";

	(void)state;
	assert_int_equal(parse_reply(line), PARSE_DONE);
	assert_null(err);
	assert_int_equal(rep.status, 200);
	assert_int_equal(rep.has_tag, 0);
	assert_ptr_equal(rep.json, line + 4);
	assert_json(rep.json, rep.json_len, "{\"ok\":true}");

	assert_int_equal(parse_reply("102 {\"done\":40,\"total\":500}"), PARSE_DONE);
	assert_int_equal(rep.status, 102);
	assert_int_equal(parse_reply("100 1"), PARSE_DONE);
	assert_int_equal(rep.status, 100);
	assert_int_equal(parse_reply("599 {}"), PARSE_DONE);
	assert_int_equal(rep.status, 599);
}

static void
test_reply_with_tag(void **state)
{
	(void)state;
	assert_int_equal(parse_reply("#17 503 {\"error\":{}}"), PARSE_DONE);
	assert_int_equal(rep.has_tag, 1);
	assert_int_equal(rep.tag, 17);
	assert_int_equal(rep.status, 503);
	assert_json(rep.json, rep.json_len, "{\"error\":{}}");
}

static void
test_reply_bad_tag(void **state)
{
	(void)state;
	assert_reply_invalid("#17x 200 {}", "malformed tag (expected \"#<digits> \")");
	assert_reply_invalid("# 200 {}", "malformed tag (expected \"#<digits> \")");
}

static void
test_reply_status_out_of_range(void **state)
{
	(void)state;
	assert_reply_invalid("099 {}", "reply status out of range");
	assert_reply_invalid("600 {}", "reply status out of range");
	assert_reply_invalid("000 {}", "reply status out of range");
	/* Four digits: the fourth byte is not the separating space. */
	assert_reply_invalid("2000 {}", "reply status out of range");
	assert_reply_invalid("200{}}", "reply status out of range");
}

static void
test_reply_status_not_digits(void **state)
{
	(void)state;
	assert_reply_invalid("2x0 {}", "reply status is not three digits");
	assert_reply_invalid("OK! {}", "reply status is not three digits");
	assert_reply_invalid(" 200 {}", "reply status is not three digits");
	assert_reply_invalid("-20 {}", "reply status is not three digits");
}

static void
test_reply_too_short(void **state)
{
	(void)state;
	assert_reply_invalid("", "reply too short");
	assert_reply_invalid("200", "reply too short");
	assert_reply_invalid("200 ", "reply too short");
	assert_reply_invalid("#1 200 ", "reply too short");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_find_lf_found),
		cmocka_unit_test(test_line_find_no_lf_yet),
		cmocka_unit_test(test_line_find_exactly_cap),
		cmocka_unit_test(test_line_find_cap_plus_one_without_lf),
		cmocka_unit_test(test_line_find_lf_beyond_cap),
		cmocka_unit_test(test_line_find_real_caps),
		cmocka_unit_test(test_request_plain_command),
		cmocka_unit_test(test_request_with_json),
		cmocka_unit_test(test_request_name_characters),
		cmocka_unit_test(test_request_with_tag),
		cmocka_unit_test(test_request_bad_tags),
		cmocka_unit_test(test_request_tag_without_command),
		cmocka_unit_test(test_request_nul_in_line),
		cmocka_unit_test(test_request_invalid_name_characters),
		cmocka_unit_test(test_request_name_length_limit),
		cmocka_unit_test(test_request_non_object_args),
		cmocka_unit_test(test_request_trailing_cr),
		cmocka_unit_test(test_request_multiple_spaces),
		cmocka_unit_test(test_reply_valid),
		cmocka_unit_test(test_reply_with_tag),
		cmocka_unit_test(test_reply_bad_tag),
		cmocka_unit_test(test_reply_status_out_of_range),
		cmocka_unit_test(test_reply_status_not_digits),
		cmocka_unit_test(test_reply_too_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
