/*
 * common/http_fields.h — the head core that the request-head parser
 * (http_parse.c) and the response-head parser (http_response.c) share: the
 * line walk of an HTTP/1.x head, the grammar of one header-field line and the
 * framing and connection rules of egress-notes.md §3 (Content-Length,
 * Transfer-Encoding, Connection). A request and a response are read by the
 * same rules, so no header block can be framed one way by one parser and
 * another way by the other.
 *
 * It decides, it does not word: each refusal is an http_head_fault, and each
 * parser keeps its own table turning a fault into the status and message its
 * peer is answered with. It never allocates: names and values point into the
 * caller's buffer.
 *
 * Rules (RFC 9110 §5, RFC 9112 §2, §5 and §6):
 *   - Lines end in CRLF; a bare LF or a bare CR anywhere is refused. Every
 *     line is judged as far as it has arrived, so the first fault in byte
 *     order wins and a refused prefix stays refused. The head ends at the
 *     first empty line after the start line; max_head bounds it.
 *   - field-line = field-name ":" OWS field-value OWS; the name is a token
 *     with no whitespace before the colon; value bytes are VCHAR, SP, HTAB
 *     and obs-text (no NUL, no control characters); a line starting with SP
 *     or HTAB is obs-fold (or, before any header, whitespace before the first
 *     one) and refused. At most HTTP_MAX_HEADERS fields.
 *   - Content-Length: exactly one, 1..18 digits and nothing else (no sign,
 *     no list, so "5, 5" is refused); leading zeros are fine.
 *   - Transfer-Encoding: exactly one line, exactly "chunked" (any case); never
 *     with Content-Length; never on HTTP/1.0. Other values are told apart:
 *     malformed lists, chunked twice, chunked not final, no chunked at all,
 *     other codings under a final chunked.
 *   - Connection: the "close" and "keep-alive" options, from every Connection
 *     line; HTTP/1.1 persists unless "close", HTTP/1.0 only with "keep-alive"
 *     and without "close".
 */
#ifndef OMNI_HTTP_FIELDS_H
#define OMNI_HTTP_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "parse.h"

#define HTTP_MAX_HEADERS	64

struct http_header {
	const char	*name;	/* not NUL-terminated; points into the buffer */
	size_t		 name_len;
	const char	*value;	/* leading/trailing OWS trimmed */
	size_t		 value_len;
};

enum http_head_fault {
	HTTP_HEAD_OK,			/* nothing wrong (so far, on a partial line) */
	HTTP_HEAD_NUL,			/* a NUL byte in any line */
	/* the line walk */
	HTTP_HEAD_BARE_LF,
	HTTP_HEAD_BARE_CR,
	HTTP_HEAD_TOO_MANY_EMPTY_LINES,	/* before the start line */
	HTTP_HEAD_START_LINE_TOO_LONG,	/* max_head bytes without one CRLF */
	HTTP_HEAD_TOO_LARGE,		/* max_head bytes without the empty line */
	/* a header-field line */
	HTTP_FIELD_WHITESPACE_BEFORE_FIRST,	/* first header line starts with OWS */
	HTTP_FIELD_OBS_FOLD,		/* a later line starts with OWS */
	HTTP_FIELD_TOO_MANY,		/* HTTP_MAX_HEADERS already taken */
	HTTP_FIELD_NO_COLON,
	HTTP_FIELD_WHITESPACE_BEFORE_COLON,
	HTTP_FIELD_BAD_NAME_BYTE,
	HTTP_FIELD_EMPTY_NAME,
	HTTP_FIELD_BAD_VALUE_BYTE,	/* a control character */
	/* Content-Length */
	HTTP_FIELD_DUPLICATE_CONTENT_LENGTH,
	HTTP_FIELD_BAD_CONTENT_LENGTH,
	HTTP_FIELD_LENGTH_AND_CODING,	/* Content-Length and Transfer-Encoding */
	/* Transfer-Encoding */
	HTTP_FIELD_CODING_IN_HTTP10,
	HTTP_FIELD_DUPLICATE_TRANSFER_ENCODING,
	HTTP_FIELD_BAD_TRANSFER_ENCODING,	/* not a list of tokens */
	HTTP_FIELD_CHUNKED_TWICE,	/* "chunked, chunked", "chunked, gzip, chunked" */
	HTTP_FIELD_CHUNKED_NOT_FINAL,	/* "chunked, gzip" */
	HTTP_FIELD_NO_CHUNKED,		/* "gzip", "chunkedx" */
	HTTP_FIELD_UNSUPPORTED_CODING,	/* "gzip, chunked" */
	HTTP_HEAD_FAULT_COUNT
};

/* What the framing and connection lines of one head said so far. */
struct http_field_facts {
	bool		 have_content_length;
	uint64_t	 content_length;
	bool		 chunked;		/* "Transfer-Encoding: chunked" */
	bool		 connection_close;
	bool		 connection_keep_alive;
};

/*
 * Judge one header line, line[0..n) without its CRLF (n > 0), as far as it
 * has arrived (complete: CRLF followed it). headers[0..*header_count) are the
 * head's fields so far (room for HTTP_MAX_HEADERS). Returns the first fault
 * in byte order, or HTTP_HEAD_OK; when the line is complete and OK it is
 * appended to headers, value OWS-trimmed.
 */
enum http_head_fault http_field_line(const char *line, size_t n, bool complete,
		    struct http_header *headers, size_t *header_count);

/*
 * Apply the framing and connection rules to one field of a head of HTTP/1.x
 * (version_minor 0 or 1), given what the earlier fields said; any other
 * field is HTTP_HEAD_OK and changes nothing.
 */
enum http_head_fault http_field_apply(const struct http_header *field,
		    int version_minor, struct http_field_facts *facts);

/* Whether the connection persists as far as version and Connection go. */
bool		http_field_keep_alive(const struct http_field_facts *facts,
		    int version_minor);

/*
 * The parts of the parser's own head that the walk fills in or reads: where
 * the fields go, the head's length once whole, the version its start line
 * set; and what the fields said so far.
 */
struct http_head_parts {
	struct http_header	*headers;	/* HTTP_MAX_HEADERS long */
	size_t			*count;
	size_t			*head_len;	/* set before finish is called */
	const int		*version_minor;
	struct http_field_facts	 facts;
};

/* The parts of a head struct that names them so (both parsers' heads do). */
#define HTTP_HEAD_PARTS_OF(head) {					\
		.headers = (head)->headers,				\
		.count = &(head)->header_count,				\
		.head_len = &(head)->head_len,				\
		.version_minor = &(head)->version_minor,		\
	}

/*
 * What differs, supplied by each parser:
 *   start_line  judges line[0..n) so far (n > 0, CRLF not included);
 *   field       a parser's own rule for a complete field the shared rules
 *               accepted (NULL when it has none);
 *   finish      what it decides once the whole head is there;
 *   refuse      records how it words a fault of the shared rules;
 * each returning PARSE_MORE, PARSE_DONE or, having recorded why,
 * PARSE_INVALID; and how many empty lines may come before the start line.
 */
struct http_head_lines {
	enum parse	(*start_line)(void *parser, const char *line, size_t n,
			    bool complete);
	enum parse	(*field)(void *parser, const struct http_header *field);
	enum parse	(*finish)(void *parser);
	enum parse	(*refuse)(void *parser, enum http_head_fault fault);
	size_t		  max_leading_empty_lines;
};

/*
 * Walk the lines of buf[0..len), never past max_head bytes: the start line
 * to the parser, the header lines through the shared rules into parts.
 * PARSE_MORE while fewer than max_head bytes hold no whole head.
 */
enum parse	http_head_walk(const char *buf, size_t len, size_t max_head,
		    const struct http_head_lines *lines, void *parser,
		    struct http_head_parts *parts);

/* The first of headers[0..count) with this name (any case); NULL if none. */
const struct http_header *http_fields_find(const struct http_header *headers,
		    size_t count, const char *name);

/*
 * Whether name[0..len) is one of the comma-separated options of this
 * Connection header (any case, OWS ignored); false for a NULL header.
 */
bool		http_connection_lists(const struct http_header *connection_header,
		    const char *name, size_t len);

/* Case-insensitive compare of a (ptr,len) token with a C string. */
bool		http_token_equals(const char *s, size_t len, const char *lit);

#endif
