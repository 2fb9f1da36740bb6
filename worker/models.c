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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http_util.h"
#include "log.h"
#include "models.h"
#include "provider_head.h"
#include "upstream.h"
#include "util.h"
#include "worker.h"

#define MODELS_MAX_TRIES		8	/* connections asked per provider */
/* Anthropic lists 20 models a page unless asked for more (at most 1000) */
#define MODELS_ANTHROPIC_QUERY		"?limit=1000"

/* ---- one upstream fetch --------------------------------------------------- */

enum fetch_state {
	FETCH_CONNECTING,	/* asking: an attempt is under way */
	FETCH_DONE,
};

/*
 * One provider asked, through one connection after another while the
 * attempts fail over. The routing fields are copied out of the snapshot: a
 * delta may replace it while the fetch is in flight.
 */
struct models_fetch {
	struct models_call	*call;
	char			 provider[65];
	char			 connection[40];	/* "" for an auth-less provider */
	char			 auth_style[16];
	char			*base_url;
	char			*key;		/* wiped */
	struct json_object	*headers;	/* the provider's extra headers (a copy) */
	char			 url[2400];	/* {baseUrl}/models[/{model}] */
	struct upstream		 up;		/* the exchange (upstream.c) */
	enum fetch_state	 state;
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

static void
fetch_free(struct models_fetch *f)
{
	upstream_release(&f->up);
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
 * As the relay fails over (upstream_worth_failing_over): a failed egress, a
 * refusing assignment, no answer, or 401/403/429/5xx from the provider sends
 * the fetch to the provider's next connection (upstream.c rests a
 * 401/403/429 one first). true when a new attempt has started.
 */
static bool
try_another_connection(struct models_fetch *f)
{
	const struct route_connection *next;

	if (f->connection[0] == '\0' || !upstream_worth_failing_over(&f->up.result))
		return false;
	if (f->ntried >= MODELS_MAX_TRIES || (next = next_connection(f)) == NULL)
		return false;
	str_copy(f->connection, sizeof(f->connection), next->id);
	str_copy(f->tried[f->ntried++], sizeof(f->tried[0]), f->connection);
	if (f->key != NULL) {
		explicit_bzero(f->key, strlen(f->key));
		free(f->key);
	}
	f->key = xstrdup(next->key);
	fetch_start(f);
	return true;
}

/*
 * The fetch is over: keep what went wrong, if anything (no secrets: egress
 * messages name the proxy without credentials, and the provider's error body
 * is not read), and let the call go on.
 */
static void
fetch_over(struct models_fetch *f, int reply_status, const char *code, const char *message)
{
	const struct upstream_result *res = &f->up.result;

	f->upstream_status = res->status;
	f->reply_status = reply_status;
	snprintf(f->stage, sizeof(f->stage), "%s", upstream_stage_name(res->stage));
	snprintf(f->code, sizeof(f->code), "%s", code != NULL ? code : "");
	snprintf(f->message, sizeof(f->message), "%s", message);
	f->state = FETCH_DONE;
	upstream_release(&f->up);
	call_fetch_done(f->call);
}

/* The attempt ended (its outcome is reported): the next connection, or over. */
static void
fetch_ended(struct models_fetch *f)
{
	const struct upstream_result *res = &f->up.result;
	const char *code;
	char message[sizeof(f->message)];
	int status;

	if (try_another_connection(f))
		return;
	upstream_result_reply(res, &status, &code);
	if (f->call->single && res->error == UPSTREAM_ERR_STATUS && res->status == 404) {
		snprintf(message, sizeof(message), "The model '%s/%s' does not exist "
		    "(%s answered 404)", f->provider, f->call->model, f->provider);
		fetch_over(f, 404, "model_not_found", message);
		return;
	}
	fetch_over(f, status, code, res->message);
}

static void
on_fetch_done(struct upstream *u)
{
	fetch_ended(u->arg);
}

/* The whole body is in u->body: the provider's models, or why not. */
static const char *
judge_models(struct upstream *u)
{
	struct models_fetch *f = u->arg;
	size_t len = evbuffer_get_length(u->body), skipped;
	const char *buf = len > 0 ? (const char *)evbuffer_pullup(u->body, -1) : "";

	if (f->call->single) {
		f->one = models_prefix_one(f->provider, f->call->model, buf, len, f->message,
		    sizeof(f->message));
		return f->one == NULL ? f->message : NULL;
	}
	f->models = json_object_new_array();
	if (models_merge(f->models, f->provider, buf, len, &skipped, f->message,
	    sizeof(f->message)) < 0) {
		json_object_put(f->models);
		f->models = NULL;
		return f->message;
	}
	if (skipped > 0)
		log_debug("models: %s: %zu entries without a usable id left out",
		    f->provider, skipped);
	return NULL;
}

static void
compose_fetch(struct upstream *u, struct textbuf *t, struct upstream_body *body)
{
	struct models_fetch *f = u->arg;

	(void)body;
	textbuf_add_str(t, "GET ");
	textbuf_add_str(t, u->target.path);
	textbuf_add_str(t, " HTTP/1.1\r\n");
	provider_head_host(t, &u->target);
	textbuf_add_str(t, "Accept: application/json\r\nUser-Agent: omniroute\r\n");
	provider_head_auth(t, f->auth_style, f->key, f->headers, NULL);
}

static const struct upstream_ops fetch_ops = {
	.compose = compose_fetch,
	.judge_body = judge_models,
	.done = on_fetch_done,
};

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

static const char name_too_long[] = "model name too long";

/* The provider's URL for the fetch into f->url; NULL, or why there is none. */
static const char *
fetch_url(struct models_fetch *f)
{
	size_t blen = strlen(f->base_url);

	while (blen > 0 && f->base_url[blen - 1] == '/')
		blen--;
	if (blen >= 2048)
		return "provider has an unusable base URL: too long";
	snprintf(f->url, sizeof(f->url), "%.*s/models", (int)blen, f->base_url);
	if (f->call->single) {
		strcat(f->url, "/");
		if (append_model_path(f->url, sizeof(f->url), f->call->model) != 0)
			return name_too_long;
	} else if (strcmp(f->auth_style, "x-api-key") == 0) {
		strcat(f->url, MODELS_ANTHROPIC_QUERY);
	}
	return NULL;
}

/* Ask the provider through f->connection (its egress resolved fail-closed). */
static void
fetch_start(struct models_fetch *f)
{
	struct models_call *call = f->call;
	struct upstream *u = &f->up;
	const char *why;

	u->w = call->w;
	u->ops = &fetch_ops;
	u->arg = f;
	u->head_timeout_ms = call->w->cfg->response_head_timeout_ms;
	u->body_idle_ms = call->w->cfg->body_idle_timeout_ms;
	u->collect_max = MODELS_MAX_BODY;
	u->report = true;
	u->name = f->provider;
	u->provider = f->provider;
	u->connection = f->connection;
	/* the model asked for, or "models" for a list: proxy_logs shows "openai/models" */
	u->model = call->single ? call->model : "models";
	u->url = f->url;
	if ((why = fetch_url(f)) != NULL) {
		/* the provider's one URL: no other connection can do better */
		upstream_refuse_route(u, "%s", why);
		fetch_over(f, why == name_too_long ? 404 : 502, why == name_too_long ?
		    "model_not_found" : "UPSTREAM_UNREACHABLE", f->up.result.message);
		return;
	}
	if (upstream_start(u) != 0)
		fetch_ended(f);
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
			upstream_abandon(&call->fetch[i].up, "the client went away");
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
