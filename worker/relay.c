/*
 * worker/relay.c — the reason omniroute exists: a client's /v1 call leaves
 * for the provider through the proxy the registry assigns, and the answer
 * streams back as it arrives.
 *
 *   route (body "model": provider/model or a combo) → candidates (the
 *   provider's active connections by priority, per combo target) → for each:
 *   resolve the proxy (fail-closed) → egress (DNS, TCP, proxy, TLS) → the
 *   rewritten request → the response head → failover on 401/403/429/5xx or a
 *   failed attempt while nothing reached the client → stream the body
 *   (Content-Length, chunked or until close) unbuffered, with backpressure.
 *
 * Upstream modes (API.md): in cliproxyapi mode each connection's candidate
 * goes to CLIPROXYAPI_URL instead of the provider; in fallback mode one
 * CLIProxyAPI candidate follows the provider's native ones and is tried only
 * after the provider itself answered 429 or 5xx, with that connection — an
 * egress failure (dead proxy, refused, wrong credentials, inactive) never
 * becomes a CLIProxyAPI call. The hop keeps its connection and resolves like
 * any egress (account level first); only a loopback CLIPROXYAPI_URL makes it
 * local: direct, labelled "delegated", whatever is assigned.
 *
 * Pools (issue 11): the exchange picks the member of the deciding pool and
 * fails over to the next member itself (worker/upstream.c) before the
 * relay's failover to another connection sees a result; an exhausted pool
 * is refused naming each member and its stage, never direct.
 * X-OmniRoute-Proxy-Attempts counts the members the exchange tried.
 *
 * Each attempt is one exchange of worker/upstream.c (this file is its user,
 * as nginx's proxy module is of its upstream module): the relay chooses the
 * candidates, composes the request and the client's response head, and
 * decides what a result means for the call; the exchange does the rest and
 * reports every attempt to the master ("outcome {…}") for proxy_logs.
 * All state of a call lives in struct relay, hung off the client connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "io.h"
#include "provider_head.h"
#include "http_response.h"
#include "http_util.h"
#include "json_scan.h"
#include "log.h"
#include "multipart.h"
#include "resolve.h"
#include "textbuf.h"
#include "upstream.h"
#include "util.h"
#include "worker.h"

#define RELAY_MAX_CANDIDATES	16
#define RELAY_COOLDOWN_MS	60000

/*
 * One way to serve the call. Everything is copied out of the snapshot: a
 * delta may replace the routing tables while the call is in flight.
 */
struct relay_candidate {
	char			 provider[65];
	char			*base_url;
	char			 auth_style[16];
	struct json_object	*headers;	/* the provider's extra headers (a reference:
						 * a new snapshot replaces, never edits) */
	char			 connection[40];	/* "" for an auth-less provider */
	char			*key;		/* the connection's API key; wiped */
	char			 model[256];
	const char		*combo;		/* the relay's combo name, or NULL */
	bool			 cliproxyapi;	/* to CLIPROXYAPI_URL, not the provider */
	const char		*path;		/* the upstream path, NULL = the client's */
	/* fallback mode: this CLIProxyAPI candidate runs only after a native
	 * candidate of its group (cand[group..self)) got the provider's own 429
	 * or 5xx, and takes that candidate's connection */
	bool			 after_provider_answer;
	size_t			 group;
	bool			 provider_answered;	/* native: 429/5xx answered */
};

struct relay {
	struct http_conn	*c;
	struct worker		*w;
	struct json_object	*body;		/* parsed, only when "model" has escapes */
	bool			 splice;	/* else the raw body goes, with the model's */
	size_t			 model_off;	/* value (a plain JSON string or a form */
	size_t			 model_len;	/* field) replaced byte for byte */
	char			 suffix[1024];	/* path after /v1, with the query */
	char			 combo[65];
	struct relay_candidate	 cand[RELAY_MAX_CANDIDATES];
	size_t			 ncand, next;
	struct relay_candidate	*cur;
	struct upstream		 up;		/* the current attempt's exchange */
	bool			 until_close;	/* the body ends when upstream closes */
	int			 err_status;	/* the last failed attempt, for the */
	char			 err_code[40];	/* answer when no candidate is left */
	char			 err_message[600];
};

/* ---- cooldown of connections that were refused -------------------------- */

bool
relay_in_cooldown(struct worker *w, const char *id)
{
	uint64_t now = monotonic_ms();
	size_t i;

	for (i = 0; i < sizeof(w->cooldowns) / sizeof(w->cooldowns[0]); i++)
		if (w->cooldowns[i].until_ms > now &&
		    strcmp(w->cooldowns[i].connection_id, id) == 0)
			return true;
	return false;
}

void
relay_cool_down(struct worker *w, const char *id)
{
	size_t i, oldest = 0;

	for (i = 0; i < sizeof(w->cooldowns) / sizeof(w->cooldowns[0]); i++) {
		if (strcmp(w->cooldowns[i].connection_id, id) == 0) {
			oldest = i;
			break;
		}
		if (w->cooldowns[i].until_ms < w->cooldowns[oldest].until_ms)
			oldest = i;
	}
	snprintf(w->cooldowns[oldest].connection_id,
	    sizeof(w->cooldowns[oldest].connection_id), "%s", id);
	w->cooldowns[oldest].until_ms = monotonic_ms() + RELAY_COOLDOWN_MS;
}

/* ---- lifecycle -------------------------------------------------------------- */

static void
relay_free(struct relay *r)
{
	size_t i;

	for (i = 0; i < r->ncand; i++) {
		json_object_put(r->cand[i].headers);
		free(r->cand[i].base_url);
		if (r->cand[i].key != NULL) {
			explicit_bzero(r->cand[i].key, strlen(r->cand[i].key));
			free(r->cand[i].key);
		}
	}
	upstream_release(&r->up);
	json_object_put(r->body);
	if (r->c != NULL)
		r->c->relay = NULL;
	free(r);
}

void
relay_abort(struct relay *r)
{
	upstream_abandon(&r->up, "the client went away");
	r->c = NULL;
	relay_free(r);
}

/*
 * The relay's marker lines for the current candidate's last attempt: which
 * connection and egress level and proxy served (or refused) it, and, when an
 * assignment decided (a pool, maybe of one), how many members were tried.
 */
static void
add_relay_markers(struct relay *r, struct textbuf *t)
{
	textbuf_add_str(t, "X-OmniRoute-Connection: ");
	textbuf_add_str(t, r->cur->connection[0] ? r->cur->connection : "none");
	textbuf_add_str(t, "\r\nX-OmniRoute-Proxy-Level: ");
	textbuf_add_str(t, r->up.level[0] ? r->up.level : "none");
	textbuf_add_str(t, "\r\nX-OmniRoute-Proxy-Id: ");
	textbuf_add_str(t, r->up.proxy_id[0] ? r->up.proxy_id : "none");
	if (r->up.pool_size > 0) {
		textbuf_add_str(t, "\r\nX-OmniRoute-Proxy-Attempts: ");
		textbuf_add_uint(t, (uint64_t)r->up.pool_attempts);
	}
	textbuf_add(t, "\r\n", 2);
}

/* Answer the client with an error envelope (nothing was sent yet); once a
 * candidate was tried, with the markers of its last attempt. */
static void
relay_fail(struct relay *r, int status, const char *code, const char *message)
{
	struct http_conn *c = r->c;
	struct json_object *env = error_envelope(status, message, NULL);
	struct textbuf *t = &r->w->scratch;

	if (code != NULL && *code != '\0') {
		struct json_object *err;
		json_object_object_get_ex(env, "error", &err);
		json_object_object_add(err, "code", json_object_new_string(code));
	}
	textbuf_reset(t);
	if (r->cur != NULL)
		add_relay_markers(r, t);
	textbuf_add(t, "", 1);		/* a C string for the head */
	relay_free(r);
	http_respond_json_headers(c, status, t->data, env);
}

/* 400 "Invalid request" naming the field that is wrong (nothing was sent yet). */
static void
relay_refuse_field(struct relay *r, const char *field, const char *message)
{
	struct http_conn *c = r->c;
	struct reply reply = { 0 };

	relay_free(r);
	reply_invalid_field(&reply, field, "%s", message);
	http_respond_reply(c, &reply);
}

/* The call is over (the body is complete, or cut): the client goes on or closes. */
static void
relay_done(struct relay *r, bool complete)
{
	struct http_conn *c = r->c;

	if (!complete || r->until_close)
		c->keep_alive = false;
	relay_free(r);
	c->state = c->keep_alive ? CONN_WRITING : CONN_CLOSING;
	if (!complete)
		bufferevent_disable(c->bev, EV_READ);
	/* what is still in the output (a head without a body, say) goes now;
	 * all out: go on from the loop, else the write event finishes it */
	if (io_flush_now(c->bev))
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

/* An attempt failed before anything reached the client: keep what the
 * client is told if no candidate is left. */
static void
note_failure(struct relay *r, const struct upstream_result *res)
{
	const char *code;

	upstream_result_reply(res, &r->err_status, &code);
	snprintf(r->err_code, sizeof(r->err_code), "%s", code != NULL ? code : "");
	snprintf(r->err_message, sizeof(r->err_message), "%s", res->message);
}

void
relay_client_drained(struct relay *r)
{
	upstream_sink_drained(&r->up);
}

/* ---- the response head ------------------------------------------------------ */

static void
send_response_head(struct relay *r)
{
	struct textbuf *t = &r->w->scratch;
	const struct http_response_head *h = &r->up.resp;
	size_t i;

	/* the member that carried it, after any failover inside the pool */
	str_copy(r->c->acc.proxy_id, sizeof(r->c->acc.proxy_id), r->up.proxy_id);
	textbuf_reset(t);
	textbuf_add_str(t, "HTTP/1.1 ");
	textbuf_add_uint(t, (uint64_t)h->status);
	textbuf_add(t, " ", 1);
	textbuf_add(t, h->reason, h->reason_len);
	textbuf_add(t, "\r\n", 2);
	for (i = 0; i < h->header_count; i++) {
		const struct http_header *f = &h->headers[i];
		/* ours are written below: a provider cannot set or spoof them */
		if (http_response_header_is_hop_by_hop(h, f) ||
		    http_response_field_is_daemons(f->name, f->name_len))
			continue;
		/* X-Request-Id is ours; the provider's own is kept under another name */
		if (f->name_len == 12 && strncasecmp(f->name, "x-request-id", 12) == 0)
			textbuf_add_header(t, "X-Upstream-Request-Id", 21, f->value,
			    f->value_len);
		else
			textbuf_add_header(t, f->name, f->name_len, f->value, f->value_len);
	}
	textbuf_add_str(t, "X-Request-Id: ");
	textbuf_add_str(t, r->c->acc.request_id);
	textbuf_add(t, "\r\n", 2);
	if (r->c->cors_origin != NULL) {	/* allowed_origins names the Origin */
		textbuf_add_str(t, "Access-Control-Allow-Origin: ");
		textbuf_add(t, r->c->cors_origin, r->c->cors_origin_len);
		textbuf_add_str(t, "\r\nVary: Origin\r\n");
	}
	access_response_started(r->c, h->status);
	if (h->framing == HTTP_RESPONSE_CHUNKED)
		textbuf_add_str(t, "Transfer-Encoding: chunked\r\n");
	r->until_close = h->framing == HTTP_RESPONSE_UNTIL_CLOSE;
	add_relay_markers(r, t);
	textbuf_add_str(t, r->c->keep_alive && !r->until_close ?
	    "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
	/* written with the first body bytes (upstream.c flushes both at once) */
	bufferevent_write(r->c->bev, t->data, t->len);
	r->c->head_sent = true;		/* its Connection word is given */
}

/* The native candidate whose provider answer lets fallback candidate rc run, or NULL. */
static struct relay_candidate *
answered_in_group(struct relay *r, const struct relay_candidate *rc)
{
	size_t i;

	for (i = (size_t)(rc - r->cand); i-- > rc->group; )
		if (r->cand[i].provider_answered)
			return &r->cand[i];
	return NULL;
}

static bool
candidate_may_run(struct relay *r, const struct relay_candidate *rc)
{
	return !rc->after_provider_answer || answered_in_group(r, rc) != NULL;
}

/*
 * The provider answered with a status that fails over (upstream.c applies
 * upstream_worth_failing_over): true when a later candidate may run, so the
 * answer is declined and the next one tried.
 */
static bool
another_candidate(struct upstream *u)
{
	struct relay *r = u->arg;
	int status = u->resp.status;
	size_t i;

	/* the provider's own answer: what fallback mode falls back on */
	if (!r->cur->cliproxyapi && (status == 429 || status >= 500))
		r->cur->provider_answered = true;
	for (i = r->next; i < r->ncand; i++)
		if (candidate_may_run(r, &r->cand[i]))
			return true;
	return false;
}

static void
on_upstream_head(struct upstream *u)
{
	send_response_head(u->arg);
}

static void next_attempt(struct relay *r);

static void
on_upstream_done(struct upstream *u)
{
	struct relay *r = u->arg;

	if (u->result.stage >= UPSTREAM_STAGE_BODY) {
		/* the client has the head: the body is whole, or it sees the cut */
		relay_done(r, u->result.error == UPSTREAM_OK);
		return;
	}
	/* nothing reached the client, and every such failure is worth another
	 * candidate (upstream_worth_failing_over): the next, if any is left */
	note_failure(r, &u->result);
	next_attempt(r);
}

/* ---- the upstream request ---------------------------------------------------- */

/* Request headers never copied upstream: framing, hop-by-hop (conn is the
 * request's Connection header, or NULL), client auth. */
static bool
dropped_request_header(const struct http_header *conn, const struct http_header *f)
{
#define NAME(s)	{ s, sizeof(s) - 1 }
	/* besides the hop-by-hop ones: what we set ourselves, and client auth */
	static const struct {
		const char	*name;
		size_t		 len;
	} dropped[] = {
		NAME("host"), NAME("content-length"), NAME("authorization"),
		NAME("x-api-key"), NAME("expect"),
	};
#undef NAME
	size_t i;

	if (http_is_hop_by_hop(f->name, f->name_len))
		return true;
	for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (f->name_len == dropped[i].len &&
		    http_token_equals(f->name, f->name_len, dropped[i].name))
			return true;
	if (conn != NULL && http_connection_lists(conn, f->name, f->name_len))
		return true;
	/* our own markers are never taken from a client */
	return http_is_relay_marker(f->name, f->name_len);
}

/* The request to the current candidate: the client's head rewritten (its
 * path under the provider's base, our auth), and the body with the
 * provider's own model name — the client's bytes with that name spliced in,
 * or the re-serialised JSON. */
static void
compose_request(struct upstream *u, struct textbuf *t, struct upstream_body *b)
{
	struct relay *r = u->arg;
	const struct http_url *base = &u->target;
	const struct http_request_head *h = &r->c->head;
	const struct http_header *conn;
	size_t i, body_len = 0;

	if (r->splice) {	/* every byte but the model's value passes as it came */
		b->data[0] = r->c->body;
		b->len[0] = r->model_off;
		b->data[1] = r->cur->model;
		b->len[1] = strlen(r->cur->model);
		b->data[2] = r->c->body + r->model_off + r->model_len;
		b->len[2] = r->c->body_len - r->model_off - r->model_len;
		b->count = 3;
	} else {
		json_object_object_add(r->body, "model", json_object_new_string(r->cur->model));
		b->data[0] = json_plain(r->body);
		b->len[0] = strlen(b->data[0]);
		b->count = 1;
	}
	for (i = 0; i < b->count; i++)
		body_len += b->len[i];
	textbuf_add_str(t, r->c->method);
	textbuf_add(t, " ", 1);
	if (strcmp(base->path, "/") != 0)
		textbuf_add_str(t, base->path);
	textbuf_add_str(t, r->cur->path != NULL ? r->cur->path : r->suffix);
	textbuf_add_str(t, " HTTP/1.1\r\n");
	provider_head_host(t, base);
	conn = http_find_header(h, "Connection");
	for (i = 0; i < h->header_count; i++) {
		const struct http_header *f = &h->headers[i];
		if (!dropped_request_header(conn, f))
			textbuf_add_header(t, f->name, f->name_len, f->value, f->value_len);
	}
	provider_head_auth(t, r->cur->auth_style, r->cur->key, r->cur->headers, h);
	textbuf_add_str(t, "Content-Length: ");
	textbuf_add_uint(t, body_len);
	textbuf_add(t, "\r\n", 2);
}

static const struct upstream_ops relay_ops = {
	.compose = compose_request,
	.may_fail_over = another_candidate,
	.on_head = on_upstream_head,
	.done = on_upstream_done,
};

/* ---- attempts ------------------------------------------------------------------- */

/* A fallback candidate takes the connection whose provider answered 429/5xx. */
static void
take_connection(struct relay_candidate *rc, const struct relay_candidate *from)
{
	str_copy(rc->connection, sizeof(rc->connection), from->connection);
	if (rc->key != NULL) {
		explicit_bzero(rc->key, strlen(rc->key));
		free(rc->key);
	}
	rc->key = from->key != NULL ? xstrdup(from->key) : NULL;
}

/* The next candidate that may run gets an attempt; none left: the last error. */
static void
next_attempt(struct relay *r)
{
	struct upstream *u = &r->up;
	bool started;

	while (r->next < r->ncand) {
		r->cur = &r->cand[r->next++];
		if (!candidate_may_run(r, r->cur))
			continue;	/* fallback, and the provider never answered */
		if (r->cur->after_provider_answer)
			take_connection(r->cur, answered_in_group(r, r->cur));
		r->c->acc.attempts++;
		str_copy(r->c->acc.provider, sizeof(r->c->acc.provider), r->cur->provider);
		str_copy(r->c->acc.connection, sizeof(r->c->acc.connection),
		    r->cur->connection);
		u->url = r->cur->base_url;
		u->name = r->cur->provider;
		u->provider = r->cur->provider;
		u->connection = r->cur->connection;
		u->combo = r->cur->combo;
		u->model = r->cur->model;
		/* the hop to CLIProxyAPI is an egress unless it stays on this machine */
		u->delegated = r->cur->cliproxyapi &&
		    cliproxyapi_is_local(r->w->cfg->cliproxyapi_url);
		/* a refusing assignment, SOCKS5 off or a bad URL: the next one */
		started = upstream_start(u) == 0;
		str_copy(r->c->acc.proxy_level, sizeof(r->c->acc.proxy_level), u->level);
		str_copy(r->c->acc.proxy_id, sizeof(r->c->acc.proxy_id), u->proxy_id);
		if (started)
			return;
		note_failure(r, &u->result);
	}
	relay_fail(r, r->err_status ? r->err_status : 503,
	    r->err_code[0] ? r->err_code : NULL,
	    r->err_message[0] ? r->err_message : "no connection could serve the request");
}

/* ---- routing ------------------------------------------------------------------------ */

/* Send candidate rc to CLIProxyAPI: /v1/messages for Anthropic-style calls,
 * else chat; its connection's key as the Bearer. */
static void
point_at_cliproxyapi(struct relay *r, struct relay_candidate *rc)
{
	char base[2100];

	snprintf(base, sizeof(base), "%s/v1", r->w->cfg->cliproxyapi_url);
	free(rc->base_url);
	rc->base_url = xstrdup(base);
	snprintf(rc->auth_style, sizeof(rc->auth_style), "bearer");
	json_object_put(rc->headers);
	rc->headers = NULL;
	rc->cliproxyapi = true;
	rc->path = strncmp(r->suffix, "/messages", 9) == 0 ? "/messages" : "/chat/completions";
}

_Static_assert(ROUTE_MAX_CANDIDATES <= RELAY_MAX_CANDIDATES, "a plan fits the relay");

/*
 * A candidate of the routing plan, copied out of the snapshot (a delta may
 * replace the tables while the call runs): strings are copied, the
 * provider's extra headers referenced (the tables never edit them).
 */
static void
candidate_from(struct relay *r, const struct route_candidate *from, const char *combo)
{
	struct relay_candidate *rc = &r->cand[r->ncand++];
	const struct route_provider *p = from->provider;

	memset(rc, 0, sizeof(*rc));
	str_copy(rc->provider, sizeof(rc->provider), p->id);
	rc->base_url = xstrdup(p->base_url);
	str_copy(rc->auth_style, sizeof(rc->auth_style), route_auth_name(p->auth));
	rc->headers = p->headers != NULL ? json_object_get(p->headers) : NULL;
	str_copy(rc->model, sizeof(rc->model), from->model);
	rc->combo = combo;
	if (from->connection != NULL) {
		str_copy(rc->connection, sizeof(rc->connection), from->connection->id);
		rc->key = xstrdup(from->connection->key);
	}
	if (from->via != ROUTE_VIA_PROVIDER)
		point_at_cliproxyapi(r, rc);
	if (from->via == ROUTE_VIA_FALLBACK) {
		rc->after_provider_answer = true;
		rc->group = from->group;
	}
}

static bool
cooling_down(void *w, const struct route_connection *c)
{
	return relay_in_cooldown(w, c->id);
}

/* The call's candidates (common/routing.h), or why there are none. */
static int
route_model(struct relay *r, const char *model, char *why, size_t whylen)
{
	const struct route_tables *t = &r->w->snap.routes;
	struct route_plan plan;
	size_t i, off = 0;

	route_candidates(t, model, cooling_down, r->w, &plan);
	if (plan.combo != NULL)
		snprintf(r->combo, sizeof(r->combo), "%.64s", model);	/* ids are 1..64 */
	for (i = 0; i < plan.count; i++)
		candidate_from(r, &plan.cand[i], plan.combo != NULL ? r->combo : NULL);
	if (r->ncand > 0)
		return 0;
	if (plan.provider != NULL) {
		snprintf(why, whylen, "no active connection for provider '%s' (omnirctl "
		    "conn add %s --name NAME --key KEY)", plan.provider->id,
		    plan.provider->id);
		return 503;
	}
	if (plan.combo != NULL) {
		snprintf(why, whylen, "no active connection for any target of combo '%s'",
		    model);
		return 503;
	}
	off += (size_t)snprintf(why + off, whylen - off, "unknown model '%.100s': "
	    "use provider/model (providers:", model);
	for (i = 0; i < t->provider_count && off < whylen; i++)
		off += (size_t)snprintf(why + off, whylen - off, " %s", t->providers[i].id);
	if (off < whylen)
		off += (size_t)snprintf(why + off, whylen - off, ") or a combo (");
	for (i = 0; i < t->combo_count && off < whylen; i++)
		off += (size_t)snprintf(why + off, whylen - off, "%s%s", i ? " " : "",
		    t->combos[i].id);
	if (off < whylen)
		snprintf(why + off, whylen - off, ")");
	return 400;
}

/* REQUIRE_API_KEY: a Bearer (or x-api-key) whose SHA-256 is a known key. */
bool
relay_client_authorized(struct http_conn *c)
{
	const struct http_header *h = http_find_header(&c->head, "Authorization");
	const struct route_api_key *known;
	char key[512], hex[65];
	unsigned char digest[32];
	unsigned int dlen = 0;
	size_t i;
	bool ok = false;

	if (!c->w->cfg->require_api_key)
		return true;
	if (h != NULL && h->value_len > 7 && http_token_equals(h->value, 6, "Bearer") &&
	    h->value[6] == ' ')
		snprintf(key, sizeof(key), "%.*s", (int)(h->value_len - 7), h->value + 7);
	else if ((h = http_find_header(&c->head, "x-api-key")) != NULL)
		snprintf(key, sizeof(key), "%.*s", (int)h->value_len, h->value);
	else
		return false;
	if (EVP_Digest(key, strlen(key), digest, &dlen, EVP_sha256(), NULL) == 1) {
		for (i = 0; i < 32; i++)
			snprintf(hex + i * 2, 3, "%02x", digest[i]);
		if ((known = route_find_api_key(&c->w->snap.routes, hex)) != NULL) {
			ok = true;
			/* the access log names the key by its id, never the key */
			str_copy(c->acc.key_id, sizeof(c->acc.key_id), known->id);
		}
	}
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

void
relay_start(struct http_conn *c)
{
	struct relay *r = xcalloc(1, sizeof(*r));
	struct json_object *model;
	const struct http_header *ct;
	const char *q;
	char why[1024], boundary[80], model_name[256];
	struct json_scan_result scan;
	int status;

	r->c = c;
	r->w = c->w;
	c->relay = r;
	c->state = CONN_RELAYING;
	/* every attempt: its answer streams to the client, its outcome reported */
	r->up.w = c->w;
	r->up.ops = &relay_ops;
	r->up.arg = r;
	r->up.sink = c->bev;
	r->up.report = true;
	r->up.request_is_head = strcmp(c->method, "HEAD") == 0;
	r->up.head_timeout_ms = c->w->cfg->response_head_timeout_ms;
	r->up.body_idle_ms = c->w->cfg->body_idle_timeout_ms;
	io_enable(c->bev, EV_READ);	/* to notice a client that leaves */
	q = c->target + 3;			/* "/v1/…" → "/…" (with the query) */
	if (strlen(q) >= sizeof(r->suffix)) {
		relay_fail(r, 414, NULL, "request target too long for the relay");
		return;
	}
	snprintf(r->suffix, sizeof(r->suffix), "%s", q);
	if (strcmp(c->method, "POST") != 0) {
		relay_fail(r, 405, NULL, "the relay takes POST with a JSON body");
		return;
	}
	ct = http_find_header(&c->head, "Content-Type");
	if (ct != NULL && multipart_boundary(ct->value, ct->value_len, boundary,
	    sizeof(boundary)) == 0) {
		/* an upload (audio): route by its "model" field, keep every other byte */
		int found = multipart_find_field(c->body, c->body_len, boundary, "model",
		    &r->model_off, &r->model_len);

		r->splice = true;
		if (found == -2) {	/* as with two "model" keys in JSON, below */
			relay_refuse_field(r, "model", "the form has more than one "
			    "\"model\" field; send exactly one");
			return;
		}
		if (found != 0 || r->model_len == 0 ||
		    r->model_len >= sizeof(model_name)) {
			relay_fail(r, 400, NULL, "the form needs a \"model\" field: "
			    "provider/model or a combo name");
			return;
		}
		memcpy(model_name, c->body + r->model_off, r->model_len);
		model_name[r->model_len] = '\0';
	} else if (json_scan_object(c->body, c->body_len, 128, "model", &scan) != PARSE_DONE) {
		snprintf(why, sizeof(why), "Invalid JSON body: %s at byte %zu", scan.error,
		    scan.error_at);
		relay_fail(r, 400, NULL, why);
		return;
	} else if (scan.key_count > 1) {
		/*
		 * Two members a reader may take for "model" ("model" and
		 * "mod\u0065l", or "Model"): we would route and log one while the
		 * provider may serve the other. Only "model" is judged: it is the
		 * one member the relay reads (route, rewrite, access log); every
		 * other member ("stream" too: the answer's framing comes from the
		 * provider's head, not from the body) passes as bytes, so no
		 * decision of ours can differ from the provider's reading of it.
		 */
		snprintf(why, sizeof(why), "the body has %zu top-level \"model\" keys "
		    "(names compared unescaped, in any case); send exactly one",
		    scan.key_count);
		relay_refuse_field(r, "model", why);
		return;
	} else if (scan.found && scan.value_is_plain_string && scan.value_len > 0 &&
	    scan.value_len < sizeof(model_name)) {
		/* the common case: no JSON tree is built at all */
		r->splice = true;
		r->model_off = scan.value_off;
		r->model_len = scan.value_len;
		memcpy(model_name, c->body + scan.value_off, scan.value_len);
		model_name[scan.value_len] = '\0';
	} else {
		r->body = json_parse_document(c->body, c->body_len, 128);
		if (r->body == NULL || !json_object_is_type(r->body, json_type_object)) {
			relay_fail(r, 400, NULL, "Invalid JSON body");
			return;
		}
		if (!json_object_object_get_ex(r->body, "model", &model) ||
		    !json_object_is_type(model, json_type_string) ||
		    json_object_get_string_len(model) == 0 ||
		    (size_t)json_object_get_string_len(model) >= sizeof(model_name)) {
			relay_fail(r, 400, NULL, "the body needs a \"model\": provider/model "
			    "or a combo name");
			return;
		}
		snprintf(model_name, sizeof(model_name), "%s", json_object_get_string(model));
	}
	str_copy(c->acc.model, sizeof(c->acc.model), model_name);
	status = route_model(r, model_name, why, sizeof(why));
	if (status != 0) {
		relay_fail(r, status, NULL, why);
		return;
	}
	next_attempt(r);
}
