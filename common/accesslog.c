/*
 * common/accesslog.c — see accesslog.h: the access-log formatter (logfmt and
 * JSON), its buffered writer, and the few id fields a mutation's log line
 * may name.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "accesslog.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at s (of len bytes), or 0. */
static size_t
utf8_sequence(const unsigned char *s, size_t len)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 :
	    (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0 || n > len || !utf8_valid((const char *)s, n))
		return 0;
	return n;
}

static bool
logfmt_bare(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\')
			return false;
	}
	return true;
}

void
logfmt_append_value(struct textbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;
	char esc[4];

	if (logfmt_bare(s, len)) {
		textbuf_add(out, s, len);
		return;
	}
	textbuf_add(out, "\"", 1);
	for (i = 0; i < len; i += n) {
		unsigned char c = u[i];
		n = 1;
		switch (c) {
		case '"': textbuf_add(out, "\\\"", 2); continue;
		case '\\': textbuf_add(out, "\\\\", 2); continue;
		case '\n': textbuf_add(out, "\\n", 2); continue;
		case '\r': textbuf_add(out, "\\r", 2); continue;
		case '\t': textbuf_add(out, "\\t", 2); continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			textbuf_add(out, s + i, 1);
			continue;
		}
		if (c >= 0x80 && (n = utf8_sequence(u + i, len - i)) > 0) {
			textbuf_add(out, s + i, n);
			continue;
		}
		n = 1;
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 15];
		textbuf_add(out, esc, 4);
	}
	textbuf_add(out, "\"", 1);
}

void
json_append_string(struct textbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n, run = 0;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	textbuf_add(out, "\"", 1);
	for (i = 0; i < len; i += n) {
		unsigned char c = u[i];
		n = 1;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			/* plain bytes go out in runs */
			for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x7f &&
			    u[run] != '"' && u[run] != '\\'; run++)
				;
			textbuf_add(out, s + i, run - i);
			n = run - i;
			continue;
		}
		switch (c) {
		case '"': textbuf_add(out, "\\\"", 2); continue;
		case '\\': textbuf_add(out, "\\\\", 2); continue;
		case '\n': textbuf_add(out, "\\n", 2); continue;
		case '\r': textbuf_add(out, "\\r", 2); continue;
		case '\t': textbuf_add(out, "\\t", 2); continue;
		}
		if (c >= 0x80) {
			if ((n = utf8_sequence(u + i, len - i)) > 0)
				textbuf_add(out, s + i, n);
			else {
				n = 1;
				textbuf_add(out, "\\ufffd", 6);	/* not UTF-8 */
			}
			continue;
		}
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		textbuf_add(out, esc, 6);
	}
	textbuf_add(out, "\"", 1);
}

enum field_kind { F_STR, F_INT, F_MS };

static void
add_field(struct textbuf *out, enum log_format fmt, bool first, const char *name,
    enum field_kind kind, const char *s, int64_t v)
{
	char digits[UINT_DIGITS_MAX + 1];

	if (fmt == LOG_FORMAT_JSON) {
		textbuf_add(out, first ? "{\"" : ",\"", 2);
		textbuf_add_str(out, name);
		textbuf_add(out, "\":", 2);
	} else {
		if (!first)
			textbuf_add(out, " ", 1);
		textbuf_add_str(out, name);
		textbuf_add(out, "=", 1);
	}
	if (kind == F_STR) {
		s = s != NULL ? s : "";
		if (fmt == LOG_FORMAT_JSON)
			json_append_string(out, s, strlen(s));
		else
			logfmt_append_value(out, s, strlen(s));
		return;
	}
	if (kind == F_MS && v < 0) {
		if (fmt == LOG_FORMAT_JSON)
			textbuf_add(out, "null", 4);
		return;
	}
	if (v < 0) {
		textbuf_add(out, "-", 1);
		v = -v;
	}
	textbuf_add(out, digits, uint_to_digits(digits, (uint64_t)v));
}

void
access_format(const struct access_record *r, enum log_format fmt, struct textbuf *out)
{
	add_field(out, fmt, true, "ts", F_STR, r->ts, 0);
	add_field(out, fmt, false, "requestId", F_STR, r->request_id, 0);
	add_field(out, fmt, false, "client", F_STR, r->client, 0);
	add_field(out, fmt, false, "keyId", F_STR, r->key_id, 0);
	add_field(out, fmt, false, "method", F_STR, r->method, 0);
	add_field(out, fmt, false, "path", F_STR, r->path, 0);
	add_field(out, fmt, false, "model", F_STR, r->model, 0);
	add_field(out, fmt, false, "provider", F_STR, r->provider, 0);
	add_field(out, fmt, false, "connection", F_STR, r->connection, 0);
	add_field(out, fmt, false, "proxyLevel", F_STR, r->proxy_level, 0);
	add_field(out, fmt, false, "proxyId", F_STR, r->proxy_id, 0);
	add_field(out, fmt, false, "attempts", F_INT, NULL, r->attempts);
	add_field(out, fmt, false, "status", F_INT, NULL, r->status);
	add_field(out, fmt, false, "bytesIn", F_INT, NULL, (int64_t)r->bytes_in);
	add_field(out, fmt, false, "bytesOut", F_INT, NULL, (int64_t)r->bytes_out);
	add_field(out, fmt, false, "ttfbMs", F_MS, NULL, r->ttfb_ms);
	add_field(out, fmt, false, "totalMs", F_MS, NULL, r->total_ms);
	textbuf_add(out, fmt == LOG_FORMAT_JSON ? "}\n" : "\n",
	    fmt == LOG_FORMAT_JSON ? 2 : 1);
}

/* ---- the writer ------------------------------------------------------------- */

static int
open_target(const char *path, int *fd, bool *own, bool *whole_lines, char *err,
    size_t errlen)
{
	struct stat sb;

	if (strcmp(path, "stderr") == 0) {
		*fd = STDERR_FILENO;
		*own = false;
	} else {
		*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (*fd == -1) {
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
			return -1;
		}
		*own = true;
	}
	*whole_lines = !(fstat(*fd, &sb) == 0 && S_ISREG(sb.st_mode));
	return 0;
}

int
access_log_open(struct access_log *al, const char *path, enum log_format fmt,
    char *err, size_t errlen)
{
	memset(al, 0, sizeof(*al));
	al->fd = -1;
	if (open_target(path, &al->fd, &al->own_fd, &al->whole_lines, err, errlen) != 0)
		return -1;
	al->path = xstrdup(path);
	al->format = fmt;
	return 0;
}

bool
access_log_add(struct access_log *al, const struct access_record *rec)
{
	if (al->fd == -1)
		return false;
	access_format(rec, al->format, &al->buf);
	return al->buf.len >= ACCESS_LOG_FLUSH_AT;
}

/* Write whole lines: one write(2) for a file (O_APPEND keeps the workers'
 * lines apart), PIPE_BUF-sized pieces cut at a line end for a pipe. */
void
access_log_flush(struct access_log *al)
{
	size_t off = 0, piece;
	ssize_t n;

	while (al->fd != -1 && off < al->buf.len) {
		piece = al->buf.len - off;
		if (al->whole_lines && piece > PIPE_BUF) {
			const char *nl = memrchr(al->buf.data + off, '\n', PIPE_BUF);
			piece = nl != NULL ? (size_t)(nl - (al->buf.data + off)) + 1 : PIPE_BUF;
		}
		n = write(al->fd, al->buf.data + off, piece);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* disk full, pipe gone: these lines are lost */
		off += (size_t)n;
	}
	textbuf_reset(&al->buf);
}

int
access_log_reopen(struct access_log *al, char *err, size_t errlen)
{
	int fd;
	bool own, whole;

	if (al->path == NULL)
		return 0;
	access_log_flush(al);
	if (open_target(al->path, &fd, &own, &whole, err, errlen) != 0)
		return -1;
	if (al->own_fd)
		close(al->fd);
	al->fd = fd;
	al->own_fd = own;
	al->whole_lines = whole;
	return 0;
}

void
access_log_close(struct access_log *al)
{
	access_log_flush(al);
	if (al->own_fd && al->fd != -1)
		close(al->fd);
	al->fd = -1;
	free(al->path);
	al->path = NULL;
	textbuf_free(&al->buf);
}

/* ---- mutation lines ------------------------------------------------------------ */

void
mutation_describe(struct json_object *args, struct json_object *reply, char *out,
    size_t outlen)
{
	static const char *const names[] = {
		"id", "name", "providerId", "provider", "connectionId", "scope",
		"scopeId", "proxyId", "level",
	};
	struct json_object *sources[2] = { args, reply }, *v;
	size_t i, k, off = 0;
	bool seen[sizeof(names) / sizeof(names[0])] = { false };
	struct textbuf t = { NULL, 0, 0 };

	for (k = 0; k < 2; k++) {
		if (sources[k] == NULL || !json_object_is_type(sources[k], json_type_object))
			continue;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const char *s;
			if (seen[i] || !json_object_object_get_ex(sources[k], names[i], &v) ||
			    v == NULL || json_object_is_type(v, json_type_object) ||
			    json_object_is_type(v, json_type_array))
				continue;
			s = json_object_get_string(v);
			seen[i] = true;
			if (t.len > 0)
				textbuf_add(&t, " ", 1);
			textbuf_add_str(&t, names[i]);
			textbuf_add(&t, "=", 1);
			logfmt_append_value(&t, s, strlen(s));
		}
	}
	off = t.len < outlen ? t.len : outlen - 1;
	if (outlen > 0) {
		if (off > 0)
			memcpy(out, t.data, off);
		out[off] = '\0';
	}
	textbuf_free(&t);
}
