/*
 * common/textbuf.c — see textbuf.h. Growth doubles the capacity, so a buffer
 * reused for every call settles at the largest head it has carried.
 */
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"
#include "util.h"

void
textbuf_add(struct textbuf *b, const void *bytes, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap != 0 ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, bytes, n);
	b->len += n;
}

void
textbuf_add_str(struct textbuf *b, const char *s)
{
	textbuf_add(b, s, strlen(s));
}

size_t
uint_to_digits(char out[UINT_DIGITS_MAX], uint64_t v)
{
	char reversed[UINT_DIGITS_MAX - 1];
	size_t n = 0, i;

	do {
		reversed[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = reversed[n - 1 - i];
	out[n] = '\0';
	return n;
}

void
textbuf_add_uint(struct textbuf *b, uint64_t v)
{
	char digits[UINT_DIGITS_MAX];

	textbuf_add(b, digits, uint_to_digits(digits, v));
}

void
textbuf_add_header(struct textbuf *b, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
	textbuf_add(b, name, name_len);
	textbuf_add(b, ": ", 2);
	textbuf_add(b, value, value_len);
	textbuf_add(b, "\r\n", 2);
}

void
textbuf_reset(struct textbuf *b)
{
	b->len = 0;
}

void
textbuf_free(struct textbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
