/*
 * tests/fuzz/fuzz_multipart.c — libFuzzer target for the multipart helpers:
 * the first byte splits the input into a Content-Type and a body; a found
 * field must lie inside the body, and a boundary must be 1..70 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char boundary[80];
	size_t split, off = 0, len = 0;

	if (size < 1)
		return 0;
	split = data[0] % (size);
	if (multipart_boundary((const char *)data + 1, split > 0 ? split - 1 : 0,
	    boundary, sizeof(boundary)) == 0) {
		if (strlen(boundary) < 1 || strlen(boundary) > 70)
			abort();
	} else {
		memcpy(boundary, "B", 2);
	}
	if (multipart_find_field((const char *)data + split, size - split, boundary,
	    "model", &off, &len) == 0 && (off > size - split || len > size - split - off))
		abort();
	return 0;
}
