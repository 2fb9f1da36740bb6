/*
 * tests/fuzz/fuzz_chunked.c — libFuzzer target for the chunked-body framer
 * (common/chunked.c). The first two input bytes choose two cut points; the
 * rest is the byte stream. The stream is fed in one piece, in the three
 * pieces the cuts make, and one byte at a time, each piece in its own
 * exact-size allocation so a read past a piece is an ASan report. Any broken
 * promise aborts:
 *   - every way of feeding gives the same result, at the same stream offset,
 *     with the same payload count and error message;
 *   - PARSE_MORE consumes the whole buffer; PARSE_DONE ends at a CRLF, after
 *     at least "0" CRLF CRLF, with no more payload than bytes; PARSE_INVALID
 *     names its fault and stops inside the buffer;
 *   - the stream cut just before where it ended or was refused asks for
 *     more, and DONE and INVALID stay put, consuming nothing, when fed again;
 *   - chunked_decode, whole and byte by byte, ends the same way as the feed,
 *     and both give the same payload, exactly body_bytes long.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I common \
 *     tests/fuzz/fuzz_chunked.c common/chunked.c -o fuzz_chunked
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunked.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How one way of feeding the stream ended. */
struct outcome {
	enum parse	 result;
	size_t		 offset;	/* stream bytes consumed in all */
	uint64_t	 body_bytes;
	const char	*error_message;
};

static void
check(bool condition)
{
	if (!condition)
		abort();
}

/* Feed stream[start..end) as its own allocation; false once finished. */
static bool
feed_piece(struct chunked_state *st, const uint8_t *stream, size_t start,
    size_t end, struct outcome *out)
{
	size_t len = end - start, consumed = (size_t)-1;
	char *piece = malloc(len > 0 ? len : 1);
	enum parse result;

	if (piece == NULL)
		abort();
	memcpy(piece, stream + start, len);
	result = chunked_feed(st, piece, len, &consumed);
	check(consumed <= len);
	switch (result) {
	case PARSE_MORE:
		check(consumed == len);
		break;
	case PARSE_DONE:
		check(consumed >= 1 && piece[consumed - 1] == '\n');
		break;
	case PARSE_INVALID:
		check(consumed < len);
		break;
	default:
		abort();
	}
	free(piece);
	out->result = result;
	out->offset = start + consumed;
	out->body_bytes = chunked_body_bytes(st);
	out->error_message = st->error_message;
	return result == PARSE_MORE;
}

/* Feed the stream in the pieces the ascending cut points make. */
static void
feed_in_pieces(const uint8_t *stream, size_t len, const size_t *cuts,
    size_t ncuts, struct outcome *out)
{
	struct chunked_state st;
	size_t start = 0, i;

	chunked_init(&st);
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		if (!feed_piece(&st, stream, start, end, out))
			break;
		start = end;
	}
	if (out->result != PARSE_MORE) {
		size_t consumed = (size_t)-1;

		/* finished is final, and takes nothing more */
		check(chunked_feed(&st, "0\r\n\r\n", 5, &consumed) ==
		    out->result);
		check(consumed == 0);
		check(chunked_body_bytes(&st) == out->body_bytes);
	}
}

static void
feed_byte_by_byte(const uint8_t *stream, size_t len, struct outcome *out)
{
	struct chunked_state st;
	size_t i;

	chunked_init(&st);
	out->result = PARSE_MORE;
	out->offset = 0;
	out->body_bytes = 0;
	out->error_message = NULL;
	for (i = 0; i < len; i++)
		if (!feed_piece(&st, stream, i, i + 1, out))
			break;
}

static void
check_same(const struct outcome *a, const struct outcome *b)
{
	check(a->result == b->result);
	check(a->offset == b->offset);
	check(a->body_bytes == b->body_bytes);
	check(a->error_message == b->error_message);
}

/* Decode the stream in pieces of step bytes; the payload lands in payload. */
static void
decode_in_steps(const uint8_t *stream, size_t len, size_t step, char *payload,
    struct outcome *out)
{
	struct chunked_state st;
	enum parse result = PARSE_MORE;
	size_t pos = 0, payload_len = 0, consumed, got;

	chunked_init(&st);
	while (pos < len && result == PARSE_MORE) {
		size_t n = len - pos < step ? len - pos : step;
		result = chunked_decode(&st, (const char *)stream + pos, n, &consumed,
		    payload + payload_len, &got);
		check(consumed <= n && got <= consumed);
		payload_len += got;
		pos += consumed;
	}
	out->result = result;
	out->offset = pos;
	out->body_bytes = payload_len;
	out->error_message = st.error_message;
	check(payload_len == chunked_body_bytes(&st));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, split, bytewise, shorter;
	const uint8_t *stream;
	size_t len, cuts[2];

	if (size < 2)
		return 0;
	stream = data + 2;
	len = size - 2;
	cuts[0] = (size_t)data[0] * (len + 1) / 256;
	cuts[1] = cuts[0] + (size_t)data[1] * (len + 1 - cuts[0]) / 256;

	feed_in_pieces(stream, len, NULL, 0, &whole);
	check(whole.body_bytes <= whole.offset);
	switch (whole.result) {
	case PARSE_MORE:
		check(whole.offset == len && whole.error_message == NULL);
		break;
	case PARSE_DONE:
		check(whole.offset >= 5 && whole.error_message == NULL);
		check(memcmp(stream + whole.offset - 2, "\r\n", 2) == 0);
		break;
	case PARSE_INVALID:
		check(whole.offset < len);
		check(whole.error_message != NULL &&
		    whole.error_message[0] != '\0');
		break;
	default:
		abort();
	}

	feed_in_pieces(stream, len, cuts, 2, &split);
	check_same(&whole, &split);
	feed_byte_by_byte(stream, len, &bytewise);
	check_same(&whole, &bytewise);

	{
		char *a = malloc(len + 1), *b = malloc(len + 1);
		struct outcome da, db;

		if (a == NULL || b == NULL)
			abort();
		decode_in_steps(stream, len, len > 0 ? len : 1, a, &da);
		decode_in_steps(stream, len, 1, b, &db);
		check_same(&whole, &da);
		check_same(&whole, &db);
		check(memcmp(a, b, da.body_bytes) == 0);
		free(a);
		free(b);
	}

	/* cut before the deciding byte, the stream is merely unfinished */
	if (whole.result != PARSE_MORE) {
		size_t decided = whole.result == PARSE_DONE ?
		    whole.offset - 1 : whole.offset;

		feed_in_pieces(stream, decided, NULL, 0, &shorter);
		check(shorter.result == PARSE_MORE && shorter.offset == decided);
	}
	return 0;
}
