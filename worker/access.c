/*
 * worker/access.c — a worker's side of the logs: the request id every
 * response carries (X-Request-Id, the error envelope's requestId, the access
 * log's), the access-log record a /v1 call fills as it goes and writes when it
 * ends, the buffered access-log writer with its flush timer, and SIGUSR1
 * (reopen the log file and the access log; the master passes the signal on).
 *
 * The line is written when the call ends: answered in full, failed, refused,
 * or cut by the client. Its status is the one sent to the client; when the
 * client left before any response head was sent, 499.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "accesslog.h"
#include "log.h"
#include "util.h"
#include "worker.h"

#define ACCESS_FLUSH_MS	200	/* a line waits at most this long for company */

static void
access_flush(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (w->access != NULL)
		access_log_flush(w->access);
}

static void
on_sigusr1(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;
	char err[512];

	(void)sig;
	(void)what;
	if (log_reopen(err, sizeof(err)) != 0)
		log_warnx("SIGUSR1: %s; still writing to the old log file", err);
	if (w->access != NULL && access_log_reopen(w->access, err, sizeof(err)) != 0)
		log_warnx("SIGUSR1: access_log %s; still writing to the old file", err);
	log_debug("SIGUSR1: log files reopened");
}

void
worker_logs_start(struct worker *w)
{
	const struct config *cfg = w->cfg;
	char err[512];

	log_startup_over();	/* the master's stderr is for its own start */
	/* the master's log file was inherited; a reload that changed the log
	 * settings starts workers before the master takes them: follow ours */
	if (!log_settings_equal(cfg->log_file, cfg->syslog, cfg->format) &&
	    log_configure(cfg->log_file, cfg->syslog, cfg->format, err, sizeof(err)) != 0)
		log_warnx("%s; logging where the master does", err);
	w->sigusr1_ev = evsignal_new(w->base, SIGUSR1, on_sigusr1, w);
	evsignal_add(w->sigusr1_ev, NULL);
	if (!cfg->access_log_on)
		return;
	w->access = xcalloc(1, sizeof(*w->access));
	if (access_log_open(w->access, cfg->access_log, cfg->format, err,
	    sizeof(err)) != 0) {
		log_errorx("access_log: %s; no access log in this worker", err);
		free(w->access);
		w->access = NULL;
		return;
	}
	w->access_flush_ev = evtimer_new(w->base, access_flush, w);
}

void
worker_logs_stop(struct worker *w)
{
	if (w->access != NULL) {
		access_log_close(w->access);
		free(w->access);
		w->access = NULL;
	}
	if (w->access_flush_ev != NULL)
		event_free(w->access_flush_ev);
	if (w->sigusr1_ev != NULL)
		event_free(w->sigusr1_ev);
	w->access_flush_ev = w->sigusr1_ev = NULL;
}

/* Bytes leaving the client's output buffer: sent to the socket. */
static void
count_sent(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;

	(void)buf;
	c->out_total += info->n_deleted;
}

void
access_conn_open(struct http_conn *c)
{
	if (c->w->access != NULL)
		c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), count_sent, c);
}

void
access_conn_close(struct http_conn *c)
{
	access_request_end(c);
	if (c->out_cb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	c->out_cb = NULL;
}

/* The first byte of a request head arrived: its id and clock start. */
void
access_request_begin(struct http_conn *c)
{
	memset(&c->acc, 0, sizeof(c->acc));
	c->acc_owed = false;
	if (uuid_v4(c->acc.request_id) != 0)
		snprintf(c->acc.request_id, sizeof(c->acc.request_id),
		    "00000000-0000-4000-8000-000000000000");
	c->acc.ttfb_ms = -1;
	c->req_start_ms = monotonic_ms();
	if (c->w->access == NULL)
		return;
	c->out_at_start = c->out_total;
	iso_time_now(c->acc.ts, sizeof(c->acc.ts));
}

void
access_response_started(struct http_conn *c, int status)
{
	if (c->acc.status != 0)
		return;
	c->acc.status = status;
	c->acc.ttfb_ms = (int64_t)(monotonic_ms() - c->req_start_ms);
}

void
access_request_end(struct http_conn *c)
{
	struct worker *w = c->w;
	struct timeval flush = { 0, ACCESS_FLUSH_MS * 1000 };

	if (!c->acc_owed)
		return;
	c->acc_owed = false;
	if (w->access == NULL)
		return;
	if (c->acc.status == 0)
		c->acc.status = 499;	/* the client left before an answer */
	str_copy(c->acc.client, sizeof(c->acc.client), c->peer);
	c->acc.method = c->method;
	c->acc.path = c->path;
	c->acc.bytes_in = c->head_len + c->body_len;
	c->acc.bytes_out = c->out_total - c->out_at_start;
	c->acc.total_ms = (int64_t)(monotonic_ms() - c->req_start_ms);
	if (access_log_add(w->access, &c->acc))
		access_log_flush(w->access);
	else if (!evtimer_pending(w->access_flush_ev, NULL))
		evtimer_add(w->access_flush_ev, &flush);
}
