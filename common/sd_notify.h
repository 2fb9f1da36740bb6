/*
 * common/sd_notify.h — systemd readiness notification (Type=notify) without
 * libsystemd: "KEY=VALUE\n..." datagrams to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract socket written "@name").
 *
 * Master only. notify_init() reads $NOTIFY_SOCKET once and removes it from
 * the environment, so nothing forked later (workers) sees it; the calls below
 * also do nothing in any process but the one that called notify_init().
 * Without $NOTIFY_SOCKET every call is a no-op. Send errors are ignored
 * (logged at debug): a lost notification must never stop the daemon.
 *
 * When to call what (API.md "Operations", systemd):
 *   start:   notify_ready() once the workers serve (with a notify_status()).
 *   reload:  notify_reloading() before the new configuration is read (it
 *            sends RELOADING=1 with MONOTONIC_USEC=, as systemd >= 253 wants
 *            for Type=notify-reload), then notify_ready() when the reload is
 *            over — whether it succeeded or not (on failure add a
 *            notify_status("reload failed: ...")), or systemd stays in
 *            "reloading".
 *   stop:    notify_stopping() when a graceful stop begins.
 */
#ifndef OMNI_SD_NOTIFY_H
#define OMNI_SD_NOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Pure: turn a $NOTIFY_SOCKET value into an address. "/path" → a filesystem
 * socket, "@name" → an abstract one (leading NUL). 0 with *len set; -1 for an
 * empty, relative or too long value.
 */
int	notify_address_parse(const char *value, struct sockaddr_un *sun,
	    socklen_t *len);

/* Pure: the RELOADING=1 message for this CLOCK_MONOTONIC time. */
int	notify_format_reloading(char *buf, size_t cap, uint64_t monotonic_usec);

/* Read and unset $NOTIFY_SOCKET; 1 when notifications are on, else 0. */
int	notify_init(void);
/* Send one message as is ("READY=1\nSTATUS=...\n"); 0, or -1 (ignored by callers). */
int	notify_send(const char *msg);

void	notify_ready(void);		/* READY=1 */
void	notify_reloading(void);		/* RELOADING=1, MONOTONIC_USEC=... */
void	notify_stopping(void);		/* STOPPING=1 */
void	notify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));	/* STATUS=... (one line) */

#endif
