/*
 * common/evline.c — see evline.h.
 */
#include <inttypes.h>
#include <string.h>

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

void
channel_send(struct evbuffer *out, enum channel_type type, const char *body,
    size_t len)
{
	const char *name = channel_name(type);

	evbuffer_add(out, name, strlen(name));
	evbuffer_add(out, " ", 1);
	evbuffer_add(out, body, len);
	evbuffer_add(out, "\n", 1);
}

void
channel_send_tagged(struct evbuffer *out, enum channel_type type, uint64_t tag,
    const char *word, const char *json, size_t json_len)
{
	evbuffer_add_printf(out, "%s #%" PRIu64 " %s ", channel_name(type), tag, word);
	evbuffer_add(out, json, json_len);
	evbuffer_add(out, "\n", 1);
}
