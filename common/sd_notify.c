/*
 * common/sd_notify.c — systemd's notification protocol, written out: one
 * datagram per message to the AF_UNIX socket in $NOTIFY_SOCKET, read once by
 * the master and removed from the environment (see sd_notify.h for when each
 * message is sent).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sd_notify.h"

static struct {
	struct sockaddr_un	sun;
	socklen_t		len;
	pid_t			owner;	/* 0: notifications off */
} notify;

int
notify_address_parse(const char *value, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n;

	if (value == NULL || (value[0] != '/' && value[0] != '@'))
		return -1;
	n = strlen(value);
	if (n < 2 || n > sizeof(sun->sun_path) - (value[0] == '/' ? 1 : 0))
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, value, n);
	if (value[0] == '@')
		sun->sun_path[0] = '\0';	/* abstract: no terminating NUL counts */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (value[0] == '/' ? 1 : 0));
	return 0;
}

int
notify_format_reloading(char *buf, size_t cap, uint64_t monotonic_usec)
{
	int n = snprintf(buf, cap, "RELOADING=1\nMONOTONIC_USEC=%llu\n",
	    (unsigned long long)monotonic_usec);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
notify_init(void)
{
	const char *v = getenv("NOTIFY_SOCKET");

	notify.owner = 0;
	if (v != NULL && *v != '\0') {
		if (notify_address_parse(v, &notify.sun, &notify.len) == 0)
			notify.owner = getpid();
		else
			log_warnx("NOTIFY_SOCKET '%s' is not a socket path or @name; "
			    "not notifying systemd", v);
	}
	unsetenv("NOTIFY_SOCKET");
	return notify.owner != 0;
}

int
notify_send(const char *msg)
{
	ssize_t n;
	int fd;

	if (notify.owner == 0 || notify.owner != getpid())
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_debug("sd_notify: socket: %s", strerror(errno));
		return -1;
	}
	/* a local notification socket, not egress */
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify.sun, notify.len);
	if (n == -1)
		log_debug("sd_notify: sendto: %s", strerror(errno));
	close(fd);
	return n == -1 ? -1 : 0;
}

void
notify_ready(void)
{
	notify_send("READY=1\n");
}

void
notify_reloading(void)
{
	struct timespec ts;
	char buf[96];

	if (notify.owner == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (notify_format_reloading(buf, sizeof(buf), (uint64_t)ts.tv_sec * 1000000u +
	    (uint64_t)ts.tv_nsec / 1000u) == 0)
		notify_send(buf);
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1\n");
}

void
notify_status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;
	char *p;

	if (notify.owner == 0)
		return;
	memcpy(buf, "STATUS=", 7);
	va_start(ap, fmt);
	n = vsnprintf(buf + 7, sizeof(buf) - 8, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (p = buf + 7; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';	/* one line: a newline would start another key */
	strcat(buf, "\n");
	notify_send(buf);
}
