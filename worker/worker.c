/*
 * worker/worker.c — the worker process: one libevent loop that accepts on the
 * listening sockets it inherited, serves HTTP (worker/http_server.c), and
 * talks to the master over its channel (common/channel.h: a hello naming
 * the protocol version first; snapshots in, each acknowledged; control
 * commands out for /api requests; jobs in; "drain" to finish and exit): a
 * table of handlers, one per message the master sends.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "dns.h"
#include "evline.h"
#include "pool.h"
#include "tls.h"
#include "channel.h"
#include "line.h"
#include "log.h"
#include "util.h"
#include "worker.h"

static void
worker_stop_accepting(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->listener_count; i++) {
		if (w->listeners[i] != NULL)
			evconnlistener_free(w->listeners[i]);
		w->listeners[i] = NULL;
	}
}

/* Write this worker's load and accepting state where the others read it. */
static void
publish_board(struct worker *w)
{
	struct accept_board_entry *e;
	bool serving = w->serving && !w->draining && !w->accept_paused;

	if (w->board == NULL)
		return;
	e = &w->board->entry[w->board_index];
	e->load = serving ? (uint32_t)w->conn_count + 1 : 0;
	e->listening = serving && !w->deferring;
	e->connections = (uint32_t)w->conn_count;
}

/* Accept exactly when serving, not draining, not at the cap, not deferring. */
static void
update_listening(struct worker *w)
{
	bool on = w->serving && !w->draining && !w->accept_paused && !w->deferring;
	size_t i;

	publish_board(w);
	if (on == w->listening)
		return;
	w->listening = on;
	for (i = 0; i < w->listener_count; i++)
		if (w->listeners[i] != NULL)
			(on ? evconnlistener_enable : evconnlistener_disable)(w->listeners[i]);
}

void
worker_pause_accepting(struct worker *w, bool pause)
{
	if (pause == w->accept_paused || w->draining)
		return;
	w->accept_paused = pause;
	update_listening(w);
}

/*
 * Is this worker clearly ahead of another worker that is accepting right
 * now: by 4 connections plus a quarter of that one's count? Only then may
 * it leave the next connections to the others: some other worker always
 * accepts (a deferring worker does not count), so the kernel's queue is
 * taken at its pace whatever this one does.
 */
static bool
ahead_of_an_accepting_worker(const struct worker *w)
{
	uint32_t mine = (uint32_t)w->conn_count;
	size_t i;

	for (i = 0; w->board != NULL && i < w->board->used; i++) {
		const struct accept_board_entry *e = &w->board->entry[i];
		uint32_t load = e->load;
		if (i == w->board_index || load == 0 || !e->listening)
			continue;
		if (mine >= (load - 1) + 4 + (load - 1) / 4)
			return true;
	}
	return false;
}

#define DEFER_CHECK_MS		1	/* while deferring, look again this often */
#define DEFER_CHECKS_MAX	3	/* and accept anyway after this many looks */

static void
stop_deferring(struct worker *w)
{
	w->deferring = false;
	update_listening(w);
}

static void
defer_check(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tv = { 0, DEFER_CHECK_MS * 1000 };

	(void)fd;
	(void)what;
	if (!w->deferring)
		return;
	/* bounded: two workers that looked at once may both have stepped aside */
	if (++w->defer_checks < DEFER_CHECKS_MAX && ahead_of_an_accepting_worker(w)) {
		evtimer_add(w->defer_check, &tv);
		return;
	}
	stop_deferring(w);
}

/*
 * After each accepted connection. libevent's listener takes the kernel's
 * queue in a loop until it is empty or the listener is disabled, so after a
 * burst (32 clients connecting at once) the worker that woke first would
 * hold every connection while the others idle. A worker clearly ahead of
 * another that accepts steps aside (the loop stops) until its own
 * connections close or for at most DEFER_CHECKS_MAX looks; the others take
 * the rest. Deciding from the shared board, a worker never steps aside
 * unless another one is accepting, so nothing waits for a sleeping worker.
 */
void
worker_took_a_connection(struct worker *w)
{
	struct timeval tv = { 0, DEFER_CHECK_MS * 1000 };

	if (!w->deferring && ahead_of_an_accepting_worker(w)) {
		w->deferring = true;
		w->defer_checks = 0;
		if (w->defer_check == NULL)
			w->defer_check = evtimer_new(w->base, defer_check, w);
		evtimer_add(w->defer_check, &tv);
		update_listening(w);
		return;
	}
	publish_board(w);
}

void
worker_lost_a_connection(struct worker *w)
{
	if (w->deferring && !ahead_of_an_accepting_worker(w))
		stop_deferring(w);
	else
		publish_board(w);
}

static void
accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if ((long)w->conn_count < w->cfg->max_client_connections)
		worker_pause_accepting(w, false);
}

/*
 * accept() failed (EMFILE, ENFILE, ENOBUFS...): the listening socket stays
 * readable, so accepting pauses for a second instead of spinning.
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct worker *w = arg;
	struct timeval second = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	(void)lev;
	log_warnx("cannot accept a client connection: %s; pausing accepts for 1 s "
	    "(%zu connections open)", evutil_socket_error_to_string(err), w->conn_count);
	worker_pause_accepting(w, true);
	if (w->accept_retry == NULL)
		w->accept_retry = evtimer_new(w->base, accept_retry, w);
	evtimer_add(w->accept_retry, &second);
}

/*
 * Write what is still queued for the master (a job's answer, the last
 * outcome rows) before the channel closes: the loop has ended, so this
 * waits for the socket itself, at most about two seconds.
 */
static void
channel_write_out(struct bufferevent *channel)
{
	struct evbuffer *out = bufferevent_get_output(channel);
	struct pollfd pfd = { bufferevent_getfd(channel), POLLOUT, 0 };
	int waits = 0;

	/* a socket bufferevent keeps its output's start frozen for itself */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0 && pfd.fd >= 0) {
		if (evbuffer_write(out, pfd.fd) >= 0)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
		    ++waits > 20 || poll(&pfd, 1, 100) < 0)
			break;
	}
}

/* A draining worker ends once its connections and its jobs (a probe, a feed
 * page: the master waits for their answers) are done, or at its deadline. */
void
worker_check_drained(struct worker *w)
{
	if (w->draining && w->conn_count == 0 && TAILQ_EMPTY(&w->jobs))
		event_base_loopexit(w->base, NULL);
}

static void
drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	log_warnx("still busy at the drain deadline (%s); closing %zu connections: "
	    "their open calls end cut", w->drain_setting, w->conn_count);
	event_base_loopexit(w->base, NULL);
}

/*
 * Stop accepting and finish: exit when the last connection ends, or at
 * deadline_ms (0 = no limit). close_idle: see http_drain().
 */
static void
worker_start_drain(struct worker *w, long deadline_ms, bool close_idle)
{
	if (w->draining) {
		if (close_idle)
			http_drain(w, true);
		return;
	}
	w->draining = true;
	publish_board(w);		/* 0: the others stop comparing with this one */
	log_debug("draining: %zu connections open", w->conn_count);
	pool_free_all(w);
	worker_stop_accepting(w);
	if (deadline_ms > 0) {
		struct timeval tv = { deadline_ms / 1000, (deadline_ms % 1000) * 1000 };
		w->drain_deadline = evtimer_new(w->base, drain_deadline, w);
		evtimer_add(w->drain_deadline, &tv);
	}
	http_drain(w, close_idle);
	worker_check_drained(w);
}

/* "drain {"deadlineMs":N,"closeIdle":bool}" */
static void
handle_drain(struct worker *w, const char *json, size_t len)
{
	struct json_object *obj = json_parse_document(json, len, 4), *v;
	long deadline_ms = w->cfg->shutdown_timeout_ms;
	bool close_idle = true;

	if (obj != NULL && json_object_object_get_ex(obj, "deadlineMs", &v))
		deadline_ms = (long)json_object_get_int64(v);
	if (obj != NULL && json_object_object_get_ex(obj, "closeIdle", &v))
		close_idle = json_object_get_boolean(v);
	if (obj != NULL && json_object_object_get_ex(obj, "setting", &v))
		snprintf(w->drain_setting, sizeof(w->drain_setting), "%s",
		    json_object_get_string(v));
	json_object_put(obj);
	worker_start_drain(w, deadline_ms, close_idle);
}

/* "serve": the master has seen our snapshot; take connections from now on. */
static void
handle_serve(struct worker *w, const char *body, size_t len)
{
	(void)body;
	(void)len;
	if (w->serving || w->draining)
		return;
	w->serving = true;
	update_listening(w);
	log_debug("serving");
}

static void
send_ack(struct worker *w)
{
	char ack[64];
	int n = snprintf(ack, sizeof(ack), "{\"generation\":%llu}",
	    (unsigned long long)w->snap.generation);

	channel_send(bufferevent_get_output(w->channel), CHANNEL_ACK, ack, (size_t)n);
}

/* A change to the snapshot; if it does not fit, ask for the whole one. */
static void
handle_delta(struct worker *w, const char *json, size_t len)
{
	struct json_object *obj = json_parse_document(json, len, 16);
	char err[256];

	if (obj == NULL || snapshot_apply_delta(&w->snap, obj, err, sizeof(err)) != 0) {
		log_errorx("cannot apply a snapshot delta (%s); asking for the whole "
		    "snapshot", obj == NULL ? "not JSON" : err);
		channel_send(bufferevent_get_output(w->channel), CHANNEL_RESYNC, "{}", 2);
		json_object_put(obj);
		return;
	}
	json_object_put(obj);
	send_ack(w);
}

static void
handle_snapshot(struct worker *w, const char *json, size_t len)
{
	struct json_object *obj = json_parse_document(json, len, 16);
	struct registry_snapshot fresh;
	char err[256];

	if (obj == NULL || snapshot_from_json(obj, &fresh, err, sizeof(err)) != 0) {
		log_errorx("bad snapshot from the master: %s",
		    obj == NULL ? "not JSON" : err);
		json_object_put(obj);
		return;
	}
	json_object_put(obj);
	snapshot_free(&w->snap);
	w->snap = fresh;
	send_ack(w);
}

/* Say why this worker cannot start (the master names it), before exiting. */
static void
report_start_failure(int channel_fd, const char *why)
{
	struct json_object *o = json_object_new_object();
	const char *json;
	char *line;
	size_t len;

	json_object_object_add(o, "error", json_object_new_string(why));
	json = json_plain(o);
	len = strlen(channel_name(CHANNEL_FAILED)) + 1 + strlen(json) + 1;
	line = xcalloc(1, len + 1);
	snprintf(line, len + 1, "%s %s\n", channel_name(CHANNEL_FAILED), json);
	if (write(channel_fd, line, strlen(line)) < 0)
		log_warn("cannot tell the master why");
	free(line);
	json_object_put(o);
}

/* "job #tag job.name {args}": network work the master hands us (worker/jobs.c). */
static void
handle_job(struct worker *w, const char *body, size_t len)
{
	struct control_request req;
	struct json_object *args;
	const char *err;

	if (control_parse_request(body, len, &req, &err) != PARSE_DONE) {
		log_errorx("bad job from the master: %s", err);
		return;
	}
	args = req.json != NULL ? json_parse_document(req.json, req.json_len, 16) :
	    json_object_new_object();
	jobs_start(w, req.tag, req.name, args);
	json_object_put(args);
}

/* "reply #tag status json": the answer to the command an /api request sent. */
static void
handle_reply(struct worker *w, const char *body, size_t len)
{
	struct control_reply rep;
	const char *err;

	if (control_parse_reply(body, len, &rep, &err) != PARSE_DONE) {
		log_errorx("bad reply from the master: %s", err);
		return;
	}
	api_master_reply(w, rep.tag, rep.status, rep.json, rep.json_len);
}

/*
 * This worker and the master do not speak the same protocol: say why (the
 * master names it when this worker exits), stop reading and exit with 1.
 */
static void
refuse_master(struct worker *w, const char *why)
{
	log_errorx("%s; exiting", why);
	report_start_failure(bufferevent_getfd(w->channel), why);
	w->channel_refused = true;
	w->exit_status = 1;
	bufferevent_disable(w->channel, EV_READ);
	event_base_loopexit(w->base, NULL);
}

/* "hello {"version":N}": the master's first line; answered with ours. */
static void
handle_hello(struct worker *w, const char *body, size_t len)
{
	char why[160];
	long theirs;

	if (channel_hello_check(body, len, &theirs) != 0) {
		channel_describe_mismatch(why, sizeof(why), "the master", theirs,
		    "this worker");
		refuse_master(w, why);
		return;
	}
	w->greeted = true;
	channel_send(bufferevent_get_output(w->channel), CHANNEL_HELLO,
	    CHANNEL_HELLO_BODY, sizeof(CHANNEL_HELLO_BODY) - 1);
}

/* The handler slot of each message the master sends (common/channel.h). */
static void (*const from_master[CHANNEL_TYPE_COUNT])(struct worker *w,
    const char *body, size_t len) = {
	[CHANNEL_HELLO]		= handle_hello,
	[CHANNEL_SNAPSHOT]	= handle_snapshot,
	[CHANNEL_DELTA]		= handle_delta,
	[CHANNEL_SERVE]		= handle_serve,
	[CHANNEL_DRAIN]		= handle_drain,
	[CHANNEL_JOB]		= handle_job,
	[CHANNEL_REPLY]		= handle_reply,
};

void
worker_channel_line(struct worker *w, char *line, size_t len)
{
	struct channel_line msg;
	const char *why;
	char refusal[256];

	if (channel_parse_line(line, len, &msg, &why) != PARSE_DONE) {
		log_errorx("malformed message from the master (%s); dropped", why);
	} else {
		switch (channel_admit(&msg, CHANNEL_TO_WORKER, w->greeted, &why)) {
		case CHANNEL_HANDLE:
			if (from_master[msg.type] != NULL) {
				from_master[msg.type](w, msg.body, msg.body_len);
				break;
			}
			log_errorx("no handler for \"%s\" from the master; dropped",
			    channel_name(msg.type));
			break;
		case CHANNEL_DROP:
			log_warnx("message \"%.*s\" from the master: %s; dropped",
			    (int)msg.name_len, msg.name, why);
			break;
		case CHANNEL_CLOSE:
			snprintf(refusal, sizeof(refusal), "the master sent \"%.*s\" %s "
			    "(this worker speaks version %d)", (int)msg.name_len, msg.name,
			    why, CHANNEL_PROTOCOL_VERSION);
			refuse_master(w, refusal);
			break;
		}
	}
	if (channel_messages[msg.type].wipe)
		explicit_bzero(line, len);	/* it may have carried credentials */
}

static void
channel_read(struct bufferevent *bev, void *arg)
{
	struct worker *w = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	enum parse p = PARSE_MORE;
	char *line;
	size_t len;

	while (!w->channel_refused &&
	    (p = evbuffer_take_line(in, CHANNEL_LINE_MAX, &line, &len)) == PARSE_DONE) {
		worker_channel_line(w, line, len);
		free(line);
	}
	if (!w->channel_refused && p == PARSE_INVALID) {
		log_errorx("over-long line from the master; exiting");
		event_base_loopexit(w->base, NULL);
	}
}

static void
channel_event(struct bufferevent *bev, short what, void *arg)
{
	struct worker *w = arg;

	(void)bev;
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) && !w->master_gone) {
		/* the master is gone: let go of the listening sockets at once (a
		 * new daemon may bind them), finish what is in flight, then exit */
		log_warnx("channel to the master closed; finishing %zu connections "
		    "(at most reload_drain_timeout_ms), then exiting", w->conn_count);
		w->master_gone = true;
		bufferevent_disable(w->channel, EV_READ | EV_WRITE);
		api_master_gone(w);
		jobs_cancel_all(w);
		snprintf(w->drain_setting, sizeof(w->drain_setting), "reload_drain_timeout_ms");
	worker_start_drain(w, w->cfg->reload_drain_timeout_ms, false);
	}
}

#define OUTCOME_BATCH_MS	100

/* Send the batched outcome rows as one "outcomes [...]" message. */
static void
outcomes_flush(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct json_object *rows;
	const char *json;

	(void)fd;
	(void)what;
	rows = outcome_batch_rows(&w->outcomes);
	if (rows == NULL)
		return;
	if (w->channel != NULL) {
		json = json_plain(rows);
		channel_send(bufferevent_get_output(w->channel), CHANNEL_OUTCOMES, json,
		    strlen(json));
	}
	json_object_put(rows);
	outcome_batch_clear(&w->outcomes);
}

void
outcomes_queue(struct worker *w, const struct outcome *o)
{
	struct timeval tv = { 0, OUTCOME_BATCH_MS * 1000 };

	if (outcome_batch_add(&w->outcomes, o)) {
		outcomes_flush(-1, 0, w);
		return;
	}
	if (w->outcome_timer == NULL)
		w->outcome_timer = evtimer_new(w->base, outcomes_flush, w);
	if (!evtimer_pending(w->outcome_timer, NULL))
		evtimer_add(w->outcome_timer, &tv);
}

void
worker_send_command(struct worker *w, uint64_t tag, const char *command,
    struct json_object *args)
{
	const char *json = json_plain(args);

	channel_send_tagged(bufferevent_get_output(w->channel), CHANNEL_COMMAND, tag,
	    command, json, strlen(json));
}

static void
on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;

	(void)sig;
	(void)what;
	snprintf(w->drain_setting, sizeof(w->drain_setting), "shutdown_timeout_ms");
	worker_start_drain(w, w->cfg->shutdown_timeout_ms, true);
}

int
worker_main(const struct worker_init *init)
{
	struct worker w;
	size_t i;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	TAILQ_INIT(&w.conns);
	TAILQ_INIT(&w.jobs);
	TAILQ_INIT(&w.pool);
	w.slot = init->slot;
	w.cfg = init->cfg;
	w.board = init->board;
	w.board_index = init->board_index;
	w.pool_board = init->pool_board;
	w.latency_board = init->latency_board;
	srandom((unsigned)getpid() ^ (unsigned)monotonic_ms());	/* pools: strategy random */
	http_limits_init(&w);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	w.base = event_base_new();
	if (w.base == NULL) {
		log_errorx("cannot create the event loop");
		return 1;
	}
	{
		char err[256];
		w.egress_env.base = w.base;
		w.egress_env.cfg = w.cfg;
		if ((w.egress_env.dns = dns_resolver_new(w.base, err, sizeof(err))) == NULL ||
		    (w.egress_env.tls_ctx = tls_client_ctx_new(w.cfg->ca_file, err,
		    sizeof(err))) == NULL) {
			log_errorx("cannot start: %s", err);
			report_start_failure(init->channel_fd, err);
			close(init->channel_fd);
			rc = 1;
			goto out;
		}
	}
	worker_logs_start(&w);
	w.channel = bufferevent_socket_new(w.base, init->channel_fd,
	    BEV_OPT_CLOSE_ON_FREE);
	evutil_make_socket_nonblocking(init->channel_fd);
	bufferevent_setcb(w.channel, channel_read, NULL, channel_event, &w);
	bufferevent_enable(w.channel, EV_READ | EV_WRITE);
	for (i = 0; i < init->listen_count; i++) {
		int fd = dup(init->listen_fds[i]);
		if (fd == -1) {
			log_warn("dup listening socket");
			rc = 1;
			goto out;
		}
		evutil_make_socket_nonblocking(fd);
		/* accepting begins when the master says "serve" (we hold the snapshot) */
		w.listeners[i] = evconnlistener_new(w.base, http_accept, &w,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
		    -1, fd);
		if (w.listeners[i] == NULL) {
			log_errorx("cannot accept on listening socket %zu", i);
			close(fd);
			rc = 1;
			goto out;
		}
		evconnlistener_set_error_cb(w.listeners[i], on_accept_error);
		w.listener_count++;
	}
	for (i = 0; i < init->listen_count; i++)
		close(init->listen_fds[i]);	/* our dups are the ones we use */
	w.sigterm_ev = evsignal_new(w.base, SIGTERM, on_stop_signal, &w);
	w.sigint_ev = evsignal_new(w.base, SIGINT, on_stop_signal, &w);
	evsignal_add(w.sigterm_ev, NULL);
	evsignal_add(w.sigint_ev, NULL);
	event_base_dispatch(w.base);
	if (w.exit_status != 0)
		rc = w.exit_status;
	log_debug("exiting");
out:
	jobs_cancel_all(&w);
	pool_free_all(&w);
	outcomes_flush(-1, 0, &w);	/* the last rows go before the channel closes */
	if (w.outcome_timer != NULL)
		event_free(w.outcome_timer);
	if (w.accept_retry != NULL)
		event_free(w.accept_retry);
	if (w.defer_check != NULL)
		event_free(w.defer_check);
	if (w.board != NULL)
		memset(&w.board->entry[w.board_index], 0, sizeof(w.board->entry[0]));
	if (w.drain_deadline != NULL)
		event_free(w.drain_deadline);
	worker_stop_accepting(&w);
	while (!TAILQ_EMPTY(&w.conns))
		http_conn_close(TAILQ_FIRST(&w.conns));
	http_limits_free(&w);
	worker_logs_stop(&w);	/* after the connections: their last lines */
	if (w.channel != NULL) {
		channel_write_out(w.channel);
		bufferevent_free(w.channel);
	}
	if (w.sigterm_ev)
		event_free(w.sigterm_ev);
	if (w.sigint_ev)
		event_free(w.sigint_ev);
	snapshot_free(&w.snap);
	textbuf_free(&w.scratch);
	dns_resolver_free(w.egress_env.dns);
	if (w.egress_env.tls_ctx != NULL)
		tls_client_ctx_free(w.egress_env.tls_ctx);
	event_base_free(w.base);
	return rc;
}
