/*
 * ctl/grammar.c — the table of omnirctl commands and the one function that
 * reads an argv through it. Each entry names the words typed, the control
 * command sent, its positional arguments and its options; a word is turned
 * into JSON by the kind of its slot, so adding a command is adding a row.
 *
 * The global options (-s, --json, -q, -h, -V) are a second, small table; they
 * are read before the command and among its arguments, so "proxy list --json"
 * works. The same tables answer shell completion (grammar_complete).
 *
 * Besides the table the grammar knows a few things: "--" ends the options,
 * "--flag=value" is the same as "--flag value", and "help [WORDS]" or a
 * command followed by -h or --help asks for the usage text, not a request. Files named on the command line
 * (proxy import, backup import) are read here, so the request that leaves is
 * complete; "-" is standard input.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar.h"

/* The largest JSON file a command reads (the reply side's cap). */
#define JSON_FILE_MAX		(64 * 1024 * 1024)
#define SYNOPSIS_MAX		512
#define USAGE_WIDTH		78
#define USAGE_INDENT		"  "
#define USAGE_CONTINUED		"    "
#define USAGE_HELP_INDENT	"      "

static const struct grammar_option proxy_list_options[] = {
	{ "--limit",	"limit",	VALUE_INT,	"N" },
	{ "--offset",	"offset",	VALUE_INT,	"N" },
	{ "--search",	"q",		VALUE_STRING,	"TEXT" },
	{ "--type",	"type",		VALUE_STRING,	"http|https|socks5|socks4" },
	{ "--status",	"status",	VALUE_STRING,	"active|inactive" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option proxy_record_options[] = {
	{ "--name",	"name",		VALUE_STRING,		"NAME" },
	{ "--host",	"host",		VALUE_STRING,		"HOST" },
	{ "--port",	"port",		VALUE_INT_OR_STRING,	"PORT" },
	{ "--type",	"type",		VALUE_STRING,		"http|https|socks5" },
	{ "--username",	"username",	VALUE_STRING,		"USER" },
	{ "--password",	"password",	VALUE_STRING,		"PASSWORD" },
	{ "--region",	"region",	VALUE_STRING,		"REGION" },
	{ "--notes",	"notes",	VALUE_STRING,		"NOTES" },
	{ "--status",	"status",	VALUE_STRING,		"active|inactive" },
	{ NULL,		NULL,		VALUE_STRING,		NULL },
};

static const struct grammar_option force_options[] = {
	{ "--force",	"force",	VALUE_FLAG,	NULL },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option health_options[] = {
	{ "--hours",	"hours",	VALUE_INT,	"N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option health_series_options[] = {
	{ "--hours",	"hours",	VALUE_INT,	"N" },
	{ "--buckets",	"buckets",	VALUE_INT,	"N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option assign_list_options[] = {
	{ "--proxy",	"proxyId",	VALUE_STRING,	"PROXY" },
	{ "--scope",	"scope",	VALUE_STRING,	"SCOPE" },
	{ "--scope-id",	"scopeId",	VALUE_STRING,	"SCOPE_ID" },
	{ "--limit",	"limit",	VALUE_INT,	"N" },
	{ "--offset",	"offset",	VALUE_INT,	"N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option pool_strategy_options[] = {
	{ "--sticky-window-minutes", "stickyWindowMinutes", VALUE_INT, "N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option resolve_options[] = {
	{ "--provider",	"provider",	VALUE_STRING,	"PROVIDER" },
	{ "--combo",	"combo",	VALUE_STRING,	"COMBO" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option secrets_options[] = {
	{ "--secrets",	"secrets",	VALUE_FLAG,	NULL },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option proxy_test_options[] = {
	{ "--url",	"url",		VALUE_STRING,	"URL" },
	{ "--timeout-ms", "timeoutMs",	VALUE_INT,	"N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option upstream_options[] = {
	{ "--disabled",	"enabled",	VALUE_FALSE_FLAG,	NULL },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option oneproxy_list_options[] = {
	{ "--protocol",	"protocol",	VALUE_STRING,	"http|https|socks4|socks5" },
	{ "--country",	"countryCode",	VALUE_STRING,	"CC" },
	{ "--min-quality", "minQuality", VALUE_INT,	"N" },
	{ "--limit",	"limit",	VALUE_INT,	"N" },
	{ "--offset",	"offset",	VALUE_INT,	"N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option conn_test_options[] = {
	{ "--timeout-ms", "timeoutMs",	VALUE_INT,	"N" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option provider_options[] = {
	{ "--name",	"name",		VALUE_STRING,	"NAME" },
	{ "--base-url",	"baseUrl",	VALUE_STRING,	"URL" },
	{ "--auth",	"authStyle",	VALUE_STRING,	"bearer|x-api-key|none" },
	{ "--header",	"headers",	VALUE_HEADER,	"'NAME: VALUE'" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option conn_options[] = {
	{ "--name",	"name",		VALUE_STRING,	"NAME" },
	{ "--key",	"key",		VALUE_STRING,	"KEY" },
	{ "--priority",	"priority",	VALUE_INT,	"N" },
	{ "--status",	"status",	VALUE_STRING,	"active|inactive" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

static const struct grammar_option conn_list_options[] = {
	{ "--provider",	"provider",	VALUE_STRING,	"PROVIDER" },
	{ NULL,		NULL,		VALUE_STRING,	NULL },
};

#define POS_ID		{ "ID", "id", ARG_STRING, false }
#define POS_SCOPE	{ "SCOPE", "scope", ARG_STRING, false }
#define POS_SCOPE_ID	{ "SCOPE_ID", "scopeId", ARG_SCOPE_ID, false }
#define POS_PROXY	{ "PROXY", "proxyId", ARG_STRING, false }
/* a proxy by id or by name: the master tells which */
#define POS_PROXY_ID	{ "PROXY", "id", ARG_STRING, false }

const struct grammar_command grammar_table[] = {
	{
		.words = "proxy list", .command = "proxy.list",
		.options = proxy_list_options,
		.help = "list proxies, newest first; --search finds TEXT in "
		    "name, host, region or notes (any case)",
	}, {
		.words = "proxy get", .command = "proxy.get",
		.positionals = { POS_PROXY_ID },
		.help = "show one proxy; PROXY is its id or its name",
	}, {
		.words = "proxy add", .command = "proxy.add",
		.options = proxy_record_options,
		.required = { "--name", "--host", "--port" },
		.quiet_field = "id",
		.help = "add a proxy (type http unless given, status active); names "
		    "are unique, case-insensitive",
	}, {
		.words = "proxy update", .command = "proxy.update",
		.positionals = { POS_PROXY_ID },
		.options = proxy_record_options,
		.help = "change a proxy; fields not given keep their value",
	}, {
		.words = "proxy delete", .command = "proxy.delete",
		.positionals = { POS_PROXY_ID },
		.options = force_options,
		.help = "delete a proxy; --force also removes its assignments",
	}, {
		.words = "proxy import", .command = "proxy.import",
		.positionals = { { "FILE", NULL, ARG_ITEMS_FILE, false } },
		.help = "add or update proxies (matched by host and port) from a "
		    "JSON file, {\"items\":[...]} or a bare array; - is stdin",
	}, {
		.words = "proxy where-used", .command = "proxy.where_used",
		.positionals = { POS_PROXY_ID },
		.help = "list the assignments that use a proxy",
	}, {
		.words = "proxy health", .command = "proxy.health",
		.options = health_options,
		.help = "request outcomes per proxy over the last N hours "
		    "(default 24)",
	}, {
		.words = "proxy health-series", .command = "proxy.health_series",
		.positionals = { POS_PROXY },
		.options = health_series_options,
		.help = "one proxy's outcomes over the last N hours (default 24) "
		    "in buckets (default 24), by stage of failure",
	}, {
		.words = "assign set", .command = "assign.set",
		.positionals = { POS_SCOPE, POS_SCOPE_ID, POS_PROXY },
		.help = "assign a proxy, or the word direct, to a scope (global, "
		    "provider, account, combo, key); global takes no SCOPE_ID",
	}, {
		.words = "assign remove", .command = "assign.set",
		.positionals = { POS_SCOPE, POS_SCOPE_ID },
		.preset = "{\"proxyId\":null}",
		.help = "remove a scope's assignment",
	}, {
		.words = "assign bulk", .command = "assign.bulk",
		.positionals = { POS_SCOPE, POS_PROXY,
		    { "SCOPE_ID", "scopeIds", ARG_SCOPE_ID_LIST, false } },
		.help = "assign one proxy to many scope ids",
	}, {
		.words = "assign list", .command = "assign.list",
		.options = assign_list_options,
		.help = "list assignments, optionally filtered; POOL is each "
		    "scope's number of members",
	}, {
		.words = "pool show", .command = "pool.show",
		.positionals = { POS_SCOPE, POS_SCOPE_ID },
		.help = "show a scope's pool: strategy, sticky window and members "
		    "in order, with their egress IPs",
	}, {
		.words = "pool add", .command = "pool.add",
		.positionals = { POS_SCOPE, POS_SCOPE_ID, POS_PROXY },
		.quiet_field = "total",
		.help = "append a proxy to a scope's pool (a scope without an "
		    "assignment gets a pool of one); -q prints the pool's size",
	}, {
		.words = "pool remove", .command = "pool.remove",
		.positionals = { POS_SCOPE, POS_SCOPE_ID, POS_PROXY },
		.help = "remove a proxy from a scope's pool; removing the last "
		    "member removes the assignment",
	}, {
		.words = "pool strategy", .command = "pool.update",
		.positionals = { POS_SCOPE, POS_SCOPE_ID,
		    { "STRATEGY", "strategy", ARG_STRING, false } },
		.options = pool_strategy_options,
		.help = "set a pool's strategy: round-robin, random, sticky, "
		    "latency or quality (sticky keeps each connection on its member "
		    "for --sticky-window-minutes, 1..1440, default 30)",
	}, {
		.words = "pool move", .command = "pool.update",
		.positionals = { POS_SCOPE, POS_SCOPE_ID, POS_PROXY,
		    { "POSITION", "position", ARG_STRING, false } },
		.help = "move a member of a scope's pool to POSITION (0-based, as "
		    "pool show numbers them); the others keep their order",
	}, {
		.words = "resolve", .command = "resolve",
		.positionals = { { "CONN", "connectionId", ARG_STRING, false } },
		.options = resolve_options,
		.help = "show which proxy a connection's requests leave through, "
		    "and why",
	}, {
		.words = "egress map", .command = "egress.map",
		.help = "every provider, connection and combo with the egress its "
		    "calls would use now, in one answer",
	}, {
		.words = "proxy test", .command = "proxy.test",
		.positionals = { POS_PROXY_ID },
		.options = proxy_test_options,
		.probe = true,
		.help = "probe a proxy: connect, handshake, TLS and an HTTP GET "
		    "through it; reports the stage that failed (exit 1 when it "
		    "failed)",
	}, {
		.words = "proxy egress", .command = "proxy.egress",
		.positionals = { POS_PROXY_ID },
		.options = proxy_test_options,
		.probe = true,
		.help = "find and store a proxy's egress IP: the address "
		    "egress_check_url (or --url) sees when called through it "
		    "(exit 1 when the check failed)",
	}, {
		.words = "provider list", .command = "provider.list",
		.help = "the built-in provider catalog and custom providers",
	}, {
		.words = "provider get", .command = "provider.get",
		.positionals = { POS_ID },
		.help = "show one provider",
	}, {
		.words = "provider add", .command = "provider.add",
		.positionals = { POS_ID },
		.options = provider_options,
		.required = { "--base-url" },
		.quiet_field = "id",
		.help = "add a custom provider (auth bearer unless given; "
		    "--header may repeat)",
	}, {
		.words = "provider update", .command = "provider.update",
		.positionals = { POS_ID },
		.options = provider_options,
		.help = "change a provider (a built-in one gets an override); "
		    "--header replaces all extra headers",
	}, {
		.words = "provider delete", .command = "provider.delete",
		.positionals = { POS_ID },
		.help = "delete a custom provider, or a built-in one's override",
	}, {
		.words = "conn list", .command = "conn.list",
		.options = conn_list_options,
		.help = "list connections (provider accounts)",
	}, {
		.words = "conn get", .command = "conn.get",
		.positionals = { POS_ID },
		.help = "show one connection",
	}, {
		.words = "conn add", .command = "conn.add",
		.positionals = { { "PROVIDER", "provider", ARG_STRING, false } },
		.options = conn_options,
		.required = { "--name" },
		.quiet_field = "id",
		.help = "add a connection; its API key is encrypted at rest",
	}, {
		.words = "conn update", .command = "conn.update",
		.positionals = { POS_ID },
		.options = conn_options,
		.help = "change a connection; fields not given keep their value",
	}, {
		.words = "conn delete", .command = "conn.delete",
		.positionals = { POS_ID },
		.help = "delete a connection",
	}, {
		.words = "conn test", .command = "conn.test",
		.positionals = { POS_ID },
		.options = conn_test_options,
		.probe = true,
		.help = "test a connection: GET {baseUrl}/models with its key, "
		    "through the proxy its calls use (exit 1 when it failed)",
	}, {
		.words = "combo list", .command = "combo.list",
		.help = "list combos",
	}, {
		.words = "combo get", .command = "combo.get",
		.positionals = { { "NAME", "name", ARG_STRING, false } },
		.help = "show one combo",
	}, {
		.words = "combo add", .command = "combo.add",
		.positionals = { { "NAME", "name", ARG_STRING, false },
		    { "TARGET", "targets", ARG_SCOPE_ID_LIST, false } },
		.quiet_field = "id",
		.help = "add a combo of provider/model targets, tried in order",
	}, {
		.words = "combo update", .command = "combo.update",
		.positionals = { { "NAME", "name", ARG_STRING, false },
		    { "TARGET", "targets", ARG_SCOPE_ID_LIST, false } },
		.help = "replace a combo's targets",
	}, {
		.words = "combo delete", .command = "combo.delete",
		.positionals = { { "NAME", "name", ARG_STRING, false } },
		.help = "delete a combo",
	}, {
		.words = "apikey list", .command = "apikey.list",
		.help = "list client API keys (never the keys themselves)",
	}, {
		.words = "apikey add", .command = "apikey.add",
		.positionals = { { "NAME", "name", ARG_STRING, false } },
		.quiet_field = "key",
		.help = "create a client API key for /v1 calls; it is shown once "
		    "(-q prints only the key)",
	}, {
		.words = "apikey delete", .command = "apikey.delete",
		.positionals = { POS_ID },
		.help = "revoke a client API key",
	}, {
		.words = "upstream get", .command = "upstream.get",
		.positionals = { { "PROVIDER", "providerId", ARG_STRING, false } },
		.help = "a provider's upstream mode (native unless set)",
	}, {
		.words = "upstream set", .command = "upstream.set",
		.positionals = { { "PROVIDER", "providerId", ARG_STRING, false },
		    { "MODE", "mode", ARG_STRING, false } },
		.options = upstream_options,
		.help = "native, cliproxyapi (every call to CLIPROXYAPI_URL) or "
		    "fallback (CLIProxyAPI when native fails before any byte)",
	}, {
		.words = "upstream delete", .command = "upstream.delete",
		.positionals = { { "PROVIDER", "providerId", ARG_STRING, false } },
		.help = "back to native",
	}, {
		.words = "oneproxy sync", .command = "oneproxy.sync",
		.probe = true,
		.help = "fetch the 1proxy feed through the global proxy and import its rows; "
		    "shows progress on a terminal, then one line with the outcome",
	}, {
		.words = "oneproxy list", .command = "oneproxy.list",
		.options = oneproxy_list_options,
		.help = "active 1proxy rows, best quality first",
	}, {
		.words = "oneproxy stats", .command = "oneproxy.stats",
		.help = "1proxy rows by protocol and country, and the sync status",
	}, {
		.words = "oneproxy status", .command = "oneproxy.status",
		.help = "the last 1proxy sync and the circuit breaker",
	}, {
		.words = "oneproxy rotate", .command = "oneproxy.rotate",
		.positionals = { { "STRATEGY", "strategy", ARG_STRING, true } },
		.help = "the next 1proxy row: quality (default), random or sequential "
		    "(walks them all, wrapping)",
	}, {
		.words = "oneproxy reset", .command = "oneproxy.reset",
		.help = "close the 1proxy circuit breaker",
	}, {
		.words = "oneproxy delete", .command = "oneproxy.delete",
		.positionals = { POS_ID },
		.help = "delete one 1proxy row and its assignments",
	}, {
		.words = "oneproxy clear", .command = "oneproxy.delete",
		.preset = "{\"clearAll\":true}",
		.help = "delete every 1proxy row and their assignments (manual rows stay)",
	}, {
		.words = "legacy migrate", .command = "legacy.migrate",
		.options = force_options,
		.help = "copy the legacy key_value proxy config into the registry; "
		    "--force even when the registry is not empty",
	}, {
		.words = "backup export", .command = "backup.export",
		.positionals = { { "FILE", NULL, ARG_OUTPUT_FILE, true } },
		.options = secrets_options,
		.help = "write a backup to FILE (or stdout); secrets only with "
		    "--secrets, and then FILE is mode 0600",
	}, {
		.words = "backup import", .command = "backup.import",
		.positionals = { { "FILE", NULL, ARG_OBJECT_FILE, false } },
		.help = "restore a backup file in one transaction; - is stdin",
	}, {
		.words = "workers", .command = "workers",
		.help = "list the worker processes",
	}, {
		.words = "status", .command = "status",
		.help = "show the master's state",
	}, {
		.words = "reload", .command = "reload",
		.help = "re-read the configuration and replace the workers",
	}, {
		.words = "version", .command = "version",
		.help = "show the versions of omnirctl and of the master",
	}, {
		.words = "help server", .command = "help",
		.help = "list the master's control commands",
	}, {
		.words = "raw", .command = NULL,
		.positionals = { { "LINE", NULL, ARG_RAW_LINE, false } },
		.help = "send LINE to the master as it is and print the reply JSON",
	},
};

const size_t grammar_table_len = sizeof(grammar_table) / sizeof(grammar_table[0]);

/* The order is the usage line's. */
enum global_kind { GLOBAL_SOCKET, GLOBAL_JSON, GLOBAL_QUIET, GLOBAL_HELP,
	GLOBAL_VERSION };

const struct grammar_global_option grammar_global_options[] = {
	[GLOBAL_SOCKET]		= { "-s", "--socket", "SOCKET",
	    "the master's control socket (else $OMNIROUTE_CONTROL_SOCKET, else "
	    "$OMNIROUTE_DATA_DIR/omnirouted.sock, else ./data/omnirouted.sock)" },
	[GLOBAL_JSON]		= { NULL, "--json", NULL,
	    "print the reply as the master's JSON" },
	[GLOBAL_QUIET]		= { "-q", "--quiet", NULL,
	    "add commands: print only the new id (apikey add: the key)" },
	[GLOBAL_HELP]		= { "-h", "--help", NULL,
	    "print the commands (after a command: its usage)" },
	[GLOBAL_VERSION]	= { "-V", "--version", NULL,
	    "print omnirctl's version and exit" },
};

const size_t grammar_global_options_len =
    sizeof(grammar_global_options) / sizeof(grammar_global_options[0]);

/* One option seen on the command line, applied once the positionals are in. */
struct option_use {
	const struct grammar_option	*option;
	const char			*value;		/* NULL for a flag */
};

struct parse_state {
	const struct grammar_command	*command;
	struct grammar_request		*req;
	char				*err;
	size_t				 errlen;
};

static enum grammar_result __attribute__((format(printf, 2, 3)))
fail(struct parse_state *ps, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (ps->command != NULL)
		snprintf(ps->err, ps->errlen, "%s: %s", ps->command->words, message);
	else
		snprintf(ps->err, ps->errlen, "%s", message);
	return GRAMMAR_USAGE;
}

/* Positional slots: one taker per kind (the table follows them). */

typedef enum grammar_result (*take_fn)(struct parse_state *,
    const struct grammar_positional *, char **words, int nwords, int *used);

static bool
scope_is_global(struct json_object *args)
{
	struct json_object *scope;

	return json_object_object_get_ex(args, "scope", &scope) &&
	    json_object_is_type(scope, json_type_string) &&
	    strcasecmp(json_object_get_string(scope), "global") == 0;
}

static enum grammar_result
take_string(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	*used = 0;
	if (nwords == 0) {
		if (pos->optional)
			return GRAMMAR_SEND;
		return fail(ps, "missing %s", pos->metavar);
	}
	json_object_object_add(ps->req->args, pos->field,
	    json_object_new_string(words[0]));
	*used = 1;
	return GRAMMAR_SEND;
}

static enum grammar_result
take_scope_id(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	*used = 0;
	if (scope_is_global(ps->req->args))
		return GRAMMAR_SEND;
	return take_string(ps, pos, words, nwords, used);
}

static enum grammar_result
take_scope_id_list(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	struct json_object *list;
	int i;

	*used = 0;
	if (scope_is_global(ps->req->args))
		nwords = 0;
	else if (nwords == 0)
		return fail(ps, "missing %s", pos->metavar);
	list = json_object_new_array();
	for (i = 0; i < nwords; i++)
		json_object_array_add(list, json_object_new_string(words[i]));
	json_object_object_add(ps->req->args, pos->field, list);
	*used = nwords;
	return GRAMMAR_SEND;
}

/* The whole of fp, NUL-terminated; NULL with errno set on failure. */
static char *
read_all(FILE *fp, size_t *lenp)
{
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0, n;

	for (;;) {
		if (cap - len < 4096) {
			if (cap >= JSON_FILE_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if ((grown = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static bool
only_space(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* Read and parse the JSON file at path ("-" = stdin). */
static enum grammar_result
read_json_file(struct parse_state *ps, const char *path, struct json_object **out)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct json_object *obj;
	FILE *fp;
	char *text;
	size_t len, end;
	bool from_stdin = strcmp(path, "-") == 0;

	*out = NULL;
	if ((fp = from_stdin ? stdin : fopen(path, "r")) == NULL)
		return fail(ps, "cannot open %s: %s", path, strerror(errno));
	text = read_all(fp, &len);
	if (text == NULL) {
		int saved = errno;

		if (!from_stdin)
			fclose(fp);
		return fail(ps, "cannot read %s: %s",
		    from_stdin ? "standard input" : path, strerror(saved));
	}
	if (!from_stdin)
		fclose(fp);
	if (from_stdin)
		path = "standard input";
	if (len >= INT_MAX) {
		free(text);
		return fail(ps, "%s is too large", path);
	}
	if ((tok = json_tokener_new()) == NULL) {
		free(text);
		return fail(ps, "out of memory reading %s", path);
	}
	/* With its NUL the text has an end, so a bare number is complete. */
	obj = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (end > len)
		end = len;
	if (obj == NULL || jerr != json_tokener_success ||
	    !only_space(text + end, len - end)) {
		const char *why = jerr != json_tokener_success ?
		    json_tokener_error_desc(jerr) : "text after the JSON value";

		free(text);
		json_object_put(obj);
		return fail(ps, "%s is not JSON: %s", path, why);
	}
	free(text);
	*out = obj;
	return GRAMMAR_SEND;
}

/* Replace the arguments built so far with a file's own object. */
static void
replace_args(struct parse_state *ps, struct json_object *obj)
{
	json_object_put(ps->req->args);
	ps->req->args = obj;
}

static enum grammar_result
take_items_file(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	struct json_object *obj, *wrapped;

	*used = 0;
	if (nwords == 0)
		return fail(ps, "missing %s", pos->metavar);
	if (read_json_file(ps, words[0], &obj) != GRAMMAR_SEND)
		return GRAMMAR_USAGE;
	if (json_object_is_type(obj, json_type_array)) {
		wrapped = json_object_new_object();
		json_object_object_add(wrapped, "items", obj);
		obj = wrapped;
	} else if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return fail(ps, "%s holds neither a JSON object nor an array",
		    words[0]);
	}
	replace_args(ps, obj);
	*used = 1;
	return GRAMMAR_SEND;
}

static enum grammar_result
take_object_file(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	struct json_object *obj;

	*used = 0;
	if (nwords == 0)
		return fail(ps, "missing %s", pos->metavar);
	if (read_json_file(ps, words[0], &obj) != GRAMMAR_SEND)
		return GRAMMAR_USAGE;
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return fail(ps, "%s does not hold a JSON object", words[0]);
	}
	replace_args(ps, obj);
	*used = 1;
	return GRAMMAR_SEND;
}

static enum grammar_result
take_output_file(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	*used = 0;
	if (nwords == 0) {
		if (pos->optional)
			return GRAMMAR_SEND;
		return fail(ps, "missing %s", pos->metavar);
	}
	ps->req->output_file = words[0];
	*used = 1;
	return GRAMMAR_SEND;
}

static enum grammar_result
take_raw_line(struct parse_state *ps, const struct grammar_positional *pos,
    char **words, int nwords, int *used)
{
	size_t len = 0;
	char *line;
	int i;

	*used = 0;
	if (nwords == 0)
		return fail(ps, "missing %s", pos->metavar);
	for (i = 0; i < nwords; i++) {
		if (strchr(words[i], '\n') != NULL)
			return fail(ps, "a line cannot contain a newline");
		len += strlen(words[i]) + 1;
	}
	if ((line = malloc(len)) == NULL)
		return fail(ps, "out of memory");
	len = 0;
	for (i = 0; i < nwords; i++) {
		size_t wlen = strlen(words[i]);
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, words[i], wlen);
		len += wlen;
	}
	line[len] = '\0';
	ps->req->raw_line = line;
	*used = nwords;
	return GRAMMAR_SEND;
}

/* Option values: one converter per type, and what it wants when it fails. */

typedef bool (*convert_fn)(const char *value, struct json_object **out);

static bool
parse_integer(const char *s, long long *out)
{
	char *end;

	if (*s == '\0' || *s == ' ' || *s == '\t')
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool
convert_string(const char *value, struct json_object **out)
{
	*out = json_object_new_string(value);
	return true;
}

static bool
convert_int(const char *value, struct json_object **out)
{
	long long n;

	if (!parse_integer(value, &n))
		return false;
	*out = json_object_new_int64(n);
	return true;
}

static bool
convert_int_or_string(const char *value, struct json_object **out)
{
	long long n;

	*out = parse_integer(value, &n) ? json_object_new_int64(n) :
	    json_object_new_string(value);
	return true;
}

static bool
convert_flag(const char *value, struct json_object **out)
{
	*out = json_object_new_boolean(value == NULL);
	return true;
}

static bool
convert_false_flag(const char *value, struct json_object **out)
{
	(void)value;
	*out = json_object_new_boolean(0);
	return true;
}

/* "Name: value" → {"Name":"value"} (merged with earlier ones by the caller). */
static bool
convert_header(const char *value, struct json_object **out)
{
	const char *colon = strchr(value, ':'), *v;

	if (colon == NULL || colon == value)
		return false;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	*out = json_object_new_object();
	{
		char name[128];
		size_t len = (size_t)(colon - value);
		if (len >= sizeof(name)) {
			json_object_put(*out);
			return false;
		}
		memcpy(name, value, len);
		name[len] = '\0';
		json_object_object_add(*out, name, json_object_new_string(v));
	}
	return true;
}

static const struct {
	convert_fn	 convert;
	const char	*wants;
} value_types[] = {
	[VALUE_STRING]		= { convert_string,		"a word" },
	[VALUE_INT]		= { convert_int,		"an integer" },
	[VALUE_INT_OR_STRING]	= { convert_int_or_string,	"a word" },
	[VALUE_FLAG]		= { convert_flag,		"no value" },
	[VALUE_FALSE_FLAG]	= { convert_false_flag,		"no value" },
	[VALUE_HEADER]		= { convert_header,		"'Name: value'" },
};

/* Words of the table entry (space-separated) matched against argv. */
static int
words_matched(const char *words, int argc, char **argv)
{
	const char *w = words, *space;
	size_t len;
	int i;

	for (i = 0; *w != '\0'; i++) {
		space = strchr(w, ' ');
		len = space != NULL ? (size_t)(space - w) : strlen(w);
		if (i >= argc || strlen(argv[i]) != len ||
		    strncmp(argv[i], w, len) != 0)
			return 0;
		w += len;
		while (*w == ' ')
			w++;
	}
	return i;
}

static bool
names_family(const char *word)
{
	size_t i, len = strlen(word);

	for (i = 0; i < grammar_table_len; i++) {
		const char *words = grammar_table[i].words;

		if (strncmp(words, word, len) == 0 &&
		    (words[len] == ' ' || words[len] == '\0'))
			return true;
	}
	return false;
}

static const struct grammar_option *
option_find(const struct grammar_command *cmd, const char *flag, size_t len)
{
	const struct grammar_option *opt;

	for (opt = cmd->options; opt != NULL && opt->flag != NULL; opt++)
		if (strlen(opt->flag) == len && strncmp(opt->flag, flag, len) == 0)
			return opt;
	return NULL;
}

static bool
takes_raw_line(const struct grammar_command *cmd)
{
	return cmd->positionals[0].metavar != NULL &&
	    cmd->positionals[0].kind == ARG_RAW_LINE;
}

static void
set_global(struct grammar_globals *g, enum global_kind kind, const char *value)
{
	switch (kind) {
	case GLOBAL_SOCKET:	g->socket = value;	break;
	case GLOBAL_JSON:	g->json = true;		break;
	case GLOBAL_QUIET:	g->quiet = true;	break;
	case GLOBAL_HELP:	g->help = true;		break;
	case GLOBAL_VERSION:	g->version = true;	break;
	}
}

/*
 * The global option at words[*i], if it is one ("-s X", "-sX", "--socket X",
 * "--socket=X", "--json", ...): set in req->globals, its value word taken.
 * 1 taken, 0 not a global option, -1 usage error.
 */
static int
take_global(struct parse_state *ps, char **words, int nwords, int *i)
{
	const struct grammar_global_option *g;
	const char *word = words[*i], *value = NULL;
	size_t k, len;

	for (k = 0; k < grammar_global_options_len; k++) {
		g = &grammar_global_options[k];
		len = strlen(g->long_flag);
		if (strcmp(word, g->long_flag) == 0 ||
		    (g->short_flag != NULL && strcmp(word, g->short_flag) == 0)) {
			if (g->metavar != NULL && *i + 1 >= nwords)
				return fail(ps, "%s needs a value (%s)", word, g->metavar);
			if (g->metavar != NULL)
				value = words[++*i];
		} else if (strncmp(word, g->long_flag, len) == 0 && word[len] == '=') {
			if (g->metavar == NULL)
				return fail(ps, "%s takes no value", g->long_flag);
			value = word + len + 1;
		} else if (g->metavar != NULL && g->short_flag != NULL &&
		    strncmp(word, g->short_flag, 2) == 0 && word[2] != '\0')
			value = word + 2;
		else
			continue;
		if (g->metavar != NULL && *value == '\0')
			return fail(ps, "%s needs a value (%s)", g->long_flag, g->metavar);
		set_global(&ps->req->globals, (enum global_kind)k, value);
		return 1;
	}
	return 0;
}

/*
 * Split the words after the command into options and positional words. The
 * option at words[*i] may take the next word as its value.
 */
static enum grammar_result
scan_option(struct parse_state *ps, char **words, int nwords, int *i,
    struct option_use *use)
{
	const char *word = words[*i], *eq = strchr(word, '=');
	size_t flaglen = eq != NULL && word[1] == '-' ? (size_t)(eq - word) :
	    strlen(word);
	const struct grammar_option *opt = option_find(ps->command, word, flaglen);

	use->option = NULL;
	if (opt == NULL) {
		switch (take_global(ps, words, nwords, i)) {
		case 1:
			return GRAMMAR_SEND;
		case 0:
			return fail(ps, "unknown option %.*s", (int)flaglen, word);
		default:
			return GRAMMAR_USAGE;
		}
	}
	use->option = opt;
	use->value = NULL;
	if (opt->type == VALUE_FLAG || opt->type == VALUE_FALSE_FLAG) {
		if (flaglen != strlen(word))
			return fail(ps, "%s takes no value", opt->flag);
		return GRAMMAR_SEND;
	}
	if (flaglen != strlen(word))
		use->value = word + flaglen + 1;
	else if (*i + 1 < nwords)
		use->value = words[++*i];
	else
		return fail(ps, "%s needs a value (%s)", opt->flag, opt->metavar);
	return GRAMMAR_SEND;
}

static enum grammar_result
apply_options(struct parse_state *ps, const struct option_use *uses, int nuses)
{
	struct json_object *value;
	int i;

	for (i = 0; i < nuses; i++) {
		const struct grammar_option *opt = uses[i].option;

		if (opt == NULL)	/* a global option */
			continue;
		if (!value_types[opt->type].convert(uses[i].value, &value))
			return fail(ps, "%s wants %s, not '%s'", opt->flag,
			    value_types[opt->type].wants, uses[i].value);
		if (opt->type == VALUE_HEADER) {
			struct json_object *all;
			if (!json_object_object_get_ex(ps->req->args, opt->field, &all)) {
				json_object_object_add(ps->req->args, opt->field, value);
				continue;
			}
			json_object_object_foreach(value, hname, hvalue)
				json_object_object_add(all, hname, json_object_get(hvalue));
			json_object_put(value);
			continue;
		}
		json_object_object_add(ps->req->args, opt->field, value);
	}
	return GRAMMAR_SEND;
}

static enum grammar_result
check_required(struct parse_state *ps)
{
	const struct grammar_option *opt;
	size_t i;

	for (i = 0; i < GRAMMAR_REQUIRED_MAX && ps->command->required[i] != NULL;
	    i++) {
		opt = option_find(ps->command, ps->command->required[i],
		    strlen(ps->command->required[i]));
		if (opt != NULL &&
		    !json_object_object_get_ex(ps->req->args, opt->field, NULL))
			return fail(ps, "missing %s %s", opt->flag, opt->metavar);
	}
	return GRAMMAR_SEND;
}

/* Each kind of positional slot: its taker and its synopsis form. */
static const struct {
	take_fn		 take;
	const char	*synopsis;	/* printf form of the metavar */
} arg_kinds[] = {
	[ARG_STRING]		= { take_string,	 "%s" },
	[ARG_SCOPE_ID]		= { take_scope_id,	 "[%s]" },
	[ARG_SCOPE_ID_LIST]	= { take_scope_id_list, "[%s...]" },
	[ARG_ITEMS_FILE]	= { take_items_file,	 "%s" },
	[ARG_OBJECT_FILE]	= { take_object_file,	 "%s" },
	[ARG_OUTPUT_FILE]	= { take_output_file,	 "%s" },
	[ARG_RAW_LINE]		= { take_raw_line,	 "%s..." },
};

static enum grammar_result
take_positionals(struct parse_state *ps, char **words, int nwords)
{
	const struct grammar_positional *pos;
	int used = 0, n, i;

	for (i = 0; i < GRAMMAR_POSITIONALS_MAX; i++) {
		pos = &ps->command->positionals[i];
		if (pos->metavar == NULL)
			break;
		if (arg_kinds[pos->kind].take(ps, pos, words + used,
		    nwords - used, &n) != GRAMMAR_SEND)
			return GRAMMAR_USAGE;
		used += n;
	}
	if (used < nwords)
		return fail(ps, "unexpected argument '%s'", words[used]);
	return GRAMMAR_SEND;
}

static enum grammar_result
parse_arguments(struct parse_state *ps, char **words, int nwords)
{
	struct option_use *uses;
	char **positional;
	enum grammar_result rc = GRAMMAR_USAGE;
	int i, nuses = 0, npositional = 0;
	bool options_end = takes_raw_line(ps->command);

	if (ps->command->preset != NULL)
		ps->req->args = json_tokener_parse(ps->command->preset);
	else
		ps->req->args = json_object_new_object();
	uses = calloc((size_t)nwords + 1, sizeof(*uses));
	positional = calloc((size_t)nwords + 1, sizeof(*positional));
	if (ps->req->args == NULL || uses == NULL || positional == NULL) {
		fail(ps, "out of memory");
		goto done;
	}
	for (i = 0; i < nwords; i++) {
		const char *word = words[i];

		if (!options_end && strcmp(word, "--") == 0)
			options_end = true;
		else if (!options_end && word[0] == '-' && word[1] != '\0') {
			if (scan_option(ps, words, nwords, &i, &uses[nuses++]) !=
			    GRAMMAR_SEND)
				goto done;
		} else
			positional[npositional++] = words[i];
	}
	if (take_positionals(ps, positional, npositional) != GRAMMAR_SEND ||
	    apply_options(ps, uses, nuses) != GRAMMAR_SEND ||
	    check_required(ps) != GRAMMAR_SEND)
		goto done;
	if (ps->req->raw_line != NULL) {
		json_object_put(ps->req->args);
		ps->req->args = NULL;
	}
	rc = GRAMMAR_SEND;
done:
	free(uses);
	free(positional);
	return rc;
}

/* "-h" or "--help" among a command's options: its usage, not a request. */
static bool
asks_for_help(const struct grammar_command *cmd, int nwords, char **words)
{
	int i;

	if (takes_raw_line(cmd))
		return false;
	for (i = 0; i < nwords && strcmp(words[i], "--") != 0; i++)
		if ((strcmp(words[i], "-h") == 0 || strcmp(words[i], "--help") == 0) &&
		    option_find(cmd, words[i], strlen(words[i])) == NULL)
			return true;
	return false;
}

/* What a refused request had built; what was recognised stays. */
static void
drop_arguments(struct grammar_request *req)
{
	json_object_put(req->args);
	req->args = NULL;
	free(req->raw_line);
	req->raw_line = NULL;
	req->output_file = NULL;
}

/* The command words and their arguments; req is already cleared. */
static enum grammar_result
parse_command(int argc, char **argv, struct grammar_request *req, char *err,
    size_t errlen)
{
	struct parse_state ps = { NULL, req, err, errlen };
	const struct grammar_command *best = NULL;
	int matched = 0, n;
	size_t i;

	if (argc < 1)
		return fail(&ps, "missing command");
	for (i = 0; i < grammar_table_len; i++) {
		n = words_matched(grammar_table[i].words, argc, argv);
		if (n > matched) {
			matched = n;
			best = &grammar_table[i];
		}
	}
	if (names_family(argv[0]))
		req->family = argv[0];
	if (best == NULL) {
		if (strcmp(argv[0], "help") == 0) {
			req->help_argc = argc - 1;
			req->help_argv = argv + 1;
			return GRAMMAR_HELP;
		}
		if (req->family != NULL && argc == 1)
			return fail(&ps, "%s: missing subcommand", argv[0]);
		if (req->family != NULL && argv[1][0] == '-')
			return fail(&ps, "%s: the subcommand comes before %s",
			    argv[0], argv[1]);
		if (req->family != NULL)
			return fail(&ps, "unknown command '%s %s'", argv[0], argv[1]);
		return fail(&ps, "unknown command '%s'", argv[0]);
	}
	ps.command = req->command = best;
	if (asks_for_help(best, argc - matched, argv + matched)) {
		req->help_argc = matched;
		req->help_argv = argv;
		return GRAMMAR_HELP;
	}
	if (parse_arguments(&ps, argv + matched, argc - matched) != GRAMMAR_SEND) {
		drop_arguments(req);
		return GRAMMAR_USAGE;
	}
	return GRAMMAR_SEND;
}

enum grammar_result
grammar_parse(int argc, char **argv, struct grammar_request *req, char *err,
    size_t errlen)
{
	memset(req, 0, sizeof(*req));
	if (errlen > 0)
		err[0] = '\0';
	return parse_command(argc, argv, req, err, errlen);
}

enum grammar_result
grammar_parse_command_line(int argc, char **argv, struct grammar_request *req,
    char *err, size_t errlen)
{
	struct parse_state ps = { NULL, req, err, errlen };
	enum grammar_result rc;
	int at, taken;

	memset(req, 0, sizeof(*req));
	if (errlen > 0)
		err[0] = '\0';
	for (at = 0; at < argc; at++) {
		if (strcmp(argv[at], "--") == 0) {
			at++;
			break;
		}
		if (argv[at][0] != '-' || argv[at][1] == '\0')
			break;
		if ((taken = take_global(&ps, argv, argc, &at)) < 0)
			return GRAMMAR_USAGE;
		if (taken == 0)
			return fail(&ps, "unknown option %s", argv[at]);
	}
	if (req->globals.version)
		return GRAMMAR_VERSION;
	if (req->globals.help)
		return GRAMMAR_HELP;
	if (at >= argc)
		return fail(&ps, "missing command");
	rc = parse_command(argc - at, argv + at, req, err, errlen);
	if (req->globals.version) {
		drop_arguments(req);
		return GRAMMAR_VERSION;
	}
	if (rc == GRAMMAR_SEND && req->globals.quiet &&
	    req->command->quiet_field == NULL) {
		ps.command = req->command;
		drop_arguments(req);
		return fail(&ps, "-q prints the id an add command made; this "
		    "command adds nothing");
	}
	return rc;
}

void
grammar_request_free(struct grammar_request *req)
{
	json_object_put(req->args);
	free(req->raw_line);
	memset(req, 0, sizeof(*req));
}

int
grammar_build(int argc, char **argv, char *cmd_out, size_t cmd_len,
    struct json_object **args_out, char *err, size_t errlen)
{
	struct grammar_request req;
	enum grammar_result rc;
	const char *name;

	*args_out = NULL;
	if (cmd_len > 0)
		cmd_out[0] = '\0';
	rc = grammar_parse(argc, argv, &req, err, errlen);
	if (rc != GRAMMAR_SEND)
		return rc;
	name = req.raw_line != NULL ? req.raw_line : req.command->command;
	if (strlen(name) >= cmd_len) {
		snprintf(err, errlen, "%s: command line too long",
		    req.command->words);
		grammar_request_free(&req);
		return GRAMMAR_USAGE;
	}
	memcpy(cmd_out, name, strlen(name) + 1);
	*args_out = req.args;
	req.args = NULL;
	grammar_request_free(&req);
	return GRAMMAR_SEND;
}

/* Usage text. */

static void
append(char *out, size_t outlen, const char *fmt, const char *value)
{
	size_t len = strlen(out);

	if (len < outlen)
		snprintf(out + len, outlen - len, fmt, value);
}

static bool
option_is_required(const struct grammar_command *cmd, const char *flag)
{
	size_t i;

	for (i = 0; i < GRAMMAR_REQUIRED_MAX && cmd->required[i] != NULL; i++)
		if (strcmp(cmd->required[i], flag) == 0)
			return true;
	return false;
}

static void
append_option(char *out, size_t outlen, const struct grammar_option *opt,
    bool required)
{
	append(out, outlen, required ? " %s" : " [%s", opt->flag);
	if (opt->metavar != NULL)
		append(out, outlen, " %s", opt->metavar);
	if (!required)
		append(out, outlen, "%s", "]");
}

void
grammar_synopsis(const struct grammar_command *cmd, char *out, size_t outlen)
{
	const struct grammar_positional *pos;
	const struct grammar_option *opt;
	char slot[64];
	size_t i;

	if (outlen == 0)
		return;
	snprintf(out, outlen, "%s", cmd->words);
	for (i = 0; i < GRAMMAR_POSITIONALS_MAX; i++) {
		pos = &cmd->positionals[i];
		if (pos->metavar == NULL)
			break;
		snprintf(slot, sizeof(slot), arg_kinds[pos->kind].synopsis,
		    pos->metavar);
		append(out, outlen, pos->optional ? " [%s]" : " %s", slot);
	}
	for (i = 0; i < GRAMMAR_REQUIRED_MAX && cmd->required[i] != NULL; i++)
		if ((opt = option_find(cmd, cmd->required[i],
		    strlen(cmd->required[i]))) != NULL)
			append_option(out, outlen, opt, true);
	for (opt = cmd->options; opt != NULL && opt->flag != NULL; opt++)
		if (!option_is_required(cmd, opt->flag))
			append_option(out, outlen, opt, false);
}

/* Print text wrapped at spaces outside brackets. */
static void
print_wrapped(FILE *fp, const char *indent, const char *continued,
    const char *text)
{
	size_t column = strlen(indent), word_len;
	const char *p = text;
	int depth;
	bool first = true;

	fputs(indent, fp);
	while (*p != '\0') {
		for (word_len = 0, depth = 0; p[word_len] != '\0'; word_len++) {
			if (p[word_len] == '[')
				depth++;
			else if (p[word_len] == ']')
				depth--;
			else if (p[word_len] == ' ' && depth <= 0)
				break;
		}
		if (!first && column + 1 + word_len > USAGE_WIDTH) {
			fprintf(fp, "\n%s", continued);
			column = strlen(continued);
		} else if (!first) {
			fputc(' ', fp);
			column++;
		}
		fwrite(p, 1, word_len, fp);
		column += word_len;
		first = false;
		p += word_len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', fp);
}

static bool
matches_filter(const char *words, int argc, char **argv)
{
	const char *w = words;
	size_t len;
	int i;

	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]);
		if (strncmp(w, argv[i], len) != 0 ||
		    (w[len] != ' ' && w[len] != '\0'))
			return false;
		w += len;
		while (*w == ' ')
			w++;
	}
	return true;
}

void
grammar_print_global_usage(FILE *fp)
{
	const struct grammar_global_option *g;
	char synopsis[SYNOPSIS_MAX];
	size_t i;

	for (i = 0; i < grammar_global_options_len; i++) {
		g = &grammar_global_options[i];
		snprintf(synopsis, sizeof(synopsis), "%s%s%s%s%s",
		    g->short_flag != NULL ? g->short_flag : "",
		    g->short_flag != NULL ? ", " : "", g->long_flag,
		    g->metavar != NULL ? " " : "",
		    g->metavar != NULL ? g->metavar : "");
		print_wrapped(fp, USAGE_INDENT, USAGE_CONTINUED, synopsis);
		print_wrapped(fp, USAGE_HELP_INDENT, USAGE_HELP_INDENT, g->help);
	}
}

size_t
grammar_print_usage(FILE *fp, int argc, char **argv)
{
	char synopsis[SYNOPSIS_MAX];
	size_t i, printed = 0;

	for (i = 0; i < grammar_table_len; i++) {
		if (!matches_filter(grammar_table[i].words, argc, argv))
			continue;
		grammar_synopsis(&grammar_table[i], synopsis, sizeof(synopsis));
		print_wrapped(fp, USAGE_INDENT, USAGE_CONTINUED, synopsis);
		print_wrapped(fp, USAGE_HELP_INDENT, USAGE_HELP_INDENT,
		    grammar_table[i].help);
		printed++;
	}
	if (argc == 0) {
		print_wrapped(fp, USAGE_INDENT, USAGE_CONTINUED, "help [WORD...]");
		print_wrapped(fp, USAGE_HELP_INDENT, USAGE_HELP_INDENT,
		    "print this list, or the commands that start with WORD...");
	}
	return printed;
}

/*
 * Shell completion. The table gives every word: the command words that can
 * follow the ones typed, a command's options and the global ones, and the
 * choices an option's metavar lists ("http|https|socks5").
 */

#define COMPLETE_SEEN_MAX	256

struct completion {
	FILE		*fp;
	const char	*prefix;	/* the word under the cursor */
	size_t		 count;
	const char	*seen[COMPLETE_SEEN_MAX];
	size_t		 seen_len[COMPLETE_SEEN_MAX];
};

static void
offer(struct completion *c, const char *word, size_t len)
{
	size_t i, plen = strlen(c->prefix);

	if (len < plen || strncmp(word, c->prefix, plen) != 0)
		return;
	for (i = 0; i < c->count && i < COMPLETE_SEEN_MAX; i++)
		if (c->seen_len[i] == len && strncmp(c->seen[i], word, len) == 0)
			return;
	if (c->count < COMPLETE_SEEN_MAX) {
		c->seen[c->count] = word;
		c->seen_len[c->count] = len;
	}
	c->count++;
	fprintf(c->fp, "%.*s\n", (int)len, word);
}

/* Each '|'-separated choice of a metavar; nothing for a free word. */
static void
offer_choices(struct completion *c, const char *metavar)
{
	const char *p = metavar, *bar;

	if (strchr(metavar, '|') == NULL)
		return;
	for (;;) {
		bar = strchr(p, '|');
		offer(c, p, bar != NULL ? (size_t)(bar - p) : strlen(p));
		if (bar == NULL)
			break;
		p = bar + 1;
	}
}

static int
word_count(const char *words)
{
	int n = 1;

	for (; *words != '\0'; words++)
		n += *words == ' ';
	return n;
}

/* The metavar of the value-taking option `word` names (NULL: a flag, or none). */
static const char *
option_value_metavar(const struct grammar_command *cmd, const char *word)
{
	const struct grammar_option *opt;
	size_t k;

	if (strchr(word, '=') != NULL)
		return NULL;
	if (cmd != NULL && (opt = option_find(cmd, word, strlen(word))) != NULL)
		return opt->type == VALUE_FLAG || opt->type == VALUE_FALSE_FLAG ?
		    NULL : opt->metavar;
	for (k = 0; k < grammar_global_options_len; k++)
		if (strcmp(word, grammar_global_options[k].long_flag) == 0 ||
		    (grammar_global_options[k].short_flag != NULL &&
		    strcmp(word, grammar_global_options[k].short_flag) == 0))
			return grammar_global_options[k].metavar;
	return NULL;
}

static const char *const scope_choices = "global|provider|account|combo|key";

size_t
grammar_complete(FILE *fp, int argc, char **argv)
{
	struct completion c = { fp, argc > 0 ? argv[argc - 1] : "", 0, { 0 }, { 0 } };
	const struct grammar_command *cmd = NULL;
	const struct grammar_option *opt;
	const char *metavar;
	char **words;
	int i, nwords = 0, slot;
	size_t k;
	bool options_end = false;

	if ((words = calloc((size_t)argc + 1, sizeof(*words))) == NULL)
		return 0;
	for (i = 0; i < argc - 1; i++) {
		const char *w = argv[i];

		if (!options_end && strcmp(w, "--") == 0) {
			options_end = true;
			continue;
		}
		if (!options_end && w[0] == '-' && w[1] != '\0') {
			if ((metavar = option_value_metavar(cmd, w)) == NULL)
				continue;
			if (i + 1 == argc - 1) {	/* the cursor is on its value */
				offer_choices(&c, metavar);
				free(words);
				return c.count;
			}
			i++;
			continue;
		}
		words[nwords++] = argv[i];
		if (cmd != NULL)
			continue;
		for (k = 0; k < grammar_table_len; k++)
			if (word_count(grammar_table[k].words) == nwords &&
			    words_matched(grammar_table[k].words, nwords, words) == nwords)
				cmd = &grammar_table[k];
	}
	if (!options_end && c.prefix[0] == '-') {
		for (opt = cmd != NULL ? cmd->options : NULL;
		    opt != NULL && opt->flag != NULL; opt++)
			offer(&c, opt->flag, strlen(opt->flag));
		for (k = 0; k < grammar_global_options_len; k++)
			offer(&c, grammar_global_options[k].long_flag,
			    strlen(grammar_global_options[k].long_flag));
	} else if (cmd == NULL) {
		/* the next word of every entry that starts with the words typed */
		for (k = 0; k < grammar_table_len; k++) {
			const char *w = grammar_table[k].words, *end;

			if (!matches_filter(w, nwords, words) ||
			    word_count(w) <= nwords)
				continue;
			for (i = 0; i < nwords; i++)
				w = strchr(w, ' ') + 1;
			end = strchr(w, ' ');
			offer(&c, w, end != NULL ? (size_t)(end - w) : strlen(w));
		}
		if (nwords == 0)
			offer(&c, "help", 4);
	} else {
		slot = nwords - word_count(cmd->words);
		if (slot >= 0 && slot < GRAMMAR_POSITIONALS_MAX &&
		    cmd->positionals[slot].metavar != NULL &&
		    strcmp(cmd->positionals[slot].metavar, "SCOPE") == 0)
			offer_choices(&c, scope_choices);
	}
	free(words);
	return c.count;
}
