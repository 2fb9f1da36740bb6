/*
 * ctl/omnirctl.c — the operator's command line client. It turns its argv into
 * one control command through the grammar table (grammar.c), sends it on the
 * master's Unix control socket as one line, reads the reply lines (1xx
 * progress, then one final status), and prints the result: an aligned table
 * for lists, "key: value" lines for a record, the JSON itself with --json.
 *
 * Exit status: 0 the master said yes, 1 it said no (or a probe it ran
 * failed, or the reply could not be written out), 2 usage error, 3 no
 * connection or the connection broke. Refusals worded for the HTTP API are
 * said in omnirctl's words (cli_wording); with --json the JSON is as sent.
 * Everything the master sent is passed through sanitise() before it reaches
 * a terminal, so a proxy name cannot carry escape sequences to the screen.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "grammar.h"
#include "line.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION		"dev"
#endif

#define REPLY_TIMEOUT_SECONDS	300
#define SOCKET_NAME		"omnirouted.sock"
#define DEFAULT_SOCKET		"./data/" SOCKET_NAME
#define READ_CHUNK		65536
#define ERROR_MAX		512
#define CELL_MAX		512
/* the hidden first word of the shell completion (ctl/omnirctl.bash) */
#define COMPLETE_WORD		"__complete"

enum exit_status {
	EXIT_OK = 0,		/* status < 400 */
	EXIT_REFUSED = 1,	/* the master said no */
	EXIT_USAGE = 2,
	EXIT_CONNECTION = 3,	/* cannot connect, or the connection broke */
};

struct client {
	const char	*socket_path;
	char		*socket_path_buf;	/* owned, when built from the data dir */
	bool		 json;
	bool		 quiet;
	bool		 progress_shown;	/* a progress line is on the terminal */
	int		 fd;
	char		*buf;		/* reply bytes read and not yet used */
	size_t		 len;
	size_t		 cap;
};

struct final_reply {
	int		 status;
	char		*json;		/* owned, NUL-terminated */
	size_t		 json_len;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
die(enum exit_status status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("omnirctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/*
 * Sanitising. Control characters (C0, DEL, and C1 written in UTF-8) and bytes
 * that are not UTF-8 become '?'; newlines survive only when asked for.
 */

static size_t
utf8_sequence_length(const unsigned char *s)
{
	size_t want, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		want = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		want = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		want = 4;
	else
		return 0;
	for (i = 1; i < want; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return want;
}

static char *
sanitise(const char *text, bool keep_newlines)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out, *o;
	size_t n;

	if ((out = malloc(strlen(text) + 1)) == NULL)
		die(EXIT_REFUSED, "out of memory");
	for (o = out; *s != '\0'; s += n) {
		n = utf8_sequence_length(s);
		if (n == 0) {
			*o++ = '?';
			n = 1;
		} else if (n == 1 && (*s < 0x20 || *s == 0x7f) &&
		    !(keep_newlines && *s == '\n'))
			*o++ = '?';
		else if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
			*o++ = '?';
		else {
			memcpy(o, s, n);
			o += n;
		}
	}
	*o = '\0';
	return out;
}

static void
print_sanitised(FILE *fp, const char *text, bool keep_newlines)
{
	char *clean = sanitise(text, keep_newlines);

	fputs(clean, fp);
	free(clean);
}

/* Characters on screen: UTF-8 lead bytes (wide characters count as one). */
static size_t
display_width(const char *s)
{
	size_t width = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			width++;
	return width;
}

static void
print_short_usage(FILE *fp)
{
	fputs("usage: omnirctl [-s SOCKET] [--json] [-q] COMMAND [ARGS]\n"
	    "       omnirctl -h | --version\n", fp);
}

static void
print_usage(FILE *fp, int argc, char **argv)
{
	print_short_usage(fp);
	fputs("\noptions (before the command or after its words):\n", fp);
	grammar_print_global_usage(fp);
	fputs("\ncommands:\n", fp);
	grammar_print_usage(fp, argc, argv);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("omnirctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_short_usage(stderr);
	exit(EXIT_USAGE);
}

/* -s, else OMNIROUTE_CONTROL_SOCKET, else OMNIROUTE_DATA_DIR/omnirouted.sock. */
static void
choose_socket_path(struct client *c)
{
	const char *env, *dir;
	size_t len;

	if (c->socket_path != NULL)
		return;
	if ((env = getenv("OMNIROUTE_CONTROL_SOCKET")) != NULL && *env != '\0') {
		c->socket_path = env;
		return;
	}
	if ((dir = getenv("OMNIROUTE_DATA_DIR")) == NULL || *dir == '\0') {
		c->socket_path = DEFAULT_SOCKET;
		return;
	}
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if ((c->socket_path_buf = malloc(len + sizeof(SOCKET_NAME) + 1)) == NULL)
		die(EXIT_CONNECTION, "out of memory");
	snprintf(c->socket_path_buf, len + sizeof(SOCKET_NAME) + 1, "%.*s/%s",
	    (int)len, dir, SOCKET_NAME);
	c->socket_path = c->socket_path_buf;
}

/* The control socket: a local Unix stream, blocking, with a reply timeout. */

static void
connect_control(struct client *c)
{
	struct sockaddr_un sun;
	struct timeval timeout = { REPLY_TIMEOUT_SECONDS, 0 };

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->socket_path) >= sizeof(sun.sun_path))
		die(EXIT_CONNECTION, "cannot connect to %s: socket path too long",
		    c->socket_path);
	memcpy(sun.sun_path, c->socket_path, strlen(c->socket_path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_CONNECTION, "cannot connect to %s: socket: %s",
		    c->socket_path, strerror(errno));
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout,
	    sizeof(timeout)) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
	    sizeof(timeout)) == -1)
		die(EXIT_CONNECTION, "cannot connect to %s: setsockopt: %s",
		    c->socket_path, strerror(errno));
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		if (errno != EINTR)
			die(EXIT_CONNECTION, "cannot connect to %s: %s",
			    c->socket_path, strerror(errno));
}

static void
send_line(struct client *c, const char *line, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, line, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die(EXIT_CONNECTION, "%s did not take the request within "
			    "%d s", c->socket_path, REPLY_TIMEOUT_SECONDS);
		if (n == -1)
			die(EXIT_CONNECTION, "connection to %s broke: %s",
			    c->socket_path, strerror(errno));
		line += n;
		len -= (size_t)n;
	}
}

/* Read more bytes into c->buf; dies on EOF, timeout or error. */
static void
read_more(struct client *c)
{
	ssize_t n;
	char *grown;
	size_t cap;

	if (c->cap - c->len < READ_CHUNK) {
		cap = c->cap == 0 ? READ_CHUNK * 2 : c->cap * 2;
		if ((grown = realloc(c->buf, cap)) == NULL)
			die(EXIT_CONNECTION, "out of memory reading the reply");
		c->buf = grown;
		c->cap = cap;
	}
	for (;;) {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0)
			break;
		if (n == 0)
			die(EXIT_CONNECTION, "connection to %s closed before the "
			    "reply ended", c->socket_path);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			die(EXIT_CONNECTION, "no reply from %s within %d s",
			    c->socket_path, REPLY_TIMEOUT_SECONDS);
		die(EXIT_CONNECTION, "connection to %s broke: %s",
		    c->socket_path, strerror(errno));
	}
	c->len += (size_t)n;
}

/*
 * A 1xx progress line, on a terminal only: its "message" over the previous
 * one (the last stays on screen); elsewhere the final reply is the output.
 */
static void
print_progress(struct client *c, const char *json, size_t len)
{
	struct json_object *o, *v;
	char *text;

	if (c->json || !isatty(fileno(stderr)))
		return;
	if ((text = strndup(json, len)) == NULL)
		die(EXIT_CONNECTION, "out of memory");
	o = json_tokener_parse(text);
	free(text);
	if (json_object_object_get_ex(o, "message", &v) &&
	    json_object_is_type(v, json_type_string)) {
		const char *message = json_object_get_string(v);
		fputs("\r\033[K", stderr);
		print_sanitised(stderr, message, false);
		c->progress_shown = true;
	}
	json_object_put(o);
}

/* Read reply lines until the first non-1xx one, which is returned. */
static void
read_reply(struct client *c, struct final_reply *out)
{
	struct control_reply line;
	const char *err;
	size_t scanned = 0, line_len, used;
	enum parse found;

	for (;;) {
		if (scanned == c->len) {
			read_more(c);
			continue;
		}
		found = line_find(c->buf + scanned, c->len - scanned,
		    CHANNEL_LINE_MAX - scanned, &line_len);
		if (found == PARSE_INVALID)
			die(EXIT_CONNECTION, "reply from %s is longer than %d bytes",
			    c->socket_path, CHANNEL_LINE_MAX);
		if (found == PARSE_MORE) {
			scanned = c->len;
			continue;
		}
		line_len += scanned;
		if (control_parse_reply(c->buf, line_len, &line, &err) !=
		    PARSE_DONE)
			die(EXIT_CONNECTION, "malformed reply from %s: %s",
			    c->socket_path, err);
		if (line.status >= 200) {
			if (c->progress_shown) {
				fputc('\n', stderr);
				c->progress_shown = false;
			}
			out->status = line.status;
			out->json_len = line.json_len;
			if ((out->json = strndup(line.json, line.json_len)) == NULL)
				die(EXIT_CONNECTION, "out of memory");
			return;
		}
		print_progress(c, line.json, line.json_len);
		used = line_len + 1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		scanned = 0;
	}
}

/* Text of one JSON value for a table cell or a record line. */
static const char *
value_text(struct json_object *v, char *buf, size_t len)
{
	double d;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return "-";
	case json_type_string:
		return json_object_get_string(v);
	case json_type_double:
		d = json_object_get_double(v);
		if (d > -1e15 && d < 1e15 && (double)(long long)d == d)
			snprintf(buf, len, "%lld", (long long)d);
		else
			snprintf(buf, len, "%.2f", d);
		return buf;
	default:
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
	}
}

/*
 * Tables. A column names the field of each item it shows, or computes its
 * cell; each view names the command it formats.
 */

struct column {
	const char	*header;
	const char	*field;
	const char	*(*cell)(struct json_object *item);
};

static const char *
cell_auth(struct json_object *item)
{
	struct json_object *user;

	if (json_object_object_get_ex(item, "username", &user) &&
	    json_object_is_type(user, json_type_string) &&
	    *json_object_get_string(user) != '\0')
		return "yes";
	return "no";
}

static const struct column proxy_columns[] = {
	{ "ID",		"id",		NULL },
	{ "NAME",	"name",		NULL },
	{ "TYPE",	"type",		NULL },
	{ "HOST",	"host",		NULL },
	{ "PORT",	"port",		NULL },
	{ "STATUS",	"status",	NULL },
	{ "AUTH",	NULL,		cell_auth },
	{ "REGION",	"region",	NULL },
	{ "EGRESS_IP",	"egressIp",	NULL },
	{ NULL,		NULL,		NULL },
};

static const struct column oneproxy_columns[] = {
	{ "ID",		"id",		NULL },
	{ "TYPE",	"type",		NULL },
	{ "HOST",	"host",		NULL },
	{ "PORT",	"port",		NULL },
	{ "COUNTRY",	"countryCode",	NULL },
	{ "QUALITY",	"qualityScore",	NULL },
	{ "LATENCY_MS",	"latencyMs",	NULL },
	{ "ANONYMITY",	"anonymity",	NULL },
	{ "GOOGLE",	"googleAccess",	NULL },
	{ "VALIDATED",	"lastValidated", NULL },
	{ NULL,		NULL,		NULL },
};

static const struct column assignment_columns[] = {
	{ "ID",		"id",		NULL },
	{ "SCOPE",	"scope",	NULL },
	{ "SCOPE_ID",	"scopeId",	NULL },
	{ "PROXY_ID",	"proxyId",	NULL },
	{ "POOL",	"poolSize",	NULL },
	{ NULL,		NULL,		NULL },
};

/* A member's health in a few characters: "95% of 20", or "no calls". */
static const char *
cell_member_health(struct json_object *item)
{
	static char text[CELL_MAX + 32];
	struct json_object *health, *total, *rate;
	char buf[CELL_MAX];

	if (!json_object_object_get_ex(item, "health", &health) ||
	    !json_object_object_get_ex(health, "totalRequests", &total))
		return "-";
	if (json_object_get_int64(total) == 0)
		return "no calls";
	json_object_object_get_ex(health, "successRate", &rate);
	snprintf(text, sizeof(text), "%s%% of %lld", value_text(rate, buf, sizeof(buf)),
	    (long long)json_object_get_int64(total));
	return text;
}

/* A pool's members (pool.show and the pool commands' replies). */
static const struct column pool_member_columns[] = {
	{ "POS",	"position",	NULL },
	{ "ID",		"id",		NULL },
	{ "NAME",	"name",		NULL },
	{ "TYPE",	"type",		NULL },
	{ "HOST",	"host",		NULL },
	{ "PORT",	"port",		NULL },
	{ "STATUS",	"status",	NULL },
	{ "EGRESS_IP",	"egressIp",	NULL },
	{ "SHARED",	"sharedEgress",	NULL },
	{ "LIVE",	"live",		NULL },
	{ "HEALTH",	NULL,		cell_member_health },
	{ NULL,		NULL,		NULL },
};

static const struct column health_columns[] = {
	{ "NAME",	"name",		NULL },
	{ "HOST",	"host",		NULL },
	{ "PORT",	"port",		NULL },
	{ "TOTAL",	"totalRequests", NULL },
	{ "OK",		"successCount",	NULL },
	{ "ERR",	"errorCount",	NULL },
	{ "TIMEOUT",	"timeoutCount",	NULL },
	{ "RATE",	"successRate",	NULL },
	{ "AVG_MS",	"avgLatencyMs",	NULL },
	{ NULL,		NULL,		NULL },
};

/* One proxy's outcomes over time (proxy.health_series): a row per bucket. */
static const struct column health_series_columns[] = {
	{ "START",	"start",	NULL },
	{ "OK",		"ok",		NULL },
	{ "DNS",	"dns",		NULL },
	{ "CONNECT",	"connect",	NULL },
	{ "HANDSHAKE",	"handshake",	NULL },
	{ "TLS",	"tls",		NULL },
	{ "HTTP",	"http",		NULL },
	{ "TIMEOUT",	"timeout",	NULL },
	{ "OTHER",	"other",	NULL },
	{ NULL,		NULL,		NULL },
};

static const struct column worker_columns[] = {
	{ "SLOT",	"slot",		NULL },
	{ "PID",	"pid",		NULL },
	{ "GENERATION",	"generation",	NULL },
	{ "STARTED",	"startedAt",	NULL },
	{ "RESTARTS",	"restarts",	NULL },
	{ NULL,		NULL,		NULL },
};

static const struct column command_columns[] = {
	{ "COMMAND",	"name",		NULL },
	{ "MUTATES",	"mutates",	NULL },
	{ "HELP",	"help",		NULL },
	{ NULL,		NULL,		NULL },
};

static char *
cell_text(struct json_object *item, const struct column *col)
{
	struct json_object *v = NULL;
	char buf[CELL_MAX];
	const char *text;

	if (col->cell != NULL)
		text = col->cell(item);
	else if (json_object_object_get_ex(item, col->field, &v))
		text = value_text(v, buf, sizeof(buf));
	else
		text = "-";
	return sanitise(*text == '\0' ? "-" : text, false);
}

/* "N of TOTAL" from page.total, when the reply has it. */
static void
print_page_total(struct json_object *reply, size_t shown)
{
	struct json_object *page, *total;

	if (json_object_object_get_ex(reply, "page", &page) &&
	    json_object_object_get_ex(page, "total", &total))
		printf("%zu of %lld\n", shown, (long long)json_object_get_int64(total));
}

static void
print_table(struct json_object *items, const struct column *columns)
{
	size_t ncols, nrows, r, k, *widths;
	char **cells;

	for (ncols = 0; columns[ncols].header != NULL; ncols++)
		;
	nrows = json_object_array_length(items);
	widths = calloc(ncols, sizeof(*widths));
	cells = calloc(ncols * (nrows + 1), sizeof(*cells));
	if (widths == NULL || cells == NULL)
		die(EXIT_REFUSED, "out of memory");
	for (k = 0; k < ncols; k++) {
		cells[k] = sanitise(columns[k].header, false);
		widths[k] = display_width(cells[k]);
	}
	for (r = 0; r < nrows; r++) {
		struct json_object *item = json_object_array_get_idx(items, r);

		for (k = 0; k < ncols; k++) {
			char *text = json_object_is_type(item, json_type_object) ?
			    cell_text(item, &columns[k]) : sanitise("-", false);
			size_t w = display_width(text);

			cells[(r + 1) * ncols + k] = text;
			if (w > widths[k])
				widths[k] = w;
		}
	}
	for (r = 0; r <= nrows; r++) {
		for (k = 0; k < ncols; k++) {
			const char *text = cells[r * ncols + k];

			fputs(text, stdout);
			if (k + 1 < ncols)
				printf("%*s", (int)(widths[k] - display_width(text) + 2),
				    "");
			free(cells[r * ncols + k]);
		}
		putchar('\n');
	}
	free(cells);
	free(widths);
}

/* SCOPE_ID from scopeId, for a list whose columns come from its items. */
static char *
header_from_key(const char *key)
{
	char *out = malloc(strlen(key) * 2 + 1), *o = out;
	const char *k;

	if (out == NULL)
		die(EXIT_REFUSED, "out of memory");
	for (k = key; *k != '\0'; k++) {
		if (*k >= 'A' && *k <= 'Z' && k != key)
			*o++ = '_';
		*o++ = *k >= 'a' && *k <= 'z' ? (char)(*k - 'a' + 'A') : *k;
	}
	*o = '\0';
	return out;
}

static void
print_pretty(FILE *fp, struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE);

	if (isatty(fileno(fp)))
		print_sanitised(fp, text, true);
	else
		fputs(text, fp);
	fputc('\n', fp);
}

/* A list with no view of its own: one column per scalar field of its first item. */
static void
print_generic_table(struct json_object *items)
{
	struct json_object *first = json_object_array_get_idx(items, 0);
	struct column *columns;
	size_t n = 0, k;

	if (first == NULL) {
		puts("no items");
		return;
	}
	if (!json_object_is_type(first, json_type_object)) {
		print_pretty(stdout, items);
		return;
	}
	columns = calloc((size_t)json_object_object_length(first) + 1,
	    sizeof(*columns));
	if (columns == NULL)
		die(EXIT_REFUSED, "out of memory");
	json_object_object_foreach(first, key, value) {
		if (json_object_is_type(value, json_type_object) ||
		    json_object_is_type(value, json_type_array))
			continue;
		columns[n].header = header_from_key(key);
		columns[n].field = key;
		n++;
	}
	print_table(items, columns);
	for (k = 0; k < n; k++)
		free((char *)columns[k].header);
	free(columns);
}

/*
 * Records: objects of scalars, nested objects (shown as "outer.inner") and
 * arrays of scalars (joined with ", ") print as aligned "key: value" lines.
 */

static bool
is_record(struct json_object *obj)
{
	size_t i;

	json_object_object_foreach(obj, key, value) {
		(void)key;
		if (json_object_is_type(value, json_type_object) && !is_record(value))
			return false;
		if (!json_object_is_type(value, json_type_array))
			continue;
		for (i = 0; i < json_object_array_length(value); i++) {
			enum json_type t = json_object_get_type(
			    json_object_array_get_idx(value, i));

			if (t == json_type_object || t == json_type_array)
				return false;
		}
	}
	return true;
}

static size_t
record_key_width(struct json_object *obj, size_t prefix)
{
	size_t width = 0, w;

	json_object_object_foreach(obj, key, value) {
		if (json_object_is_type(value, json_type_object))
			w = record_key_width(value, prefix + strlen(key) + 1);
		else
			w = prefix + display_width(key);
		if (w > width)
			width = w;
	}
	return width;
}

/* The value of a record line, sanitised; arrays of scalars joined. */
static char *
record_value_text(struct json_object *value)
{
	char buf[CELL_MAX], *joined, *grown;
	const char *text;
	size_t i, n, len = 0;

	if (!json_object_is_type(value, json_type_array))
		return sanitise(value_text(value, buf, sizeof(buf)), false);
	if ((joined = strdup("")) == NULL)
		die(EXIT_REFUSED, "out of memory");
	n = json_object_array_length(value);
	for (i = 0; i < n; i++) {
		text = value_text(json_object_array_get_idx(value, i), buf,
		    sizeof(buf));
		if ((grown = realloc(joined, len + strlen(text) + 3)) == NULL)
			die(EXIT_REFUSED, "out of memory");
		joined = grown;
		len += (size_t)sprintf(joined + len, "%s%s", i > 0 ? ", " : "",
		    text);
	}
	text = joined;
	joined = sanitise(text, false);
	free((char *)text);
	return joined;
}

static void
print_record_lines(struct json_object *obj, const char *indent,
    const char *prefix, size_t width)
{
	char *key_text, *value_text_clean, *full;
	size_t len;

	json_object_object_foreach(obj, key, value) {
		len = strlen(prefix) + strlen(key) + 2;
		if ((full = malloc(len)) == NULL)
			die(EXIT_REFUSED, "out of memory");
		snprintf(full, len, "%s%s", prefix, key);
		if (json_object_is_type(value, json_type_object)) {
			strcat(full, ".");
			print_record_lines(value, indent, full, width);
			free(full);
			continue;
		}
		key_text = sanitise(full, false);
		value_text_clean = record_value_text(value);
		printf("%s%s:", indent, key_text);
		if (*value_text_clean != '\0')
			printf("%*s%s", (int)(width - display_width(key_text) + 1),
			    "", value_text_clean);
		putchar('\n');
		free(value_text_clean);
		free(key_text);
		free(full);
	}
}

static void
print_record(struct json_object *obj, const char *indent)
{
	print_record_lines(obj, indent, "", record_key_width(obj, 0));
}

/* Anything without a view: a list, a record, or the JSON itself. */
static void
print_default(struct json_object *reply)
{
	struct json_object *items;

	if (json_object_object_get_ex(reply, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		print_generic_table(items);
		print_page_total(reply, json_object_array_length(items));
	} else if (json_object_is_type(reply, json_type_object) && is_record(reply))
		print_record(reply, "");
	else
		print_pretty(stdout, reply);
}

/* Views, one per command whose reply has a shape worth a layout. */

struct view {
	const char		*command;
	const char		*list_key;	/* the array shown as a table */
	const struct column	*columns;
	void			(*print)(struct json_object *);	/* instead of a table */
};

static void
print_list_view(const struct view *view, struct json_object *reply)
{
	struct json_object *items;

	if (!json_object_object_get_ex(reply, view->list_key, &items) ||
	    !json_object_is_type(items, json_type_array)) {
		print_default(reply);
		return;
	}
	print_table(items, view->columns);
	print_page_total(reply, json_object_array_length(items));
}

static const char *
string_field(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static void
print_resolution_line(const char *key, const char *value)
{
	printf("%-8s ", key);
	print_sanitised(stdout, value != NULL ? value : "-", false);
	putchar('\n');
}

/* The deciding pool: its strategy, the member the next call takes, and
 * every member in order. */
static void
print_pool_of_resolution(struct json_object *reply)
{
	struct json_object *pool, *members;
	size_t i;

	if (!json_object_object_get_ex(reply, "pool", &pool) ||
	    !json_object_is_type(pool, json_type_object))
		return;
	print_resolution_line("strategy:", string_field(pool, "strategy"));
	print_resolution_line("next:", string_field(reply, "proxyId"));
	if (!json_object_object_get_ex(pool, "members", &members) ||
	    !json_object_is_type(members, json_type_array))
		return;
	puts("members:");
	for (i = 0; i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		printf("  %zu ", i);
		print_sanitised(stdout, json_object_is_type(m, json_type_string) ?
		    json_object_get_string(m) : "?", false);
		putchar('\n');
	}
}

static void
print_resolution(struct json_object *reply)
{
	struct json_object *proxy, *refused, *explain, *step;
	char where[CELL_MAX], buf[CELL_MAX];
	size_t i;

	if (!json_object_is_type(reply, json_type_object)) {
		print_default(reply);
		return;
	}
	print_resolution_line("level:", string_field(reply, "level"));
	print_resolution_line("levelId:", string_field(reply, "levelId"));
	if (json_object_object_get_ex(reply, "proxy", &proxy) &&
	    json_object_is_type(proxy, json_type_object)) {
		snprintf(where, sizeof(where), "%s://%s:%s",
		    string_field(proxy, "type") ? string_field(proxy, "type") : "?",
		    string_field(proxy, "host") ? string_field(proxy, "host") : "?",
		    json_object_object_get_ex(proxy, "port", &step) ?
		    json_object_get_string(step) : "?");
		print_resolution_line("proxy:", where);
	} else if (json_object_object_get_ex(reply, "refused", &refused) &&
	    json_object_get_boolean(refused)) {
		print_resolution_line("proxy:", "refused");
		if (string_field(reply, "message") != NULL)
			print_resolution_line("message:", string_field(reply, "message"));
	} else if (string_field(reply, "level") != NULL &&
	    strcmp(string_field(reply, "level"), "delegated") == 0)
		print_resolution_line("proxy:", "none: delegated to CLIProxyAPI on loopback");
	else
		print_resolution_line("proxy:", "direct");
	print_pool_of_resolution(reply);
	if (!json_object_object_get_ex(reply, "explain", &explain) ||
	    !json_object_is_type(explain, json_type_array))
		return;
	puts("explain:");
	for (i = 0; i < json_object_array_length(explain); i++) {
		step = json_object_array_get_idx(explain, i);
		if (!json_object_is_type(step, json_type_object))
			continue;
		fputs(" ", stdout);
		json_object_object_foreach(step, key, value) {
			printf(" %s=", key);
			print_sanitised(stdout, value_text(value, buf, sizeof(buf)),
			    false);
		}
		putchar('\n');
	}
}

static void
print_version(struct json_object *reply)
{
	puts("omnirouted:");
	if (json_object_is_type(reply, json_type_object) && is_record(reply))
		print_record(reply, "  ");
	else
		print_pretty(stdout, reply);
}

/* A document to keep (backup export without FILE): all of it, as JSON. */
static void
print_document(struct json_object *reply)
{
	print_pretty(stdout, reply);
}

/* A reply that says what happened in one "message" line (the 1proxy sync). */
static void
print_outcome_message(struct json_object *reply)
{
	const char *message = string_field(reply, "message");

	if (message == NULL) {
		print_default(reply);
		return;
	}
	print_sanitised(stdout, message, false);
	putchar('\n');
}

/* A pool: its settings, then its members as a table. pool.remove answers
 * {"success","pool"}, with pool null once the last member went. */
static void
print_pool(struct json_object *reply)
{
	static const char *const fields[] = {
		"scope", "scopeId", "strategy", "stickyWindowMinutes", "source", "total",
	};
	struct json_object *pool = reply, *wrapped, *members, *v;
	char buf[CELL_MAX], key[32];
	size_t i;

	/* get_ex writes NULL when the key is absent: only a present "pool" wraps */
	if (json_object_is_type(reply, json_type_object) &&
	    json_object_object_get_ex(reply, "pool", &wrapped)) {
		if (wrapped == NULL) {
			puts("the pool is empty: the scope has no assignment now");
			return;
		}
		pool = wrapped;
	}
	if (!json_object_is_type(pool, json_type_object) ||
	    !json_object_object_get_ex(pool, "members", &members) ||
	    !json_object_is_type(members, json_type_array)) {
		print_default(reply);
		return;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!json_object_object_get_ex(pool, fields[i], &v))
			continue;
		snprintf(key, sizeof(key), "%s:", fields[i]);
		print_resolution_line(key, v != NULL ? value_text(v, buf, sizeof(buf)) : NULL);
	}
	if (json_object_object_get_ex(pool, "filter", &v) && v != NULL)
		print_resolution_line("filter:", json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
	print_table(members, pool_member_columns);
}

static const struct view views[] = {
	{ "oneproxy.list",	"items",	oneproxy_columns, NULL },
	{ "oneproxy.sync",	NULL,		NULL,		print_outcome_message },
	{ "proxy.list",		"items",	proxy_columns,	NULL },
	{ "proxy.where_used",	"assignments",	assignment_columns, NULL },
	{ "proxy.health",	"items",	health_columns,	NULL },
	{ "proxy.health_series", "series",	health_series_columns, NULL },
	{ "assign.list",	"items",	assignment_columns, NULL },
	{ "workers",		"items",	worker_columns,	NULL },
	{ "help",		"items",	command_columns, NULL },
	{ "resolve",		NULL,		NULL,		print_resolution },
	{ "pool.show",		NULL,		NULL,		print_pool },
	{ "pool.add",		NULL,		NULL,		print_pool },
	{ "pool.remove",	NULL,		NULL,		print_pool },
	{ "pool.update",	NULL,		NULL,		print_pool },
	{ "version",		NULL,		NULL,		print_version },
	{ "backup.export",	NULL,		NULL,		print_document },
};

static const struct view *
view_find(const char *command)
{
	size_t i;

	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (strcmp(views[i].command, command) == 0)
			return &views[i];
	return NULL;
}

/*
 * The master words its messages for the HTTP API ("use force=true"); the
 * phrases that name an API spelling are said here the way omnirctl spells
 * them. The JSON (--json) is left as the master sent it.
 */
static const struct {
	const char	*api;
	const char	*cli;
} cli_wording[] = {
	{ "use force=true",	"use --force" },
};

/* message with every API phrase of the table in CLI words; owned. */
static char *
in_cli_words(const char *message)
{
	char *text, *at, *grown;
	size_t i, off, alen, clen;

	if ((text = strdup(message)) == NULL)
		die(EXIT_REFUSED, "out of memory");
	for (i = 0; i < sizeof(cli_wording) / sizeof(cli_wording[0]); i++) {
		alen = strlen(cli_wording[i].api);
		clen = strlen(cli_wording[i].cli);
		for (off = 0; (at = strstr(text + off, cli_wording[i].api)) != NULL;) {
			off = (size_t)(at - text);
			if ((grown = malloc(strlen(text) - alen + clen + 1)) == NULL)
				die(EXIT_REFUSED, "out of memory");
			memcpy(grown, text, off);
			memcpy(grown + off, cli_wording[i].cli, clen);
			strcpy(grown + off + clen, text + off + alen);
			free(text);
			text = grown;
			off += clen;
		}
	}
	return text;
}

static void
print_message(FILE *fp, const char *message)
{
	char *text = in_cli_words(message);

	print_sanitised(fp, text, false);
	free(text);
}

/* "omnirctl: <message>" and each detail "  <field>: <message>". */
static void
print_error(const struct final_reply *reply)
{
	struct json_object *root, *error = NULL, *details, *detail;
	const char *message = NULL, *field, *why;
	size_t i;

	root = json_tokener_parse(reply->json);
	if (root != NULL && json_object_object_get_ex(root, "error", &error))
		message = string_field(error, "message");
	fputs("omnirctl: ", stderr);
	if (message != NULL)
		print_message(stderr, message);
	else
		fprintf(stderr, "the master answered %d", reply->status);
	fputc('\n', stderr);
	if (error != NULL && json_object_object_get_ex(error, "details", &details) &&
	    json_object_is_type(details, json_type_array)) {
		for (i = 0; i < json_object_array_length(details); i++) {
			detail = json_object_array_get_idx(details, i);
			field = string_field(detail, "field");
			why = string_field(detail, "message");
			fputs("  ", stderr);
			print_sanitised(stderr, field != NULL ? field : "-", false);
			fputs(": ", stderr);
			print_message(stderr, why != NULL ? why : "-");
			fputc('\n', stderr);
		}
	}
	json_object_put(root);
}

/* backup export FILE: the reply, pretty-printed; 0600 when it holds secrets. */
static enum exit_status
write_output_file(const struct grammar_request *req, struct json_object *reply,
    bool human)
{
	struct json_object *secrets;
	const char *text = json_object_to_json_string_ext(reply,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	bool private = json_object_object_get_ex(req->args, "secrets", &secrets) &&
	    json_object_get_boolean(secrets);
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd;

	if (strcmp(req->output_file, "-") == 0) {
		printf("%s\n", text);
		return EXIT_OK;
	}
	fd = open(req->output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    private ? 0600 : 0666);
	if (fd == -1 || (private && fchmod(fd, 0600) == -1))
		goto fail;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (human)
		printf("wrote %s\n", req->output_file);
	return EXIT_OK;
fail:
	fprintf(stderr, "omnirctl: cannot write %s: %s\n", req->output_file,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return EXIT_REFUSED;
}

/* A probe's answer (proxy test, conn test) saying "success": false. */
static bool
probe_failed(struct json_object *reply)
{
	struct json_object *success;

	return json_object_object_get_ex(reply, "success", &success) &&
	    json_object_is_type(success, json_type_boolean) &&
	    !json_object_get_boolean(success);
}

/* -q: only the field naming what an add command made (a string or a number). */
static enum exit_status
print_quiet(const struct grammar_request *req, struct json_object *reply)
{
	struct json_object *v = NULL;
	char buf[CELL_MAX];
	const char *value = string_field(reply, req->command->quiet_field);

	if (value == NULL && json_object_is_type(reply, json_type_object) &&
	    json_object_object_get_ex(reply, req->command->quiet_field, &v) &&
	    json_object_is_type(v, json_type_int))
		value = value_text(v, buf, sizeof(buf));

	if (value == NULL) {
		fprintf(stderr, "omnirctl: the reply has no %s to print\n",
		    req->command->quiet_field);
		return EXIT_REFUSED;
	}
	print_sanitised(stdout, value, false);
	putchar('\n');
	return EXIT_OK;
}

static enum exit_status
print_reply(const struct client *c, const struct grammar_request *req,
    const struct final_reply *reply)
{
	struct json_object *root;
	const struct view *view;
	enum exit_status status = reply->status < 400 ? EXIT_OK : EXIT_REFUSED;

	if (reply->status >= 400)
		print_error(reply);
	if (reply->status >= 400 && !c->json && req->raw_line == NULL)
		return status;
	root = json_tokener_parse(reply->json);
	if (status == EXIT_OK && req->command->probe && probe_failed(root))
		status = EXIT_REFUSED;
	if (c->quiet && reply->status < 400) {
		status = print_quiet(req, root);
		json_object_put(root);
		return status;
	}
	if (req->output_file != NULL && status == EXIT_OK && root != NULL) {
		status = write_output_file(req, root, !c->json);
		json_object_put(root);
		return status;
	}
	if (c->json || req->raw_line != NULL || root == NULL) {
		if (c->json || req->raw_line != NULL)
			fwrite(reply->json, 1, reply->json_len, stdout);
		else
			print_sanitised(stdout, reply->json, false);
		putchar('\n');
		json_object_put(root);
		return status;
	}
	if ((view = view_find(req->command->command)) != NULL &&
	    view->print != NULL)
		view->print(root);
	else if (view != NULL)
		print_list_view(view, root);
	else
		print_default(root);
	json_object_put(root);
	return status;
}

/* "command SP json LF", or raw's line with its LF. */
static char *
request_line(const struct grammar_request *req, size_t *lenp)
{
	const char *json = NULL;
	size_t len;
	char *line;

	if (req->raw_line != NULL)
		len = strlen(req->raw_line) + 1;
	else {
		json = json_object_to_json_string_ext(req->args,
		    JSON_C_TO_STRING_PLAIN);
		len = strlen(req->command->command) + 1 + strlen(json) + 1;
	}
	if (len - 1 > CONTROL_LINE_MAX)
		usage_error("%s: the request is %zu bytes, over the control line "
		    "limit of %d", req->command->words, len - 1, CONTROL_LINE_MAX);
	if ((line = malloc(len + 1)) == NULL)
		die(EXIT_USAGE, "out of memory");
	if (req->raw_line != NULL)
		snprintf(line, len + 1, "%s\n", req->raw_line);
	else
		snprintf(line, len + 1, "%s %s\n", req->command->command, json);
	*lenp = len;
	return line;
}

static void
report_usage_error(const struct grammar_request *req, const char *err)
{
	char synopsis[512];

	fprintf(stderr, "omnirctl: %s\n", err);
	if (req->command != NULL) {
		grammar_synopsis(req->command, synopsis, sizeof(synopsis));
		fprintf(stderr, "usage: omnirctl [-s SOCKET] [--json] [-q] %s\n",
		    synopsis);
	} else if (req->family != NULL) {
		print_short_usage(stderr);
		grammar_print_usage(stderr, 1, (char **)&req->family);
	} else
		print_usage(stderr, 0, NULL);
}

int
main(int argc, char **argv)
{
	struct client c = { .fd = -1 };
	struct grammar_request req;
	struct final_reply reply = { 0, NULL, 0 };
	char err[ERROR_MAX];
	enum exit_status status;
	size_t len;
	char *line;

	if (argc > 1 && strcmp(argv[1], COMPLETE_WORD) == 0) {
		grammar_complete(stdout, argc - 2, argv + 2);
		return EXIT_OK;
	}
	switch (grammar_parse_command_line(argc - 1, argv + 1, &req, err,
	    sizeof(err))) {
	case GRAMMAR_USAGE:
		report_usage_error(&req, err);
		return EXIT_USAGE;
	case GRAMMAR_VERSION:
		printf("omnirctl %s\n", PACKAGE_VERSION);
		grammar_request_free(&req);
		return EXIT_OK;
	case GRAMMAR_HELP:
		if (req.help_argc > 0 &&
		    grammar_print_usage(stdout, req.help_argc, req.help_argv) == 0)
			usage_error("help: no command starts with '%s'",
			    req.help_argv[0]);
		if (req.help_argc == 0)
			print_usage(stdout, 0, NULL);
		return EXIT_OK;
	case GRAMMAR_SEND:
		break;
	}
	c.socket_path = req.globals.socket;
	c.json = req.globals.json;
	c.quiet = req.globals.quiet;
	line = request_line(&req, &len);
	if (req.command->command != NULL && !c.json && !c.quiet &&
	    strcmp(req.command->command, "version") == 0)
		printf("omnirctl %s\n", PACKAGE_VERSION);
	choose_socket_path(&c);
	connect_control(&c);
	send_line(&c, line, len);
	read_reply(&c, &reply);
	close(c.fd);
	status = print_reply(&c, &req, &reply);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "omnirctl: cannot write the output: %s\n",
		    strerror(errno));
		status = EXIT_REFUSED;
	}
	free(line);
	free(reply.json);
	free(c.buf);
	free(c.socket_path_buf);
	grammar_request_free(&req);
	return status;
}
