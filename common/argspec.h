/*
 * common/argspec.h — argument schemas of the control commands, as data.
 *
 * Each command names a table of fields (name, type, flags, bounds, choices);
 * args_validate() checks a JSON object against it and produces a normalised
 * copy (strings trimmed or lower-cased, numeric strings turned into integers,
 * "1"/"true" into booleans), or a details array naming every bad field. Unknown
 * keys are errors: the schemas are strict, like OmniRoute's zod .strict().
 */
#ifndef OMNI_ARGSPEC_H
#define OMNI_ARGSPEC_H

#include <stdbool.h>
#include <json-c/json.h>

enum arg_type {
	ARG_STRING,		/* bounds = length after trimming */
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

/* Accessors for a normalised object; absent or null gives the fallback. */
const char *arg_string(struct json_object *args, const char *name, const char *fallback);
long long arg_int(struct json_object *args, const char *name, long long fallback);
bool	arg_bool(struct json_object *args, const char *name, bool fallback);
bool	arg_present(struct json_object *args, const char *name);	/* present, even null */
bool	arg_is_null(struct json_object *args, const char *name);

#endif
