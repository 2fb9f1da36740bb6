/*
 * common/line.h — framing of the one command language (DESIGN.md, "One command
 * language"), shared by the control socket, the master↔worker channel and
 * omnirctl.
 *
 *   request = [ "#" tag SP ] command [ SP json-object ] LF
 *   reply   = [ "#" tag SP ] status SP json LF         status = 3 digits
 *
 * On the master↔worker channel each line starts with the name of its message
 * (common/channel.h), and the lines above travel as message bodies.
 *
 * JSON is written without raw newlines, so one message is one line. These are
 * pure functions over byte strings; the I/O code feeds them what it has read.
 */
#ifndef OMNI_LINE_H
#define OMNI_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define CONTROL_LINE_MAX	(1024 * 1024)		/* control socket */
#define CHANNEL_LINE_MAX	(64 * 1024 * 1024)	/* master ↔ worker */
#define COMMAND_NAME_MAX	64

/*
 * Find the end of the first line in buf[0..len). PARSE_DONE sets *line_len to
 * the length without the LF (a CR before the LF is not part of the protocol
 * and is kept); PARSE_MORE when no LF yet and len <= cap; PARSE_INVALID when
 * the line is longer than cap bytes.
 */
enum parse	line_find(const char *buf, size_t len, size_t cap, size_t *line_len);

struct control_request {
	uint64_t	 tag;		/* 0 when the line had no "#tag" */
	int		 has_tag;
	char		 name[COMMAND_NAME_MAX + 1];
	const char	*json;		/* points into the line; NULL when absent */
	size_t		 json_len;
};

/*
 * Split one request line (without LF). Command names are [a-z0-9._-], 1..64
 * chars. On PARSE_INVALID *err is a static message naming what was wrong.
 */
enum parse	control_parse_request(const char *line, size_t len,
		    struct control_request *out, const char **err);

struct control_reply {
	uint64_t	 tag;
	int		 has_tag;
	int		 status;	/* 100..599 */
	const char	*json;		/* points into the line */
	size_t		 json_len;
};

/* Split one reply line (without LF). */
enum parse	control_parse_reply(const char *line, size_t len,
		    struct control_reply *out, const char **err);

/*
 * The parts both splitters (and the channel's, common/channel.c) share: an
 * optional "#<digits> " prefix (up to 18 digits; *pos is moved past it,
 * *has_tag says whether there was one), and the characters of a name.
 */
enum parse	line_parse_tag(const char *line, size_t len, size_t *pos,
		    uint64_t *tag, int *has_tag, const char **err);
int		line_is_name_char(char c);

#endif
