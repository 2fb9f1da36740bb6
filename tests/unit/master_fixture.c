/*
 * tests/unit/master_fixture.c — see master_fixture.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "log.h"
#include "master_fixture.h"

struct master M;
char master_fixture_db[300];
static char fixture_dir[64];

int
master_fixture_setup(void **state)
{
	char err[256];

	(void)state;
	log_init("test", LOG_LEVEL_ERROR);
	memset(&M, 0, sizeof(M));
	TAILQ_INIT(&M.pending);
	TAILQ_INIT(&M.jobs);
	config_defaults(&M.cfg);
	assert_int_equal(config_finish(&M.cfg, err, sizeof(err)), 0);
	snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/omni-test-master-XXXXXX");
	assert_non_null(mkdtemp(fixture_dir));
	snprintf(master_fixture_db, sizeof(master_fixture_db), "%s/omniroute.db", fixture_dir);
	assert_int_equal(db_open(master_fixture_db, &M.db, err, sizeof(err)), 0);
	memset(M.key.bytes, 7, sizeof(M.key.bytes));
	return 0;
}

int
master_fixture_setup_with_snapshot(void **state)
{
	master_fixture_setup(state);
	assert_int_equal(master_rebuild_snapshot(&M), 0);
	return 0;
}

int
master_fixture_teardown(void **state)
{
	char cmd[120];

	(void)state;
	sqlite3_close(M.db);
	snapshot_free(&M.snap);
	master_snapshot_lines_free(&M);
	config_free(&M.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fixture_dir);
	return system(cmd) == 0 ? 0 : -1;
}
