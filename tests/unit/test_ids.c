/*
 * tests/unit/test_ids.c — request and record ids (common/util.c uuid_v4):
 * the RFC 9562 version-4 layout, no repeats over many draws (the 4 KiB pool
 * refills between them), and a forked child that never hands out the bytes
 * its parent has buffered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util.h"

static void
assert_v4_layout(const char *id)
{
	size_t i;

	assert_int_equal(strlen(id), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(id[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", id[i]));
	}
	assert_int_equal(id[14], '4');			/* version */
	assert_non_null(strchr("89ab", id[19]));	/* variant 10xx */
}

static int
compare(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_layout_and_no_repeats(void **state)
{
	enum { N = 5000 };	/* about 20 refills of the pool */
	char (*ids)[UUID_STR_LEN] = calloc(N, UUID_STR_LEN);
	size_t i;

	(void)state;
	assert_non_null(ids);
	for (i = 0; i < N; i++) {
		assert_int_equal(uuid_v4(ids[i]), 0);
		assert_v4_layout(ids[i]);
	}
	qsort(ids, N, UUID_STR_LEN, compare);
	for (i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	free(ids);
}

static void
test_a_forked_child_draws_its_own(void **state)
{
	char parent_next[UUID_STR_LEN], child_first[UUID_STR_LEN], warm[UUID_STR_LEN];
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(uuid_v4(warm), 0);		/* the pool holds bytes now */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (uuid_v4(child_first) != 0 ||
		    write(fds[1], child_first, UUID_STR_LEN) != UUID_STR_LEN)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], child_first, UUID_STR_LEN), UUID_STR_LEN);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(uuid_v4(parent_next), 0);
	assert_v4_layout(child_first);
	/* without the reset at fork both would take the same buffered bytes */
	assert_string_not_equal(parent_next, child_first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_no_repeats),
		cmocka_unit_test(test_a_forked_child_draws_its_own),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
