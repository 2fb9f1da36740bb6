/*
 * worker/worker.h — a worker process: its loop, its channel to the master,
 * the registry snapshot it resolves with, and its HTTP connections. The
 * master forks it and calls worker_main() in the child.
 */
#ifndef OMNI_WORKER_H
#define OMNI_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "accesslog.h"
#include "chunked.h"
#include "config.h"
#include "egress.h"
#include "http_parse.h"
#include "outcome_batch.h"
#include "peer_table.h"
#include "registry.h"
#include "reply.h"
#include "textbuf.h"

/*
 * One entry per worker slot in memory the master maps shared before forking
 * (MAP_SHARED): what each worker holds and whether it accepts, so a worker
 * well ahead of another can leave it the next connections (worker.c).
 */
struct accept_board_entry {
	volatile uint32_t	 load;		/* connections + 1 while serving; 0 = not */
	volatile uint32_t	 listening;	/* 1 while accepting (not deferring) */
	volatile uint32_t	 connections;	/* client connections open (omnirctl workers) */
	volatile uint64_t	 body_bytes[BODY_CLASSES];	/* request body bytes held */
};
struct accept_board {
	volatile uint32_t	 used;		/* entries [0, used) may be in use */
	struct accept_board_entry entry[];	/* one per master worker slot */
};

struct worker_init {
	int			 slot;
	int			 channel_fd;	/* socketpair end to the master */
	const int		*listen_fds;
	size_t			 listen_count;
	struct accept_board	*board;		/* shared; NULL = no balancing */
	size_t			 board_index;	/* this worker's entry */
	struct pool_board	*pool_board;	/* shared pool state; NULL = none */
	struct latency_board	*latency_board;	/* shared egress setup times; NULL = none */
	const struct config	*cfg;
};

/* Runs the worker's loop; returns the process exit status. */
int	worker_main(const struct worker_init *init);

#define HTTP_HEAD_MAX		16384
#define HTTP_MGMT_BODY_MAX	(1024 * 1024)
#define HTTP_RELAY_BODY_MAX	(32 * 1024 * 1024)	/* /v1 bodies (audio uploads) */
#define HTTP_LINGER_MS		2000	/* lingering close: how long */
#define HTTP_LINGER_MAX		(64 * 1024 * 1024)	/* and how much is dropped */

struct pool_board;
struct latency_board;
struct relay;
struct models_call;

enum http_conn_state {
	CONN_READING_HEAD,
	CONN_READING_BODY,
	CONN_WAITING_MASTER,	/* a control command is out; reading paused */
	CONN_WRITING,		/* response queued; next request after it drains */
	CONN_CLOSING,		/* close once the output has drained */
	CONN_LINGERING,		/* answered before the request was read: FIN sent,
				 * reading and dropping until EOF or a deadline */
	CONN_RELAYING,		/* a /v1 call is being relayed (worker/relay.c) */
};

/* All per-connection state: nothing of a request lives in locals across callbacks. */
struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct worker		*w;
	struct bufferevent	*bev;
	struct event		*deadline;	/* head / keep-alive timer */
	enum http_conn_state	 state;
	bool			 peer_is_loopback;
	bool			 keep_alive;
	bool			 head_sent;	/* this response's head (and its Connection) is out */
	bool			 idle;		/* between requests: keep-alive deadline */
	bool			 linger;	/* answered with request bytes still coming */
	size_t			 lingered;	/* bytes dropped while lingering */
	unsigned		 requests;
	uint64_t		 tag;		/* of the command sent to the master */
	struct http_request_head head;
	char			*head_copy;	/* the head bytes head points into */
	size_t			 head_len;
	char			*body;
	size_t			 body_len;
	size_t			 body_max;	/* 413 above it */
	enum body_class		 body_class;	/* whose budget its bytes count in */
	size_t			 body_held;	/* body bytes counted in that budget now */
	struct peer		*peer_entry;	/* its address's counts (w->peers) */
	bool			 chunked;	/* the body comes chunked (decoded here) */
	struct chunked_state	 chunks;
	char			 method[16];
	char			 path[512];
	char			*target;	/* path + query, NUL-terminated */
	/* allowed_origins names this /v1 request's Origin: its responses carry
	 * Access-Control-Allow-Origin with these bytes (into head_copy) */
	const char		*cors_origin;
	size_t			 cors_origin_len;
	/* the request's id (X-Request-Id, requestId, access log) and its
	 * access-log record, owed for a /v1 call until it ends (worker/access.c) */
	struct access_record	 acc;
	bool			 acc_owed;
	char			 peer[64];	/* the client's address */
	uint64_t		 req_start_ms;
	uint64_t		 out_total;	/* bytes the client was sent, all requests */
	uint64_t		 out_at_start;
	struct evbuffer_cb_entry *out_cb;	/* counts out_total */
	const char		*mutation;	/* a mutating command is out (logged) */
	struct json_object	*mutation_args;
	struct relay		*relay;		/* the /v1 call in progress, if any */
	struct models_call	*models;	/* a GET /v1/models in progress (models.c) */
};
TAILQ_HEAD(http_conn_list, http_conn);

/*
 * A job the master gave this worker (a proxy probe, say): it answers with the
 * job's tag when done. cancel() abandons it (worker exit) without answering.
 */
struct job {
	TAILQ_ENTRY(job)	 entry;
	struct worker		*w;
	uint64_t		 tag;
	void			(*cancel)(struct job *job);
};
TAILQ_HEAD(job_list, job);

struct pooled;
TAILQ_HEAD(pooled_list, pooled);

struct worker {
	int			 slot;
	const struct config	*cfg;
	struct event_base	*base;
	struct bufferevent	*channel;
	struct evconnlistener	*listeners[CONFIG_MAX_LISTEN];
	size_t			 listener_count;
	struct registry_snapshot snap;
	uint64_t		 next_tag;
	struct http_conn_list	 conns;
	size_t			 conn_count;
	bool			 accept_paused;	/* at max_client_connections, or fds ran out */
	uint64_t		 cap_warned_ms;	/* last "max_client_connections" warning */
	struct event		*accept_retry;	/* resumes accepting after running out of fds */
	bool			 serving;	/* the master said "serve": accept */
	bool			 listening;	/* the listeners are enabled */
	bool			 deferring;	/* well ahead of an accepting worker: leave it the next */
	int			 defer_checks;	/* re-checks while deferring (bounded) */
	struct event		*defer_check;	/* re-checks the balance while deferring */
	struct accept_board	*board;
	size_t			 board_index;
	struct pool_board	*pool_board;	/* pools' cursors, sticky, cool-downs */
	struct latency_board	*latency_board;	/* egress setup times per proxy */
	bool			 master_gone;	/* channel EOF: finishing, then exit */
	bool			 greeted;	/* the master's hello named our protocol version */
	bool			 channel_refused;	/* the master speaks another protocol: exiting */
	int			 exit_status;	/* of the process, when not 0 */
	struct event		*drain_deadline;	/* a draining worker exits by then */
	char			 drain_setting[32];	/* the setting that set it, for the log */
	/* request body bytes held, per class (body_budget_mb, api_body_budget_mb) */
	struct body_budget	 body_budgets[BODY_CLASSES];
	struct peer_table	 peers;		/* per client address: connections, bytes */
	uint64_t		 peer_cap_warned_ms;	/* last max_connections_per_peer warning */
	bool			 draining;
	bool			 drain_close_idle;	/* a stop: idle connections go at once */
	struct egress_env	 egress_env;	/* loop, cfg, TLS context, resolver */
	struct job_list		 jobs;		/* jobs from the master in progress */
	struct pooled_list	 pool;		/* idle upstream connections (pool.c) */
	struct outcome_batch	 outcomes;	/* rows waiting for the next send */
	struct textbuf		 scratch;	/* the relay composes heads here */
	struct event		*outcome_timer;
	size_t			 pool_count;
	struct cooldown {
		char		 connection_id[40];
		uint64_t	 until_ms;
	}			 cooldowns[64];
	struct event		*sigterm_ev;
	struct event		*sigint_ev;
	struct access_log	*access;	/* NULL: access_log = off (access.c) */
	struct event		*access_flush_ev;
	struct event		*sigusr1_ev;	/* reopen the log files */
};

/* worker/worker.c: stop or resume taking new client connections; after
 * each accepted one, step aside while clearly ahead of an accepting worker. */
void	worker_pause_accepting(struct worker *w, bool pause);
void	worker_took_a_connection(struct worker *w);
/* A connection closed: publish the load; stop deferring if no longer ahead. */
void	worker_lost_a_connection(struct worker *w);

/* worker/access.c: logs of a worker (SIGUSR1 reopens them) and the
 * per-request id and access-log line */
void	worker_logs_start(struct worker *w);
void	worker_logs_stop(struct worker *w);
void	access_conn_open(struct http_conn *c);
void	access_conn_close(struct http_conn *c);
void	access_request_begin(struct http_conn *c);
/* The response head is going out now with this status. */
void	access_response_started(struct http_conn *c, int status);
/* The request is over (answered, or the client left): write its line. */
void	access_request_end(struct http_conn *c);

/* worker/http_server.c */
/* The body budgets and the per-peer table, from the config / freed at exit. */
void	http_limits_init(struct worker *w);
void	http_limits_free(struct worker *w);
void	http_accept(struct evconnlistener *lev, evutil_socket_t fd,
	    struct sockaddr *sa, int socklen, void *arg);
/* Send a response (JSON body) and go on with keep-alive or close. */
void	http_respond_json(struct http_conn *c, int status, struct json_object *body);
void	http_respond_error(struct http_conn *c, int status, const char *message);
void	http_respond_reply(struct http_conn *c, struct reply *r);
/*
 * Bytes as they are (the dashboard's files): type NULL for no body and no
 * length (a 304), cache the Cache-Control value; extra header lines end in
 * CRLF. The body is not sent for HEAD or a 304.
 */
void	http_respond_bytes(struct http_conn *c, int status, const char *extra_headers,
	    const char *type, const char *cache, const void *bytes, size_t len);
/* http_respond_json with extra header lines (each ending in CRLF). */
void	http_respond_json_headers(struct http_conn *c, int status,
	    const char *extra_headers, struct json_object *body);
void	http_conn_close(struct http_conn *c);
/*
 * Draining: every response from now on says "Connection: close"; with
 * close_idle (a stop) idle kept-alive connections are closed at once, else
 * (a reload) they are left to their client or their keep-alive timeout.
 */
void	http_drain(struct worker *w, bool close_idle);

/* worker/api_routes.c: a complete request (head + body) is ready. */
void	api_dispatch(struct http_conn *c);
/* The master is gone: requests waiting for it get 503. */
void	api_master_gone(struct worker *w);
/* A reply line from the master for tag. */
void	api_master_reply(struct worker *w, uint64_t tag, int status,
	    const char *json, size_t len);

/* worker/relay.c: relay a /v1 request; the client went away / drained its output */
void	relay_start(struct http_conn *c);
void	relay_abort(struct relay *r);
void	relay_client_drained(struct relay *r);
/* REQUIRE_API_KEY: the request's Bearer (or x-api-key) is a known client key. */
bool	relay_client_authorized(struct http_conn *c);
bool	api_authorised(struct http_conn *c);
/* A connection that answered 401/403/429 rests a while (per worker). */
bool	relay_in_cooldown(struct worker *w, const char *connection_id);
void	relay_cool_down(struct worker *w, const char *connection_id);

/* worker/worker.c: add an attempt's outcome to the batch for the master. */
void	outcomes_queue(struct worker *w, const struct outcome *o);

/* worker/jobs.c: run "job #tag job.name {args}" from the master. */
void	jobs_start(struct worker *w, uint64_t tag, const char *name,
	    struct json_object *args);
/* Answer a job (status, body owned) and forget it. */
void	job_finish(struct job *job, int status, struct json_object *body);

/* A proxy a job was handed ({id,type,host,port,username,password}), owned. */
struct job_proxy {
	bool			 present;
	struct snap_proxy	 proxy;		/* name ""; credentials wiped on clear */
	char			 url[300];	/* type://host:port, no credentials */
};
/* Read o into p; -1 when it is not a proxy. Clear it with job_proxy_clear. */
int	job_proxy_take(struct job_proxy *p, struct json_object *o);
void	job_proxy_clear(struct job_proxy *p);
void	jobs_cancel_all(struct worker *w);

/* worker/probe.c: job.probe — a request through a proxy (or direct) */
void	probe_start(struct worker *w, uint64_t tag, struct json_object *args);
/* worker/oneproxy_page.c: job.oneproxy_page — one page of the 1proxy feed */
void	oneproxy_page_start(struct worker *w, uint64_t tag, struct json_object *args);

/* worker/worker.c: send "command #tag name {args}" to the master. */
void	worker_send_command(struct worker *w, uint64_t tag, const char *command,
	    struct json_object *args);
/* One line (without LF) from the master: split, checked against the channel's
 * table (common/channel.h) and handled; wiped when it may hold credentials. */
void	worker_channel_line(struct worker *w, char *line, size_t len);
void	worker_check_drained(struct worker *w);

#endif
