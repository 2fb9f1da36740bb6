/*
 * worker/oneproxy_page.c — job.oneproxy_page: fetch one page of the 1proxy
 * feed through the proxy the master resolved (the global one, or direct when
 * none is assigned), TLS verified, at most 4 MiB, within the page's time; read
 * it with the strict feed parser (common/oneproxy_feed.c) here, in the
 * worker, so the master never parses bytes from the internet; and answer the
 * rows worth importing as typed arrays, with how many were left out and why.
 * Args: {"url","timeoutMs","minQuality","allowPrivate","proxy":{…}|absent}.
 * Answer: 200 {"received","belowThreshold","failed","firstFailure","rows":
 * [[host,port,type,country,quality,latency,anonymity,google,validated,
 * validatedEpoch]…]}, or 502 {"error":"…"} saying what failed.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http_util.h"
#include "oneproxy_feed.h"
#include "provider_head.h"
#include "upstream.h"
#include "util.h"
#include "worker.h"

struct page_fetch {
	struct job		 job;		/* first: the job list holds &job */
	struct upstream		 up;
	struct event		*timer;
	struct job_proxy	 proxy;
	struct oneproxy_policy	 policy;
	char			 peer[300];
};

static void
page_free(struct page_fetch *f)
{
	upstream_release(&f->up);
	if (f->timer != NULL)
		event_free(f->timer);
	job_proxy_clear(&f->proxy);
	free(f);
}

static void
page_cancel(struct job *job)
{
	page_free((struct page_fetch *)job);
}

static void
page_fail(struct page_fetch *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
page_fail(struct page_fetch *f, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char message[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(message));
	job_finish(&f->job, 502, o);
	page_free(f);
}

static struct json_object *
row_json(const struct oneproxy_row *r)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(r->host));
	json_object_array_add(a, json_object_new_int(r->port));
	json_object_array_add(a, json_object_new_string(proxy_type_name(r->type)));
	json_object_array_add(a, r->country_code[0] ? json_object_new_string(r->country_code) : NULL);
	json_object_array_add(a, r->quality_score >= 0 ? json_object_new_int(r->quality_score) : NULL);
	json_object_array_add(a, r->latency_ms >= 0 ? json_object_new_int(r->latency_ms) : NULL);
	json_object_array_add(a, r->anonymity[0] ? json_object_new_string(r->anonymity) : NULL);
	json_object_array_add(a, r->google_access >= 0 ? json_object_new_int(r->google_access) : NULL);
	json_object_array_add(a, r->last_validated[0] ?
	    json_object_new_string(r->last_validated) : NULL);
	json_object_array_add(a, json_object_new_int64(r->last_validated_epoch));
	return a;
}

static void
on_page_done(struct upstream *u)
{
	struct page_fetch *f = u->arg;
	struct oneproxy_page *page;
	struct json_object *o, *rows;
	char err[300];
	size_t i, len;

	if (u->result.status != 0 && (u->result.status < 200 || u->result.status > 299)) {
		page_fail(f, "1proxy API returned %d", u->result.status);
		return;
	}
	if (u->result.error == UPSTREAM_ERR_TOO_LARGE) {
		page_fail(f, "1proxy API: feed page is larger than %u bytes",
		    ONEPROXY_PAGE_MAX_BYTES);
		return;
	}
	if (u->result.error != UPSTREAM_OK) {
		page_fail(f, "1proxy API unreachable (%s): %s",
		    upstream_stage_name(u->result.stage), u->result.message);
		return;
	}
	page = xcalloc(1, sizeof(*page));
	len = evbuffer_get_length(u->body);
	if (oneproxy_feed_parse(len ? (const char *)evbuffer_pullup(u->body, -1) : "", len,
	    &f->policy, page, err, sizeof(err)) != 0) {
		free(page);
		page_fail(f, "1proxy API: %s", err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "received", json_object_new_int64((int64_t)page->received));
	json_object_object_add(o, "belowThreshold",
	    json_object_new_int64((int64_t)page->below_threshold));
	json_object_object_add(o, "failed", json_object_new_int64((int64_t)page->failed));
	json_object_object_add(o, "firstFailure", page->first_failure[0] ?
	    json_object_new_string(page->first_failure) : NULL);
	rows = json_object_new_array();
	for (i = 0; i < page->nrows; i++)
		json_object_array_add(rows, row_json(&page->rows[i]));
	json_object_object_add(o, "rows", rows);
	free(page);
	job_finish(&f->job, 200, o);
	page_free(f);
}

static void
compose_page(struct upstream *u, struct textbuf *t, struct upstream_body *body)
{
	(void)body;
	textbuf_add_str(t, "GET ");
	textbuf_add_str(t, u->target.path);
	textbuf_add_str(t, " HTTP/1.1\r\n");
	provider_head_host(t, &u->target);
	textbuf_add_str(t, "User-Agent: omniroute\r\nAccept: application/json\r\n");
}

static const struct upstream_ops page_ops = {
	.compose = compose_page,
	.done = on_page_done,
};

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct page_fetch *f = arg;

	(void)fd;
	(void)what;
	upstream_abandon(&f->up, "the feed page's time ran out");
	page_fail(f, "1proxy API: no whole page from %s within the page's time", f->peer);
}

void
oneproxy_page_start(struct worker *w, uint64_t tag, struct json_object *args)
{
	struct page_fetch *f = xcalloc(1, sizeof(*f));
	struct upstream *u = &f->up;
	struct json_object *v;
	struct http_url url;
	const char *err, *target;
	long timeout_ms = 30000;
	struct timeval tv;

	f->job.w = w;
	f->job.tag = tag;
	f->job.cancel = page_cancel;
	TAILQ_INSERT_TAIL(&w->jobs, &f->job, entry);
	if (!json_object_object_get_ex(args, "url", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    http_url_parse(target = json_object_get_string(v), &url, &err) != 0) {
		page_fail(f, "1proxy: the feed URL is not usable");
		return;
	}
	if (json_object_object_get_ex(args, "proxy", &v) && v != NULL &&
	    job_proxy_take(&f->proxy, v) != 0) {
		page_fail(f, "1proxy: the global proxy could not be read");
		return;
	}
	f->policy.page_size = ONEPROXY_PAGE_SIZE;
	f->policy.min_quality = json_object_object_get_ex(args, "minQuality", &v) ?
	    json_object_get_int(v) : 50;
	f->policy.allow_private = json_object_object_get_ex(args, "allowPrivate", &v) &&
	    json_object_get_boolean(v);
	f->policy.refuse_socks5 = !w->cfg->enable_socks5_proxy;
	if (json_object_object_get_ex(args, "timeoutMs", &v) && json_object_get_int64(v) > 0)
		timeout_ms = (long)json_object_get_int64(v);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	f->timer = evtimer_new(w->base, on_timeout, f);
	evtimer_add(f->timer, &tv);
	snprintf(f->peer, sizeof(f->peer), "%s:%u", url.host, url.port);
	u->w = w;
	u->ops = &page_ops;
	u->arg = f;
	u->no_pool = true;
	u->collect_max = ONEPROXY_PAGE_MAX_BYTES;
	u->name = f->peer;
	u->url = target;
	u->fixed_egress = true;
	u->proxy = f->proxy.present ? &f->proxy.proxy : NULL;
	if (upstream_start(u) != 0)
		page_fail(f, "1proxy API unreachable (%s): %s",
		    upstream_stage_name(u->result.stage), u->result.message);
}
