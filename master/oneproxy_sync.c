/*
 * master/oneproxy_sync.c — one 1proxy sync, run by the master as a chain of
 * worker jobs (the master does no network I/O): "job.oneproxy_page" fetches
 * and reads one feed page through the global proxy and answers typed rows;
 * the master stores each page in one transaction, tells an omnirctl caller
 * how far it got (102 progress lines), and asks for the next page until a
 * short page, the max, or a failure. The outcome — what was stored even when
 * a later page failed — becomes the sync status (kept in the database) and
 * the reply. At most one sync runs; the breaker stops syncs after five
 * failures in a row until it is reset. With oneproxy_sync_interval set, a
 * timer starts one every so often.
 *
 * A sync asks for at most ceil(ONEPROXY_MAX_PROXIES / 100) pages, whatever
 * the pages hold: a feed that ignores offset or min_quality and sends full
 * pages of rows that are not imported cannot keep it going. A daemon that
 * stops mid-sync ends it with what was stored, said as such, and that does
 * not count towards the breaker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "log.h"
#include "master.h"
#include "oneproxy_store.h"
#include "proxy_fields.h"
#include "reply.h"
#include "resolve.h"
#include "util.h"

struct oneproxy_sync {
	/* who asked (no client and no slot: the timer) */
	struct control_client	*client;
	int			 origin_slot;
	pid_t			 origin_pid;
	bool			 origin_has_tag;
	uint64_t		 origin_tag;

	long long		 room;		/* rows still allowed (the max) */
	char			 stamp[ISO_TIME_LEN];	/* when it began: every row
						 * it writes gets it */
	long long		 pages;
	long long		 received;
	long long		 skipped;	/* below the quality threshold */
	long long		 failed;	/* broken or not allowed */
	struct oneproxy_upsert_counts stored;
	char			 first_failure[160];
};

static bool
sync_has_origin(const struct oneproxy_sync *s)
{
	return s->client != NULL || s->origin_slot >= 0;
}

/* The counters, as the progress lines, the 409 and the reply show them. */
static void
add_counts(struct json_object *o, const struct oneproxy_sync *s)
{
	json_object_object_add(o, "pages", json_object_new_int64(s->pages));
	json_object_object_add(o, "received", json_object_new_int64(s->received));
	json_object_object_add(o, "added", json_object_new_int64(s->stored.added));
	json_object_object_add(o, "updated", json_object_new_int64(
	    s->stored.updated + s->stored.kept_inactive));
	json_object_object_add(o, "keptInactive", json_object_new_int64(s->stored.kept_inactive));
	json_object_object_add(o, "skipped", json_object_new_int64(s->skipped));
	json_object_object_add(o, "failed", json_object_new_int64(s->failed));
	json_object_object_add(o, "duplicates", json_object_new_int64(s->stored.duplicates));
	json_object_object_add(o, "overMax", json_object_new_int64(s->stored.over_max));
}

struct json_object *
oneproxy_sync_progress(const struct master *m)
{
	struct json_object *o;

	if (m->oneproxy_sync == NULL)
		return NULL;
	o = json_object_new_object();
	add_counts(o, m->oneproxy_sync);
	return o;
}

/* A one-line account of the counters ("3 pages, 205 added, ..."). */
static void
counts_line(const struct oneproxy_sync *s, char *out, size_t len)
{
	snprintf(out, len, "%lld page%s, %lld added, %lld updated, %lld skipped "
	    "(below the quality threshold), %lld failed", s->pages, s->pages == 1 ? "" : "s",
	    s->stored.added, s->stored.updated + s->stored.kept_inactive, s->skipped,
	    s->failed);
}

static void
send_to_origin(struct master *m, const struct oneproxy_sync *s, int status,
    struct json_object *body)
{
	struct reply r = { status, body, NULL, false };
	char *line;
	size_t len;

	line = reply_format_line(s->origin_has_tag, s->origin_tag, &r, &len);
	reply_clear(&r);
	if (status < 200) {
		/* progress goes to omnirctl only: an HTTP caller gets the outcome */
		if (s->client != NULL)
			control_client_send_progress(s->client, line, len);
	} else if (sync_has_origin(s)) {
		master_send_reply_line(m, s->client, s->origin_slot, s->origin_pid, line, len);
	}
	free(line);
}

/*
 * End the sync: status saved, the reply sent, the state freed. error NULL =
 * success; a failure counts towards the breaker when the feed or the way to
 * it failed (not when the daemon stops).
 */
static void
sync_end(struct master *m, const char *error, bool counts_as_failure, bool publish)
{
	struct oneproxy_sync *s = m->oneproxy_sync;
	struct oneproxy_status st;
	struct json_object *o;
	char counts[300], message[700];

	m->oneproxy_sync = NULL;
	oneproxy_status_load(m, &st);
	st.ever_ran = true;
	iso_time_now(st.last_at, sizeof(st.last_at));
	st.last_success = error == NULL;
	st.last_count = s->stored.added + s->stored.updated + s->stored.kept_inactive;
	str_copy(st.last_error, sizeof(st.last_error), error != NULL ? error : "");
	if (error == NULL)
		st.consecutive_failures = 0;
	else if (counts_as_failure)
		st.consecutive_failures++;
	if (oneproxy_status_save(m, &st) != 0)
		log_warnx("1proxy: could not store the sync status");
	counts_line(s, counts, sizeof(counts));
	if (error == NULL)
		snprintf(message, sizeof(message), "1proxy sync done: %s", counts);
	else
		snprintf(message, sizeof(message), "1proxy sync failed: %s (%s)", error, counts);
	log_info("%s", message);
	if (s->first_failure[0] != '\0')
		log_info("1proxy: feed rows left out, the first: %s", s->first_failure);
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(error == NULL));
	add_counts(o, s);
	json_object_object_add(o, "total", json_object_new_int64(st.last_count));
	json_object_object_add(o, "error", error != NULL ? json_object_new_string(error) : NULL);
	json_object_object_add(o, "message", json_object_new_string(message));
	send_to_origin(m, s, 200, o);
	free(s);
	if (publish && st.last_count > 0 && master_rebuild_snapshot(m) == 0)
		master_push_snapshot(m);
}

static void
sync_finish(struct master *m, const char *error)
{
	sync_end(m, error, true, true);
}

/* ---- one page ----------------------------------------------------------- */

static void request_page(struct master *m);

/* Read the worker's typed row back; false when it is not one. */
static bool
row_from_json(struct json_object *a, struct oneproxy_row *row)
{
	struct json_object *v;
	const char *s;
	int64_t n;

	memset(row, 0, sizeof(*row));
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) != 10)
		return false;
	s = json_object_get_string(json_object_array_get_idx(a, 0));
	if (s == NULL || strlen(s) >= sizeof(row->host) ||
	    host_classify(s, strlen(s), NULL, NULL, NULL) == HOST_INVALID)
		return false;
	str_copy(row->host, sizeof(row->host), s);
	n = json_object_get_int64(json_object_array_get_idx(a, 1));
	if (n < 1 || n > 65535)
		return false;
	row->port = (uint16_t)n;
	if ((s = json_object_get_string(json_object_array_get_idx(a, 2))) == NULL ||
	    !proxy_type_parse(s, &row->type))
		return false;
	v = json_object_array_get_idx(a, 3);
	str_copy(row->country_code, sizeof(row->country_code),
	    v != NULL ? json_object_get_string(v) : "");
	v = json_object_array_get_idx(a, 4);
	row->quality_score = v != NULL ? json_object_get_int(v) : -1;
	v = json_object_array_get_idx(a, 5);
	row->latency_ms = v != NULL ? json_object_get_int(v) : -1;
	v = json_object_array_get_idx(a, 6);
	str_copy(row->anonymity, sizeof(row->anonymity), v != NULL ? json_object_get_string(v) : "");
	v = json_object_array_get_idx(a, 7);
	row->google_access = v != NULL ? json_object_get_int(v) : -1;
	v = json_object_array_get_idx(a, 8);
	str_copy(row->last_validated, sizeof(row->last_validated),
	    v != NULL ? json_object_get_string(v) : "");
	row->last_validated_epoch = json_object_get_int64(json_object_array_get_idx(a, 9));
	return row->quality_score >= -1 && row->quality_score <= 100;
}

static void
page_answered(struct master *m, void *ctx, int status, struct json_object *body)
{
	struct oneproxy_sync *s = ctx;
	struct oneproxy_row *rows;
	struct json_object *list = NULL, *v, *progress;
	char error[400], counts[300], line[400];
	size_t i, n, nrows = 0;
	long long received;

	if (s == NULL || s != m->oneproxy_sync) {
		json_object_put(body);		/* a sync that has ended */
		return;
	}
	if (status != 200) {
		const char *why = NULL;
		if (json_object_object_get_ex(body, "error", &v)) {
			struct json_object *msg;
			why = json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
			    json_object_object_get_ex(v, "message", &msg) ?
			    json_object_get_string(msg) : NULL;
		}
		snprintf(error, sizeof(error), "%s", why != NULL ? why : "the feed page failed");
		json_object_put(body);
		sync_finish(m, error);
		return;
	}
	received = json_object_object_get_ex(body, "received", &v) ? json_object_get_int64(v) : 0;
	s->pages++;
	s->received += received;
	if (json_object_object_get_ex(body, "belowThreshold", &v))
		s->skipped += json_object_get_int64(v);
	if (json_object_object_get_ex(body, "failed", &v))
		s->failed += json_object_get_int64(v);
	if (s->first_failure[0] == '\0' && json_object_object_get_ex(body, "firstFailure", &v) &&
	    v != NULL)
		snprintf(s->first_failure, sizeof(s->first_failure), "page %lld, %s",
		    s->pages, json_object_get_string(v));
	json_object_object_get_ex(body, "rows", &list);
	n = list != NULL && json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	rows = xcalloc(n ? n : 1, sizeof(*rows));
	for (i = 0; i < n; i++) {
		if (row_from_json(json_object_array_get_idx(list, i), &rows[nrows]))
			nrows++;
		else
			s->failed++;
	}
	json_object_put(body);
	if (oneproxy_upsert_rows(m, rows, nrows, s->stamp, &s->room, &s->stored) != 0) {
		free(rows);
		sync_finish(m, "could not store the feed's rows (database error); this page "
		    "was not stored");
		return;
	}
	free(rows);
	counts_line(s, counts, sizeof(counts));
	snprintf(line, sizeof(line), "1proxy sync: page %lld read: %s", s->pages, counts);
	progress = json_object_new_object();
	add_counts(progress, s);
	json_object_object_add(progress, "message", json_object_new_string(line));
	send_to_origin(m, s, 102, progress);
	if (received < ONEPROXY_PAGE_SIZE || s->room <= 0 ||
	    s->pages * ONEPROXY_PAGE_SIZE >= m->cfg.oneproxy_max_proxies) {
		sync_finish(m, NULL);
		return;
	}
	request_page(m);
}

/* The proxy a page goes through: the global assignment, fail-closed. */
static int
global_egress(struct master *m, struct json_object *job, char *error, size_t errlen)
{
	struct resolve_request req;
	struct resolve_result res;

	memset(&req, 0, sizeof(req));
	req.fail_open = m->cfg.proxy_fail_open;
	/* a page is a call: a global pool's member is taken */
	resolve_request_choose(&req, m->pool_board, m->latency_board, true);
	proxy_resolve(&m->snap, &req, &res);
	if (res.outcome == RESOLVE_REFUSED) {
		snprintf(error, errlen, "PROXY_ASSIGNED_UNAVAILABLE: the global proxy is "
		    "inactive or missing; refusing to fetch the feed directly");
		return -1;
	}
	if (res.outcome == RESOLVE_PROXY)
		json_object_object_add(job, "proxy", job_proxy_json(res.proxy));
	return 0;
}

static void
request_page(struct master *m)
{
	struct oneproxy_sync *s = m->oneproxy_sync;
	struct json_object *job = json_object_new_object();
	char url[2400], error[300];
	const char *base = m->cfg.oneproxy_api_url;
	size_t blen = strlen(base);
	int n;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	n = snprintf(url, sizeof(url), "%.*s/api/v1/proxies/advanced?limit=%d&offset=%lld"
	    "&min_quality=%ld&is_working=true", (int)blen, base, ONEPROXY_PAGE_SIZE,
	    s->pages * ONEPROXY_PAGE_SIZE, m->cfg.oneproxy_min_quality);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		json_object_put(job);
		sync_finish(m, "ONEPROXY_API_URL is too long to build a page's URL from");
		return;
	}
	json_object_object_add(job, "url", json_object_new_string(url));
	json_object_object_add(job, "timeoutMs", json_object_new_int64(m->cfg.oneproxy_timeout_ms));
	json_object_object_add(job, "minQuality", json_object_new_int64(m->cfg.oneproxy_min_quality));
	json_object_object_add(job, "allowPrivate",
	    json_object_new_boolean(m->cfg.oneproxy_allow_private));
	if (global_egress(m, job, error, sizeof(error)) != 0) {
		json_object_put(job);
		sync_finish(m, error);
		return;
	}
	master_start_internal_job(m, "job.oneproxy_page", job, page_answered, s);
}

/* ---- starting ------------------------------------------------------------ */

const char *
oneproxy_sync_refusal(struct master *m, char *buf, size_t len)
{
	struct oneproxy_status st;

	if (!m->cfg.oneproxy_enabled)
		return "1proxy integration disabled";
	oneproxy_status_load(m, &st);
	if (st.consecutive_failures >= ONEPROXY_BREAKER_FAILURES) {
		snprintf(buf, len, "Circuit breaker: %lld consecutive failures. Reset required "
		    "(omnirctl oneproxy reset, or POST /api/settings/oneproxy/reset).",
		    st.consecutive_failures);
		return buf;
	}
	return NULL;
}

void
oneproxy_sync_start(struct master *m, struct json_object *args, struct control_client *client,
    struct worker_proc *origin, bool has_tag, uint64_t tag)
{
	struct oneproxy_sync *s;

	(void)args;		/* {} (the command checked it); the caller frees it */
	if (m->oneproxy_sync != NULL)
		return;		/* the command refuses a second one; the timer skips */
	s = xcalloc(1, sizeof(*s));
	s->client = client;
	s->origin_slot = origin != NULL ? origin->slot : -1;
	s->origin_pid = origin != NULL ? origin->pid : 0;
	s->origin_has_tag = has_tag;
	s->origin_tag = tag;
	s->room = m->cfg.oneproxy_max_proxies;
	iso_time_now(s->stamp, sizeof(s->stamp));
	m->oneproxy_sync = s;
	if (client != NULL)
		control_client_set_waiting(client);
	log_info("1proxy sync started (%s)", client != NULL ? "omnirctl" :
	    origin != NULL ? "HTTP" : "timer");
	request_page(m);
}

void
oneproxy_sync_client_gone(struct master *m, struct control_client *client)
{
	if (m->oneproxy_sync != NULL && m->oneproxy_sync->client == client) {
		m->oneproxy_sync->client = NULL;	/* it goes on; the answer is dropped */
		m->oneproxy_sync->origin_slot = -1;
	}
}

static void
sync_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	char buf[300];
	const char *refusal;

	(void)fd;
	(void)what;
	if (m->oneproxy_sync != NULL)
		return;
	if ((refusal = oneproxy_sync_refusal(m, buf, sizeof(buf))) != NULL) {
		log_info("1proxy periodic sync skipped: %s", refusal);
		return;
	}
	oneproxy_sync_start(m, NULL, NULL, NULL, false, 0);
}

void
oneproxy_sync_schedule(struct master *m)
{
	struct timeval tv;

	/* a reload that keeps the interval keeps the timer's phase */
	if (m->oneproxy_timer != NULL && m->oneproxy_timer_interval == m->cfg.oneproxy_sync_interval)
		return;
	if (m->oneproxy_timer != NULL) {
		event_free(m->oneproxy_timer);
		m->oneproxy_timer = NULL;
	}
	m->oneproxy_timer_interval = m->cfg.oneproxy_sync_interval;
	if (m->cfg.oneproxy_sync_interval <= 0)
		return;
	tv.tv_sec = m->cfg.oneproxy_sync_interval;
	tv.tv_usec = 0;
	m->oneproxy_timer = event_new(m->base, -1, EV_PERSIST, sync_timer_fired, m);
	evtimer_add(m->oneproxy_timer, &tv);
}

void
oneproxy_sync_stop(struct master *m)
{
	char error[200];

	if (m->oneproxy_timer != NULL) {
		event_free(m->oneproxy_timer);
		m->oneproxy_timer = NULL;
	}
	if (m->oneproxy_sync != NULL) {
		snprintf(error, sizeof(error), "the daemon is stopping: the sync ended after "
		    "%lld page%s", m->oneproxy_sync->pages,
		    m->oneproxy_sync->pages == 1 ? "" : "s");
		sync_end(m, error, false, false);
	}
}
