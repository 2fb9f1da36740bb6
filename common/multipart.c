/*
 * common/multipart.c — see multipart.h. A body is
 *   --B CRLF headers CRLF CRLF value CRLF --B ... CRLF --B-- [CRLF]
 * The scan is bounded by len; nothing is copied or allocated.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

/* RFC 2046 boundary characters are printable ASCII. */
static int
is_bchar(char c)
{
	return c >= 0x20 && c < 0x7f;
}

int
multipart_boundary(const char *ct, size_t len, char *out, size_t outlen)
{
	static const char type[] = "multipart/form-data";
	size_t i, b;

	if (len < sizeof(type) - 1 || strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return -1;
	for (i = sizeof(type) - 1; i + 9 <= len; i++) {
		if (strncasecmp(ct + i, "boundary=", 9) != 0 ||
		    (ct[i - 1] != ';' && ct[i - 1] != ' ' && ct[i - 1] != '\t'))
			continue;
		i += 9;
		b = 0;
		if (i < len && ct[i] == '"') {
			for (i++; i < len && ct[i] != '"'; i++)
				if (b + 1 < outlen && is_bchar(ct[i]))
					out[b++] = ct[i];
				else
					return -1;
		} else {
			for (; i < len && ct[i] != ';' && !isspace((unsigned char)ct[i]); i++)
				if (b + 1 < outlen && is_bchar(ct[i]))
					out[b++] = ct[i];
				else
					return -1;
		}
		out[b] = '\0';
		return b >= 1 && b <= 70 ? 0 : -1;	/* RFC 2046: 1..70 characters */
	}
	return -1;
}

static const char *
find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return nlen <= hlen ? memmem(hay, hlen, needle, nlen) : NULL;
}

/* Is this part's header block (head, hlen) form-data with name="name"? */
static int
part_is_named(const char *head, size_t hlen, const char *name)
{
	const char *line = head, *end = head + hlen, *eol, *p;
	size_t nlen = strlen(name);

	for (; line < end; line = eol + 2) {
		eol = find(line, (size_t)(end - line), "\r\n", 2);
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - line) > 20 &&
		    strncasecmp(line, "Content-Disposition:", 20) == 0) {
			for (p = line + 20; p + 6 + nlen + 1 <= eol; p++)
				if (strncmp(p, "name=\"", 6) == 0 &&
				    (p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t') &&
				    strncmp(p + 6, name, nlen) == 0 && p[6 + nlen] == '"')
					return 1;
		}
		if (eol == end)
			break;
	}
	return 0;
}

int
multipart_find_field(const char *body, size_t len, const char *boundary,
    const char *name, size_t *value_off, size_t *value_len)
{
	char delim[80];
	size_t dlen = strlen(boundary) + 2, pos;
	const char *p, *head_end, *next;

	if (dlen + 2 > sizeof(delim))
		return -1;
	delim[0] = delim[1] = '-';
	memcpy(delim + 2, boundary, dlen - 2);
	/* the first delimiter opens the body (a preamble before it is allowed) */
	if ((p = find(body, len, delim, dlen)) == NULL)
		return -1;
	pos = (size_t)(p - body) + dlen;
	for (;;) {
		if (pos + 2 > len)
			return -1;
		if (body[pos] == '-' && body[pos + 1] == '-')
			return -1;			/* the closing delimiter: not found */
		if (body[pos] != '\r' || body[pos + 1] != '\n')
			return -1;
		pos += 2;
		head_end = find(body + pos, len - pos, "\r\n\r\n", 4);
		if (head_end == NULL)
			return -1;
		/* the value runs to CRLF followed by the next delimiter */
		next = body + (head_end - body) + 4;
		{
			const char *scan = next;
			const char *stop = NULL;
			while ((scan = find(scan, len - (size_t)(scan - body), "\r\n--", 4)) != NULL) {
				if ((size_t)(len - (size_t)(scan - body)) >= dlen + 2 &&
				    memcmp(scan + 2, delim, dlen) == 0) {
					stop = scan;
					break;
				}
				scan += 2;
			}
			if (stop == NULL)
				return -1;
			if (part_is_named(body + pos, (size_t)(head_end - (body + pos)), name)) {
				*value_off = (size_t)(next - body);
				*value_len = (size_t)(stop - next);
				return 0;
			}
			pos = (size_t)(stop - body) + 2 + dlen;
		}
	}
}
