/*
 * tests/unit/test_grammar.c — omnirctl's argv grammar (ctl/grammar.c): every
 * table entry builds the expected control command and JSON arguments from an
 * argv, and each kind of usage error (missing word, unknown option, bad
 * integer, word too many, unreadable file) is reported with a message naming
 * the command. The last test checks that no table entry went untested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "grammar.h"

#define ARGV(...)	((char *[]){ __VA_ARGS__, NULL })

/* Table entries some test has built, for the coverage check at the end. */
static const struct grammar_command *built[64];
static size_t nbuilt;

static int
argv_count(char **argv)
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

static void
note_built(const struct grammar_command *cmd)
{
	size_t i;

	for (i = 0; i < nbuilt; i++)
		if (built[i] == cmd)
			return;
	assert_true(nbuilt < sizeof(built) / sizeof(built[0]));
	built[nbuilt++] = cmd;
}

/* argv must build `command` with arguments equal to the JSON text `expected`. */
static void
check_build(char **argv, const char *command, const char *expected)
{
	struct grammar_request req;
	struct json_object *args, *want;
	char cmd[256], err[256];
	int argc = argv_count(argv);

	assert_int_equal(grammar_build(argc, argv, cmd, sizeof(cmd), &args, err,
	    sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(cmd, command);
	want = json_tokener_parse(expected);
	assert_non_null(want);
	assert_non_null(args);
	if (!json_object_equal(args, want))
		fail_msg("%s: got %s, want %s", command,
		    json_object_to_json_string(args), expected);
	json_object_put(want);
	json_object_put(args);

	/* Parse again for the entry; a file read from stdin is read again. */
	rewind(stdin);
	assert_int_equal(grammar_parse(argc, argv, &req, err, sizeof(err)),
	    GRAMMAR_SEND);
	note_built(req.command);
	grammar_request_free(&req);
}

/* argv must be a usage error whose message contains `fragment`. */
static void
check_usage(char **argv, const char *fragment)
{
	struct json_object *args = (struct json_object *)1;
	char cmd[256], err[256];

	assert_int_equal(grammar_build(argv_count(argv), argv, cmd, sizeof(cmd),
	    &args, err, sizeof(err)), GRAMMAR_USAGE);
	assert_null(args);
	if (strstr(err, fragment) == NULL)
		fail_msg("usage error '%s' does not contain '%s'", err, fragment);
}

/* A temporary file holding text; the caller unlinks and frees the name. */
static char *
temp_file(const char *text)
{
	char *path = strdup("/tmp/test_grammar.123456");
	int fd;

	assert_non_null(path);
	memset(path + strlen(path) - 6, 'X', 6);	/* mkstemp's template */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_proxy_list(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "list"), "proxy.list", "{}");
	check_build(ARGV("proxy", "list", "--limit", "5", "--offset=10"),
	    "proxy.list", "{\"limit\":5,\"offset\":10}");
	check_build(ARGV("proxy", "list", "--offset", "-1"), "proxy.list",
	    "{\"offset\":-1}");
	check_build(ARGV("proxy", "list", "--search", "eu west", "--type=socks5",
	    "--status", "active"), "proxy.list",
	    "{\"q\":\"eu west\",\"type\":\"socks5\",\"status\":\"active\"}");
}

static void
test_proxy_get(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "get", "p1"), "proxy.get", "{\"id\":\"p1\"}");
	check_build(ARGV("proxy", "get", "--", "-odd"), "proxy.get",
	    "{\"id\":\"-odd\"}");
}

static void
test_proxy_add(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "add", "--name", "US east", "--host",
	    "p.example", "--port", "8080", "--type", "socks5", "--username", "u",
	    "--password", "pw", "--region", "us", "--notes", "two words",
	    "--status", "inactive"), "proxy.add",
	    "{\"name\":\"US east\",\"host\":\"p.example\",\"port\":8080,"
	    "\"type\":\"socks5\",\"username\":\"u\",\"password\":\"pw\","
	    "\"region\":\"us\",\"notes\":\"two words\",\"status\":\"inactive\"}");
	/* A port that is not an integer goes as typed: the master names it. */
	check_build(ARGV("proxy", "add", "--name=x", "--host=h", "--port=80x"),
	    "proxy.add", "{\"name\":\"x\",\"host\":\"h\",\"port\":\"80x\"}");
	/* No semantic checks here either: the master owns them. */
	check_build(ARGV("proxy", "add", "--name", "x", "--host", "h", "--port",
	    "70000", "--type", "gopher"), "proxy.add",
	    "{\"name\":\"x\",\"host\":\"h\",\"port\":70000,\"type\":\"gopher\"}");
}

static void
test_proxy_update(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "update", "p1"), "proxy.update",
	    "{\"id\":\"p1\"}");
	check_build(ARGV("proxy", "update", "--status", "inactive", "p1",
	    "--port", "1080"), "proxy.update",
	    "{\"id\":\"p1\",\"status\":\"inactive\",\"port\":1080}");
	/* The last of a repeated option wins. */
	check_build(ARGV("proxy", "update", "p1", "--name", "a", "--name", "b"),
	    "proxy.update", "{\"id\":\"p1\",\"name\":\"b\"}");
}

static void
test_proxy_delete(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "delete", "p1"), "proxy.delete",
	    "{\"id\":\"p1\"}");
	check_build(ARGV("proxy", "delete", "p1", "--force"), "proxy.delete",
	    "{\"id\":\"p1\",\"force\":true}");
}

static void
test_proxy_import(void **state)
{
	char *array = temp_file("[{\"host\":\"a\",\"port\":1},\n {\"host\":\"b\"}]\n");
	char *object = temp_file("{\"items\":[{\"host\":\"c\"}]}");
	char *piped = temp_file("  [ ]  ");

	(void)state;
	check_build(ARGV("proxy", "import", array), "proxy.import",
	    "{\"items\":[{\"host\":\"a\",\"port\":1},{\"host\":\"b\"}]}");
	check_build(ARGV("proxy", "import", object), "proxy.import",
	    "{\"items\":[{\"host\":\"c\"}]}");
	assert_non_null(freopen(piped, "r", stdin));
	check_build(ARGV("proxy", "import", "-"), "proxy.import",
	    "{\"items\":[]}");
	unlink(array);
	unlink(object);
	unlink(piped);
	free(array);
	free(object);
	free(piped);
}

static void
test_proxy_where_used_and_health(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "where-used", "p1"), "proxy.where_used",
	    "{\"id\":\"p1\"}");
	check_build(ARGV("proxy", "health"), "proxy.health", "{}");
	check_build(ARGV("proxy", "health", "--hours", "6"), "proxy.health",
	    "{\"hours\":6}");
	check_build(ARGV("proxy", "health-series", "edge"), "proxy.health_series",
	    "{\"proxyId\":\"edge\"}");
	check_build(ARGV("proxy", "health-series", "p1", "--hours", "168", "--buckets", "28"),
	    "proxy.health_series", "{\"proxyId\":\"p1\",\"hours\":168,\"buckets\":28}");
}

static void
test_assign_set(void **state)
{
	(void)state;
	check_build(ARGV("assign", "set", "account", "c1", "p1"), "assign.set",
	    "{\"scope\":\"account\",\"scopeId\":\"c1\",\"proxyId\":\"p1\"}");
	check_build(ARGV("assign", "set", "provider", "openai", "direct"),
	    "assign.set", "{\"scope\":\"provider\",\"scopeId\":\"openai\","
	    "\"proxyId\":\"direct\"}");
	check_build(ARGV("assign", "set", "global", "p1"), "assign.set",
	    "{\"scope\":\"global\",\"proxyId\":\"p1\"}");
	check_build(ARGV("assign", "set", "Global", "direct"), "assign.set",
	    "{\"scope\":\"Global\",\"proxyId\":\"direct\"}");
}

static void
test_pool_commands(void **state)
{
	(void)state;
	check_build(ARGV("pool", "show", "account", "c1"), "pool.show",
	    "{\"scope\":\"account\",\"scopeId\":\"c1\"}");
	check_build(ARGV("pool", "show", "global"), "pool.show",
	    "{\"scope\":\"global\"}");
	check_build(ARGV("pool", "add", "provider", "openai", "p1"), "pool.add",
	    "{\"scope\":\"provider\",\"scopeId\":\"openai\",\"proxyId\":\"p1\"}");
	check_build(ARGV("pool", "add", "global", "p2"), "pool.add",
	    "{\"scope\":\"global\",\"proxyId\":\"p2\"}");
	check_build(ARGV("pool", "remove", "combo", "fast", "p1"), "pool.remove",
	    "{\"scope\":\"combo\",\"scopeId\":\"fast\",\"proxyId\":\"p1\"}");
	check_build(ARGV("pool", "strategy", "account", "c1", "sticky",
	    "--sticky-window-minutes", "45"), "pool.update",
	    "{\"scope\":\"account\",\"scopeId\":\"c1\",\"strategy\":\"sticky\","
	    "\"stickyWindowMinutes\":45}");
	check_build(ARGV("pool", "strategy", "global", "round-robin"), "pool.update",
	    "{\"scope\":\"global\",\"strategy\":\"round-robin\"}");
	check_build(ARGV("pool", "move", "provider", "openai", "p1", "2"), "pool.update",
	    "{\"scope\":\"provider\",\"scopeId\":\"openai\",\"proxyId\":\"p1\","
	    "\"position\":\"2\"}");
	check_build(ARGV("pool", "move", "global", "p1", "0"), "pool.update",
	    "{\"scope\":\"global\",\"proxyId\":\"p1\",\"position\":\"0\"}");
}

static void
test_assign_remove(void **state)
{
	(void)state;
	check_build(ARGV("assign", "remove", "combo", "fast"), "assign.set",
	    "{\"scope\":\"combo\",\"scopeId\":\"fast\",\"proxyId\":null}");
	check_build(ARGV("assign", "remove", "global"), "assign.set",
	    "{\"scope\":\"global\",\"proxyId\":null}");
}

static void
test_assign_bulk(void **state)
{
	(void)state;
	check_build(ARGV("assign", "bulk", "account", "p1", "c1", "c2", "c3"),
	    "assign.bulk", "{\"scope\":\"account\",\"proxyId\":\"p1\","
	    "\"scopeIds\":[\"c1\",\"c2\",\"c3\"]}");
	check_build(ARGV("assign", "bulk", "global", "p1"), "assign.bulk",
	    "{\"scope\":\"global\",\"proxyId\":\"p1\",\"scopeIds\":[]}");
}

static void
test_assign_list(void **state)
{
	(void)state;
	check_build(ARGV("assign", "list"), "assign.list", "{}");
	check_build(ARGV("assign", "list", "--proxy", "p1", "--scope",
	    "account", "--scope-id", "c1", "--limit", "20", "--offset", "40"),
	    "assign.list", "{\"proxyId\":\"p1\",\"scope\":\"account\","
	    "\"scopeId\":\"c1\",\"limit\":20,\"offset\":40}");
}

static void
test_resolve(void **state)
{
	(void)state;
	check_build(ARGV("resolve", "c1"), "resolve",
	    "{\"connectionId\":\"c1\"}");
	check_build(ARGV("resolve", "c1", "--provider", "openai", "--combo",
	    "fast"), "resolve", "{\"connectionId\":\"c1\","
	    "\"provider\":\"openai\",\"combo\":\"fast\"}");
}

static void
test_egress_map(void **state)
{
	(void)state;
	check_build(ARGV("egress", "map"), "egress.map", "{}");
}

static void
test_legacy_migrate(void **state)
{
	(void)state;
	check_build(ARGV("legacy", "migrate"), "legacy.migrate", "{}");
	check_build(ARGV("legacy", "migrate", "--force"), "legacy.migrate",
	    "{\"force\":true}");
}

static void
test_backup_export(void **state)
{
	struct grammar_request req;
	char err[256];

	(void)state;
	check_build(ARGV("backup", "export"), "backup.export", "{}");
	check_build(ARGV("backup", "export", "out.json", "--secrets"),
	    "backup.export", "{\"secrets\":true}");

	/* FILE stays on the client: it is where the reply is written. */
	assert_int_equal(grammar_parse(3, ARGV("backup", "export", "out.json"),
	    &req, err, sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(req.output_file, "out.json");
	grammar_request_free(&req);
	assert_int_equal(grammar_parse(2, ARGV("backup", "export"), &req, err,
	    sizeof(err)), GRAMMAR_SEND);
	assert_null(req.output_file);
	grammar_request_free(&req);
}

static void
test_backup_import(void **state)
{
	char *path = temp_file("{\n  \"formatVersion\": 1,\n  \"proxies\": []\n}\n");

	(void)state;
	check_build(ARGV("backup", "import", path), "backup.import",
	    "{\"formatVersion\":1,\"proxies\":[]}");
	unlink(path);
	free(path);
}

static void
test_system_commands(void **state)
{
	(void)state;
	check_build(ARGV("workers"), "workers", "{}");
	check_build(ARGV("status"), "status", "{}");
	check_build(ARGV("reload"), "reload", "{}");
	check_build(ARGV("version"), "version", "{}");
	check_build(ARGV("help", "server"), "help", "{}");
}

static void
test_raw(void **state)
{
	struct grammar_request req;
	struct json_object *args = (struct json_object *)1;
	char cmd[256], err[256];

	(void)state;
	assert_int_equal(grammar_build(3, ARGV("raw", "proxy.get",
	    "{\"id\":\"x\"}"), cmd, sizeof(cmd), &args, err, sizeof(err)),
	    GRAMMAR_SEND);
	assert_string_equal(cmd, "proxy.get {\"id\":\"x\"}");
	assert_null(args);
	/* Words that look like options are part of the line. */
	assert_int_equal(grammar_build(3, ARGV("raw", "--json", "x"), cmd,
	    sizeof(cmd), &args, err, sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(cmd, "--json x");
	assert_int_equal(grammar_parse(2, ARGV("raw", "status"), &req, err,
	    sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(req.raw_line, "status");
	assert_null(req.args);
	note_built(req.command);
	grammar_request_free(&req);
}

static void
test_help(void **state)
{
	struct grammar_request req;
	char err[256];
	FILE *sink = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(grammar_parse(1, ARGV("help"), &req, err, sizeof(err)),
	    GRAMMAR_HELP);
	assert_int_equal(req.help_argc, 0);
	assert_int_equal(grammar_parse(2, ARGV("help", "proxy"), &req, err,
	    sizeof(err)), GRAMMAR_HELP);
	assert_int_equal(req.help_argc, 1);
	assert_string_equal(req.help_argv[0], "proxy");

	/* -h or --help after a command asks for its usage, before "--" only. */
	assert_int_equal(grammar_parse(4, ARGV("proxy", "add", "--name", "-h"),
	    &req, err, sizeof(err)), GRAMMAR_HELP);
	assert_int_equal(req.help_argc, 2);
	assert_string_equal(req.help_argv[1], "add");
	assert_int_equal(grammar_parse(3, ARGV("workers", "--help", "x"), &req,
	    err, sizeof(err)), GRAMMAR_HELP);
	assert_int_equal(req.help_argc, 1);
	assert_int_equal(grammar_parse(4, ARGV("proxy", "get", "--", "-h"), &req,
	    err, sizeof(err)), GRAMMAR_SEND);
	grammar_request_free(&req);
	assert_int_equal(grammar_parse(2, ARGV("raw", "-h"), &req, err,
	    sizeof(err)), GRAMMAR_SEND);
	grammar_request_free(&req);

	assert_non_null(sink);
	assert_int_equal(grammar_print_usage(sink, 0, NULL), grammar_table_len);
	assert_int_equal(grammar_print_usage(sink, 1, ARGV("proxy")), 11);
	assert_int_equal(grammar_print_usage(sink, 2, ARGV("assign", "set")), 1);
	assert_int_equal(grammar_print_usage(sink, 1, ARGV("prox")), 0);
	fclose(sink);
}

static void
test_synopsis(void **state)
{
	char out[512];
	size_t i;

	(void)state;
	for (i = 0; i < grammar_table_len; i++) {
		grammar_synopsis(&grammar_table[i], out, sizeof(out));
		if (strcmp(grammar_table[i].words, "assign set") == 0)
			assert_string_equal(out, "assign set SCOPE [SCOPE_ID] PROXY");
		else if (strcmp(grammar_table[i].words, "assign bulk") == 0)
			assert_string_equal(out,
			    "assign bulk SCOPE PROXY [SCOPE_ID...]");
		else if (strcmp(grammar_table[i].words, "backup export") == 0)
			assert_string_equal(out, "backup export [FILE] [--secrets]");
		else if (strcmp(grammar_table[i].words, "proxy add") == 0)
			assert_string_equal(out, "proxy add --name NAME --host HOST "
			    "--port PORT [--type http|https|socks5] [--username USER] "
			    "[--password PASSWORD] [--region REGION] [--notes NOTES] "
			    "[--status active|inactive]");
		assert_non_null(grammar_table[i].help);
	}
}

static void
test_usage_missing_positional(void **state)
{
	(void)state;
	check_usage(ARGV("proxy", "get"), "proxy get: missing PROXY");
	check_usage(ARGV("proxy", "delete", "--force"), "missing PROXY");
	check_usage(ARGV("assign", "set", "account", "c1"), "missing PROXY");
	check_usage(ARGV("assign", "set", "global"), "missing PROXY");
	check_usage(ARGV("assign", "remove", "account"), "missing SCOPE_ID");
	check_usage(ARGV("assign", "bulk", "account", "p1"), "missing SCOPE_ID");
	check_usage(ARGV("resolve"), "missing CONN");
	check_usage(ARGV("proxy", "import"), "missing FILE");
	check_usage(ARGV("raw"), "raw: missing LINE");
}

static void
test_usage_missing_required_option(void **state)
{
	(void)state;
	check_usage(ARGV("proxy", "add", "--name", "x", "--port", "1"),
	    "proxy add: missing --host HOST");
	check_usage(ARGV("proxy", "add"), "missing --name NAME");
}

static void
test_usage_unknown_option(void **state)
{
	(void)state;
	check_usage(ARGV("proxy", "list", "--bogus"),
	    "proxy list: unknown option --bogus");
	check_usage(ARGV("proxy", "get", "p1", "--force"), "unknown option --force");
	check_usage(ARGV("workers", "-x"), "unknown option -x");
	check_usage(ARGV("proxy", "list", "--limit-x=3"), "unknown option --limit-x");
}

static void
test_usage_bad_integer(void **state)
{
	(void)state;
	check_usage(ARGV("proxy", "list", "--limit", "ten"),
	    "--limit wants an integer, not 'ten'");
	check_usage(ARGV("proxy", "list", "--offset="), "--offset wants an integer");
	check_usage(ARGV("proxy", "health", "--hours", "1.5"), "--hours");
	check_usage(ARGV("assign", "list", "--limit", "99999999999999999999"),
	    "--limit wants an integer");
}

static void
test_usage_extra_arguments(void **state)
{
	(void)state;
	check_usage(ARGV("proxy", "get", "p1", "p2"),
	    "proxy get: unexpected argument 'p2'");
	check_usage(ARGV("workers", "now"), "unexpected argument 'now'");
	check_usage(ARGV("assign", "set", "global", "c1", "p1"),
	    "unexpected argument 'p1'");
	check_usage(ARGV("assign", "bulk", "global", "p1", "c1"),
	    "unexpected argument 'c1'");
	check_usage(ARGV("backup", "export", "a.json", "b.json"),
	    "unexpected argument 'b.json'");
	check_usage(ARGV("help", "server", "now"), "unexpected argument");
}

static void
test_usage_option_values(void **state)
{
	(void)state;
	check_usage(ARGV("proxy", "list", "--limit"), "--limit needs a value (N)");
	check_usage(ARGV("proxy", "delete", "p1", "--force=yes"),
	    "--force takes no value");
}

static void
test_usage_unknown_command(void **state)
{
	struct grammar_request req;
	char err[256];

	(void)state;
	check_usage(ARGV("frobnicate"), "unknown command 'frobnicate'");
	check_usage(ARGV("proxy", "frob"), "unknown command 'proxy frob'");
	check_usage(ARGV("proxy"), "proxy: missing subcommand");
	check_usage(ARGV("list"), "unknown command 'list'");

	assert_int_equal(grammar_parse(0, ARGV("x"), &req, err, sizeof(err)),
	    GRAMMAR_USAGE);
	assert_int_equal(grammar_parse(2, ARGV("proxy", "frob"), &req, err,
	    sizeof(err)), GRAMMAR_USAGE);
	assert_null(req.command);
	assert_string_equal(req.family, "proxy");
	assert_int_equal(grammar_parse(2, ARGV("proxy", "get"), &req, err,
	    sizeof(err)), GRAMMAR_USAGE);
	assert_non_null(req.command);
	assert_string_equal(req.command->words, "proxy get");
	assert_null(req.args);
}

static void
test_usage_files(void **state)
{
	char *not_json = temp_file("host,port\na,1\n");
	char *truncated = temp_file("{\"items\":[");
	char *trailing = temp_file("{} {}");
	char *scalar = temp_file("42");
	char *array = temp_file("[]");

	(void)state;
	check_usage(ARGV("proxy", "import", not_json), "is not JSON");
	check_usage(ARGV("proxy", "import", not_json), not_json);
	check_usage(ARGV("proxy", "import", truncated), "unexpected end of data");
	check_usage(ARGV("proxy", "import", trailing), "text after the JSON value");
	check_usage(ARGV("proxy", "import", scalar),
	    "neither a JSON object nor an array");
	check_usage(ARGV("backup", "import", array), "does not hold a JSON object");
	check_usage(ARGV("backup", "import", "/nonexistent/backup.json"),
	    "cannot open /nonexistent/backup.json");
	unlink(not_json);
	unlink(truncated);
	unlink(trailing);
	unlink(scalar);
	unlink(array);
	free(not_json);
	free(truncated);
	free(trailing);
	free(scalar);
	free(array);
}

static void
test_usage_raw_newline(void **state)
{
	(void)state;
	check_usage(ARGV("raw", "status\nreload"), "cannot contain a newline");
}

static void
test_build_buffer_too_small(void **state)
{
	struct json_object *args;
	char cmd[8], err[256];

	(void)state;
	assert_int_equal(grammar_build(3, ARGV("proxy", "where-used", "p1"), cmd,
	    sizeof(cmd), &args, err, sizeof(err)), GRAMMAR_USAGE);
	assert_null(args);
	assert_non_null(strstr(err, "too long"));
}

static void
test_route_commands(void **state)
{
	(void)state;
	check_build(ARGV("proxy", "test", "p1", "--url", "https://127.0.0.1:9/x",
	    "--timeout-ms", "500"), "proxy.test",
	    "{\"id\":\"p1\",\"url\":\"https://127.0.0.1:9/x\",\"timeoutMs\":500}");
	check_build(ARGV("proxy", "egress", "US exit"), "proxy.egress", "{\"id\":\"US exit\"}");
	check_build(ARGV("proxy", "egress", "p1", "--url", "http://127.0.0.1:9/ip",
	    "--timeout-ms", "900"), "proxy.egress",
	    "{\"id\":\"p1\",\"url\":\"http://127.0.0.1:9/ip\",\"timeoutMs\":900}");
	check_usage(ARGV("proxy", "egress"), "PROXY");
	check_build(ARGV("upstream", "get", "claude"), "upstream.get", "{\"providerId\":\"claude\"}");
	check_build(ARGV("upstream", "set", "claude", "fallback"), "upstream.set",
	    "{\"providerId\":\"claude\",\"mode\":\"fallback\"}");
	check_build(ARGV("upstream", "set", "claude", "native", "--disabled"), "upstream.set",
	    "{\"providerId\":\"claude\",\"mode\":\"native\",\"enabled\":false}");
	check_build(ARGV("upstream", "delete", "claude"), "upstream.delete", "{\"providerId\":\"claude\"}");
	check_build(ARGV("provider", "list"), "provider.list", "{}");
	check_build(ARGV("provider", "get", "openai"), "provider.get", "{\"id\":\"openai\"}");
	check_build(ARGV("provider", "add", "local", "--base-url", "http://127.0.0.1:11434/v1",
	    "--auth", "none"), "provider.add",
	    "{\"id\":\"local\",\"baseUrl\":\"http://127.0.0.1:11434/v1\",\"authStyle\":\"none\"}");
	check_build(ARGV("provider", "update", "local", "--header", "X-A: 1",
	    "--header", "X-B:two words"), "provider.update",
	    "{\"id\":\"local\",\"headers\":{\"X-A\":\"1\",\"X-B\":\"two words\"}}");
	check_build(ARGV("provider", "delete", "local"), "provider.delete", "{\"id\":\"local\"}");
	check_usage(ARGV("provider", "add", "local"), "--base-url");
	check_usage(ARGV("provider", "update", "local", "--header", "no colon"), "--header");
	check_build(ARGV("conn", "list", "--provider", "openai"), "conn.list",
	    "{\"provider\":\"openai\"}");
	check_build(ARGV("conn", "get", "c1"), "conn.get", "{\"id\":\"c1\"}");
	check_build(ARGV("conn", "add", "openai", "--name", "main", "--key", "sk-1",
	    "--priority", "2"), "conn.add",
	    "{\"provider\":\"openai\",\"name\":\"main\",\"key\":\"sk-1\",\"priority\":2}");
	check_build(ARGV("conn", "update", "c1", "--status", "inactive"), "conn.update",
	    "{\"id\":\"c1\",\"status\":\"inactive\"}");
	check_build(ARGV("conn", "delete", "c1"), "conn.delete", "{\"id\":\"c1\"}");
	check_build(ARGV("conn", "test", "c1"), "conn.test", "{\"id\":\"c1\"}");
	check_usage(ARGV("conn", "add", "openai"), "--name");
	check_build(ARGV("combo", "list"), "combo.list", "{}");
	check_build(ARGV("combo", "get", "fast"), "combo.get", "{\"name\":\"fast\"}");
	check_build(ARGV("combo", "add", "fast", "openai/gpt-4o-mini", "groq/llama"),
	    "combo.add", "{\"name\":\"fast\",\"targets\":[\"openai/gpt-4o-mini\",\"groq/llama\"]}");
	check_build(ARGV("combo", "update", "fast", "groq/llama"), "combo.update",
	    "{\"name\":\"fast\",\"targets\":[\"groq/llama\"]}");
	check_build(ARGV("combo", "delete", "fast"), "combo.delete", "{\"name\":\"fast\"}");
	check_build(ARGV("apikey", "list"), "apikey.list", "{}");
	check_build(ARGV("apikey", "add", "laptop"), "apikey.add", "{\"name\":\"laptop\"}");
	check_build(ARGV("apikey", "delete", "k1"), "apikey.delete", "{\"id\":\"k1\"}");
	check_build(ARGV("oneproxy", "list", "--protocol", "socks5", "--country", "de",
	    "--min-quality", "60", "--limit", "10", "--offset", "20"), "oneproxy.list",
	    "{\"protocol\":\"socks5\",\"countryCode\":\"de\",\"minQuality\":60,"
	    "\"limit\":10,\"offset\":20}");
	check_build(ARGV("oneproxy", "sync"), "oneproxy.sync", "{}");
	check_build(ARGV("oneproxy", "stats"), "oneproxy.stats", "{}");
	check_build(ARGV("oneproxy", "status"), "oneproxy.status", "{}");
	check_build(ARGV("oneproxy", "rotate"), "oneproxy.rotate", "{}");
	check_build(ARGV("oneproxy", "rotate", "sequential"), "oneproxy.rotate",
	    "{\"strategy\":\"sequential\"}");
	check_build(ARGV("oneproxy", "reset"), "oneproxy.reset", "{}");
	check_build(ARGV("oneproxy", "delete", "p1"), "oneproxy.delete", "{\"id\":\"p1\"}");
	check_build(ARGV("oneproxy", "clear"), "oneproxy.delete", "{\"clearAll\":true}");
}

/* Runs last: every table entry was built by one of the tests above. */
static void
test_every_entry_built(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < grammar_table_len; i++) {
		for (j = 0; j < nbuilt; j++)
			if (built[j] == &grammar_table[i])
				break;
		if (j == nbuilt)
			fail_msg("no test builds '%s'", grammar_table[i].words);
	}
}

/* A whole command line (the words after the program name) through the grammar. */
static enum grammar_result
parse_line(char **argv, struct grammar_request *req, char *err, size_t errlen)
{
	return grammar_parse_command_line(argv_count(argv), argv, req, err, errlen);
}

static void
check_line_usage(char **argv, const char *fragment)
{
	struct grammar_request req;
	char err[256];

	assert_int_equal(parse_line(argv, &req, err, sizeof(err)), GRAMMAR_USAGE);
	assert_null(req.args);
	if (strstr(err, fragment) == NULL)
		fail_msg("usage error '%s' does not contain '%s'", err, fragment);
	grammar_request_free(&req);
}

static void
check_line_args(struct grammar_request *req, const char *expected)
{
	struct json_object *want = json_tokener_parse(expected);

	assert_non_null(want);
	if (!json_object_equal(req->args, want))
		fail_msg("got %s, want %s", json_object_to_json_string(req->args),
		    expected);
	json_object_put(want);
}

/* --json, -s and -q go before the command or anywhere among its words. */
static void
test_global_options_anywhere(void **state)
{
	struct grammar_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_line(ARGV("--json", "proxy", "list"), &req, err,
	    sizeof(err)), GRAMMAR_SEND);
	assert_true(req.globals.json);
	assert_null(req.globals.socket);
	check_line_args(&req, "{}");
	grammar_request_free(&req);

	assert_int_equal(parse_line(ARGV("proxy", "list", "--limit", "5", "--json",
	    "-s", "/run/x.sock"), &req, err, sizeof(err)), GRAMMAR_SEND);
	assert_true(req.globals.json);
	assert_string_equal(req.globals.socket, "/run/x.sock");
	assert_string_equal(req.command->command, "proxy.list");
	check_line_args(&req, "{\"limit\":5}");
	grammar_request_free(&req);

	assert_int_equal(parse_line(ARGV("proxy", "get", "--socket=/a.sock", "US",
	    "--json"), &req, err, sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(req.globals.socket, "/a.sock");
	check_line_args(&req, "{\"id\":\"US\"}");
	grammar_request_free(&req);

	assert_int_equal(parse_line(ARGV("-s/b.sock", "proxy", "delete", "US",
	    "--force"), &req, err, sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(req.globals.socket, "/b.sock");
	check_line_args(&req, "{\"id\":\"US\",\"force\":true}");
	grammar_request_free(&req);

	/* "--" ends the options: what follows is a word */
	assert_int_equal(parse_line(ARGV("proxy", "get", "--", "--json"), &req,
	    err, sizeof(err)), GRAMMAR_SEND);
	assert_false(req.globals.json);
	check_line_args(&req, "{\"id\":\"--json\"}");
	grammar_request_free(&req);
	assert_int_equal(parse_line(ARGV("--", "proxy", "list"), &req, err,
	    sizeof(err)), GRAMMAR_SEND);
	grammar_request_free(&req);

	/* raw's LINE is sent as typed */
	assert_int_equal(parse_line(ARGV("raw", "proxy.list", "--json"), &req, err,
	    sizeof(err)), GRAMMAR_SEND);
	assert_false(req.globals.json);
	assert_string_equal(req.raw_line, "proxy.list --json");
	grammar_request_free(&req);

	check_line_usage(ARGV("proxy", "list", "-s"), "proxy list: -s needs a value");
	check_line_usage(ARGV("-s"), "-s needs a value");
	check_line_usage(ARGV("--socket=", "status"), "--socket needs a value");
	check_line_usage(ARGV("--json=yes", "status"), "--json takes no value");
	check_line_usage(ARGV("--bogus", "status"), "unknown option --bogus");
	check_line_usage(ARGV("status", "--bogus"), "status: unknown option --bogus");
	check_line_usage(ARGV("--json"), "missing command");
	check_line_usage(ARGV("proxy", "--json", "list"),
	    "proxy: the subcommand comes before --json");
	check_line_usage((char *[]){ NULL }, "missing command");
}

static void
test_version_and_help(void **state)
{
	struct grammar_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_line(ARGV("--version"), &req, err, sizeof(err)),
	    GRAMMAR_VERSION);
	grammar_request_free(&req);
	assert_int_equal(parse_line(ARGV("-V", "proxy", "frobnicate"), &req, err,
	    sizeof(err)), GRAMMAR_VERSION);
	grammar_request_free(&req);
	assert_int_equal(parse_line(ARGV("proxy", "list", "--version"), &req, err,
	    sizeof(err)), GRAMMAR_VERSION);
	assert_null(req.args);
	grammar_request_free(&req);
	assert_int_equal(parse_line(ARGV("-h"), &req, err, sizeof(err)),
	    GRAMMAR_HELP);
	assert_int_equal(req.help_argc, 0);
	grammar_request_free(&req);
	assert_int_equal(parse_line(ARGV("proxy", "add", "--help"), &req, err,
	    sizeof(err)), GRAMMAR_HELP);
	assert_int_equal(req.help_argc, 2);
	grammar_request_free(&req);
}

/* -q: every add command names the field it prints; others refuse it. */
static void
test_quiet(void **state)
{
	struct grammar_request req;
	char err[256];
	size_t i, len;

	(void)state;
	assert_int_equal(parse_line(ARGV("-q", "proxy", "add", "--name", "US",
	    "--host", "127.0.0.1", "--port", "1080"), &req, err, sizeof(err)),
	    GRAMMAR_SEND);
	assert_true(req.globals.quiet);
	assert_string_equal(req.command->quiet_field, "id");
	grammar_request_free(&req);
	assert_int_equal(parse_line(ARGV("apikey", "add", "laptop", "--quiet"),
	    &req, err, sizeof(err)), GRAMMAR_SEND);
	assert_string_equal(req.command->quiet_field, "key");
	grammar_request_free(&req);
	check_line_usage(ARGV("-q", "proxy", "list"),
	    "proxy list: -q prints the id an add command made");
	check_line_usage(ARGV("proxy", "delete", "US", "-q"), "-q prints");
	for (i = 0; i < grammar_table_len; i++) {
		len = strlen(grammar_table[i].words);
		if (len > 4 && strcmp(grammar_table[i].words + len - 4, " add") == 0)
			assert_non_null(grammar_table[i].quiet_field);
		else
			assert_null(grammar_table[i].quiet_field);
	}
}

/* A probe's "success": false is a failure: proxy test, proxy egress, conn test
 * and the 1proxy sync only. */
static void
test_probe_commands(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < grammar_table_len; i++) {
		bool probe = strcmp(grammar_table[i].words, "proxy test") == 0 ||
		    strcmp(grammar_table[i].words, "proxy egress") == 0 ||
		    strcmp(grammar_table[i].words, "conn test") == 0 ||
		    strcmp(grammar_table[i].words, "oneproxy sync") == 0;
		assert_int_equal(grammar_table[i].probe, probe);
	}
}

/* The candidates for the last word, one per line, as one string. */
static char *
complete(char **argv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	grammar_complete(fp, argv_count(argv), argv);
	fclose(fp);
	return text;
}

static void
check_complete(char **argv, const char *expected)
{
	char *got = complete(argv);

	if (strcmp(got, expected) != 0)
		fail_msg("completion: got '%s', want '%s'", got, expected);
	free(got);
}

static void
test_completion(void **state)
{
	char *all;

	(void)state;
	/* first words: every family once, and help */
	all = complete(ARGV(""));
	assert_non_null(strstr(all, "proxy\n"));
	assert_non_null(strstr(all, "assign\n"));
	assert_non_null(strstr(all, "help\n"));
	assert_null(strstr(all, "proxy\nproxy\n"));
	free(all);
	check_complete(ARGV("pro"), "proxy\nprovider\n");
	check_complete(ARGV("proxy", "w"), "where-used\n");
	check_complete(ARGV("--json", "-s", "x.sock", "proxy", "wh"), "where-used\n");
	check_complete(ARGV("proxy", "add", "--na"), "--name\n");
	check_complete(ARGV("proxy", "delete", "US", "--"),
	    "--force\n--socket\n--json\n--quiet\n--help\n--version\n");
	check_complete(ARGV("proxy", "add", "--type", ""), "http\nhttps\nsocks5\n");
	check_complete(ARGV("proxy", "add", "--type", "s"), "socks5\n");
	check_complete(ARGV("assign", "set", "p"), "provider\n");
	check_complete(ARGV("--j"), "--json\n");
	/* a free word or a file: nothing (the shell offers file names) */
	check_complete(ARGV("proxy", "add", "--host", ""), "");
	check_complete(ARGV("proxy", "import", ""), "");
	check_complete(ARGV("-s", ""), "");
	check_complete(ARGV("nonsense", ""), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_list),
		cmocka_unit_test(test_proxy_get),
		cmocka_unit_test(test_proxy_add),
		cmocka_unit_test(test_proxy_update),
		cmocka_unit_test(test_proxy_delete),
		cmocka_unit_test(test_proxy_import),
		cmocka_unit_test(test_proxy_where_used_and_health),
		cmocka_unit_test(test_assign_set),
		cmocka_unit_test(test_pool_commands),
		cmocka_unit_test(test_assign_remove),
		cmocka_unit_test(test_assign_bulk),
		cmocka_unit_test(test_assign_list),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_egress_map),
		cmocka_unit_test(test_legacy_migrate),
		cmocka_unit_test(test_backup_export),
		cmocka_unit_test(test_backup_import),
		cmocka_unit_test(test_system_commands),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_synopsis),
		cmocka_unit_test(test_usage_missing_positional),
		cmocka_unit_test(test_usage_missing_required_option),
		cmocka_unit_test(test_usage_unknown_option),
		cmocka_unit_test(test_usage_bad_integer),
		cmocka_unit_test(test_usage_extra_arguments),
		cmocka_unit_test(test_usage_option_values),
		cmocka_unit_test(test_usage_unknown_command),
		cmocka_unit_test(test_usage_files),
		cmocka_unit_test(test_usage_raw_newline),
		cmocka_unit_test(test_build_buffer_too_small),
		cmocka_unit_test(test_route_commands),
		cmocka_unit_test(test_global_options_anywhere),
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_quiet),
		cmocka_unit_test(test_probe_commands),
		cmocka_unit_test(test_completion),
		cmocka_unit_test(test_every_entry_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
