/*
 * common/config.c — the settings table and its three sources (file, env,
 * flags). Each setting is one row: its config key, its environment variable,
 * its default and how to parse it.
 */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "edge_rules.h"
#include "http_util.h"
#include "util.h"

enum setting_type { SET_STRING, SET_BOOL, SET_LONG };

struct setting {
	const char		*key;
	const char		*env;
	const char		*default_value;	/* NULL = unset */
	enum setting_type	 type;
	size_t			 offset;
	long			 min, max;	/* SET_LONG bounds */
};

#define S(k, e, d, t, f, lo, hi) { k, e, d, t, offsetof(struct config, f), lo, hi }

static const struct setting settings[] = {
	S("listen", "OMNIROUTE_LISTEN", "127.0.0.1:20128", SET_STRING, listen, 0, 0),
	S("data_dir", "OMNIROUTE_DATA_DIR", "./data", SET_STRING, data_dir, 0, 0),
	S("control_socket", "OMNIROUTE_CONTROL_SOCKET", NULL, SET_STRING, control_socket, 0, 0),
	S("pid_file", "OMNIROUTE_PID_FILE", NULL, SET_STRING, pid_file, 0, 0),
	S("workers", "OMNIROUTE_WORKERS", "auto", SET_STRING, workers, 0, 0),
	S("log_level", "OMNIROUTE_LOG_LEVEL", "info", SET_STRING, log_level, 0, 0),
	S("ca_file", "OMNIROUTE_CA_FILE", NULL, SET_STRING, ca_file, 0, 0),
	S("api_key", "OMNIROUTE_API_KEY", NULL, SET_STRING, api_key, 0, 0),
	S("api_key_file", "OMNIROUTE_API_KEY_FILE", NULL, SET_STRING, api_key_file, 0, 0),
	S("storage_encryption_key", "STORAGE_ENCRYPTION_KEY", NULL, SET_STRING, storage_encryption_key, 0, 0),
	S("storage_encryption_key_file", "STORAGE_ENCRYPTION_KEY_FILE", NULL, SET_STRING, storage_encryption_key_file, 0, 0),
	S("user", "OMNIROUTE_USER", NULL, SET_STRING, user, 0, 0),
	S("cliproxyapi_url", "CLIPROXYAPI_URL", "http://127.0.0.1:8317", SET_STRING, cliproxyapi_url, 0, 0),
	S("oneproxy_api_url", "ONEPROXY_API_URL", "https://1proxy-api.aitradepulse.com", SET_STRING, oneproxy_api_url, 0, 0),
	S("oneproxy_max_proxies", "ONEPROXY_MAX_PROXIES", "500", SET_LONG, oneproxy_max_proxies, 1, 100000),
	S("oneproxy_min_quality_threshold", "ONEPROXY_MIN_QUALITY_THRESHOLD", "50", SET_LONG, oneproxy_min_quality, 0, 100),
	S("oneproxy_enabled", "ONEPROXY_ENABLED", "true", SET_BOOL, oneproxy_enabled, 0, 0),
	S("oneproxy_allow_private", "ONEPROXY_ALLOW_PRIVATE", "false", SET_BOOL, oneproxy_allow_private, 0, 0),
	S("oneproxy_sync_interval", "ONEPROXY_SYNC_INTERVAL", "0", SET_LONG, oneproxy_sync_interval, 0, 604800),
	S("oneproxy_timeout_ms", "ONEPROXY_TIMEOUT_MS", "30000", SET_LONG, oneproxy_timeout_ms, 100, 600000),
	S("enable_socks5_proxy", "ENABLE_SOCKS5_PROXY", "true", SET_BOOL, enable_socks5_proxy, 0, 0),
	S("require_api_key", "REQUIRE_API_KEY", "false", SET_BOOL, require_api_key, 0, 0),
	S("proxy_fail_open", "PROXY_FAIL_OPEN", "false", SET_BOOL, proxy_fail_open, 0, 0),
	S("header_timeout_ms", "OMNIROUTE_HEADER_TIMEOUT_MS", "15000", SET_LONG, header_timeout_ms, 100, 600000),
	S("keepalive_timeout_ms", "OMNIROUTE_KEEPALIVE_TIMEOUT_MS", "75000", SET_LONG, keepalive_timeout_ms, 100, 3600000),
	S("shutdown_timeout_ms", "OMNIROUTE_SHUTDOWN_TIMEOUT_MS", "10000", SET_LONG, shutdown_timeout_ms, 0, 3600000),
	S("max_worker_processes", "OMNIROUTE_MAX_WORKER_PROCESSES", "1024", SET_LONG, max_worker_processes, 2, 1024),
	S("worker_start_timeout_ms", "OMNIROUTE_WORKER_START_TIMEOUT_MS", "4000", SET_LONG, worker_start_timeout_ms, 100, 600000),
	S("reload_drain_timeout_ms", "OMNIROUTE_RELOAD_DRAIN_TIMEOUT_MS", "900000", SET_LONG, reload_drain_timeout_ms, 0, 86400000),
	S("dns_timeout_ms", "OMNIROUTE_DNS_TIMEOUT_MS", "5000", SET_LONG, dns_timeout_ms, 100, 600000),
	S("connect_timeout_ms", "OMNIROUTE_CONNECT_TIMEOUT_MS", "10000", SET_LONG, connect_timeout_ms, 100, 600000),
	S("happy_eyeballs_delay_ms", "OMNIROUTE_HAPPY_EYEBALLS_DELAY_MS", "250", SET_LONG, happy_eyeballs_delay_ms, 10, 600000),
	S("proxy_handshake_timeout_ms", "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS", "10000", SET_LONG, proxy_handshake_timeout_ms, 100, 600000),
	S("tls_timeout_ms", "OMNIROUTE_TLS_TIMEOUT_MS", "10000", SET_LONG, tls_timeout_ms, 100, 600000),
	S("response_head_timeout_ms", "OMNIROUTE_RESPONSE_HEAD_TIMEOUT_MS", "300000", SET_LONG, response_head_timeout_ms, 100, 3600000),
	S("pool_idle_ms", "OMNIROUTE_POOL_IDLE_MS", "4000", SET_LONG, pool_idle_ms, 0, 600000),
	S("pool_proxied_idle_ms", "OMNIROUTE_POOL_PROXIED_IDLE_MS", "0", SET_LONG, pool_proxied_idle_ms, 0, 60000),
	/* proxy pools (API.md "Pools"): the cool-down and the members one call may try (worker/relay.c) */
	S("pool_cooldown_ms", "OMNIROUTE_POOL_COOLDOWN_MS", "30000", SET_LONG, pool_cooldown_ms, 0, 86400000),
	S("pool_attempts_max", "OMNIROUTE_POOL_ATTEMPTS_MAX", "3", SET_LONG, pool_attempts_max, 1, 64),
	S("body_idle_timeout_ms", "OMNIROUTE_BODY_IDLE_TIMEOUT_MS", "300000", SET_LONG, body_idle_timeout_ms, 100, 3600000),
	S("max_client_connections", "OMNIROUTE_MAX_CLIENT_CONNECTIONS", "4096", SET_LONG, max_client_connections, 1, 1000000),
	S("body_budget_mb", "OMNIROUTE_BODY_BUDGET_MB", "256", SET_LONG, body_budget_mb, 1, 65536),
	S("api_body_budget_mb", "OMNIROUTE_API_BODY_BUDGET_MB", "16", SET_LONG, api_body_budget_mb, 1, 65536),
	S("body_budget_per_peer_percent", "OMNIROUTE_BODY_BUDGET_PER_PEER_PERCENT", "50", SET_LONG, body_budget_per_peer_percent, 1, 100),
	S("max_connections_per_peer", "OMNIROUTE_MAX_CONNECTIONS_PER_PEER", "2048", SET_LONG, max_connections_per_peer, 1, 1000000),
	S("probe_url", "OMNIROUTE_PROBE_URL", "https://api64.ipify.org/?format=json", SET_STRING, probe_url, 0, 0),
	S("egress_check_url", "OMNIROUTE_EGRESS_CHECK_URL", "https://api64.ipify.org?format=json", SET_STRING, egress_check_url, 0, 0),
	S("log_file", "OMNIROUTE_LOG_FILE", NULL, SET_STRING, log_file, 0, 0),
	S("syslog", "OMNIROUTE_SYSLOG", "off", SET_BOOL, syslog, 0, 0),
	S("log_format", "OMNIROUTE_LOG_FORMAT", "text", SET_STRING, log_format, 0, 0),
	S("access_log", "OMNIROUTE_ACCESS_LOG", "off", SET_STRING, access_log, 0, 0),
	S("allowed_hosts", "OMNIROUTE_ALLOWED_HOSTS", NULL, SET_STRING, allowed_hosts, 0, 0),
	S("allowed_origins", "OMNIROUTE_ALLOWED_ORIGINS", NULL, SET_STRING, allowed_origins, 0, 0),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct setting *
setting_find(const char *key)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
setting_apply(struct config *cfg, const struct setting *s, const char *value,
    const char *origin, char *err, size_t errlen)
{
	char *base = (char *)cfg + s->offset, *end;
	long n;
	bool b;

	switch (s->type) {
	case SET_STRING:
		free(*(char **)(void *)base);
		*(char **)(void *)base = value != NULL ? xstrdup(value) : NULL;
		return 0;
	case SET_BOOL:
		if (parse_bool(value, &b) != 0) {
			snprintf(err, errlen, "%s: %s must be true or false, not '%s'",
			    origin, s->key, value);
			return -1;
		}
		*(bool *)(void *)base = b;
		return 0;
	case SET_LONG:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < s->min ||
		    n > s->max) {
			snprintf(err, errlen,
			    "%s: %s must be an integer from %ld to %ld, not '%s'",
			    origin, s->key, s->min, s->max, value);
			return -1;
		}
		*(long *)(void *)base = n;
		return 0;
	}
	return -1;
}

int
config_set(struct config *cfg, const char *key, const char *value,
    const char *origin, char *err, size_t errlen)
{
	const struct setting *s = setting_find(key);

	if (s == NULL) {
		snprintf(err, errlen, "%s: unknown setting '%s'", origin, key);
		return -1;
	}
	return setting_apply(cfg, s, value, origin, err, errlen);
}

void
config_defaults(struct config *cfg)
{
	char err[64];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NSETTINGS; i++)
		if (settings[i].default_value != NULL)
			setting_apply(cfg, &settings[i], settings[i].default_value,
			    "default", err, sizeof(err));
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int
config_parse_text(struct config *cfg, const char *text, const char *origin,
    char *err, size_t errlen)
{
	char *copy = xstrdup(text), *line, *next, *eq, *key, *value, where[512];
	int lineno = 0, rc = 0;
	size_t vlen;

	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", origin, lineno);
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s: expected 'key = value'", where);
			rc = -1;
			break;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		} else {
			/* an unquoted value ends at " #" (a trailing comment) */
			char *hash;
			for (hash = value; (hash = strchr(hash, '#')) != NULL; hash++)
				if (hash > value && isspace((unsigned char)hash[-1])) {
					*hash = '\0';
					value = trim(value);
					break;
				}
		}
		if (config_set(cfg, key, value, where, err, errlen) != 0) {
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

static int
config_read_file(struct config *cfg, const char *file, char *err, size_t errlen)
{
	FILE *fp = fopen(file, "r");
	char *text;
	long size;
	int rc;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
	    size > 1024 * 1024 || fseek(fp, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: not a readable config file (max 1 MiB)", file);
		fclose(fp);
		return -1;
	}
	text = xcalloc(1, (size_t)size + 1);
	if (fread(text, 1, (size_t)size, fp) != (size_t)size) {
		snprintf(err, errlen, "%s: read error", file);
		free(text);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	if (memchr(text, '\0', (size_t)size) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", file);
		free(text);
		return -1;
	}
	rc = config_parse_text(cfg, text, file, err, errlen);
	free(text);
	return rc;
}

int
config_parse_listen(const char *text, struct listen_addr *addrs, size_t max,
    size_t *count, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *item, *save = NULL, *host, *port, *end;
	long p;
	int rc = 0;

	*count = 0;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (*item == '[') {
			host = item + 1;
			end = strchr(host, ']');
			if (end == NULL || end[1] != ':') {
				snprintf(err, errlen, "listen: '%s' is not [v6-address]:port", item);
				rc = -1;
				break;
			}
			*end = '\0';
			port = end + 2;
		} else {
			end = strrchr(item, ':');
			if (end == NULL) {
				snprintf(err, errlen, "listen: '%s' has no port (host:port)", item);
				rc = -1;
				break;
			}
			*end = '\0';
			host = item;
			port = end + 1;
			if (strchr(host, ':') != NULL) {
				snprintf(err, errlen, "listen: IPv6 address must be bracketed: [%s]:%s", host, port);
				rc = -1;
				break;
			}
		}
		errno = 0;
		p = strtol(port, &end, 10);
		/* digits only, 1..65535: port 0 would bind a random port nobody can find */
		if (*port == '\0' || *end != '\0' || strspn(port, "0123456789") !=
		    strlen(port) || p < 1 || p > 65535) {
			snprintf(err, errlen, "listen: port must be 1..65535 in '%s:%s'",
			    host, port);
			rc = -1;
			break;
		}
		if (strlen(host) >= sizeof(addrs[0].host)) {
			snprintf(err, errlen, "listen: bad address in '%s:%s'", host, port);
			rc = -1;
			break;
		}
		if (*count >= max) {
			snprintf(err, errlen, "listen: at most %zu addresses", max);
			rc = -1;
			break;
		}
		snprintf(addrs[*count].host, sizeof(addrs[0].host), "%s",
		    *host ? host : "0.0.0.0");
		snprintf(addrs[*count].port, sizeof(addrs[0].port), "%ld", p);
		(*count)++;
	}
	if (rc == 0 && *count == 0) {
		snprintf(err, errlen, "listen: no address given");
		rc = -1;
	}
	free(copy);
	return rc;
}

static char *
path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = xcalloc(1, len);

	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

static char **
config_string(struct config *cfg, size_t offset)
{
	return (char **)(void *)((char *)cfg + offset);
}

static bool
is_set(const char *v)
{
	return v != NULL && *v != '\0';
}

static void
string_clear(char **p, bool wipe)
{
	if (*p != NULL && wipe)
		explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

void
config_wipe_secret(char **setting)
{
	string_clear(setting, true);
}

int
config_finish(struct config *cfg, char *err, size_t errlen)
{
	struct http_url parsed_url;
	const char *bad;
	size_t bad_len;
	long n;
	char *end;

	if (config_parse_listen(cfg->listen, cfg->listen_addrs, CONFIG_MAX_LISTEN,
	    &cfg->listen_count, err, errlen) != 0)
		return -1;
	if (strcasecmp(cfg->workers, "auto") == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->worker_count = n < 1 ? 1 : n > 64 ? 64 : (int)n;
	} else {
		n = strtol(cfg->workers, &end, 10);
		if (*cfg->workers == '\0' || *end != '\0' || n < 1 || n > 64) {
			snprintf(err, errlen, "workers: must be 'auto' or 1..64, not '%s'",
			    cfg->workers);
			return -1;
		}
		cfg->worker_count = (int)n;
	}
	if (cfg->max_worker_processes < 2L * cfg->worker_count) {
		snprintf(err, errlen, "max_worker_processes: %ld leaves no room for a "
		    "reload of %d workers (at least %d)", cfg->max_worker_processes,
		    cfg->worker_count, 2 * cfg->worker_count);
		return -1;
	}
	if (!log_level_parse(cfg->log_level, &cfg->level)) {
		snprintf(err, errlen, "log_level: must be debug, info, warn or error, not '%s'",
		    cfg->log_level);
		return -1;
	}
	if (!log_format_parse(cfg->log_format, &cfg->format)) {
		snprintf(err, errlen, "log_format: must be text or json, not '%s'",
		    cfg->log_format);
		return -1;
	}
	if (cfg->log_file != NULL && *cfg->log_file == '\0') {
		free(cfg->log_file);
		cfg->log_file = NULL;	/* empty: stderr */
	}
	if (*cfg->access_log == '\0') {
		snprintf(err, errlen, "access_log: must be off, stderr or a file path");
		return -1;
	}
	cfg->access_log_on = strcasecmp(cfg->access_log, "off") != 0;
	if (!edge_host_list_valid(cfg->allowed_hosts, &bad, &bad_len)) {
		snprintf(err, errlen, "allowed_hosts: '%.*s' is not a host name or a "
		    "bracketed IPv6 address (comma list, no ports)", (int)bad_len, bad);
		return -1;
	}
	if (!edge_origin_list_valid(cfg->allowed_origins, &bad, &bad_len)) {
		snprintf(err, errlen, "allowed_origins: '%.*s' is not an origin "
		    "(scheme://host[:port], no path; comma list)", (int)bad_len, bad);
		return -1;
	}
	if (http_url_parse(cfg->oneproxy_api_url, &parsed_url, &bad) != 0) {
		snprintf(err, errlen, "oneproxy_api_url: %s", bad);
		return -1;
	}
	if (!parsed_url.tls && !http_host_is_loopback(parsed_url.host)) {
		snprintf(err, errlen, "oneproxy_api_url: must be https:// (the feed is "
		    "fetched with TLS verified) unless its host is loopback");
		return -1;
	}
	if (http_url_parse(cfg->egress_check_url, &parsed_url, &bad) != 0) {
		snprintf(err, errlen, "egress_check_url: %s", bad);
		return -1;
	}
	if (*cfg->data_dir == '\0') {
		snprintf(err, errlen, "data_dir: must not be empty");
		return -1;
	}
	/* an empty secret, secret file or user means unset */
	if (cfg->api_key != NULL && *cfg->api_key == '\0') {
		free(cfg->api_key);
		cfg->api_key = NULL;
	}
	if (cfg->storage_encryption_key != NULL && *cfg->storage_encryption_key == '\0') {
		free(cfg->storage_encryption_key);
		cfg->storage_encryption_key = NULL;
	}
	if (cfg->api_key_file != NULL && *cfg->api_key_file == '\0')
		string_clear(&cfg->api_key_file, false);
	if (cfg->storage_encryption_key_file != NULL &&
	    *cfg->storage_encryption_key_file == '\0')
		string_clear(&cfg->storage_encryption_key_file, false);
	if (cfg->user != NULL && *cfg->user == '\0')
		string_clear(&cfg->user, false);
	free(cfg->control_socket_path);
	free(cfg->pid_file_path);
	cfg->control_socket_path = cfg->control_socket != NULL && *cfg->control_socket ?
	    xstrdup(cfg->control_socket) : path_join(cfg->data_dir, "omnirouted.sock");
	cfg->pid_file_path = cfg->pid_file != NULL && *cfg->pid_file ?
	    xstrdup(cfg->pid_file) : path_join(cfg->data_dir, "omnirouted.pid");
	return 0;
}

/*
 * Secrets that may come from a file instead (container secrets, systemd
 * credentials): api_key / api_key_file, storage_encryption_key /
 * storage_encryption_key_file. Within one source (the file, the environment)
 * giving both forms is an error; a higher source's form replaces a lower
 * one's; after merging, a *_file setting is read into its twin.
 */
static const struct secret_pair {
	const char	*key, *file_key;
	size_t		 value, file;
} secret_pairs[] = {
	{ "api_key", "api_key_file", offsetof(struct config, api_key),
	  offsetof(struct config, api_key_file) },
	{ "storage_encryption_key", "storage_encryption_key_file",
	  offsetof(struct config, storage_encryption_key),
	  offsetof(struct config, storage_encryption_key_file) },
};
#define NSECRET_PAIRS (sizeof(secret_pairs) / sizeof(secret_pairs[0]))
#define SECRET_FILE_MAX	65536

int
config_secret_first_line(const char *text, size_t len, size_t *line_len,
    const char **why)
{
	size_t n;

	for (n = 0; n < len && text[n] != '\n'; n++)
		if (text[n] == '\0') {
			*why = "contains a NUL byte";
			return -1;
		}
	while (n > 0 && text[n - 1] == '\r')
		n--;
	if (n == 0) {
		*why = "its first line is empty";
		return -1;
	}
	*line_len = n;
	return 0;
}

int
config_read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
	char *buf = xcalloc(1, SECRET_FILE_MAX + 1);
	const char *why = NULL;
	size_t len = 0, line_len;
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	while (len < SECRET_FILE_MAX &&
	    (n = read(fd, buf + len, SECRET_FILE_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	if (memchr(buf, '\n', len) == NULL && len == SECRET_FILE_MAX) {
		snprintf(err, errlen, "%s: its first line is longer than %d bytes",
		    path, SECRET_FILE_MAX);
		goto done;
	}
	if (config_secret_first_line(buf, len, &line_len, &why) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto done;
	}
	*out = xcalloc(1, line_len + 1);
	memcpy(*out, buf, line_len);
	rc = 0;
done:
	close(fd);
	explicit_bzero(buf, SECRET_FILE_MAX + 1);
	free(buf);
	return rc;
}

/* Both forms of a secret given by one source: an error naming them. */
static int
secret_pairs_check(struct config *cfg, const char *origin, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NSECRET_PAIRS; i++) {
		const struct secret_pair *p = &secret_pairs[i];
		if (is_set(*config_string(cfg, p->value)) &&
		    is_set(*config_string(cfg, p->file))) {
			snprintf(err, errlen, "%s: %s and %s are both set; give one",
			    origin, p->key, p->file_key);
			return -1;
		}
	}
	return 0;
}

/* The environment gives one form of a secret: it replaces the file's other one. */
static int
secret_pairs_env(struct config *cfg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NSECRET_PAIRS; i++) {
		const struct secret_pair *p = &secret_pairs[i];
		const struct setting *sv = setting_find(p->key);
		const struct setting *sf = setting_find(p->file_key);
		bool v = is_set(getenv(sv->env)), f = is_set(getenv(sf->env));

		if (v && f) {
			snprintf(err, errlen, "environment: %s and %s are both set; "
			    "give one", sv->env, sf->env);
			return -1;
		}
		if (v)
			string_clear(config_string(cfg, p->file), false);
		if (f)
			string_clear(config_string(cfg, p->value), true);
	}
	return 0;
}

/* Read each *_file setting into its twin. */
static int
secret_pairs_read(struct config *cfg, char *err, size_t errlen)
{
	char msg[512], *value;
	size_t i;

	for (i = 0; i < NSECRET_PAIRS; i++) {
		const struct secret_pair *p = &secret_pairs[i];
		const char *path = *config_string(cfg, p->file);

		if (!is_set(path))
			continue;
		if (config_read_secret_file(path, &value, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s (%s): %s", p->file_key,
			    setting_find(p->file_key)->env, msg);
			return -1;
		}
		string_clear(config_string(cfg, p->value), true);
		*config_string(cfg, p->value) = value;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *file,
    const struct config_override *overrides, size_t override_count,
    char *err, size_t errlen)
{
	char origin[128];
	const char *v;
	size_t i;

	config_defaults(cfg);
	if (file != NULL && (config_read_file(cfg, file, err, errlen) != 0 ||
	    secret_pairs_check(cfg, file, err, errlen) != 0))
		return -1;
	if (secret_pairs_env(cfg, err, errlen) != 0)
		return -1;
	for (i = 0; i < NSETTINGS; i++) {
		if ((v = getenv(settings[i].env)) == NULL || *v == '\0')
			continue;	/* an empty variable counts as unset */
		snprintf(origin, sizeof(origin), "environment %s", settings[i].env);
		if (setting_apply(cfg, &settings[i], v, origin, err, errlen) != 0)
			return -1;
	}
	for (i = 0; i < override_count; i++) {
		snprintf(origin, sizeof(origin), "command line (%s)", overrides[i].key);
		if (config_set(cfg, overrides[i].key, overrides[i].value, origin, err,
		    errlen) != 0)
			return -1;
	}
	if (secret_pairs_read(cfg, err, errlen) != 0)
		return -1;
	return config_finish(cfg, err, errlen);
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].type == SET_STRING) {
			char **p = (char **)(void *)((char *)cfg + settings[i].offset);
			if (*p != NULL && (settings[i].offset ==
			    offsetof(struct config, storage_encryption_key) ||
			    settings[i].offset == offsetof(struct config, api_key)))
				explicit_bzero(*p, strlen(*p));
			free(*p);
			*p = NULL;
		}
	}
	free(cfg->control_socket_path);
	free(cfg->pid_file_path);
	cfg->control_socket_path = cfg->pid_file_path = NULL;
}

int
config_absolutise_data_dir(struct config *cfg, char *err, size_t errlen)
{
	char resolved[PATH_MAX];

	if (realpath(cfg->data_dir, resolved) == NULL) {
		snprintf(err, errlen, "data_dir %s: %s", cfg->data_dir, strerror(errno));
		return -1;
	}
	free(cfg->data_dir);
	cfg->data_dir = xstrdup(resolved);
	return config_finish(cfg, err, errlen);
}
