/*
 * common/multipart.c — see multipart.h. A body is
 *   --B CRLF headers CRLF CRLF value CRLF --B ... CRLF --B-- [CRLF]
 * The scan is bounded by len; nothing is copied or allocated.
 */
#include <ctype.h>
#include <stdbool.h>
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

/* How a part's header block names it, against the field searched for. */
enum part_name {
	PART_OTHER,		/* not that field */
	PART_NAMED,		/* Content-Disposition: ...; name="name" */
	PART_NAMED_LOOSELY,	/* that field to a laxer reader: NAME="name",
				 * name=name, name="na\me" */
};

static bool
is_ows_byte(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One Content-Disposition line, after its colon: walk its parameters
 * (form-data; name="x"; filename="y") and judge each "name" one. The value
 * is a quoted-string (a backslash quotes the next byte) or a token; the
 * parameter name is compared in any case, as python-multipart and Go's
 * mime package read it.
 */
static enum part_name
disposition_names(const char *p, const char *eol, const char *name)
{
	size_t nlen = strlen(name);
	enum part_name best = PART_OTHER;

	while (p < eol) {
		const char *param = p, *param_end, *value, *value_end;
		bool quoted = false, unquoted_equal, exact;
		size_t vlen = 0;

		while (param < eol && (is_ows_byte(*param) || *param == ';'))
			param++;
		for (param_end = param; param_end < eol && *param_end != '=' &&
		    *param_end != ';' && !is_ows_byte(*param_end); param_end++)
			;
		p = param_end;
		if (param_end == param || param_end >= eol || *param_end != '=') {
			if (p == param)
				p++;	/* a stray byte: step over it */
			continue;
		}
		value = param_end + 1;
		if (value < eol && *value == '"') {
			quoted = true;
			unquoted_equal = true;
			for (value_end = value + 1; value_end < eol && *value_end != '"';
			    value_end++) {
				if (*value_end == '\\' && value_end + 1 < eol)
					value_end++;
				if (vlen >= nlen || *value_end != name[vlen])
					unquoted_equal = false;
				vlen++;
			}
			unquoted_equal = unquoted_equal && vlen == nlen;
			p = value_end < eol ? value_end + 1 : eol;
		} else {
			for (value_end = value; value_end < eol && *value_end != ';' &&
			    !is_ows_byte(*value_end); value_end++)
				;
			vlen = (size_t)(value_end - value);
			unquoted_equal = vlen == nlen && memcmp(value, name, nlen) == 0;
			p = value_end;
		}
		if (param_end - param != 4 || strncasecmp(param, "name", 4) != 0 ||
		    !unquoted_equal)
			continue;
		exact = quoted && memcmp(param, "name", 4) == 0 &&
		    (size_t)(value_end - value - 1) == nlen;	/* no backslash */
		if (exact)
			return PART_NAMED;
		best = PART_NAMED_LOOSELY;
	}
	return best;
}

/* How this part's header block (head, hlen) names it. */
static enum part_name
part_name_of(const char *head, size_t hlen, const char *name)
{
	const char *line = head, *end = head + hlen, *eol;
	enum part_name best = PART_OTHER, here;

	for (; line < end; line = eol + 2) {
		eol = find(line, (size_t)(end - line), "\r\n", 2);
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - line) > 20 &&
		    strncasecmp(line, "Content-Disposition:", 20) == 0) {
			here = disposition_names(line + 20, eol, name);
			if (here == PART_NAMED)
				return here;
			if (here != PART_OTHER)
				best = here;
		}
		if (eol == end)
			break;
	}
	return best;
}

/*
 * Walk the parts; the first one named name is the answer, but the walk goes
 * on to the closing delimiter: a second part that any reader takes for that
 * field makes the body ambiguous (-2). A body that stops being well-formed
 * after the answer keeps it.
 */
int
multipart_find_field(const char *body, size_t len, const char *boundary,
    const char *name, size_t *value_off, size_t *value_len)
{
	char delim[80];
	size_t dlen = strlen(boundary) + 2, pos, named = 0;
	const char *p, *head_end, *next;
	bool found = false;

	if (dlen + 2 > sizeof(delim))
		return -1;
	delim[0] = delim[1] = '-';
	memcpy(delim + 2, boundary, dlen - 2);
	/* the first delimiter opens the body (a preamble before it is allowed) */
	if ((p = find(body, len, delim, dlen)) == NULL)
		return -1;
	pos = (size_t)(p - body) + dlen;
	for (;;) {
		const char *scan, *stop = NULL;
		enum part_name part;

		if (pos + 2 > len)
			break;
		if (body[pos] == '-' && body[pos + 1] == '-')
			break;			/* the closing delimiter */
		if (body[pos] != '\r' || body[pos + 1] != '\n')
			break;
		pos += 2;
		head_end = find(body + pos, len - pos, "\r\n\r\n", 4);
		if (head_end == NULL)
			break;
		/* the value runs to CRLF followed by the next delimiter */
		next = body + (head_end - body) + 4;
		scan = next;
		while ((scan = find(scan, len - (size_t)(scan - body), "\r\n--", 4)) != NULL) {
			if ((size_t)(len - (size_t)(scan - body)) >= dlen + 2 &&
			    memcmp(scan + 2, delim, dlen) == 0) {
				stop = scan;
				break;
			}
			scan += 2;
		}
		if (stop == NULL)
			break;
		part = part_name_of(body + pos, (size_t)(head_end - (body + pos)), name);
		if (part != PART_OTHER && ++named > 1)
			return -2;
		if (part == PART_NAMED) {
			*value_off = (size_t)(next - body);
			*value_len = (size_t)(stop - next);
			found = true;
		}
		pos = (size_t)(stop - body) + 2 + dlen;
	}
	return found ? 0 : -1;
}
