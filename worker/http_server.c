/*
 * worker/http_server.c — the server side of HTTP/1.1 in a worker: read a
 * request head (strict parser, 16 KiB cap, a deadline for the whole head),
 * read a body (a deadline for time without a byte, not for the whole body;
 * Content-Length, or chunked: decoded and taken whole, then
 * handed on as if it had a length; "Expect: 100-continue" answered), hand the
 * request to the routes, write the response, keep the connection alive or
 * close it. Framing doubts always close the connection.
 *
 * Limits, so that no client starves the others (common/peer_table.h): body
 * bytes count against their class's budget (/v1 bodies, every other body) as
 * they arrive — in the input buffer, then in the body copy — and are given
 * back when the request ends; a head that only announces a length costs
 * nothing. Per client address, a worker holds at most
 * max_connections_per_peer connections and body_budget_per_peer_percent of
 * each budget.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "chunked.h"
#include "edge_rules.h"
#include "http_util.h"
#include "io.h"
#include "log.h"
#include "models.h"
#include "util.h"
#include "worker.h"

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_write(struct bufferevent *bev, void *arg);
static void conn_event(struct bufferevent *bev, short what, void *arg);
static void respond_body_too_large(struct http_conn *c);
static bool body_hold(struct http_conn *c);
static bool body_could_ever_fit(struct http_conn *c, size_t announced);

/* Per body class: its largest body (413 above) and the setting sizing its budget. */
static const struct body_class_rule {
	size_t		 max;
	const char	*too_large;
	const char	*budget_setting;
} body_class_rules[BODY_CLASSES] = {
	[BODY_CLASS_RELAY] = { HTTP_RELAY_BODY_MAX, "request body larger than 32 MiB",
	    "body_budget_mb" },
	[BODY_CLASS_API] = { HTTP_MGMT_BODY_MAX, "request body larger than 1 MiB",
	    "api_body_budget_mb" },
};

void
http_limits_init(struct worker *w)
{
	const long mb[BODY_CLASSES] = {
		[BODY_CLASS_RELAY] = w->cfg->body_budget_mb,
		[BODY_CLASS_API] = w->cfg->api_body_budget_mb,
	};
	uint64_t seed;
	size_t k;

	for (k = 0; k < BODY_CLASSES; k++) {
		w->body_budgets[k].limit = (size_t)mb[k] * 1024 * 1024;
		w->body_budgets[k].per_peer = body_budget_share(w->body_budgets[k].limit,
		    w->cfg->body_budget_per_peer_percent);
		w->body_budgets[k].held = 0;
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = monotonic_ms() ^ ((uint64_t)getpid() << 32);
	peer_table_init(&w->peers, (size_t)w->cfg->max_client_connections, seed);
}

void
http_limits_free(struct worker *w)
{
	peer_table_free(&w->peers);
}

/* What the worker's budgets hold, for omnirctl workers (shared board). */
static void
publish_body_bytes(struct worker *w, enum body_class k)
{
	if (w->board != NULL)
		w->board->entry[w->board_index].body_bytes[k] = w->body_budgets[k].held;
}

/* The request is over (or refused): its body bytes leave the budget, once. */
static void
body_release(struct http_conn *c)
{
	if (c->body_held == 0)
		return;
	body_budget_give(&c->w->body_budgets[c->body_class],
	    &c->peer_entry->held[c->body_class], c->body_held);
	c->body_held = 0;
	publish_body_bytes(c->w, c->body_class);
}

static void
conn_reset_request(struct http_conn *c)
{
	body_release(c);
	free(c->head_copy);
	free(c->body);
	free(c->target);
	c->head_copy = c->body = c->target = NULL;
	c->head_len = c->body_len = 0;
	c->cors_origin = NULL;
	c->cors_origin_len = 0;
	c->head_sent = false;
	memset(&c->head, 0, sizeof(c->head));
	c->method[0] = c->path[0] = '\0';
	c->acc.request_id[0] = '\0';	/* the next request gets its own */
	json_object_put(c->mutation_args);
	c->mutation_args = NULL;
	c->mutation = NULL;
}

void
http_conn_close(struct http_conn *c)
{
	struct worker *w = c->w;

	if (c->relay != NULL)
		relay_abort(c->relay);	/* the client went away: drop the upstream at once */
	if (c->models != NULL)
		models_abort(c->models);
	TAILQ_REMOVE(&w->conns, c, entry);
	w->conn_count--;
	worker_lost_a_connection(w);
	if (w->accept_paused && (long)w->conn_count < w->cfg->max_client_connections &&
	    (w->accept_retry == NULL || !evtimer_pending(w->accept_retry, NULL)))
		worker_pause_accepting(w, false);
	if (c->deadline != NULL)
		event_free(c->deadline);
	access_conn_close(c);	/* a /v1 call cut short still gets its line */
	bufferevent_free(c->bev);
	conn_reset_request(c);
	c->peer_entry->conns--;
	peer_table_release(&w->peers, c->peer_entry);
	free(c);
	worker_check_drained(w);
}

static void
arm_deadline(struct http_conn *c, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->deadline, &tv);
}

static void
deadline_fired(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	(void)fd;
	(void)what;
	if (c->state == CONN_READING_HEAD && evbuffer_get_length(in) > 0) {
		c->keep_alive = false;
		http_respond_json(c, 408, error_envelope(408,
		    "request head not received in time (header_timeout_ms)", NULL));
		return;
	}
	if (c->state == CONN_READING_BODY) {
		c->keep_alive = false;
		http_respond_json(c, 408, error_envelope(408,
		    "no request body bytes for too long (body_idle_timeout_ms)", NULL));
		return;
	}
	if (c->state == CONN_READING_HEAD || c->state == CONN_LINGERING) {
		http_conn_close(c);	/* idle keep-alive connection, or done lingering */
		return;
	}
}

static void
address_string(const struct sockaddr *sa, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    buf, (socklen_t)len);
}

/*
 * A client address at max_connections_per_peer: its new connection is reset
 * at once (no request is read, so there is nothing to answer; a reset leaves
 * no TIME_WAIT behind however fast it reconnects). Logged at most once per
 * 10 s, like the max_client_connections warning.
 */
static void
refuse_over_peer_cap(struct worker *w, struct peer *p, evutil_socket_t fd,
    const struct sockaddr *sa)
{
	struct linger reset = { 1, 0 };
	uint64_t now = monotonic_ms();
	char addr[64];

	if (now - w->peer_cap_warned_ms >= 10000) {
		w->peer_cap_warned_ms = now;
		address_string(sa, addr, sizeof(addr));
		log_warnx("client %s has %zu connections open to this worker "
		    "(max_connections_per_peer); closing its new ones until one closes",
		    addr, p->conns);
	}
	peer_table_release(&w->peers, p);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	evutil_closesocket(fd);
}

void
http_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct worker *w = arg;
	struct http_conn *c;
	struct peer_key key;
	struct peer *p;
	int one = 1;

	(void)lev;
	(void)socklen;
	peer_key_from_sockaddr(sa, &key);
	p = peer_table_get(&w->peers, &key);
	if (!peer_may_connect(p, w->cfg->max_connections_per_peer)) {
		refuse_over_peer_cap(w, p, fd, sa);
		return;
	}
	p->conns++;
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->peer_entry = p;
	c->state = CONN_READING_HEAD;
	if (sa->sa_family == AF_INET)
		c->peer_is_loopback = (ntohl(((struct sockaddr_in *)(void *)sa)->sin_addr.s_addr) >> 24) == 127;
	else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)(void *)sa)->sin6_addr;
		c->peer_is_loopback = IN6_IS_ADDR_LOOPBACK(a) ||
		    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	address_string(sa, c->peer, sizeof(c->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	access_conn_open(c);
	c->deadline = evtimer_new(w->base, deadline_fired, c);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	{
		/* a client that stops reading does not hold us (or an upstream) forever */
		long ms = w->cfg->body_idle_timeout_ms;
		struct timeval wtv = { ms / 1000, (ms % 1000) * 1000 };
		bufferevent_set_timeouts(c->bev, NULL, &wtv);
	}
	/* writes go out at once (io.c); EV_WRITE (on by default in a new
	 * bufferevent) is armed only for a remainder, from the first response on */
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->conn_count++;
	worker_took_a_connection(w);
	if ((long)w->conn_count >= w->cfg->max_client_connections) {
		/* the kernel's backlog (and the other workers) take the next ones */
		uint64_t now = monotonic_ms();
		if (!w->accept_paused && now - w->cap_warned_ms >= 10000) {
			/* once per 10 s: at the limit it pauses at every accept */
			w->cap_warned_ms = now;
			log_warnx("%zu client connections open (max_client_connections); "
			    "not accepting more until one closes", w->conn_count);
		}
		worker_pause_accepting(w, true);
	}
	arm_deadline(c, w->cfg->header_timeout_ms);
}

/*
 * An error envelope. Answered before the request was read whole (at its head
 * or during its body), the connection closes: the rest of the request may
 * still be on its way, so it lingers rather than reset the answer away.
 */
void
http_respond_error(struct http_conn *c, int status, const char *message)
{
	if (c->state == CONN_READING_HEAD || c->state == CONN_READING_BODY) {
		c->keep_alive = false;
		c->linger = true;
	}
	http_respond_json(c, status, error_envelope(status, message, NULL));
}

static void respond(struct http_conn *c, int status, const char *extra_headers,
    const char *json, size_t json_len);

/*
 * The edge rules (common/edge_rules.c): Host, Origin, media type, CORS,
 * OPTIONS *, decided from the head alone before any body byte is counted.
 * false when the request was answered here.
 */
static bool
edge_check(struct http_conn *c)
{
	const struct edge_policy policy = {
		.allowed_hosts = c->w->cfg->allowed_hosts,
		.allowed_origins = c->w->cfg->allowed_origins,
	};
	struct edge_verdict v;

	edge_decide(&c->head, c->peer_is_loopback, &policy, &v);
	c->cors_origin = v.cors_origin;
	c->cors_origin_len = v.cors_origin_len;
	if (v.action == EDGE_PASS)
		return true;
	if (v.action == EDGE_REFUSE) {
		http_respond_error(c, v.status, v.message);
		return false;
	}
	/* answered without its body (if it has one): that is left to the linger */
	if (c->head.framing != HTTP_BODY_NONE) {
		c->keep_alive = false;
		c->linger = true;
	}
	respond(c, 204, v.action == EDGE_PREFLIGHT ? EDGE_CORS_PREFLIGHT_HEADERS :
	    "Allow: " EDGE_METHODS_SERVED "\r\n", NULL, 0);
	return false;
}

/* The head is complete in the first head_len bytes of the input. */
static void
begin_request(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct http_request_head *h;
	const struct http_header *expect;
	const char *parsed;
	size_t path_len;

	c->head_copy = xcalloc(1, c->head.head_len + 1);
	c->head_len = c->head.head_len;
	/* the head was parsed in place in the input buffer (already contiguous,
	 * so this pullup moves nothing): point it at our copy */
	parsed = (const char *)evbuffer_pullup(in, (ssize_t)c->head_len);
	memcpy(c->head_copy, parsed, c->head_len);
	http_request_head_rebase(&c->head, parsed, c->head_copy);
	evbuffer_drain(in, c->head_len);
	h = &c->head;
	c->keep_alive = h->keep_alive && !c->w->draining;
	c->requests++;
	if (h->method_len >= sizeof(c->method)) {
		/* no method we serve is this long; never pass on a cut one */
		http_respond_error(c, 501, "unknown method (longer than any method served)");
		return;
	}
	memcpy(c->method, h->method, h->method_len);
	c->method[h->method_len] = '\0';
	c->target = xcalloc(1, h->target_len + 1);
	memcpy(c->target, h->target, h->target_len);
	path_len = http_target_path_len(h->target, h->target_len);
	if (path_len >= sizeof(c->path)) {
		http_respond_error(c, 414, "request path too long");
		return;
	}
	memcpy(c->path, h->target, path_len);
	c->path[path_len] = '\0';
	c->acc_owed = strncmp(c->path, "/v1/", 4) == 0;	/* an access-log line */
	if (!edge_check(c))
		return;
	c->body_class = strncmp(c->path, "/v1/", 4) == 0 ? BODY_CLASS_RELAY :
	    BODY_CLASS_API;
	c->body_max = body_class_rules[c->body_class].max;
	if (h->framing == HTTP_BODY_LENGTH && h->content_length > c->body_max) {
		respond_body_too_large(c);
		return;
	}
	if (h->framing == HTTP_BODY_LENGTH && !body_could_ever_fit(c,
	    (size_t)h->content_length))
		return;
	/* /v1 with REQUIRE_API_KEY, /api with a management key (or not from
	 * loopback): no body is buffered for an unknown client */
	if (strncmp(c->path, "/v1/", 4) == 0 && !relay_client_authorized(c)) {
		http_respond_error(c, 401, "Authentication required: a valid client API key");
		return;
	}
	if (strncmp(c->path, "/api/", 5) == 0 && !api_authorised(c))
		return;
	/* a chunked body is taken whole and goes on with a Content-Length */
	c->chunked = h->framing == HTTP_BODY_CHUNKED;
	if (c->chunked)
		chunked_init(&c->chunks);
	c->body_len = h->framing == HTTP_BODY_LENGTH ? (size_t)h->content_length : 0;
	/* the head is in: the body has its own deadline, time without a byte */
	arm_deadline(c, c->w->cfg->body_idle_timeout_ms);
	if ((expect = http_find_header(h, "Expect")) != NULL) {
		/* RFC 9110 §10.1.1: 100-continue is the only expectation there is */
		if (!http_token_equals(expect->value, expect->value_len, "100-continue")) {
			http_respond_error(c, 417, "the only expectation understood is "
			    "\"Expect: 100-continue\"");
			return;
		}
	}
	if (expect != NULL && h->version_minor == 1 && (c->chunked || c->body_len > 0) &&
	    evbuffer_get_length(in) == 0) {
		/* the client waits for a word before sending its body */
		evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
		io_flush_now(c->bev);
	}
	c->state = CONN_READING_BODY;
	body_hold(c);	/* body bytes that came with the head */
}

static void
respond_over_budget(struct http_conn *c, enum budget_verdict v)
{
	char msg[200];

	if (v == BUDGET_PEER_FULL)
		snprintf(msg, sizeof(msg), "this client address holds too many request "
		    "bodies at once (body_budget_per_peer_percent of %s); try again shortly",
		    body_class_rules[c->body_class].budget_setting);
	else
		snprintf(msg, sizeof(msg), "this worker holds too many request bodies at "
		    "once (%s); try again shortly",
		    body_class_rules[c->body_class].budget_setting);
	http_respond_error(c, 503, msg);
}

/* An announced length larger than the whole budget (or the peer's share of
 * it) could never be held: 503 at once rather than after the bytes. */
static bool
body_could_ever_fit(struct http_conn *c, size_t announced)
{
	struct body_budget empty = c->w->body_budgets[c->body_class];
	enum budget_verdict v;

	empty.held = 0;
	if ((v = body_budget_check(&empty, 0, announced)) == BUDGET_FITS)
		return true;
	respond_over_budget(c, v);
	return false;
}

/* Body bytes this connection holds now: arrived and not yet taken (while the
 * body is read), plus the body copy. Head bytes are not body (16 KiB cap). */
static size_t
conn_body_bytes(struct http_conn *c)
{
	size_t n = c->body != NULL ? c->body_len : 0;

	if (c->state == CONN_READING_BODY)
		n += evbuffer_get_length(bufferevent_get_input(c->bev));
	return n;
}

/*
 * Bring the connection's count in its class's budget, and its peer's, to
 * the body bytes it holds now (conn_body_bytes): called as bytes land and as
 * the body moves from the input buffer to its copy. A worker holds every
 * request body whole while it relays it, so many large uploads at once could
 * take all memory: growth past the worker's budget or the peer's share of
 * it is answered 503 (naming the setting) and the arrived bytes dropped;
 * false then.
 *
 * Refused rather than held back (reading paused until bytes are given back):
 * bytes come back only when a request ends, so uploads each holding part of
 * the budget while waiting for room could wait for each other for ever, and
 * a client that stalls half-way would keep the others waiting until
 * body_idle_timeout_ms. Refusing lets every request admitted so far finish;
 * the refused client may try again.
 */
static bool
body_hold(struct http_conn *c)
{
	struct body_budget *b = &c->w->body_budgets[c->body_class];
	size_t *peer_held = &c->peer_entry->held[c->body_class];
	size_t now = conn_body_bytes(c);
	enum budget_verdict v;

	if (now <= c->body_held) {
		body_budget_give(b, peer_held, c->body_held - now);
		c->body_held = now;
		publish_body_bytes(c->w, c->body_class);
		return true;
	}
	if ((v = body_budget_check(b, *peer_held, now - c->body_held)) != BUDGET_FITS) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		evbuffer_drain(in, evbuffer_get_length(in));	/* never held */
		respond_over_budget(c, v);
		/* refused: what it held goes back now, not once the answer is
		 * out, or a second upload racing it would be refused as well */
		body_release(c);
		return false;
	}
	body_budget_take(b, peer_held, now - c->body_held);
	c->body_held = now;
	publish_body_bytes(c->w, c->body_class);
	return true;
}

static void
respond_body_too_large(struct http_conn *c)
{
	http_respond_error(c, 413, body_class_rules[c->body_class].too_large);
}

/*
 * Decode what has arrived of a chunked body into c->body. true when it is
 * complete; false when more is needed or the request was answered (bad
 * framing, too large).
 */
static bool
read_chunked_body(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in), consumed, got;
	enum parse p;
	char msg[160];

	if (avail == 0)
		return false;
	c->body = xrealloc(c->body, c->body_len + avail + 1);
	p = chunked_decode(&c->chunks, (const char *)evbuffer_pullup(in, (ssize_t)avail),
	    avail, &consumed, c->body + c->body_len, &got);
	c->body_len += got;
	evbuffer_drain(in, consumed);
	if (!body_hold(c))	/* decoded bytes are no more than the raw ones */
		return false;
	/* what is left of the request is dropped by the lingering close */
	if (p == PARSE_INVALID) {
		snprintf(msg, sizeof(msg), "malformed chunked request body: %s",
		    c->chunks.error_message);
		http_respond_error(c, 400, msg);
		return false;
	}
	if (c->body_len > c->body_max) {
		respond_body_too_large(c);
		return false;
	}
	if (p == PARSE_MORE)
		return false;
	c->body[c->body_len] = '\0';
	return true;
}

static void
process_input(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail;

	while (c->state == CONN_READING_HEAD || c->state == CONN_READING_BODY) {
		avail = evbuffer_get_length(in);
		if (c->state == CONN_READING_HEAD) {
			size_t look = avail < HTTP_HEAD_MAX ? avail : HTTP_HEAD_MAX;
			enum parse p;

			if (avail == 0)
				return;
			if (c->acc.request_id[0] == '\0')
				access_request_begin(c);	/* a request starts */
			if (c->idle) {
				/* a new head has begun: it gets the head deadline */
				c->idle = false;
				arm_deadline(c, c->w->cfg->header_timeout_ms);
			}
			p = http_parse_request_head((const char *)evbuffer_pullup(in,
			    (ssize_t)look), look, HTTP_HEAD_MAX, &c->head);
			if (p == PARSE_MORE)
				return;
			if (p == PARSE_INVALID) {
				evbuffer_drain(in, avail);
				http_respond_error(c, c->head.error_status, c->head.error_message);
				return;
			}
			begin_request(c);
			continue;
		}
		/* CONN_READING_BODY */
		if (c->chunked) {
			if (!read_chunked_body(c))
				return;
			evtimer_del(c->deadline);
		} else {
			if (avail < c->body_len)
				return;
			evtimer_del(c->deadline);
			c->body = xcalloc(1, c->body_len + 1);
			evbuffer_remove(in, c->body, c->body_len);
		}
		c->state = CONN_WAITING_MASTER;
		body_hold(c);	/* the body copy alone now: never more */
		api_dispatch(c);
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	/* between requests (relaying, waiting for the master, writing) reading
	 * stays on only to notice a client that leaves: what it sends meanwhile
	 * is capped */
	if (c->state != CONN_READING_HEAD && c->state != CONN_READING_BODY &&
	    evbuffer_get_length(bufferevent_get_input(bev)) > HTTP_HEAD_MAX)
		bufferevent_disable(bev, EV_READ);
	if (c->state == CONN_READING_BODY) {
		/* bytes came: the idle clock restarts, and they count as held */
		arm_deadline(c, c->w->cfg->body_idle_timeout_ms);
		if (!body_hold(c))
			return;
	}
	process_input(c);
}

/*
 * Lingering close (as nginx does): the answer is out, so send FIN, then read
 * and drop what the client still sends until it closes, for at most
 * HTTP_LINGER_MS and HTTP_LINGER_MAX bytes; then close.
 */
static void
linger_read(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	c->lingered += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (c->lingered > HTTP_LINGER_MAX)
		http_conn_close(c);
}

static void
start_lingering(struct http_conn *c)
{
	struct timeval tv = { HTTP_LINGER_MS / 1000, (HTTP_LINGER_MS % 1000) * 1000 };

	conn_reset_request(c);	/* the request is over: its body leaves the budget */
	c->state = CONN_LINGERING;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setcb(c->bev, linger_read, NULL, conn_event, c);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_enable(c->bev, EV_READ);
	evtimer_add(c->deadline, &tv);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	bufferevent_disable(bev, EV_WRITE);	/* until a remainder needs it again */
	if (c->state == CONN_RELAYING) {
		relay_client_drained(c->relay);
		return;
	}
	if (c->state == CONN_CLOSING || c->state == CONN_WRITING)
		access_request_end(c);	/* answered in full */
	if (c->state == CONN_CLOSING) {
		if (c->linger)
			start_lingering(c);
		else
			http_conn_close(c);
		return;
	}
	if (c->state == CONN_WRITING) {
		conn_reset_request(c);
		c->state = CONN_READING_HEAD;
		if (c->w->draining && c->w->drain_close_idle) {
			http_conn_close(c);
			return;
		}
		/* draining for a reload: the response said keep-alive, so the
		 * connection stays for the client's next request (served with
		 * "Connection: close"); closing it now would race that request */
		c->idle = true;
		arm_deadline(c, c->w->cfg->keepalive_timeout_ms);
		bufferevent_enable(c->bev, EV_READ);
		process_input(c);	/* a pipelined request may be waiting */
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		http_conn_close(arg);
}

/* A response's body and what its head says of it. */
struct response_body {
	const char	*type;		/* Content-Type; NULL: no body, no length */
	const char	*cache;		/* Cache-Control */
	const void	*bytes;
	size_t		 len;
	bool		 newline;	/* JSON: a final newline after the bytes */
};

/*
 * Write a response head (and the body, when it has a type; never for HEAD
 * or a 304) and go on with keep-alive or close. extra_headers: whole lines.
 */
static void
respond_body(struct http_conn *c, int status, const char *extra_headers,
    const struct response_body *b)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = b->len + (b->newline ? 1 : 0);

	if (c->acc.request_id[0] == '\0')
		access_request_begin(c);
	evtimer_del(c->deadline);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason_phrase(status));
	if (b->type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    b->type, len);
	evbuffer_add_printf(out, "Cache-Control: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Request-Id: %s\r\n%s", b->cache, c->acc.request_id, extra_headers);
	if (c->cors_origin != NULL)
		evbuffer_add_printf(out, "Access-Control-Allow-Origin: %.*s\r\n"
		    "Vary: Origin\r\n", (int)c->cors_origin_len, c->cors_origin);
	evbuffer_add_printf(out, "Connection: %s\r\n\r\n",
	    c->keep_alive ? "keep-alive" : "close");
	c->head_sent = true;
	access_response_started(c, status);
	if (b->type != NULL && status != 304 && strcmp(c->method, "HEAD") != 0) {
		evbuffer_add(out, b->bytes, b->len);	/* HEAD: the head alone */
		if (b->newline)
			evbuffer_add(out, "\n", 1);
	}
	c->state = c->keep_alive ? CONN_WRITING : CONN_CLOSING;
	/* no reading while a response is out; keep-alive resumes after the write */
	bufferevent_disable(c->bev, EV_READ);
	if (io_flush_now(c->bev))	/* all out: go on from the loop, not from here */
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

/* A JSON answer (json NULL: none), never cached. */
static void
respond(struct http_conn *c, int status, const char *extra_headers,
    const char *json, size_t json_len)
{
	struct response_body b = {
		.type = json != NULL ? "application/json" : NULL, .cache = "no-store",
		.bytes = json, .len = json_len, .newline = true,
	};

	respond_body(c, status, extra_headers, &b);
}

void
http_respond_bytes(struct http_conn *c, int status, const char *extra_headers,
    const char *type, const char *cache, const void *bytes, size_t len)
{
	struct response_body b = {
		.type = type, .cache = cache, .bytes = bytes, .len = len, .newline = false,
	};

	respond_body(c, status, extra_headers, &b);
}

void
http_respond_json(struct http_conn *c, int status, struct json_object *body)
{
	http_respond_json_headers(c, status, "", body);
}

void
http_respond_json_headers(struct http_conn *c, int status, const char *extra_headers,
    struct json_object *body)
{
	const char *json;

	if (c->acc.request_id[0] == '\0')
		access_request_begin(c);
	/* an error envelope (made here or by the master) names this request */
	if (json_object_is_type(body, json_type_object) &&
	    json_object_object_get_ex(body, "requestId", NULL))
		json_object_object_add(body, "requestId",
		    json_object_new_string(c->acc.request_id));
	json = json_plain(body);
	respond(c, status, extra_headers, json, strlen(json));
	json_object_put(body);
}

void
http_respond_reply(struct http_conn *c, struct reply *r)
{
	struct json_object *body = r->body;

	r->body = NULL;
	http_respond_json(c, r->status, body);
}

/* Bytes a client has sent that we have not read yet (the kernel's buffer). */
static bool
has_unread_bytes(struct http_conn *c)
{
	char byte;

	return recv(bufferevent_getfd(c->bev), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * Draining (reload, stop, master gone): every response not begun yet says
 * "Connection: close", and so does the next request's on a connection whose
 * last response promised keep-alive. An idle kept-alive connection is closed
 * at once only for a stop (close_idle); for a reload it stays until its
 * client closes it, its keep-alive timeout or the drain deadline, since
 * closing it would race the client's next request. A connection that has not
 * sent its first request yet, or whose bytes are on the way, is served once.
 */
void
http_drain(struct worker *w, bool close_idle)
{
	struct http_conn *c, *next;

	w->drain_close_idle = w->drain_close_idle || close_idle;
	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->head_sent)
			c->keep_alive = false;
		if (close_idle && c->state == CONN_READING_HEAD && c->requests > 0 &&
		    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
		    !has_unread_bytes(c))
			http_conn_close(c);
	}
}
