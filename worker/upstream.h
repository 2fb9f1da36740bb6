/*
 * worker/upstream.h — the one way a worker sends an HTTP request to a
 * provider (or any URL), directly or through a proxy, and reads the answer.
 * As nginx splits ngx_http_upstream.c (the machine) from
 * ngx_http_proxy_module.c (one user of it), this is the machine; the relay,
 * the model lists and the probes are its users: they say where to go and
 * compose the request, and react to the head and the result.
 *
 *   upstream_start: the target URL → the egress, resolved from the snapshot
 *   for the call (fail-closed, SOCKS5 gate) or given (a probe) → an idle
 *   pooled connection, or a new one (worker/egress.c) → the user's request
 *   head and body, written whole → the response head (interim 1xx skipped)
 *   → a final status the user declines ends the attempt; else the body by
 *   its framing (Content-Length, chunked, until close), streamed to a sink
 *   with backpressure (the relay's client) or collected up to a cap → the
 *   connection back to the pool when the answer ended cleanly → the typed
 *   result (upstream_result.h) and the attempt's outcome row for the master
 *   (proxy_logs), reported here and only here, once per attempt.
 *
 * Deadlines: the egress stages have theirs (the settings); the response head
 * and the body's idle gaps have the user's (0: none). All state of an attempt
 * lives in struct upstream, which the user embeds in its own per-call struct
 * and may start again for the next attempt once the last one ended.
 */
#ifndef OMNI_UPSTREAM_H
#define OMNI_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "chunked.h"
#include "egress.h"
#include "http_response.h"
#include "http_util.h"
#include "resolve.h"
#include "textbuf.h"
#include "upstream_result.h"

struct worker;
struct upstream;

/* A request body as pieces written in order (the relay splices a model name in). */
#define UPSTREAM_BODY_PIECES	3
struct upstream_body {
	const char	*data[UPSTREAM_BODY_PIECES];
	size_t		 len[UPSTREAM_BODY_PIECES];
	size_t		 count;
};

struct upstream_ops {
	/*
	 * The connection is ready: add the request line and the header fields
	 * (a Content-Length for a body, no Connection) to t, and the body's
	 * pieces to body. The pieces need to live only during the call. The
	 * exchange adds "Connection: keep-alive" when the connection may go
	 * back to the pool, else "Connection: close", and the blank line.
	 */
	void	(*compose)(struct upstream *u, struct textbuf *t,
		    struct upstream_body *body);
	/*
	 * Optional: a final head whose status fails over (401, 403, 429, 5xx)
	 * arrived; true when the user has another candidate for the call, so
	 * this answer is declined (UPSTREAM_ERR_STATUS) and not passed on.
	 */
	bool	(*may_fail_over)(struct upstream *u);
	/* Optional: the final head is taken (u->resp; its fields point into
	 * the connection's buffer until this returns); the body comes next. */
	void	(*on_head)(struct upstream *u);
	/* Optional, for a collected body: the whole of it is in u->body; NULL
	 * when the user can read it, else why not (the attempt then fails as
	 * UPSTREAM_ERR_MALFORMED with that message). */
	const char *(*judge_body)(struct upstream *u);
	/*
	 * The attempt ended, u->result says how; the outcome is reported and
	 * the connection released (u->body stays for a collector). The user may
	 * start u again, or free it, from here.
	 */
	void	(*done)(struct upstream *u);
};

enum upstream_phase {
	UPSTREAM_IDLE,		/* not started, or ended */
	UPSTREAM_CONNECTING,	/* the egress is under way */
	UPSTREAM_AWAIT_HEAD,	/* the request is written */
	UPSTREAM_BODY,		/* the head is taken; the body is coming */
};

#define UPSTREAM_POOL_TRIED_MAX	64	/* ≥ pool_attempts_max (config: 1..64) */

struct upstream {
	/* ---- set by the user: the same for every attempt of a call ---- */
	struct worker		*w;
	const struct upstream_ops *ops;
	void			*arg;		/* the user's, for its callbacks */
	long			 head_timeout_ms;	/* 0: no deadline */
	long			 body_idle_ms;		/* 0: no deadline */
	bool			 request_is_head;	/* no body follows the answer */
	bool			 wipe_request;	/* the request holds a secret of its own */
	bool			 no_pool;	/* always a new connection, closed after */
	bool			 report;	/* queue an outcome row per attempt */
	/* where the body goes: to sink's output (streamed, backpressure; the
	 * user calls upstream_sink_drained), or else collected into body, at
	 * most collect_max bytes, and then only for a 2xx answer */
	struct bufferevent	*sink;
	size_t			 collect_max;

	/* ---- set by the user: per attempt (pointers valid until it ends) ---- */
	const char		*url;		/* the target; parsed at the start */
	const char		*name;		/* who answers, in messages: "openai" */
	/* the egress: resolved for provider/connection/combo (delegated: the
	 * hop is a loopback CLIProxyAPI) unless fixed_egress, then proxy (NULL:
	 * direct) */
	bool			 fixed_egress;
	const struct snap_proxy	*proxy;
	bool			 delegated;
	/* the call, for the resolution and the outcome row */
	const char		*provider;
	const char		*connection;	/* NULL or "": none */
	const char		*combo;
	const char		*model;

	/* ---- the attempt (read-only for the user) ---- */
	enum upstream_phase	 phase;
	struct http_url		 target;
	struct resolve_result	 res;
	char			 level[16];	/* the resolution's level name */
	char			 level_id[80];
	char			 proxy_id[40];	/* "" when not proxied */
	/* the pool that decided (copied: the snapshot may change meanwhile):
	 * its size (0: no assignment decided) */
	size_t			 pool_size;
	/* failover inside the pool, for this start of the exchange
	 * (upstream_start resets it; the members it fails over to keep it):
	 * the members tried, the current one included, their id hashes in
	 * the pool whose key is pool_key, and each failure as "id (stage)" */
	int			 pool_attempts;
	uint64_t		 pool_key;
	uint64_t		 pool_tried[UPSTREAM_POOL_TRIED_MAX];
	size_t			 pool_tried_count;
	char			 pool_failures[440];
	char			 via[340];	/* the pool key's proxy part */
	bool			 poolable;
	struct egress		*egress;
	struct bufferevent	*bev;
	struct http_response_head resp;	/* framing, keep_alive, status stay valid */
	int			 interim;
	uint64_t		 remaining;	/* Content-Length framing */
	struct chunked_state	 chunks;
	struct evbuffer		*body;		/* collected (de-chunked) */
	uint64_t		 started_ms;
	uint64_t		 egress_started_us;
	struct upstream_result	 result;
};

/*
 * Start an attempt with the fields above. 0: under way, ops->done will say
 * how it ended. -1: it could not start (a refusing assignment, SOCKS5 off,
 * a bad URL): u->result says why, the outcome is reported, and done is not
 * called. Either way u->level and u->proxy_id name the resolution.
 *
 * When a pool of several members decided (API.md "Pools") and the member
 * fails before any byte of the request left (DNS, connect, proxy handshake
 * or auth, TLS: upstream_failed_before_request), the exchange itself cools
 * the member down (pool_cooldown_ms, for every worker), reports its
 * outcome, and starts the next member the strategy gives, up to
 * pool_attempts_max members; done comes once, with the member that
 * answered or, when none could, the last failure under a message naming
 * each member and its stage (PROXY_POOL_UNAVAILABLE). Never direct. A
 * SOCKS5 member while SOCKS5 is disabled is passed over the same way.
 */
int	upstream_start(struct upstream *u);

/*
 * The caller could not even form the attempt's target (a URL too long to
 * build, say): the attempt fails at once with UPSTREAM_ERR_BAD_URL in the
 * route stage, is reported, and done is not called; -1.
 */
int	upstream_refuse_route(struct upstream *u, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The sink drained: read from upstream again (backpressure). */
void	upstream_sink_drained(struct upstream *u);

/*
 * The user gives up on an attempt in flight (its client went away): the
 * outcome says why, the connection closes, done is not called. A no-op when
 * no attempt is in flight.
 */
void	upstream_abandon(struct upstream *u, const char *why);

/* Free what the exchange holds (the collected body too); no outcome. */
void	upstream_release(struct upstream *u);

#endif
