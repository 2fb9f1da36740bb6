/*
 * tests/fuzz/fuzz_word_list.c — libFuzzer target for word_list_parse
 * (common/argspec.c), the reader of comma lists such as the registry list's
 * include=health,usage. The input is copied into a buffer of exactly its
 * size (a read past len is an ASan error). Promises checked (any broken one
 * aborts):
 *   - the answer is 0 or -1, and on -1 the set is empty;
 *   - an accepted input is the empty list (only spaces and tabs, set 0) or
 *     pieces between commas that are each a choice once spaces and tabs
 *     around it are cut — checked here by a second, naive reading;
 *   - the set holds only bits of choices, and writing its words back joined
 *     by "," reads as the same set.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I common $(pkg-config --cflags json-c) tests/fuzz/fuzz_word_list.c \
 *     common/argspec.c common/reply.c common/util.c common/json_scan.c \
 *     $(pkg-config --libs json-c) -lcrypto -o fuzz_word_list
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const choices[] = { "health", "usage", "a", "ab", NULL };
#define NCHOICES 4

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The naive reading: the set, or -1. */
static int
naive(const char *s, size_t len, unsigned *set)
{
	size_t i, start = 0, a, b, k;
	bool all_blank = true;

	*set = 0;
	for (i = 0; i < len; i++)
		all_blank = all_blank && blank(s[i]);
	if (all_blank)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		for (a = start; a < i && blank(s[a]); a++)
			;
		for (b = i; b > a && blank(s[b - 1]); b--)
			;
		for (k = 0; k < NCHOICES; k++)
			if (strlen(choices[k]) == b - a && memcmp(choices[k], s + a, b - a) == 0)
				break;
		if (k == NCHOICES)
			return -1;
		*set |= 1u << k;
		start = i + 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1), back[64] = "";
	unsigned set = 99, expected, again;
	int rc, k;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	rc = word_list_parse(s, size, choices, &set);
	check(rc == 0 || rc == -1);
	check(rc == 0 || set == 0);
	check(naive(s, size, &expected) == rc);
	check(rc != 0 || set == expected);
	check((set & ~((1u << NCHOICES) - 1)) == 0);
	for (k = 0; k < NCHOICES; k++)
		if (set & (1u << k)) {
			if (back[0] != '\0')
				strcat(back, ",");
			strcat(back, choices[k]);
		}
	check(word_list_parse(back, strlen(back), choices, &again) == 0 && again == set);
	free(s);
	return 0;
}
