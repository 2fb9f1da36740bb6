/*
 * tests/unit/test_multipart.c — the boundary of a Content-Type and finding a
 * named field's value in multipart/form-data bodies fed as byte strings, and
 * forms that name the field twice (also in the forms laxer readers accept).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
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

/* A form with the parts given (name line, value), boundary "B". */
static size_t
form(char *out, size_t outlen, const char *const *dispositions, size_t n)
{
	size_t len = 0, i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, outlen - len,
		    "--B\r\nContent-Disposition: %s\r\n\r\nv%zu\r\n", dispositions[i], i);
	len += (size_t)snprintf(out + len, outlen - len, "--B--\r\n");
	return len;
}

/* A second part any reader takes for the field makes the form ambiguous. */
static void
test_field_named_twice(void **state)
{
	static const struct {
		const char	*parts[3];
		size_t		 n;
		int		 rc;
		size_t		 value;	/* which part's value, when found */
	} cases[] = {
		{ { "form-data; name=\"model\"" }, 1, 0, 0 },
		{ { "form-data;name=\"model\"" }, 1, 0, 0 },
		{ { "form-data; filename=\"model\"; name=\"file\"", "form-data; name=\"model\"" },
		    2, 0, 1 },
		{ { "form-data; name=\"model\"", "form-data; name=\"model\"" }, 2, -2, 0 },
		{ { "form-data; name=\"model\"", "form-data; name=\"file\"",
		    "form-data; name=\"model\"" }, 3, -2, 0 },
		{ { "form-data; name=\"model\"", "form-data; NAME=\"model\"" }, 2, -2, 0 },
		{ { "form-data; name=model", "form-data; name=\"model\"" }, 2, -2, 0 },
		{ { "form-data; name=\"model\"", "form-data; name=\"mo\\del\"" }, 2, -2, 0 },
		{ { "form-data; name=\"model\"; name=\"model\"" }, 1, 0, 0 },
		/* the laxer forms alone are not the field for us */
		{ { "form-data; name=model" }, 1, -1, 0 },
		{ { "form-data; Name=\"model\"" }, 1, -1, 0 },
		/* other names, and other parameters, are other fields */
		{ { "form-data; name=\"model\"", "form-data; name=\"models\"",
		    "form-data; filename=\"model\"" }, 3, 0, 0 },
		{ { "form-data; name=\"model\"", "form-data; xname=\"model\"",
		    "form-data; name=\"Model\"" }, 3, 0, 0 },
	};
	char formbody[512], value[8];
	size_t i, off, len, blen;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		blen = form(formbody, sizeof(formbody), cases[i].parts, cases[i].n);
		rc = multipart_find_field(formbody, blen, "B", "model", &off, &len);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, expected %d", i, rc, cases[i].rc);
		if (rc == 0) {
			snprintf(value, sizeof(value), "v%zu", cases[i].value);
			assert_int_equal(len, strlen(value));
			assert_memory_equal(formbody + off, value, len);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_find_field),
		cmocka_unit_test(test_truncated_bodies_never_match_past_the_end),
		cmocka_unit_test(test_field_named_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
