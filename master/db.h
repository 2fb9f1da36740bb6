/*
 * master/db.h — the master's SQLite database: opening it in WAL mode,
 * applying the embedded migrations, the metadata table, transactions, and
 * small statement helpers so command handlers stay short.
 */
#ifndef OMNI_DB_H
#define OMNI_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

/* Open (create) <data_dir>/omniroute.db and migrate it. -1 with err. */
int	db_open(const char *path, sqlite3 **out, char *err, size_t errlen);
int	db_migrate(sqlite3 *db, char *err, size_t errlen);
int	db_schema_version(sqlite3 *db);
int	db_latest_schema_version(void);

/* meta table; db_meta_get returns a malloc'd string or NULL. */
char	*db_meta_get(sqlite3 *db, const char *key);
int	 db_meta_set(sqlite3 *db, const char *key, const char *value);

int	db_begin(sqlite3 *db);
int	db_commit(sqlite3 *db);
void	db_rollback(sqlite3 *db);

/* Prepare; logs and returns NULL on error. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
/* Bind a C string or NULL (as SQL NULL). */
void	db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* The column as a C string ("" for NULL). */
const char *db_col_text(sqlite3_stmt *st, int col);
bool	db_col_is_null(sqlite3_stmt *st, int col);
/* Run a statement with no result rows; SQLITE_DONE → 0. */
int	db_exec_stmt(sqlite3_stmt *st);
/* Count rows of "SELECT COUNT(*) …" with up to 1 text parameter. */
long long db_count(sqlite3 *db, const char *sql, const char *param);
/*
 * DELETE FROM table WHERE column = key (table and column are the stores'
 * own constants, never input): 1 a row went, 0 none matched, -1 SQL error.
 */
int	db_delete_by_key(sqlite3 *db, const char *table, const char *column,
	    const char *key);

#endif
