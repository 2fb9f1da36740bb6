/*
 * common/evline.c — see evline.h.
 */
#include "evline.h"
#include "util.h"

enum parse
evbuffer_take_line(struct evbuffer *in, size_t cap, char **line, size_t *len)
{
	struct evbuffer_ptr lf = evbuffer_search(in, "\n", 1, NULL);

	if (lf.pos < 0)
		return evbuffer_get_length(in) > cap ? PARSE_INVALID : PARSE_MORE;
	if ((size_t)lf.pos > cap)
		return PARSE_INVALID;
	*len = (size_t)lf.pos;
	*line = xcalloc(1, *len + 1);
	evbuffer_remove(in, *line, *len);
	evbuffer_drain(in, 1);
	return PARSE_DONE;
}
