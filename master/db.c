/*
 * master/db.c — SQLite access for the master (the only process that opens
 * the database): WAL mode, a busy timeout, migrations applied in order inside
 * one transaction each and recorded in schema_version; a database newer than
 * this binary is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "migrations.h"
#include "util.h"

int
db_latest_schema_version(void)
{
	int v = 0;
	const struct migration *m;

	for (m = migrations; m->name != NULL; m++)
		if (m->version > v)
			v = m->version;
	return v;
}

int
db_schema_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(db, "SELECT MAX(version) FROM schema_version", -1,
	    &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
db_migrate(sqlite3 *db, char *err, size_t errlen)
{
	const struct migration *m;
	char *msg = NULL, stamp[ISO_TIME_LEN];
	int current, latest = db_latest_schema_version();
	sqlite3_stmt *st;

	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
	    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create schema_version: %s", msg);
		sqlite3_free(msg);
		return -1;
	}
	current = db_schema_version(db);
	if (current > latest) {
		snprintf(err, errlen, "database schema version %d is newer than this "
		    "omnirouted supports (%d): upgrade omnirouted or use another data_dir",
		    current, latest);
		return -1;
	}
	for (m = migrations; m->name != NULL; m++) {
		if (m->version <= current)
			continue;
		if (db_begin(db) != 0 ||
		    sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s failed: %s", m->name,
			    msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			db_rollback(db);
			return -1;
		}
		iso_time_now(stamp, sizeof(stamp));
		st = db_prepare(db, "INSERT INTO schema_version (version, name, "
		    "applied_at) VALUES (?, ?, ?)");
		if (st == NULL) {
			db_rollback(db);
			snprintf(err, errlen, "migration %s: cannot record version", m->name);
			return -1;
		}
		sqlite3_bind_int(st, 1, m->version);
		db_bind_text(st, 2, m->name);
		db_bind_text(st, 3, stamp);
		if (db_exec_stmt(st) != 0 || db_commit(db) != 0) {
			db_rollback(db);
			snprintf(err, errlen, "migration %s: cannot commit: %s", m->name,
			    sqlite3_errmsg(db));
			return -1;
		}
		log_info("applied schema migration %s", m->name);
	}
	return 0;
}

int
db_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
	    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path, msg ? msg : "pragma failed");
		sqlite3_free(msg);
		sqlite3_close(db);
		return -1;
	}
	if (db_migrate(db, err, errlen) != 0) {
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

char *
db_meta_get(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT value FROM meta WHERE key = ?");
	char *v = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup(db_col_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

int
db_meta_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO meta (key, value) VALUES (?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, value);
	return db_exec_stmt(st);
}

int
db_begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
db_commit(sqlite3 *db)
{
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void
db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_errorx("sql prepare failed: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

void
db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

const char *
db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t != NULL ? (const char *)t : "";
}

bool
db_col_is_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

int
db_exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_errorx("sql step failed: %s",
		    sqlite3_errmsg(sqlite3_db_handle(st)));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

long long
db_count(sqlite3 *db, const char *sql, const char *param)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	long long n = -1;

	if (st == NULL)
		return -1;
	if (param != NULL)
		db_bind_text(st, 1, param);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
db_delete_by_key(sqlite3 *db, const char *table, const char *column,
    const char *key)
{
	char sql[128];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = ?", table, column);
	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	db_bind_text(st, 1, key);
	if (db_exec_stmt(st) != 0)
		return -1;
	return sqlite3_changes(db) > 0 ? 1 : 0;
}
