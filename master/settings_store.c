/*
 * master/settings_store.c — key_value reads and writes, one statement each
 * (inside the calling command's transaction for the writes).
 */
#include "db.h"
#include "settings_store.h"

static struct json_object *
nullable_text(sqlite3_stmt *st, int col)
{
	return db_col_is_null(st, col) ? NULL : json_object_new_string(db_col_text(st, col));
}

struct json_object *
settings_export_records(struct master *m)
{
	struct json_object *root = json_object_new_object();
	sqlite3_stmt *st = db_prepare(m->db, "SELECT namespace, key, value FROM "
	    "key_value ORDER BY namespace, key");

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *ns;
		if (!json_object_object_get_ex(root, db_col_text(st, 0), &ns)) {
			ns = json_object_new_object();
			json_object_object_add(root, db_col_text(st, 0), ns);
		}
		json_object_object_add(ns, db_col_text(st, 1), nullable_text(st, 2));
	}
	sqlite3_finalize(st);
	return root;
}

struct json_object *
settings_namespace_records(struct master *m, const char *ns)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT key, value FROM key_value "
	    "WHERE namespace = ? ORDER BY key");
	struct json_object *values;

	if (st == NULL)
		return NULL;
	values = json_object_new_object();
	db_bind_text(st, 1, ns);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_object_add(values, db_col_text(st, 0), nullable_text(st, 1));
	sqlite3_finalize(st);
	return values;
}

int
setting_set(struct master *m, const char *ns, const char *key, const char *value)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO key_value (namespace, key, "
	    "value) VALUES (?, ?, ?) ON CONFLICT(namespace, key) DO UPDATE SET "
	    "value = excluded.value");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, ns);
	db_bind_text(st, 2, key);
	db_bind_text(st, 3, value);
	return db_exec_stmt(st);
}
