/*
 * worker/probe.c — job.probe: prove a proxy (or direct egress) works by
 * sending one GET to a URL through it — DNS, TCP, proxy handshake, TLS, and
 * the HTTP status — and report where it broke, how long it took and, when the
 * answer names an address (ipify-style JSON {"ip"} or the address as plain
 * text, common/egress_ip.h), the public IP the target saw.
 * Args: {"proxy":{id,name,type,host,port,username,password}|null,"url","timeoutMs"}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "egress_ip.h"
#include "http_util.h"
#include "log.h"
#include "provider_head.h"
#include "upstream.h"
#include "util.h"
#include "worker.h"

#define PROBE_MAX_RESPONSE	(32 * 1024)

struct probe {
	struct job		 job;		/* first: the job list holds &job */
	struct upstream		 up;		/* the exchange (upstream.c) */
	struct event		*timer;
	struct job_proxy	 proxy;		/* the one to go through, if present */
	struct http_url		 url;
	char			 peer[300];	/* "host:port", in messages */
	uint64_t		 started_ms;
	struct json_object	*headers;	/* extra request headers (auth); wiped */
	bool			 require_ok;	/* success only for a 2xx answer */
	char			 level[16];	/* echoed: the resolution level */
};

static void
probe_free(struct probe *p)
{
	upstream_release(&p->up);
	if (p->timer != NULL)
		event_free(p->timer);
	if (p->headers != NULL) {
		json_object_object_foreach(p->headers, hname, hvalue) {
			(void)hname;
			explicit_bzero((char *)(uintptr_t)json_object_get_string(hvalue),
			    (size_t)json_object_get_string_len(hvalue));
		}
		json_object_put(p->headers);
	}
	job_proxy_clear(&p->proxy);
	free(p);
}

static void
probe_cancel(struct job *job)
{
	probe_free((struct probe *)job);
}

static void
probe_answer(struct probe *p, int http_status, const char *public_ip,
    const char *error)
{
	struct json_object *o = json_object_new_object();

	char refused[64];

	if (error == NULL && p->require_ok && (http_status < 200 || http_status > 299)) {
		snprintf(refused, sizeof(refused), "the provider answered %d", http_status);
		error = refused;
	}
	json_object_object_add(o, "success", json_object_new_boolean(error == NULL));
	if (p->level[0] != '\0')
		json_object_object_add(o, "level", json_object_new_string(p->level));
	json_object_object_add(o, "status", http_status > 0 ?
	    json_object_new_int(http_status) : NULL);
	json_object_object_add(o, "latencyMs", json_object_new_int64(
	    (int64_t)(monotonic_ms() - p->started_ms)));
	json_object_object_add(o, "stage", json_object_new_string(error == NULL ?
	    "done" : upstream_stage_name(p->up.result.stage)));
	json_object_object_add(o, "error", error != NULL ? json_object_new_string(error) : NULL);
	json_object_object_add(o, "publicIp", public_ip != NULL ?
	    json_object_new_string(public_ip) : NULL);
	json_object_object_add(o, "proxyId", p->proxy.present ?
	    json_object_new_string(p->proxy.proxy.id) : NULL);
	json_object_object_add(o, "proxyUrl", p->proxy.present ?
	    json_object_new_string(p->proxy.url) : NULL);
	json_object_object_add(o, "url", json_object_new_string(p->url.host));
	job_finish(&p->job, 200, o);
	probe_free(p);
}

/*
 * The exchange ended. Any answer with a status is the probe's answer (its
 * body need not be whole, nor read at all); a small whole body that names an
 * address (JSON {"ip"} or plain text) gives the public address the target
 * saw.
 */
static void
on_probe_done(struct upstream *u)
{
	struct probe *p = u->arg;
	char ip[EGRESS_IP_MAX];
	bool named = false;
	size_t len;

	if (u->result.status == 0) {
		probe_answer(p, 0, NULL, u->result.message);
		return;
	}
	if (u->result.error == UPSTREAM_OK && (len = evbuffer_get_length(u->body)) > 0)
		named = egress_ip_from_body((const char *)evbuffer_pullup(u->body, -1),
		    len, ip);
	probe_answer(p, u->result.status, named ? ip : NULL, NULL);
}

static void
compose_probe(struct upstream *u, struct textbuf *t, struct upstream_body *body)
{
	struct probe *p = u->arg;

	(void)body;
	textbuf_add_str(t, "GET ");
	textbuf_add_str(t, u->target.path);
	textbuf_add_str(t, " HTTP/1.1\r\n");
	provider_head_host(t, &u->target);
	textbuf_add_str(t, "User-Agent: omniroute-probe\r\nAccept: */*\r\n");
	provider_head_auth(t, "none", NULL, p->headers, NULL);	/* auth is among them */
}

static const struct upstream_ops probe_ops = {
	.compose = compose_probe,
	.done = on_probe_done,
};

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	char error[400];

	(void)fd;
	(void)what;
	snprintf(error, sizeof(error), "no answer from %s:%u within the probe's time",
	    p->url.host, p->url.port);
	probe_answer(p, 0, NULL, error);
}

void
probe_start(struct worker *w, uint64_t tag, struct json_object *args)
{
	struct probe *p = xcalloc(1, sizeof(*p));
	struct upstream *u = &p->up;
	struct json_object *v;
	const char *err, *url;
	long timeout_ms = 15000;
	struct timeval tv;

	p->job.w = w;
	p->job.tag = tag;
	p->job.cancel = probe_cancel;
	p->started_ms = monotonic_ms();
	TAILQ_INSERT_TAIL(&w->jobs, &p->job, entry);
	if (!json_object_object_get_ex(args, "url", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    http_url_parse(url = json_object_get_string(v), &p->url, &err) != 0) {
		job_finish(&p->job, 400, error_envelope(400, "probe: bad url", NULL));
		probe_free(p);
		return;
	}
	if (json_object_object_get_ex(args, "proxy", &v) && v != NULL &&
	    job_proxy_take(&p->proxy, v) != 0) {
		job_finish(&p->job, 400, error_envelope(400, "probe: bad proxy", NULL));
		probe_free(p);
		return;
	}
	if (json_object_object_get_ex(args, "headers", &v) &&
	    json_object_is_type(v, json_type_object))
		json_object_deep_copy(v, &p->headers, NULL);
	if (json_object_object_get_ex(args, "requireOk", &v))
		p->require_ok = json_object_get_boolean(v);
	if (json_object_object_get_ex(args, "level", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(p->level, sizeof(p->level), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(args, "timeoutMs", &v) && json_object_get_int64(v) > 0)
		timeout_ms = (long)json_object_get_int64(v);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	p->timer = evtimer_new(w->base, on_timeout, p);
	evtimer_add(p->timer, &tv);
	/* the probe's own deadline covers the head and the body: none of the
	 * exchange's; a fresh connection through exactly the proxy given, and
	 * the job's key wiped from the scratch buffer like its headers */
	snprintf(p->peer, sizeof(p->peer), "%s:%u", p->url.host, p->url.port);
	u->w = w;
	u->ops = &probe_ops;
	u->arg = p;
	u->no_pool = true;
	u->wipe_request = true;
	u->collect_max = PROBE_MAX_RESPONSE;
	u->name = p->peer;
	u->url = url;
	u->fixed_egress = true;
	u->proxy = p->proxy.present ? &p->proxy.proxy : NULL;
	if (upstream_start(u) != 0)
		probe_answer(p, 0, NULL, u->result.message);
}
