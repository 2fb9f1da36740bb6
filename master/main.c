/*
 * master/main.c — omnirouted: parse the command line and configuration, open
 * the data directory (storage key, SQLite database, migrations, the one-time
 * legacy migration), bind the control socket and the listening sockets, fork
 * the workers, and run the master's loop (signals: HUP reload, TERM/INT stop,
 * CHLD reap and respawn).
 *
 * Order of the start, for `user = NAME`: as root, create/check the data
 * directory (0700, owned by the user; group/world-writable is refused), lock
 * it, bind the control socket and the listening sockets and open the pid
 * file (chowned to the user); then drop every id (common/privdrop.c); only
 * then open the key file and the database, so every file the daemon creates
 * is the user's, mode 0600 (umask 077). Workers are forked after the drop.
 */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "log.h"
#include "master.h"
#include "pool_store.h"
#include "privdrop.h"
#include "sd_notify.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

#define KEY_CHECK_PLAINTEXT	"omniroute-storage-key-check-v1"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: omnirouted [-n] [-d] [-c FILE] [-l LISTEN] [-D DATA_DIR] "
	    "[-s SOCKET] [-u USER] [-w WORKERS]\n"
	    "  -c FILE      configuration file (key = value)\n"
	    "  -n           check the configuration and exit\n"
	    "  -d           daemonize and write a pid file\n"
	    "  -l LISTEN    listen addresses, e.g. 127.0.0.1:20128,[::1]:20128\n"
	    "  -D DATA_DIR  data directory (database, key file, control socket)\n"
	    "  -s SOCKET    control socket path\n"
	    "  -u USER      run as USER after binding the sockets (started as root)\n"
	    "  -w WORKERS   number of workers or 'auto'\n"
	    "  -V, --version  print the version\n");
}

static char *
data_path(const struct master *m, const char *name)
{
	size_t len = strlen(m->cfg.data_dir) + strlen(name) + 2;
	char *p = xcalloc(1, len);

	snprintf(p, len, "%s/%s", m->cfg.data_dir, name);
	return p;
}

static int
load_storage_key(struct master *m, char *err, size_t errlen)
{
	char *path;
	int rc;

	if (m->cfg.storage_encryption_key != NULL &&
	    *m->cfg.storage_encryption_key != '\0') {
		if (crypto_key_from_passphrase(m->cfg.storage_encryption_key,
		    &m->key) != 0) {
			snprintf(err, errlen, "cannot derive the storage key from "
			    "STORAGE_ENCRYPTION_KEY");
			return -1;
		}
		return 0;
	}
	path = data_path(m, "omniroute.key");
	rc = crypto_key_load_or_create(path, &m->key, err, errlen);
	free(path);
	return rc;
}

/* The database remembers a value encrypted with its key: a wrong key is refused. */
static int
verify_storage_key(struct master *m, char *err, size_t errlen)
{
	char *stored = db_meta_get(m->db, "key_check"), *plain, *enc;
	int rc = 0;

	if (stored == NULL) {
		enc = crypto_encrypt(&m->key, KEY_CHECK_PLAINTEXT);
		if (enc == NULL || db_meta_set(m->db, "key_check", enc) != 0) {
			snprintf(err, errlen, "cannot record the storage key check");
			rc = -1;
		}
		free(enc);
		return rc;
	}
	plain = crypto_decrypt(&m->key, stored);
	if (plain == NULL || strcmp(plain, KEY_CHECK_PLAINTEXT) != 0) {
		snprintf(err, errlen, "the storage key does not match this database "
		    "(STORAGE_ENCRYPTION_KEY differs from the one the data in %s was "
		    "written with, or the key file was replaced); refusing to start",
		    m->cfg.data_dir);
		rc = -1;
	}
	crypto_free_secret(plain);
	free(stored);
	return rc;
}

#define BIND_RETRY_MS		100
#define BIND_RETRIES		20	/* 2 s in all */

/*
 * bind(), retried for a while when the address is in use: the workers of an
 * omnirouted whose master just died let go of the listening socket as soon
 * as they notice (their channel closes), a few milliseconds later, and a new
 * daemon started at once must not fail for that.
 */
static int
bind_retrying(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct listen_addr *la)
{
	struct timespec pause = { 0, BIND_RETRY_MS * 1000000L };
	int i;

	for (i = 0; ; i++) {
		if (bind(fd, sa, salen) == 0)
			return 0;
		if (errno != EADDRINUSE || i == BIND_RETRIES)
			return -1;
		if (i == 0)
			log_warnx("%s:%s is in use; trying again for up to %d ms (the "
			    "workers of a daemon that just died let go of it)", la->host,
			    la->port, BIND_RETRY_MS * BIND_RETRIES);
		nanosleep(&pause, NULL);
	}
}

static int
bind_listeners(struct master *m, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < m->cfg.listen_count; i++) {
		const struct listen_addr *la = &m->cfg.listen_addrs[i];
		struct addrinfo hints, *res = NULL;
		int fd, one = 1, gai;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((gai = getaddrinfo(la->host, la->port, &hints, &res)) != 0) {
			snprintf(err, errlen, "listen %s:%s: %s", la->host, la->port,
			    gai_strerror(gai));
			return -1;
		}
		fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
		if (fd == -1) {
			snprintf(err, errlen, "listen %s:%s: %s", la->host, la->port,
			    strerror(errno));
			freeaddrinfo(res);
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (res->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind_retrying(fd, res->ai_addr, res->ai_addrlen, la) == -1 ||
		    listen(fd, 511) == -1) {
			snprintf(err, errlen, "cannot listen on %s:%s: %s", la->host,
			    la->port, strerror(errno));
			close(fd);
			freeaddrinfo(res);
			return -1;
		}
		freeaddrinfo(res);
		evutil_make_socket_nonblocking(fd);
		evutil_make_socket_closeonexec(fd);
		m->listen_fds[m->listen_count++] = fd;
	}
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;
	char err[512];

	(void)what;
	switch (sig) {
	case SIGCHLD:
		supervisor_reap(m);
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading the configuration");
		if (supervisor_reload(m, NULL, err, sizeof(err)) != 0)
			log_warnx("reload refused, keeping the old configuration: %s", err);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		notify_stopping();
		notify_status("stopping: draining the workers");
		oneproxy_sync_stop(m);	/* its caller gets the outcome first */
		control_close(m);
		supervisor_stop(m);
		break;
	}
}

/*
 * The pid file is opened (created 0600, owned by the user) before the
 * privilege drop, so it may live where only root can create files; the pid
 * is written through the descriptor after daemonizing.
 */
static int
open_pid_file(const char *path, const struct priv_user *u, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd == -1 || fchmod(fd, 0600) == -1 ||
	    (u != NULL && fchown(fd, u->uid, u->gid) == -1)) {
		snprintf(err, errlen, "cannot write pid file %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static int
write_pid_file(int fd, const char *path, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (write(fd, buf, (size_t)n) != n) {
		snprintf(err, errlen, "cannot write pid file %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Go to the background. The starting process waits until the daemon serves
 * (a byte on *ready_fd, written once every worker holds its snapshot) and
 * exits 0, or exits 1 when the daemon ends first: a start that cannot
 * succeed is an error to whoever ran it.
 */
static int
daemonize(int *ready_fd)
{
	int fds[2], fd;
	pid_t pid;
	ssize_t n;
	char byte = 0;

	if (pipe(fds) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(fds[1]);
		do
			n = read(fds[0], &byte, 1);
		while (n == -1 && errno == EINTR);
		_exit(n == 1 && byte == '1' ? 0 : 1);
	}
	close(fds[0]);
	if (setsid() == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	evutil_make_socket_closeonexec(fds[1]);
	*ready_fd = fds[1];
	return 0;
}

/*
 * Every client connection is a descriptor in a worker, and so is each
 * upstream: raise the soft limit on open files to the hard one, as servers
 * do (the workers inherit it; stock soft limits are often 1024), and say
 * what it is; warn when it is below what max_client_connections needs.
 */
static void
raise_open_files_limit(const struct config *cfg)
{
	struct rlimit rl;
	unsigned long long was, need;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("cannot read the open files limit");
		return;
	}
	was = (unsigned long long)rl.rlim_cur;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_warn("cannot raise the open files limit from %llu to %llu",
			    was, (unsigned long long)rl.rlim_max);
			rl.rlim_cur = (rlim_t)was;
		}
	}
	if ((unsigned long long)rl.rlim_cur != was)
		log_info("open files: up to %llu per process (soft limit raised from %llu)",
		    (unsigned long long)rl.rlim_cur, was);
	else
		log_info("open files: up to %llu per process",
		    (unsigned long long)rl.rlim_cur);
	/* a client and its upstream, and a few for logs, the channel, DNS */
	need = 2ULL * (unsigned long long)cfg->max_client_connections + 64;
	if (rl.rlim_cur != RLIM_INFINITY && (unsigned long long)rl.rlim_cur < need)
		log_warnx("max_client_connections %ld needs up to %llu descriptors per "
		    "worker, more than the limit of %llu: accepting pauses when they "
		    "run out (raise the hard limit, e.g. LimitNOFILE=)",
		    cfg->max_client_connections, need, (unsigned long long)rl.rlim_cur);
}

/*
 * One omnirouted per data directory: an exclusive flock on omnirouted.lock,
 * held for the life of the process tree (workers inherit it).
 */
static int
lock_data_dir(struct master *m, const struct priv_user *u, char *err, size_t errlen)
{
	char *path = data_path(m, "omnirouted.lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd == -1 || (u != NULL && fchown(fd, u->uid, u->gid) == -1)) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "another omnirouted is running with data "
		    "directory %s (%s is locked)", m->cfg.data_dir, path);
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	m->lock_fd = fd;	/* stays open: the lock lives with the master */
	return 0;
}

/*
 * The data directory: created if missing (0700, the user's), then refused if
 * it is not a directory, is group- or world-writable, or (with `user`)
 * belongs to someone else. Files of ours inside that another uid owns are
 * refused too; ones that let group or others in are tightened to 0600 — all
 * but the key file, which crypto.c refuses instead (it may have leaked).
 */
static int
prepare_data_dir(struct master *m, const struct priv_user *u, char *err,
    size_t errlen)
{
	static const char *const ours[] = { "omniroute.db", "omniroute.db-wal",
	    "omniroute.db-shm", "omnirouted.lock", "omniroute.key" };
	uid_t owner = u != NULL ? u->uid : (uid_t)-1;
	struct stat sb;
	bool created;
	size_t i;

	if (priv_make_data_dir(m->cfg.data_dir, u, &created, err, errlen) != 0 ||
	    config_absolutise_data_dir(&m->cfg, err, errlen) != 0)
		return -1;
	if (created)
		log_info("created data directory %s (mode 0700%s%s)", m->cfg.data_dir,
		    u != NULL ? ", owner " : "", u != NULL ? u->name : "");
	if (stat(m->cfg.data_dir, &sb) == -1) {
		snprintf(err, errlen, "data directory %s: %s", m->cfg.data_dir,
		    strerror(errno));
		return -1;
	}
	if (priv_check_data_dir(m->cfg.data_dir, &sb, owner, err, errlen) != 0)
		return -1;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		char *path = data_path(m, ours[i]);
		int rc = 0;

		if (lstat(path, &sb) == 0) {
			if (u != NULL && sb.st_uid != u->uid) {
				snprintf(err, errlen, "%s is owned by uid %u, not by user "
				    "%s (uid %u); chown -R the data directory", path,
				    (unsigned)sb.st_uid, u->name, (unsigned)u->uid);
				rc = -1;
			} else if (strcmp(ours[i], "omniroute.key") != 0 &&
			    priv_file_too_open(&sb)) {
				if (chmod(path, 0600) == 0)
					log_info("%s had mode %04o; set it to 0600", path,
					    (unsigned)(sb.st_mode & 07777));
				else
					log_warn("cannot set %s to mode 0600", path);
			}
		}
		free(path);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* After the drop: the user must be able to use the data directory, and should
 * be able to remove the control socket and pid file at exit. */
static int
check_after_drop(struct master *m, const struct priv_user *u, bool daemon_mode,
    char *err, size_t errlen)
{
	const char *paths[2] = { m->cfg.control_socket_path,
	    daemon_mode ? m->cfg.pid_file_path : NULL };
	size_t i;

	if (access(m->cfg.data_dir, R_OK | W_OK | X_OK) == -1) {
		snprintf(err, errlen, "user %s cannot use data directory %s: %s "
		    "(it and every directory above it must be searchable by %s)",
		    u->name, m->cfg.data_dir, strerror(errno), u->name);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		char *dir, *slash;

		if (paths[i] == NULL)
			continue;
		dir = xstrdup(paths[i]);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			strcpy(dir, ".");
		if (access(dir, W_OK | X_OK) == -1)
			log_warnx("user %s cannot write %s, so %s will stay behind at "
			    "exit (the next start replaces it)", u->name, dir, paths[i]);
		free(dir);
	}
	return 0;
}

static int
add_override(struct master *m, const char *key, const char *value)
{
	if (m->override_count >= MAX_OVERRIDES)
		return -1;
	m->overrides[m->override_count].key = key;
	m->overrides[m->override_count].value = value;
	m->override_count++;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct master master;
	struct master *m = &master;
	struct event *sig_events[4];
	static const int signals[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	bool check_only = false, daemon_mode = false, pid_opened = false;
	struct priv_user user_buf, *user = NULL;
	char err[1024], *db_path;
	int ch, rc = 1, pid_fd = -1;
	size_t i;

	/* everything the daemon creates is 0600 (dirs 0700) unless it says otherwise */
	umask(077);
	TAILQ_INIT(&m->pending);
	TAILQ_INIT(&m->jobs);
	TAILQ_INIT(&m->reload.waiters);
	m->lock_fd = m->ready_fd = -1;
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		argv[1] = (char *)"-V";	/* the long spelling of -V */
	while ((ch = getopt(argc, argv, "c:dD:hl:ns:u:Vw:")) != -1) {
		switch (ch) {
		case 'c': m->config_file = optarg; break;
		case 'd': daemon_mode = true; break;
		case 'D': add_override(m, "data_dir", optarg); break;
		case 'l': add_override(m, "listen", optarg); break;
		case 'n': check_only = true; break;
		case 's': add_override(m, "control_socket", optarg); break;
		case 'u': add_override(m, "user", optarg); break;
		case 'w': add_override(m, "workers", optarg); break;
		case 'V': printf("omnirouted %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("master", LOG_LEVEL_INFO);
	if (config_load(&m->cfg, m->config_file, m->overrides, m->override_count,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "omnirouted: %s\n", err);
		return 1;
	}
	if (config_preflight(&m->cfg, check_only, err, sizeof(err)) != 0) {
		fprintf(stderr, "omnirouted: %s\n", err);
		config_free(&m->cfg);
		return 1;
	}
	if (m->cfg.user != NULL) {
		if (priv_lookup_user(m->cfg.user, &user_buf, err, sizeof(err)) != 0) {
			fprintf(stderr, "omnirouted: %s\n", err);
			config_free(&m->cfg);
			return 1;
		}
		user = &user_buf;
	}
	if (check_only) {
		printf("configuration OK\n");
		config_free(&m->cfg);
		return 0;
	}
	log_set_level(m->cfg.level);
	if (master_configure_logs(m, err, sizeof(err)) != 0) {
		fprintf(stderr, "omnirouted: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_open_files_limit(&m->cfg);
	if (user != NULL && user->uid == 0) {
		log_warnx("user %s has uid 0: running as root", user->name);
		user = NULL;	/* nothing to drop */
	} else if (user == NULL && geteuid() == 0)
		log_warnx("running as root: set 'user' (or -u) to drop privileges "
		    "after binding the sockets");
	if (user != NULL && geteuid() != 0 && geteuid() != user->uid) {
		log_errorx("user %s (uid %u) needs omnirouted started as root or as "
		    "that user; it runs as uid %u", user->name, (unsigned)user->uid,
		    (unsigned)geteuid());
		config_free(&m->cfg);
		return 1;
	}
	if (user != NULL && geteuid() == 0 &&
	    master_logs_chown(m, user->uid, user->gid, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		config_free(&m->cfg);
		return 1;
	}
	if (prepare_data_dir(m, user, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		config_free(&m->cfg);
		return 1;
	}
	if (lock_data_dir(m, user, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		config_free(&m->cfg);
		return 1;
	}
	m->base = event_base_new();
	m->started_at = time(NULL);
	if (control_listen(m, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		goto out;
	}
	/* omnirctl run as the user must be able to connect (mode 0600) */
	if (user != NULL && chown(m->cfg.control_socket_path, user->uid, user->gid) == -1) {
		log_error("cannot chown control socket %s", m->cfg.control_socket_path);
		goto out;
	}
	if (bind_listeners(m, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		goto out;
	}
	if (daemon_mode &&
	    (pid_fd = open_pid_file(m->cfg.pid_file_path, user, err, sizeof(err))) == -1) {
		log_errorx("%s", err);
		goto out;
	}
	pid_opened = daemon_mode;
	if (user != NULL) {
		if (priv_drop(user, err, sizeof(err)) != 0 ||
		    check_after_drop(m, user, daemon_mode, err, sizeof(err)) != 0) {
			log_errorx("%s", err);
			goto out;
		}
		log_info("running as user %s (uid %u, gid %u)", user->name,
		    (unsigned)user->uid, (unsigned)user->gid);
	}
	if (load_storage_key(m, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		goto out;
	}
	db_path = data_path(m, "omniroute.db");
	rc = db_open(db_path, &m->db, err, sizeof(err));
	free(db_path);
	if (rc != 0 || verify_storage_key(m, err, sizeof(err)) != 0) {
		log_errorx("%s", err);
		rc = 1;
		goto out;
	}
	rc = 1;
	{
		char *done = db_meta_get(m->db, "legacy_migrated");
		if (done == NULL) {
			struct reply r = { 0, NULL, NULL, false };
			if (db_begin(m->db) == 0 && legacy_migrate(m, false, &r) == 0 &&
			    db_meta_set(m->db, "legacy_migrated", "1") == 0)
				db_commit(m->db);
			else
				db_rollback(m->db);
			reply_clear(&r);
		}
		free(done);
	}
	if (master_rebuild_snapshot(m) != 0) {
		log_errorx("cannot read the registry");
		goto out;
	}
	if (daemon_mode) {
		if (daemonize(&m->ready_fd) != 0 || event_reinit(m->base) != 0) {
			log_error("cannot daemonize");
			goto out;
		}
		rc = write_pid_file(pid_fd, m->cfg.pid_file_path, err, sizeof(err));
		pid_fd = -1;
		if (rc != 0) {
			rc = 1;
			log_errorx("%s", err);
			goto out;
		}
		rc = 1;
	}
	/* after daemonizing (the pid systemd watches), before any worker forks */
	notify_init();
	for (i = 0; i < 4; i++) {
		sig_events[i] = evsignal_new(m->base, signals[i], on_signal, m);
		evsignal_add(sig_events[i], NULL);
	}
	master_logs_start(m);
	pool_board_start(m);	/* shared with the workers: before they fork */
	/* "ready" comes from the supervisor once every worker holds its snapshot */
	if (supervisor_start_workers(m) != 0) {
		log_errorx("cannot start the workers");
		m->exit_code = 1;
		supervisor_stop(m);
	} else {
		oneproxy_sync_schedule(m);
	}
	event_base_dispatch(m->base);
	log_info(m->exit_code == 0 ? "stopped" : "stopped: the start failed");
	rc = m->exit_code;
	for (i = 0; i < 4; i++)
		event_free(sig_events[i]);
out:
	master_logs_stop();
	control_close(m);
	if (pid_fd != -1)
		close(pid_fd);
	if (pid_opened)
		unlink(m->cfg.pid_file_path);
	for (i = 0; i < m->listen_count; i++)
		close(m->listen_fds[i]);
	oneproxy_sync_stop(m);
	if (m->respawn_timer != NULL)
		event_free(m->respawn_timer);
	if (m->stop_timer != NULL)
		event_free(m->stop_timer);
	if (m->drain_timer != NULL)
		event_free(m->drain_timer);
	if (m->start_timer != NULL)
		event_free(m->start_timer);
	if (m->reload.deadline != NULL)
		event_free(m->reload.deadline);
	if (m->ready_fd >= 0)
		close(m->ready_fd);
	if (m->db != NULL) {
		master_outcomes_flush(m);
		pool_board_stop(m);
	}
	while (!TAILQ_EMPTY(&m->jobs)) {
		struct pending_job *j = TAILQ_FIRST(&m->jobs);
		TAILQ_REMOVE(&m->jobs, j, entry);
		free(j);
	}
	while (!TAILQ_EMPTY(&m->pending)) {
		struct pending_reply *p = TAILQ_FIRST(&m->pending);
		TAILQ_REMOVE(&m->pending, p, entry);
		free(p->line);
		free(p);
	}
	snapshot_free(&m->snap);
	master_snapshot_lines_free(m);
	if (m->db != NULL)
		sqlite3_close(m->db);
	crypto_key_wipe(&m->key);
	config_free(&m->cfg);
	if (m->base != NULL)
		event_base_free(m->base);
	return rc;
}
