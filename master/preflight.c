/*
 * master/preflight.c — what a start or a reload needs beyond a configuration
 * that parses: the CA file the workers will load must load (a worker that
 * cannot build its TLS context cannot serve), and each listen address must
 * be an address of this machine, and the log files must be writable.
 * `omnirouted -n`, startup and every reload run it, so a configuration that
 * cannot serve is refused before any worker is replaced.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "tls.h"

/*
 * Is host an address this machine can listen on? Bound with port 0 (any
 * free port), so a daemon already listening on the real port does not make
 * the check fail.
 */
static int
check_listen_address(const struct listen_addr *la, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int gai, fd, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(la->host, "0", &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s:%s: %s", la->host, la->port,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			close(fd);
			freeaddrinfo(res);
			return 0;
		}
		saved = errno;
		close(fd);
	}
	freeaddrinfo(res);
	snprintf(err, errlen, "listen %s:%s: not an address of this machine (%s)",
	    la->host, la->port, strerror(saved));
	return -1;
}

/*
 * Can a log file be appended to (or created)? Checked with access(), as the
 * user the check runs as, so nothing is created by -n.
 */
static int
check_log_path(const char *setting, const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash;
	struct stat sb;

	if (path == NULL || *path == '\0' || strcmp(path, "stderr") == 0 ||
	    strcmp(path, "off") == 0)
		return 0;
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s %s is a directory", setting, path);
			return -1;
		}
		if (access(path, W_OK) != 0) {
			snprintf(err, errlen, "%s %s is not writable: %s", setting, path,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "%s %s cannot be created: directory %s: %s",
		    setting, path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
config_preflight(const struct config *cfg, bool check_listen, char *err,
    size_t errlen)
{
	struct ssl_ctx_st *ctx;
	size_t i;

	/* exactly what a worker builds at start */
	if ((ctx = tls_client_ctx_new(cfg->ca_file, err, errlen)) == NULL)
		return -1;
	tls_client_ctx_free(ctx);
	if (check_log_path("log_file", cfg->log_file, err, errlen) != 0 ||
	    check_log_path("access_log", cfg->access_log, err, errlen) != 0)
		return -1;
	for (i = 0; check_listen && i < cfg->listen_count; i++)
		if (check_listen_address(&cfg->listen_addrs[i], err, errlen) != 0)
			return -1;
	return 0;
}
