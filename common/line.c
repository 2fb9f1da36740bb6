/*
 * common/line.c — the control-line framing: find a line, split a request into
 * tag, command name and JSON, split a reply into tag, status and JSON. Pure
 * functions; see line.h for the grammar.
 */
#include <string.h>

#include "line.h"

enum parse
line_find(const char *buf, size_t len, size_t cap, size_t *line_len)
{
	size_t scan = len < cap + 1 ? len : cap + 1;
	const char *lf = memchr(buf, '\n', scan);

	if (lf != NULL) {
		*line_len = (size_t)(lf - buf);
		return PARSE_DONE;
	}
	return len > cap ? PARSE_INVALID : PARSE_MORE;
}

enum parse
line_parse_tag(const char *line, size_t len, size_t *pos, uint64_t *tag, int *has_tag,
    const char **err)
{
	size_t i = 0;
	uint64_t v = 0;

	*has_tag = 0;
	*tag = 0;
	if (len == 0 || line[0] != '#')
		return PARSE_DONE;
	for (i = 1; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (i > 18) {
			*err = "tag too long";
			return PARSE_INVALID;
		}
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (i == 1 || i >= len || line[i] != ' ') {
		*err = "malformed tag (expected \"#<digits> \")";
		return PARSE_INVALID;
	}
	*tag = v;
	*has_tag = 1;
	*pos = i + 1;
	return PARSE_DONE;
}

int
line_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '-';
}

enum parse
control_parse_request(const char *line, size_t len, struct control_request *out,
    const char **err)
{
	size_t pos = 0, start;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (line_parse_tag(line, len, &pos, &out->tag, &out->has_tag, err) != PARSE_DONE)
		return PARSE_INVALID;
	if (memchr(line, '\0', len) != NULL) {
		*err = "NUL byte in command line";
		return PARSE_INVALID;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	start = pos;
	while (pos < len && line_is_name_char(line[pos]))
		pos++;
	if (pos == start) {
		*err = "missing command name";
		return PARSE_INVALID;
	}
	if (pos - start > COMMAND_NAME_MAX) {
		*err = "command name too long";
		return PARSE_INVALID;
	}
	if (pos < len && line[pos] != ' ') {
		*err = "invalid character in command name";
		return PARSE_INVALID;
	}
	memcpy(out->name, line + start, pos - start);
	out->name[pos - start] = '\0';
	while (pos < len && line[pos] == ' ')
		pos++;
	if (pos < len) {
		if (line[pos] != '{') {
			*err = "arguments must be a JSON object";
			return PARSE_INVALID;
		}
		out->json = line + pos;
		out->json_len = len - pos;
	}
	return PARSE_DONE;
}

enum parse
control_parse_reply(const char *line, size_t len, struct control_reply *out,
    const char **err)
{
	size_t pos = 0;
	int status = 0, i;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (line_parse_tag(line, len, &pos, &out->tag, &out->has_tag, err) != PARSE_DONE)
		return PARSE_INVALID;
	if (len - pos < 5) {
		*err = "reply too short";
		return PARSE_INVALID;
	}
	for (i = 0; i < 3; i++) {
		char c = line[pos + (size_t)i];
		if (c < '0' || c > '9') {
			*err = "reply status is not three digits";
			return PARSE_INVALID;
		}
		status = status * 10 + (c - '0');
	}
	if (status < 100 || status > 599 || line[pos + 3] != ' ') {
		*err = "reply status out of range";
		return PARSE_INVALID;
	}
	out->status = status;
	out->json = line + pos + 4;
	out->json_len = len - pos - 4;
	return PARSE_DONE;
}
