/*
 * tests/unit/test_textbuf.c — the head composer's buffer (common/textbuf.c):
 * appends, decimal numbers at their edges (also alone), header lines, growth across many
 * doublings with the bytes intact, and reuse after a reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "textbuf.h"

static struct textbuf t;

static int
teardown(void **state)
{
	(void)state;
	textbuf_free(&t);
	return 0;
}

static void
assert_text(const char *expected)
{
	assert_int_equal(t.len, strlen(expected));
	assert_memory_equal(t.data, expected, t.len);
}

static void
test_appends_and_numbers(void **state)
{
	(void)state;
	textbuf_add_str(&t, "HTTP/1.1 ");
	textbuf_add_uint(&t, 200);
	textbuf_add(&t, " OK\r\n", 5);
	textbuf_add_uint(&t, 0);
	textbuf_add(&t, "|", 1);
	textbuf_add_uint(&t, UINT64_MAX);
	assert_text("HTTP/1.1 200 OK\r\n0|18446744073709551615");
}

static void
test_uint_to_digits(void **state)
{
	char digits[UINT_DIGITS_MAX];

	(void)state;
	assert_int_equal(uint_to_digits(digits, 0), 1);
	assert_string_equal(digits, "0");
	assert_int_equal(uint_to_digits(digits, 65535), 5);
	assert_string_equal(digits, "65535");
	assert_int_equal(uint_to_digits(digits, UINT64_MAX), 20);
	assert_string_equal(digits, "18446744073709551615");
}

static void
test_header_lines_keep_bytes_as_given(void **state)
{
	(void)state;
	textbuf_add_header(&t, "Content-Type", 12, "text/event-stream", 17);
	textbuf_add_header(&t, "X-Empty", 7, "", 0);
	textbuf_add_header(&t, "X-Bin\0ary", 9, "a\0b", 3);
	assert_int_equal(t.len, 33 + 11 + 16);
	assert_memory_equal(t.data, "Content-Type: text/event-stream\r\nX-Empty: \r\n"
	    "X-Bin\0ary: a\0b\r\n", t.len);
}

static void
test_growth_keeps_every_byte(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++)
		textbuf_add(&t, &"0123456789"[i % 10], 1);
	assert_int_equal(t.len, 100000);
	assert_true(t.cap >= t.len);
	for (i = 0; i < 100000; i++)
		assert_int_equal(t.data[i], '0' + (int)(i % 10));
}

static void
test_reset_keeps_memory_and_empty_adds_are_fine(void **state)
{
	size_t cap;

	(void)state;
	textbuf_add(&t, NULL, 0);
	assert_int_equal(t.len, 0);
	textbuf_add_str(&t, "a long enough line to allocate");
	cap = t.cap;
	textbuf_reset(&t);
	assert_int_equal(t.len, 0);
	assert_int_equal(t.cap, cap);
	textbuf_add_str(&t, "b");
	assert_text("b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_appends_and_numbers, teardown),
		cmocka_unit_test_teardown(test_uint_to_digits, teardown),
		cmocka_unit_test_teardown(test_header_lines_keep_bytes_as_given, teardown),
		cmocka_unit_test_teardown(test_growth_keeps_every_byte, teardown),
		cmocka_unit_test_teardown(test_reset_keeps_memory_and_empty_adds_are_fine, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
