/*
 * master/supervisor.c — the worker processes: fork them with a channel
 * (socketpair) each, greet each with the channel's protocol version, read
 * their messages through a table of handlers (common/channel.h: commands,
 * snapshot acknowledgements, job results, outcomes), tell
 * each to accept ("serve") only once it holds the registry snapshot, respawn
 * a dead one with backoff (logging its exit status), and stop them on
 * shutdown. A reload is a transaction: the new configuration is checked
 * whole, a new set of workers is started with it, and only when every one of
 * them holds its snapshot do they serve, the old ones drain and the master
 * takes the new configuration; if any cannot start, the new ones go, the old
 * ones never stopped, and the reload answers why. Startup is the same: no
 * "ready" until the workers serve, and a worker that cannot start ends it.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "channel.h"
#include "control.h"
#include "commands.h"
#include "evline.h"
#include "line.h"
#include "log.h"
#include "master.h"
#include "sd_notify.h"
#include "util.h"
#include "worker.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

#define RESPAWN_BACKOFF_MIN_MS	100
#define RESPAWN_BACKOFF_MAX_MS	10000
#define STABLE_AFTER_SECONDS	10

static void channel_read(struct bufferevent *bev, void *arg);
static void channel_event(struct bufferevent *bev, short what, void *arg);
static void reload_deadline(evutil_socket_t fd, short what, void *arg);

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

/*
 * In the child: close the descriptors SQLite holds on the database (and its
 * -wal and -shm). They are found by where /proc/self/fd points, since SQLite
 * does not hand them out (data_dir went through realpath() at start, so it
 * names them as the links do); a worker never touches the database.
 */
static void
child_close_database_fds(const char *data_dir)
{
	char prefix[PATH_MAX], link[64], target[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	ssize_t n;
	int fd, self;

	snprintf(prefix, sizeof(prefix), "%s/omniroute.db", data_dir);
	if ((dir = opendir("/proc/self/fd")) == NULL)
		return;
	self = dirfd(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (fd == self || (n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, prefix, strlen(prefix)) == 0)
			close(fd);
	}
	closedir(dir);
}

/* In the child: the value of a secret environment variable, overwritten
 * where it lives (what /proc/PID/environ shows) and then unset. */
static void
child_scrub_env(const char *name)
{
	char *value = getenv(name);

	if (value != NULL) {
		explicit_bzero(value, strlen(value));
		unsetenv(name);
	}
}

/* In the child: drop everything of the master's that the worker must not hold. */
static void
child_close_master_state(struct master *m, int keep_fd)
{
	int i;

	/* the storage key and what derives it: workers get credentials decrypted,
	 * in their snapshot, and never read the database */
	crypto_key_wipe(&m->key);
	config_wipe_secret(&m->cfg.storage_encryption_key);
	config_wipe_secret(&m->reload.cfg.storage_encryption_key);
	child_scrub_env("STORAGE_ENCRYPTION_KEY");
	child_scrub_env("OMNIROUTE_API_KEY");	/* workers use their config's copy */
	child_close_database_fds(m->cfg.data_dir);

	if (m->control_listener != NULL)
		close(evconnlistener_get_fd(m->control_listener));
	/* the data-dir lock is the master's: a new daemon may start as soon as
	 * the master is gone, whatever its workers still finish */
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	if (m->ready_fd >= 0)
		close(m->ready_fd);
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && w->channel != NULL &&
		    bufferevent_getfd(w->channel) != keep_fd)
			close(bufferevent_getfd(w->channel));
	}
}

static int
spawn_worker(struct master *m, int slot, int restarts, const struct config *cfg,
    int config_gen)
{
	struct worker_proc *w = free_entry(m);
	int sv[2];
	pid_t pid;
	char role[32];

	if (w == NULL) {
		log_errorx("no free worker entry");
		return -1;
	}
	if (m->accept_board == NULL) {
		void *shared = mmap(NULL, sizeof(struct accept_board) + MAX_WORKER_SLOTS *
		    sizeof(struct accept_board_entry), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shared == MAP_FAILED)
			log_warn("mmap of the accept board (accepting stays unbalanced)");
		else
			m->accept_board = shared;
	}
	if (m->accept_board != NULL) {
		size_t index = (size_t)(w - m->workers);
		memset(&m->accept_board->entry[index], 0, sizeof(struct accept_board_entry));
		if (index + 1 > m->accept_board->used)
			m->accept_board->used = (uint32_t)index + 1;
	}
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
			.board = m->accept_board,
			.board_index = (size_t)(w - m->workers),
			.pool_board = m->pool_board,
			.latency_board = m->latency_board,
			.cfg = cfg,
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
	w->config_gen = config_gen;
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_closeonexec(sv[0]);
	w->channel = bufferevent_socket_new(m->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(w->channel, channel_read, NULL, channel_event, m);
	bufferevent_enable(w->channel, EV_READ | EV_WRITE);
	channel_send(bufferevent_get_output(w->channel), CHANNEL_HELLO, CHANNEL_HELLO_BODY,
	    sizeof(CHANNEL_HELLO_BODY) - 1);
	master_send_full_snapshot(m, w);
	log_info("started worker[%d] pid %d", slot, (int)pid);
	return 0;
}

static int
free_entries(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < MAX_WORKER_SLOTS; i++)
		if (!m->workers[i].in_use)
			n++;
	return n;
}

static void
start_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)what;
	if (m->ready || m->stopping)
		return;
	log_errorx("cannot start: the workers did not hold their registry snapshot "
	    "within %ld ms (worker_start_timeout_ms)", m->cfg.worker_start_timeout_ms);
	m->exit_code = 1;
	supervisor_stop(m);
}

int
supervisor_start_workers(struct master *m)
{
	struct timeval tv = { m->cfg.worker_start_timeout_ms / 1000,
	    (m->cfg.worker_start_timeout_ms % 1000) * 1000 };
	int i;

	for (i = 0; i < m->cfg.worker_count; i++)
		if (spawn_worker(m, ++m->next_slot, 0, &m->cfg, m->config_gen) != 0)
			return -1;
	m->start_timer = evtimer_new(m->base, start_deadline, m);
	evtimer_add(m->start_timer, &tv);
	m->reload.deadline = evtimer_new(m->base, reload_deadline, m);
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

static void reload_commit(struct master *m);
static void reload_after_start(struct master *m);
static void reload_fail(struct master *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
send_serve(struct worker_proc *w)
{
	w->serving = true;
	if (w->channel != NULL)
		channel_send(bufferevent_get_output(w->channel), CHANNEL_SERVE, "{}", 2);
}

/* Every worker of configuration gen is ready (holds its snapshot). */
static bool
all_ready(const struct master *m, int gen, bool *any)
{
	int i;

	*any = false;
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		const struct worker_proc *w = &m->workers[i];
		if (!w->in_use || w->exited || w->draining || w->config_gen != gen)
			continue;
		*any = true;
		if (!w->ready)
			return false;
	}
	return true;
}

/* w holds its first snapshot: it may serve (at once, or when its reload commits). */
static void
worker_ready(struct master *m, struct worker_proc *w)
{
	bool any;

	w->ready = true;
	if (m->reload.active && w->config_gen == m->reload.config_gen) {
		if (all_ready(m, w->config_gen, &any))
			reload_commit(m);
		return;
	}
	if (w->config_gen != m->config_gen)
		return;
	send_serve(w);
	if (!m->ready && all_ready(m, m->config_gen, &any)) {
		m->ready = true;
		if (m->start_timer != NULL)
			evtimer_del(m->start_timer);
		log_info("omnirouted %s ready: %s, control socket %s, %d workers, data %s",
		    PACKAGE_VERSION, m->cfg.listen, m->cfg.control_socket_path,
		    m->cfg.worker_count, m->cfg.data_dir);
		notify_status("serving on %s with %d workers", m->cfg.listen,
		    m->cfg.worker_count);
		notify_ready();
		log_startup_over();	/* warnings stop going to stderr too */
		if (m->ready_fd >= 0) {		/* -d: the parent exits 0 now */
			if (write(m->ready_fd, "1", 1) != 1)
				log_warn("cannot tell the starting process we are ready");
			close(m->ready_fd);
			m->ready_fd = -1;
		}
		reload_after_start(m);
	} else if (m->ready) {
		log_info("worker[%d] pid %d serving", w->slot, (int)w->pid);
	}
}

static void
handle_ack(struct master *m, struct worker_proc *w, const char *body, size_t len)
{
	struct json_object *obj = json_parse_document(body, len, 4), *gen;

	if (obj != NULL && json_object_object_get_ex(obj, "generation", &gen))
		w->acked_generation = (uint64_t)json_object_get_int64(gen);
	json_object_put(obj);
	if (!w->ready && !w->draining && !w->exited)
		worker_ready(m, w);
	master_deliver_pending(m);
}

/* "failed {"error":…}": why a worker could not start (it exits next). */
static void
handle_failed(struct master *m, struct worker_proc *w, const char *body, size_t len)
{
	struct json_object *obj = json_parse_document(body, len, 4), *msg;

	(void)m;
	if (obj != NULL && json_object_object_get_ex(obj, "error", &msg))
		snprintf(w->failure, sizeof(w->failure), "%s", json_object_get_string(msg));
	json_object_put(obj);
}

static void
handle_resync(struct master *m, struct worker_proc *w, const char *body, size_t len)
{
	(void)body;
	(void)len;
	log_warnx("worker[%d] asked for the whole snapshot", w->slot);
	master_send_full_snapshot(m, w);
}

static void
handle_outcomes(struct master *m, struct worker_proc *w, const char *body, size_t len)
{
	(void)w;
	master_record_outcomes(m, body, len);
}

/* "command #tag name {args}": an /api request's control command; the only
 * message that runs one. Its reply goes back as "reply #tag …". */
static void
handle_command(struct master *m, struct worker_proc *w, const char *body, size_t len)
{
	master_run_request(m, body, len, NULL, w);
}

/*
 * The worker does not speak this protocol: it cannot start. The channel is
 * closed and the worker stopped; its exit ends a start or a reload as any
 * failed start does, naming why.
 */
static void
refuse_worker(struct worker_proc *w, const char *why)
{
	log_errorx("worker[%d] pid %d: %s; closing its channel", w->slot, (int)w->pid,
	    why);
	snprintf(w->failure, sizeof(w->failure), "%s", why);
	if (w->channel != NULL) {
		bufferevent_free(w->channel);
		w->channel = NULL;
	}
	if (w->pid > 0)
		kill(w->pid, SIGTERM);
}

/* "hello {"version":N}": the worker's answer to ours. */
static void
handle_hello(struct master *m, struct worker_proc *w, const char *body, size_t len)
{
	char why[160];
	long theirs;

	(void)m;
	if (channel_hello_check(body, len, &theirs) == 0) {
		w->greeted = true;
		return;
	}
	channel_describe_mismatch(why, sizeof(why), "the worker", theirs, "the master");
	refuse_worker(w, why);
}

/* The handler slot of each message a worker sends (common/channel.h). */
static void (*const from_worker[CHANNEL_TYPE_COUNT])(struct master *m,
    struct worker_proc *w, const char *body, size_t len) = {
	[CHANNEL_HELLO]		= handle_hello,
	[CHANNEL_FAILED]	= handle_failed,
	[CHANNEL_ACK]		= handle_ack,
	[CHANNEL_RESYNC]	= handle_resync,
	[CHANNEL_OUTCOMES]	= handle_outcomes,
	[CHANNEL_COMMAND]	= handle_command,
	[CHANNEL_JOB_RESULT]	= master_job_answered,
};

void
master_channel_line(struct master *m, struct worker_proc *w, char *line, size_t len)
{
	struct channel_line msg;
	const char *why;
	char refusal[256];

	if (channel_parse_line(line, len, &msg, &why) != PARSE_DONE) {
		log_errorx("worker[%d] sent a malformed message (%s); dropped", w->slot,
		    why);
	} else {
		switch (channel_admit(&msg, CHANNEL_TO_MASTER, w->greeted, &why)) {
		case CHANNEL_HANDLE:
			if (from_worker[msg.type] != NULL) {
				from_worker[msg.type](m, w, msg.body, msg.body_len);
				break;
			}
			log_errorx("no handler for \"%s\" from worker[%d]; dropped",
			    channel_name(msg.type), w->slot);
			break;
		case CHANNEL_DROP:
			log_warnx("worker[%d] sent \"%.*s\": %s; dropped", w->slot,
			    (int)msg.name_len, msg.name, why);
			break;
		case CHANNEL_CLOSE:
			snprintf(refusal, sizeof(refusal), "it sent \"%.*s\" %s (the "
			    "master speaks version %d)", (int)msg.name_len, msg.name, why,
			    CHANNEL_PROTOCOL_VERSION);
			refuse_worker(w, refusal);
			break;
		}
	}
	if (channel_messages[msg.type].wipe)
		explicit_bzero(line, len);	/* it may have carried credentials */
}

static void
channel_read(struct bufferevent *bev, void *arg)
{
	struct master *m = arg;
	struct worker_proc *w = worker_by_channel(m, bev);
	struct evbuffer *in = bufferevent_get_input(bev);
	enum parse p = PARSE_MORE;
	char *line;
	size_t len;

	if (w == NULL)
		return;
	/* a handler may close the channel (a worker of another protocol) */
	while (w->channel == bev &&
	    (p = evbuffer_take_line(in, CHANNEL_LINE_MAX, &line, &len)) == PARSE_DONE) {
		master_channel_line(m, w, line, len);
		free(line);
	}
	if (w->channel == bev && p == PARSE_INVALID) {
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
		if (w->in_use && w->exited && !w->draining &&
		    w->config_gen == m->config_gen) {
			live_slots[n] = w->slot;
			restarts[n++] = w->restarts + 1;
			w->in_use = false;
		}
	}
	for (i = 0; i < n; i++)
		if (spawn_worker(m, live_slots[i], restarts[i], &m->cfg, m->config_gen) != 0)
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

/* A worker exited: free its entry, respawn it, or end what waited for it. */
static void
worker_exited(struct master *m, struct worker_proc *w, int status)
{
	char how[96];
	bool young = time(NULL) - w->started_at < STABLE_AFTER_SECONDS;

	describe_status(status, how, sizeof(how));
	if (w->channel != NULL) {
		/* what it wrote before it exited (a job's answer, its last
		 * outcomes) may still wait in the socket: read that first */
		struct evbuffer *in = bufferevent_get_input(w->channel);
		evutil_socket_t fd = bufferevent_getfd(w->channel);
		int rounds = 0;

		evbuffer_unfreeze(in, 0);	/* a socket bufferevent keeps its
						 * input's end frozen for itself */
		while (fd >= 0 && rounds++ < 1024 && evbuffer_read(in, fd, 65536) > 0)
			;
		if (evbuffer_get_length(in) > 0)
			channel_read(w->channel, m);
	}
	w->exited = true;
	if (m->accept_board != NULL)	/* a dead worker accepts nothing */
		memset(&m->accept_board->entry[w - m->workers], 0,
		    sizeof(struct accept_board_entry));
	master_jobs_worker_gone(m, w->pid);
	if (w->channel != NULL) {
		bufferevent_free(w->channel);
		w->channel = NULL;
	}
	if (m->stopping || w->draining) {
		log_info("worker[%d] pid %d %s", w->slot, (int)w->pid, how);
		w->in_use = false;
		return;
	}
	if (m->reload.active && w->config_gen == m->reload.config_gen) {
		w->in_use = false;
		reload_fail(m, "new worker[%d] %s%s%s", w->slot, how,
		    w->failure[0] ? ": " : "", w->failure);
		return;
	}
	if (!m->ready && w->config_gen == m->config_gen && !w->ready) {
		/* one that got as far as its snapshot is respawned like any other */
		log_errorx("cannot start: worker[%d] %s%s%s", w->slot, how,
		    w->failure[0] ? ": " : "", w->failure);
		w->in_use = false;
		m->exit_code = 1;
		supervisor_stop(m);
		return;
	}
	if (w->config_gen != m->config_gen) {	/* of a failed reload */
		w->in_use = false;
		return;
	}
	log_warnx("worker[%d] pid %d %s%s%s; respawning", w->slot, (int)w->pid, how,
	    w->failure[0] ? ": " : "", w->failure);
	schedule_respawn(m, young);
}

void
supervisor_reap(struct master *m)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MAX_WORKER_SLOTS; i++) {
			struct worker_proc *w = &m->workers[i];
			if (w->in_use && !w->exited && w->pid == pid) {
				worker_exited(m, w, status);
				break;
			}
		}
	}
	master_deliver_pending(m);
	if (m->stopping && !any_worker_left(m))
		event_base_loopexit(m->base, NULL);
}

/*
 * Tell a worker to stop accepting and finish: within deadline_ms (0 = no
 * limit) it exits by itself; close_idle (a stop) also closes its idle
 * kept-alive connections, which a reload leaves to their clients.
 */
static void
send_drain(struct worker_proc *w, long deadline_ms, bool close_idle)
{
	char drain[160];
	int n = snprintf(drain, sizeof(drain),
	    "{\"deadlineMs\":%ld,\"closeIdle\":%s,\"setting\":\"%s\"}",
	    deadline_ms, close_idle ? "true" : "false",
	    close_idle ? "shutdown_timeout_ms" : "reload_drain_timeout_ms");

	w->draining = true;
	if (w->channel != NULL)
		channel_send(bufferevent_get_output(w->channel), CHANNEL_DRAIN, drain,
		    (size_t)n);
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
		{ "user", offsetof(struct config, user) },
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

/* The reload's outcome to one waiter: a control client or a worker's tag. */
static void
answer_waiter(struct master *m, struct reload_waiter *wt, struct reply *r)
{
	size_t len;
	char *line = reply_format_line(wt->has_tag, wt->tag, r, &len);

	master_send_reply_line(m, wt->client, wt->worker_slot, wt->worker_pid, line, len);
	free(line);
}

static void
reload_end(struct master *m, struct reply *r)
{
	struct reload_waiter *wt;

	while ((wt = TAILQ_FIRST(&m->reload.waiters)) != NULL) {
		TAILQ_REMOVE(&m->reload.waiters, wt, entry);
		answer_waiter(m, wt, r);
		free(wt);
	}
	if (m->reload.deadline != NULL)
		evtimer_del(m->reload.deadline);
	m->reload.active = false;
}

static void
reload_commit(struct master *m)
{
	struct json_object *root = json_object_new_object();
	struct reply r = { 0, NULL, NULL, false };
	int i, drained = 0;
	char err[512];

	/* the new set serves first; connections queued meanwhile wait in the
	 * kernel's backlog of the one listening socket, never refused */
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && !w->exited && !w->draining &&
		    w->config_gen == m->reload.config_gen)
			send_serve(w);
	}
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (!w->in_use || w->draining || w->config_gen == m->reload.config_gen)
			continue;
		if (w->exited) {		/* dead, waiting for its respawn */
			w->in_use = false;
			continue;
		}
		send_drain(w, m->reload.cfg.reload_drain_timeout_ms, false);
		w->drain_deadline_ms = m->reload.cfg.reload_drain_timeout_ms > 0 ?
		    monotonic_ms() + (uint64_t)m->reload.cfg.reload_drain_timeout_ms : 0;
		drained++;
	}
	config_free(&m->cfg);
	m->cfg = m->reload.cfg;
	memset(&m->reload.cfg, 0, sizeof(m->reload.cfg));
	m->config_gen = m->reload.config_gen;
	log_set_level(m->cfg.level);
	if (master_configure_logs(m, err, sizeof(err)) != 0)
		log_warnx("reload: %s; logging as before", err);
	oneproxy_sync_schedule(m);
	if (m->cfg.reload_drain_timeout_ms > 0) {
		struct timeval second = { 1, 0 };
		if (m->drain_timer == NULL)
			m->drain_timer = evtimer_new(m->base, drain_check, m);
		if (!evtimer_pending(m->drain_timer, NULL))
			evtimer_add(m->drain_timer, &second);
	}
	log_info("configuration reloaded: %d new workers serve, %d old ones draining",
	    m->cfg.worker_count, drained);
	notify_status("serving on %s with %d workers (reloaded)", m->cfg.listen,
	    m->cfg.worker_count);
	notify_ready();
	json_object_object_add(root, "success", json_object_new_boolean(1));
	json_object_object_add(root, "workers", json_object_new_int(m->cfg.worker_count));
	json_object_object_add(root, "draining", json_object_new_int(drained));
	reply_set(&r, 200, root);
	reload_end(m, &r);
	reply_clear(&r);
	master_deliver_pending(m);
}

/* The new set cannot serve: it goes, the old set never stopped. */
static void
reload_fail(struct master *m, const char *fmt, ...)
{
	struct reply r = { 0, NULL, NULL, false };
	char why[512];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (!w->in_use || w->config_gen != m->reload.config_gen)
			continue;
		if (w->exited)
			w->in_use = false;
		else if (!w->draining)
			send_drain(w, m->cfg.shutdown_timeout_ms, true);
	}
	config_free(&m->reload.cfg);
	memset(&m->reload.cfg, 0, sizeof(m->reload.cfg));
	log_warnx("reload failed, keeping the old configuration and workers: %s", why);
	notify_status("reload failed: %s", why);
	notify_ready();
	reply_error(&r, 500, "reload failed, old configuration and workers kept: %s", why);
	reload_end(m, &r);
	reply_clear(&r);
	master_deliver_pending(m);
}

static void
reload_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)what;
	if (m->reload.active)
		reload_fail(m, "the new workers did not hold their registry snapshot "
		    "within %ld ms (worker_start_timeout_ms)",
		    m->reload.cfg.worker_start_timeout_ms);
}

static void
add_waiter(struct master *m, const struct reload_waiter *waiter)
{
	struct reload_waiter *wt;

	if (waiter == NULL)
		return;
	wt = xcalloc(1, sizeof(*wt));
	*wt = *waiter;
	TAILQ_INSERT_TAIL(&m->reload.waiters, wt, entry);
}

void
supervisor_client_gone(struct master *m, struct control_client *c)
{
	struct reload_waiter *wt, *next;

	for (wt = TAILQ_FIRST(&m->reload.waiters); wt != NULL; wt = next) {
		next = TAILQ_NEXT(wt, entry);
		if (wt->client == c) {
			TAILQ_REMOVE(&m->reload.waiters, wt, entry);
			free(wt);
		}
	}
}

/* Check the new configuration and start its workers; -1 with err if it cannot. */
static int
reload_begin(struct master *m, char *err, size_t errlen)
{
	struct config fresh;
	struct timeval tv;
	int i, room;

	notify_reloading();
	if (config_load(&fresh, m->config_file, m->overrides, m->override_count,
	    err, errlen) != 0 || config_absolutise_data_dir(&fresh, err, errlen) != 0 ||
	    check_restart_only(&m->cfg, &fresh, err, errlen) != 0 ||
	    config_preflight(&fresh, false, err, errlen) != 0) {
		config_free(&fresh);
		notify_status("reload refused: %s", err);
		notify_ready();
		return -1;
	}
	room = (int)fresh.max_worker_processes - (MAX_WORKER_SLOTS - free_entries(m));
	if (room < fresh.worker_count) {
		snprintf(err, errlen, "no room for %d new workers: %d worker processes "
		    "are still serving or draining from earlier reloads "
		    "(max_worker_processes %ld; draining ones leave when their "
		    "connections end, at the latest after reload_drain_timeout_ms)",
		    fresh.worker_count, MAX_WORKER_SLOTS - free_entries(m),
		    fresh.max_worker_processes);
		config_free(&fresh);
		notify_status("reload refused: %s", err);
		notify_ready();
		return -1;
	}
	m->reload.active = true;
	m->reload.cfg = fresh;
	m->reload.config_gen = m->config_gen + 1;
	log_info("reloading: starting %d workers with the new configuration",
	    fresh.worker_count);
	for (i = 0; i < m->reload.cfg.worker_count; i++) {
		if (spawn_worker(m, ++m->next_slot, 0, &m->reload.cfg,
		    m->reload.config_gen) != 0) {
			reload_fail(m, "cannot start a new worker process");
			return 0;	/* answered through the waiters */
		}
	}
	tv.tv_sec = m->reload.cfg.worker_start_timeout_ms / 1000;
	tv.tv_usec = (m->reload.cfg.worker_start_timeout_ms % 1000) * 1000;
	evtimer_add(m->reload.deadline, &tv);
	return 0;
}

/* Startup is over: a reload asked for meanwhile begins now. */
static void
reload_after_start(struct master *m)
{
	struct reply r = { 0, NULL, NULL, false };
	char err[512];

	if (!m->reload_queued)
		return;
	m->reload_queued = false;
	if (reload_begin(m, err, sizeof(err)) == 0)
		return;
	log_warnx("reload refused, keeping the old configuration: %s", err);
	reply_error(&r, 400, "reload refused, old configuration kept: %s", err);
	reload_end(m, &r);
	reply_clear(&r);
}

int
supervisor_reload(struct master *m, struct reload_waiter *waiter, char *err,
    size_t errlen)
{
	if (m->stopping) {
		snprintf(err, errlen, "the daemon is stopping");
		return -1;
	}
	if (m->reload.active || !m->ready) {
		/* the one in progress read the configuration just now, or the
		 * first workers are still starting: wait for that, then go on */
		if (!m->ready)
			m->reload_queued = true;
		add_waiter(m, waiter);
		return 0;
	}
	if (reload_begin(m, err, errlen) != 0)
		return -1;
	add_waiter(m, waiter);
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
	if (m->reload.active) {
		reload_fail(m, "the daemon is stopping");
	} else if (m->reload_queued) {
		struct reply r = { 0, NULL, NULL, false };
		m->reload_queued = false;
		reply_error(&r, 503, "reload not done: the daemon is stopping");
		reload_end(m, &r);
		reply_clear(&r);
	}
	m->stopping = true;
	if (m->respawn_timer != NULL)
		evtimer_del(m->respawn_timer);
	if (m->start_timer != NULL)
		evtimer_del(m->start_timer);
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && !w->exited)
			send_drain(w, m->cfg.shutdown_timeout_ms, true);
	}
	tv.tv_sec = m->cfg.shutdown_timeout_ms / 1000;
	tv.tv_usec = (m->cfg.shutdown_timeout_ms % 1000) * 1000;
	m->stop_timer = evtimer_new(m->base, stop_deadline, m);
	evtimer_add(m->stop_timer, &tv);
	if (!any_worker_left(m))
		event_base_loopexit(m->base, NULL);
}
