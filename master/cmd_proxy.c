/*
 * master/cmd_proxy.c — the proxy registry commands: list, get, where-used,
 * add, update, delete (409 while assigned unless force), bulk import (upsert
 * by host+port), the health figures from proxy_logs (per proxy over a
 * window, or one proxy's outcomes over time by stage), and the two checks run
 * through a proxy by a worker: the probe (proxy.test) and the egress IP
 * check (proxy.egress), whose answer the master stores.
 *
 * Proxy names are unique, case-insensitive: add, a rename and an import row
 * taking another proxy's name get 409. Where a command takes a proxy ("id"),
 * a name does too: the dispatcher turns it into the id (ARG_PROXY_REF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "egress_ip.h"
#include "health_series.h"
#include "http_util.h"
#include "log.h"
#include "log_store.h"
#include "proxy_store.h"

static const struct arg_spec id_only_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX | ARG_PROXY_REF, 1, 128, NULL },
	ARGSPEC_END
};

/* What proxy.list can add to each row of the page (?include=health,usage). */
static const char *const list_extras[] = { "health", "usage", NULL };
enum { LIST_HEALTH = 1u << 0, LIST_USAGE = 1u << 1 };
/* The scopes a row's usage names (its count says how many there are). */
#define LIST_USAGE_SCOPES	5

static const struct arg_spec list_args[] = {
	{ "limit", ARG_INT, 0, 0, 0, NULL },
	{ "offset", ARG_INT, 0, 0, 0, NULL },
	{ "paginate", ARG_BOOL, 0, 0, 0, NULL },
	{ "q", ARG_STRING, ARG_TRIM | ARG_HAS_MAX, 0, 200, NULL },
	{ "type", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, (const char *const[]){ "http", "https", "socks5", "socks4", NULL } },
	{ "status", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, (const char *const[]){ "active", "inactive", NULL } },
	{ "include", ARG_STRING, ARG_TRIM | ARG_LOWER | ARG_WORD_LIST, 0, 0, list_extras },
	ARGSPEC_END
};

static long long
clamp(long long v, long long lo, long long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * A name another proxy already holds: false with a 409 in r (self_id is the
 * proxy being changed, NULL for a new one).
 */
static bool
name_is_free(struct master *m, const char *name, const char *self_id,
    struct reply *r)
{
	char other[UUID_STR_LEN], message[512];
	int taken;

	if (name == NULL)
		return true;
	if ((taken = proxy_name_taken(m, name, self_id, other)) < 0) {
		reply_error(r, 500, "could not read the proxy names");
		return false;
	}
	if (taken == 0)
		return true;
	proxy_name_taken_message(m, message, sizeof(message), name, other);
	reply_error(r, 409, "%s", message);
	return false;
}

/*
 * The extras asked for, added to each item of the page: "health" (the
 * proxy.health figures of the default window) and "usage" (how many
 * assignments use it, naming the first few) — one query each for the whole
 * page, never one per row. false when they cannot be read.
 */
static bool
list_add_extras(struct master *m, struct json_object *items, unsigned extras)
{
	struct json_object *ids = json_object_new_array(), *health = NULL, *usage = NULL;
	char since[ISO_TIME_LEN];
	size_t i, n = json_object_array_length(items);
	bool ok = true;

	for (i = 0; i < n; i++)
		json_object_array_add(ids, json_object_get(json_object_object_get(
		    json_object_array_get_idx(items, i), "id")));
	iso_time_ago(since, sizeof(since), PROXY_HEALTH_HOURS_DEFAULT * 3600L);
	if ((extras & LIST_HEALTH) && (health = proxy_health_by_id(m, since, ids)) == NULL)
		ok = false;
	if ((extras & LIST_USAGE) && (usage = proxy_usage_by_id(m, ids,
	    LIST_USAGE_SCOPES)) == NULL)
		ok = false;
	for (i = 0; ok && i < n; i++) {
		struct json_object *p = json_object_array_get_idx(items, i), *v;
		const char *id = json_object_get_string(json_object_object_get(p, "id"));

		if (health != NULL)
			json_object_object_add(p, "health", json_object_object_get_ex(
			    health, id, &v) ? json_object_get(v) : NULL);
		if (usage != NULL)
			json_object_object_add(p, "usage", json_object_object_get_ex(
			    usage, id, &v) ? json_object_get(v) : NULL);
	}
	json_object_put(health);
	json_object_put(usage);
	json_object_put(ids);
	return ok;
}

static void
proxy_list(struct master *m, struct json_object *args, struct reply *r)
{
	bool paginate = arg_bool(args, "paginate", true);
	long long limit = paginate ? clamp(arg_int(args, "limit", 50), 1, 200) : -1;
	long long offset = paginate ? clamp(arg_int(args, "offset", 0), 0, 1LL << 40) : 0;
	unsigned extras = arg_word_set(args, "include", list_extras);
	struct proxy_filter filter = {
		.search = arg_string(args, "q", NULL),
		.type = arg_string(args, "type", NULL),
		.status = arg_string(args, "status", NULL),
	};
	long long total;
	struct json_object *items = proxy_list_records(m, &filter, limit, offset,
	    false, &total);

	if (extras != 0 && !list_add_extras(m, items, extras)) {
		json_object_put(items);
		reply_error(r, 500, "could not read the proxies' health or usage");
		return;
	}
	reply_set(r, 200, list_reply(items, paginate, limit, offset, total));
}

const struct command cmd_proxy_list = {
	.name = "proxy.list",
	.help = "list proxies, newest first; {\"limit\":1..200,\"offset\":N,"
	    "\"q\":text in name/host/region/notes,\"type\",\"status\","
	    "\"include\":\"health,usage\"}",
	.args = list_args,
	.run = proxy_list,
};

static void
proxy_get(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *rec = proxy_get_record(m, arg_string(args, "id", ""), false);

	if (rec == NULL)
		reply_error(r, 404, "Proxy not found");
	else
		reply_set(r, 200, rec);
}

const struct command cmd_proxy_get = {
	.name = "proxy.get",
	.help = "one proxy; {\"id\":ID or name}",
	.args = id_only_args,
	.run = proxy_get,
};

static void
proxy_where_used(struct master *m, struct json_object *args, struct reply *r)
{
	long long total;
	struct json_object *root = json_object_new_object();
	struct json_object *items = assignment_list_records(m,
	    arg_string(args, "id", ""), NULL, NULL, -1, 0, &total);

	json_object_object_add(root, "count", json_object_new_int64(total));
	json_object_object_add(root, "assignments", items);
	reply_set(r, 200, root);
}

const struct command cmd_proxy_where_used = {
	.name = "proxy.where_used",
	.help = "the assignments that use a proxy; {\"id\":ID or name}",
	.args = id_only_args,
	.run = proxy_where_used,
};

static void
proxy_add(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *details = json_object_new_array();
	char id[UUID_STR_LEN];

	if (proxy_check_fields(m, args, NULL, "", details) > 0) {
		reply_invalid(r, details);
		return;
	}
	json_object_put(details);
	if (!name_is_free(m, arg_string(args, "name", NULL), NULL, r))
		return;
	if (proxy_insert(m, args, NULL, id) != 0) {
		reply_error(r, 500, "could not store the proxy");
		return;
	}
	reply_set(r, 201, proxy_get_record(m, id, false));
}

const struct command cmd_proxy_add = {
	.name = "proxy.add",
	.help = "create a proxy (names are unique, case-insensitive); {\"name\",\"type\":http|https|socks5,\"host\",\"port\",\"username\",\"password\",\"region\",\"notes\",\"status\"}",
	.args = proxy_create_fields,
	.mutates = true,
	.run = proxy_add,
};

static const struct arg_spec update_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX | ARG_PROXY_REF, 1, 128, NULL },
	{ "name", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	{ "type", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, (const char *const[]){ "http", "https", "socks5", NULL } },
	{ "host", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 255, NULL },
	{ "port", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, 65535, NULL },
	{ "username", ARG_STRING, ARG_HAS_MAX, 0, 255, NULL },
	{ "password", ARG_STRING, ARG_HAS_MAX, 0, 255, NULL },
	{ "region", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX, 0, 64, NULL },
	{ "notes", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX | ARG_TEXT, 0, 1000, NULL },
	{ "status", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, (const char *const[]){ "active", "inactive", NULL } },
	ARGSPEC_END
};

static void
proxy_update(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *details = json_object_new_array();
	const char *id = arg_string(args, "id", "");
	int rc;

	if (!proxy_exists(m, id)) {
		json_object_put(details);
		reply_error(r, 404, "Proxy not found");
		return;
	}
	/* the record as it will be: a change may break a rule with a kept field */
	if (proxy_check_fields(m, args, id, "", details) > 0) {
		reply_invalid(r, details);
		return;
	}
	json_object_put(details);
	if (!name_is_free(m, arg_string(args, "name", NULL), id, r))
		return;
	rc = proxy_update_fields(m, id, args);
	if (rc == 0)
		reply_error(r, 404, "Proxy not found");
	else if (rc < 0)
		reply_error(r, 500, "could not update the proxy");
	else
		reply_set(r, 200, proxy_get_record(m, id, false));
}

const struct command cmd_proxy_update = {
	.name = "proxy.update",
	.help = "change a proxy; {\"id\" (or name),…fields of proxy.add} (omitted fields and empty credentials keep their value)",
	.args = update_args,
	.mutates = true,
	.run = proxy_update,
};

static const struct arg_spec delete_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX | ARG_PROXY_REF, 1, 128, NULL },
	{ "force", ARG_BOOL, 0, 0, 0, NULL },
	ARGSPEC_END
};

static const struct deletion proxy_deletion = {
	.not_found = "Proxy not found",
	.in_use = "Proxy is still assigned. Remove assignments first or use force=true",
	.what = "the proxy",
	.dependents = "the proxy's assignments",
};

static void
proxy_delete(struct master *m, struct json_object *args, struct reply *r)
{
	reply_deletion(r, proxy_remove(m, arg_string(args, "id", ""),
	    arg_bool(args, "force", false)), &proxy_deletion);
}

const struct command cmd_proxy_delete = {
	.name = "proxy.delete",
	.help = "delete a proxy; {\"id\" (or name),\"force\":bool} (force also removes its assignments)",
	.args = delete_args,
	.mutates = true,
	.run = proxy_delete,
};

static const struct arg_spec import_args[] = {
	{ "items", ARG_ARRAY, ARG_REQUIRED | ARG_HAS_MIN | ARG_HAS_MAX, 1, 1000, NULL },
	ARGSPEC_END
};

/* One bulk-import item: validate, then update the host+port twin or create. */
static struct json_object *
import_one(struct master *m, struct json_object *item, size_t index,
    int *created, int *updated, int *failed)
{
	struct json_object *result = json_object_new_object(), *fields = NULL;
	struct json_object *details = NULL, *name;
	char id[UUID_STR_LEN], other[UUID_STR_LEN], prefix[32];
	int found, taken;

	if (json_object_object_get_ex(item, "name", &name) &&
	    json_object_is_type(name, json_type_string))
		json_object_object_add(result, "name", json_object_get(name));
	if (args_validate(proxy_create_fields, item, &fields, &details) != 0) {
		struct json_object *first = json_object_array_get_idx(details, 0);
		struct json_object *msg = NULL, *field = NULL;
		char named[96];
		json_object_object_get_ex(first, "message", &msg);
		json_object_object_get_ex(first, "field", &field);
		snprintf(named, sizeof(named), "items[%zu].%s", index,
		    json_object_get_string(field));
		json_object_object_add(result, "success", json_object_new_boolean(0));
		json_object_object_add(result, "error", json_object_get(msg));
		json_object_object_add(result, "field", json_object_new_string(named));
		json_object_put(details);
		(*failed)++;
		return result;
	}
	details = json_object_new_array();
	snprintf(prefix, sizeof(prefix), "items[%zu].", index);
	proxy_host_normalise(fields);
	found = proxy_find_by_host_port(m, arg_string(fields, "host", ""),
	    arg_int(fields, "port", 0), id);
	if (found >= 0 && proxy_check_fields(m, fields, found == 1 ? id : NULL,
	    prefix, details) > 0) {
		struct json_object *msg = NULL, *field = NULL;
		json_object_object_get_ex(json_object_array_get_idx(details, 0),
		    "message", &msg);
		json_object_object_get_ex(json_object_array_get_idx(details, 0),
		    "field", &field);
		json_object_object_add(result, "success", json_object_new_boolean(0));
		json_object_object_add(result, "error", json_object_get(msg));
		json_object_object_add(result, "field", json_object_get(field));
		(*failed)++;
		goto out;
	}
	if (found >= 0 && (taken = proxy_name_taken(m, arg_string(fields, "name", ""),
	    found == 1 ? id : NULL, other)) != 0) {
		char message[512] = "could not read the proxy names";

		if (taken > 0)
			proxy_name_taken_message(m, message, sizeof(message),
			    arg_string(fields, "name", ""), other);
		json_object_object_add(result, "success", json_object_new_boolean(0));
		json_object_object_add(result, "status", json_object_new_int(
		    taken > 0 ? 409 : 500));
		json_object_object_add(result, "error", json_object_new_string(message));
		(*failed)++;
		goto out;
	}
	if (found < 0 || (found == 1 && proxy_update_fields(m, id, fields) != 1) ||
	    (found == 0 && proxy_insert(m, fields, NULL, id) != 0)) {
		json_object_object_add(result, "success", json_object_new_boolean(0));
		json_object_object_add(result, "error",
		    json_object_new_string("could not store the proxy"));
		(*failed)++;
		goto out;
	}
	json_object_object_add(result, "success", json_object_new_boolean(1));
	json_object_object_add(result, "action",
	    json_object_new_string(found ? "updated" : "created"));
	json_object_object_add(result, "id", json_object_new_string(id));
	if (found)
		(*updated)++;
	else
		(*created)++;
out:
	json_object_put(details);
	json_object_put(fields);
	return result;
}

static void
proxy_import(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *items, *results = json_object_new_array(), *root;
	int created = 0, updated = 0, failed = 0;
	size_t i, n;

	json_object_object_get_ex(args, "items", &items);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++)
		json_object_array_add(results, import_one(m,
		    json_object_array_get_idx(items, i), i, &created, &updated, &failed));
	root = json_object_new_object();
	json_object_object_add(root, "created", json_object_new_int(created));
	json_object_object_add(root, "updated", json_object_new_int(updated));
	json_object_object_add(root, "failed", json_object_new_int(failed));
	json_object_object_add(root, "results", results);
	reply_set(r, 200, root);
}

const struct command cmd_proxy_import = {
	.name = "proxy.import",
	.help = "bulk import; {\"items\":[proxy…≤1000]} upserted by host+port",
	.args = import_args,
	.mutates = true,
	.run = proxy_import,
};

static const struct arg_spec test_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX | ARG_PROXY_REF, 1, 128, NULL },
	{ "url", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 2048, NULL },
	{ "timeoutMs", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 100, 120000, NULL },
	ARGSPEC_END
};

/*
 * The job.probe arguments for a GET of url through proxy id — the proxy
 * itself, inactive or not: that is how one finds out whether to activate
 * it. NULL with the refusal in r: 404, or 400 for SOCKS5 while disabled.
 */
static struct json_object *
probe_job(struct master *m, struct json_object *args, const char *url, struct reply *r)
{
	struct json_object *rec = proxy_get_record(m, arg_string(args, "id", ""), true);
	struct json_object *job, *proxy, *v;
	static const char *const copied[] = {
		"id", "type", "host", "port", "username", "password", NULL };
	size_t i;

	if (rec == NULL) {
		reply_error(r, 404, "Proxy not found");
		return NULL;
	}
	json_object_object_get_ex(rec, "type", &v);
	if (strcmp(json_object_get_string(v), "socks5") == 0 &&
	    !m->cfg.enable_socks5_proxy) {
		json_object_put(rec);
		reply_error(r, 400, "SOCKS5 proxy is disabled (set ENABLE_SOCKS5_PROXY=true to enable)");
		return NULL;
	}
	proxy = json_object_new_object();
	for (i = 0; copied[i] != NULL; i++)
		if (json_object_object_get_ex(rec, copied[i], &v))
			json_object_object_add(proxy, copied[i], json_object_get(v));
	json_object_put(rec);
	job = json_object_new_object();
	json_object_object_add(job, "proxy", proxy);
	json_object_object_add(job, "url", json_object_new_string(url));
	json_object_object_add(job, "timeoutMs", json_object_new_int64(
	    arg_int(args, "timeoutMs", 15000)));
	return job;
}

/* A probe goes through the proxy itself, run by a worker as job.probe. */
static void
proxy_test(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *job = probe_job(m, args,
	    arg_string(args, "url", m->cfg.probe_url), r);

	if (job != NULL)
		reply_job(r, "job.probe", job);
}

const struct command cmd_proxy_test = {
	.name = "proxy.test",
	.help = "probe a proxy: TCP, handshake, TLS and the HTTP status of a GET to "
	    "url (default probe_url) through it; {\"id\",\"url\",\"timeoutMs\"}",
	.args = test_args,
	.run = proxy_test,
};

/*
 * The egress check: a probe of egress_check_url (or url) through the proxy
 * whose answer — the address the echo service saw — the master stores as
 * the proxy's egressIp before it replies (proxy_egress_start, then
 * egress_answer). Nothing else depends on it, so no snapshot is pushed.
 */
static void
proxy_egress(struct master *m, struct json_object *args, struct reply *r)
{
	const char *url = arg_string(args, "url", m->cfg.egress_check_url), *bad;
	struct http_url parsed;
	struct json_object *job;

	if (http_url_parse(url, &parsed, &bad) != 0) {
		reply_error(r, 400, "url: %s", bad);
		return;
	}
	if ((job = probe_job(m, args, url, r)) != NULL)
		reply_job(r, "proxy.egress", job);
}

const struct command cmd_proxy_egress = {
	.name = "proxy.egress",
	.help = "find a proxy's egress IP: GET url (default egress_check_url, "
	    "answering JSON {\"ip\"} or the address as text) through it and "
	    "store egressIp/egressCheckedAt; {\"id\",\"url\",\"timeoutMs\"}",
	.args = test_args,
	.run = proxy_egress,
};

/* The failed check's reply: nothing is stored, the previous value stays. */
static struct json_object *
egress_failure(const char *id, const char *error, const char *stage,
    struct json_object *probe)
{
	struct json_object *o = json_object_new_object(), *v;

	json_object_object_add(o, "success", json_object_new_boolean(0));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "stage", json_object_new_string(stage));
	json_object_object_add(o, "latencyMs", json_object_object_get_ex(probe,
	    "latencyMs", &v) ? json_object_get(v) : NULL);
	json_object_object_add(o, "proxyUrl", json_object_object_get_ex(probe,
	    "proxyUrl", &v) ? json_object_get(v) : NULL);
	return o;
}

/*
 * The probe's answer: a 2xx naming an address is stored on the proxy (the
 * worker's word is read again: it must be an IP literal); anything else is
 * a failure with the stage where it broke. A worker that could not run the
 * probe (no worker, one that died) is answered as it said.
 */
static struct json_object *
egress_answer(struct master *m, const char *id, int *status, struct json_object *body)
{
	struct json_object *o, *v;
	const char *stage = "response", *public_ip;
	char error[300], ip[EGRESS_IP_MAX], checked_at[ISO_TIME_LEN];
	int http_status, rc;

	if (*status != 200 || !json_object_is_type(body, json_type_object))
		return body;
	if (!json_object_object_get_ex(body, "success", &v) || !json_object_get_boolean(v)) {
		if (json_object_object_get_ex(body, "stage", &v) && v != NULL)
			stage = json_object_get_string(v);
		o = egress_failure(id, json_object_object_get_ex(body, "error", &v) &&
		    v != NULL ? json_object_get_string(v) : "the check failed", stage, body);
		json_object_put(body);
		return o;
	}
	http_status = json_object_object_get_ex(body, "status", &v) ? json_object_get_int(v) : 0;
	public_ip = json_object_object_get_ex(body, "publicIp", &v) && v != NULL ?
	    json_object_get_string(v) : "";
	if (http_status < 200 || http_status > 299)
		snprintf(error, sizeof(error), "the egress check URL answered HTTP %d, "
		    "not an address", http_status);
	else if (!egress_ip_from_body(public_ip, strlen(public_ip), ip))
		snprintf(error, sizeof(error), "the egress check URL's answer is not an IP "
		    "address (it must answer JSON {\"ip\":\"ADDRESS\"} or the address "
		    "alone as text)");
	else
		error[0] = '\0';
	if (error[0] != '\0') {
		o = egress_failure(id, error, stage, body);
		json_object_put(body);
		return o;
	}
	iso_time_now(checked_at, sizeof(checked_at));
	if ((rc = proxy_store_egress(m, id, ip, checked_at)) <= 0) {
		json_object_put(body);
		*status = rc == 0 ? 404 : 500;
		return error_envelope(*status, rc == 0 ? "Proxy not found" :
		    "could not store the egress IP", NULL);
	}
	log_info("proxy %s: egress IP %s", id, ip);
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "egressIp", json_object_new_string(ip));
	json_object_object_add(o, "egressCheckedAt", json_object_new_string(checked_at));
	json_object_object_add(o, "latencyMs", json_object_object_get_ex(body,
	    "latencyMs", &v) ? json_object_get(v) : NULL);
	json_object_object_add(o, "proxyUrl", json_object_object_get_ex(body,
	    "proxyUrl", &v) ? json_object_get(v) : NULL);
	json_object_put(body);
	return o;
}

void
proxy_egress_start(struct master *m, struct json_object *args,
    struct control_client *client, struct worker_proc *origin, bool has_tag,
    uint64_t tag)
{
	struct json_object *proxy = NULL, *id = NULL;

	json_object_object_get_ex(args, "proxy", &proxy);
	json_object_object_get_ex(proxy, "id", &id);
	master_start_answered_job(m, "job.probe", args, client, origin, has_tag, tag,
	    egress_answer, json_object_get_string(id));
}

static const struct arg_spec health_args[] = {
	{ "hours", ARG_INT, 0, 0, 0, NULL },
	ARGSPEC_END
};

static void
proxy_health(struct master *m, struct json_object *args, struct reply *r)
{
	long long hours = clamp(arg_int(args, "hours", PROXY_HEALTH_HOURS_DEFAULT), 1, 720);
	char since[ISO_TIME_LEN];
	struct json_object *items, *root;

	iso_time_ago(since, sizeof(since), (long)(hours * 3600));
	if ((items = proxy_health_records(m, since)) == NULL) {
		reply_error(r, 500, "could not read proxy health");
		return;
	}
	root = json_object_new_object();
	json_object_object_add(root, "total",
	    json_object_new_int64((int64_t)json_object_array_length(items)));
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "windowHours", json_object_new_int64(hours));
	reply_set(r, 200, root);
}

const struct command cmd_proxy_health = {
	.name = "proxy.health",
	.help = "per-proxy outcome counts from proxy_logs; {\"hours\":1..720}",
	.args = health_args,
	.run = proxy_health,
};

/*
 * HTTP sends "buckets" without "proxyId" here too (api_routes.c), so it is
 * refused naming the missing field rather than silently ignored.
 */
static const struct arg_spec health_series_args[] = {
	{ "proxyId", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX | ARG_PROXY_REF, 1, 128, NULL },
	{ "hours", ARG_INT, 0, 0, 0, NULL },
	{ "buckets", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, HEALTH_BUCKETS_MAX, NULL },
	ARGSPEC_END
};

static void
proxy_health_series_run(struct master *m, struct json_object *args, struct reply *r)
{
	const char *id = arg_string(args, "proxyId", "");
	long long hours = clamp(arg_int(args, "hours", PROXY_HEALTH_HOURS_DEFAULT), 1,
	    HEALTH_HOURS_MAX);
	long long buckets = arg_int(args, "buckets", HEALTH_BUCKETS_DEFAULT);
	int64_t first_start, bucket_seconds;
	struct json_object *rec, *series, *root, *name = NULL;

	if ((rec = proxy_get_record(m, id, false)) == NULL) {
		reply_error(r, 404, "Proxy not found");
		return;
	}
	health_series_window((int64_t)time(NULL), hours, buckets, &first_start,
	    &bucket_seconds);
	if ((series = proxy_health_series(m, id, first_start, bucket_seconds,
	    buckets)) == NULL) {
		json_object_put(rec);
		reply_error(r, 500, "could not read proxy health");
		return;
	}
	json_object_object_get_ex(rec, "name", &name);
	root = json_object_new_object();
	json_object_object_add(root, "proxyId", json_object_new_string(id));
	json_object_object_add(root, "name", json_object_get(name));
	json_object_object_add(root, "windowHours", json_object_new_int64(hours));
	json_object_object_add(root, "bucketSeconds", json_object_new_int64(bucket_seconds));
	json_object_object_add(root, "series", series);
	json_object_put(rec);
	reply_set(r, 200, root);
}

const struct command cmd_proxy_health_series = {
	.name = "proxy.health_series",
	.help = "one proxy's outcomes over time by stage of failure; "
	    "{\"proxyId\":ID or name,\"hours\":1..720,\"buckets\":1..288}",
	.args = health_series_args,
	.run = proxy_health_series_run,
};
