/*
 * common/log.h — logging to stderr with a timestamp, a level and the process
 * role ("master", "worker[3]"), the way every omniroute process reports.
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

void	log_init(const char *role, enum log_level level);
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
