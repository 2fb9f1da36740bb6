/*
 * common/evline.h — taking one LF-terminated line of the command language out
 * of a libevent input buffer, with the line cap enforced (the control socket,
 * the master's end and the worker's end of each channel all read this way),
 * and putting one channel message (common/channel.h) into an output buffer
 * (both ends of each channel write this way).
 */
#ifndef OMNI_EVLINE_H
#define OMNI_EVLINE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "channel.h"
#include "parse.h"

/*
 * PARSE_DONE: *line is a malloc'd NUL-terminated copy (without the LF), removed
 * from `in`. PARSE_MORE: no whole line yet. PARSE_INVALID: the line is longer
 * than cap bytes (nothing is removed).
 */
enum parse	evbuffer_take_line(struct evbuffer *in, size_t cap, char **line,
		    size_t *len);

/* Append "<name> <body>" LF: a message of this type (body without LF). */
void		channel_send(struct evbuffer *out, enum channel_type type,
		    const char *body, size_t len);

/* Append "<name> #<tag> <word> <json>" LF: a tagged message whose rest is a
 * word (a command or job name, a 3-digit status) and JSON. */
void		channel_send_tagged(struct evbuffer *out, enum channel_type type,
		    uint64_t tag, const char *word, const char *json, size_t json_len);

#endif
