/*
 * tests/unit/test_config.c — tests of omnirouted's settings (common/config.c):
 * the defaults and what config_finish() derives from them, the `key = value`
 * file syntax (comments, blank lines, quotes, spaces) and its errors naming
 * "origin:LINE", the listen-address list, the cross-field checks, and the
 * precedence command line > environment > config file > default through
 * config_load() with a real temporary file and real environment variables;
 * secrets from files (*_FILE: first line, CR/LF stripped, both forms at once
 * refused) and the rule that an empty variable counts as unset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

/* Every variable of the settings table: cleared before and after each test,
 * so the runner's own environment cannot change the results. */
static const char *const test_env[] = {
	"OMNIROUTE_LISTEN", "OMNIROUTE_DATA_DIR", "OMNIROUTE_CONTROL_SOCKET",
	"OMNIROUTE_PID_FILE", "OMNIROUTE_WORKERS", "OMNIROUTE_LOG_LEVEL",
	"OMNIROUTE_CA_FILE", "OMNIROUTE_API_KEY", "STORAGE_ENCRYPTION_KEY",
	"CLIPROXYAPI_URL", "ONEPROXY_API_URL", "ONEPROXY_MAX_PROXIES",
	"ONEPROXY_MIN_QUALITY_THRESHOLD", "ONEPROXY_ENABLED", "ENABLE_SOCKS5_PROXY",
	"REQUIRE_API_KEY", "PROXY_FAIL_OPEN", "OMNIROUTE_HEADER_TIMEOUT_MS",
	"OMNIROUTE_KEEPALIVE_TIMEOUT_MS", "OMNIROUTE_SHUTDOWN_TIMEOUT_MS",
	"OMNIROUTE_API_KEY_FILE", "STORAGE_ENCRYPTION_KEY_FILE", "OMNIROUTE_USER",
	"OMNIROUTE_LOG_FILE", "OMNIROUTE_SYSLOG", "OMNIROUTE_LOG_FORMAT",
	"OMNIROUTE_ACCESS_LOG", "OMNIROUTE_ALLOWED_HOSTS", "OMNIROUTE_ALLOWED_ORIGINS",
};

static struct config cfg;
static char err[512];
static char tmpfile_path[64];
static char secret_path[64];

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(test_env) / sizeof(test_env[0]); i++)
		unsetenv(test_env[i]);
}

static int
setup(void **state)
{
	(void)state;
	clear_env();
	config_defaults(&cfg);
	err[0] = '\0';
	tmpfile_path[0] = '\0';
	secret_path[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	clear_env();
	if (tmpfile_path[0] != '\0')
		unlink(tmpfile_path);
	if (secret_path[0] != '\0')
		unlink(secret_path);
	return 0;
}

/* Write text to a new temporary file, removed by teardown. */
static const char *
write_temp_config(const char *text)
{
	FILE *fp;
	int fd;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/omniroute-conf-XXXXXX");
	fd = mkstemp(tmpfile_path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return tmpfile_path;
}

static void
assert_parse_error(const char *text, const char *message)
{
	config_free(&cfg);
	config_defaults(&cfg);
	err[0] = '\0';
	assert_int_equal(config_parse_text(&cfg, text, "test.conf", err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void
assert_finish_error(const char *key, const char *value, const char *message)
{
	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, key, value, "test", err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void
test_defaults(void **state)
{
	(void)state;
	assert_string_equal(cfg.listen, "127.0.0.1:20128");
	assert_string_equal(cfg.workers, "auto");
	assert_string_equal(cfg.data_dir, "./data");
	assert_string_equal(cfg.log_level, "info");
	assert_null(cfg.control_socket);
	assert_null(cfg.api_key);
	assert_null(cfg.ca_file);
	assert_string_equal(cfg.cliproxyapi_url, "http://127.0.0.1:8317");
	assert_string_equal(cfg.oneproxy_api_url, "https://1proxy-api.aitradepulse.com");
	assert_string_equal(cfg.egress_check_url, "https://api64.ipify.org?format=json");
	assert_int_equal(cfg.oneproxy_max_proxies, 500);
	assert_int_equal(cfg.oneproxy_min_quality, 50);
	assert_true(cfg.oneproxy_enabled);
	assert_true(cfg.enable_socks5_proxy);
	assert_false(cfg.require_api_key);
	assert_false(cfg.proxy_fail_open);
}

static void
test_defaults_finished(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int expected = cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus;

	(void)state;
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.listen_count, 1);
	assert_string_equal(cfg.listen_addrs[0].host, "127.0.0.1");
	assert_string_equal(cfg.listen_addrs[0].port, "20128");
	assert_int_equal(cfg.worker_count, expected);
	assert_int_equal(cfg.level, LOG_LEVEL_INFO);
	assert_string_equal(cfg.control_socket_path, "./data/omnirouted.sock");
	assert_string_equal(cfg.pid_file_path, "./data/omnirouted.pid");
}

static void
test_control_socket_follows_data_dir(void **state)
{
	(void)state;
	assert_int_equal(config_set(&cfg, "data_dir", "/var/lib/omniroute", "test",
	    err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.control_socket_path, "/var/lib/omniroute/omnirouted.sock");

	/* An explicit socket wins over the derived one. */
	assert_int_equal(config_set(&cfg, "control_socket", "/run/o.sock", "test",
	    err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.control_socket_path, "/run/o.sock");
}

static void
test_parse_text_syntax(void **state)
{
	const char *text =
	    "# omnirouted.conf\n"
	    "\n"
	    "   \n"
	    "  # indented comment\n"
	    "listen=0.0.0.0:8080\n"
	    "data_dir   =   /srv/omni  \n"
	    "log_level = \"debug\"\n"
	    "\tworkers\t=\t4\t\n"
	    "api_key = \"  spaced key  \"\n"
	    "ca_file = \"\"\n"
	    "require_api_key = YES\n"
	    "proxy_fail_open = on\r\n"
	    "oneproxy_max_proxies = 100000\n"
	    "oneproxy_min_quality_threshold = 0";

	(void)state;
	assert_int_equal(config_parse_text(&cfg, text, "test.conf", err, sizeof(err)), 0);
	assert_string_equal(cfg.listen, "0.0.0.0:8080");
	assert_string_equal(cfg.data_dir, "/srv/omni");
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.workers, "4");
	assert_string_equal(cfg.api_key, "  spaced key  ");
	assert_string_equal(cfg.ca_file, "");
	assert_true(cfg.require_api_key);
	assert_true(cfg.proxy_fail_open);
	assert_int_equal(cfg.oneproxy_max_proxies, 100000);
	assert_int_equal(cfg.oneproxy_min_quality, 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.worker_count, 4);
	assert_int_equal(cfg.level, LOG_LEVEL_DEBUG);
}

static void
test_parse_text_value_with_equals(void **state)
{
	(void)state;
	/* Only the first '=' separates key and value. */
	assert_int_equal(config_parse_text(&cfg, "api_key = a=b==\n", "t", err,
	    sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "a=b==");
}

static void
test_parse_text_man_page_rules(void **state)
{
	(void)state;
	/* A '#' inside a word or inside quotes is kept; the last line wins. */
	assert_int_equal(config_parse_text(&cfg,
	    "api_key = abc#def\n"
	    "ca_file = \"/etc/a # b.pem\"\n"
	    "log_level = debug\n"
	    "log_level = warn\n", "t", err, sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "abc#def");
	assert_string_equal(cfg.ca_file, "/etc/a # b.pem");
	assert_string_equal(cfg.log_level, "warn");
	/* Keys are case-sensitive. */
	assert_parse_error("Log_Level = warn\n", "test.conf:1: unknown setting 'Log_Level'");
	/* A lone quote is not a quoted value. */
	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_parse_text(&cfg, "api_key = \"\n", "t", err,
	    sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "\"");
}

static void
test_parse_text_unknown_key(void **state)
{
	(void)state;
	assert_parse_error("# c\nlisten = 127.0.0.1:1\nlistn = x\n",
	    "test.conf:3: unknown setting 'listn'");
}

static void
test_parse_text_missing_equals(void **state)
{
	(void)state;
	assert_parse_error("\n\nworkers 4\n", "test.conf:3: expected 'key = value'");
}

static void
test_parse_text_bad_bool(void **state)
{
	(void)state;
	assert_parse_error("require_api_key = maybe\n",
	    "test.conf:1: require_api_key must be true or false, not 'maybe'");
	assert_parse_error("\n\n\n\nproxy_fail_open =\n",
	    "test.conf:5: proxy_fail_open must be true or false, not ''");
}

static void
test_parse_text_integer_out_of_range(void **state)
{
	(void)state;
	assert_parse_error("\noneproxy_max_proxies = 0\n",
	    "test.conf:2: oneproxy_max_proxies must be an integer from 1 to 100000, not '0'");
	assert_parse_error("oneproxy_max_proxies = 100001\n",
	    "test.conf:1: oneproxy_max_proxies must be an integer from 1 to 100000, not '100001'");
	assert_parse_error("oneproxy_min_quality_threshold = 12x\n",
	    "test.conf:1: oneproxy_min_quality_threshold must be an integer from 0 to 100, not '12x'");
	assert_parse_error("header_timeout_ms = 99999999999999999999999\n",
	    "test.conf:1: header_timeout_ms must be an integer from 100 to 600000, not '99999999999999999999999'");
}

static void
test_parse_text_stops_at_first_error(void **state)
{
	(void)state;
	assert_parse_error("log_level = warn\nbogus = 1\nlog_level = error\n",
	    "test.conf:2: unknown setting 'bogus'");
	/* Lines before the error were applied, lines after were not. */
	assert_string_equal(cfg.log_level, "warn");
}

/* The request-body and per-client limits: defaults as documented, bounds. */
static void
test_body_and_peer_limits(void **state)
{
	(void)state;
	assert_int_equal(cfg.body_budget_mb, 256);
	assert_int_equal(cfg.api_body_budget_mb, 16);
	assert_int_equal(cfg.body_budget_per_peer_percent, 50);
	assert_int_equal(cfg.max_connections_per_peer, 2048);
	assert_int_equal(config_parse_text(&cfg, "api_body_budget_mb = 4\n"
	    "body_budget_per_peer_percent = 100\nmax_connections_per_peer = 1\n",
	    "test.conf", err, sizeof(err)), 0);
	assert_int_equal(cfg.api_body_budget_mb, 4);
	assert_int_equal(cfg.body_budget_per_peer_percent, 100);
	assert_int_equal(cfg.max_connections_per_peer, 1);
	assert_parse_error("body_budget_per_peer_percent = 0\n",
	    "test.conf:1: body_budget_per_peer_percent must be an integer from 1 to 100, not '0'");
	assert_parse_error("body_budget_per_peer_percent = 101\n",
	    "test.conf:1: body_budget_per_peer_percent must be an integer from 1 to 100, not '101'");
	assert_parse_error("api_body_budget_mb = 0\n",
	    "test.conf:1: api_body_budget_mb must be an integer from 1 to 65536, not '0'");
	assert_parse_error("max_connections_per_peer = 0\n",
	    "test.conf:1: max_connections_per_peer must be an integer from 1 to 1000000, not '0'");
}

static void
test_listen_list(void **state)
{
	struct listen_addr addrs[CONFIG_MAX_LISTEN];
	size_t n = 0;

	(void)state;
	assert_int_equal(config_parse_listen("127.0.0.1:1,[::1]:2", addrs,
	    CONFIG_MAX_LISTEN, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(addrs[0].host, "127.0.0.1");
	assert_string_equal(addrs[0].port, "1");
	assert_string_equal(addrs[1].host, "::1");
	assert_string_equal(addrs[1].port, "2");

	/* Spaces around items; an empty host means every address. */
	assert_int_equal(config_parse_listen(" localhost:80 , :8080 ", addrs,
	    CONFIG_MAX_LISTEN, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(addrs[0].host, "localhost");
	assert_string_equal(addrs[1].host, "0.0.0.0");
	assert_string_equal(addrs[1].port, "8080");
}

static void
test_listen_errors(void **state)
{
	struct listen_addr addrs[2];
	size_t n;

	(void)state;
	assert_int_equal(config_parse_listen("127.0.0.1", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: '127.0.0.1' has no port (host:port)");
	assert_int_equal(config_parse_listen("127.0.0.1:", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: port must be 1..65535 in '127.0.0.1:'");
	assert_int_equal(config_parse_listen("::1:80", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: IPv6 address must be bracketed: [::1]:80");
	assert_int_equal(config_parse_listen("[::1]80", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: '[::1]80' is not [v6-address]:port");
	assert_int_equal(config_parse_listen("[::1", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: '[::1' is not [v6-address]:port");
	assert_int_equal(config_parse_listen("127.0.0.1:70000", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: port must be 1..65535 in '127.0.0.1:70000'");
	assert_int_equal(config_parse_listen("127.0.0.1:http", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: port must be 1..65535 in '127.0.0.1:http'");
	/* port 0 would bind a port nobody can find; signs and spaces are not digits */
	assert_int_equal(config_parse_listen("127.0.0.1:0", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: port must be 1..65535 in '127.0.0.1:0'");
	assert_int_equal(config_parse_listen("[::1]:00", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: port must be 1..65535 in '::1:00'");
	assert_int_equal(config_parse_listen("127.0.0.1:+80", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(config_parse_listen("127.0.0.1: 80", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(config_parse_listen("127.0.0.1:-1", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(config_parse_listen("127.0.0.1:65536", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(config_parse_listen("127.0.0.1:65535", addrs, 2, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(config_parse_listen("", addrs, 2, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "listen: no address given");
	assert_int_equal(config_parse_listen(" , ,", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(config_parse_listen("a:1,b:2,c:3", addrs, 2, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "listen: at most 2 addresses");
}

static void
test_listen_error_through_finish(void **state)
{
	(void)state;
	assert_finish_error("listen", "127.0.0.1:70000",
	    "listen: port must be 1..65535 in '127.0.0.1:70000'");
}

/* The URLs the daemon fetches are checked when the configuration is read. */
static void
test_finish_urls(void **state)
{
	(void)state;
	assert_finish_error("egress_check_url", "api64.ipify.org",
	    "egress_check_url: URL must start with http:// or https://");
	assert_finish_error("egress_check_url", "http://user:pw@127.0.0.1/ip",
	    "egress_check_url: URL must not contain credentials or a fragment");
	assert_finish_error("egress_check_url", "http://127.0.0.1:0/ip",
	    "egress_check_url: URL has an invalid port");
	assert_finish_error("oneproxy_api_url", "ftp://1proxy.example",
	    "oneproxy_api_url: URL must start with http:// or https://");
	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "egress_check_url", "http://127.0.0.5:8080/ip?f=text",
	    "test", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.egress_check_url, "http://127.0.0.5:8080/ip?f=text");
}

static void
test_finish_workers(void **state)
{
	(void)state;
	assert_finish_error("workers", "0", "workers: must be 'auto' or 1..64, not '0'");
	assert_finish_error("workers", "65", "workers: must be 'auto' or 1..64, not '65'");
	assert_finish_error("workers", "x", "workers: must be 'auto' or 1..64, not 'x'");
	assert_finish_error("workers", "", "workers: must be 'auto' or 1..64, not ''");
	assert_finish_error("workers", "4x", "workers: must be 'auto' or 1..64, not '4x'");

	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "workers", "64", "t", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.worker_count, 64);
	assert_int_equal(config_set(&cfg, "workers", "AUTO", "t", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_true(cfg.worker_count >= 1 && cfg.worker_count <= 64);
}

static void
test_finish_log_level(void **state)
{
	(void)state;
	assert_finish_error("log_level", "verbose",
	    "log_level: must be debug, info, warn or error, not 'verbose'");
	assert_finish_error("log_level", "",
	    "log_level: must be debug, info, warn or error, not ''");

	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "log_level", "ERROR", "t", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.level, LOG_LEVEL_ERROR);
}

static void
test_log_settings(void **state)
{
	(void)state;
	/* defaults: stderr, no syslog, text, no access log */
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_null(cfg.log_file);
	assert_false(cfg.syslog);
	assert_int_equal(cfg.format, LOG_FORMAT_TEXT);
	assert_false(cfg.access_log_on);
	assert_finish_error("log_format", "xml", "log_format: must be text or json, not 'xml'");
	assert_finish_error("access_log", "",
	    "access_log: must be off, stderr or a file path");

	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_parse_text(&cfg, "log_file = /tmp/o.log\n"
	    "syslog = on\nlog_format = JSON\naccess_log = /tmp/a.log\n", "t", err,
	    sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.log_file, "/tmp/o.log");
	assert_true(cfg.syslog);
	assert_int_equal(cfg.format, LOG_FORMAT_JSON);
	assert_true(cfg.access_log_on);
	assert_string_equal(cfg.access_log, "/tmp/a.log");

	/* the environment twins override the file */
	config_free(&cfg);
	setenv("OMNIROUTE_LOG_FORMAT", "text", 1);
	setenv("OMNIROUTE_ACCESS_LOG", "off", 1);
	setenv("OMNIROUTE_SYSLOG", "false", 1);
	setenv("OMNIROUTE_LOG_FILE", "/tmp/x.log", 1);
	assert_int_equal(config_load(&cfg, write_temp_config("log_format = json\n"
	    "access_log = stderr\nsyslog = on\n"), NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(cfg.format, LOG_FORMAT_TEXT);
	assert_false(cfg.access_log_on);
	assert_false(cfg.syslog);
	assert_string_equal(cfg.log_file, "/tmp/x.log");
	assert_int_not_equal(config_set(&cfg, "syslog", "maybe", "t", err, sizeof(err)), 0);
}

static void
test_edge_settings(void **state)
{
	(void)state;
	/* none by default; valid lists are kept as given */
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_null(cfg.allowed_hosts);
	assert_null(cfg.allowed_origins);
	assert_finish_error("allowed_hosts", "router.test,router.test:80",
	    "allowed_hosts: 'router.test:80' is not a host name or a bracketed IPv6 "
	    "address (comma list, no ports)");
	assert_finish_error("allowed_origins", "https://app.test/",
	    "allowed_origins: 'https://app.test/' is not an origin "
	    "(scheme://host[:port], no path; comma list)");
	assert_finish_error("allowed_origins", "app.test",
	    "allowed_origins: 'app.test' is not an origin "
	    "(scheme://host[:port], no path; comma list)");

	config_free(&cfg);
	setenv("OMNIROUTE_ALLOWED_HOSTS", "router.test, [::1]", 1);
	setenv("OMNIROUTE_ALLOWED_ORIGINS", "https://app.test,http://127.0.0.1:3000", 1);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.allowed_hosts, "router.test, [::1]");
	assert_string_equal(cfg.allowed_origins, "https://app.test,http://127.0.0.1:3000");
	config_free(&cfg);
	setenv("OMNIROUTE_ALLOWED_ORIGINS", "null", 1);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "allowed_origins"));
	unsetenv("OMNIROUTE_ALLOWED_HOSTS");
	unsetenv("OMNIROUTE_ALLOWED_ORIGINS");
}

static void
test_finish_data_dir_and_api_key(void **state)
{
	(void)state;
	assert_finish_error("data_dir", "", "data_dir: must not be empty");

	/* An empty api_key means no key. */
	config_free(&cfg);
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "api_key", "", "t", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_null(cfg.api_key);
}

static void
test_load_precedence(void **state)
{
	const struct config_override flags[] = {
		{ "workers", "7" },
	};
	const char *file = write_temp_config(
	    "# file layer\n"
	    "log_level = warn\n"
	    "workers = 3\n"
	    "data_dir = /tmp/omni-file\n"
	    "proxy_fail_open = true\n");

	(void)state;
	assert_int_equal(setenv("OMNIROUTE_LOG_LEVEL", "error", 1), 0);
	assert_int_equal(setenv("OMNIROUTE_WORKERS", "5", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, file, flags, 1, err, sizeof(err)), 0);
	/* flags > env > file */
	assert_string_equal(cfg.workers, "7");
	assert_int_equal(cfg.worker_count, 7);
	/* env > file */
	assert_string_equal(cfg.log_level, "error");
	assert_int_equal(cfg.level, LOG_LEVEL_ERROR);
	/* file > default */
	assert_string_equal(cfg.data_dir, "/tmp/omni-file");
	assert_string_equal(cfg.control_socket_path, "/tmp/omni-file/omnirouted.sock");
	assert_true(cfg.proxy_fail_open);
	/* default */
	assert_string_equal(cfg.listen, "127.0.0.1:20128");
	assert_int_equal(cfg.oneproxy_max_proxies, 500);
}

static void
test_load_env_over_default_without_file(void **state)
{
	(void)state;
	assert_int_equal(setenv("OMNIROUTE_DATA_DIR", "/tmp/omni-env", 1), 0);
	assert_int_equal(setenv("PROXY_FAIL_OPEN", "1", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.data_dir, "/tmp/omni-env");
	assert_string_equal(cfg.control_socket_path, "/tmp/omni-env/omnirouted.sock");
	assert_true(cfg.proxy_fail_open);
	assert_string_equal(cfg.log_level, "info");
}

static void
test_load_flag_over_file(void **state)
{
	const struct config_override flags[] = {
		{ "listen", "[::1]:9000" },
		{ "control_socket", "/tmp/flag.sock" },
	};
	const char *file = write_temp_config("listen = 0.0.0.0:1\n");

	(void)state;
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, file, flags, 2, err, sizeof(err)), 0);
	assert_int_equal(cfg.listen_count, 1);
	assert_string_equal(cfg.listen_addrs[0].host, "::1");
	assert_string_equal(cfg.listen_addrs[0].port, "9000");
	assert_string_equal(cfg.control_socket_path, "/tmp/flag.sock");
}

static void
test_load_errors_name_their_source(void **state)
{
	const struct config_override bad_flag[] = { { "bogus", "1" } };
	const struct config_override bad_value[] = { { "require_api_key", "sure" } };
	const char *file;

	(void)state;
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, bad_flag, 1, err, sizeof(err)), -1);
	assert_string_equal(err, "command line (bogus): unknown setting 'bogus'");
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, bad_value, 1, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "command line (require_api_key): require_api_key must be true or false, not 'sure'");

	assert_int_equal(setenv("ONEPROXY_MAX_PROXIES", "lots", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "environment ONEPROXY_MAX_PROXIES: oneproxy_max_proxies must be an integer from 1 to 100000, not 'lots'");
	unsetenv("ONEPROXY_MAX_PROXIES");

	file = write_temp_config("log_level = info\nworkers: 4\n");
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, file, NULL, 0, err, sizeof(err)), -1);
	{
		char expected[256];
		snprintf(expected, sizeof(expected), "%s:2: expected 'key = value'", file);
		assert_string_equal(err, expected);
	}

	config_free(&cfg);
	assert_int_equal(config_load(&cfg, "/nonexistent/omnirouted.conf", NULL, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/omnirouted.conf: No such file or directory");
}

static void
test_load_empty_api_key_env_means_no_key(void **state)
{
	(void)state;
	assert_int_equal(setenv("OMNIROUTE_API_KEY", "", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_null(cfg.api_key);
}

static void
test_load_at_most_eight_listen_addresses(void **state)
{
	(void)state;
	assert_int_equal(setenv("OMNIROUTE_LISTEN",
	    ":1,:2,:3,:4,:5,:6,:7,:8", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(cfg.listen_count, 8);
	assert_string_equal(cfg.listen_addrs[7].port, "8");

	assert_int_equal(setenv("OMNIROUTE_LISTEN",
	    ":1,:2,:3,:4,:5,:6,:7,:8,:9", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "listen: at most 8 addresses");
}

static void
test_load_rejects_nul_in_file(void **state)
{
	FILE *fp;

	(void)state;
	write_temp_config("");
	fp = fopen(tmpfile_path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite("workers = 4\n\0x = 1\n", 1, 19, fp), 19);
	assert_int_equal(fclose(fp), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "contains a NUL byte"));
}

/* Write bytes to a second temporary file (a secret), removed by teardown. */
static const char *
write_secret(const char *bytes, size_t len)
{
	int fd;

	snprintf(secret_path, sizeof(secret_path), "/tmp/omniroute-secret-XXXXXX");
	fd = mkstemp(secret_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return secret_path;
}

static void
test_secret_first_line(void **state)
{
	const char *why = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(config_secret_first_line("key\n", 4, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_int_equal(config_secret_first_line("key\r\nmore\n", 10, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_int_equal(config_secret_first_line("key", 3, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_int_equal(config_secret_first_line("key\r", 4, &n, &why), 0);
	assert_int_equal(n, 3);
	/* blanks inside and around are part of the secret */
	assert_int_equal(config_secret_first_line(" a b \n", 6, &n, &why), 0);
	assert_int_equal(n, 5);
	assert_int_equal(config_secret_first_line("\nkey\n", 5, &n, &why), -1);
	assert_string_equal(why, "its first line is empty");
	assert_int_equal(config_secret_first_line("", 0, &n, &why), -1);
	assert_int_equal(config_secret_first_line("\r\n", 2, &n, &why), -1);
	assert_int_equal(config_secret_first_line("k\0y\n", 4, &n, &why), -1);
	assert_string_equal(why, "contains a NUL byte");
	/* a NUL after the first line does not matter */
	assert_int_equal(config_secret_first_line("ky\n\0", 4, &n, &why), 0);
	assert_int_equal(n, 2);
}

static void
test_read_secret_file(void **state)
{
	char *v = NULL;

	(void)state;
	write_secret("s3cr3t\r\nsecond line\n", 20);
	assert_int_equal(config_read_secret_file(secret_path, &v, err, sizeof(err)), 0);
	assert_string_equal(v, "s3cr3t");
	free(v);
	unlink(secret_path);
	assert_int_equal(config_read_secret_file(secret_path, &v, err, sizeof(err)), -1);
	assert_null(v);
	assert_non_null(strstr(err, secret_path));
	assert_non_null(strstr(err, "No such file or directory"));
	write_secret("\nhidden\n", 8);
	assert_int_equal(config_read_secret_file(secret_path, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "first line is empty"));
	assert_null(strstr(err, "hidden"));
}

static void
test_load_secret_files_from_env(void **state)
{
	(void)state;
	write_secret("mgmt-key\n", 9);
	assert_int_equal(setenv("OMNIROUTE_API_KEY_FILE", secret_path, 1), 0);
	assert_int_equal(setenv("STORAGE_ENCRYPTION_KEY_FILE", secret_path, 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "mgmt-key");
	assert_string_equal(cfg.storage_encryption_key, "mgmt-key");
}

static void
test_load_secret_and_file_both_set_in_env(void **state)
{
	(void)state;
	write_secret("mgmt-key\n", 9);
	assert_int_equal(setenv("OMNIROUTE_API_KEY", "other", 1), 0);
	assert_int_equal(setenv("OMNIROUTE_API_KEY_FILE", secret_path, 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "environment: OMNIROUTE_API_KEY and "
	    "OMNIROUTE_API_KEY_FILE are both set; give one");
	/* empty counts as unset: no conflict */
	assert_int_equal(setenv("OMNIROUTE_API_KEY", "", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "mgmt-key");
}

static void
test_load_secret_and_file_both_set_in_file(void **state)
{
	char text[256];

	(void)state;
	write_secret("k\n", 2);
	snprintf(text, sizeof(text), "storage_encryption_key = abc\n"
	    "storage_encryption_key_file = %s\n", secret_path);
	write_temp_config(text);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, tmpfile_path));
	assert_non_null(strstr(err, "storage_encryption_key and "
	    "storage_encryption_key_file are both set"));
}

static void
test_load_env_form_replaces_file_form(void **state)
{
	char text[256];

	(void)state;
	write_secret("from-file\n", 10);
	/* file: a key file; env: the value → the env wins, the file is not read */
	snprintf(text, sizeof(text), "api_key_file = /nonexistent/secret\n");
	write_temp_config(text);
	assert_int_equal(setenv("OMNIROUTE_API_KEY", "from-env", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "from-env");
	assert_null(cfg.api_key_file);
	/* file: the value; env: a key file → the file's value is replaced */
	unsetenv("OMNIROUTE_API_KEY");
	unlink(tmpfile_path);
	write_temp_config("api_key = in-config\n");
	assert_int_equal(setenv("OMNIROUTE_API_KEY_FILE", secret_path, 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.api_key, "from-file");
}

static void
test_load_unreadable_secret_file_names_it(void **state)
{
	(void)state;
	assert_int_equal(setenv("STORAGE_ENCRYPTION_KEY_FILE", "/nonexistent/key", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, NULL, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "storage_encryption_key_file "
	    "(STORAGE_ENCRYPTION_KEY_FILE): cannot read /nonexistent/key: "
	    "No such file or directory");
}

static void
test_load_empty_variables_count_as_unset(void **state)
{
	(void)state;
	write_temp_config("workers = 3\nuser = nobody\nlog_level = debug\n");
	assert_int_equal(setenv("OMNIROUTE_WORKERS", "", 1), 0);
	assert_int_equal(setenv("OMNIROUTE_USER", "", 1), 0);
	assert_int_equal(setenv("OMNIROUTE_LOG_LEVEL", "", 1), 0);
	assert_int_equal(setenv("OMNIROUTE_API_KEY_FILE", "", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(cfg.worker_count, 3);
	assert_string_equal(cfg.user, "nobody");
	assert_int_equal(cfg.level, LOG_LEVEL_DEBUG);
	assert_null(cfg.api_key);
	/* and an empty value in the file leaves user unset */
	unlink(tmpfile_path);
	write_temp_config("user =\n");
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), 0);
	assert_null(cfg.user);
	assert_int_equal(setenv("OMNIROUTE_USER", "daemon", 1), 0);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, tmpfile_path, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(cfg.user, "daemon");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_finished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_socket_follows_data_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_value_with_equals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_man_page_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_missing_equals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_bad_bool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_integer_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_and_peer_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_text_stops_at_first_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_error_through_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_log_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_data_dir_and_api_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_env_over_default_without_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_flag_over_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors_name_their_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_empty_api_key_env_means_no_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_at_most_eight_listen_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects_nul_in_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_first_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_secret_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_secret_files_from_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_secret_and_file_both_set_in_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_secret_and_file_both_set_in_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_env_form_replaces_file_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_unreadable_secret_file_names_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_empty_variables_count_as_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_settings, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
