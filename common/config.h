/*
 * common/config.h — omnirouted's settings: one table of (config key, env
 * variable, default, type), filled from defaults, then the `key = value` file,
 * then the environment, then the command line (flags > env > file > default).
 * Errors name the file and line, or the variable, and what was wrong.
 */
#ifndef OMNI_CONFIG_H
#define OMNI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define CONFIG_MAX_LISTEN	8

struct listen_addr {
	char	host[256];	/* without brackets */
	char	port[8];
};

struct config {
	char		*listen;
	char		*data_dir;
	char		*control_socket;	/* NULL → <data_dir>/omnirouted.sock */
	char		*pid_file;		/* NULL → <data_dir>/omnirouted.pid */
	char		*workers;		/* "auto" or a number */
	char		*log_level;
	char		*ca_file;
	char		*api_key;
	char		*api_key_file;		/* api_key from this file's first line */
	char		*storage_encryption_key;
	char		*storage_encryption_key_file;
	char		*user;			/* drop to this user after binding; NULL = stay */
	char		*cliproxyapi_url;
	char		*oneproxy_api_url;
	long		 oneproxy_max_proxies;
	long		 oneproxy_min_quality;
	bool		 oneproxy_enabled;
	bool		 oneproxy_allow_private;	/* feed rows may be non-public */
	long		 oneproxy_sync_interval;	/* seconds between syncs; 0 off */
	long		 oneproxy_timeout_ms;		/* per feed page */
	bool		 enable_socks5_proxy;
	bool		 require_api_key;
	bool		 proxy_fail_open;
	long		 header_timeout_ms;
	long		 keepalive_timeout_ms;
	long		 shutdown_timeout_ms;
	long		 max_worker_processes;	/* serving + draining, reloads included */
	long		 worker_start_timeout_ms;	/* new workers must serve by then */
	long		 reload_drain_timeout_ms;	/* old workers after a reload; 0 = no limit */
	long		 dns_timeout_ms;
	long		 connect_timeout_ms;
	long		 happy_eyeballs_delay_ms;	/* RFC 8305 connection attempt delay */
	long		 proxy_handshake_timeout_ms;
	long		 tls_timeout_ms;
	long		 response_head_timeout_ms;
	long		 body_idle_timeout_ms;
	long		 pool_idle_ms;
	long		 pool_proxied_idle_ms;
	long		 pool_cooldown_ms;	/* a failed pool member is passed over this long */
	long		 pool_attempts_max;	/* members tried within one call */
	long		 max_client_connections;	/* per worker; accepting pauses there */
	long		 body_budget_mb;	/* per worker: /v1 request bodies held at once */
	long		 api_body_budget_mb;	/* per worker: every other request body */
	long		 body_budget_per_peer_percent;	/* one client's share of each */
	long		 max_connections_per_peer;	/* per worker, per client address */
	char		*probe_url;
	char		*egress_check_url;	/* answers the caller's IP (proxy.egress) */
	char		*log_file;		/* NULL → stderr */
	bool		 syslog;		/* facility daemon, ident omnirouted */
	char		*log_format;		/* text | json */
	char		*access_log;		/* off | stderr | PATH */
	char		*allowed_hosts;		/* Host names besides loopback (edge_rules.h) */
	char		*allowed_origins;	/* origins /v1 serves cross-site, with CORS */

	/* derived by config_finish() */
	struct listen_addr listen_addrs[CONFIG_MAX_LISTEN];
	size_t		 listen_count;
	int		 worker_count;
	enum log_level	 level;
	enum log_format	 format;
	bool		 access_log_on;		/* access_log is not "off" */
	char		*control_socket_path;
	char		*pid_file_path;
};

/* A command-line setting: key as in the config file. */
struct config_override {
	const char	*key;
	const char	*value;
};

/*
 * Build a configuration: defaults, then file (may be NULL), then the process
 * environment, then the overrides. 0 ok; -1 with a message in err.
 */
int	config_load(struct config *cfg, const char *file,
	    const struct config_override *overrides, size_t override_count,
	    char *err, size_t errlen);

/* Parse one `key = value` text (file contents); used by config_load and tests. */
int	config_parse_text(struct config *cfg, const char *text, const char *origin,
	    char *err, size_t errlen);

/* Set one key (from any source); origin names it in errors. */
int	config_set(struct config *cfg, const char *key, const char *value,
	    const char *origin, char *err, size_t errlen);

void	config_defaults(struct config *cfg);
/* Check cross-field rules and compute the derived fields. */
int	config_finish(struct config *cfg, char *err, size_t errlen);
void	config_free(struct config *cfg);
/* Make data_dir absolute (it must exist) and recompute the derived paths. */
int	config_absolutise_data_dir(struct config *cfg, char *err, size_t errlen);

/*
 * A secret given as a file (OMNIROUTE_API_KEY_FILE, container secrets): the
 * first line of text, without its trailing CR/LF. Pure: text is the file's
 * bytes; 0 with *line_len set, -1 when the text holds a NUL byte before the
 * line ends or the line is empty (errors never quote the text).
 */
int	config_secret_first_line(const char *text, size_t len, size_t *line_len,
	    const char **why);
/* Overwrite a secret setting's value, free it and leave NULL (a forked
 * worker drops the storage key this way). */
void	config_wipe_secret(char **setting);

/* Read path's first line into a new string (wipe it with explicit_bzero); -1 with
 * err naming path, never its content. */
int	config_read_secret_file(const char *path, char **out, char *err, size_t errlen);

/* Parse "host:port,[v6]:port" into addrs; -1 with err. */
int	config_parse_listen(const char *text, struct listen_addr *addrs, size_t max,
	    size_t *count, char *err, size_t errlen);

#endif
