/*
 * master/master.h — the state of the master process (omnirouted): its
 * configuration, database, storage key, the registry snapshot it pushes to
 * the workers, the worker table and the replies that wait for the workers to
 * acknowledge a new snapshot generation.
 */
#ifndef OMNI_MASTER_H
#define OMNI_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <sqlite3.h>

#include "config.h"
#include "crypto.h"
#include "registry.h"
#include "reply.h"

#define MAX_WORKER_SLOTS	1024	/* live + draining; a reload needs room for a whole set */
#define MAX_OVERRIDES		16

struct control_client;
struct accept_board;
struct pool_board;
struct latency_board;

struct worker_proc {
	bool			 in_use;
	int			 slot;		/* stable number shown in logs: worker[slot] */
	pid_t			 pid;
	struct bufferevent	*channel;
	uint64_t		 acked_generation;
	time_t			 started_at;
	int			 restarts;
	int			 config_gen;	/* the configuration it was started with */
	bool			 greeted;	/* its hello named our channel protocol version */
	bool			 ready;		/* holds its snapshot and its TLS context */
	bool			 serving;	/* told to accept ("serve") */
	bool			 draining;	/* replaced by a reload; finishing its work */
	uint64_t		 drain_deadline_ms;	/* monotonic; 0 = none (killed then) */
	bool			 exited;
	char			 failure[256];	/* why it could not start, as it said */
};

/* Who waits for a reload's outcome: a control client, or a worker's tag. */
struct reload_waiter {
	TAILQ_ENTRY(reload_waiter) entry;
	struct control_client	*client;	/* or a worker that forwarded it: */
	int			 worker_slot;
	pid_t			 worker_pid;
	bool			 has_tag;
	uint64_t		 tag;
};
TAILQ_HEAD(reload_waiter_list, reload_waiter);

/*
 * A reload in progress: the checked new configuration, the workers started
 * with it (config_gen) that must all hold their snapshot before it commits.
 */
struct reload_txn {
	bool			 active;
	struct config		 cfg;
	int			 config_gen;
	struct event		*deadline;
	struct reload_waiter_list waiters;
};

/* A reply held until every live worker has acknowledged `generation`. */
struct pending_reply {
	TAILQ_ENTRY(pending_reply) entry;
	uint64_t		 generation;
	struct control_client	*client;	/* or a worker channel: */
	int			 worker_slot;
	pid_t			 worker_pid;
	char			*line;		/* the whole reply line, LF included */
	size_t			 line_len;
};
TAILQ_HEAD(pending_list, pending_reply);

/* A job handed to a worker; its answer goes back to whoever asked. */
struct master;

/* A job the master itself waits for (a step of a longer task); takes body. */
typedef void (*job_done_fn)(struct master *m, void *ctx, int status,
	    struct json_object *body);

/*
 * A job whose answer the master acts on before it goes to whoever asked (the
 * egress check stores the address it found): subject is what the job is
 * about (a proxy id); takes body, returns the body to send, may change
 * *status.
 */
typedef struct json_object *(*job_answer_fn)(struct master *m, const char *subject,
	    int *status, struct json_object *body);

#define JOB_SUBJECT_MAX	128

struct pending_job {
	TAILQ_ENTRY(pending_job) entry;
	uint64_t		 tag;		/* on the worker's channel */
	pid_t			 worker_pid;
	job_done_fn		 done;		/* set: the answer goes here, not to */
	void			*done_ctx;	/* an origin */
	struct control_client	*client;	/* or a worker that forwarded it: */
	int			 origin_slot;
	pid_t			 origin_pid;
	bool			 origin_has_tag;
	uint64_t		 origin_tag;
	job_answer_fn		 answer;	/* set: the answer passes through it */
	char			 subject[JOB_SUBJECT_MAX + 1];
};
TAILQ_HEAD(pending_job_list, pending_job);

struct master {
	struct config		 cfg;
	const char		*config_file;
	struct config_override	 overrides[MAX_OVERRIDES];
	size_t			 override_count;

	struct event_base	*base;
	sqlite3			*db;
	struct crypto_key	 key;

	struct registry_snapshot snap;
	uint64_t		 generation;
	char			*snapshot_line;	/* "snapshot {…}\n", built on demand */
	size_t			 snapshot_line_len;
	char			*delta_line;	/* "delta {…}\n": the last change */
	size_t			 delta_line_len;

	int			 listen_fds[CONFIG_MAX_LISTEN];
	size_t			 listen_count;
	struct evconnlistener	*control_listener;

	struct worker_proc	 workers[MAX_WORKER_SLOTS];
	/* one entry per workers[] entry, shared with every worker (MAP_SHARED):
	 * its load and whether it accepts (worker.c balances with it) */
	struct accept_board	*accept_board;
	/* the pools' shared state (common/pool_choice.h), mapped before the
	 * first fork; the cursors are saved by pool_cursor_timer and at exit */
	struct pool_board	*pool_board;
	struct latency_board	*latency_board;	/* shared, mapped with pool_board */
	struct event		*pool_cursor_timer;
	int			 next_slot;
	int			 config_gen;	/* of m->cfg; a reload makes the next one */
	int			 lock_fd;	/* the data-dir lock (workers close it) */
	int			 ready_fd;	/* -d: tells the waiting parent we serve */
	bool			 ready;		/* the first set of workers serves */
	struct event		*start_timer;	/* startup: workers must be ready by then */
	struct reload_txn	 reload;
	bool			 reload_queued;	/* asked for while starting: after it */
	int			 consecutive_crashes;
	struct event		*respawn_timer;
	struct pending_list	 pending;
	struct pending_job_list	 jobs;
	struct json_object	*outcomes;	/* queued for proxy_logs */
	struct event		*outcome_timer;
	size_t			 outcomes_written;
	uint64_t		 next_job_tag;
	int			 next_job_worker;
	struct oneproxy_sync	*oneproxy_sync;	/* the running 1proxy sync, or NULL */
	struct event		*oneproxy_timer;	/* oneproxy_sync_interval */
	long			 oneproxy_timer_interval;	/* what it was armed with */

	time_t			 started_at;
	bool			 stopping;
	int			 exit_code;
	struct event		*stop_timer;
	struct event		*drain_timer;	/* kills old workers past their drain deadline */
};

/* master/snapshot.c */
int	master_rebuild_snapshot(struct master *m);
/* Send the last change (a delta) to every worker. */
void	master_push_snapshot(struct master *m);
/* Send the whole current snapshot to one worker (new ones, resyncs). */
void	master_send_full_snapshot(struct master *m, struct worker_proc *w);
void	master_snapshot_lines_free(struct master *m);
void	master_deliver_pending(struct master *m);
void	master_defer_reply(struct master *m, struct control_client *client,
	    int worker_slot, pid_t worker_pid, char *line, size_t len);

/* master/supervisor.c */
/* Fork the configured workers; each serves once it holds its snapshot. */
int	supervisor_start_workers(struct master *m);
void	supervisor_reap(struct master *m);
/*
 * Begin a reload: check the new configuration whole (as -n does, plus what
 * workers load), start a new set of workers with it; it commits once they
 * all hold the current snapshot (then the old ones drain) or fails leaving
 * everything as it was. -1 with err when it cannot begin; else 0 and the
 * outcome reaches `waiter` (may be NULL: SIGHUP, logged) when it ends.
 */
int	supervisor_reload(struct master *m, struct reload_waiter *waiter,
	    char *err, size_t errlen);
/* A control client went away: it no longer waits for a reload. */
void	supervisor_client_gone(struct master *m, struct control_client *c);
void	supervisor_stop(struct master *m);
int	supervisor_live_workers(const struct master *m);
/* One line (without LF) from worker w's channel: split, checked against the
 * channel's table (common/channel.h) and handled; wiped when it may hold
 * credentials. Only a "command" message runs a control command. */
void	master_channel_line(struct master *m, struct worker_proc *w, char *line,
	    size_t len);

/* master/preflight.c: what a start or reload needs beyond the config's syntax:
 * the CA file loads, the listen addresses are local. 0 or -1 with err. */
int	config_preflight(const struct config *cfg, bool check_listen,
	    char *err, size_t errlen);

/* master/outcomes.c */
void	master_record_outcomes(struct master *m, const char *json, size_t len);
void	master_outcomes_flush(struct master *m);

/* master/jobs.c */
void	master_start_job(struct master *m, const char *job, struct json_object *args,
	    struct control_client *client, struct worker_proc *origin,
	    bool has_tag, uint64_t tag);
/* The same, with the answer passing through answer(m, subject, …) first. */
void	master_start_answered_job(struct master *m, const char *job,
	    struct json_object *args, struct control_client *client,
	    struct worker_proc *origin, bool has_tag, uint64_t tag,
	    job_answer_fn answer, const char *subject);
/* Run a worker job whose answer goes to done(m, ctx, …) (takes args). */
void	master_start_internal_job(struct master *m, const char *job,
	    struct json_object *args, job_done_fn done, void *ctx);
/* A proxy as a job's "proxy" argument (credentials in clear: the channel only). */
struct json_object *job_proxy_json(const struct snap_proxy *p);
/* The body "#tag status json" of a job.result from worker w: a job's answer. */
void	master_job_answered(struct master *m, struct worker_proc *w, const char *body,
	    size_t len);
/* Worker w is gone: its jobs fail; a client going away drops its jobs' answers. */
void	master_jobs_worker_gone(struct master *m, pid_t pid);
void	master_jobs_client_gone(struct master *m, struct control_client *client);

/* master/cmd_proxy.c: proxy.egress, a job.probe whose answer the master stores */
void	proxy_egress_start(struct master *m, struct json_object *args,
	    struct control_client *client, struct worker_proc *origin, bool has_tag,
	    uint64_t tag);

/* master/oneproxy_sync.c: the 1proxy sync (a chain of worker jobs) */
struct oneproxy_sync;
/* Why a sync cannot start now (disabled, breaker open), or NULL. */
const char *oneproxy_sync_refusal(struct master *m, char *buf, size_t len);
/* The running sync's counters (new object), or NULL when none runs. */
struct json_object *oneproxy_sync_progress(const struct master *m);
void	oneproxy_sync_start(struct master *m, struct json_object *args,
	    struct control_client *client, struct worker_proc *origin, bool has_tag,
	    uint64_t tag);
void	oneproxy_sync_client_gone(struct master *m, struct control_client *client);
/* (Re)arm the periodic sync from the configuration (a reload that keeps the
 * interval keeps it); stop it, ending any sync with what it stored. */
void	oneproxy_sync_schedule(struct master *m);
void	oneproxy_sync_stop(struct master *m);

/* master/logs.c: log_file/syslog/log_format (again at reload), SIGUSR1 */
int	master_configure_logs(struct master *m, char *err, size_t errlen);
int	master_logs_chown(struct master *m, uid_t uid, gid_t gid, char *err,
	    size_t errlen);
void	master_logs_start(struct master *m);
void	master_logs_stop(void);

/* master/control.c */
int	control_listen(struct master *m, char *err, size_t errlen);
void	control_client_send(struct control_client *c, const char *line, size_t len);
/*
 * A reply line to whoever asked: a control client, or else the worker (by
 * slot and pid, so a respawned one in the same slot is not mistaken for it)
 * that forwarded the command; dropped when neither is there any more.
 */
void	master_send_reply_line(struct master *m, struct control_client *client,
	    int worker_slot, pid_t worker_pid, const char *line, size_t len);
void	control_client_set_waiting(struct control_client *c);
/* A 1xx progress line: the client goes on waiting for the final reply. */
void	control_client_send_progress(struct control_client *c, const char *line,
	    size_t len);
void	control_close(struct master *m);

/* Decrypt a stored credential ("" stays ""); NULL when the key is wrong. */
char	*master_decrypt(struct master *m, const char *stored);
/* Encrypt a credential for storage ("" stays ""). */
char	*master_encrypt(struct master *m, const char *plain);

#endif
