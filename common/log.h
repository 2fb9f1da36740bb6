/*
 * common/log.h — logging with a timestamp, a level and the process role
 * ("master", "worker[3]"), the way every omniroute process reports: to stderr
 * (the default), to a file (log_file, reopened on SIGUSR1 for logrotate),
 * and/or to syslog (facility daemon, ident omnirouted), as text or as one
 * JSON object per line (log_format).
 * log_warn/log_error append strerror(errno); the *x variants do not.
 * Never pass a credential or an Authorization header to these functions.
 */
#ifndef OMNI_LOG_H
#define OMNI_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_format {
	LOG_FORMAT_TEXT = 0,	/* 2026-11-26T11:02:21.123Z info master: message */
	LOG_FORMAT_JSON,	/* {"ts":"…","level":"info","role":"master","msg":"…"} */
};

#define LOG_SYSLOG_IDENT	"omnirouted"

void	log_init(const char *role, enum log_level level);
bool	log_format_parse(const char *name, enum log_format *out);
/*
 * Where lines go: file (NULL or "stderr" = stderr; else opened for append,
 * created 0600), and syslog when use_syslog (then stderr is not written
 * unless file names it). On failure the old destination stays: -1 and err.
 */
int	log_configure(const char *file, bool use_syslog, enum log_format format,
	    char *err, size_t errlen);
/* The daemon is up: warnings stop being copied to stderr (see log.c). */
void	log_startup_over(void);
/* Are lines going where these settings say (as log_configure left them)? */
bool	log_settings_equal(const char *file, bool use_syslog, enum log_format format);
/* Open the log file again under its name (SIGUSR1, after logrotate moved it). */
int	log_reopen(char *err, size_t errlen);
enum log_format log_current_format(void);
/* syslog: the facility used and a level's priority (pure; unit-tested). */
int	log_syslog_facility(void);
int	log_syslog_priority(enum log_level level);
/* One line as written to a file: "stamp level role: msg\n" or the JSON object. */
struct textbuf;
void	log_format_line(struct textbuf *out, enum log_format format, const char *stamp,
	    enum log_level level, const char *role, const char *msg, size_t msg_len);
void	log_set_role(const char *role);
void	log_set_level(enum log_level level);
bool	log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
