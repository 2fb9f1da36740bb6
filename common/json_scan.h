/*
 * common/json_scan.h — a strict JSON validator for request bodies that also
 * finds one top-level member, without building a tree or allocating. The
 * relay needs a body to be valid JSON and needs its "model" string, to read
 * it and to rewrite it in place; everything else passes through as bytes.
 *
 *   document = ws object ws                     (exactly one object)
 *   value    = object / array / string / number / "true" / "false" / "null"
 *   object   = "{" ws [ member *( ws "," ws member ) ] ws "}"
 *   member   = string ws ":" ws value
 *   array    = "[" ws [ value *( ws "," ws value ) ] ws "]"
 *   number   = [ "-" ] ( "0" / %x31-39 *DIGIT ) [ "." 1*DIGIT ]
 *              [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
 *   string   = quote *( unescaped / escape ) quote
 *   escape   = "\" ( quote / "\" / "/" / "b" / "f" / "n" / "r" / "t" /
 *              "u" 4HEXDIG )   (a high surrogate \uD800-\uDBFF must be
 *              followed at once by a low one \uDC00-\uDFFF; a low one
 *              alone is invalid)
 *   unescaped = any UTF-8 character (RFC 3629) from U+0020 on, except
 *              quote and "\"
 *   ws       = *( SP / HTAB / LF / CR )
 *
 * This is RFC 8259 without extensions: no comments, no single quotes, no
 * trailing commas, no NaN or Infinity, and the whole buffer is checked as
 * UTF-8 (no overlong forms, no encoded surrogates, nothing above U+10FFFF).
 */
#ifndef OMNI_JSON_SCAN_H
#define OMNI_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

/*
 * The deepest nesting the scanner can follow: it keeps one bit per open
 * container in a fixed array. A larger max_depth counts as this.
 */
#define JSON_SCAN_MAX_DEPTH	1024

struct json_scan_result {
	bool		 found;		/* the top-level object has the key */
	size_t		 key_count;	/* top-level members a reader could take
					 * for the key (json_name_match) */
	size_t		 value_off;	/* where its value's text starts */
	size_t		 value_len;	/* and how long it is */
	bool		 value_is_plain_string;	/* a string without escapes */
	const char	*error;		/* static message, on PARSE_INVALID */
	size_t		 error_at;	/* offset where the document went wrong */
};

/*
 * Check that buf[0..len) is exactly one JSON object (whitespace around it
 * allowed), nested at most max_depth deep: the top-level object is depth 1,
 * so max_depth 1 allows only scalar members. PARSE_DONE when it is valid;
 * PARSE_INVALID otherwise, with out->error saying why and out->error_at the
 * offset of the first byte that no valid document could have there (len when
 * the input ends too soon, error "unexpected end of input"). PARSE_MORE is
 * never returned: the whole body is given. Bytes past len are never read.
 *
 * When key is not NULL and the top-level object has a member of that name,
 * out->found is set and out->value_off and out->value_len give where its
 * value lies in buf. For a string value that is the text between the quotes,
 * and out->value_is_plain_string says it holds no backslash, so its bytes
 * are the string itself and may be replaced as they are. For any other value
 * it is the whole text of the value ("12.5", "{...}", "null").
 *   - Names are compared as a JSON reader sees them, unescaped: a member
 *     named "mod\u0065l" is the member "model" (JSON_NAME_EXACT below).
 *   - When the name occurs more than once, the last occurrence is reported,
 *     as json-c keeps the last one too.
 *   - out->key_count counts the top-level members whose name some reader
 *     takes for key (JSON_NAME_EXACT or JSON_NAME_LOOSE): more than one, and
 *     readers may disagree about which one the body means (json-c and Python
 *     keep the last, gjson takes the first, Go's encoding/json ignores case).
 *   - Members of nested objects are never looked at.
 * On PARSE_INVALID found is false and key_count 0, whatever was seen before
 * the error.
 */
enum parse	json_scan_object(const char *buf, size_t len, int max_depth,
		    const char *key, struct json_scan_result *out);

/*
 * How a member name reads against key[0..key_len): raw[0..len) is the text
 * between the quotes of a string json_scan accepted (escapes as written).
 *   JSON_NAME_EXACT: unescaped (\uXXXX, surrogate pairs, the short
 *     escapes) to UTF-8, it is key byte for byte, as RFC 8259 readers
 *     compare names.
 *   JSON_NAME_LOOSE: not exact, but a common reader still takes it for key:
 *     equal ignoring ASCII case (Go's encoding/json matches struct fields so),
 *     or equal up to an escaped NUL (\u0000), where readers that keep names
 *     as C strings (json-c, cJSON) cut it.
 *   JSON_NAME_DIFFERENT: anything else, and raw text that is no valid string
 *     body (a malformed escape, a lone surrogate).
 * Only raw[0..len) and key[0..key_len) are read.
 */
enum json_name_match {
	JSON_NAME_DIFFERENT,
	JSON_NAME_EXACT,
	JSON_NAME_LOOSE,
};

enum json_name_match json_name_match(const char *raw, size_t len, const char *key,
		    size_t key_len);

/*
 * The same check for a document that is any one value (ws value ws): an
 * object, an array or a scalar. No member is looked for.
 */
enum parse	json_scan_value(const char *buf, size_t len, int max_depth,
		    struct json_scan_result *out);

#endif
