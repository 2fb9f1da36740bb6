/*
 * tests/fuzz/fuzz_channel_line.c — libFuzzer target for the master↔worker
 * channel's line handling (common/channel.c). Every line of the input (framed
 * as a channel end frames them, then the rest, then the whole input as one
 * line) is split from a heap copy of exactly its size, so a read past the end
 * is caught by ASan, and then judged by each end before and after the hellos.
 * Any broken promise aborts:
 *   - PARSE_INVALID comes with a message and leaves nothing behind (type
 *     CHANNEL_UNKNOWN, no name, no body);
 *   - PARSE_DONE has no message, a name of 1..CHANNEL_NAME_MAX characters of
 *     [a-z0-9._-] at the start of the line, followed by the end or a space;
 *     the type is the table's entry of that name (CHANNEL_UNKNOWN when none);
 *     the body is the rest of the line after that space; a tagged type's body
 *     starts "#<digits> " and its tag is those digits;
 *   - channel_admit: CHANNEL_HANDLE only for a declared message going this
 *     way, CHANNEL_CLOSE only before the hellos, a reason with every other
 *     verdict, and nothing else;
 *   - channel_hello_check: 0 only when the body names our version;
 *     channel_describe_mismatch always leaves a NUL-terminated text.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I common $(pkg-config --cflags json-c) tests/fuzz/fuzz_channel_line.c \
 *     common/channel.c common/line.c common/reply.c common/util.c \
 *     $(pkg-config --libs json-c) -o /tmp/fuzz_channel
 * Run on a scratch copy of the corpus so new inputs stay out of the tree:
 *     /tmp/fuzz_channel -max_total_time=60 /tmp/channel_corpus_copy \
 *         tests/fuzz/corpus/channel_line
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "line.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static enum channel_type
expected_type(const char *name, size_t len)
{
	size_t i;

	for (i = 1; i < CHANNEL_TYPE_COUNT; i++)
		if (strlen(channel_messages[i].name) == len &&
		    memcmp(channel_messages[i].name, name, len) == 0)
			return (enum channel_type)i;
	return CHANNEL_UNKNOWN;
}

static void
check_admit(const struct channel_line *msg, unsigned receiver, bool greeted)
{
	const char *why = (const char *)1;
	enum channel_verdict v = channel_admit(msg, receiver, greeted, &why);
	const struct channel_message *def = &channel_messages[msg->type];

	switch (v) {
	case CHANNEL_HANDLE:
		check(why == NULL);
		check(msg->type != CHANNEL_UNKNOWN);
		check((def->direction & receiver) != 0);
		check(greeted || msg->type == CHANNEL_HELLO || def->before_hello);
		check(!(greeted && msg->type == CHANNEL_HELLO));
		break;
	case CHANNEL_DROP:
		check(why != NULL && why != (const char *)1 && *why != '\0');
		break;
	case CHANNEL_CLOSE:
		check(why != NULL && why != (const char *)1 && *why != '\0');
		check(!greeted);
		check(msg->type != CHANNEL_UNKNOWN && msg->type != CHANNEL_HELLO);
		break;
	default:
		check(false);
	}
}

static void
check_line(const char *line, size_t len)
{
	struct channel_line msg;
	const char *err = (const char *)1;
	enum parse r = channel_parse_line(line, len, &msg, &err);
	size_t i;
	long version;
	char text[48];

	if (r == PARSE_INVALID) {
		check(err != NULL && err != (const char *)1 && *err != '\0');
		check(msg.type == CHANNEL_UNKNOWN && msg.name == NULL && msg.body == NULL);
		return;
	}
	check(r == PARSE_DONE);
	check(err == NULL);
	check(msg.name == line);
	check(msg.name_len >= 1 && msg.name_len <= CHANNEL_NAME_MAX && msg.name_len <= len);
	for (i = 0; i < msg.name_len; i++)
		check(line_is_name_char(line[i]));
	check(msg.name_len == len || line[msg.name_len] == ' ');
	check(msg.type == expected_type(line, msg.name_len));
	if (msg.name_len == len) {
		check(msg.body_len == 0);
	} else {
		check(msg.body == line + msg.name_len + 1);
		check(msg.body_len == len - msg.name_len - 1);
	}
	if (msg.type != CHANNEL_UNKNOWN && channel_messages[msg.type].tagged) {
		uint64_t tag = 0;

		check(msg.has_tag);
		check(msg.body_len >= 3 && msg.body[0] == '#');
		for (i = 1; i < msg.body_len && msg.body[i] >= '0' && msg.body[i] <= '9'; i++)
			tag = tag * 10 + (uint64_t)(msg.body[i] - '0');
		check(i >= 2 && i <= 19 && i < msg.body_len && msg.body[i] == ' ');
		check(tag == msg.tag);
	} else {
		check(!msg.has_tag && msg.tag == 0);
	}
	check_admit(&msg, CHANNEL_TO_WORKER, false);
	check_admit(&msg, CHANNEL_TO_WORKER, true);
	check_admit(&msg, CHANNEL_TO_MASTER, false);
	check_admit(&msg, CHANNEL_TO_MASTER, true);
	if (channel_hello_check(msg.body, msg.body_len, &version) == 0)
		check(version == CHANNEL_PROTOCOL_VERSION);
	else
		check(version != CHANNEL_PROTOCOL_VERSION);
	channel_describe_mismatch(text, sizeof(text), "the peer", version, "this end");
	check(memchr(text, '\0', sizeof(text)) != NULL);
}

/* Split line[0..len) from a heap copy of exactly len bytes. */
static void
check_copy(const char *line, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, line, len);
	check_line(copy, len);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0, line_len;

	while (off < size &&
	    line_find(buf + off, size - off, CHANNEL_LINE_MAX, &line_len) == PARSE_DONE) {
		check_copy(buf + off, line_len);
		off += line_len + 1;
	}
	check_copy(buf + off, size - off);
	check_copy(buf, size);
	return 0;
}
