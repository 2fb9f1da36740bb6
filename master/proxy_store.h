/*
 * master/proxy_store.h — all SQL on proxy_registry and proxy_assignments, and
 * the API shapes of their rows. Command handlers (proxy, assign, settings,
 * backup, legacy) call these; none of them writes registry SQL itself. The
 * writes run inside the calling command's transaction.
 */
#ifndef OMNI_PROXY_STORE_H
#define OMNI_PROXY_STORE_H

#include <stdbool.h>
#include <sqlite3.h>
#include <json-c/json.h>

#include "argspec.h"
#include "master.h"
#include "registry.h"
#include "store.h"
#include "util.h"

/*
 * The columns proxy_row_json reads, in its order (last_validated is 15);
 * new columns go at the end, so the indexes others read stay.
 */
#define PROXY_COLUMNS "id, name, type, host, port, username, password, region, " \
	"notes, status, source, quality_score, latency_ms, anonymity, google_access, " \
	"last_validated, country_code, created_at, updated_at, egress_ip, " \
	"egress_checked_at"

/* The API record of a row selected with PROXY_COLUMNS (credentials "***"
 * unless with_secrets). */
struct json_object *proxy_row_json(struct master *m, sqlite3_stmt *st, bool with_secrets);

/* The fields a proxy is created from (proxy.add, bulk import, backup items). */
extern const struct arg_spec proxy_create_fields[];

/*
 * The rules of a dialable proxy (common/proxy_fields.c), applied to the
 * record as it will be stored: `fields` (normalised by a field table) over
 * the stored row of existing_id, or alone for a new proxy (existing_id
 * NULL). Also refuses SOCKS5 when it is disabled, and first turns a
 * bracketed IPv6 host into the bare form the registry stores. Appends to
 * details (field names after prefix, "" or "items[3]."); returns the number
 * of problems found. Every entry point that writes a proxy calls it.
 */
int	proxy_check_fields(struct master *m, struct json_object *fields,
	    const char *existing_id, const char *prefix, struct json_object *details);
/* The same without the SOCKS5 switch (the legacy migration keeps such rows). */
int	proxy_check_dialable(struct master *m, struct json_object *fields,
	    const char *existing_id, const char *prefix, struct json_object *details);
/* "[::1]" → "::1" in fields' host (the stored form); other hosts unchanged. */
void	proxy_host_normalise(struct json_object *fields);

/* Insert; id NULL → a new UUID. Writes the id into out_id. -1 on SQL error. */
int	proxy_insert(struct master *m, struct json_object *fields, const char *id,
	    char out_id[UUID_STR_LEN]);
/*
 * Update the fields present in `fields` (omitted keep their value; empty
 * username/password keep the stored credential). 1 updated, 0 no such id,
 * -1 SQL error.
 */
int	proxy_update_fields(struct master *m, const char *id, struct json_object *fields);
bool	proxy_exists(struct master *m, const char *id);
/*
 * Store the egress IP a check found (egressIp, egressCheckedAt = checked_at);
 * the record's updatedAt stays, as nothing of its configuration changed.
 * 1 stored, 0 no such id, -1 SQL error.
 */
int	proxy_store_egress(struct master *m, const char *id, const char *egress_ip,
	    const char *checked_at);
/*
 * Delete a proxy: STORE_IN_USE while assignments use it, unless force, which
 * removes them first (STORE_DEPENDENTS_FAILED when that fails);
 * STORE_NOT_FOUND, STORE_FAILED, STORE_OK.
 */
enum store_rc proxy_remove(struct master *m, const char *id, bool force);
/* Find the first row with this host and port; 1 found (id written), 0 not. */
int	proxy_find_by_host_port(struct master *m, const char *host, long long port,
	    char out_id[UUID_STR_LEN]);
/* Find a row by type, host, port and (decrypted) username. */
int	proxy_find_by_identity(struct master *m, const char *type, const char *host,
	    long long port, const char *username, char out_id[UUID_STR_LEN]);

/*
 * Proxy names are unique, case-insensitive (ASCII), for new names: a name
 * is refused when another proxy holds it. A row keeping its own name (an
 * update, a restore onto its source) is not a conflict, so databases that
 * already hold duplicates keep working. self_id is the row being changed, or
 * NULL for a new one. 1 taken (another holder's id in other_id), 0 free,
 * -1 SQL error.
 */
int	proxy_name_taken(struct master *m, const char *name, const char *self_id,
	    char other_id[UUID_STR_LEN]);
/* The 409 message for a taken name, into buf. */
void	proxy_name_taken_message(struct master *m, char *buf, size_t len,
	    const char *name, const char *other_id);
/*
 * "Proxy Name", "Proxy Name 2", …: the first that no proxy holds, for the
 * names the master makes up itself (scoped settings, legacy migration).
 */
int	proxy_name_unused(struct master *m, const char *base, char *out, size_t len);

/*
 * A word that names a proxy: an id or a name. Ids are read first when the
 * word looks like one (a UUID); a name matches case-insensitively; a name
 * that several proxies share is ambiguous (use the id). The decision is
 * pure, so it is unit-tested; proxy_ref_resolve() asks the database.
 */
enum proxy_ref {
	PROXY_REF_ID,		/* the word is an existing id */
	PROXY_REF_NAME,		/* the word is the name of exactly one proxy */
	PROXY_REF_AMBIGUOUS,	/* the name of several proxies */
	PROXY_REF_UNKNOWN,	/* neither: left as it is (the command's 404) */
};
bool	proxy_ref_looks_like_id(const char *word);
enum proxy_ref proxy_ref_decide(bool looks_like_id, bool id_exists,
	    long long name_matches);
/* out_id gets the id for PROXY_REF_ID / PROXY_REF_NAME; *matches the count. */
enum proxy_ref proxy_ref_resolve(struct master *m, const char *word,
	    char out_id[UUID_STR_LEN], long long *matches);

/* The API record; secrets redacted unless with_secrets. NULL when absent. */
struct json_object *proxy_get_record(struct master *m, const char *id, bool with_secrets);
/*
 * Which rows a list shows (NULL members match everything): search is an
 * ASCII case-insensitive substring of name, host, region or notes; type and
 * status are matched exactly.
 */
struct proxy_filter {
	const char	*search;
	const char	*type;
	const char	*status;
};
/* Rows for a list, newest updatedAt first; *total counts the matching rows.
 * filter NULL: every row. */
struct json_object *proxy_list_records(struct master *m,
	    const struct proxy_filter *filter, long long limit, long long offset,
	    bool with_secrets, long long *total);
/*
 * Where the proxies whose ids are in the JSON array ids are used (as
 * assignment_count_for_proxy counts: a pool's head or member), in one query:
 * {proxyId: {"assignments": N, "scopes": [{"scope","scopeId"}…≤max_scopes]}}
 * with scopes ordered by scope and scope id (global's scopeId null); ids
 * used nowhere get {"assignments":0,"scopes":[]}. NULL on an SQL error.
 */
struct json_object *proxy_usage_by_id(struct master *m, struct json_object *ids,
	    int max_scopes);

/* Assignments. scope_id NULL for global. proxy_id a proxy id or "direct". */
int	assignment_upsert(struct master *m, enum scope scope, const char *scope_id,
	    const char *proxy_id);
int	assignment_remove(struct master *m, enum scope scope, const char *scope_id);
struct json_object *assignment_get_record(struct master *m, enum scope scope,
	    const char *scope_id);
/* Filtered list (any filter may be NULL). */
struct json_object *assignment_list_records(struct master *m, const char *proxy_id,
	    const char *scope, const char *scope_id, long long limit, long long offset,
	    long long *total);
long long assignment_count_for_proxy(struct master *m, const char *proxy_id);
int	assignment_remove_for_proxy(struct master *m, const char *proxy_id);
/*
 * Every assignment with the proxy it names, for the scoped settings view:
 * [{"scope","scopeId","proxy":{"type","host","port","username","password"}}]
 * ordered by scope and scope id, credentials "***" when set ("" when not);
 * "direct" and dangling assignments are left out.
 */
struct json_object *assignment_proxy_records(struct master *m);

/* Stored scope id for a scope: GLOBAL_SCOPE_ID for global. */
const char *assignment_stored_scope_id(enum scope scope, const char *scope_id);

#endif
