/*
 * tests/fuzz/fuzz_multipart.c — libFuzzer target for the multipart helpers:
 * the first byte splits the input into a Content-Type and a body; a found
 * field must lie inside the body, right after a blank line and right before
 * CRLF and a delimiter; the answer is found, absent or named twice (-2), and
 * a body named twice (and starting with its delimiter) stays so with one
 * more part named "model" put in front; a boundary must be 1..70 bytes.
 */
#include <stdint.h>
#include <stdio.h>
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
	{
		const char *body = (const char *)data + split;
		size_t blen = size - split, dlen = strlen(boundary);
		int rc = multipart_find_field(body, blen, boundary, "model", &off, &len);

		if (rc != 0 && rc != -1 && rc != -2)
			abort();
		if (rc == 0) {
			if (off > blen || len > blen - off)
				abort();
			if (off < 4 || memcmp(body + off - 4, "\r\n\r\n", 4) != 0)
				abort();
			if (blen - off - len < 4 + dlen ||
			    memcmp(body + off + len, "\r\n--", 4) != 0 ||
			    memcmp(body + off + len + 4, boundary, dlen) != 0)
				abort();
		}
		if (rc == -2 && blen >= 2 + dlen && memcmp(body, "--", 2) == 0 &&
		    memcmp(body + 2, boundary, dlen) == 0) {
			/* one more "model" part in front (of a body without a
			 * preamble, which would become its value): still twice */
			char *more = malloc(dlen + 80 + blen);
			size_t n;
			int again;

			if (more == NULL)
				abort();
			n = (size_t)snprintf(more, dlen + 80, "--%s\r\nContent-Disposition: "
			    "form-data; name=\"model\"\r\n\r\nx\r\n", boundary);
			memcpy(more + n, body, blen);
			again = multipart_find_field(more, n + blen, boundary, "model", &off,
			    &len);
			free(more);
			if (again != -2)
				abort();
		}
	}
	return 0;
}
