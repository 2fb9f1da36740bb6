/*
 * worker/upstream.c — the upstream exchange (see upstream.h): one attempt at
 * a time per struct upstream, driven by its connection's callbacks, which
 * live here and nowhere else. The pure rules it applies (failover, cooldown,
 * the reply a failure gets) are in upstream_result.c; the head parser in
 * common/http_response.c, the chunked framer in common/chunked.c, the pool
 * in pool.c, the way out in egress.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "io.h"
#include "pool.h"
#include "upstream.h"
#include "util.h"
#include "worker.h"

#define UPSTREAM_MAX_RESPONSE_HEAD	(64 * 1024)
#define UPSTREAM_MAX_INTERIM		8
#define UPSTREAM_INLINE_BODY_MAX	(64 * 1024)	/* composed with the head up to this */
#define UPSTREAM_SINK_HIGH_WATER	(1024 * 1024)	/* a sink this full pauses reading */

/* ---- the end of an attempt ------------------------------------------------ */

/*
 * The attempt's outcome, queued for the master: a row [status, proxyId,
 * level, levelId, provider, model, connectionId, comboId, stage, latencyMs,
 * bytes, error] (outcomes_flush sends them in batches). The one place.
 */
static void
report_outcome(struct upstream *u)
{
	struct outcome o = {
		.key = {
			[OC_STATUS] = upstream_outcome_status(&u->result),
			[OC_PROXY_ID] = u->proxy_id,
			[OC_LEVEL] = u->level,
			[OC_LEVEL_ID] = u->level_id,
			[OC_PROVIDER] = u->provider,
			[OC_MODEL] = u->model,
			[OC_CONNECTION_ID] = u->connection,
			[OC_COMBO_ID] = u->combo,
			[OC_STAGE] = upstream_stage_name(u->result.stage),
		},
		.error = u->result.error != UPSTREAM_OK ? u->result.message : NULL,
		.latency_ms = u->result.latency_ms,
		.bytes = u->result.bytes,
		.connected = u->result.connected,
		.connect_us = u->result.connect_us,
	};

	if (u->report)
		outcomes_queue(u->w, &o);
}

static void
drop_connection(struct upstream *u)
{
	if (u->egress != NULL) {
		egress_cancel(u->egress);
		u->egress = NULL;
	}
	if (u->bev != NULL) {
		bufferevent_free(u->bev);
		u->bev = NULL;
	}
}

/* The attempt is over, its result set: report it, close what it held. */
static void
end_attempt(struct upstream *u)
{
	u->result.latency_ms = monotonic_ms() - u->started_ms;
	report_outcome(u);
	drop_connection(u);
	u->phase = UPSTREAM_IDLE;
}

/* The attempt ends with this result (no done callback yet); -1. */
static int
end_with(struct upstream *u, enum upstream_error error, enum upstream_stage stage,
    const char *fmt, va_list ap)
{
	u->result.error = error;
	u->result.stage = stage;
	vsnprintf(u->result.message, sizeof(u->result.message), fmt, ap);
	end_attempt(u);
	return -1;
}

static int refuse(struct upstream *u, enum upstream_error error,
    enum upstream_stage stage, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The attempt cannot start: reported at once, no done callback; -1. */
static int
refuse(struct upstream *u, enum upstream_error error, enum upstream_stage stage,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_with(u, error, stage, fmt, ap);
	va_end(ap);
	return -1;
}

static bool fail_over_in_pool(struct upstream *u);

static void fail(struct upstream *u, enum upstream_error error, enum upstream_stage stage,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The attempt failed under way. */
static void
fail(struct upstream *u, enum upstream_error error, enum upstream_stage stage,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_with(u, error, stage, fmt, ap);
	va_end(ap);
	if (fail_over_in_pool(u))
		return;		/* the next member carries the call */
	u->ops->done(u);	/* u may be started again, or gone */
}

/* The whole body arrived. */
static void
body_complete(struct upstream *u)
{
	const char *why;

	/* a connection whose answer ended cleanly is kept for the next call */
	if (u->poolable && u->bev != NULL && u->resp.keep_alive &&
	    u->resp.framing != HTTP_RESPONSE_UNTIL_CLOSE) {
		pool_put(u->w, u->target.host, (uint16_t)u->target.port, u->target.tls,
		    u->result.proxied ? u->via : NULL, u->bev);
		u->bev = NULL;
	}
	if (u->sink == NULL && u->ops->judge_body != NULL &&
	    (why = u->ops->judge_body(u)) != NULL) {
		fail(u, UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_BODY, "%s", why);
		return;
	}
	u->result.error = UPSTREAM_OK;
	u->result.stage = UPSTREAM_STAGE_DONE;
	u->result.message[0] = '\0';
	end_attempt(u);
	u->ops->done(u);	/* u may be started again, or gone */
}

static void
fail_too_large(struct upstream *u)
{
	if (u->collect_max % (1024 * 1024) == 0)
		fail(u, UPSTREAM_ERR_TOO_LARGE, UPSTREAM_STAGE_BODY, "%s sent more than %zu "
		    "MiB; the rest was not read", u->name, u->collect_max >> 20);
	else
		fail(u, UPSTREAM_ERR_TOO_LARGE, UPSTREAM_STAGE_BODY, "%s sent more than %zu "
		    "bytes; the rest was not read", u->name, u->collect_max);
}

/* ---- the body ------------------------------------------------------------- */

static void
set_read_deadline(struct upstream *u, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	bufferevent_set_timeouts(u->bev, ms > 0 ? &tv : NULL, NULL);
}

/* n bytes of body from in to where the body goes. */
static void
move_body(struct upstream *u, struct evbuffer *in, size_t n)
{
	if (n == 0)
		return;
	evbuffer_remove_buffer(in, u->sink != NULL ? bufferevent_get_output(u->sink) :
	    u->body, n);
	u->result.bytes += n;
}

/* A collected chunked body: its chunk-data only (chunked_decode, as the
 * server takes a chunked request body). */
static void
collect_chunked(struct upstream *u, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in), used = 0, n = 0;
	struct evbuffer_iovec v;

	if (avail == 0 || evbuffer_reserve_space(u->body, (ev_ssize_t)avail, &v, 1) < 1)
		return;
	chunked_decode(&u->chunks, (const char *)evbuffer_pullup(in, -1), avail, &used,
	    v.iov_base, &n);
	v.iov_len = n;
	evbuffer_commit_space(u->body, &v, 1);
	evbuffer_drain(in, used);
	u->result.bytes += n;
}

/* Take what the framing allows; true when the body is complete. */
static bool
take_body(struct upstream *u)
{
	struct evbuffer *in = bufferevent_get_input(u->bev);
	size_t avail = evbuffer_get_length(in), take = 0;

	switch (u->resp.framing) {
	case HTTP_RESPONSE_NO_BODY:
		return true;
	case HTTP_RESPONSE_LENGTH:
		take = avail < u->remaining ? avail : (size_t)u->remaining;
		u->remaining -= take;
		move_body(u, in, take);
		return u->remaining == 0;
	case HTTP_RESPONSE_UNTIL_CLOSE:
		move_body(u, in, avail);
		return false;
	case HTTP_RESPONSE_CHUNKED:
		if (u->sink == NULL) {
			collect_chunked(u, in);
		} else if (avail > 0) {
			/* streamed as it came: the framer only counts, and sees
			 * all that arrived, in one piece */
			chunked_feed(&u->chunks, (const char *)evbuffer_pullup(in, -1), avail,
			    &take);
			move_body(u, in, take);
		}
		return u->chunks.step == CHUNKED_DONE;
	}
	return false;
}

/* Take what arrived; true when that ended the attempt (u may be gone). */
static bool
read_body(struct upstream *u)
{
	bool complete = take_body(u);

	if (u->sink != NULL)
		io_flush_now(u->sink);	/* with its head, when that is still waiting */
	if (u->resp.framing == HTTP_RESPONSE_CHUNKED && u->chunks.step == CHUNKED_INVALID) {
		fail(u, UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_BODY, "%s sent malformed "
		    "chunked framing: %s", u->name, u->chunks.error_message);
		return true;
	}
	if (u->sink == NULL && u->result.bytes > u->collect_max) {
		fail_too_large(u);
		return true;
	}
	if (complete) {
		body_complete(u);
		return true;
	}
	/* backpressure: a slow sink pauses the upstream */
	if (u->sink != NULL &&
	    evbuffer_get_length(bufferevent_get_output(u->sink)) > UPSTREAM_SINK_HIGH_WATER)
		bufferevent_disable(u->bev, EV_READ);
	return false;
}

/* ---- the response head ----------------------------------------------------- */

/* A final head arrived: declined (false, the attempt ended), or taken. */
static bool
take_head(struct upstream *u)
{
	struct evbuffer *in = bufferevent_get_input(u->bev);
	int status = u->resp.status;

	u->result.status = status;
	if (upstream_status_rests_connection(status) && u->connection != NULL &&
	    *u->connection != '\0')
		relay_cool_down(u->w, u->connection);
	/* declined: the result it would be, judged by the one rule */
	u->result.error = UPSTREAM_ERR_STATUS;
	if ((u->sink == NULL && (status < 200 || status > 299)) ||
	    (upstream_worth_failing_over(&u->result) && u->ops->may_fail_over != NULL &&
	    u->ops->may_fail_over(u))) {
		fail(u, UPSTREAM_ERR_STATUS, UPSTREAM_STAGE_RESPONSE, "%s answered %d",
		    u->name, status);
		return false;
	}
	u->result.error = UPSTREAM_OK;
	if (u->sink == NULL && u->resp.framing == HTTP_RESPONSE_LENGTH &&
	    u->resp.content_length > u->collect_max) {
		fail_too_large(u);
		return false;
	}
	if (u->ops->on_head != NULL)
		u->ops->on_head(u);	/* the head's fields point into `in` */
	evbuffer_drain(in, u->resp.head_len);
	u->phase = UPSTREAM_BODY;
	u->result.stage = UPSTREAM_STAGE_BODY;
	/* reasoning models pause long between events: a generous idle limit */
	set_read_deadline(u, u->body_idle_ms);
	u->remaining = u->resp.content_length;
	chunked_init(&u->chunks);
	return true;
}

/* Parse what arrived; true when the final head was taken. */
static bool
read_head(struct upstream *u)
{
	struct evbuffer *in = bufferevent_get_input(u->bev);
	size_t len, look;
	enum parse p;

	for (;;) {
		len = evbuffer_get_length(in);
		if (len == 0)
			return false;
		look = len < UPSTREAM_MAX_RESPONSE_HEAD ? len : UPSTREAM_MAX_RESPONSE_HEAD;
		p = http_parse_response_head((const char *)evbuffer_pullup(in, (ssize_t)look),
		    look, UPSTREAM_MAX_RESPONSE_HEAD, u->request_is_head, &u->resp);
		if (p == PARSE_MORE)
			return false;
		if (p == PARSE_INVALID) {
			fail(u, UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_RESPONSE, "%s sent a "
			    "malformed response: %s", u->name, u->resp.error_message);
			return false;
		}
		if (u->resp.status >= 200)
			return take_head(u);
		/* 100 Continue, 103 Early Hints */
		evbuffer_drain(in, u->resp.head_len);
		if (++u->interim > UPSTREAM_MAX_INTERIM) {
			fail(u, UPSTREAM_ERR_MALFORMED, UPSTREAM_STAGE_RESPONSE, "%s sent too "
			    "many interim responses", u->name);
			return false;
		}
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct upstream *u = arg;

	io_flush_now(bev);	/* TLS may have answered something while reading */
	if (u->phase == UPSTREAM_AWAIT_HEAD && !read_head(u))
		return;
	(void)read_body(u);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct upstream *u = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		if (u->phase == UPSTREAM_AWAIT_HEAD)
			fail(u, UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_RESPONSE, "%s: no "
			    "response head within %ld ms (timed out)", u->name,
			    u->head_timeout_ms);
		else
			fail(u, UPSTREAM_ERR_TIMEOUT, UPSTREAM_STAGE_BODY, "%s: no body "
			    "bytes within %ld ms (timed out)", u->name, u->body_idle_ms);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (u->phase == UPSTREAM_AWAIT_HEAD) {
		fail(u, UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_RESPONSE, "%s closed the "
		    "connection before answering", u->name);
		return;
	}
	/* what arrived with the close first, then judge */
	if (read_body(u))
		return;
	if (u->resp.framing == HTTP_RESPONSE_UNTIL_CLOSE && (what & BEV_EVENT_EOF)) {
		body_complete(u);
		return;
	}
	/* truncated: a sink's reader sees the cut (no final chunk, short length) */
	fail(u, UPSTREAM_ERR_CLOSED, UPSTREAM_STAGE_BODY, "%s closed the connection "
	    "mid-body", u->name);
}

/* ---- the request ------------------------------------------------------------ */

static void
connected(struct upstream *u, struct bufferevent *bev)
{
	/* composed aside, then handed over whole: over TLS every write would
	 * otherwise become a record of its own */
	struct textbuf *t = &u->w->scratch;
	struct upstream_body body = { .count = 0 };
	size_t i, body_len = 0;

	u->bev = bev;
	u->phase = UPSTREAM_AWAIT_HEAD;
	u->result.stage = UPSTREAM_STAGE_RESPONSE;
	u->interim = 0;
	textbuf_reset(t);
	u->ops->compose(u, t, &body);
	/* proxied connections are not reused unless pooling is on for them */
	textbuf_add_str(t, u->poolable ? "Connection: keep-alive\r\n\r\n" :
	    "Connection: close\r\n\r\n");
	for (i = 0; i < body.count; i++)
		body_len += body.len[i];
	io_write_on_demand(bev);
	if (body_len <= UPSTREAM_INLINE_BODY_MAX) {
		/* head and body in one write: one TLS record for a small call */
		for (i = 0; i < body.count; i++)
			textbuf_add(t, body.data[i], body.len[i]);
		bufferevent_write(bev, t->data, t->len);
	} else {
		/* a large body goes straight from where it is, not via the
		 * scratch buffer (which would otherwise grow to the largest) */
		bufferevent_write(bev, t->data, t->len);
		for (i = 0; i < body.count; i++)
			bufferevent_write(bev, body.data[i], body.len[i]);
	}
	if (u->wipe_request)
		explicit_bzero(t->data, t->len);
	io_flush_now(bev);
	set_read_deadline(u, u->head_timeout_ms);
	bufferevent_setcb(bev, on_read, NULL, on_event, u);
	/* EV_READ only: a TLS filter has its EV_WRITE from egress, and the
	 * bottom socket arms its own only for a remainder (io.c) */
	io_enable(bev, EV_READ);
}

static void
on_egress_done(struct bufferevent *bev, enum egress_stage stage, enum egress_error kind,
    const char *message, void *arg)
{
	struct upstream *u = arg;

	u->egress = NULL;
	if (bev == NULL) {
		fail(u, upstream_error_of_egress(kind), upstream_stage_of_egress(stage), "%s",
		    message);
		return;
	}
	u->result.connected = true;
	u->result.connect_us = monotonic_us() - u->egress_started_us;
	/* the pools' latency strategy reads it (pool_choice.h) */
	if (u->proxy_id[0] != '\0')
		latency_record(u->w->latency_board, pool_id_hash(u->proxy_id),
		    u->result.connect_us, 1, (int64_t)time(NULL));
	connected(u, bev);
}

/* ---- the start --------------------------------------------------------------- */

/* ---- pools: the members a start of the exchange tried ------------------- */

/* No member could carry the call: the level, then "id (stage), …". */
#define POOL_EXHAUSTED_FORMAT	"PROXY_POOL_UNAVAILABLE: no member of the %s pool " \
	"could carry the call, refusing to egress directly: %s"

/* The failed member as "id (why)", for a refusal naming them all. */
static void
mark_member_tried(struct upstream *u, uint64_t member, const char *why)
{
	size_t len = strlen(u->pool_failures);
	int n;

	if (u->pool_tried_count < UPSTREAM_POOL_TRIED_MAX)
		u->pool_tried[u->pool_tried_count++] = member;
	if (len + 4 >= sizeof(u->pool_failures))
		return;
	n = snprintf(u->pool_failures + len, sizeof(u->pool_failures) - len, "%s%s (%s)",
	    len > 0 ? ", " : "", u->proxy_id, why);
	if (n < 0 || (size_t)n >= sizeof(u->pool_failures) - len)
		u->pool_failures[len] = '\0';	/* no room: the list stops here */
}

/* What to resolve for this call: take (a call takes the member) or peek. */
static void
resolution_request(struct upstream *u, struct resolve_request *req, bool take)
{
	memset(req, 0, sizeof(*req));
	req->connection_id = u->connection != NULL && *u->connection != '\0' ?
	    u->connection : NULL;
	req->provider_id = u->provider;
	req->combo_id = u->combo;
	req->fail_open = u->w->cfg->proxy_fail_open;
	req->delegated = u->delegated;
	resolve_request_choose(req, u->w->pool_board, u->w->latency_board, take);
	req->tried_pool = u->pool_key;
	req->tried = u->pool_tried;
	req->tried_count = u->pool_tried_count;
}

static int start_attempt(struct upstream *u);

/*
 * The member failed before the request left (upstream_failed_before_request),
 * its outcome reported: it cools down for every worker, and the next member
 * the strategy gives carries the call (true) — unless pool_attempts_max
 * members were tried or none is left, when the last failure stands under
 * a message naming each member and its stage (false).
 */
static bool
fail_over_in_pool(struct upstream *u)
{
	const struct config *cfg = u->w->cfg;
	struct resolve_request req;
	struct resolve_result peek;
	uint64_t now = monotonic_ms(), member;

	if (u->fixed_egress || u->pool_size < 2 || u->proxy_id[0] == '\0' ||
	    !upstream_failed_before_request(&u->result))
		return false;
	member = pool_id_hash(u->proxy_id);
	pool_cool_down(u->w->pool_board, member, now,
	    now + (uint64_t)(cfg->pool_cooldown_ms > 0 ? cfg->pool_cooldown_ms : 0));
	mark_member_tried(u, member, upstream_stage_name(u->result.stage));
	if (u->pool_attempts < cfg->pool_attempts_max) {
		/* a peek first: a pool with no member left is not an attempt */
		resolution_request(u, &req, false);
		proxy_resolve(&u->w->snap, &req, &peek);
		if (peek.outcome == RESOLVE_PROXY) {
			u->pool_attempts++;
			/* -1: refused and reported; done follows with that */
			return start_attempt(u) == 0;
		}
	}
	snprintf(u->result.message, sizeof(u->result.message), POOL_EXHAUSTED_FORMAT,
	    u->level, u->pool_failures);
	return false;
}

/* The proxy the call must leave through (*proxy NULL: direct), or -1 refused. */
static int
resolve_egress(struct upstream *u, const struct snap_proxy **proxy)
{
	const struct config *cfg = u->w->cfg;
	struct resolve_request req;

	*proxy = u->proxy;
	while (!u->fixed_egress) {
		resolution_request(u, &req, true);
		proxy_resolve(&u->w->snap, &req, &u->res);
		str_copy(u->level, sizeof(u->level), resolve_level_name(&u->res));
		str_copy(u->level_id, sizeof(u->level_id), u->res.level_id != NULL ?
		    u->res.level_id : "");
		u->pool_size = u->res.pool != NULL ? u->res.pool->member_count : 0;
		if (u->pool_tried_count == 0)
			u->pool_key = u->res.pool != NULL ? u->res.pool->key : 0;
		if (u->res.outcome == RESOLVE_REFUSED &&
		    u->res.explain[u->res.level].verdict == VERDICT_REFUSED_TRIED)
			return refuse(u, UPSTREAM_ERR_REFUSED, UPSTREAM_STAGE_RESOLVE,
			    POOL_EXHAUSTED_FORMAT, u->level, u->pool_failures);
		if (u->res.outcome == RESOLVE_REFUSED)
			return refuse(u, UPSTREAM_ERR_REFUSED, UPSTREAM_STAGE_RESOLVE,
			    "PROXY_ASSIGNED_UNAVAILABLE: the proxy assigned at the %s level "
			    "is inactive or missing; refusing to egress directly", u->level);
		*proxy = u->res.outcome == RESOLVE_PROXY ? u->res.proxy : NULL;
		if (*proxy == NULL || (*proxy)->type != PROXY_TYPE_SOCKS5 ||
		    cfg->enable_socks5_proxy || u->pool_size < 2 ||
		    u->pool_tried_count == UPSTREAM_POOL_TRIED_MAX)
			break;
		/* a SOCKS5 member while SOCKS5 is off: the next member */
		str_copy(u->proxy_id, sizeof(u->proxy_id), (*proxy)->id);
		mark_member_tried(u, pool_id_hash((*proxy)->id), "socks5 disabled");
		u->proxy_id[0] = '\0';
	}
	if (*proxy == NULL)
		return 0;
	str_copy(u->proxy_id, sizeof(u->proxy_id), (*proxy)->id);
	/* a pooled tunnel is only reused through the same proxy endpoint with
	 * the same credentials (a changed user can mean another exit) */
	snprintf(u->via, sizeof(u->via), "%016llx|%.36s@%s://%.255s:%u",
	    (unsigned long long)proxy_credentials_fingerprint((*proxy)->username,
	    (*proxy)->password), (*proxy)->id, proxy_type_name((*proxy)->type),
	    (*proxy)->host, (*proxy)->port);
	if (!u->fixed_egress && (*proxy)->type == PROXY_TYPE_SOCKS5 &&
	    !cfg->enable_socks5_proxy)
		return refuse(u, UPSTREAM_ERR_SOCKS5_DISABLED, UPSTREAM_STAGE_RESOLVE,
		    "SOCKS5 proxy is disabled (set ENABLE_SOCKS5_PROXY=true to enable); "
		    "the %s level assigns a SOCKS5 proxy", u->level);
	return 0;
}

static void
begin_attempt(struct upstream *u)
{
	memset(&u->result, 0, sizeof(u->result));
	u->started_ms = monotonic_ms();
	u->level[0] = u->level_id[0] = u->proxy_id[0] = u->via[0] = '\0';
	u->pool_size = 0;
	u->phase = UPSTREAM_CONNECTING;
}

int
upstream_start(struct upstream *u)
{
	u->pool_attempts = 1;
	u->pool_key = 0;
	u->pool_tried_count = 0;
	u->pool_failures[0] = '\0';
	return start_attempt(u);
}

/* One attempt: the member resolved now (a pool's next one after a failover). */
static int
start_attempt(struct upstream *u)
{
	const struct config *cfg = u->w->cfg;
	const struct snap_proxy *proxy;
	struct egress_target target;
	struct bufferevent *idle;
	const char *err;

	begin_attempt(u);
	u->result.stage = UPSTREAM_STAGE_RESOLVE;
	if (resolve_egress(u, &proxy) != 0)
		return -1;
	if (http_url_parse(u->url, &u->target, &err) != 0)
		return refuse(u, UPSTREAM_ERR_BAD_URL, UPSTREAM_STAGE_ROUTE, "provider %s has "
		    "an unusable base URL: %s", u->name, err);
	u->result.proxied = proxy != NULL;
	u->poolable = !u->no_pool && (proxy != NULL ? cfg->pool_proxied_idle_ms :
	    cfg->pool_idle_ms) > 0;
	if (u->sink == NULL) {
		if (u->body == NULL)
			u->body = evbuffer_new();
		else
			evbuffer_drain(u->body, evbuffer_get_length(u->body));
	}
	u->result.stage = UPSTREAM_STAGE_DNS;
	if (u->poolable && (idle = pool_take(u->w, u->target.host, (uint16_t)u->target.port,
	    u->target.tls, proxy != NULL ? u->via : NULL)) != NULL) {
		connected(u, idle);
		return 0;
	}
	target.host = u->target.host;
	target.port = (uint16_t)u->target.port;
	target.tls = u->target.tls;
	u->egress_started_us = monotonic_us();
	u->egress = egress_open(&u->w->egress_env, &target, proxy, on_egress_done, u);
	return 0;
}

int
upstream_refuse_route(struct upstream *u, const char *fmt, ...)
{
	va_list ap;

	begin_attempt(u);
	va_start(ap, fmt);
	end_with(u, UPSTREAM_ERR_BAD_URL, UPSTREAM_STAGE_ROUTE, fmt, ap);
	va_end(ap);
	return -1;
}

void
upstream_sink_drained(struct upstream *u)
{
	if (u->phase == UPSTREAM_BODY && u->bev != NULL)
		io_enable(u->bev, EV_READ);
}

void
upstream_abandon(struct upstream *u, const char *why)
{
	if (u->phase == UPSTREAM_IDLE)
		return;
	u->result.error = UPSTREAM_ERR_ABANDONED;
	u->result.stage = u->phase == UPSTREAM_BODY ? UPSTREAM_STAGE_BODY :
	    UPSTREAM_STAGE_REQUEST;
	str_copy(u->result.message, sizeof(u->result.message), why);
	end_attempt(u);
}

void
upstream_release(struct upstream *u)
{
	drop_connection(u);
	if (u->body != NULL) {
		evbuffer_free(u->body);
		u->body = NULL;
	}
	u->phase = UPSTREAM_IDLE;
}
