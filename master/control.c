/*
 * master/control.c — the control socket (a Unix stream socket, mode 0600) and
 * the one request path shared with the worker channels: a request line is
 * framed and split (common/line.c), run through the command table, and its
 * reply written back — at once, or after the workers acknowledged the new
 * registry generation when the command changed the registry.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "accesslog.h"
#include "commands.h"
#include "control.h"
#include "evline.h"
#include "line.h"
#include "log.h"
#include "util.h"

struct control_client {
	struct master		*m;
	long			 uid;		/* the peer's (SO_PEERCRED); -1 unknown */
	long			 pid;
	struct bufferevent	*bev;
	bool			 waiting;	/* a deferred reply is outstanding */
	bool			 close_after_write;
};

char *
reply_format_line(bool has_tag, uint64_t tag, const struct reply *r, size_t *len)
{
	const char *json = json_plain(r->body);
	size_t jlen = strlen(json), cap = jlen + 48;
	char *line = xcalloc(1, cap);
	int n;

	if (has_tag)
		n = snprintf(line, cap, "#%llu %03d %s\n", (unsigned long long)tag,
		    r->status, json);
	else
		n = snprintf(line, cap, "%03d %s\n", r->status, json);
	*len = (size_t)n;
	return line;
}

/* A management mutation from the control socket: who (the peer's uid) and
 * what (command and the ids it names; never its other arguments). */
static void
log_mutation(const struct control_client *client, const struct control_request *req,
    const struct reply *r)
{
	const struct command *cmd = command_find(req->name);
	struct json_object *args;
	char what[512];

	if (cmd == NULL || !cmd->mutates)
		return;
	args = req->json != NULL ? json_parse_document(req->json, req->json_len, 64) : NULL;
	mutation_describe(args, r->body, what, sizeof(what));
	json_object_put(args);
	log_info("mutation %s%s%s by control socket uid %ld pid %ld → %d", req->name,
	    what[0] ? " " : "", what, client->uid, client->pid, r->status);
}

void
master_run_request(struct master *m, const char *line, size_t len,
    struct control_client *client, struct worker_proc *worker)
{
	struct control_request req;
	struct reply r = { 0, NULL, NULL, false };
	const char *err;
	bool mutated = false;
	char *out;
	size_t out_len;

	if (control_parse_request(line, len, &req, &err) != PARSE_DONE) {
		reply_error(&r, 400, "malformed command line: %s", err);
	} else {
		command_dispatch(m, req.name, req.json, req.json_len, &r, &mutated);
		log_debug("command %s → %d", req.name, r.status);
		if (client != NULL)	/* HTTP callers are logged by their worker */
			log_mutation(client, &req, &r);
	}
	if (mutated && master_rebuild_snapshot(m) != 0) {
		log_errorx("could not rebuild the registry snapshot after %s", req.name);
		mutated = false;
		reply_error(&r, 500, "the change was saved but could not be applied to "
		    "the workers (see the master's log)");
	}
	if (r.reload) {
		/* the outcome of the reload (workers started, or why not) is the reply */
		struct reload_waiter waiter = {
			.client = client,
			.worker_slot = worker ? worker->slot : -1,
			.worker_pid = worker ? worker->pid : 0,
			.has_tag = req.has_tag,
			.tag = req.tag,
		};
		char why[512];

		reply_clear(&r);
		if (supervisor_reload(m, &waiter, why, sizeof(why)) == 0) {
			if (client != NULL)
				client->waiting = true;
			return;
		}
		reply_error(&r, 400, "reload refused, old configuration kept: %s", why);
	}
	if (r.job != NULL) {
		/* the network part runs in a worker; its answer is the reply */
		master_start_job(m, r.job, r.body, client, worker, req.has_tag, req.tag);
		reply_clear(&r);
		return;
	}
	out = reply_format_line(req.has_tag, req.tag, &r, &out_len);
	reply_clear(&r);
	if (mutated) {
		master_push_snapshot(m);
		if (client != NULL)
			client->waiting = true;
		master_defer_reply(m, client, worker ? worker->slot : -1,
		    worker ? worker->pid : 0, out, out_len);
		return;
	}
	if (client != NULL)
		control_client_send(client, out, out_len);
	else if (worker != NULL)
		master_send_reply_line(m, NULL, worker->slot, worker->pid, out, out_len);
	free(out);
}

void
master_send_reply_line(struct master *m, struct control_client *client,
    int worker_slot, pid_t worker_pid, const char *line, size_t len)
{
	int i;

	if (client != NULL) {
		control_client_send(client, line, len);
		return;
	}
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && !w->exited && w->slot == worker_slot &&
		    w->pid == worker_pid && w->channel != NULL) {
			/* on a channel the reply line is the body of a "reply" message */
			channel_send(bufferevent_get_output(w->channel), CHANNEL_REPLY, line,
			    len > 0 && line[len - 1] == '\n' ? len - 1 : len);
			return;
		}
	}
}

void
control_client_send_progress(struct control_client *c, const char *line, size_t len)
{
	bufferevent_write(c->bev, line, len);
}

void
control_client_set_waiting(struct control_client *c)
{
	c->waiting = true;
}

static void
client_free(struct control_client *c)
{
	struct pending_reply *p, *next;

	master_jobs_client_gone(c->m, c);
	supervisor_client_gone(c->m, c);
	for (p = TAILQ_FIRST(&c->m->pending); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->client == c)
			p->client = NULL, p->worker_slot = -1;
	}
	bufferevent_free(c->bev);
	free(c);
}

void
control_client_send(struct control_client *c, const char *line, size_t len)
{
	bufferevent_write(c->bev, line, len);
	if (c->waiting) {
		c->waiting = false;
		/* go on with any request that arrived while we waited, from the loop */
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	}
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct control_client *c = arg;

	if (c->close_after_write && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(c);	/* a deferred reply to it is dropped */
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct control_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	enum parse p = PARSE_MORE;
	char *line;
	size_t len;

	while (!c->waiting && !c->close_after_write &&
	    (p = evbuffer_take_line(in, CONTROL_LINE_MAX, &line, &len)) == PARSE_DONE) {
		master_run_request(c->m, line, len, c, NULL);
		free(line);
	}
	if (p != PARSE_INVALID)
		return;
	{
		struct reply r = { 0, NULL, NULL, false };
		size_t out_len;
		char *out;

		reply_error(&r, 400, "command line longer than %d bytes",
		    CONTROL_LINE_MAX);
		out = reply_format_line(false, 0, &r, &out_len);
		reply_clear(&r);
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_write(bev, out, out_len);
		free(out);
		bufferevent_disable(bev, EV_READ);
		c->close_after_write = true;
	}
}

static void
control_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct master *m = arg;
	struct control_client *c = xcalloc(1, sizeof(*c));

	(void)lev;
	(void)sa;
	(void)socklen;
	c->m = m;
	c->uid = c->pid = -1;
	{
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
			c->uid = (long)cred.uid;
			c->pid = (long)cred.pid;
		}
	}
	c->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Is a live omnirouted answering on this socket path? */
static bool
socket_is_live(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), live;

	if (fd == -1)
		return false;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* a local control path, not egress */
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return live;
}

int
control_listen(struct master *m, char *err, size_t errlen)
{
	const char *path = m->cfg.control_socket_path;
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old_umask;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		if (socket_is_live(path)) {
			snprintf(err, errlen, "another omnirouted is running (%s answers)",
			    path);
			return -1;
		}
		log_info("removing stale control socket %s", path);
		unlink(path);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old_umask);
		snprintf(err, errlen, "cannot bind control socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old_umask);
	chmod(path, 0600);
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	m->control_listener = evconnlistener_new(m->base, control_accept, m,
	    LEV_OPT_CLOSE_ON_FREE, 64, fd);
	if (m->control_listener == NULL) {
		snprintf(err, errlen, "cannot listen on %s", path);
		close(fd);
		return -1;
	}
	return 0;
}

void
control_close(struct master *m)
{
	if (m->control_listener != NULL) {
		evconnlistener_free(m->control_listener);
		m->control_listener = NULL;
		unlink(m->cfg.control_socket_path);
	}
}
