/*
 * common/evline.h — taking one LF-terminated line of the command language out
 * of a libevent input buffer, with the line cap enforced (the control socket,
 * the master's end and the worker's end of each channel all read this way).
 */
#ifndef OMNI_EVLINE_H
#define OMNI_EVLINE_H

#include <stddef.h>

#include <event2/buffer.h>

#include "parse.h"

/*
 * PARSE_DONE: *line is a malloc'd NUL-terminated copy (without the LF), removed
 * from `in`. PARSE_MORE: no whole line yet. PARSE_INVALID: the line is longer
 * than cap bytes (nothing is removed).
 */
enum parse	evbuffer_take_line(struct evbuffer *in, size_t cap, char **line,
		    size_t *len);

#endif
