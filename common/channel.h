/*
 * common/channel.h — the master↔worker channel, every message declared once.
 *
 * A channel is the socketpair between the master and one of its workers. It
 * carries the command language's framing (common/line.h: one LF-terminated
 * line per message, JSON written without raw newlines, at most
 * CHANNEL_LINE_MAX bytes), and every line begins with the name of its
 * message:
 *
 *   message = name [ SP body ] LF            name = 1*32 ( a-z / 0-9 / "." / "_" / "-" )
 *   body    = "#" tag SP rest                 for a tagged message (tag = 1*18 DIGIT)
 *
 * The table channel_messages[] (channel.c) is the whole vocabulary: each
 * type's name, which way it goes, whether it is tagged, whether it may come
 * before the hellos, whether it may carry credentials (the line is wiped once
 * handled). Each end keeps an array of handlers indexed by enum channel_type
 * (the handler slots: worker/worker.c, master/supervisor.c); a line is split
 * by channel_parse_line() and let through by channel_admit(), both pure.
 *
 * Version: the master's first line on a new channel is
 * "hello {"version":N}". The worker answers with its own hello when N is
 * CHANNEL_PROTOCOL_VERSION; otherwise it says why ("failed", naming both
 * versions) and exits 1, which the master takes as a worker that could not
 * start. The master closes the channel (and stops the worker) when the
 * worker's hello names another version. Before the hellos only "failed" may
 * pass; anything else ends the channel the same way.
 *
 * Unknown names, and messages sent the wrong way, are logged by name (never
 * by body) and dropped; the channel goes on. They are never commands: only a
 * "command" message runs a control command in the master.
 */
#ifndef OMNI_CHANNEL_H
#define OMNI_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define CHANNEL_PROTOCOL_VERSION	1
#define CHANNEL_NAME_MAX		32

enum channel_type {
	CHANNEL_UNKNOWN,	/* a well-formed name that is not in the table */
	CHANNEL_HELLO,		/* both ways: {"version":N}, first on the channel */
	/* master → worker */
	CHANNEL_SNAPSHOT,	/* the whole registry snapshot */
	CHANNEL_DELTA,		/* what changed since the last generation */
	CHANNEL_SERVE,		/* start accepting client connections */
	CHANNEL_DRAIN,		/* stop accepting, finish, exit */
	CHANNEL_JOB,		/* #tag job.name {args}: network work for the master */
	CHANNEL_REPLY,		/* #tag status json: the answer to a command */
	/* worker → master */
	CHANNEL_FAILED,		/* {"error":…}: why this worker cannot start */
	CHANNEL_ACK,		/* {"generation":N}: holds that snapshot generation */
	CHANNEL_RESYNC,		/* a delta did not apply: send the whole snapshot */
	CHANNEL_OUTCOMES,	/* [rows]: a batch of call outcomes */
	CHANNEL_COMMAND,	/* #tag name {args}: run a control command (an /api request) */
	CHANNEL_JOB_RESULT,	/* #tag status json: the answer to a job */
	CHANNEL_TYPE_COUNT
};

/* Which way a message goes (a bit each; hello goes both ways). */
#define CHANNEL_TO_WORKER	0x1u
#define CHANNEL_TO_MASTER	0x2u

struct channel_message {
	const char	*name;
	unsigned	 direction;	/* CHANNEL_TO_WORKER and/or CHANNEL_TO_MASTER */
	bool		 tagged;	/* the body starts with "#tag " */
	bool		 before_hello;	/* may come before the hellos are exchanged */
	bool		 wipe;		/* may carry credentials: wiped once handled */
	const char	*body;		/* what the body holds (for the reader) */
};

/* Indexed by enum channel_type; [CHANNEL_UNKNOWN] has no name. */
extern const struct channel_message channel_messages[CHANNEL_TYPE_COUNT];

/* The name a type is sent under. */
const char	*channel_name(enum channel_type type);

/* One line (without its LF) split: its type and where its parts are. */
struct channel_line {
	enum channel_type type;
	const char	*name;		/* the name as sent (into the line) */
	size_t		 name_len;
	int		 has_tag;	/* tagged types always have one */
	uint64_t	 tag;
	const char	*body;		/* after "name ", tag included; what handlers take */
	size_t		 body_len;
};

/*
 * Split line[0..len). PARSE_DONE for every well-formed line, with type
 * CHANNEL_UNKNOWN when the name is not in the table; PARSE_INVALID (with a
 * static *err) for an empty line, a malformed or over-long name, or a tagged
 * type whose body does not start with "#<digits> ". Never echoes the body.
 */
enum parse	channel_parse_line(const char *line, size_t len,
		    struct channel_line *out, const char **err);

enum channel_verdict {
	CHANNEL_HANDLE,		/* give it to this end's handler */
	CHANNEL_DROP,		/* log it (by name) and go on */
	CHANNEL_CLOSE,		/* the peer does not speak this protocol: end the channel */
};

/*
 * What the end `receiver` (CHANNEL_TO_WORKER: the worker, CHANNEL_TO_MASTER:
 * the master) does with a parsed line, given whether the hellos have been
 * exchanged: unknown names and messages sent the wrong way are dropped, as is
 * a second hello; before the hellos only the hello and the messages marked
 * before_hello are handled, anything else closes. *why says why, for the log.
 */
enum channel_verdict channel_admit(const struct channel_line *msg, unsigned receiver,
		    bool greeted, const char **why);

/* The body of this end's hello: {"version":CHANNEL_PROTOCOL_VERSION}. */
#define CHANNEL_VERSION_TEXT_(v)	#v
#define CHANNEL_VERSION_TEXT(v)		CHANNEL_VERSION_TEXT_(v)
#define CHANNEL_HELLO_BODY \
	"{\"version\":" CHANNEL_VERSION_TEXT(CHANNEL_PROTOCOL_VERSION) "}"

/*
 * A peer's hello body: 0 when it names CHANNEL_PROTOCOL_VERSION; else -1,
 * with *peer_version the version it names (-1 when there is none readable).
 */
int		channel_hello_check(const char *body, size_t len, long *peer_version);

/* "channel protocol version mismatch: <peer> speaks N, <self> M" (or "<peer>
 * names no version") into buf, for the log and the failure report. */
void		channel_describe_mismatch(char *buf, size_t cap, const char *peer,
		    long peer_version, const char *self);

#endif
