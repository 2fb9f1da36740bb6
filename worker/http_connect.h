/*
 * worker/http_connect.h — the client side of an HTTP CONNECT tunnel through a
 * proxy (RFC 9110 §9.3.6, RFC 9112): a pure request builder and a pure parser
 * of the proxy's response head.
 *
 * The egress state machine writes the request in one write, then feeds the
 * parser everything buffered so far. PARSE_MORE until the head is complete;
 * PARSE_DONE with the status and head_len, the exact size of the head: on a
 * 2xx the caller drains head_len bytes and everything after them is tunnel
 * data (egress-notes.md §1.7). Nothing here does I/O or allocates.
 *
 *   request   CONNECT host:port HTTP/1.1 CRLF
 *             Host: host:port CRLF
 *             [Proxy-Authorization: Basic base64(user ":" pass) CRLF]
 *             CRLF
 *   response  HTTP/1.x SP 3DIGIT [SP reason] CRLF *(header CRLF) CRLF
 */
#ifndef OMNI_HTTP_CONNECT_H
#define OMNI_HTTP_CONNECT_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

/* Longest host accepted (a DNS name is at most 253 bytes in text). */
#define HTTP_CONNECT_HOST_MAX	255

/*
 * Build the CONNECT request into out (NUL-terminated; *len excludes the NUL).
 *
 * host is a name, an IPv4 literal or an IPv6 literal with or without
 * brackets; IPv6 literals are written bracketed ("[2001:db8::1]:443") and
 * anything else as given. A name (or IPv4 literal) must be 1..255 bytes of
 * printable ASCII or UTF-8 without any of : / ? # [ ] @ % \ (the rule of
 * socks5_build_connect(): none of them belongs in a host, and CR/LF or a
 * space would inject into the request line). Port 0 is refused.
 *
 * Basic authentication (RFC 7617) is sent only when user is non-NULL and
 * non-empty (user "" with a password → no Proxy-Authorization). user and
 * pass (NULL = empty) may hold any bytes except CR and LF (NUL ends a C
 * string); user must not contain ':' (RFC 7617 §2: it would split the pair
 * at the wrong place). The bytes are encoded as given (UTF-8 stays UTF-8).
 * The encoder writes straight into out and keeps no copy of the credentials
 * anywhere else; out then holds them (base64 is not encryption): wipe it
 * (explicit_bzero) once written.
 *
 * Returns 0 and sets *len, or -1 (bad host, port 0, bad credentials, or it
 * does not fit in cap; out is then wiped).
 */
int		http_connect_build_request(char *out, size_t cap,
		    const char *host, uint16_t port, const char *user,
		    const char *pass, size_t *len);

struct http_connect_reply {
	int		 status;	/* 200..599; 2xx = tunnel */
	char		 reason[128];	/* reason phrase, for logs */
	size_t		 head_len;	/* bytes through the final empty line */
	/* set on PARSE_INVALID */
	int		 error_status;	/* what the relay answers: always 502 */
	const char	*error;		/* static text naming what was wrong */
};

/*
 * Parse the proxy's response to CONNECT from buf[0..len).
 *
 *   - The status line is "HTTP/1.0" or "HTTP/1.1", SP, three digits 100..599,
 *     then SP and a reason (possibly empty) or the end of the line; any other
 *     start is PARSE_INVALID as soon as the bytes that refute it arrive.
 *   - Line endings: CRLF, and a bare LF is accepted too (RFC 9112 §2.2
 *     allows it; free proxies send it). The head ends at the first empty
 *     line. A CR not followed by LF, and NUL anywhere in the head, are
 *     PARSE_INVALID. Header lines must be "token:" ...; a line starting with
 *     SP/HT (obs-fold) is accepted and ignored. No header is interpreted.
 *   - Interim 1xx heads (e.g. "100 Continue") are skipped: head_len covers
 *     them and status/reason are those of the final response.
 *   - PARSE_DONE for any final status. Any 2xx means the tunnel is up, and
 *     Content-Length / Transfer-Encoding in a 2xx are ignored (RFC 9110
 *     §9.3.6): bytes after head_len are tunnel data. For any other status
 *     (407 with a body, 502, ...) the caller reports it and closes the
 *     connection; the body is not framed or read.
 *   - max_head caps the whole head (with any 1xx heads): once max_head bytes
 *     are buffered without the end of the head, PARSE_INVALID.
 *   - reason is the reason phrase with control characters and non-ASCII bytes
 *     replaced by '?', cut to 127 bytes (it is only for logs).
 * On PARSE_INVALID, error_status is 502 and error says what was wrong; on
 * PARSE_MORE and PARSE_INVALID the other fields are 0 / empty. buf may be
 * NULL when len is 0 (an empty evbuffer's pullup). Each call rescans from
 * the start: call it once per read, not once per byte.
 */
enum parse	http_connect_parse_reply(const char *buf, size_t len,
		    size_t max_head, struct http_connect_reply *out);

#endif
