/*
 * tests/unit/master_fixture.h — the master the unit tests drive directly (no
 * processes, no sockets): settings at their defaults, a fixed storage key,
 * and a real SQLite file in a fresh temporary directory, removed afterwards.
 * Used as a cmocka group setup and teardown.
 */
#ifndef OMNI_TEST_MASTER_FIXTURE_H
#define OMNI_TEST_MASTER_FIXTURE_H

#include "master.h"

extern struct master M;
/* The database file of the fixture (to close and reopen it). */
extern char master_fixture_db[];

/* Open the database; the registry snapshot stays empty. */
int	master_fixture_setup(void **state);
/* The same, then build the first snapshot (what the command table needs). */
int	master_fixture_setup_with_snapshot(void **state);
int	master_fixture_teardown(void **state);

#endif
