/*
 * master/route_store.c — providers (built-in catalog + rows), connections,
 * combos and client API keys: reads and API records. Writes live in the
 * command handlers of master/cmd_route.c, each one statement in a transaction.
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
