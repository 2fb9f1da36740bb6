/*
 * common/accesslog.h — the access log: one line per relayed call (/v1/...),
 * written when the call ends. A record holds only names, ids and counters —
 * never a key, a header value or a body. The formatter is a pure function
 * (record → bytes), unit-tested with byte strings; the writer buffers lines
 * and hands them to the file in whole lines, so a relay turn never waits on
 * the disk for more than one write(2) of a full buffer.
 *
 *   text (logfmt), one line, fields always in this order:
 *     ts= requestId= client= keyId= method= path= model= provider=
 *     connection= proxyLevel= proxyId= attempts= status= bytesIn= bytesOut=
 *     ttfbMs= totalMs=
 *   A value is written bare when it is printable ASCII without space, '"',
 *   '=' or '\'; else in double quotes with \" \\ \n \r \t and \xHH for other
 *   control bytes and for bytes that are not valid UTF-8. An unknown value is
 *   empty (`model=`).
 *   json: one object per line with the same names; unknown strings are "",
 *   an unknown ttfbMs is null.
 */
#ifndef OMNI_ACCESSLOG_H
#define OMNI_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "textbuf.h"

struct access_record {
	char		 ts[32];		/* ISO-8601 UTC, the request's start */
	char		 request_id[37];
	char		 client[64];		/* peer address */
	char		 key_id[40];		/* client API key id, "" = none */
	const char	*method;
	const char	*path;			/* without the query (keys hide there) */
	char		 model[256];		/* as the client asked */
	char		 provider[65];
	char		 connection[40];
	char		 proxy_level[16];
	char		 proxy_id[40];
	int		 attempts;
	int		 status;		/* sent to the client; 499 = it left first */
	uint64_t	 bytes_in;		/* request head + body */
	uint64_t	 bytes_out;		/* written to the client */
	int64_t		 ttfb_ms;		/* -1 = no byte sent */
	int64_t		 total_ms;
};

/* Append one whole line (LF-terminated) for rec in fmt to out. */
void	access_format(const struct access_record *rec, enum log_format fmt,
	    struct textbuf *out);
/* One logfmt value (quoted when needed) / one JSON string (quotes included). */
void	logfmt_append_value(struct textbuf *out, const char *s, size_t len);
void	json_append_string(struct textbuf *out, const char *s, size_t len);

/* The writer. path "stderr" writes to fd 2. */
struct access_log {
	char		*path;
	int		 fd;
	bool		 own_fd;	/* close it on reopen/close (not stderr) */
	bool		 whole_lines;	/* a pipe or a tty: write at most PIPE_BUF at once */
	enum log_format	 format;
	struct textbuf	 buf;
};

#define ACCESS_LOG_FLUSH_AT	(32 * 1024)

/* 0 ok; -1 with a message in err. */
int	access_log_open(struct access_log *al, const char *path, enum log_format fmt,
	    char *err, size_t errlen);
/* Queue rec's line; true when the buffer should be flushed now. */
bool	access_log_add(struct access_log *al, const struct access_record *rec);
void	access_log_flush(struct access_log *al);
/* Flush, then open the path again (logrotate); the old file stays on failure. */
int	access_log_reopen(struct access_log *al, char *err, size_t errlen);
void	access_log_close(struct access_log *al);

/*
 * What a management mutation names, for its log line: the id-like fields of
 * its arguments and reply (id, name, providerId, connectionId, scope, scopeId,
 * proxyId), "key=value" separated by spaces. Never any other field: bodies
 * carry secrets.
 */
struct json_object;
void	mutation_describe(struct json_object *args, struct json_object *reply,
	    char *out, size_t outlen);

#endif
