/*
 * common/log.c — one line per event, to stderr or the log file:
 *   2026-11-26T11:02:21.123Z warn master: message[: strerror]
 * or, with log_format = json,
 *   {"ts":"2026-11-26T11:02:21.123Z","level":"warn","role":"master","msg":"…"}
 * Written with a single write(2) on an O_APPEND descriptor so lines from the
 * master and its workers, which share the file, do not interleave. Workers
 * inherit the descriptor; each process reopens the file by name on SIGUSR1.
 * With syslog on, each line also goes to syslog(3) (facility daemon).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "log.h"
#include "textbuf.h"
#include "util.h"

static char		log_role[32] = "omniroute";
static enum log_level	log_threshold = LOG_LEVEL_INFO;
static enum log_format	log_fmt = LOG_FORMAT_TEXT;
static int		log_fd = STDERR_FILENO;
static char		*log_path;		/* NULL: stderr */
static bool		log_to_fd = true;	/* false: syslog alone */
static bool		log_syslog;
static bool		log_starting = true;	/* warnings also to stderr (below) */

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *role, enum log_level level)
{
	log_set_role(role);
	log_threshold = level;
}

void
log_set_role(const char *role)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
}

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

bool
log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (strcasecmp(name, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return true;
	}
	return false;
}

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}

bool
log_format_parse(const char *name, enum log_format *out)
{
	if (strcasecmp(name, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcasecmp(name, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return false;
	return true;
}

enum log_format
log_current_format(void)
{
	return log_fmt;
}

int
log_syslog_facility(void)
{
	return LOG_DAEMON;
}

int
log_syslog_priority(enum log_level level)
{
	static const int priorities[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

	return priorities[level];
}

static int
log_open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd == -1)
		snprintf(err, errlen, "log_file %s: %s", path, strerror(errno));
	return fd;
}

int
log_configure(const char *file, bool use_syslog, enum log_format format,
    char *err, size_t errlen)
{
	bool to_stderr = file == NULL || *file == '\0' || strcmp(file, "stderr") == 0;
	int fd = STDERR_FILENO;

	if (!to_stderr && (fd = log_open_file(file, err, errlen)) == -1)
		return -1;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = to_stderr ? NULL : xstrdup(file);
	/* syslog alone unless a destination was named */
	log_to_fd = !use_syslog || (file != NULL && *file != '\0');
	if (use_syslog && !log_syslog)
		openlog(LOG_SYSLOG_IDENT, LOG_PID | LOG_NDELAY, log_syslog_facility());
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
	log_fmt = format;
	return 0;
}

bool
log_settings_equal(const char *file, bool use_syslog, enum log_format format)
{
	bool to_stderr = file == NULL || *file == '\0' || strcmp(file, "stderr") == 0;

	if (use_syslog != log_syslog || format != log_fmt ||
	    to_stderr != (log_path == NULL))
		return false;
	return to_stderr || strcmp(file, log_path) == 0;
}

/*
 * Until the daemon is up, warnings and errors also go to stderr when lines
 * go elsewhere (a file, syslog): whoever started it sees why a start failed.
 */
void
log_startup_over(void)
{
	log_starting = false;
}

int
log_reopen(char *err, size_t errlen)
{
	int fd;

	if (log_path == NULL)
		return 0;
	if ((fd = log_open_file(log_path, err, errlen)) == -1)
		return -1;	/* keep writing to the old one */
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_format_line(struct textbuf *out, enum log_format format, const char *stamp,
    enum log_level level, const char *role, const char *msg, size_t msg_len)
{
	if (format == LOG_FORMAT_JSON) {
		textbuf_add_str(out, "{\"ts\":");
		json_append_string(out, stamp, strlen(stamp));
		textbuf_add_str(out, ",\"level\":\"");
		textbuf_add_str(out, level_names[level]);
		textbuf_add_str(out, "\",\"role\":");
		json_append_string(out, role, strlen(role));
		textbuf_add_str(out, ",\"msg\":");
		json_append_string(out, msg, msg_len);
		textbuf_add(out, "}\n", 2);
		return;
	}
	textbuf_add_str(out, stamp);
	textbuf_add(out, " ", 1);
	textbuf_add_str(out, level_names[level]);
	textbuf_add(out, " ", 1);
	textbuf_add_str(out, role);
	textbuf_add(out, ": ", 2);
	/* a message never breaks the line: control bytes become '?' */
	{
		size_t start = out->len, i;
		textbuf_add(out, msg, msg_len);
		for (i = start; i < out->len; i++)
			if ((unsigned char)out->data[i] < 0x20 && out->data[i] != '\t')
				out->data[i] = '?';
	}
	textbuf_add(out, "\n", 1);
}

static void
log_emit(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	char msg[2048], stamp[32];
	struct textbuf line = { NULL, 0, 0 };
	int saved_errno = errno, n, m;

	if (level < log_threshold)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	n = (size_t)n >= sizeof(msg) ? (int)sizeof(msg) - 1 : n;
	if (with_errno) {
		m = snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(saved_errno));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(msg) ? (int)sizeof(msg) - 1 : n + m;
	}
	if (log_syslog)
		syslog(log_syslog_priority(level), "%s: %.*s", log_role, n, msg);
	if (log_to_fd) {
		iso_time_now(stamp, sizeof(stamp));
		log_format_line(&line, log_fmt, stamp, level, log_role, msg, (size_t)n);
		if (write(log_fd, line.data, line.len) < 0) {
			/* nowhere left to report it */
		}
		textbuf_free(&line);
	}
	if (log_starting && level >= LOG_LEVEL_WARN &&
	    (log_fd != STDERR_FILENO || !log_to_fd)) {
		iso_time_now(stamp, sizeof(stamp));
		log_format_line(&line, LOG_FORMAT_TEXT, stamp, level, log_role, msg,
		    (size_t)n);
		if (write(STDERR_FILENO, line.data, line.len) < 0) {
			/* nowhere left to report it */
		}
		textbuf_free(&line);
	}
	errno = saved_errno;
}

#define LOG_FUNCTION(fname, level, with_errno)		\
void							\
fname(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_emit(level, with_errno, fmt, ap);		\
	va_end(ap);					\
}

LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO, 0)
LOG_FUNCTION(log_warn, LOG_LEVEL_WARN, 1)
LOG_FUNCTION(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FUNCTION(log_error, LOG_LEVEL_ERROR, 1)
LOG_FUNCTION(log_errorx, LOG_LEVEL_ERROR, 0)
