/*
 * master/upstream_store.c — upstream_proxy_config rows: the upstream.get
 * record (the model mapping parsed as JSON), the backup's export items (the
 * mapping as stored text), and the writes, each one statement inside the
 * calling command's transaction.
 */
#include <stdio.h>

#include "db.h"
#include "upstream_store.h"
#include "util.h"

struct json_object *
upstream_mode_record(struct master *m, const char *provider_id)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, provider_id, mode, "
	    "cliproxyapi_model_mapping, native_priority, cliproxyapi_priority, enabled, "
	    "created_at, updated_at FROM upstream_proxy_config WHERE provider_id = ?");
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, provider_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(st, 0)));
		json_object_object_add(o, "providerId", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "mode", json_object_new_string(db_col_text(st, 2)));
		json_object_object_add(o, "cliproxyapiModelMapping", db_col_is_null(st, 3) ?
		    NULL : json_tokener_parse(db_col_text(st, 3)));
		json_object_object_add(o, "nativePriority",
		    json_object_new_int(sqlite3_column_int(st, 4)));
		json_object_object_add(o, "cliproxyapiPriority",
		    json_object_new_int(sqlite3_column_int(st, 5)));
		json_object_object_add(o, "enabled",
		    json_object_new_boolean(sqlite3_column_int(st, 6) != 0));
		json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 7)));
		json_object_object_add(o, "updatedAt", json_object_new_string(db_col_text(st, 8)));
	}
	sqlite3_finalize(st);
	return o;
}

struct json_object *
upstream_mode_export_records(struct master *m)
{
	struct json_object *items = json_object_new_array();
	sqlite3_stmt *st = db_prepare(m->db, "SELECT provider_id, mode, enabled, "
	    "cliproxyapi_model_mapping, native_priority, cliproxyapi_priority "
	    "FROM upstream_proxy_config ORDER BY provider_id");

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "providerId", json_object_new_string(db_col_text(st, 0)));
		json_object_object_add(o, "mode", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "enabled",
		    json_object_new_boolean(sqlite3_column_int(st, 2) != 0));
		json_object_object_add(o, "cliproxyapiModelMapping", db_col_is_null(st, 3) ?
		    NULL : json_object_new_string(db_col_text(st, 3)));
		json_object_object_add(o, "nativePriority",
		    json_object_new_int(sqlite3_column_int(st, 4)));
		json_object_object_add(o, "cliproxyapiPriority",
		    json_object_new_int(sqlite3_column_int(st, 5)));
		json_object_array_add(items, o);
	}
	sqlite3_finalize(st);
	return items;
}

int
upstream_mode_set(struct master *m, const char *provider_id, const char *mode,
    bool enabled)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO upstream_proxy_config "
	    "(provider_id, mode, enabled, created_at, updated_at) VALUES (?1, ?2, ?3, "
	    "?4, ?4) ON CONFLICT(provider_id) DO UPDATE SET mode = excluded.mode, "
	    "enabled = excluded.enabled, updated_at = excluded.updated_at");
	char stamp[ISO_TIME_LEN];

	if (st == NULL)
		return -1;
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, provider_id);
	db_bind_text(st, 2, mode);
	sqlite3_bind_int(st, 3, enabled);
	db_bind_text(st, 4, stamp);
	return db_exec_stmt(st);
}

int
upstream_mode_restore(struct master *m, const struct upstream_mode *u)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO upstream_proxy_config "
	    "(provider_id, mode, enabled, cliproxyapi_model_mapping, native_priority, "
	    "cliproxyapi_priority, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
	    "?, ?) ON CONFLICT(provider_id) DO UPDATE SET mode = excluded.mode, "
	    "enabled = excluded.enabled, cliproxyapi_model_mapping = "
	    "excluded.cliproxyapi_model_mapping, native_priority = "
	    "excluded.native_priority, cliproxyapi_priority = "
	    "excluded.cliproxyapi_priority, updated_at = excluded.updated_at");
	char stamp[ISO_TIME_LEN];

	if (st == NULL)
		return -1;
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, u->provider_id);
	db_bind_text(st, 2, u->mode);
	sqlite3_bind_int(st, 3, u->enabled);
	db_bind_text(st, 4, u->model_mapping);
	sqlite3_bind_int64(st, 5, u->native_priority);
	sqlite3_bind_int64(st, 6, u->cliproxyapi_priority);
	db_bind_text(st, 7, stamp);
	db_bind_text(st, 8, stamp);
	return db_exec_stmt(st);
}

enum store_rc
upstream_mode_remove(struct master *m, const char *provider_id)
{
	return store_rc_of_delete(db_delete_by_key(m->db, "upstream_proxy_config",
	    "provider_id", provider_id));
}
