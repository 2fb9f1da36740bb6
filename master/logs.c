/*
 * master/logs.c — where the daemon's log lines go (log_file, syslog,
 * log_format) and SIGUSR1: the master opens its log file again under its
 * name (after logrotate moved it) and passes the signal on to every worker,
 * which reopens its own descriptors (log file and access log). The signal is
 * taken by a libevent signal event: the handler only wakes the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

static struct event *sigusr1_ev;

int
master_configure_logs(struct master *m, char *err, size_t errlen)
{
	/* until the loop takes SIGUSR1, a logrotate must not kill us; workers
	 * forked later inherit SIG_IGN until their own loop takes it */
	signal(SIGUSR1, SIG_IGN);
	if (m->cfg.access_log_on && strcmp(m->cfg.access_log, "stderr") != 0 &&
	    strcasecmp(m->cfg.access_log, "off") != 0) {
		/* the workers open it; a path that cannot be written is said now */
		int fd = open(m->cfg.access_log, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0600);
		if (fd == -1) {
			snprintf(err, errlen, "access_log %s: %s", m->cfg.access_log,
			    strerror(errno));
			return -1;
		}
		close(fd);
	}
	return log_configure(m->cfg.log_file, m->cfg.syslog, m->cfg.format, err, errlen);
}

/*
 * With `user`: the log files the master opened as root become the user's, so
 * that every process can open them again after the drop (SIGUSR1, reload,
 * the workers' access log). A new file after logrotate moved the old one is
 * created in its directory, which the user must then be able to write.
 */
int
master_logs_chown(struct master *m, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	const char *paths[2] = { m->cfg.log_file, m->cfg.access_log_on ?
	    m->cfg.access_log : NULL };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (paths[i] == NULL || strcmp(paths[i], "stderr") == 0)
			continue;
		if (chown(paths[i], uid, gid) == -1) {
			snprintf(err, errlen, "cannot chown %s to the user: %s", paths[i],
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
on_sigusr1(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;
	char err[512];
	int i, n = 0;

	(void)sig;
	(void)what;
	if (log_reopen(err, sizeof(err)) != 0)
		log_warnx("SIGUSR1: %s; still writing to the old log file", err);
	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		struct worker_proc *w = &m->workers[i];
		if (w->in_use && !w->exited && w->pid > 0 && kill(w->pid, SIGUSR1) == 0)
			n++;
	}
	log_info("SIGUSR1: log files reopened (%d workers told)", n);
}

void
master_logs_start(struct master *m)
{
	if (sigusr1_ev != NULL)
		return;
	sigusr1_ev = evsignal_new(m->base, SIGUSR1, on_sigusr1, m);
	evsignal_add(sigusr1_ev, NULL);
}

void
master_logs_stop(void)
{
	if (sigusr1_ev != NULL)
		event_free(sigusr1_ev);
	sigusr1_ev = NULL;
}
