/*
 * common/channel.c — the master↔worker vocabulary as data (one table: every
 * message's name, direction and handling), and the pure functions both ends
 * use on each line: split it, decide whether this end handles it, check a
 * hello's protocol version. See channel.h for the grammar; the I/O (reading
 * lines, calling the handler in a slot) is in worker/worker.c and
 * master/supervisor.c, the writing in common/evline.c.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "channel.h"
#include "line.h"
#include "reply.h"

#define W	CHANNEL_TO_WORKER
#define M	CHANNEL_TO_MASTER

const struct channel_message channel_messages[CHANNEL_TYPE_COUNT] = {
	/* a name not in the table: nothing is known of it, so it is wiped */
	[CHANNEL_UNKNOWN]	= { NULL, 0, false, false, true, NULL },
	/*			  name           direction tagged before_hello wipe */
	[CHANNEL_HELLO]		= { "hello",      W | M, false, true,  false,
	    "{\"version\":N}: the protocol version this end speaks" },
	[CHANNEL_SNAPSHOT]	= { "snapshot",   W,     false, false, true,
	    "the whole registry snapshot (credentials decrypted); acknowledged with ack" },
	[CHANNEL_DELTA]		= { "delta",      W,     false, false, true,
	    "what changed since the worker's generation; ack, or resync when it does not apply" },
	[CHANNEL_SERVE]		= { "serve",      W,     false, false, false,
	    "{}: the master saw the ack of the first snapshot; accept connections" },
	[CHANNEL_DRAIN]		= { "drain",      W,     false, false, false,
	    "{\"deadlineMs\",\"closeIdle\",\"setting\"}: stop accepting, finish, exit" },
	[CHANNEL_JOB]		= { "job",        W,     true,  false, true,
	    "#tag job.name {args}: work that needs the network; answered with job.result" },
	[CHANNEL_REPLY]		= { "reply",      W,     true,  false, true,
	    "#tag status json: the reply to the worker's command of that tag" },
	[CHANNEL_FAILED]	= { "failed",     M,     false, true,  false,
	    "{\"error\":…}: why this worker cannot start (it exits next)" },
	[CHANNEL_ACK]		= { "ack",        M,     false, false, false,
	    "{\"generation\":N}: the worker holds that snapshot generation" },
	[CHANNEL_RESYNC]	= { "resync",     M,     false, false, false,
	    "{}: a delta did not apply; send the whole snapshot" },
	[CHANNEL_OUTCOMES]	= { "outcomes",   M,     false, false, false,
	    "[rows]: a batch of call outcomes (common/outcome_batch.h)" },
	[CHANNEL_COMMAND]	= { "command",    M,     true,  false, true,
	    "#tag name {args}: run this control command (an /api request); answered with reply" },
	[CHANNEL_JOB_RESULT]	= { "job.result", M,     true,  false, false,
	    "#tag status json: the answer to the job of that tag" },
};

#undef W
#undef M

const char *
channel_name(enum channel_type type)
{
	if ((unsigned)type >= CHANNEL_TYPE_COUNT || channel_messages[type].name == NULL)
		return "(unknown)";
	return channel_messages[type].name;
}

static enum channel_type
type_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 1; i < CHANNEL_TYPE_COUNT; i++)
		if (strlen(channel_messages[i].name) == len &&
		    memcmp(channel_messages[i].name, name, len) == 0)
			return (enum channel_type)i;
	return CHANNEL_UNKNOWN;
}

enum parse
channel_parse_line(const char *line, size_t len, struct channel_line *out,
    const char **err)
{
	size_t pos = 0, n = 0;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	while (n < len && line_is_name_char(line[n]))
		n++;
	if (n == 0) {
		*err = len == 0 ? "empty line" : "missing message name";
		return PARSE_INVALID;
	}
	if (n > CHANNEL_NAME_MAX) {
		*err = "message name too long";
		return PARSE_INVALID;
	}
	if (n < len && line[n] != ' ') {
		*err = "invalid character in message name";
		return PARSE_INVALID;
	}
	out->type = type_by_name(line, n);
	out->name = line;
	out->name_len = n;
	out->body = line + (n < len ? n + 1 : n);
	out->body_len = n < len ? len - n - 1 : 0;
	if (out->type == CHANNEL_UNKNOWN || !channel_messages[out->type].tagged)
		return PARSE_DONE;
	if (out->body_len == 0 || out->body[0] != '#' ||
	    line_parse_tag(out->body, out->body_len, &pos, &out->tag, &out->has_tag,
	    err) != PARSE_DONE) {
		*err = "a tagged message without its \"#<digits> \"";
		memset(out, 0, sizeof(*out));
		return PARSE_INVALID;
	}
	return PARSE_DONE;
}

enum channel_verdict
channel_admit(const struct channel_line *msg, unsigned receiver, bool greeted,
    const char **why)
{
	const struct channel_message *def;

	*why = NULL;
	if ((unsigned)msg->type >= CHANNEL_TYPE_COUNT || msg->type == CHANNEL_UNKNOWN) {
		*why = "not a message of the channel";
		return CHANNEL_DROP;
	}
	def = &channel_messages[msg->type];
	if (!(def->direction & receiver)) {
		*why = receiver == CHANNEL_TO_MASTER ? "a message for a worker, not the master" :
		    "a message for the master, not a worker";
		return CHANNEL_DROP;
	}
	if (msg->type == CHANNEL_HELLO && greeted) {
		*why = "a second hello";
		return CHANNEL_DROP;
	}
	if (!greeted && msg->type != CHANNEL_HELLO && !def->before_hello) {
		*why = "before the hello that names the protocol version";
		return CHANNEL_CLOSE;
	}
	return CHANNEL_HANDLE;
}

int
channel_hello_check(const char *body, size_t len, long *peer_version)
{
	struct json_object *obj = json_parse_document(body, len, 4), *v;

	*peer_version = -1;
	if (obj != NULL && json_object_object_get_ex(obj, "version", &v) &&
	    json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		*peer_version = n >= 0 && n <= 1000000 ? (long)n : -1;
	}
	json_object_put(obj);
	return *peer_version == CHANNEL_PROTOCOL_VERSION ? 0 : -1;
}

void
channel_describe_mismatch(char *buf, size_t cap, const char *peer, long peer_version,
    const char *self)
{
	if (peer_version < 0)
		snprintf(buf, cap, "channel protocol version mismatch: %s names no "
		    "version, %s speaks %d", peer, self, CHANNEL_PROTOCOL_VERSION);
	else
		snprintf(buf, cap, "channel protocol version mismatch: %s speaks %ld, "
		    "%s %d", peer, peer_version, self, CHANNEL_PROTOCOL_VERSION);
}
