/*
 * common/argspec.h — argument schemas of the control commands, as data.
 *
 * Each command names a table of fields (name, type, flags, bounds, choices);
 * args_validate() checks a JSON object against it and produces a normalised
 * copy (strings trimmed or lower-cased, numeric strings turned into integers,
 * "1"/"true" into booleans), or a details array naming every bad field. Unknown
 * keys are errors: the schemas are strict, like OmniRoute's zod .strict().
 *
 * Rules every string field follows, whatever its table says (one place, so
 * every command and every face refuses the same values):
 *   - valid UTF-8; lengths (bounds) are counted in bytes of UTF-8, which is
 *     what a wire format (SOCKS5, a header, a DNS name) limits;
 *   - no control characters (C0, DEL) — free text (ARG_TEXT) may hold TAB,
 *     LF and CR, and nothing may hold NUL; checked before trimming, so a
 *     trailing CR LF is refused, not silently cut;
 *   - a required string is not empty or only white space, and neither is a
 *     string marked ARG_NOT_BLANK when it is given (ids: removing something
 *     is said with null, never with "").
 */
#ifndef OMNI_ARGSPEC_H
#define OMNI_ARGSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

enum arg_type {
	ARG_STRING,		/* bounds = length in bytes after trimming */
	ARG_INT,		/* integer or a string of digits; bounds = value */
	ARG_BOOL,		/* true/false, 1/0, "true"/"false", "1"/"0" */
	ARG_STRING_ARRAY,	/* array of non-empty strings (trimmed); bounds = count */
	ARG_OBJECT,		/* any JSON object */
	ARG_ARRAY,		/* any JSON array; bounds = count */
	ARG_ANY,		/* any JSON value */
};

#define ARG_REQUIRED	0x01
#define ARG_TRIM	0x02	/* strings: trim white space */
#define ARG_LOWER	0x04	/* strings: lower-case (choices match after it) */
#define ARG_NULLABLE	0x08	/* null is accepted and kept */
#define ARG_HAS_MIN	0x10
#define ARG_HAS_MAX	0x20
#define ARG_PROXY_REF	0x40	/* strings: a proxy id or name; the master's
				   dispatcher turns a name into the id */
#define ARG_DIRECT_WORD	0x80	/* with ARG_PROXY_REF: the word "direct" is
				   kept as it is (a scope going direct) */
#define ARG_NOT_BLANK	0x100	/* strings: when given (not null), not empty
				   or white space (ARG_REQUIRED implies it) */
#define ARG_TEXT	0x200	/* strings: free text; TAB, LF, CR allowed */
#define ARG_STRICT	0x400	/* booleans: JSON true/false only */
#define ARG_SLUG	0x800	/* strings: an id of letters, digits, '.', '_',
				   '-', starting with a letter or digit */
#define ARG_WORD_LIST	0x1000	/* strings: a comma-separated list of words,
				   each one of choices ("health,usage"); ""
				   is the empty list. Read with arg_word_set */

struct arg_spec {
	const char		*name;
	enum arg_type		 type;
	unsigned		 flags;
	long long		 min;
	long long		 max;
	const char *const	*choices;	/* NULL-terminated, or NULL */
};

#define ARGSPEC_END	{ NULL, ARG_ANY, 0, 0, 0, NULL }

/*
 * Validate args (an object, or NULL meaning {}) against spec. On success
 * returns 0 and *normalised is a new object. On failure returns -1 and
 * *details is a new array of {"field","message"}.
 */
int	args_validate(const struct arg_spec *spec, struct json_object *args,
	    struct json_object **normalised, struct json_object **details);

/*
 * Does s[0..len) hold a control character (C0 or DEL; with allow_text, TAB,
 * LF and CR are not counted)? Does it match ARG_SLUG? (utf8_valid() is in
 * util.h.)
 */
bool	has_control_chars(const char *s, size_t len, bool allow_text);
bool	slug_valid(const char *s, size_t len);
/*
 * A comma-separated list of words (white space around each ignored), each
 * one of choices (NULL-terminated, at most 32): bit i of *set for choices[i].
 * "" is the empty set. -1 (and *set 0) for an empty or unknown word.
 */
int	word_list_parse(const char *s, size_t len, const char *const *choices,
	    unsigned *set);

/* Accessors for a normalised object; absent or null gives the fallback. */
const char *arg_string(struct json_object *args, const char *name, const char *fallback);
long long arg_int(struct json_object *args, const char *name, long long fallback);
bool	arg_bool(struct json_object *args, const char *name, bool fallback);
/* An ARG_WORD_LIST field as the set of word_list_parse (0 when absent). */
unsigned arg_word_set(struct json_object *args, const char *name,
	    const char *const *choices);
bool	arg_present(struct json_object *args, const char *name);	/* present, even null */
bool	arg_is_null(struct json_object *args, const char *name);

#endif
