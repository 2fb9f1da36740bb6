/*
 * common/argspec.c — strict validation and normalisation of command arguments
 * against a field table (see argspec.h). Every message names its field.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "reply.h"
#include "util.h"

static const struct arg_spec *
spec_find(const struct arg_spec *spec, const char *name)
{
	for (; spec->name != NULL; spec++)
		if (strcmp(spec->name, name) == 0)
			return spec;
	return NULL;
}

/* Trim (and maybe lower-case) a string; returns a new json string. */
static struct json_object *
normalise_string(const char *s, size_t len, unsigned flags, size_t *out_len)
{
	size_t start = 0, end = len, i;
	char *buf;
	struct json_object *o;

	if (flags & ARG_TRIM) {
		while (start < end && isspace((unsigned char)s[start]))
			start++;
		while (end > start && isspace((unsigned char)s[end - 1]))
			end--;
	}
	buf = malloc(end - start + 1);
	if (buf == NULL)
		abort();
	memcpy(buf, s + start, end - start);
	buf[end - start] = '\0';
	if (flags & ARG_LOWER)
		for (i = 0; i < end - start; i++)
			buf[i] = (char)tolower((unsigned char)buf[i]);
	*out_len = end - start;
	o = json_object_new_string_len(buf, (int)(end - start));
	free(buf);
	return o;
}

bool
has_control_chars(const char *s, size_t len, bool allow_text)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (allow_text && (c == '\t' || c == '\n' || c == '\r'))
			continue;
		if (c < 0x20 || c == 0x7F)
			return true;
	}
	return false;
}

bool
slug_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return false;
	return true;
}

int
word_list_parse(const char *s, size_t len, const char *const *choices,
    unsigned *set)
{
	const char *end = s + len, *word, *stop;
	unsigned words = 0;
	size_t i, n;

	*set = 0;
	for (word = s; word < end && (*word == ' ' || *word == '\t'); word++)
		;
	if (word == end)
		return 0;	/* the empty list */
	while (s <= end) {
		stop = memchr(s, ',', (size_t)(end - s));
		if (stop == NULL)
			stop = end;
		for (word = s; word < stop && (*word == ' ' || *word == '\t'); word++)
			;
		for (n = (size_t)(stop - word); n > 0 && (word[n - 1] == ' ' ||
		    word[n - 1] == '\t'); n--)
			;
		for (i = 0; n > 0 && i < 32 && choices[i] != NULL; i++)
			if (strlen(choices[i]) == n && memcmp(choices[i], word, n) == 0)
				break;
		if (n == 0 || i == 32 || choices[i] == NULL)
			return -1;	/* nothing of a bad list is kept */
		words |= 1u << i;
		s = stop + 1;
	}
	*set = words;
	return 0;
}

static void
add_choices_message(struct json_object *details, const struct arg_spec *f)
{
	char list[512] = "";
	size_t i;

	for (i = 0; f->choices[i] != NULL; i++) {
		if (i > 0)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, f->choices[i], sizeof(list) - strlen(list) - 1);
	}
	if (f->flags & ARG_WORD_LIST)
		details_add(details, f->name, "%s must be a comma-separated list of "
		    "%s", f->name, list);
	else
		details_add(details, f->name, "%s must be one of %s", f->name, list);
}

/*
 * The rules every string obeys (see argspec.h); false with a detail added.
 * what names the value in the message ("name", "scopeIds[2]").
 */
static bool
string_is_clean(const char *field, const char *what, const char *s, size_t len,
    unsigned flags, struct json_object *details)
{
	if (memchr(s, '\0', len) != NULL) {
		details_add(details, field, "%s must not contain NUL", what);
		return false;
	}
	if (!utf8_valid(s, len)) {
		details_add(details, field, "%s must be valid UTF-8", what);
		return false;
	}
	if (has_control_chars(s, len, (flags & ARG_TEXT) != 0)) {
		details_add(details, field, "%s must not contain control characters%s",
		    what, (flags & ARG_TEXT) ? " other than tab and line breaks" :
		    " (CR, LF, TAB, ...)");
		return false;
	}
	return true;
}

static struct json_object *
check_string(const struct arg_spec *f, struct json_object *v,
    struct json_object *details)
{
	struct json_object *out;
	const char *s;
	size_t len, nlen, i;

	if (!json_object_is_type(v, json_type_string)) {
		details_add(details, f->name, "%s must be a string", f->name);
		return NULL;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (!string_is_clean(f->name, f->name, s, len, f->flags, details))
		return NULL;
	out = normalise_string(s, len, f->flags, &nlen);
	if ((f->flags & (ARG_REQUIRED | ARG_NOT_BLANK)) &&
	    strspn(json_object_get_string(out), " \t\r\n\v\f") == nlen) {
		/* given, but empty or blank: say so, and how removal is said */
		details_add(details, f->name, "%s must not be empty or blank%s",
		    f->name, (f->flags & ARG_NULLABLE) ? " (null removes)" : "");
		json_object_put(out);
		return NULL;
	}
	if ((f->flags & ARG_HAS_MIN) && (long long)nlen < f->min) {
		if (f->min == 1)
			details_add(details, f->name, "%s must not be empty or blank",
			    f->name);
		else
			details_add(details, f->name,
			    "%s must be at least %lld bytes", f->name, f->min);
		json_object_put(out);
		return NULL;
	}
	if ((f->flags & ARG_HAS_MAX) && (long long)nlen > f->max) {
		details_add(details, f->name, "%s must be at most %lld bytes (UTF-8)",
		    f->name, f->max);
		json_object_put(out);
		return NULL;
	}
	if ((f->flags & ARG_SLUG) && !slug_valid(json_object_get_string(out), nlen)) {
		details_add(details, f->name, "%s must be letters, digits, '.', '_' "
		    "or '-', starting with a letter or digit", f->name);
		json_object_put(out);
		return NULL;
	}
	if ((f->flags & ARG_WORD_LIST) && f->choices != NULL) {
		unsigned set;
		if (word_list_parse(json_object_get_string(out), nlen, f->choices,
		    &set) != 0) {
			add_choices_message(details, f);
			json_object_put(out);
			return NULL;
		}
	} else if (f->choices != NULL) {
		const char *ns = json_object_get_string(out);
		for (i = 0; f->choices[i] != NULL; i++)
			if (strcmp(ns, f->choices[i]) == 0)
				break;
		if (f->choices[i] == NULL) {
			add_choices_message(details, f);
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

static int
parse_decimal(const char *s, long long *out)
{
	const char *p = s;
	long long v = 0;
	int neg = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (9223372036854775807LL - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return -1;
	*out = neg ? -v : v;
	return 0;
}

static void
add_int_message(struct json_object *details, const struct arg_spec *f)
{
	if ((f->flags & ARG_HAS_MIN) && (f->flags & ARG_HAS_MAX))
		details_add(details, f->name,
		    "%s must be an integer between %lld and %lld", f->name,
		    f->min, f->max);
	else if (f->flags & ARG_HAS_MIN)
		details_add(details, f->name, "%s must be an integer >= %lld",
		    f->name, f->min);
	else
		details_add(details, f->name, "%s must be an integer", f->name);
}

static struct json_object *
check_int(const struct arg_spec *f, struct json_object *v,
    struct json_object *details)
{
	long long n;

	if (json_object_is_type(v, json_type_int)) {
		errno = 0;
		n = json_object_get_int64(v);
		/* json-c saturates integers beyond int64 without telling */
		if (errno != 0 || n == INT64_MAX || n == INT64_MIN) {
			add_int_message(details, f);
			return NULL;
		}
	} else if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d != d || d < -9e15 || d > 9e15 || (double)(long long)d != d) {
			add_int_message(details, f);
			return NULL;
		}
		n = (long long)d;
	} else if (json_object_is_type(v, json_type_string)) {
		if (parse_decimal(json_object_get_string(v), &n) != 0) {
			add_int_message(details, f);
			return NULL;
		}
	} else {
		add_int_message(details, f);
		return NULL;
	}
	if (((f->flags & ARG_HAS_MIN) && n < f->min) ||
	    ((f->flags & ARG_HAS_MAX) && n > f->max)) {
		add_int_message(details, f);
		return NULL;
	}
	return json_object_new_int64(n);
}

static struct json_object *
check_bool(const struct arg_spec *f, struct json_object *v,
    struct json_object *details)
{
	static const struct {
		const char	*text;
		bool		 value;
	} words[] = {
		{ "true", true }, { "1", true }, { "false", false }, { "0", false },
	};
	size_t i;

	if (json_object_is_type(v, json_type_boolean))
		return json_object_new_boolean(json_object_get_boolean(v));
	if (f->flags & ARG_STRICT) {
		details_add(details, f->name, "%s must be true or false", f->name);
		return NULL;
	}
	if (json_object_is_type(v, json_type_int)) {
		long long n = json_object_get_int64(v);
		if (n == 0 || n == 1)
			return json_object_new_boolean(n == 1);
	}
	if (json_object_is_type(v, json_type_string)) {
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strcmp(json_object_get_string(v), words[i].text) == 0)
				return json_object_new_boolean(words[i].value);
	}
	details_add(details, f->name, "%s must be a boolean", f->name);
	return NULL;
}

static struct json_object *
check_count(const struct arg_spec *f, struct json_object *v,
    struct json_object *details)
{
	long long n = (long long)json_object_array_length(v);

	if ((f->flags & ARG_HAS_MIN) && n < f->min) {
		details_add(details, f->name, "%s must have at least %lld items",
		    f->name, f->min);
		return NULL;
	}
	if ((f->flags & ARG_HAS_MAX) && n > f->max) {
		details_add(details, f->name, "%s must have at most %lld items",
		    f->name, f->max);
		return NULL;
	}
	return v;
}

static struct json_object *
check_string_array(const struct arg_spec *f, struct json_object *v,
    struct json_object *details)
{
	struct json_object *out;
	size_t i, n, len;

	if (!json_object_is_type(v, json_type_array)) {
		details_add(details, f->name, "%s must be an array of strings", f->name);
		return NULL;
	}
	if (check_count(f, v, details) == NULL)
		return NULL;
	n = json_object_array_length(v);
	out = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s;
		char what[96];
		if (!json_object_is_type(e, json_type_string))
			goto bad;
		s = json_object_get_string(e);
		snprintf(what, sizeof(what), "%s[%zu]", f->name, i);
		if (!string_is_clean(f->name, what, s,
		    (size_t)json_object_get_string_len(e), f->flags, details)) {
			json_object_put(out);
			return NULL;
		}
		e = normalise_string(s, (size_t)json_object_get_string_len(e),
		    ARG_TRIM, &len);
		if (len == 0) {
			json_object_put(e);
			goto bad;
		}
		json_object_array_add(out, e);
		continue;
bad:
		details_add(details, f->name,
		    "%s[%zu] must be a non-empty string", f->name, i);
		json_object_put(out);
		return NULL;
	}
	return out;
}

static struct json_object *
check_value(const struct arg_spec *f, struct json_object *v,
    struct json_object *details)
{
	switch (f->type) {
	case ARG_STRING:
		return check_string(f, v, details);
	case ARG_INT:
		return check_int(f, v, details);
	case ARG_BOOL:
		return check_bool(f, v, details);
	case ARG_STRING_ARRAY:
		return check_string_array(f, v, details);
	case ARG_OBJECT:
		if (!json_object_is_type(v, json_type_object)) {
			details_add(details, f->name, "%s must be an object", f->name);
			return NULL;
		}
		return json_object_get(v);
	case ARG_ARRAY:
		if (!json_object_is_type(v, json_type_array)) {
			details_add(details, f->name, "%s must be an array", f->name);
			return NULL;
		}
		if (check_count(f, v, details) == NULL)
			return NULL;
		return json_object_get(v);
	case ARG_ANY:
		return json_object_get(v);
	}
	return NULL;
}

int
args_validate(const struct arg_spec *spec, struct json_object *args,
    struct json_object **normalised, struct json_object **details)
{
	struct json_object *out = json_object_new_object();
	struct json_object *errs = json_object_new_array();
	const struct arg_spec *f;

	*normalised = NULL;
	*details = NULL;
	if (args != NULL && !json_object_is_type(args, json_type_object)) {
		details_add(errs, "", "arguments must be a JSON object");
		goto fail;
	}
	if (args != NULL) {
		json_object_object_foreach(args, key, val) {
			(void)val;
			if (spec_find(spec, key) == NULL)
				details_add(errs, key, "unknown field '%s'", key);
		}
	}
	for (f = spec; f->name != NULL; f++) {
		struct json_object *v = NULL, *nv;

		if (args == NULL || !json_object_object_get_ex(args, f->name, &v)) {
			if (f->flags & ARG_REQUIRED)
				details_add(errs, f->name, "%s is required", f->name);
			continue;
		}
		if (v == NULL) {
			if (f->flags & ARG_NULLABLE)
				json_object_object_add(out, f->name, NULL);
			else if (f->flags & ARG_REQUIRED)
				details_add(errs, f->name, "%s is required", f->name);
			else
				details_add(errs, f->name, "%s must not be null", f->name);
			continue;
		}
		nv = check_value(f, v, errs);
		if (nv != NULL)
			json_object_object_add(out, f->name, nv);
	}
	if (json_object_array_length(errs) > 0)
		goto fail;
	json_object_put(errs);
	*normalised = out;
	return 0;
fail:
	json_object_put(out);
	*details = errs;
	return -1;
}

const char *
arg_string(struct json_object *args, const char *name, const char *fallback)
{
	struct json_object *v;

	if (args == NULL || !json_object_object_get_ex(args, name, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return fallback;
	return json_object_get_string(v);
}

long long
arg_int(struct json_object *args, const char *name, long long fallback)
{
	struct json_object *v;

	if (args == NULL || !json_object_object_get_ex(args, name, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_int))
		return fallback;
	return json_object_get_int64(v);
}

bool
arg_bool(struct json_object *args, const char *name, bool fallback)
{
	struct json_object *v;

	if (args == NULL || !json_object_object_get_ex(args, name, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_boolean))
		return fallback;
	return json_object_get_boolean(v);
}

unsigned
arg_word_set(struct json_object *args, const char *name, const char *const *choices)
{
	const char *s = arg_string(args, name, "");
	unsigned set;

	return word_list_parse(s, strlen(s), choices, &set) == 0 ? set : 0;
}

bool
arg_present(struct json_object *args, const char *name)
{
	return args != NULL && json_object_object_get_ex(args, name, NULL);
}

bool
arg_is_null(struct json_object *args, const char *name)
{
	struct json_object *v = NULL;

	return args != NULL && json_object_object_get_ex(args, name, &v) && v == NULL;
}
