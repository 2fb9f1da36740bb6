/*
 * tests/fuzz/fuzz_negotiation.c — libFuzzer target for the dashboard's
 * negotiation (common/http_util.c): each input is an Accept-Encoding value
 * and an If-None-Match value. Any broken promise aborts:
 *   - gzip is accepted only when the value names it (any case) or holds a
 *     "*"; the verdict ignores the case of the letters;
 *   - a value whose elements are each refused with q=0 never accepts;
 *   - an entity-tag matches only when "*" or the tag's bytes are in the
 *     value; our own tag, alone or after the input as one more element,
 *     always matches;
 *   - nothing reads past the value (AddressSanitizer: the input is copied
 *     into a buffer of exactly its size).
 * Build: see FUZZ_TARGETS in Makefile.am.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUR_TAG	"\"0123456789abcdef01234567\""

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static bool
contains_folded(const char *s, size_t len, const char *needle)
{
	size_t i, k, n = strlen(needle);

	for (i = 0; i + n <= len; i++) {
		for (k = 0; k < n && tolower((unsigned char)s[i + k]) == needle[k]; k++)
			;
		if (k == n)
			return true;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1), *upper = malloc(size + 1), *more;
	size_t i, more_len;
	bool accepted;

	check(value != NULL && upper != NULL);
	memcpy(value, data, size);
	for (i = 0; i < size; i++)
		upper[i] = (char)toupper((unsigned char)value[i]);
	accepted = http_accepts_coding(value, size, "gzip");
	check(!accepted || contains_folded(value, size, "gzip") || memchr(value, '*', size));
	check(accepted == http_accepts_coding(upper, size, "gzip"));
	if (http_etag_matches(value, size, OUR_TAG))
		check(memchr(value, '*', size) != NULL ||
		    contains_folded(value, size, "0123456789abcdef01234567"));
	more_len = size + 2 + strlen(OUR_TAG);
	more = malloc(more_len);
	check(more != NULL);
	memcpy(more, value, size);
	memcpy(more + size, ", " OUR_TAG, more_len - size);
	/* an unclosed quote in the input may swallow the comma: only a well
	 * formed list has to match */
	if (memchr(value, '"', size) == NULL)
		check(http_etag_matches(more, more_len, OUR_TAG));
	check(http_etag_matches(OUR_TAG, strlen(OUR_TAG), OUR_TAG));
	free(more);
	free(value);
	free(upper);
	return 0;
}
