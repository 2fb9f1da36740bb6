/*
 * master/route_store.c — providers (built-in catalog + rows), connections,
 * combos and client API keys: reads, API records and writes. Each write is
 * one statement (a delete checks first what refers to the row) inside the
 * transaction of the command that calls it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "route_store.h"
#include "util.h"

const struct catalog_provider provider_catalog[] = {
	{ "openai", "OpenAI", "https://api.openai.com/v1", "bearer", "{}" },
	{ "anthropic", "Anthropic", "https://api.anthropic.com/v1", "x-api-key",
	    "{\"anthropic-version\":\"2023-06-01\"}" },
	{ "gemini", "Google Gemini (OpenAI-compatible)",
	    "https://generativelanguage.googleapis.com/v1beta/openai", "bearer", "{}" },
	{ "openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "bearer", "{}" },
	{ "groq", "Groq", "https://api.groq.com/openai/v1", "bearer", "{}" },
	{ "mistral", "Mistral", "https://api.mistral.ai/v1", "bearer", "{}" },
	{ "deepseek", "DeepSeek", "https://api.deepseek.com/v1", "bearer", "{}" },
	{ "xai", "xAI", "https://api.x.ai/v1", "bearer", "{}" },
	{ "together", "Together AI", "https://api.together.xyz/v1", "bearer", "{}" },
	{ "fireworks", "Fireworks AI", "https://api.fireworks.ai/inference/v1", "bearer", "{}" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct catalog_provider *
catalog_find(const char *id)
{
	const struct catalog_provider *c;

	for (c = provider_catalog; c->id != NULL; c++)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static struct json_object *
provider_json(const char *id, const char *name, const char *base_url,
    const char *auth_style, const char *headers, bool builtin, bool overridden,
    const char *created, const char *updated)
{
	struct json_object *o = json_object_new_object();
	struct json_object *h = json_tokener_parse(headers);

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "baseUrl", json_object_new_string(base_url));
	json_object_object_add(o, "authStyle", json_object_new_string(auth_style));
	json_object_object_add(o, "headers", h != NULL ? h : json_object_new_object());
	json_object_object_add(o, "builtin", json_object_new_boolean(builtin));
	json_object_object_add(o, "overridden", json_object_new_boolean(overridden));
	json_object_object_add(o, "createdAt", created ? json_object_new_string(created) : NULL);
	json_object_object_add(o, "updatedAt", updated ? json_object_new_string(updated) : NULL);
	return o;
}

static struct json_object *
provider_row_json(sqlite3_stmt *st)
{
	const char *id = db_col_text(st, 0);

	return provider_json(id, db_col_text(st, 1), db_col_text(st, 2),
	    db_col_text(st, 3), db_col_text(st, 4), catalog_find(id) != NULL,
	    catalog_find(id) != NULL, db_col_text(st, 5), db_col_text(st, 6));
}

#define PROVIDER_COLUMNS "id, name, base_url, auth_style, headers, created_at, updated_at"

struct json_object *
provider_get_record(struct master *m, const char *id)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT " PROVIDER_COLUMNS
	    " FROM providers WHERE id = ?");
	const struct catalog_provider *c = catalog_find(id);
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = provider_row_json(st);
	sqlite3_finalize(st);
	if (o == NULL && c != NULL)
		o = provider_json(c->id, c->name, c->base_url, c->auth_style,
		    c->headers, true, false, NULL, NULL);
	return o;
}

bool
provider_exists(struct master *m, const char *id)
{
	return catalog_find(id) != NULL ||
	    db_count(m->db, "SELECT COUNT(*) FROM providers WHERE id = ?", id) > 0;
}

struct json_object *
provider_row_records(struct master *m)
{
	struct json_object *items = json_object_new_array();
	sqlite3_stmt *st = db_prepare(m->db, "SELECT " PROVIDER_COLUMNS
	    " FROM providers ORDER BY id");

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(items, provider_row_json(st));
	sqlite3_finalize(st);
	return items;
}

/* Catalog entries (overridden or not) first, in catalog order, then custom ones by id. */
struct json_object *
provider_list_records(struct master *m)
{
	struct json_object *items = json_object_new_array();
	const struct catalog_provider *c;
	sqlite3_stmt *st;

	for (c = provider_catalog; c->id != NULL; c++)
		json_object_array_add(items, provider_get_record(m, c->id));
	st = db_prepare(m->db, "SELECT " PROVIDER_COLUMNS " FROM providers ORDER BY id");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		if (catalog_find(db_col_text(st, 0)) == NULL)
			json_object_array_add(items, provider_row_json(st));
	sqlite3_finalize(st);
	return items;
}

#define CONNECTION_COLUMNS "id, provider_id, name, api_key, priority, status, " \
	"created_at, updated_at"

static struct json_object *
connection_row_json(sqlite3_stmt *st)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(db_col_text(st, 0)));
	json_object_object_add(o, "provider", json_object_new_string(db_col_text(st, 1)));
	json_object_object_add(o, "name", json_object_new_string(db_col_text(st, 2)));
	json_object_object_add(o, "apiKey",
	    json_object_new_string(*db_col_text(st, 3) ? "***" : ""));
	json_object_object_add(o, "priority", json_object_new_int(sqlite3_column_int(st, 4)));
	json_object_object_add(o, "status", json_object_new_string(db_col_text(st, 5)));
	json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 6)));
	json_object_object_add(o, "updatedAt", json_object_new_string(db_col_text(st, 7)));
	return o;
}

struct json_object *
connection_get_record(struct master *m, const char *id)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT " CONNECTION_COLUMNS
	    " FROM connections WHERE id = ?");
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = connection_row_json(st);
	sqlite3_finalize(st);
	return o;
}

bool
connection_exists(struct master *m, const char *id)
{
	return db_count(m->db, "SELECT COUNT(*) FROM connections WHERE id = ?", id) > 0;
}

struct json_object *
connection_list_records(struct master *m, const char *provider, bool with_secrets)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT " CONNECTION_COLUMNS
	    " FROM connections WHERE ?1 IS NULL OR provider_id = ?1 "
	    "ORDER BY provider_id, priority, name");
	struct json_object *items = json_object_new_array();

	if (st == NULL)
		return items;
	db_bind_text(st, 1, provider);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = connection_row_json(st);
		if (with_secrets && *db_col_text(st, 3) != '\0') {
			char *key = master_decrypt(m, db_col_text(st, 3));
			json_object_object_add(o, "apiKey", json_object_new_string(key ? key : ""));
			crypto_free_secret(key);
		}
		json_object_array_add(items, o);
	}
	sqlite3_finalize(st);
	return items;
}

static struct json_object *
combo_row_json(sqlite3_stmt *st)
{
	struct json_object *o = json_object_new_object();
	struct json_object *targets = json_tokener_parse(db_col_text(st, 1));

	json_object_object_add(o, "id", json_object_new_string(db_col_text(st, 0)));
	json_object_object_add(o, "name", json_object_new_string(db_col_text(st, 0)));
	json_object_object_add(o, "targets", targets != NULL ? targets :
	    json_object_new_array());
	json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 2)));
	json_object_object_add(o, "updatedAt", json_object_new_string(db_col_text(st, 3)));
	return o;
}

struct json_object *
combo_get_record(struct master *m, const char *id)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, targets, created_at, "
	    "updated_at FROM combos WHERE id = ?");
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = combo_row_json(st);
	sqlite3_finalize(st);
	return o;
}

bool
combo_exists(struct master *m, const char *id)
{
	return db_count(m->db, "SELECT COUNT(*) FROM combos WHERE id = ?", id) > 0;
}

struct json_object *
combo_list_records(struct master *m)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, targets, created_at, "
	    "updated_at FROM combos ORDER BY id");
	struct json_object *items = json_object_new_array();

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(items, combo_row_json(st));
	sqlite3_finalize(st);
	return items;
}

struct json_object *
apikey_list_records(struct master *m)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, name, prefix, created_at "
	    "FROM api_keys ORDER BY created_at, id");
	struct json_object *items = json_object_new_array();

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(db_col_text(st, 0)));
		json_object_object_add(o, "name", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "prefix", json_object_new_string(db_col_text(st, 2)));
		json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 3)));
		json_object_array_add(items, o);
	}
	sqlite3_finalize(st);
	return items;
}

/* ---- writes: each is one statement inside the command's transaction ---- */

int
provider_upsert(struct master *m, const struct provider_fields *f)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO providers (id, name, "
	    "base_url, auth_style, headers, created_at, updated_at) VALUES (?1, ?2, "
	    "rtrim(?3, '/'), ?4, ?5, ?6, ?6) ON CONFLICT(id) DO UPDATE SET name = "
	    "excluded.name, base_url = excluded.base_url, auth_style = "
	    "excluded.auth_style, headers = excluded.headers, updated_at = "
	    "excluded.updated_at");
	char stamp[ISO_TIME_LEN];

	if (st == NULL)
		return -1;
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, f->id);
	db_bind_text(st, 2, f->name);
	db_bind_text(st, 3, f->base_url);
	db_bind_text(st, 4, f->auth_style);
	db_bind_text(st, 5, f->headers);
	db_bind_text(st, 6, stamp);
	return db_exec_stmt(st);
}

enum store_rc
provider_remove(struct master *m, const char *id)
{
	bool builtin = catalog_find(id) != NULL;

	if (db_count(m->db, "SELECT COUNT(*) FROM providers WHERE id = ?", id) <= 0)
		return builtin ? STORE_BUILTIN : STORE_NOT_FOUND;
	/* an override goes alone: the catalog entry keeps its connections */
	if (!builtin && db_count(m->db, "SELECT COUNT(*) FROM connections WHERE "
	    "provider_id = ?", id) > 0)
		return STORE_IN_USE;
	return store_rc_of_delete(db_delete_by_key(m->db, "providers", "id", id));
}

bool
connection_name_taken(struct master *m, const char *provider, const char *name)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT COUNT(*) FROM connections "
	    "WHERE provider_id = ? AND name = ?");
	bool taken;

	if (st == NULL)
		return false;
	db_bind_text(st, 1, provider);
	db_bind_text(st, 2, name);
	taken = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return taken;
}

enum store_rc
connection_insert(struct master *m, const char *id, const struct connection_fields *f)
{
	char stamp[ISO_TIME_LEN], *sealed = master_encrypt(m, f->key != NULL ? f->key : "");
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO connections (id, "
	    "provider_id, name, api_key, priority, status, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

	if (st == NULL || sealed == NULL) {
		sqlite3_finalize(st);
		free(sealed);
		return STORE_FAILED;
	}
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, f->provider);
	db_bind_text(st, 3, f->name);
	db_bind_text(st, 4, sealed);
	sqlite3_bind_int64(st, 5, f->priority);
	db_bind_text(st, 6, f->status);
	db_bind_text(st, 7, stamp);
	db_bind_text(st, 8, stamp);
	free(sealed);
	return db_exec_stmt(st) == 0 ? STORE_OK : STORE_FAILED;
}

enum store_rc
connection_update(struct master *m, const char *id, const struct connection_fields *f)
{
	char stamp[ISO_TIME_LEN], *sealed = NULL;
	sqlite3_stmt *st;

	if (f->key != NULL && *f->key != '\0' &&
	    (sealed = master_encrypt(m, f->key)) == NULL)
		return STORE_FAILED;
	/* omitted fields (NULL) and an empty key keep the stored value */
	st = db_prepare(m->db, "UPDATE connections SET name = COALESCE(?2, name), "
	    "api_key = COALESCE(?3, api_key), priority = COALESCE(?4, priority), "
	    "status = COALESCE(?5, status), updated_at = ?6 WHERE id = ?1");
	if (st == NULL) {
		free(sealed);
		return STORE_FAILED;
	}
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, f->name);
	db_bind_text(st, 3, sealed);
	if (f->has_priority)
		sqlite3_bind_int64(st, 4, f->priority);
	db_bind_text(st, 5, f->status);
	db_bind_text(st, 6, stamp);
	free(sealed);
	/* the one constraint an update can break: (provider, name) is unique */
	return db_exec_stmt(st) == 0 ? STORE_OK : STORE_CONFLICT;
}

enum store_rc
connection_remove(struct master *m, const char *id)
{
	return store_rc_of_delete(db_delete_by_key(m->db, "connections", "id", id));
}

int
combo_upsert(struct master *m, const char *id, const char *targets)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO combos (id, targets, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?3) ON CONFLICT(id) DO "
	    "UPDATE SET targets = excluded.targets, updated_at = excluded.updated_at");
	char stamp[ISO_TIME_LEN];

	if (st == NULL)
		return -1;
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, targets);
	db_bind_text(st, 3, stamp);
	return db_exec_stmt(st);
}

enum store_rc
combo_remove(struct master *m, const char *id)
{
	return store_rc_of_delete(db_delete_by_key(m->db, "combos", "id", id));
}

int
apikey_insert(struct master *m, const char *id, const char *name,
    const char *key_hash, const char *prefix, const char *created_at)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO api_keys (id, name, "
	    "key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, key_hash);
	db_bind_text(st, 4, prefix);
	db_bind_text(st, 5, created_at);
	return db_exec_stmt(st);
}

enum store_rc
apikey_remove(struct master *m, const char *id)
{
	return store_rc_of_delete(db_delete_by_key(m->db, "api_keys", "id", id));
}
