/*
 * master/proxy_store.c — the registry's SQL: proxies (credentials encrypted
 * with the storage key, redacted in every API record) and scope assignments.
 * The list filters in SQL (search, type, status) and counts the rows it
 * matches; the usage of a page's proxies is one query over their ids.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "proxy_fields.h"
#include "pool_store.h"
#include "proxy_store.h"
#include "reply.h"

static const char *const proxy_types[] = { "http", "https", "socks5", NULL };
static const char *const proxy_statuses[] = { "active", "inactive", NULL };

const struct arg_spec proxy_create_fields[] = {
	{ "name", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	{ "type", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, proxy_types },
	{ "host", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 255, NULL },
	{ "port", ARG_INT, ARG_REQUIRED | ARG_HAS_MIN | ARG_HAS_MAX, 1, 65535, NULL },
	{ "username", ARG_STRING, ARG_HAS_MAX, 0, 255, NULL },
	{ "password", ARG_STRING, ARG_HAS_MAX, 0, 255, NULL },
	{ "region", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX, 0, 64, NULL },
	{ "notes", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX | ARG_TEXT, 0, 1000, NULL },
	{ "status", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, proxy_statuses },
	ARGSPEC_END
};


void
proxy_host_normalise(struct json_object *fields)
{
	struct json_object *v;
	const char *host;
	size_t off, len;

	if (!json_object_object_get_ex(fields, "host", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	host = json_object_get_string(v);
	if (host[0] == '[' && host_classify(host, (size_t)json_object_get_string_len(v),
	    NULL, &off, &len) == HOST_IPV6)
		json_object_object_add(fields, "host",
		    json_object_new_string_len(host + off, (int)len));
}

/* A string member of obj as (pointer, length); NULL, 0 when absent or null. */
static const char *
member_bytes(struct json_object *obj, const char *name, size_t *len)
{
	struct json_object *v;

	*len = 0;
	if (obj == NULL || !json_object_object_get_ex(obj, name, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/*
 * The record's value of a field: the change's when given, else the stored
 * one. Credentials: an empty change keeps the stored value (as
 * proxy_update_fields does).
 */
static const char *
merged_bytes(struct json_object *change, struct json_object *stored,
    const char *name, bool empty_keeps, size_t *len)
{
	const char *v = member_bytes(change, name, len);

	if (v != NULL && !(empty_keeps && *len == 0))
		return v;
	return member_bytes(stored, name, len);
}

int
proxy_check_dialable(struct master *m, struct json_object *fields,
    const char *existing_id, const char *prefix, struct json_object *details)
{
	struct json_object *stored = NULL, *v;
	struct proxy_field_problem problems[PROXY_FIELD_PROBLEMS_MAX];
	struct proxy_fields f;
	char field[64];
	size_t n, i;
	int count = 0;

	proxy_host_normalise(fields);
	if (existing_id != NULL)
		stored = proxy_get_record(m, existing_id, true);
	memset(&f, 0, sizeof(f));
	f.check_name = existing_id != NULL || arg_present(fields, "name");
	f.name = merged_bytes(fields, stored, "name", false, &f.name_len);
	f.type = merged_bytes(fields, stored, "type", false, &n);
	f.host = merged_bytes(fields, stored, "host", false, &f.host_len);
	f.port = -1;
	if (arg_present(fields, "port"))
		f.port = arg_int(fields, "port", -1);
	else if (stored != NULL && json_object_object_get_ex(stored, "port", &v))
		f.port = json_object_get_int64(v);
	f.username = merged_bytes(fields, stored, "username", true, &f.username_len);
	f.password = merged_bytes(fields, stored, "password", true, &f.password_len);
	n = proxy_fields_check(&f, problems, PROXY_FIELD_PROBLEMS_MAX);
	for (i = 0; i < n && i < PROXY_FIELD_PROBLEMS_MAX; i++) {
		snprintf(field, sizeof(field), "%s%s", prefix, problems[i].field);
		details_add(details, field, "%s %s", problems[i].field,
		    problems[i].message);
		count++;
	}
	if (stored != NULL) {
		/* wipe the decrypted credentials before letting go */
		static const char *const secrets[] = { "username", "password", NULL };
		for (i = 0; secrets[i] != NULL; i++)
			if (json_object_object_get_ex(stored, secrets[i], &v) &&
			    json_object_get_string_len(v) > 0)
				explicit_bzero((char *)json_object_get_string(v),
				    (size_t)json_object_get_string_len(v));
		json_object_put(stored);
	}
	return count;
}

int
proxy_check_fields(struct master *m, struct json_object *fields,
    const char *existing_id, const char *prefix, struct json_object *details)
{
	int count = proxy_check_dialable(m, fields, existing_id, prefix, details);
	const char *type = arg_string(fields, "type", NULL);
	char field[64];

	if (type != NULL && strcmp(type, "socks5") == 0 &&
	    !m->cfg.enable_socks5_proxy) {
		snprintf(field, sizeof(field), "%stype", prefix);
		details_add(details, field,
		    "SOCKS5 proxy is disabled (set ENABLE_SOCKS5_PROXY=true to enable)");
		count++;
	}
	return count;
}

static void
bind_secret(struct master *m, sqlite3_stmt *st, int idx, const char *plain)
{
	char *enc = master_encrypt(m, plain != NULL ? plain : "");

	db_bind_text(st, idx, enc != NULL ? enc : "");
	free(enc);
}

int
proxy_insert(struct master *m, struct json_object *fields, const char *id,
    char out_id[UUID_STR_LEN])
{
	sqlite3_stmt *st;
	char stamp[ISO_TIME_LEN];

	if (id != NULL)
		snprintf(out_id, UUID_STR_LEN, "%s", id);
	else if (uuid_v4(out_id) != 0)
		return -1;
	iso_time_now(stamp, sizeof(stamp));
	st = db_prepare(m->db, "INSERT INTO proxy_registry (id, name, type, host, "
	    "port, username, password, region, notes, status, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, out_id);
	db_bind_text(st, 2, arg_string(fields, "name", ""));
	db_bind_text(st, 3, arg_string(fields, "type", "http"));
	db_bind_text(st, 4, arg_string(fields, "host", ""));
	sqlite3_bind_int64(st, 5, arg_int(fields, "port", 0));
	bind_secret(m, st, 6, arg_string(fields, "username", ""));
	bind_secret(m, st, 7, arg_string(fields, "password", ""));
	db_bind_text(st, 8, *arg_string(fields, "region", "") ?
	    arg_string(fields, "region", NULL) : NULL);
	db_bind_text(st, 9, *arg_string(fields, "notes", "") ?
	    arg_string(fields, "notes", NULL) : NULL);
	db_bind_text(st, 10, arg_string(fields, "status", "active"));
	db_bind_text(st, 11, stamp);
	db_bind_text(st, 12, stamp);
	return db_exec_stmt(st);
}

/* One column update; the value is bound as text or integer. */
static int
update_column(struct master *m, const char *id, const char *column,
    const char *text, long long number, bool is_number, const char *stamp)
{
	char sql[160];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "UPDATE proxy_registry SET %s = ?, updated_at = ? "
	    "WHERE id = ?", column);
	if ((st = db_prepare(m->db, sql)) == NULL)
		return -1;
	if (is_number)
		sqlite3_bind_int64(st, 1, number);
	else
		db_bind_text(st, 1, text);
	db_bind_text(st, 2, stamp);
	db_bind_text(st, 3, id);
	return db_exec_stmt(st);
}

int
proxy_update_fields(struct master *m, const char *id, struct json_object *fields)
{
	static const char *const text_columns[] = { "name", "type", "host", "status", NULL };
	static const char *const nullable_columns[] = { "region", "notes", NULL };
	static const char *const secret_columns[] = { "username", "password", NULL };
	char stamp[ISO_TIME_LEN];
	size_t i;

	if (!proxy_exists(m, id))
		return 0;
	iso_time_now(stamp, sizeof(stamp));
	for (i = 0; text_columns[i] != NULL; i++)
		if (arg_present(fields, text_columns[i]) &&
		    update_column(m, id, text_columns[i],
		    arg_string(fields, text_columns[i], ""), 0, false, stamp) != 0)
			return -1;
	for (i = 0; nullable_columns[i] != NULL; i++) {
		const char *v = arg_string(fields, nullable_columns[i], NULL);
		if (arg_present(fields, nullable_columns[i]) &&
		    update_column(m, id, nullable_columns[i],
		    v != NULL && *v != '\0' ? v : NULL, 0, false, stamp) != 0)
			return -1;
	}
	if (arg_present(fields, "port") &&
	    update_column(m, id, "port", NULL, arg_int(fields, "port", 0), true,
	    stamp) != 0)
		return -1;
	for (i = 0; secret_columns[i] != NULL; i++) {
		const char *v = arg_string(fields, secret_columns[i], "");
		char *enc;
		int rc;
		if (*v == '\0')
			continue;	/* empty keeps the stored credential */
		enc = master_encrypt(m, v);
		if (enc == NULL)
			return -1;
		rc = update_column(m, id, secret_columns[i], enc, 0, false, stamp);
		free(enc);
		if (rc != 0)
			return -1;
	}
	return update_column(m, id, "updated_at", stamp, 0, false, stamp) == 0 ? 1 : -1;
}

bool
proxy_exists(struct master *m, const char *id)
{
	return db_count(m->db, "SELECT COUNT(*) FROM proxy_registry WHERE id = ?",
	    id) > 0;
}

int
proxy_store_egress(struct master *m, const char *id, const char *egress_ip,
    const char *checked_at)
{
	sqlite3_stmt *st = db_prepare(m->db, "UPDATE proxy_registry SET egress_ip = ?, "
	    "egress_checked_at = ? WHERE id = ?");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, egress_ip);
	db_bind_text(st, 2, checked_at);
	db_bind_text(st, 3, id);
	if (db_exec_stmt(st) != 0)
		return -1;
	return sqlite3_changes(m->db) > 0 ? 1 : 0;
}

enum store_rc
proxy_remove(struct master *m, const char *id, bool force)
{
	if (!proxy_exists(m, id))
		return STORE_NOT_FOUND;
	if (assignment_count_for_proxy(m, id) > 0) {
		if (!force)
			return STORE_IN_USE;
		if (assignment_remove_for_proxy(m, id) != 0)
			return STORE_DEPENDENTS_FAILED;
	}
	return db_delete_by_key(m->db, "proxy_registry", "id", id) < 0 ?
	    STORE_FAILED : STORE_OK;
}

int
proxy_name_taken(struct master *m, const char *name, const char *self_id,
    char other_id[UUID_STR_LEN])
{
	sqlite3_stmt *st;
	int taken = 0;

	if (self_id != NULL) {
		st = db_prepare(m->db, "SELECT name = ? COLLATE NOCASE FROM "
		    "proxy_registry WHERE id = ?");
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, name);
		db_bind_text(st, 2, self_id);
		taken = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (taken)
			return 0;	/* keeps its own name */
	}
	st = db_prepare(m->db, "SELECT id FROM proxy_registry WHERE name = ? "
	    "COLLATE NOCASE AND id <> ? ORDER BY created_at, id LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, self_id != NULL ? self_id : "");
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(other_id, UUID_STR_LEN, "%s", db_col_text(st, 0));
		taken = 1;
	}
	sqlite3_finalize(st);
	return taken;
}

void
proxy_name_taken_message(struct master *m, char *buf, size_t len,
    const char *name, const char *other_id)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT name FROM proxy_registry "
	    "WHERE id = ?");
	char holder[128] = "";

	if (st != NULL) {
		db_bind_text(st, 1, other_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(holder, sizeof(holder), "%s", db_col_text(st, 0));
		sqlite3_finalize(st);
	}
	snprintf(buf, len, "Proxy name '%s' is taken by proxy '%s' (id %s); proxy "
	    "names are unique, case-insensitive", name, holder, other_id);
}

int
proxy_name_unused(struct master *m, const char *base, char *out, size_t len)
{
	char other[UUID_STR_LEN];
	int n, rc;

	snprintf(out, len, "%s", base);
	for (n = 2; (rc = proxy_name_taken(m, out, NULL, other)) == 1 && n < 10000;
	    n++)
		snprintf(out, len, "%s %d", base, n);
	return rc == 0 ? 0 : -1;
}

/* 8-4-4-4-12 hexadecimal digits, the shape of the ids the master makes. */
bool
proxy_ref_looks_like_id(const char *word)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(word) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == '-' ? word[i] != '-' : !isxdigit((unsigned char)word[i]))
			return false;
	return true;
}

enum proxy_ref
proxy_ref_decide(bool looks_like_id, bool id_exists, long long name_matches)
{
	if (looks_like_id && id_exists)
		return PROXY_REF_ID;
	if (name_matches == 1)
		return PROXY_REF_NAME;
	if (name_matches > 1)
		return PROXY_REF_AMBIGUOUS;
	return id_exists ? PROXY_REF_ID : PROXY_REF_UNKNOWN;
}

enum proxy_ref
proxy_ref_resolve(struct master *m, const char *word, char out_id[UUID_STR_LEN],
    long long *matches)
{
	sqlite3_stmt *st;
	enum proxy_ref kind;
	bool id_exists = proxy_exists(m, word);

	*matches = 0;
	out_id[0] = '\0';
	st = db_prepare(m->db, "SELECT id FROM proxy_registry WHERE name = ? "
	    "COLLATE NOCASE ORDER BY created_at, id");
	if (st == NULL)
		return PROXY_REF_UNKNOWN;
	db_bind_text(st, 1, word);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((*matches)++ == 0)
			snprintf(out_id, UUID_STR_LEN, "%s", db_col_text(st, 0));
	sqlite3_finalize(st);
	kind = proxy_ref_decide(proxy_ref_looks_like_id(word), id_exists, *matches);
	if (kind == PROXY_REF_ID)
		snprintf(out_id, UUID_STR_LEN, "%s", word);
	return kind;
}

int
proxy_find_by_host_port(struct master *m, const char *host, long long port,
    char out_id[UUID_STR_LEN])
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id FROM proxy_registry WHERE "
	    "host = ? AND port = ? ORDER BY created_at, id LIMIT 1");
	int found = 0;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, host);
	sqlite3_bind_int64(st, 2, port);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out_id, UUID_STR_LEN, "%s", db_col_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int
proxy_find_by_identity(struct master *m, const char *type, const char *host,
    long long port, const char *username, char out_id[UUID_STR_LEN])
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT id, username FROM proxy_registry "
	    "WHERE type = ? AND host = ? AND port = ? ORDER BY created_at, id");
	int found = 0;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, type);
	db_bind_text(st, 2, host);
	sqlite3_bind_int64(st, 3, port);
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		char *user = master_decrypt(m, db_col_text(st, 1));
		if (user != NULL && strcmp(user, username) == 0) {
			snprintf(out_id, UUID_STR_LEN, "%s", db_col_text(st, 0));
			found = 1;
		}
		crypto_free_secret(user);
	}
	sqlite3_finalize(st);
	return found;
}

static struct json_object *
nullable_text(sqlite3_stmt *st, int col)
{
	return db_col_is_null(st, col) ? NULL : json_object_new_string(db_col_text(st, col));
}

static struct json_object *
nullable_int(sqlite3_stmt *st, int col)
{
	return db_col_is_null(st, col) ? NULL :
	    json_object_new_int64(sqlite3_column_int64(st, col));
}

static struct json_object *
secret_field(struct master *m, sqlite3_stmt *st, int col, bool with_secrets)
{
	const char *stored = db_col_text(st, col);
	struct json_object *o;
	char *plain;

	if (*stored == '\0')
		return json_object_new_string("");
	if (!with_secrets)
		return json_object_new_string("***");
	plain = master_decrypt(m, stored);
	o = json_object_new_string(plain != NULL ? plain : "");
	crypto_free_secret(plain);
	return o;
}

struct json_object *
proxy_row_json(struct master *m, sqlite3_stmt *st, bool with_secrets)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(db_col_text(st, 0)));
	json_object_object_add(o, "name", json_object_new_string(db_col_text(st, 1)));
	json_object_object_add(o, "type", json_object_new_string(db_col_text(st, 2)));
	json_object_object_add(o, "host", json_object_new_string(db_col_text(st, 3)));
	json_object_object_add(o, "port", json_object_new_int(sqlite3_column_int(st, 4)));
	json_object_object_add(o, "username", secret_field(m, st, 5, with_secrets));
	json_object_object_add(o, "password", secret_field(m, st, 6, with_secrets));
	json_object_object_add(o, "region", nullable_text(st, 7));
	json_object_object_add(o, "notes", nullable_text(st, 8));
	json_object_object_add(o, "status", json_object_new_string(db_col_text(st, 9)));
	json_object_object_add(o, "source", json_object_new_string(db_col_text(st, 10)));
	json_object_object_add(o, "qualityScore", nullable_int(st, 11));
	json_object_object_add(o, "latencyMs", nullable_int(st, 12));
	json_object_object_add(o, "anonymity", nullable_text(st, 13));
	json_object_object_add(o, "googleAccess",
	    json_object_new_boolean(sqlite3_column_int(st, 14) != 0));
	json_object_object_add(o, "lastValidated", nullable_text(st, 15));
	json_object_object_add(o, "countryCode", nullable_text(st, 16));
	json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 17)));
	json_object_object_add(o, "updatedAt", json_object_new_string(db_col_text(st, 18)));
	json_object_object_add(o, "egressIp", nullable_text(st, 19));
	json_object_object_add(o, "egressCheckedAt", nullable_text(st, 20));
	return o;
}

struct json_object *
proxy_get_record(struct master *m, const char *id, bool with_secrets)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT " PROXY_COLUMNS
	    " FROM proxy_registry WHERE id = ?");
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = proxy_row_json(m, st, with_secrets);
	sqlite3_finalize(st);
	return o;
}

/* The WHERE of a filtered list: ?1 search (lower-cased), ?2 type, ?3 status. */
#define PROXY_FILTER_SQL " WHERE (?1 IS NULL OR instr(lower(name), ?1) > 0 OR " \
	"instr(lower(host), ?1) > 0 OR instr(lower(COALESCE(region, '')), ?1) > 0 " \
	"OR instr(lower(COALESCE(notes, '')), ?1) > 0) AND (?2 IS NULL OR " \
	"type = ?2) AND (?3 IS NULL OR status = ?3)"

static void
bind_filter(sqlite3_stmt *st, const struct proxy_filter *filter, const char *search)
{
	db_bind_text(st, 1, search);
	db_bind_text(st, 2, filter != NULL ? filter->type : NULL);
	db_bind_text(st, 3, filter != NULL ? filter->status : NULL);
}

struct json_object *
proxy_list_records(struct master *m, const struct proxy_filter *filter,
    long long limit, long long offset, bool with_secrets, long long *total)
{
	sqlite3_stmt *st;
	struct json_object *items = json_object_new_array();
	char *search = NULL;
	size_t i;

	/* lower() of SQLite folds ASCII only: the needle is folded the same way */
	if (filter != NULL && filter->search != NULL && filter->search[0] != '\0') {
		search = xstrdup(filter->search);
		for (i = 0; search[i] != '\0'; i++)
			if (search[i] >= 'A' && search[i] <= 'Z')
				search[i] = (char)(search[i] - 'A' + 'a');
	}
	*total = 0;
	if ((st = db_prepare(m->db, "SELECT COUNT(*) FROM proxy_registry"
	    PROXY_FILTER_SQL)) != NULL) {
		bind_filter(st, filter, search);
		if (sqlite3_step(st) == SQLITE_ROW)
			*total = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	st = db_prepare(m->db, "SELECT " PROXY_COLUMNS " FROM proxy_registry"
	    PROXY_FILTER_SQL " ORDER BY updated_at DESC, rowid DESC LIMIT ?4 OFFSET ?5");
	if (st != NULL) {
		bind_filter(st, filter, search);
		sqlite3_bind_int64(st, 4, limit);
		sqlite3_bind_int64(st, 5, offset);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_array_add(items, proxy_row_json(m, st, with_secrets));
		sqlite3_finalize(st);
	}
	free(search);
	return items;
}

/*
 * Each (proxy, scope) use of the proxies in ?1 (a JSON array of ids), a
 * pool's head or one of its members counted once, with how many the proxy
 * has in all; only the first ?2 per proxy, by scope and scope id.
 */
#define USAGE_SQL "WITH ids(id) AS (SELECT value FROM json_each(?1)), " \
	"used(proxy_id, scope, scope_id) AS (" \
	"SELECT a.proxy_id, a.scope, a.scope_id FROM proxy_assignments a " \
	"WHERE a.proxy_id IN ids UNION " \
	"SELECT pm.proxy_id, a.scope, a.scope_id FROM proxy_pool_members pm " \
	"JOIN proxy_assignments a ON a.scope = pm.scope AND a.scope_id = pm.scope_id " \
	"WHERE pm.proxy_id IN ids) " \
	"SELECT proxy_id, scope, scope_id, n FROM (SELECT proxy_id, scope, scope_id, " \
	"COUNT(*) OVER (PARTITION BY proxy_id) AS n, ROW_NUMBER() OVER " \
	"(PARTITION BY proxy_id ORDER BY scope, scope_id) AS k FROM used) " \
	"WHERE k <= ?2 ORDER BY proxy_id, k"

static struct json_object *
usage_empty(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "assignments", json_object_new_int64(0));
	json_object_object_add(o, "scopes", json_object_new_array());
	return o;
}

struct json_object *
proxy_usage_by_id(struct master *m, struct json_object *ids, int max_scopes)
{
	sqlite3_stmt *st = db_prepare(m->db, USAGE_SQL);
	struct json_object *by_id, *usage, *scope;
	size_t i, n = json_object_array_length(ids);
	int rc;

	if (st == NULL)
		return NULL;
	by_id = json_object_new_object();
	for (i = 0; i < n; i++)
		json_object_object_add(by_id, json_object_get_string(
		    json_object_array_get_idx(ids, i)), usage_empty());
	db_bind_text(st, 1, json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
	sqlite3_bind_int(st, 2, max_scopes);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!json_object_object_get_ex(by_id, db_col_text(st, 0), &usage))
			continue;
		json_object_object_add(usage, "assignments",
		    json_object_new_int64(sqlite3_column_int64(st, 3)));
		scope = json_object_new_object();
		json_object_object_add(scope, "scope", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(scope, "scopeId", strcmp(db_col_text(st, 1),
		    "global") == 0 ? NULL : json_object_new_string(db_col_text(st, 2)));
		json_object_array_add(json_object_object_get(usage, "scopes"), scope);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_object_put(by_id);
		return NULL;
	}
	return by_id;
}

const char *
assignment_stored_scope_id(enum scope scope, const char *scope_id)
{
	return scope == SCOPE_GLOBAL ? GLOBAL_SCOPE_ID : scope_id;
}

int
assignment_upsert(struct master *m, enum scope scope, const char *scope_id,
    const char *proxy_id)
{
	sqlite3_stmt *st = db_prepare(m->db, "INSERT INTO proxy_assignments "
	    "(proxy_id, scope, scope_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
	    "ON CONFLICT(scope, scope_id) DO UPDATE SET proxy_id = excluded.proxy_id, "
	    "updated_at = excluded.updated_at");
	char stamp[ISO_TIME_LEN];

	if (st == NULL)
		return -1;
	iso_time_now(stamp, sizeof(stamp));
	db_bind_text(st, 1, proxy_id);
	db_bind_text(st, 2, scope_name(scope));
	db_bind_text(st, 3, assignment_stored_scope_id(scope, scope_id));
	db_bind_text(st, 4, stamp);
	db_bind_text(st, 5, stamp);
	if (db_exec_stmt(st) != 0)
		return -1;
	/* a plain assignment is a pool of one */
	return pool_reset(m, scope, scope_id, proxy_id);
}

int
assignment_remove(struct master *m, enum scope scope, const char *scope_id)
{
	sqlite3_stmt *st = db_prepare(m->db, "DELETE FROM proxy_assignments WHERE "
	    "scope = ? AND scope_id = ?");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, scope_name(scope));
	db_bind_text(st, 2, assignment_stored_scope_id(scope, scope_id));
	if (db_exec_stmt(st) != 0)
		return -1;
	return pool_drop(m, scope, scope_id);	/* the whole pool goes */
}

/* poolSize counts the static members and the live set (pool_store.h). */
#define ASSIGNMENT_COLUMNS "a.id, a.proxy_id, a.scope, a.scope_id, a.created_at, " \
	"a.updated_at, (SELECT COUNT(*) FROM proxy_pool_members pm WHERE pm.scope = " \
	"a.scope AND pm.scope_id = a.scope_id) + (SELECT COUNT(*) FROM proxy_pools pp " \
	"JOIN proxy_registry r ON pp.source = 'oneproxy' AND " \
	POOL_LIVE_MATCH("pp.filter") " WHERE pp.scope = a.scope AND pp.scope_id = " \
	"a.scope_id AND r.id NOT IN (SELECT proxy_id FROM proxy_pool_members WHERE " \
	"scope = a.scope AND scope_id = a.scope_id))"

static struct json_object *
assignment_row_json(sqlite3_stmt *st)
{
	struct json_object *o = json_object_new_object();
	bool global = strcmp(db_col_text(st, 2), "global") == 0;

	json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(st, 0)));
	json_object_object_add(o, "proxyId", json_object_new_string(db_col_text(st, 1)));
	json_object_object_add(o, "scope", json_object_new_string(db_col_text(st, 2)));
	json_object_object_add(o, "scopeId", global ? NULL :
	    json_object_new_string(db_col_text(st, 3)));
	json_object_object_add(o, "createdAt", json_object_new_string(db_col_text(st, 4)));
	json_object_object_add(o, "updatedAt", json_object_new_string(db_col_text(st, 5)));
	json_object_object_add(o, "poolSize", json_object_new_int64(sqlite3_column_int64(st, 6)));
	return o;
}

struct json_object *
assignment_get_record(struct master *m, enum scope scope, const char *scope_id)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT " ASSIGNMENT_COLUMNS
	    " FROM proxy_assignments a WHERE a.scope = ? AND a.scope_id = ?");
	struct json_object *o = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, scope_name(scope));
	db_bind_text(st, 2, assignment_stored_scope_id(scope, scope_id));
	if (sqlite3_step(st) == SQLITE_ROW)
		o = assignment_row_json(st);
	sqlite3_finalize(st);
	return o;
}

struct json_object *
assignment_list_records(struct master *m, const char *proxy_id, const char *scope,
    const char *scope_id, long long limit, long long offset, long long *total)
{
	/* a proxy is used by the pools it is a member of ("direct" by its head) */
	static const char filter[] = " FROM proxy_assignments a WHERE "
	    "(?1 IS NULL OR a.proxy_id = ?1 OR EXISTS (SELECT 1 FROM "
	    "proxy_pool_members pm WHERE pm.scope = a.scope AND pm.scope_id = "
	    "a.scope_id AND pm.proxy_id = ?1)) AND (?2 IS NULL OR a.scope = ?2) AND "
	    "(?3 IS NULL OR (a.scope_id = ?3 AND a.scope <> 'global'))";
	char sql[2048];
	sqlite3_stmt *st;
	struct json_object *items = json_object_new_array();
	int pass;

	*total = 0;
	for (pass = 0; pass < 2; pass++) {
		snprintf(sql, sizeof(sql), "SELECT %s%s%s", pass == 0 ? "COUNT(*)" :
		    ASSIGNMENT_COLUMNS, filter, pass == 0 ? "" :
		    " ORDER BY a.scope, a.scope_id LIMIT ?4 OFFSET ?5");
		if ((st = db_prepare(m->db, sql)) == NULL)
			return items;
		db_bind_text(st, 1, proxy_id);
		db_bind_text(st, 2, scope);
		db_bind_text(st, 3, scope_id);
		if (pass == 1) {
			sqlite3_bind_int64(st, 4, limit);
			sqlite3_bind_int64(st, 5, offset);
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (pass == 0)
				*total = sqlite3_column_int64(st, 0);
			else
				json_object_array_add(items, assignment_row_json(st));
		}
		sqlite3_finalize(st);
	}
	return items;
}

long long
assignment_count_for_proxy(struct master *m, const char *proxy_id)
{
	return db_count(m->db, "SELECT COUNT(*) FROM proxy_assignments a WHERE "
	    "a.proxy_id = ?1 OR EXISTS (SELECT 1 FROM proxy_pool_members pm WHERE "
	    "pm.scope = a.scope AND pm.scope_id = a.scope_id AND pm.proxy_id = ?1)",
	    proxy_id);
}

int
assignment_remove_for_proxy(struct master *m, const char *proxy_id)
{
	/* its memberships go; a pool left empty loses its assignment */
	return pool_forget_proxies(m, proxy_id);
}

struct json_object *
assignment_proxy_records(struct master *m)
{
	sqlite3_stmt *st = db_prepare(m->db, "SELECT a.scope, a.scope_id, p.type, "
	    "p.host, p.port, p.username, p.password FROM proxy_assignments a JOIN "
	    "proxy_registry p ON p.id = a.proxy_id ORDER BY a.scope, a.scope_id");
	struct json_object *items = json_object_new_array();

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		struct json_object *proxy = json_object_new_object();

		json_object_object_add(proxy, "type", json_object_new_string(db_col_text(st, 2)));
		json_object_object_add(proxy, "host", json_object_new_string(db_col_text(st, 3)));
		json_object_object_add(proxy, "port",
		    json_object_new_int(sqlite3_column_int(st, 4)));
		json_object_object_add(proxy, "username",
		    json_object_new_string(*db_col_text(st, 5) ? "***" : ""));
		json_object_object_add(proxy, "password",
		    json_object_new_string(*db_col_text(st, 6) ? "***" : ""));
		json_object_object_add(o, "scope", json_object_new_string(db_col_text(st, 0)));
		json_object_object_add(o, "scopeId", json_object_new_string(db_col_text(st, 1)));
		json_object_object_add(o, "proxy", proxy);
		json_object_array_add(items, o);
	}
	sqlite3_finalize(st);
	return items;
}
