/*
 * worker/http_connect.c — the client side of an HTTP CONNECT tunnel: the
 * request we send a proxy (with Basic proxy authentication, base64-encoded
 * straight into the output so no copy of the credentials is left behind) and
 * a pure parser of the proxy's response head. See http_connect.h for the
 * contract of each one.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http_connect.h"

#define CONNECT_ERROR_STATUS	502

/* A bounded appender: after the first overflow it only remembers that. */
struct writer {
	char	*out;
	size_t	 cap;
	size_t	 len;
	bool	 overflow;
};

static void
put_bytes(struct writer *w, const char *s, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->out + w->len, s, n);
	w->len += n;
}

static void
put_string(struct writer *w, const char *s)
{
	put_bytes(w, s, strlen(s));
}

/*
 * Base64 (RFC 4648 §4, with padding) of user ":" pass, written straight into
 * w. The three-byte group and the 24-bit word are the only other places the
 * credentials pass through, and they are wiped at the end.
 */
static void
put_basic_credentials(struct writer *w, const char *user, size_t user_len,
    const char *pass, size_t pass_len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t total = user_len + 1 + pass_len, i, n;
	unsigned char group[3];
	uint32_t word;
	char quad[4];

	for (i = 0; i < total; i += 3) {
		for (n = 0; n < 3 && i + n < total; n++) {
			size_t at = i + n;

			if (at < user_len)
				group[n] = (unsigned char)user[at];
			else if (at == user_len)
				group[n] = ':';
			else
				group[n] =
				    (unsigned char)pass[at - user_len - 1];
		}
		word = (uint32_t)group[0] << 16;
		if (n > 1)
			word |= (uint32_t)group[1] << 8;
		if (n > 2)
			word |= group[2];
		quad[0] = alphabet[(word >> 18) & 0x3f];
		quad[1] = alphabet[(word >> 12) & 0x3f];
		quad[2] = n > 1 ? alphabet[(word >> 6) & 0x3f] : '=';
		quad[3] = n > 2 ? alphabet[word & 0x3f] : '=';
		put_bytes(w, quad, sizeof(quad));
	}
	explicit_bzero(group, sizeof(group));
	explicit_bzero(&word, sizeof(word));
	explicit_bzero(quad, sizeof(quad));
}

/* See socks5.c: printable ASCII or UTF-8, no authority delimiters. */
static bool
is_name_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f && strchr(":/?#[]@%\\", c) == NULL;
}

/*
 * Decide how host goes into the authority: *bare and *bare_len are the host
 * without brackets, *ipv6 says whether it needs them. -1 if host is not a
 * name, IPv4 literal or IPv6 literal we accept.
 */
static int
classify_host(const char *host, const char **bare, size_t *bare_len, bool *ipv6)
{
	unsigned char address[16];
	char literal[64];
	size_t len, i;

	len = strnlen(host, HTTP_CONNECT_HOST_MAX + 1);
	if (len == 0 || len > HTTP_CONNECT_HOST_MAX)
		return -1;
	*bare = host;
	*bare_len = len;
	*ipv6 = false;
	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']' ||
		    len - 2 >= sizeof(literal))
			return -1;
		memcpy(literal, host + 1, len - 2);
		literal[len - 2] = '\0';
		if (inet_pton(AF_INET6, literal, address) != 1)
			return -1;
		*bare = host + 1;
		*bare_len = len - 2;
		*ipv6 = true;
		return 0;
	}
	if (inet_pton(AF_INET6, host, address) == 1) {
		*ipv6 = true;
		return 0;
	}
	for (i = 0; i < len; i++)
		if (!is_name_byte((unsigned char)host[i]))
			return -1;
	return 0;
}

static bool
credential_ok(const char *s, bool is_user)
{
	if (strpbrk(s, "\r\n") != NULL)
		return false;
	return !is_user || strchr(s, ':') == NULL;
}

/* "host:port", with an IPv6 host in brackets. */
static void
put_authority(struct writer *w, const char *bare, size_t bare_len, bool ipv6,
    uint16_t port)
{
	char digits[8];

	if (ipv6)
		put_string(w, "[");
	put_bytes(w, bare, bare_len);
	if (ipv6)
		put_string(w, "]");
	snprintf(digits, sizeof(digits), ":%u", (unsigned)port);
	put_string(w, digits);
}

/*
 * CONNECT host:port HTTP/1.1 CRLF
 * Host: host:port CRLF
 * [Proxy-Authorization: Basic base64(user ":" pass) CRLF]
 * CRLF
 */
int
http_connect_build_request(char *out, size_t cap, const char *host,
    uint16_t port, const char *user, const char *pass, size_t *len)
{
	struct writer w = { out, cap, 0, false };
	const char *bare;
	size_t bare_len;
	bool ipv6, with_auth;

	*len = 0;
	if (cap == 0)
		return -1;
	if (host == NULL || port == 0 ||
	    classify_host(host, &bare, &bare_len, &ipv6) == -1)
		goto fail;
	if (pass == NULL)
		pass = "";
	with_auth = user != NULL && user[0] != '\0';
	if (with_auth &&
	    (!credential_ok(user, true) || !credential_ok(pass, false)))
		goto fail;

	put_string(&w, "CONNECT ");
	put_authority(&w, bare, bare_len, ipv6, port);
	put_string(&w, " HTTP/1.1\r\nHost: ");
	put_authority(&w, bare, bare_len, ipv6, port);
	put_string(&w, "\r\n");
	if (with_auth) {
		put_string(&w, "Proxy-Authorization: Basic ");
		put_basic_credentials(&w, user, strlen(user), pass,
		    strlen(pass));
		put_string(&w, "\r\n");
	}
	put_string(&w, "\r\n");
	put_bytes(&w, "", 1);	/* the NUL must fit too */
	if (w.overflow)
		goto fail;
	*len = w.len - 1;
	return 0;

fail:
	explicit_bzero(out, cap);
	return -1;
}

/* ---- the response head --------------------------------------------------- */

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Bytes a head may hold besides the line ending: HT, SP, VCHAR, obs-text.
 * s[0..n) is a line without its line ending (or all there is of it so far).
 */
static const char *
check_line_bytes(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r')
			return "bare CR in CONNECT response head";
		if (s[i] == '\0')
			return "NUL in CONNECT response head";
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return "control character in CONNECT response head";
	}
	return NULL;
}

/*
 * "HTTP/1.x SP 3DIGIT [SP reason]" in s[0..n), judged as far as it goes when
 * the line is not complete yet. Sets *status when it is.
 */
static const char *
check_status_line(const char *s, size_t n, bool complete, int *status)
{
	static const char prefix[] = "HTTP/1.";
	size_t i;

	for (i = 0; i < n && i < 7; i++)
		if (s[i] != prefix[i])
			return "CONNECT response is not HTTP/1.x";
	if (n > 7 && s[7] != '0' && s[7] != '1')
		return "unsupported HTTP version in CONNECT response";
	if (n > 8 && s[8] != ' ')
		return "malformed CONNECT response status line";
	if (n > 9 && (s[9] < '1' || s[9] > '5'))
		return "CONNECT response status is not 100..599";
	for (i = 10; i < n && i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return "CONNECT response status is not three digits";
	if (n > 12 && s[12] != ' ')
		return "CONNECT response status is not three digits";
	if (!complete)
		return NULL;
	if (n < 12)
		return "malformed CONNECT response status line";
	*status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return NULL;
}

/* "name:" with name a token, or an obs-fold line (SP/HT first, ignored). */
static const char *
check_header_line(const char *s, size_t n, bool complete)
{
	size_t i;

	if (n == 0 || s[0] == ' ' || s[0] == '\t')
		return NULL;
	for (i = 0; i < n && s[i] != ':'; i++)
		if (!is_tchar((unsigned char)s[i]))
			return "malformed header name in CONNECT response";
	if (i == n && !complete)
		return NULL;
	if (i == n)
		return "header line without a colon in CONNECT response";
	if (i == 0)
		return "empty header name in CONNECT response";
	return NULL;
}

/* The reason phrase after "HTTP/1.x NNN ", as log-safe text. */
static void
copy_reason(char out[128], const char *line, size_t n)
{
	size_t i, k = 0;

	for (i = 13; i < n && k < 127; i++, k++) {
		unsigned char c = (unsigned char)line[i];

		out[k] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[k] = '\0';
}

static enum parse
reply_invalid(struct http_connect_reply *out, const char *error)
{
	memset(out, 0, sizeof(*out));
	out->error_status = CONNECT_ERROR_STATUS;
	out->error = error;
	return PARSE_INVALID;
}

enum parse
http_connect_parse_reply(const char *buf, size_t len, size_t max_head,
    struct http_connect_reply *out)
{
	size_t scan = len < max_head ? len : max_head;
	size_t pos = 0, line_len, next;
	bool at_status_line = true, complete;
	const char *line, *lf, *error;
	int status = 0;

	memset(out, 0, sizeof(*out));
	/* stop at scan: nothing more to judge (buf may be NULL if len is 0) */
	while (pos < scan) {
		line = buf + pos;
		lf = memchr(line, '\n', scan - pos);
		line_len = (lf != NULL ? (size_t)(lf - buf) : scan) - pos;
		/*
		 * A CR may end the line, and a CR last in a partial line may be
		 * followed by its LF; any other CR is bare.
		 */
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		complete = lf != NULL;
		if (at_status_line)
			error = check_status_line(line, line_len, complete,
			    &status);
		else
			error = check_header_line(line, line_len, complete);
		if (error == NULL)
			error = check_line_bytes((const unsigned char *)line,
			    line_len);
		if (error != NULL)
			return reply_invalid(out, error);
		if (lf == NULL)
			break;

		next = (size_t)(lf - buf) + 1;
		if (at_status_line) {
			copy_reason(out->reason, line, line_len);
			at_status_line = false;
		} else if (line_len == 0) {
			if (status >= 200) {
				out->status = status;
				out->head_len = next;
				return PARSE_DONE;
			}
			/* an interim 1xx head: the final one follows */
			at_status_line = true;
			out->reason[0] = '\0';
		}
		pos = next;
	}
	if (len >= max_head)
		return reply_invalid(out, "CONNECT response head too large");
	memset(out, 0, sizeof(*out));
	return PARSE_MORE;
}
