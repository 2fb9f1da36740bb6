/*
 * tests/unit/test_multipart.c — the boundary of a Content-Type and finding a
 * named field's value in multipart/form-data bodies fed as byte strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "multipart.h"

#define CT(s) s, sizeof(s) - 1

static void
test_boundary(void **state)
{
	char b[80];

	(void)state;
	assert_int_equal(multipart_boundary(CT("multipart/form-data; boundary=abc123"), b, sizeof(b)), 0);
	assert_string_equal(b, "abc123");
	assert_int_equal(multipart_boundary(CT("Multipart/Form-Data;boundary=\"a b;c\""), b, sizeof(b)), 0);
	assert_string_equal(b, "a b;c");
	assert_int_equal(multipart_boundary(CT("multipart/form-data; charset=x; boundary=zz; x=1"), b, sizeof(b)), 0);
	assert_string_equal(b, "zz");
	assert_int_equal(multipart_boundary(CT("application/json"), b, sizeof(b)), -1);
	assert_int_equal(multipart_boundary(CT("multipart/form-data"), b, sizeof(b)), -1);
	assert_int_equal(multipart_boundary(CT("multipart/form-data; boundary="), b, sizeof(b)), -1);
	assert_int_equal(multipart_boundary(CT("multipart/form-data; xboundary=q"), b, sizeof(b)), -1);
}

static const char body[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
    "Content-Type: audio/wav\r\n\r\n"
    "RIFF\r\n--not-the-boundary\r\n\0binary\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
    "openai/whisper-1\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"modelx\"\r\n\r\n"
    "other\r\n"
    "--XyZ--\r\n";

static void
test_find_field(void **state)
{
	size_t off = 0, len = 0, blen = sizeof(body) - 1;

	(void)state;
	assert_int_equal(multipart_find_field(body, blen, "XyZ", "model", &off, &len), 0);
	assert_int_equal(len, strlen("openai/whisper-1"));
	assert_memory_equal(body + off, "openai/whisper-1", len);
	assert_int_equal(multipart_find_field(body, blen, "XyZ", "modelx", &off, &len), 0);
	assert_memory_equal(body + off, "other", len);
	assert_int_equal(multipart_find_field(body, blen, "XyZ", "file", &off, &len), 0);
	assert_int_equal(len, 4 + 2 + 18 + 2 + 1 + 6);	/* inner CRLFs and the NUL stay */
	assert_int_equal(multipart_find_field(body, blen, "XyZ", "nope", &off, &len), -1);
	assert_int_equal(multipart_find_field(body, blen, "Other", "model", &off, &len), -1);
}

static void
test_truncated_bodies_never_match_past_the_end(void **state)
{
	size_t off, len, cut, blen = sizeof(body) - 1;
	size_t model_end = (size_t)((const char *)memmem(body, blen, "openai/whisper-1", 16) -
	    body) + 16;

	(void)state;
	for (cut = 0; cut < blen; cut++) {
		int rc = multipart_find_field(body, cut, "XyZ", "model", &off, &len);
		if (rc == 0)
			assert_true(off + len <= cut && cut >= model_end + 2 + 5);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_find_field),
		cmocka_unit_test(test_truncated_bodies_never_match_past_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
