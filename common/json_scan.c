/*
 * common/json_scan.c — validates a JSON request body in one pass and notes
 * where one top-level member's value lies, so the relay need not build a
 * json-c tree just to read and rewrite "model" (see json_scan.h for the
 * grammar and the promises).
 *
 * How it works: an iterative state machine over the bytes, with one bit per
 * open container (object or array) in a fixed array instead of recursion, so
 * no input can exhaust the stack. Strings are crossed by a table-driven loop
 * that stops only at a quote, a backslash, a control byte or a non-ASCII
 * byte; escapes and UTF-8 sequences are then checked exactly.
 *
 * Every error names the first byte that cannot continue any valid document:
 * "1.e5" fails at the "e", "\uDC00" alone at the "C" (no low surrogate may
 * start there), "\xE0\x80\x80" at the first 0x80 (overlong). The bytes
 * before error_at are thus always the start of some valid document; running
 * out of them is "unexpected end of input" at len.
 *
 * Top-level member names are unescaped as they are compared with the key
 * (json_name_match), so the scanner finds the member a JSON reader finds,
 * and counts every member some reader could take for it: a body that names
 * "model" twice is one the relay and a provider could read differently.
 */
#include <stdint.h>
#include <string.h>

#include "json_scan.h"

static const char error_end[] = "unexpected end of input";

struct scanner {
	const unsigned char	*buf;
	size_t			 len;
	size_t			 pos;
	const char		*error;
	size_t			 error_at;
};

/* Bytes a string's fast loop crosses: printable ASCII but quote and "\". */
static const bool string_plain_byte[256] = {
	[0x20 ... 0x21] = true,		/* 0x22 is the quote */
	[0x23 ... 0x5b] = true,		/* 0x5c is the backslash */
	[0x5d ... 0x7f] = true,
};

static bool
is_json_whitespace(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte at pos is wrong (or missing): record why, and stop. */
static bool
fail_here(struct scanner *s, const char *message)
{
	if (s->pos >= s->len) {
		s->error = error_end;
		s->error_at = s->len;
	} else {
		s->error = message;
		s->error_at = s->pos;
	}
	return false;
}

static bool
at_byte(const struct scanner *s, unsigned char c)
{
	return s->pos < s->len && s->buf[s->pos] == c;
}

static void
skip_whitespace(struct scanner *s)
{
	while (s->pos < s->len && is_json_whitespace(s->buf[s->pos]))
		s->pos++;
}

/*
 * One UTF-8 character of two to four bytes, lead byte at pos (RFC 3629 §4):
 * the second byte's range depends on the lead, which rules out overlong
 * forms (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code points
 * above U+10FFFF (F4 90-BF, F5-FF).
 */
static bool
scan_utf8_character(struct scanner *s)
{
	unsigned char lead = s->buf[s->pos];
	unsigned char second_min = 0x80, second_max = 0xbf;
	size_t continuation_bytes, i;

	if (lead >= 0xc2 && lead <= 0xdf)
		continuation_bytes = 1;
	else if (lead >= 0xe0 && lead <= 0xef) {
		continuation_bytes = 2;
		if (lead == 0xe0)
			second_min = 0xa0;
		else if (lead == 0xed)
			second_max = 0x9f;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		continuation_bytes = 3;
		if (lead == 0xf0)
			second_min = 0x90;
		else if (lead == 0xf4)
			second_max = 0x8f;
	} else
		return fail_here(s, "invalid UTF-8");
	s->pos++;
	for (i = 0; i < continuation_bytes; i++) {
		unsigned char c;

		if (s->pos >= s->len)
			return fail_here(s, error_end);
		c = s->buf[s->pos];
		if (c < (i == 0 ? second_min : 0x80) ||
		    c > (i == 0 ? second_max : 0xbf))
			return fail_here(s, "invalid UTF-8");
		s->pos++;
	}
	return true;
}

enum escape_unit {
	ESCAPE_NOT_LOW_SURROGATE,	/* any code unit but \uDC00-\uDFFF */
	ESCAPE_LOW_SURROGATE,		/* only \uDC00-\uDFFF */
};

/*
 * The four hex digits of a \u escape, at pos. Whether the unit may be a
 * surrogate is settled by its first two digits (D8-DB high, DC-DF low), so
 * a unit that is not allowed here fails at the first or second digit.
 */
static bool
scan_escape_hex(struct scanner *s, enum escape_unit allowed, unsigned *unit)
{
	int digit, i;

	*unit = 0;
	for (i = 0; i < 4; i++) {
		if (s->pos >= s->len)
			return fail_here(s, error_end);
		if ((digit = hex_digit_value(s->buf[s->pos])) < 0)
			return fail_here(s, "invalid \\u escape");
		*unit = *unit << 4 | (unsigned)digit;
		if (allowed == ESCAPE_LOW_SURROGATE) {
			if ((i == 0 && *unit != 0xd) ||
			    (i == 1 && *unit < 0xdc))
				return fail_here(s, "unpaired surrogate escape");
		} else if (i == 1 && *unit >= 0xdc && *unit <= 0xdf)
			return fail_here(s, "unpaired surrogate escape");
		s->pos++;
	}
	return true;
}

/* An escape, backslash at pos; a high surrogate takes its low one along. */
static bool
scan_escape(struct scanner *s)
{
	unsigned unit;

	s->pos++;
	if (s->pos >= s->len)
		return fail_here(s, error_end);
	switch (s->buf[s->pos]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		s->pos++;
		return true;
	case 'u':
		s->pos++;
		break;
	default:
		return fail_here(s, "invalid escape");
	}
	if (!scan_escape_hex(s, ESCAPE_NOT_LOW_SURROGATE, &unit))
		return false;
	if (unit < 0xd800 || unit > 0xdbff)
		return true;
	if (s->pos >= s->len || s->buf[s->pos] != '\\')
		return fail_here(s, "unpaired surrogate escape");
	s->pos++;
	if (s->pos >= s->len || s->buf[s->pos] != 'u')
		return fail_here(s, "unpaired surrogate escape");
	s->pos++;
	return scan_escape_hex(s, ESCAPE_LOW_SURROGATE, &unit);
}

/* Where the run of plain string bytes from pos ends: the hot loop. */
static size_t
skip_plain_string_bytes(const struct scanner *s)
{
	const unsigned char *p = s->buf + s->pos, *end = s->buf + s->len;

	while (p < end && string_plain_byte[*p])
		p++;
	return (size_t)(p - s->buf);
}

/* A string, opening quote at pos; leaves pos after the closing quote. */
static bool
scan_string(struct scanner *s, bool *has_backslash)
{
	*has_backslash = false;
	s->pos++;
	for (;;) {
		unsigned char c;

		s->pos = skip_plain_string_bytes(s);
		if (s->pos >= s->len)
			return fail_here(s, error_end);
		c = s->buf[s->pos];
		if (c == '"') {
			s->pos++;
			return true;
		}
		if (c == '\\') {
			*has_backslash = true;
			if (!scan_escape(s))
				return false;
		} else if (c < 0x20)
			return fail_here(s, "control character in string");
		else if (!scan_utf8_character(s))
			return false;
	}
}

/* One or more digits at pos. */
static bool
scan_digits(struct scanner *s)
{
	if (s->pos >= s->len || !is_digit(s->buf[s->pos]))
		return fail_here(s, "digit expected in number");
	while (s->pos < s->len && is_digit(s->buf[s->pos]))
		s->pos++;
	return true;
}

/* A number, first byte ("-" or a digit) at pos. */
static bool
scan_number(struct scanner *s)
{
	if (s->buf[s->pos] == '-')
		s->pos++;
	if (s->pos < s->len && s->buf[s->pos] == '0') {
		s->pos++;
		if (s->pos < s->len && is_digit(s->buf[s->pos]))
			return fail_here(s, "leading zero in number");
	} else if (!scan_digits(s))
		return false;
	if (s->pos < s->len && s->buf[s->pos] == '.') {
		s->pos++;
		if (!scan_digits(s))
			return false;
	}
	if (s->pos < s->len && (s->buf[s->pos] == 'e' ||
	    s->buf[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->len && (s->buf[s->pos] == '+' ||
		    s->buf[s->pos] == '-'))
			s->pos++;
		if (!scan_digits(s))
			return false;
	}
	return true;
}

/* true, false or null, first byte at pos. */
static bool
scan_literal(struct scanner *s, const char *literal)
{
	for (; *literal != '\0'; literal++) {
		if (s->pos >= s->len || s->buf[s->pos] != (unsigned char)*literal)
			return fail_here(s, "invalid literal");
		s->pos++;
	}
	return true;
}

/* Why the byte at pos cannot start a value. */
static const char *
misplaced_value_message(unsigned char c)
{
	if (c == '\'')
		return "single-quoted string";
	if (c == '/')
		return "comment";
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return "invalid literal";
	if (c == '+' || c == '.')
		return "invalid number";
	return "expected value";
}

/* Why the byte at pos cannot start a member name. */
static const char *
misplaced_name_message(unsigned char c)
{
	if (c == '\'')
		return "single-quoted string";
	if (c == '/')
		return "comment";
	return "expected string key";
}

/* ---- member names as a reader sees them --------------------------------- */

/* Four hex digits at raw[at..], as one UTF-16 code unit; -1 if malformed. */
static long
escape_unit(const char *raw, size_t len, size_t at)
{
	long unit = 0;
	size_t i;

	if (len < at || len - at < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int digit = hex_digit_value((unsigned char)raw[at + i]);

		if (digit < 0)
			return -1;
		unit = unit << 4 | digit;
	}
	return unit;
}

/*
 * The escape at raw[*at] (a backslash), decoded to UTF-8 in out; *at moves
 * past it. 0 when it is no valid escape (unknown letter, bad hex, a lone or
 * reversed surrogate), else the number of bytes.
 */
static size_t
unescape_one(const char *raw, size_t len, size_t *at, unsigned char out[4])
{
	static const char short_escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	long unit, low;
	unsigned long cp;
	size_t i;

	if (*at + 1 >= len)
		return 0;
	for (i = 0; short_escapes[i] != '\0'; i += 2)
		if (raw[*at + 1] == short_escapes[i]) {
			out[0] = (unsigned char)short_escapes[i + 1];
			*at += 2;
			return 1;
		}
	if (raw[*at + 1] != 'u' || (unit = escape_unit(raw, len, *at + 2)) < 0)
		return 0;
	*at += 6;
	cp = (unsigned long)unit;
	if (unit >= 0xdc00 && unit <= 0xdfff)
		return 0;
	if (unit >= 0xd800 && unit <= 0xdbff) {
		if (*at + 1 >= len || raw[*at] != '\\' || raw[*at + 1] != 'u' ||
		    (low = escape_unit(raw, len, *at + 2)) < 0xdc00 || low > 0xdfff)
			return 0;
		*at += 6;
		cp = 0x10000 + (((unsigned long)unit - 0xd800) << 10) +
		    ((unsigned long)low - 0xdc00);
	}
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * The name is unescaped byte by byte and compared as it goes, both ways at
 * once: exact (every byte), and loose (ASCII case ignored, up to the first
 * NUL, where the loose verdict is then fixed). Most names differ from the
 * key in their first bytes, so the walk usually stops there.
 */
enum json_name_match
json_name_match(const char *raw, size_t len, const char *key, size_t key_len)
{
	const unsigned char *k = (const unsigned char *)key;
	unsigned char bytes[4];
	size_t at = 0, pos = 0, n, i;
	bool exact = true, loose = true, cut = false;

	while (at < len) {
		if (raw[at] == '\\') {
			if ((n = unescape_one(raw, len, &at, bytes)) == 0)
				return JSON_NAME_DIFFERENT;
		} else {
			bytes[0] = (unsigned char)raw[at++];
			n = 1;
		}
		for (i = 0; i < n; i++, pos++) {
			if (pos >= key_len || bytes[i] != k[pos])
				exact = false;
			if (cut)
				continue;
			if (bytes[i] == '\0') {
				cut = true;
				loose = loose && pos == key_len;
			} else if (pos >= key_len ||
			    ascii_lower(bytes[i]) != ascii_lower(k[pos]))
				loose = false;
		}
		if (!exact && !loose)
			return JSON_NAME_DIFFERENT;
	}
	if (exact && pos == key_len)
		return JSON_NAME_EXACT;
	if (loose && (cut || pos == key_len))
		return JSON_NAME_LOOSE;
	return JSON_NAME_DIFFERENT;
}

/* ---- the document ---------------------------------------------------------- */

/* The open containers, innermost last: one bit each, set for an array. */
struct container_stack {
	uint64_t	is_array[JSON_SCAN_MAX_DEPTH / 64];
	int		depth;
	int		max_depth;
};

static bool
container_push(struct scanner *s, struct container_stack *stack, bool array)
{
	uint64_t bit;

	if (stack->depth >= stack->max_depth)
		return fail_here(s, "nesting too deep");
	bit = (uint64_t)1 << (stack->depth % 64);
	if (array)
		stack->is_array[stack->depth / 64] |= bit;
	else
		stack->is_array[stack->depth / 64] &= ~bit;
	stack->depth++;
	s->pos++;
	return true;
}

static bool
container_is_array(const struct container_stack *stack)
{
	int top = stack->depth - 1;

	return (stack->is_array[top / 64] >> (top % 64)) & 1;
}

enum scan_step {
	STEP_VALUE,		/* a value */
	STEP_FIRST_MEMBER,	/* after "{": a member name or "}" */
	STEP_MEMBER,		/* after "," in an object: a member name */
	STEP_FIRST_ELEMENT,	/* after "[": a value or "]" */
	STEP_ELEMENT,		/* after "," in an array: a value */
	STEP_AFTER_VALUE,	/* "," or the container's closing bracket */
};

/* Where the current top-level member's value starts, if its name is key. */
struct key_search {
	const char	*key;
	size_t		 key_len;
	bool		 member_matches;
	size_t		 value_at;
	size_t		 count;		/* names some reader takes for key */
};

/* A member name, quote at pos, then ":"; a top-level name is compared. */
static bool
scan_member_name(struct scanner *s, const struct container_stack *stack,
    struct key_search *search)
{
	size_t name_at = s->pos + 1;
	bool has_backslash;

	if (s->pos >= s->len)
		return fail_here(s, error_end);
	if (s->buf[s->pos] != '"')
		return fail_here(s, misplaced_name_message(s->buf[s->pos]));
	if (!scan_string(s, &has_backslash))
		return false;
	if (stack->depth == 1 && search->key != NULL) {
		enum json_name_match match = json_name_match(
		    (const char *)s->buf + name_at, s->pos - 1 - name_at,
		    search->key, search->key_len);

		search->member_matches = match == JSON_NAME_EXACT;
		if (match != JSON_NAME_DIFFERENT)
			search->count++;
	}
	skip_whitespace(s);
	if (!at_byte(s, ':'))
		return fail_here(s, "expected ':'");
	s->pos++;
	skip_whitespace(s);
	if (stack->depth == 1)
		search->value_at = s->pos;
	return true;
}

/* A value's first byte at pos; containers are only opened here. */
static bool
scan_value_start(struct scanner *s, struct container_stack *stack,
    enum scan_step *step, bool *last_string_plain)
{
	bool has_backslash;
	unsigned char c;

	if (s->pos >= s->len)
		return fail_here(s, error_end);
	c = s->buf[s->pos];
	switch (c) {
	case '{':
		*step = STEP_FIRST_MEMBER;
		return container_push(s, stack, false);
	case '[':
		*step = STEP_FIRST_ELEMENT;
		return container_push(s, stack, true);
	case '"':
		*step = STEP_AFTER_VALUE;
		if (!scan_string(s, &has_backslash))
			return false;
		*last_string_plain = !has_backslash;
		return true;
	case 't':
		*step = STEP_AFTER_VALUE;
		return scan_literal(s, "true");
	case 'f':
		*step = STEP_AFTER_VALUE;
		return scan_literal(s, "false");
	case 'n':
		*step = STEP_AFTER_VALUE;
		return scan_literal(s, "null");
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		*step = STEP_AFTER_VALUE;
		return scan_number(s);
	default:
		return fail_here(s, misplaced_value_message(c));
	}
}

/* Record the member just ended, if it is the one searched for. */
static void
note_found_member(const struct scanner *s, struct key_search *search,
    bool last_string_plain, struct json_scan_result *out)
{
	size_t start = search->value_at, end = s->pos;

	search->member_matches = false;
	out->found = true;
	if (s->buf[start] == '"') {
		out->value_off = start + 1;
		out->value_len = end - 1 - (start + 1);
		out->value_is_plain_string = last_string_plain;
	} else {
		out->value_off = start;
		out->value_len = end - start;
		out->value_is_plain_string = false;
	}
}

static bool
scan_document(struct scanner *s, int max_depth, bool object_only,
    struct key_search *search, struct json_scan_result *out)
{
	struct container_stack stack;
	enum scan_step step = STEP_FIRST_MEMBER;
	bool last_string_plain = false;

	memset(&stack, 0, sizeof(stack));
	stack.max_depth = max_depth < JSON_SCAN_MAX_DEPTH ? max_depth :
	    JSON_SCAN_MAX_DEPTH;
	skip_whitespace(s);
	if (!object_only) {
		/* any value; a scalar is the whole document */
		if (!scan_value_start(s, &stack, &step, &last_string_plain))
			return false;
	} else {
		if (s->pos >= s->len || s->buf[s->pos] != '{')
			return fail_here(s, "not an object");
		if (!container_push(s, &stack, false))
			return false;
	}

	while (stack.depth > 0) {
		skip_whitespace(s);
		switch (step) {
		case STEP_FIRST_MEMBER:
		case STEP_MEMBER:
			if (at_byte(s, '}')) {
				if (step == STEP_MEMBER)
					return fail_here(s, "trailing comma");
				break;
			}
			if (!scan_member_name(s, &stack, search))
				return false;
			step = STEP_VALUE;
			continue;
		case STEP_FIRST_ELEMENT:
		case STEP_ELEMENT:
			if (at_byte(s, ']')) {
				if (step == STEP_ELEMENT)
					return fail_here(s, "trailing comma");
				break;
			}
			/* FALLTHROUGH */
		case STEP_VALUE:
			if (!scan_value_start(s, &stack, &step,
			    &last_string_plain))
				return false;
			/* a scalar member of the top-level object ended */
			if (step == STEP_AFTER_VALUE && stack.depth == 1 &&
			    search->member_matches)
				note_found_member(s, search, last_string_plain,
				    out);
			continue;
		case STEP_AFTER_VALUE:
			if (at_byte(s, ',')) {
				s->pos++;
				step = container_is_array(&stack) ?
				    STEP_ELEMENT : STEP_MEMBER;
				continue;
			}
			if (container_is_array(&stack) ? !at_byte(s, ']') :
			    !at_byte(s, '}'))
				return fail_here(s, at_byte(s, '/') ? "comment" :
				    container_is_array(&stack) ?
				    "expected ',' or ']'" : "expected ',' or '}'");
			break;
		}
		/* the byte at pos closes the innermost container */
		s->pos++;
		stack.depth--;
		step = STEP_AFTER_VALUE;
		/* a container member of the top-level object ended */
		if (stack.depth == 1 && search->member_matches)
			note_found_member(s, search, false, out);
	}
	skip_whitespace(s);
	if (s->pos < s->len)
		return fail_here(s, "trailing data");
	return true;
}

static enum parse
scan(const char *buf, size_t len, int max_depth, bool object_only, const char *key,
    struct json_scan_result *out)
{
	struct scanner s;
	struct key_search search;

	memset(out, 0, sizeof(*out));
	s.buf = (const unsigned char *)buf;
	s.len = len;
	s.pos = 0;
	s.error = NULL;
	s.error_at = 0;
	search.key = key;
	search.key_len = key != NULL ? strlen(key) : 0;
	search.member_matches = false;
	search.value_at = 0;
	search.count = 0;
	if (!scan_document(&s, max_depth, object_only, &search, out)) {
		memset(out, 0, sizeof(*out));
		out->error = s.error;
		out->error_at = s.error_at;
		return PARSE_INVALID;
	}
	out->key_count = search.count;
	return PARSE_DONE;
}

enum parse
json_scan_object(const char *buf, size_t len, int max_depth, const char *key,
    struct json_scan_result *out)
{
	return scan(buf, len, max_depth, true, key, out);
}

enum parse
json_scan_value(const char *buf, size_t len, int max_depth, struct json_scan_result *out)
{
	return scan(buf, len, max_depth, false, NULL, out);
}
