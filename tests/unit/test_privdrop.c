/*
 * tests/unit/test_privdrop.c — tests of common/privdrop.c's decisions: which
 * data directories are refused (not a directory, group- or world-writable,
 * another owner) and with what message, which files get tightened to 0600,
 * the user lookup, and the creation of a missing data directory (parents
 * 0755, the directory itself 0700, whatever the umask).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "privdrop.h"

static struct stat
st(mode_t type, mode_t perm, uid_t owner)
{
	struct stat sb;

	memset(&sb, 0, sizeof(sb));
	sb.st_mode = type | perm;
	sb.st_uid = owner;
	return sb;
}

static void
test_data_dir_modes(void **state)
{
	char err[256];
	struct stat sb;

	(void)state;
	sb = st(S_IFDIR, 0700, 1000);
	assert_int_equal(priv_check_data_dir("/d", &sb, (uid_t)-1, err, sizeof(err)), 0);
	assert_int_equal(priv_check_data_dir("/d", &sb, 1000, err, sizeof(err)), 0);
	/* readable by others is accepted as it is (the files inside are 0600) */
	sb = st(S_IFDIR, 0755, 1000);
	assert_int_equal(priv_check_data_dir("/d", &sb, (uid_t)-1, err, sizeof(err)), 0);

	sb = st(S_IFDIR, 0770, 1000);
	assert_int_equal(priv_check_data_dir("/srv/d", &sb, (uid_t)-1, err, sizeof(err)), -1);
	assert_string_equal(err, "data directory /srv/d has mode 0770: it is group- "
	    "or world-writable; refusing to start (chmod 0700 /srv/d)");
	sb = st(S_IFDIR, 0702, 1000);
	assert_int_equal(priv_check_data_dir("/d", &sb, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0702"));
	sb = st(S_IFDIR, 01777, 0);
	assert_int_equal(priv_check_data_dir("/tmp", &sb, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 1777"));
}

static void
test_data_dir_type_and_owner(void **state)
{
	char err[256];
	struct stat sb;

	(void)state;
	sb = st(S_IFREG, 0600, 1000);
	assert_int_equal(priv_check_data_dir("/d", &sb, (uid_t)-1, err, sizeof(err)), -1);
	assert_string_equal(err, "data directory /d is not a directory");
	sb = st(S_IFDIR, 0700, 0);
	assert_int_equal(priv_check_data_dir("/d", &sb, 65534, err, sizeof(err)), -1);
	assert_string_equal(err, "data directory /d is owned by uid 0, not by the "
	    "user omnirouted runs as (uid 65534); chown -R it");
}

static void
test_file_too_open(void **state)
{
	struct stat sb;

	(void)state;
	sb = st(S_IFREG, 0600, 0);
	assert_false(priv_file_too_open(&sb));
	sb = st(S_IFREG, 0400, 0);
	assert_false(priv_file_too_open(&sb));
	sb = st(S_IFREG, 0644, 0);
	assert_true(priv_file_too_open(&sb));
	sb = st(S_IFREG, 0604, 0);
	assert_true(priv_file_too_open(&sb));
	sb = st(S_IFREG, 0610, 0);
	assert_true(priv_file_too_open(&sb));
	/* not a regular file: not ours to chmod */
	sb = st(S_IFSOCK, 0755, 0);
	assert_false(priv_file_too_open(&sb));
	sb = st(S_IFLNK, 0777, 0);
	assert_false(priv_file_too_open(&sb));
}

static void
test_lookup_user(void **state)
{
	struct priv_user u;
	char err[256];

	(void)state;
	assert_int_equal(priv_lookup_user("root", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(priv_lookup_user("no-such-user-omniroute", &u, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "user no-such-user-omniroute: no such user");
	assert_int_equal(priv_lookup_user("", &u, err, sizeof(err)), -1);
	assert_int_equal(priv_lookup_user("a-name-much-too-long-for-any-user-database-"
	    "anywhere-on-this-planet", &u, err, sizeof(err)), -1);
}

static void
test_make_data_dir(void **state)
{
	char base[] = "/tmp/omniroute-privdrop-XXXXXX", leaf[128], mid[128];
	struct stat sb;
	char err[256];
	bool created;
	mode_t old = umask(077);

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(mid, sizeof(mid), "%s/a", base);
	snprintf(leaf, sizeof(leaf), "%s/a/data/", base);	/* trailing slash */
	assert_int_equal(priv_make_data_dir(leaf, NULL, &created, err, sizeof(err)), 0);
	assert_true(created);
	assert_int_equal(stat(mid, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(stat(leaf, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(priv_make_data_dir(leaf, NULL, &created, err, sizeof(err)), 0);
	assert_false(created);
	umask(old);
	snprintf(leaf, sizeof(leaf), "%s/a/data", base);
	assert_int_equal(rmdir(leaf), 0);
	assert_int_equal(rmdir(mid), 0);
	assert_int_equal(rmdir(base), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_dir_modes),
		cmocka_unit_test(test_data_dir_type_and_owner),
		cmocka_unit_test(test_file_too_open),
		cmocka_unit_test(test_lookup_user),
		cmocka_unit_test(test_make_data_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
