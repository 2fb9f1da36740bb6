/*
 * common/log.c — one line per event on stderr:
 *   2026-11-26T11:02:21.123Z warn master: message[: strerror]
 * Written with a single write(2) so lines from the master and its workers,
 * which share stderr, do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static char		log_role[32] = "omniroute";
static enum log_level	log_threshold = LOG_LEVEL_INFO;

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

static void
log_emit(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	char line[2048], stamp[32];
	int saved_errno = errno, n, m;

	if (level < log_threshold)
		return;
	iso_time_now(stamp, sizeof(stamp));
	n = snprintf(line, sizeof(line), "%s %s %s: ", stamp, level_names[level],
	    log_role);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
	if (with_errno) {
		m = snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(saved_errno));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) - 1 ?
			    (int)sizeof(line) - 2 : n + m;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
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
