/*
 * master/supervisor.c — the worker processes: fork them with a channel
 * (socketpair) each, read their requests and snapshot acknowledgements,
 * respawn a dead one with backoff (logging its exit status), replace them all
 * on reload without refusing a connection (new ones accept while the old ones
 * drain), and stop them on shutdown.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "control.h"
#include "evline.h"
#include "line.h"
#include "log.h"
#include "master.h"
#include "util.h"
#include "worker.h"

#define RESPAWN_BACKOFF_MIN_MS	100
#define RESPAWN_BACKOFF_MAX_MS	10000
#define STABLE_AFTER_SECONDS	10

static void channel_read(struct bufferevent *bev, void *arg);
static void channel_event(struct bufferevent *bev, short what, void *arg);

int
supervisor_live_workers(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < MAX_WORKER_SLOTS; i++)
		if (m->workers[i].in_use && !m->workers[i].exited &&
		    !m->workers[i].draining)
			n++;
	return n;
}

static struct worker_proc *
free_entry(struct master *m)
{
	int i;

	for (i = 0; i < MAX_WORKER_SLOTS; i++)
		if (!m->workers[i].in_use)
			return &m->workers[i];
	return NULL;
}

/* In the child: drop everything of the master's that the worker must not hold. */
static void
child_close_master_state(struct master *m, int keep_fd)
{
	int i;

	if (m->control_listener != NULL)
		close(evconnlistener_get_fd(m->control_listener));
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && w->channel != NULL &&
		    bufferevent_getfd(w->channel) != keep_fd)
			close(bufferevent_getfd(w->channel));
	}
}

static int
spawn_worker(struct master *m, int slot, int restarts)
{
	struct worker_proc *w = free_entry(m);
	int sv[2];
	pid_t pid;
	char role[32];

	if (w == NULL) {
		log_errorx("no free worker entry");
		return -1;
	}
	if (m->worker_loads == NULL) {
		void *shared = mmap(NULL, MAX_WORKER_SLOTS * sizeof(uint32_t),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shared == MAP_FAILED)
			log_warn("mmap of the worker loads (accepting stays unbalanced)");
		else
			m->worker_loads = shared;
	}
	if (m->worker_loads != NULL)
		m->worker_loads[w - m->workers] = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	case 0: {
		struct worker_init init = {
			.slot = slot,
			.channel_fd = sv[1],
			.listen_fds = m->listen_fds,
			.listen_count = m->listen_count,
			.loads = m->worker_loads,
			.load_count = m->worker_loads != NULL ? MAX_WORKER_SLOTS : 0,
			.load_index = (size_t)(w - m->workers),
			.cfg = &m->cfg,
		};
		close(sv[0]);
		/* give the child its own copy of the loop's kernel state, then drop it */
		event_reinit(m->base);
		event_base_free(m->base);
		m->base = NULL;
		child_close_master_state(m, sv[1]);
		snprintf(role, sizeof(role), "worker[%d]", slot);
		log_set_role(role);
		_exit(worker_main(&init));
	}
	default:
		break;
	}
	close(sv[1]);
	memset(w, 0, sizeof(*w));
	w->in_use = true;
	w->slot = slot;
	w->pid = pid;
	w->restarts = restarts;
	w->started_at = time(NULL);
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_closeonexec(sv[0]);
	w->channel = bufferevent_socket_new(m->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(w->channel, channel_read, NULL, channel_event, m);
	bufferevent_enable(w->channel, EV_READ | EV_WRITE);
	master_send_full_snapshot(m, w);
	log_info("started worker[%d] pid %d", slot, (int)pid);
	return 0;
}

int
supervisor_start_workers(struct master *m)
{
	int i;

	for (i = 0; i < m->cfg.worker_count; i++)
		if (spawn_worker(m, ++m->next_slot, 0) != 0)
			return -1;
	return 0;
}

static struct worker_proc *
worker_by_channel(struct master *m, struct bufferevent *bev)
{
	int i;

	for (i = 0; i < MAX_WORKER_SLOTS; i++)
		if (m->workers[i].in_use && m->workers[i].channel == bev)
			return &m->workers[i];
	return NULL;
}

static void
handle_ack(struct master *m, struct worker_proc *w, const char *json)
{
	struct json_object *obj = json_tokener_parse(json), *gen;

	if (obj != NULL && json_object_object_get_ex(obj, "generation", &gen))
		w->acked_generation = (uint64_t)json_object_get_int64(gen);
	json_object_put(obj);
	master_deliver_pending(m);
}

static void
channel_read(struct bufferevent *bev, void *arg)
{
	struct master *m = arg;
	struct worker_proc *w = worker_by_channel(m, bev);
	struct evbuffer *in = bufferevent_get_input(bev);
	enum parse p;
	char *line;
	size_t len;

	if (w == NULL)
		return;
	while ((p = evbuffer_take_line(in, CHANNEL_LINE_MAX, &line, &len)) == PARSE_DONE) {
		struct control_reply rep;
		const char *err;

		if (line[0] == '#' && control_parse_reply(line, len, &rep, &err) ==
		    PARSE_DONE) {
			master_job_answered(m, w, rep.tag, line, len);
		} else if (strncmp(line, "ack ", 4) == 0) {
			handle_ack(m, w, line + 4);
		} else if (strncmp(line, "outcomes ", 9) == 0) {
			master_record_outcomes(m, line + 9, len - 9);
		} else if (strncmp(line, "resync", 6) == 0) {
			log_warnx("worker[%d] asked for the whole snapshot", w->slot);
			master_send_full_snapshot(m, w);
		}
		else {
			master_run_request(m, line, len, NULL, w);
		}
		free(line);
	}
	if (p == PARSE_INVALID) {
		log_warnx("worker[%d] sent an over-long line; stopping it", w->slot);
		kill(w->pid, SIGTERM);
		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

static void
channel_event(struct bufferevent *bev, short what, void *arg)
{
	struct master *m = arg;
	struct worker_proc *w = worker_by_channel(m, bev);

	if (w == NULL || !(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_free(w->channel);
	w->channel = NULL;
}

static void
respawn_due(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	int i, live_slots[MAX_WORKER_SLOTS], restarts[MAX_WORKER_SLOTS], n = 0;

	(void)fd;
	(void)what;
	if (m->stopping)
		return;
	/* slots that died and were not replaced: entries kept with exited set */
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && w->exited && !w->draining) {
			live_slots[n] = w->slot;
			restarts[n++] = w->restarts + 1;
			w->in_use = false;
		}
	}
	for (i = 0; i < n; i++)
		if (spawn_worker(m, live_slots[i], restarts[i]) != 0)
			log_errorx("could not respawn worker[%d]", live_slots[i]);
}

static void
schedule_respawn(struct master *m, bool crashed_young)
{
	struct timeval tv;
	long delay = 0;

	if (crashed_young) {
		int shift = m->consecutive_crashes < 7 ? m->consecutive_crashes : 7;
		delay = RESPAWN_BACKOFF_MIN_MS << shift;
		if (delay > RESPAWN_BACKOFF_MAX_MS)
			delay = RESPAWN_BACKOFF_MAX_MS;
		m->consecutive_crashes++;
	} else {
		m->consecutive_crashes = 0;
	}
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	if (m->respawn_timer == NULL)
		m->respawn_timer = evtimer_new(m->base, respawn_due, m);
	if (!evtimer_pending(m->respawn_timer, NULL))
		evtimer_add(m->respawn_timer, &tv);
}

static void
describe_status(int status, char *out, size_t outlen)
{
	if (WIFEXITED(status))
		snprintf(out, outlen, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outlen, "killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(out, outlen, "stopped (status 0x%x)", status);
}

static bool
any_worker_left(const struct master *m)
{
	int i;

	for (i = 0; i < MAX_WORKER_SLOTS; i++)
		if (m->workers[i].in_use && !m->workers[i].exited)
			return true;
	return false;
}

void
supervisor_reap(struct master *m)
{
	int status, i;
	pid_t pid;
	char how[96];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MAX_WORKER_SLOTS; i++) {
			struct worker_proc *w = &m->workers[i];
			bool young;
			if (!w->in_use || w->pid != pid)
				continue;
			describe_status(status, how, sizeof(how));
			young = time(NULL) - w->started_at < STABLE_AFTER_SECONDS;
			w->exited = true;
			if (m->worker_loads != NULL)
				m->worker_loads[i] = 0;	/* nobody waits for a dead one */
			master_jobs_worker_gone(m, pid);
			if (w->channel != NULL) {
				bufferevent_free(w->channel);
				w->channel = NULL;
			}
			if (m->stopping || w->draining) {
				log_info("worker[%d] pid %d %s", w->slot, (int)pid, how);
				w->in_use = false;
			} else {
				log_warnx("worker[%d] pid %d %s; respawning", w->slot,
				    (int)pid, how);
				schedule_respawn(m, young);
			}
		}
	}
	master_deliver_pending(m);
	if (m->stopping && !any_worker_left(m))
		event_base_loopexit(m->base, NULL);
}

static void
send_drain(struct worker_proc *w)
{
	static const char drain[] = "drain {}\n";

	w->draining = true;
	if (w->channel != NULL)
		bufferevent_write(w->channel, drain, sizeof(drain) - 1);
	else
		kill(w->pid, SIGTERM);
}

/* Settings a reload cannot change without a restart. */
static int
check_restart_only(const struct config *old, const struct config *new,
    char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} fields[] = {
		{ "listen", offsetof(struct config, listen) },
		{ "data_dir", offsetof(struct config, data_dir) },
		{ "control_socket", offsetof(struct config, control_socket_path) },
		{ "storage_encryption_key", offsetof(struct config, storage_encryption_key) },
		{ "pid_file", offsetof(struct config, pid_file_path) },
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *a = *(char *const *)(const void *)((const char *)old + fields[i].offset);
		const char *b = *(char *const *)(const void *)((const char *)new + fields[i].offset);
		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0)) {
			snprintf(err, errlen, "changing %s needs a restart", fields[i].name);
			return -1;
		}
	}
	return 0;
}

/* Once a second while old workers drain: any past its deadline is killed. */
static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	struct timeval second = { 1, 0 };
	uint64_t now = monotonic_ms();
	bool waiting = false;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (!w->in_use || w->exited || !w->draining || w->drain_deadline_ms == 0)
			continue;
		if (now < w->drain_deadline_ms) {
			waiting = true;
			continue;
		}
		log_warnx("worker[%d] pid %d still busy %ld ms after a reload "
		    "(reload_drain_timeout_ms); killing it: its open calls end cut",
		    w->slot, (int)w->pid, m->cfg.reload_drain_timeout_ms);
		kill(w->pid, SIGKILL);
		w->drain_deadline_ms = 0;
	}
	if (waiting)
		evtimer_add(m->drain_timer, &second);
}

int
supervisor_reload(struct master *m, char *err, size_t errlen)
{
	struct config fresh;
	bool old[MAX_WORKER_SLOTS];
	int i;

	if (config_load(&fresh, m->config_file, m->overrides, m->override_count,
	    err, errlen) != 0 || config_absolutise_data_dir(&fresh, err, errlen) != 0) {
		config_free(&fresh);
		return -1;
	}
	if (check_restart_only(&m->cfg, &fresh, err, errlen) != 0) {
		config_free(&fresh);
		return -1;
	}
	config_free(&m->cfg);
	m->cfg = fresh;
	log_set_level(m->cfg.level);
	/* the new generation accepts first; only then do the old ones drain */
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		old[i] = w->in_use && !w->exited && !w->draining;
		if (w->in_use && w->exited)
			w->in_use = false;	/* a dead one waiting for respawn */
	}
	if (supervisor_start_workers(m) != 0) {
		snprintf(err, errlen, "could not start all new workers");
		return -1;
	}
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		if (!old[i])
			continue;
		send_drain(&m->workers[i]);
		m->workers[i].drain_deadline_ms = m->cfg.reload_drain_timeout_ms > 0 ?
		    monotonic_ms() + (uint64_t)m->cfg.reload_drain_timeout_ms : 0;
	}
	if (m->cfg.reload_drain_timeout_ms > 0) {
		struct timeval second = { 1, 0 };
		if (m->drain_timer == NULL)
			m->drain_timer = evtimer_new(m->base, drain_check, m);
		if (!evtimer_pending(m->drain_timer, NULL))
			evtimer_add(m->drain_timer, &second);
	}
	log_info("configuration reloaded; %d new workers, old ones draining",
	    m->cfg.worker_count);
	master_deliver_pending(m);
	return 0;
}

static void
stop_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && !w->exited) {
			log_warnx("worker[%d] pid %d did not stop in time; killing it",
			    w->slot, (int)w->pid);
			kill(w->pid, SIGKILL);
		}
	}
}

void
supervisor_stop(struct master *m)
{
	struct timeval tv;
	int i;

	if (m->stopping)
		return;
	m->stopping = true;
	if (m->respawn_timer != NULL)
		evtimer_del(m->respawn_timer);
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && !w->exited)
			send_drain(w);
	}
	tv.tv_sec = m->cfg.shutdown_timeout_ms / 1000;
	tv.tv_usec = (m->cfg.shutdown_timeout_ms % 1000) * 1000;
	m->stop_timer = evtimer_new(m->base, stop_deadline, m);
	evtimer_add(m->stop_timer, &tv);
	if (!any_worker_left(m))
		event_base_loopexit(m->base, NULL);
}
