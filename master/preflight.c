/*
 * master/preflight.c — what a start or a reload needs beyond a configuration
 * that parses: the CA file the workers will load must load (a worker that
 * cannot build its TLS context cannot serve), and each listen address must
 * be an address of this machine. `omnirouted -n`, startup and every reload
 * run it, so a configuration that cannot serve is refused before any worker
 * is replaced.
 */
#include <sys/socket.h>
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
	for (i = 0; check_listen && i < cfg->listen_count; i++)
		if (check_listen_address(&cfg->listen_addrs[i], err, errlen) != 0)
			return -1;
	return 0;
}
