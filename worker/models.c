/*
 * worker/models.c — GET /v1/models: what a client may put in "model". For each
 * provider the relay could route to (one with an active connection, or one
 * that needs no key), GET {baseUrl}/models is sent through that provider's
 * best connection — the first active one by priority that is not cooling
 * down, as the relay would pick — and through the proxy the shared resolution
 * assigns it, fail-closed exactly like a relayed call; when that attempt
 * fails (egress, a refusing assignment, no answer, 401/403/429/5xx) the next
 * connection is asked, as the relay fails over. The providers are asked
 * at once; each fetch has the relay's deadlines (egress stages, response head,
 * body idle) and reads at most MODELS_MAX_BODY. Their ids come back prefixed
 * "provider/", followed by one entry per combo. A provider that cannot answer
 * leaves its models out and names itself in a top-level "errors" array; it
 * never fails the whole list.
 *
 * GET /v1/models/{provider/model} asks that provider for {baseUrl}/models/
 * {model} the same way and answers its object with the id prefixed (404 in
 * the relay's error shape when the provider does not know it); a combo name
 * answers the combo's entry without asking anyone.
 *
 * Every fetch reports its outcome to the master like a relay attempt. All
 * state of a call lives in struct models_call, hung off the client connection
 * (c->models), so a client that leaves cancels its fetches.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "chunked.h"
#include "egress.h"
#include "http_response.h"
#include "http_util.h"
#include "log.h"
#include "models.h"
#include "provider_head.h"
#include "resolve.h"
#include "util.h"
#include "worker.h"

#define MODELS_MAX_RESPONSE_HEAD	(64 * 1024)
#define MODELS_MAX_INTERIM		8
#define MODELS_MAX_TRIES		8	/* connections asked per provider */
/* Anthropic lists 20 models a page unless asked for more (at most 1000) */
#define MODELS_ANTHROPIC_QUERY		"?limit=1000"

/* ---- one upstream fetch --------------------------------------------------- */

enum fetch_state {
	FETCH_CONNECTING,
	FETCH_AWAIT_HEAD,
	FETCH_BODY,
	FETCH_DONE,
};

/*
 * One provider asked once. The routing fields are copied out of the snapshot:
 * a delta may replace it while the fetch is in flight.
 */
struct models_fetch {
	struct models_call	*call;
	char			 provider[65];
	char			 connection[40];	/* "" for an auth-less provider */
	char			 auth_style[16];
	char			*base_url;
	char			*key;		/* wiped */
	struct json_object	*headers;	/* the provider's extra headers (a copy) */
	char			 level[16];
	char			 level_id[80];
	char			 proxy_id[40];
	struct http_url		 url;
	struct egress		*egress;
	struct bufferevent	*up;
	enum fetch_state	 state;
	struct http_response_head resp;
	int			 interim;
	uint64_t		 remaining;	/* Content-Length framing */
	struct chunked_state	 chunks;
	struct evbuffer		*body;		/* the entity, de-chunked */
	uint64_t		 started_ms;
	/* the result: models (list) or one (single), else what went wrong */
	struct json_object	*models;
	struct json_object	*one;
	int			 upstream_status;	/* 0: no HTTP answer */
	int			 reply_status;		/* for a single-model call */
	char			 stage[24];
	char			 code[40];
	char			 message[600];
	char			 tried[MODELS_MAX_TRIES][40];	/* connections asked */
	size_t			 ntried;
};

struct models_call {
	struct http_conn	*c;
	struct worker		*w;
	bool			 single;
	char			 model[256];	/* single: the provider's model name */
	struct models_fetch	*fetch;
	size_t			 nfetch;
	size_t			 pending;	/* fetches not done yet (+1 while starting) */
	struct json_object	*errors;	/* entries found before any fetch */
};

static void call_fetch_done(struct models_call *call);
static void fetch_start(struct models_fetch *f);

/*
 * The fetch's outcome, queued for the master exactly as a relay attempt's
 * (common/outcome_batch.h; worker/relay.c). The model is the one asked for,
 * or "models" for a list, so proxy_logs shows "openai/models".
 */
static void
report_outcome(struct models_fetch *f, const char *status, const char *stage,
    const char *error)
{
	struct models_call *call = f->call;
	struct outcome o = {
		.key = {
			[OC_STATUS] = status,
			[OC_PROXY_ID] = f->proxy_id,
			[OC_LEVEL] = f->level,
			[OC_LEVEL_ID] = f->level_id,
			[OC_PROVIDER] = f->provider,
			[OC_MODEL] = call->single ? call->model : "models",
			[OC_CONNECTION_ID] = f->connection,
			[OC_COMBO_ID] = NULL,
			[OC_STAGE] = stage,
		},
		.error = error,
		.latency_ms = monotonic_ms() - f->started_ms,
		.bytes = f->body != NULL ? evbuffer_get_length(f->body) : 0,
	};

	outcomes_queue(call->w, &o);
}

/* Close what the fetch holds upstream (the result stays). */
static void
fetch_release(struct models_fetch *f)
{
	if (f->egress != NULL) {
		egress_cancel(f->egress);
		f->egress = NULL;
	}
	if (f->up != NULL) {
		bufferevent_free(f->up);
		f->up = NULL;
	}
	if (f->body != NULL) {
		evbuffer_free(f->body);
		f->body = NULL;
	}
}

static void
fetch_free(struct models_fetch *f)
{
	fetch_release(f);
	json_object_put(f->headers);
	json_object_put(f->models);
	json_object_put(f->one);
	free(f->base_url);
	if (f->key != NULL) {
		explicit_bzero(f->key, strlen(f->key));
		free(f->key);
	}
}

/* Leave out a connection that rests or that this fetch asked already. */
static bool
resting_or_asked(void *fetch, const struct route_connection *c)
{
	struct models_fetch *f = fetch;
	size_t k;

	for (k = 0; k < f->ntried && strcmp(f->tried[k], c->id) != 0; k++)
		;
	return k < f->ntried || relay_in_cooldown(f->call->w, c->id);
}

/* The provider's next active connection not asked yet and not resting. */
static const struct route_connection *
next_connection(struct models_fetch *f)
{
	const struct route_provider *p = route_find_provider(&f->call->w->snap.routes,
	    f->provider);

	return p != NULL ? route_first_connection(p, resting_or_asked, f) : NULL;
}

/*
 * As the relay fails over: a failed egress, a refusing assignment, no
 * answer, or 401/403/429/5xx from the provider sends the fetch to the
 * provider's next connection (a 401/403/429 one rests first). true when a
 * new attempt has started.
 */
static bool
try_another_connection(struct models_fetch *f, const char *stage)
{
	int status = f->upstream_status;
	const struct route_connection *next;

	if (f->connection[0] == '\0' || strcmp(stage, "route") == 0 ||
	    strcmp(stage, "body") == 0)
		return false;
	if (status == 401 || status == 403 || status == 429)
		relay_cool_down(f->call->w, f->connection);
	else if (status != 0 && status < 500)
		return false;
	if (f->ntried >= MODELS_MAX_TRIES || (next = next_connection(f)) == NULL)
		return false;
	fetch_release(f);
	str_copy(f->connection, sizeof(f->connection), next->id);
	str_copy(f->tried[f->ntried++], sizeof(f->tried[0]), f->connection);
	if (f->key != NULL) {
		explicit_bzero(f->key, strlen(f->key));
		free(f->key);
	}
	f->key = xstrdup(next->key);
	f->upstream_status = 0;
	f->interim = 0;
	f->proxy_id[0] = '\0';
	fetch_start(f);
	return true;
}

/*
 * The fetch failed: remember where and why (no secrets: egress messages name
 * the proxy without credentials, and the provider's error body is not read),
 * report it, and let the call go on.
 */
static void
fetch_fail(struct models_fetch *f, const char *stage, const char *code,
    int reply_status, bool timeout, const char *fmt, ...)
{
	va_list ap;

	if (f->state == FETCH_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	snprintf(f->stage, sizeof(f->stage), "%s", stage);
	snprintf(f->code, sizeof(f->code), "%s", code);
	f->reply_status = reply_status;
	report_outcome(f, timeout ? "timeout" : "error", stage, f->message);
	if (try_another_connection(f, stage))
		return;
	f->state = FETCH_DONE;
	fetch_release(f);
	call_fetch_done(f->call);
}

/* The whole body is in f->body: judge it. */
static void
fetch_complete(struct models_fetch *f)
{
	size_t len = evbuffer_get_length(f->body), skipped;
	const char *buf = len > 0 ? (const char *)evbuffer_pullup(f->body, -1) : "";
	char err[300];

	if (f->call->single) {
		f->one = models_prefix_one(f->provider, f->call->model, buf, len, err,
		    sizeof(err));
		if (f->one == NULL) {
			fetch_fail(f, "body", "UPSTREAM_MALFORMED", 502, false, "%s", err);
			return;
		}
	} else {
		f->models = json_object_new_array();
		if (models_merge(f->models, f->provider, buf, len, &skipped, err,
		    sizeof(err)) < 0) {
			json_object_put(f->models);
			f->models = NULL;
			fetch_fail(f, "body", "UPSTREAM_MALFORMED", 502, false, "%s", err);
			return;
		}
		if (skipped > 0)
			log_debug("models: %s: %zu entries without a usable id left out",
			    f->provider, skipped);
	}
	report_outcome(f, "success", "done", NULL);
	f->state = FETCH_DONE;
	fetch_release(f);
	call_fetch_done(f->call);
}

static void
set_read_deadline(struct models_fetch *f, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	bufferevent_set_timeouts(f->up, &tv, NULL);
}

static void
fail_too_large(struct models_fetch *f)
{
	fetch_fail(f, "body", "UPSTREAM_TOO_LARGE", 502, false, "%s sent more than %d MiB "
	    "of models; the rest was not read", f->provider, MODELS_MAX_BODY >> 20);
}

/* Take the body bytes the framing allows; true when the body is complete. */
static bool
take_body(struct models_fetch *f)
{
	struct evbuffer *in = bufferevent_get_input(f->up);
	size_t avail, n, used;

	switch (f->resp.framing) {
	case HTTP_RESPONSE_NO_BODY:
		return true;
	case HTTP_RESPONSE_LENGTH:
		avail = evbuffer_get_length(in);
		n = avail < f->remaining ? avail : (size_t)f->remaining;
		evbuffer_remove_buffer(in, f->body, n);
		f->remaining -= n;
		return f->remaining == 0;
	case HTTP_RESPONSE_UNTIL_CLOSE:
		evbuffer_remove_buffer(in, f->body, evbuffer_get_length(in));
		return false;
	case HTTP_RESPONSE_CHUNKED:
		/* chunk-data in one step, each framing byte on its own (chunked.h) */
		while ((avail = evbuffer_get_length(in)) > 0 &&
		    f->chunks.step != CHUNKED_DONE && f->chunks.step != CHUNKED_INVALID) {
			if (f->chunks.step == CHUNKED_DATA) {
				n = avail < f->chunks.chunk_remaining ? avail :
				    (size_t)f->chunks.chunk_remaining;
				chunked_feed(&f->chunks, (const char *)evbuffer_pullup(in,
				    (ssize_t)n), n, &used);
				evbuffer_remove_buffer(in, f->body, used);
				if (evbuffer_get_length(f->body) > MODELS_MAX_BODY)
					return false;
			} else {
				chunked_feed(&f->chunks, (const char *)evbuffer_pullup(in, 1), 1,
				    &used);
				evbuffer_drain(in, used);
			}
		}
		return f->chunks.step == CHUNKED_DONE;
	}
	return false;
}

/*
 * Take what arrived; true when that ended the fetch — f (and the whole call,
 * when it was the last fetch) may be gone then.
 */
static bool
read_body(struct models_fetch *f)
{
	bool complete = take_body(f);

	if (f->resp.framing == HTTP_RESPONSE_CHUNKED && f->chunks.step == CHUNKED_INVALID) {
		fetch_fail(f, "body", "UPSTREAM_MALFORMED", 502, false, "%s sent malformed "
		    "chunked framing: %s", f->provider, f->chunks.error_message);
		return true;
	}
	if (evbuffer_get_length(f->body) > MODELS_MAX_BODY) {
		fail_too_large(f);
		return true;
	}
	if (complete) {
		fetch_complete(f);
		return true;
	}
	return false;
}

static void
on_upstream_read(struct bufferevent *bev, void *arg)
{
	struct models_fetch *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len, look;
	enum parse p;

	while (f->state == FETCH_AWAIT_HEAD) {
		len = evbuffer_get_length(in);
		if (len == 0)
			return;
		look = len < MODELS_MAX_RESPONSE_HEAD ? len : MODELS_MAX_RESPONSE_HEAD;
		p = http_parse_response_head((const char *)evbuffer_pullup(in, (ssize_t)look),
		    look, MODELS_MAX_RESPONSE_HEAD, false, &f->resp);
		if (p == PARSE_MORE)
			return;
		if (p == PARSE_INVALID) {
			fetch_fail(f, "response", "UPSTREAM_MALFORMED", 502, false,
			    "%s sent a malformed response: %s", f->provider,
			    f->resp.error_message);
			return;
		}
		if (f->resp.status < 200) {	/* 100 Continue, 103 Early Hints */
			evbuffer_drain(in, f->resp.head_len);
			if (++f->interim > MODELS_MAX_INTERIM) {
				fetch_fail(f, "response", "UPSTREAM_MALFORMED", 502, false,
				    "%s sent too many interim responses", f->provider);
				return;
			}
			continue;
		}
		f->upstream_status = f->resp.status;
		if (f->resp.status == 404 && f->call->single) {
			fetch_fail(f, "response", "model_not_found", 404, false,
			    "The model '%s/%s' does not exist (%s answered 404)",
			    f->provider, f->call->model, f->provider);
			return;
		}
		if (f->resp.status < 200 || f->resp.status > 299) {
			fetch_fail(f, "response", "UPSTREAM_STATUS", 502, false,
			    "%s answered %d", f->provider, f->resp.status);
			return;
		}
		if (f->resp.framing == HTTP_RESPONSE_LENGTH &&
		    f->resp.content_length > MODELS_MAX_BODY) {
			fail_too_large(f);
			return;
		}
		evbuffer_drain(in, f->resp.head_len);
		f->state = FETCH_BODY;
		f->remaining = f->resp.content_length;
		chunked_init(&f->chunks);
		set_read_deadline(f, f->call->w->cfg->body_idle_timeout_ms);
	}
	(void)read_body(f);
}

static void
on_upstream_event(struct bufferevent *bev, short what, void *arg)
{
	struct models_fetch *f = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		if (f->state == FETCH_AWAIT_HEAD)
			fetch_fail(f, "response", "UPSTREAM_TIMEOUT", 504, true, "%s: no "
			    "response head within %ld ms (timed out)", f->provider,
			    f->call->w->cfg->response_head_timeout_ms);
		else
			fetch_fail(f, "body", "UPSTREAM_TIMEOUT", 504, true, "%s: no body "
			    "bytes within %ld ms (timed out)", f->provider,
			    f->call->w->cfg->body_idle_timeout_ms);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (f->state == FETCH_AWAIT_HEAD) {
		fetch_fail(f, "response", "UPSTREAM_CLOSED", 502, false,
		    "%s closed the connection before answering", f->provider);
		return;
	}
	/* what arrived with the close first, then judge */
	if (read_body(f))
		return;
	if (f->resp.framing == HTTP_RESPONSE_UNTIL_CLOSE && (what & BEV_EVENT_EOF)) {
		fetch_complete(f);
		return;
	}
	fetch_fail(f, "body", "UPSTREAM_CLOSED", 502, false,
	    "%s closed the connection mid-body", f->provider);
}

static void
write_request(struct models_fetch *f)
{
	/* composed aside and written whole: one TLS record, not one per line */
	struct textbuf *t = &f->call->w->scratch;

	textbuf_reset(t);
	textbuf_add_str(t, "GET ");
	textbuf_add_str(t, f->url.path);
	textbuf_add_str(t, " HTTP/1.1\r\n");
	provider_head_host(t, &f->url);
	textbuf_add_str(t, "Accept: application/json\r\nUser-Agent: omniroute\r\n");
	provider_head_auth(t, f->auth_style, f->key, f->headers, NULL);
	textbuf_add_str(t, "Connection: close\r\n\r\n");
	bufferevent_write(f->up, t->data, t->len);
}

static void
on_egress_ready(struct bufferevent *bev, enum egress_stage stage, const char *error,
    void *arg)
{
	struct models_fetch *f = arg;

	f->egress = NULL;
	if (bev == NULL) {
		fetch_fail(f, egress_stage_name(stage), stage == EGRESS_TLS ?
		    "UPSTREAM_TLS" : f->proxy_id[0] ? "PROXY_UNREACHABLE" :
		    "UPSTREAM_UNREACHABLE", strstr(error, "timed out") ? 504 : 502,
		    strstr(error, "timed out") != NULL, "%s", error);
		return;
	}
	f->up = bev;
	f->state = FETCH_AWAIT_HEAD;
	f->body = evbuffer_new();
	write_request(f);
	set_read_deadline(f, f->call->w->cfg->response_head_timeout_ms);
	bufferevent_setcb(bev, on_upstream_read, NULL, on_upstream_event, f);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Encode a model name for a path: unreserved, '/', ':', '@' and '+' as they are. */
static int
append_model_path(char *out, size_t outlen, const char *model)
{
	size_t o = strlen(out);
	const unsigned char *s;

	for (s = (const unsigned char *)model; *s != '\0'; s++) {
		bool plain = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/:@+", *s) != NULL;
		if (o + (plain ? 1 : 3) >= outlen)
			return -1;
		if (plain)
			out[o++] = (char)*s;
		else
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", *s);
	}
	out[o] = '\0';
	return 0;
}

/* Resolve the fetch's egress (fail-closed) and start it. */
static void
fetch_start(struct models_fetch *f)
{
	struct worker *w = f->call->w;
	struct resolve_request req;
	struct resolve_result res;
	struct egress_target target;
	char url[2400];
	const char *err;
	size_t blen = strlen(f->base_url);

	f->started_ms = monotonic_ms();
	memset(&req, 0, sizeof(req));
	req.connection_id = f->connection[0] ? f->connection : NULL;
	req.provider_id = f->provider;
	req.fail_open = w->cfg->proxy_fail_open;
	proxy_resolve(&w->snap, &req, &res);
	snprintf(f->level, sizeof(f->level), "%s", resolve_level_name(&res));
	snprintf(f->level_id, sizeof(f->level_id), "%s", res.level_id ? res.level_id : "");
	if (res.outcome == RESOLVE_REFUSED) {
		fetch_fail(f, "resolve", "PROXY_ASSIGNED_UNAVAILABLE", 503, false,
		    "PROXY_ASSIGNED_UNAVAILABLE: the proxy assigned at the %s level is "
		    "inactive or missing; refusing to egress directly", f->level);
		return;
	}
	if (res.outcome == RESOLVE_PROXY) {
		snprintf(f->proxy_id, sizeof(f->proxy_id), "%s", res.proxy->id);
		if (res.proxy->type == PROXY_TYPE_SOCKS5 && !w->cfg->enable_socks5_proxy) {
			fetch_fail(f, "resolve", "SOCKS5_DISABLED", 503, false, "SOCKS5 proxy "
			    "is disabled (set ENABLE_SOCKS5_PROXY=true to enable); the %s "
			    "level assigns a SOCKS5 proxy", f->level);
			return;
		}
	}
	while (blen > 0 && f->base_url[blen - 1] == '/')
		blen--;
	if (blen >= 2048) {
		fetch_fail(f, "route", "UPSTREAM_UNREACHABLE", 502, false, "provider %s has "
		    "an unusable base URL: too long", f->provider);
		return;
	}
	snprintf(url, sizeof(url), "%.*s/models", (int)blen, f->base_url);
	if (f->call->single) {
		strcat(url, "/");
		if (append_model_path(url, sizeof(url), f->call->model) != 0) {
			fetch_fail(f, "route", "model_not_found", 404, false,
			    "model name too long");
			return;
		}
	} else if (strcmp(f->auth_style, "x-api-key") == 0) {
		strcat(url, MODELS_ANTHROPIC_QUERY);
	}
	if (http_url_parse(url, &f->url, &err) != 0) {
		fetch_fail(f, "route", "UPSTREAM_UNREACHABLE", 502, false, "provider %s has "
		    "an unusable base URL: %s", f->provider, err);
		return;
	}
	target.host = f->url.host;
	target.port = (uint16_t)f->url.port;
	target.tls = f->url.tls;
	f->state = FETCH_CONNECTING;
	f->egress = egress_open(&w->egress_env, &target, res.outcome == RESOLVE_PROXY ? res.proxy : NULL,
	    on_egress_ready, f);
}

/* ---- the call ---------------------------------------------------------------- */

static void
call_free(struct models_call *call)
{
	size_t i;

	for (i = 0; i < call->nfetch; i++)
		fetch_free(&call->fetch[i]);
	free(call->fetch);
	json_object_put(call->errors);
	if (call->c != NULL)
		call->c->models = NULL;
	free(call);
}

void
models_abort(struct models_call *call)
{
	size_t i;

	for (i = 0; i < call->nfetch; i++)
		if (call->fetch[i].state != FETCH_DONE)
			report_outcome(&call->fetch[i], "error", "request",
			    "the client went away");
	call->c = NULL;
	call_free(call);
}

/* An error in the relay's shape: the envelope with "code" when there is one. */
static void
respond_error(struct http_conn *c, int status, const char *code, const char *message)
{
	struct json_object *env = error_envelope(status, message, NULL), *err;

	if (code != NULL && *code != '\0' && json_object_object_get_ex(env, "error", &err))
		json_object_object_add(err, "code", json_object_new_string(code));
	http_respond_json(c, status, env);
}

static struct json_object *
error_entry(const char *provider, const char *connection, const char *stage, int status,
    const char *code, const char *message)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "provider", json_object_new_string(provider));
	json_object_object_add(o, "connection", connection != NULL && *connection != '\0' ?
	    json_object_new_string(connection) : NULL);
	json_object_object_add(o, "stage", json_object_new_string(stage));
	json_object_object_add(o, "status", status > 0 ? json_object_new_int(status) : NULL);
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	return o;
}

static struct json_object *
combo_entry(const char *name)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(name));
	json_object_object_add(o, "object", json_object_new_string("model"));
	json_object_object_add(o, "created", json_object_new_int64(0));
	json_object_object_add(o, "owned_by", json_object_new_string("combo"));
	return o;
}

/* Every fetch is done: one answer, in provider order, then the combos. */
static void
respond_list(struct models_call *call)
{
	struct json_object *o = json_object_new_object(), *data = json_object_new_array();
	struct json_object *errors = call->errors;
	struct http_conn *c = call->c;
	size_t i, j;

	call->errors = NULL;
	for (i = 0; i < call->nfetch; i++) {
		struct models_fetch *f = &call->fetch[i];
		if (f->models != NULL) {
			for (j = 0; j < json_object_array_length(f->models); j++)
				json_object_array_add(data, json_object_get(
				    json_object_array_get_idx(f->models, j)));
			continue;
		}
		json_object_array_add(errors, error_entry(f->provider, f->connection,
		    f->stage, f->upstream_status, f->code, f->message));
	}
	for (i = 0; i < call->w->snap.routes.combo_count; i++)
		json_object_array_add(data, combo_entry(call->w->snap.routes.combos[i].id));
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", data);
	if (json_object_array_length(errors) > 0)
		json_object_object_add(o, "errors", errors);
	else
		json_object_put(errors);
	call_free(call);
	http_respond_json(c, 200, o);
}

static void
respond_single(struct models_call *call)
{
	struct models_fetch *f = &call->fetch[0];
	struct http_conn *c = call->c;
	struct json_object *one = f->one;
	char message[sizeof(f->message)], code[sizeof(f->code)];
	int status = f->reply_status ? f->reply_status : 502;

	f->one = NULL;
	snprintf(message, sizeof(message), "%s", f->message);
	snprintf(code, sizeof(code), "%s", f->code);
	call_free(call);
	if (one != NULL)
		http_respond_json(c, 200, one);
	else
		respond_error(c, status, code, message);
}

static void
call_fetch_done(struct models_call *call)
{
	if (--call->pending > 0)
		return;
	if (call->single)
		respond_single(call);
	else
		respond_list(call);
}

/* ---- choosing what to ask ------------------------------------------------------ */

static bool
resting(void *w, const struct route_connection *c)
{
	return relay_in_cooldown(w, c->id);
}

/*
 * Add a fetch for provider if the relay could route to it: through its best
 * connection (the first active one by priority that is not resting, as the
 * relay orders them), or without one when it needs no key. One whose
 * connections all rest leaves an error entry instead; one without any is not
 * listed. What the fetch needs is copied out of the snapshot.
 */
static void
add_fetch(struct models_call *call, const struct route_provider *provider)
{
	const struct route_connection *conn = route_first_connection(provider, resting,
	    call->w);
	struct models_fetch *f;
	char message[300];

	if (conn == NULL && provider->active_count > 0) {
		snprintf(message, sizeof(message), "every active connection of %s is cooling "
		    "down after a 401/403/429", provider->id);
		json_object_array_add(call->errors, error_entry(provider->id, NULL, "route",
		    0, "NO_CONNECTION", message));
		return;
	}
	if (conn == NULL && provider->auth != ROUTE_AUTH_NONE)
		return;
	f = &call->fetch[call->nfetch++];
	memset(f, 0, sizeof(*f));
	f->call = call;
	f->state = FETCH_CONNECTING;
	snprintf(f->provider, sizeof(f->provider), "%s", provider->id);
	f->base_url = xstrdup(provider->base_url);
	snprintf(f->auth_style, sizeof(f->auth_style), "%s", route_auth_name(provider->auth));
	if (provider->headers != NULL)
		json_object_deep_copy(provider->headers, &f->headers, NULL);
	if (conn != NULL) {
		snprintf(f->connection, sizeof(f->connection), "%s", conn->id);
		f->key = xstrdup(conn->key);
		str_copy(f->tried[f->ntried++], sizeof(f->tried[0]), f->connection);
	}
}

/* Start every fetch; the answer goes out when the last one is done. */
static void
call_run(struct models_call *call)
{
	size_t i;

	call->pending = call->nfetch + 1;	/* a fetch may fail at once */
	for (i = 0; i < call->nfetch; i++)
		fetch_start(&call->fetch[i]);
	call_fetch_done(call);
}

/* "/v1/models/{id}": provider/model asks the provider; a combo answers itself. */
static void
start_single(struct models_call *call, const char *raw_id)
{
	struct http_conn *c = call->c;
	char id[512], provider[65], message[700];
	const struct route_provider *p;
	const char *slash, *seg;
	size_t n;

	if (percent_decode(raw_id, strlen(raw_id), false, id, sizeof(id)) != 0 ||
	    id[0] == '\0') {
		call_free(call);
		respond_error(c, 404, "model_not_found", "no such model: use "
		    "/v1/models/provider/model or a combo name");
		return;
	}
	slash = strchr(id, '/');
	n = slash != NULL ? (size_t)(slash - id) : 0;
	if (slash != NULL && n < sizeof(provider) && slash[1] != '\0') {
		memcpy(provider, id, n);
		provider[n] = '\0';
		p = route_find_provider(&call->w->snap.routes, provider);
	} else {
		p = NULL;
	}
	if (p == NULL) {
		const struct route_combo *combo = route_find_combo(&call->w->snap.routes, id);
		call_free(call);
		if (combo != NULL) {
			http_respond_json(c, 200, combo_entry(id));
			return;
		}
		snprintf(message, sizeof(message), "The model '%.300s' does not exist: use "
		    "provider/model or a combo name", id);
		respond_error(c, 404, "model_not_found", message);
		return;
	}
	/* the name goes into the provider's path: no dot segments, no empty ones */
	for (seg = slash + 1;; seg += n + 1) {
		n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			call_free(call);
			respond_error(c, 400, NULL, "the model name has an empty, '.' or '..' "
			    "path segment");
			return;
		}
		if (seg[n] == '\0')
			break;
	}
	if (strlen(id) > MODELS_MAX_ID) {
		call_free(call);
		respond_error(c, 404, "model_not_found", "model name too long");
		return;
	}
	snprintf(call->model, sizeof(call->model), "%s", slash + 1);
	call->fetch = xcalloc(1, sizeof(*call->fetch));
	add_fetch(call, p);
	if (call->nfetch == 0) {
		struct json_object *e = json_object_array_get_idx(call->errors, 0);
		if (e != NULL) {	/* read before call_free drops it */
			snprintf(message, sizeof(message), "%s", json_object_get_string(
			    json_object_object_get(e, "message")));
			call_free(call);
			respond_error(c, 503, "NO_CONNECTION", message);
		} else {
			call_free(call);
			snprintf(message, sizeof(message), "no active connection for provider "
			    "'%s' (omnirctl conn add %s --name NAME --key KEY)", provider,
			    provider);
			respond_error(c, 503, NULL, message);
		}
		return;
	}
	call_run(call);
}

void
models_start(struct http_conn *c)
{
	const struct route_tables *t = &c->w->snap.routes;
	struct models_call *call;
	size_t i;

	if (strcmp(c->method, "GET") != 0) {
		respond_error(c, 405, NULL, "/v1/models takes GET");
		return;
	}
	call = xcalloc(1, sizeof(*call));
	call->c = c;
	call->w = c->w;
	call->errors = json_object_new_array();
	c->models = call;
	/* the answer is on its way from the loop; reading stays on only to
	 * notice a client that leaves (http_server.c caps what it may send) */
	c->state = CONN_WAITING_MASTER;
	bufferevent_enable(c->bev, EV_READ);
	if (strncmp(c->path, "/v1/models/", 11) == 0) {
		call->single = true;
		start_single(call, c->path + 11);
		return;
	}
	call->fetch = xcalloc(t->provider_count, sizeof(*call->fetch));
	for (i = 0; i < t->provider_count; i++)
		add_fetch(call, &t->providers[i]);
	call_run(call);
}
