/*
 * common/textbuf.h — a growable byte buffer for composing protocol text (HTTP
 * heads) with plain appends instead of printf: the relay builds a head per
 * call in a buffer it keeps, so steady traffic allocates nothing for it.
 */
#ifndef OMNI_TEXTBUF_H
#define OMNI_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

struct textbuf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	textbuf_add(struct textbuf *b, const void *bytes, size_t n);
void	textbuf_add_str(struct textbuf *b, const char *s);
/* Decimal digits of v. */
void	textbuf_add_uint(struct textbuf *b, uint64_t v);
/* The same digits into out, NUL-terminated; their count. */
#define UINT_DIGITS_MAX	21	/* 20 digits of a uint64_t and the NUL */
size_t	uint_to_digits(char out[UINT_DIGITS_MAX], uint64_t v);
/* "Name: value\r\n" */
void	textbuf_add_header(struct textbuf *b, const char *name, size_t name_len,
	    const char *value, size_t value_len);
/* Empty it, keeping the memory. */
void	textbuf_reset(struct textbuf *b);
void	textbuf_free(struct textbuf *b);

#endif
