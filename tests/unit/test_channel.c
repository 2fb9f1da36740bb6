/*
 * tests/unit/test_channel.c — byte-string tests of the master↔worker channel's
 * vocabulary (common/channel.c): the table itself (names unique and
 * well-formed, a direction each, the credential-carrying ones wiped), splitting
 * a line into type, tag and body (every malformed shape refused), what each
 * end does with a line (unknown names and wrong-way messages dropped, never
 * run; anything before the hello ends the channel), and the hello's version
 * check and its log text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "channel.h"
#include "line.h"

static struct channel_line msg;
static const char *err;

static enum parse
parse(const char *s)
{
	return channel_parse_line(s, strlen(s), &msg, &err);
}

static void
assert_body(const char *expected)
{
	assert_int_equal(msg.body_len, strlen(expected));
	assert_memory_equal(msg.body, expected, msg.body_len);
}

static void
assert_invalid(const char *s, size_t len, const char *message)
{
	assert_int_equal(channel_parse_line(s, len, &msg, &err), PARSE_INVALID);
	assert_non_null(err);
	assert_string_equal(err, message);
}

static enum channel_verdict
admit(const char *line, unsigned receiver, bool greeted)
{
	const char *why;
	enum channel_verdict v;

	assert_int_equal(parse(line), PARSE_DONE);
	v = channel_admit(&msg, receiver, greeted, &why);
	if (v == CHANNEL_HANDLE)
		assert_null(why);
	else
		assert_non_null(why);
	return v;
}

static void
test_table_is_well_formed(void **state)
{
	size_t i, j, k;

	(void)state;
	assert_null(channel_messages[CHANNEL_UNKNOWN].name);
	for (i = 1; i < CHANNEL_TYPE_COUNT; i++) {
		const struct channel_message *e = &channel_messages[i];
		size_t n;

		assert_non_null(e->name);
		assert_non_null(e->body);
		n = strlen(e->name);
		assert_true(n >= 1 && n <= CHANNEL_NAME_MAX);
		for (k = 0; k < n; k++)
			assert_true(line_is_name_char(e->name[k]));
		assert_true(e->direction != 0);
		assert_int_equal(e->direction & ~(CHANNEL_TO_WORKER | CHANNEL_TO_MASTER), 0);
		for (j = i + 1; j < CHANNEL_TYPE_COUNT; j++)
			assert_string_not_equal(e->name, channel_messages[j].name);
		/* every name parses back to its own type */
		{
			char line[64];
			snprintf(line, sizeof(line), "%s #1 {}", e->name);
			assert_int_equal(parse(line), PARSE_DONE);
			assert_int_equal(msg.type, (enum channel_type)i);
		}
	}
}

static void
test_table_says_who_sends_what(void **state)
{
	(void)state;
	assert_int_equal(channel_messages[CHANNEL_HELLO].direction,
	    CHANNEL_TO_WORKER | CHANNEL_TO_MASTER);
	assert_int_equal(channel_messages[CHANNEL_SNAPSHOT].direction, CHANNEL_TO_WORKER);
	assert_int_equal(channel_messages[CHANNEL_JOB].direction, CHANNEL_TO_WORKER);
	assert_int_equal(channel_messages[CHANNEL_REPLY].direction, CHANNEL_TO_WORKER);
	assert_int_equal(channel_messages[CHANNEL_COMMAND].direction, CHANNEL_TO_MASTER);
	assert_int_equal(channel_messages[CHANNEL_OUTCOMES].direction, CHANNEL_TO_MASTER);
	assert_int_equal(channel_messages[CHANNEL_JOB_RESULT].direction, CHANNEL_TO_MASTER);
	/* only a start failure may come before the hellos */
	assert_true(channel_messages[CHANNEL_FAILED].before_hello);
	assert_false(channel_messages[CHANNEL_ACK].before_hello);
	assert_false(channel_messages[CHANNEL_COMMAND].before_hello);
	/* what may carry credentials is wiped once handled */
	assert_true(channel_messages[CHANNEL_SNAPSHOT].wipe);
	assert_true(channel_messages[CHANNEL_DELTA].wipe);
	assert_true(channel_messages[CHANNEL_JOB].wipe);
	assert_true(channel_messages[CHANNEL_COMMAND].wipe);
	assert_true(channel_messages[CHANNEL_UNKNOWN].wipe);
	assert_false(channel_messages[CHANNEL_OUTCOMES].wipe);
	assert_string_equal(channel_name(CHANNEL_JOB_RESULT), "job.result");
	assert_string_equal(channel_name(CHANNEL_UNKNOWN), "(unknown)");
	assert_string_equal(channel_name(CHANNEL_TYPE_COUNT), "(unknown)");
}

static void
test_parse_untagged(void **state)
{
	(void)state;
	assert_int_equal(parse("snapshot {\"generation\":3}"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_SNAPSHOT);
	assert_int_equal(msg.name_len, 8);
	assert_memory_equal(msg.name, "snapshot", 8);
	assert_false(msg.has_tag);
	assert_body("{\"generation\":3}");

	assert_int_equal(parse("outcomes [{\"ok\":true}]"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_OUTCOMES);
	assert_body("[{\"ok\":true}]");

	/* a name alone, or followed by an empty body */
	assert_int_equal(parse("serve"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_SERVE);
	assert_int_equal(msg.body_len, 0);
	assert_int_equal(parse("resync "), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_RESYNC);
	assert_int_equal(msg.body_len, 0);
}

static void
test_parse_tagged(void **state)
{
	(void)state;
	assert_int_equal(parse("command #17 proxy.list {\"limit\":5}"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_COMMAND);
	assert_true(msg.has_tag);
	assert_int_equal(msg.tag, 17);
	/* the body keeps its tag: it is a command line of the control language */
	assert_body("#17 proxy.list {\"limit\":5}");

	assert_int_equal(parse("reply #9 200 {}"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_REPLY);
	assert_int_equal(msg.tag, 9);
	assert_body("#9 200 {}");

	assert_int_equal(parse("job.result #123456789012345678 502 {}"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_JOB_RESULT);
	assert_int_equal(msg.tag, 123456789012345678ULL);

	assert_int_equal(parse("job #4 job.probe {\"url\":\"http://x\"}"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_JOB);
	assert_int_equal(msg.tag, 4);
}

static void
test_parse_refuses_malformed(void **state)
{
	static const char nul[] = "snap\0shot {}";
	char long_name[64];

	(void)state;
	assert_invalid("", 0, "empty line");
	assert_invalid(" snapshot {}", 12, "missing message name");
	assert_invalid("Snapshot {}", 11, "missing message name");
	assert_invalid(nul, sizeof(nul) - 1, "invalid character in message name");
	assert_invalid("snapshot\t{}", 11, "invalid character in message name");
	memset(long_name, 'a', 33);
	long_name[33] = '\0';
	assert_invalid(long_name, 33, "message name too long");
	/* a tagged type without its tag */
	assert_invalid("command proxy.list {}", 21, "a tagged message without its \"#<digits> \"");
	assert_invalid("command", 7, "a tagged message without its \"#<digits> \"");
	assert_invalid("command #", 9, "a tagged message without its \"#<digits> \"");
	assert_invalid("reply #12", 9, "a tagged message without its \"#<digits> \"");
	assert_invalid("reply #x 200 {}", 15, "a tagged message without its \"#<digits> \"");
	assert_invalid("job.result #1234567890123456789 200 {}", 38,
	    "a tagged message without its \"#<digits> \"");
	assert_int_equal(msg.type, CHANNEL_UNKNOWN);
	assert_null(msg.body);
}

/* The heart of it: a line that is not a declared message never runs. */
static void
test_unknown_lines_are_not_commands(void **state)
{
	(void)state;
	/* a bare control command, as the channel carried them before */
	assert_int_equal(parse("proxy.delete {\"id\":\"p1\",\"force\":true}"), PARSE_DONE);
	assert_int_equal(msg.type, CHANNEL_UNKNOWN);
	assert_int_equal(msg.name_len, strlen("proxy.delete"));
	assert_int_equal(admit("proxy.delete {\"id\":\"p1\"}", CHANNEL_TO_MASTER, true),
	    CHANNEL_DROP);
	assert_int_equal(admit("system.stop {}", CHANNEL_TO_MASTER, true), CHANNEL_DROP);
	assert_int_equal(admit("help", CHANNEL_TO_WORKER, true), CHANNEL_DROP);
	/* the old tagged form has no message name at all */
	assert_int_equal(parse("#5 proxy.add {\"name\":\"x\"}"), PARSE_INVALID);
	assert_string_equal(err, "missing message name");
	/* messages the other way are dropped, not handled */
	assert_int_equal(admit("snapshot {}", CHANNEL_TO_MASTER, true), CHANNEL_DROP);
	assert_int_equal(admit("reply #1 200 {}", CHANNEL_TO_MASTER, true), CHANNEL_DROP);
	assert_int_equal(admit("job #1 proxy.delete {}", CHANNEL_TO_MASTER, true),
	    CHANNEL_DROP);
	assert_int_equal(admit("command #1 proxy.list {}", CHANNEL_TO_WORKER, true),
	    CHANNEL_DROP);
	assert_int_equal(admit("ack {}", CHANNEL_TO_WORKER, true), CHANNEL_DROP);
	/* and only "command" is a command */
	assert_int_equal(admit("command #1 proxy.list {}", CHANNEL_TO_MASTER, true),
	    CHANNEL_HANDLE);
}

static void
test_admit_before_and_after_hello(void **state)
{
	(void)state;
	assert_int_equal(admit("hello {\"version\":1}", CHANNEL_TO_WORKER, false),
	    CHANNEL_HANDLE);
	assert_int_equal(admit("hello {\"version\":1}", CHANNEL_TO_MASTER, false),
	    CHANNEL_HANDLE);
	assert_int_equal(admit("failed {\"error\":\"x\"}", CHANNEL_TO_MASTER, false),
	    CHANNEL_HANDLE);
	/* anything else first: the peer speaks no versioned protocol */
	assert_int_equal(admit("snapshot {}", CHANNEL_TO_WORKER, false), CHANNEL_CLOSE);
	assert_int_equal(admit("ack {\"generation\":1}", CHANNEL_TO_MASTER, false),
	    CHANNEL_CLOSE);
	assert_int_equal(admit("command #1 proxy.list {}", CHANNEL_TO_MASTER, false),
	    CHANNEL_CLOSE);
	/* unknown and wrong-way lines are dropped even then */
	assert_int_equal(admit("nonsense", CHANNEL_TO_MASTER, false), CHANNEL_DROP);
	assert_int_equal(admit("snapshot {}", CHANNEL_TO_MASTER, false), CHANNEL_DROP);
	/* a second hello is dropped */
	assert_int_equal(admit("hello {\"version\":1}", CHANNEL_TO_WORKER, true),
	    CHANNEL_DROP);
	assert_int_equal(admit("serve {}", CHANNEL_TO_WORKER, true), CHANNEL_HANDLE);
}

static long
hello(const char *body, int expected)
{
	long v = -42;

	assert_int_equal(channel_hello_check(body, strlen(body), &v), expected);
	return v;
}

static void
test_hello_version_check(void **state)
{
	(void)state;
	assert_string_equal(CHANNEL_HELLO_BODY, "{\"version\":1}");
	assert_int_equal(hello(CHANNEL_HELLO_BODY, 0), CHANNEL_PROTOCOL_VERSION);
	assert_int_equal(hello("{\"version\":1,\"later\":\"fields\"}", 0), 1);
	assert_int_equal(hello("{\"version\":2}", -1), 2);
	assert_int_equal(hello("{\"version\":0}", -1), 0);
	assert_int_equal(hello("{\"version\":-3}", -1), -1);
	assert_int_equal(hello("{\"version\":\"1\"}", -1), -1);
	assert_int_equal(hello("{\"version\":1.0}", -1), -1);
	assert_int_equal(hello("{}", -1), -1);
	assert_int_equal(hello("", -1), -1);
	assert_int_equal(hello("not json", -1), -1);
	assert_int_equal(hello("{\"version\":1} trailing", -1), -1);
}

static void
test_mismatch_names_both_versions(void **state)
{
	char buf[160];

	(void)state;
	channel_describe_mismatch(buf, sizeof(buf), "the master", 2, "this worker");
	assert_string_equal(buf, "channel protocol version mismatch: the master "
	    "speaks 2, this worker 1");
	channel_describe_mismatch(buf, sizeof(buf), "the worker", -1, "the master");
	assert_string_equal(buf, "channel protocol version mismatch: the worker "
	    "names no version, the master speaks 1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_table_says_who_sends_what),
		cmocka_unit_test(test_parse_untagged),
		cmocka_unit_test(test_parse_tagged),
		cmocka_unit_test(test_parse_refuses_malformed),
		cmocka_unit_test(test_unknown_lines_are_not_commands),
		cmocka_unit_test(test_admit_before_and_after_hello),
		cmocka_unit_test(test_hello_version_check),
		cmocka_unit_test(test_mismatch_names_both_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
