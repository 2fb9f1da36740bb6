/*
 * master/cmd_oneproxy.c — the 1proxy free-proxy feed's commands (API.md
 * "1proxy"): list, stats, sync status, rotation, breaker reset and removal
 * of the rows a sync imported, and the sync. They validate, call
 * master/oneproxy_store.c, and reply; a sync runs as a chain of worker jobs
 * (the master does no network I/O), see master/oneproxy_sync.c.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "oneproxy_store.h"

#define ONEPROXY_LIST_MAX	1000

static const char *const feed_protocols[] = { "http", "https", "socks4", "socks5", NULL };
/* In the order of enum oneproxy_strategy. */
static const char *const rotation_strategies[] = { "quality", "random", "sequential", NULL };

static const struct arg_spec list_args[] = {
	{ "protocol", ARG_STRING, ARG_TRIM | ARG_LOWER | ARG_NULLABLE, 0, 0, feed_protocols },
	{ "countryCode", ARG_STRING, ARG_TRIM | ARG_NULLABLE | ARG_HAS_MAX, 0, 2, NULL },
	{ "minQuality", ARG_INT, ARG_NULLABLE | ARG_HAS_MIN | ARG_HAS_MAX, 0, 100, NULL },
	{ "limit", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 1, ONEPROXY_LIST_MAX, NULL },
	{ "offset", ARG_INT, ARG_HAS_MIN | ARG_HAS_MAX, 0, 1000000000, NULL },
	ARGSPEC_END
};

static void
oneproxy_list_run(struct master *m, struct json_object *args, struct reply *r)
{
	const char *country = arg_string(args, "countryCode", NULL);
	char upper[3] = "";
	struct oneproxy_filter f;
	struct json_object *items, *o;
	long long total;
	size_t i;

	for (i = 0; country != NULL && country[i] != '\0' && i < 2; i++) {
		if (!((country[i] >= 'A' && country[i] <= 'Z') ||
		    (country[i] >= 'a' && country[i] <= 'z'))) {
			reply_invalid_field(r, "countryCode", "must be letters (a country code)");
			return;
		}
		upper[i] = (char)(country[i] & ~0x20);
	}
	upper[i] = '\0';
	memset(&f, 0, sizeof(f));
	f.protocol = arg_string(args, "protocol", NULL);
	f.country_code = upper[0] != '\0' ? upper : NULL;
	f.min_quality = arg_is_null(args, "minQuality") ? -1 : arg_int(args, "minQuality", -1);
	f.limit = arg_int(args, "limit", ONEPROXY_LIST_MAX);
	f.offset = arg_int(args, "offset", 0);
	items = oneproxy_list(m, &f, &total);
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "limit", json_object_new_int64(f.limit));
	json_object_object_add(o, "offset", json_object_new_int64(f.offset));
	reply_set(r, 200, o);
}

const struct command cmd_oneproxy_list = {
	.name = "oneproxy.list",
	.help = "active 1proxy rows, best quality first; {\"protocol\",\"countryCode\","
	    "\"minQuality\",\"limit\",\"offset\"}",
	.args = list_args,
	.run = oneproxy_list_run,
};

static const struct arg_spec no_args[] = { ARGSPEC_END };

/*
 * The sync status as stored, plus "syncing" and, while a sync runs, its
 * "progress" (the counters the 409 and omnirctl's progress lines show): an
 * HTTP caller has no progress lines, so the dashboard polls this while its
 * POST waits for the outcome.
 */
static struct json_object *
status_with_progress(struct master *m)
{
	struct oneproxy_status s;
	struct json_object *o, *progress;

	oneproxy_status_load(m, &s);
	o = oneproxy_status_json(&s);
	progress = oneproxy_sync_progress(m);
	json_object_object_add(o, "syncing", json_object_new_boolean(progress != NULL));
	if (progress != NULL)
		json_object_object_add(o, "progress", progress);
	return o;
}

static void
oneproxy_stats_run(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *o = json_object_new_object();

	(void)args;
	json_object_object_add(o, "stats", oneproxy_stats(m));
	json_object_object_add(o, "status", status_with_progress(m));
	reply_set(r, 200, o);
}

const struct command cmd_oneproxy_stats = {
	.name = "oneproxy.stats",
	.help = "1proxy rows by protocol and country, average quality, and the sync status",
	.args = no_args,
	.run = oneproxy_stats_run,
};

static void
oneproxy_status_run(struct master *m, struct json_object *args, struct reply *r)
{
	(void)args;
	reply_set(r, 200, status_with_progress(m));
}

const struct command cmd_oneproxy_status = {
	.name = "oneproxy.status",
	.help = "the last 1proxy sync: success, error, time, count, failures in a row, breaker; "
	    "syncing, and the running sync's progress",
	.args = no_args,
	.run = oneproxy_status_run,
};

static const struct arg_spec rotate_args[] = {
	{ "strategy", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, rotation_strategies },
	ARGSPEC_END
};

static void
oneproxy_rotate_run(struct master *m, struct json_object *args, struct reply *r)
{
	const char *name = arg_string(args, "strategy", "quality");
	struct json_object *o;
	size_t i;

	for (i = 0; rotation_strategies[i] != NULL; i++)
		if (strcmp(rotation_strategies[i], name) == 0)
			break;
	if (rotation_strategies[i] == NULL)
		i = 0;		/* the field table lets only these names in */
	if ((o = oneproxy_rotate(m, (enum oneproxy_strategy)i)) == NULL) {
		reply_error(r, 404, "No active 1proxy proxies available");
		return;
	}
	reply_set(r, 200, o);
}

const struct command cmd_oneproxy_rotate = {
	.name = "oneproxy.rotate",
	.help = "the next active 1proxy row; {\"strategy\":\"quality|random|sequential\"} "
	    "(sequential walks them all in order of lastValidated, wrapping)",
	.args = rotate_args,
	.run = oneproxy_rotate_run,
};

static void
oneproxy_reset_run(struct master *m, struct json_object *args, struct reply *r)
{
	struct oneproxy_status s;

	(void)args;
	oneproxy_status_load(m, &s);
	s.consecutive_failures = 0;
	s.last_error[0] = '\0';
	if (oneproxy_status_save(m, &s) != 0) {
		reply_error(r, 500, "could not store the 1proxy sync status");
		return;
	}
	reply_set(r, 200, oneproxy_status_json(&s));
}

const struct command cmd_oneproxy_reset = {
	.name = "oneproxy.reset",
	.help = "close the 1proxy circuit breaker (failures in a row back to 0)",
	.args = no_args,
	.run = oneproxy_reset_run,
};

static const struct arg_spec delete_args[] = {
	{ "id", ARG_STRING, ARG_TRIM | ARG_NOT_BLANK | ARG_HAS_MAX, 0, 128, NULL },
	{ "clearAll", ARG_BOOL, 0, 0, 0, NULL },
	ARGSPEC_END
};

static void
oneproxy_delete_run(struct master *m, struct json_object *args, struct reply *r)
{
	const char *id = arg_string(args, "id", NULL);
	bool all = arg_bool(args, "clearAll", false);
	struct json_object *o;
	long long deleted;

	if (id != NULL && all) {
		reply_invalid_field(r, "clearAll", "give either id or clearAll, not both");
		return;
	}
	if (id == NULL && !all) {
		reply_error(r, 400, "id or clearAll is required");
		return;
	}
	if (oneproxy_delete(m, all ? NULL : id, &deleted) != 0) {
		reply_error(r, 500, "could not delete 1proxy rows; nothing was changed");
		return;
	}
	if (!all && deleted == 0) {
		reply_error(r, 404, "Proxy not found");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "deleted", json_object_new_int64(deleted));
	reply_set(r, 200, o);
}

const struct command cmd_oneproxy_delete = {
	.name = "oneproxy.delete",
	.help = "delete one 1proxy row {\"id\"} or all of them {\"clearAll\":true}, with "
	    "their assignments; manual rows are never touched",
	.args = delete_args,
	.mutates = true,
	.run = oneproxy_delete_run,
};

static void
oneproxy_sync_run(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *o, *progress;
	char buf[300];
	const char *refusal;

	if ((progress = oneproxy_sync_progress(m)) != NULL) {
		o = error_envelope(409, "a 1proxy sync is running; wait for it to end", NULL);
		json_object_object_add(o, "progress", progress);
		reply_set(r, 409, o);
		return;
	}
	if ((refusal = oneproxy_sync_refusal(m, buf, sizeof(buf))) != NULL) {
		/* as OmniRoute answers: 200 with success false and the reason */
		o = json_object_new_object();
		json_object_object_add(o, "success", json_object_new_boolean(0));
		json_object_object_add(o, "added", json_object_new_int(0));
		json_object_object_add(o, "updated", json_object_new_int(0));
		json_object_object_add(o, "failed", json_object_new_int(0));
		json_object_object_add(o, "total", json_object_new_int(0));
		json_object_object_add(o, "error", json_object_new_string(refusal));
		json_object_object_add(o, "message", json_object_new_string(refusal));
		reply_set(r, 200, o);
		return;
	}
	reply_job(r, "oneproxy.sync", json_object_get(args));
}

const struct command cmd_oneproxy_sync = {
	.name = "oneproxy.sync",
	.help = "fetch the 1proxy feed page by page through the global proxy and import "
	    "its rows; {} (progress lines as it goes)",
	.args = no_args,
	.run = oneproxy_sync_run,
};
