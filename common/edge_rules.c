/*
 * common/edge_rules.c — the rules a request head meets at the HTTP edge,
 * decided from the parsed head alone, before any body byte is buffered or
 * counted (API.md "Management authentication"). Browsers are not trusted
 * callers: a web page the user opens can make the browser send requests to
 * 127.0.0.1, either cross-site (a form post, a fetch) or through DNS
 * rebinding (a name of the attacker's that starts resolving to 127.0.0.1,
 * which makes the browser treat the daemon as the attacker's own site).
 *
 * In the order they are applied:
 *   1. Ambiguous heads: two Authorization, Host, Origin or Content-Type
 *      headers → 400 (never "the first wins").
 *   2. Host (DNS rebinding): a request from a loopback peer to any path but
 *      /healthz must name the daemon by a loopback literal (127.0.0.0/8,
 *      [::1], [::ffff:127.x.x.x]), "localhost" or a name in allowed_hosts,
 *      with or without a port → else 403. A rebinding page can only make the
 *      browser send the attacker's own name. Peers on other addresses (a
 *      container network, say) reach the daemon under whatever name they
 *      use and are not subject to it.
 *      A head without Host (HTTP/1.0 allows that) passes: every browser
 *      sends Host, so such a request comes from a program that opened the
 *      socket itself, which a DNS name cannot trick into it.
 *   3. "*" (asterisk-form, only OPTIONS gets past the parser): answered with
 *      the methods served; any other method → 400.
 *   4. Origin (cross-site): on /api always, and on /v1 unless allowed_origins
 *      names the origin, an Origin header must be the request's own one —
 *      "http://" (the listener speaks plain HTTP) plus the Host's host and
 *      port, host compared without case, port 80 when not given → else 403.
 *      "null" is cross-site; localhost and 127.0.0.1 are different origins.
 *      Without a Host the request has no origin of its own: any Origin is
 *      cross-site.
 *   5. CORS: only a /v1 request whose Origin allowed_origins names gets
 *      Access-Control-* headers (cors_origin). A preflight (OPTIONS /v1/...
 *      with Access-Control-Request-Method) from such an origin is answered
 *      204; from any other origin 403.
 *   6. Media type: an /api request that announces a body (Content-Length > 0
 *      or chunked) must say Content-Type: application/json (parameters such
 *      as charset allowed) → else 415. A form post or a text/plain fetch is
 *      what a page can send cross-site without a preflight; requiring JSON
 *      takes those away even where Origin is not sent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "edge_rules.h"
#include "http_lex.h"
#include "http_util.h"

#define PORT_NOT_GIVEN	0

/* host[:port] as in a Host header or after an origin's "scheme://" */
struct authority {
	const char	*host;		/* "[::1]" keeps its brackets */
	size_t		 host_len;
	unsigned	 port;		/* PORT_NOT_GIVEN when absent or empty */
};

struct origin {
	const char	*scheme;
	size_t		 scheme_len;
	struct authority authority;
};

/* Where a request goes, as far as these rules care. */
enum edge_area {
	AREA_ASTERISK,		/* OPTIONS * */
	AREA_HEALTHZ,
	AREA_API,		/* /api, /api/... */
	AREA_RELAY,		/* /v1, /v1/... */
	AREA_OTHER,
};

static const struct {
	const char	*path;
	bool		 prefix;	/* path, or path + "/..." */
	enum edge_area	 area;
} areas[] = {
	{ "*", false, AREA_ASTERISK },
	{ "/healthz", false, AREA_HEALTHZ },
	{ "/api", true, AREA_API },
	{ "/v1", true, AREA_RELAY },
};

/* Headers a request may carry once at most (Host: the parser checks too). */
static const struct {
	const char	*name;
	const char	*message;
} single_headers[] = {
	{ "Authorization", "more than one Authorization header" },
	{ "Host", "duplicate Host header" },
	{ "Origin", "more than one Origin header" },
	{ "Content-Type", "more than one Content-Type header" },
};

static enum edge_area
area_of(const struct http_request_head *head)
{
	size_t len = http_target_path_len(head->target, head->target_len), i, n;

	for (i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		n = strlen(areas[i].path);
		if (len == n && memcmp(head->target, areas[i].path, n) == 0)
			return areas[i].area;
		if (areas[i].prefix && len > n && memcmp(head->target, areas[i].path,
		    n) == 0 && head->target[n] == '/')
			return areas[i].area;
	}
	return AREA_OTHER;
}

/* reg-name bytes we accept in a host: letters, digits, "-", ".", "_", "~" */
static bool
is_name_byte(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* An IPv6 literal with its brackets, "[...]", that inet_pton reads. */
static bool
parse_ipv6_literal(const char *s, size_t len, struct in6_addr *addr)
{
	char text[INET6_ADDRSTRLEN + 1];

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' || len - 2 >= sizeof(text))
		return false;
	memcpy(text, s + 1, len - 2);
	text[len - 2] = '\0';
	return inet_pton(AF_INET6, text, addr) == 1;
}

/* A host as a name (reg-name bytes) or a bracketed IPv6 literal. */
static bool
host_well_formed(const char *s, size_t len)
{
	struct in6_addr a6;
	size_t i;

	if (len == 0)
		return false;
	if (s[0] == '[')
		return parse_ipv6_literal(s, len, &a6);
	for (i = 0; i < len; i++)
		if (!is_name_byte((unsigned char)s[i]))
			return false;
	return true;
}

/* Split host[:port]; false when the host is empty or malformed or the port is not 1..65535. */
static bool
parse_authority(const char *s, size_t len, struct authority *a)
{
	const char *close;
	size_t i = 0, digits;
	unsigned long port = 0;

	if (len > 0 && s[0] == '[') {
		if ((close = memchr(s, ']', len)) == NULL)
			return false;
		i = (size_t)(close - s) + 1;
	} else
		while (i < len && s[i] != ':')
			i++;
	a->host = s;
	a->host_len = i;
	a->port = PORT_NOT_GIVEN;
	if (!host_well_formed(s, i))
		return false;
	if (i == len)
		return true;
	if (s[i++] != ':')
		return false;
	for (digits = 0; i < len; i++, digits++) {
		if (!is_digit((unsigned char)s[i]) || digits == 5)
			return false;
		port = port * 10 + (unsigned long)(s[i] - '0');
	}
	if (digits > 0 && (port == 0 || port > 65535))
		return false;
	a->port = (unsigned)port;	/* "host:" (empty port) is the default one */
	return true;
}

/* scheme "://" host [":" port], nothing after: an origin as browsers send it. */
static bool
parse_origin(const char *s, size_t len, struct origin *o)
{
	size_t i = 0;

	if (len == 0 || !is_alpha((unsigned char)s[0]))
		return false;
	while (i < len && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
	    s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	if (len - i < 3 || memcmp(s + i, "://", 3) != 0)
		return false;
	o->scheme = s;
	o->scheme_len = i;
	return parse_authority(s + i + 3, len - i - 3, &o->authority);
}

static unsigned
default_port(const char *scheme, size_t scheme_len)
{
	if (http_token_equals(scheme, scheme_len, "http"))
		return 80;
	if (http_token_equals(scheme, scheme_len, "https"))
		return 443;
	return PORT_NOT_GIVEN;
}

static unsigned
origin_port(const struct origin *o)
{
	return o->authority.port != PORT_NOT_GIVEN ? o->authority.port :
	    default_port(o->scheme, o->scheme_len);
}

static bool
origins_equal(const struct origin *a, const struct origin *b)
{
	return same_token(a->scheme, a->scheme_len, b->scheme, b->scheme_len) &&
	    same_token(a->authority.host, a->authority.host_len, b->authority.host,
	    b->authority.host_len) && origin_port(a) == origin_port(b);
}

/* Is the Origin the request's own: http://, the Host's host and port (80 when not given)? */
static bool
same_origin(const struct origin *o, const struct authority *host)
{
	struct origin own = { "http", 4, *host };

	return origins_equal(o, &own);
}

static bool
in_origin_list(const char *list, const struct origin *o)
{
	const char *element;
	size_t element_len, pos = 0, len;
	struct origin listed;

	if (list == NULL)
		return false;
	len = strlen(list);
	while (pos < len) {
		pos = next_list_element(list, len, pos, &element, &element_len);
		if (parse_origin(element, element_len, &listed) && origins_equal(o, &listed))
			return true;
	}
	return false;
}

static bool
in_host_list(const char *list, const struct authority *a)
{
	const char *element;
	size_t element_len, pos = 0, len;

	if (list == NULL)
		return false;
	len = strlen(list);
	while (pos < len) {
		pos = next_list_element(list, len, pos, &element, &element_len);
		if (same_token(element, element_len, a->host, a->host_len))
			return true;
	}
	return false;
}

/*
 * 127.0.0.0/8, [::1], [::ffff:127.x.x.x] or localhost: the one loopback test
 * (http_host_is_loopback, also the CLIProxyAPI hop rule's), brackets off.
 */
static bool
is_loopback_host(const struct authority *a)
{
	char text[INET6_ADDRSTRLEN + 1];
	const char *host = a->host;
	size_t len = a->host_len;

	if (len > 0 && host[0] == '[') {
		if (len < 3 || host[len - 1] != ']')
			return false;
		host++;
		len -= 2;
	}
	if (len >= sizeof(text))
		return false;
	memcpy(text, host, len);
	text[len] = '\0';
	return http_host_is_loopback(text);
}

static bool
host_allowed(const struct authority *a, const struct edge_policy *policy)
{
	return is_loopback_host(a) || in_host_list(policy->allowed_hosts, a);
}

/* The media type (before any ";" parameters) is application/json. */
static bool
is_json_media_type(const struct http_header *h)
{
	size_t n = 0;

	while (n < h->value_len && h->value[n] != ';')
		n++;
	while (n > 0 && is_ows((unsigned char)h->value[n - 1]))
		n--;
	return http_token_equals(h->value, n, "application/json");
}

static void
refuse(struct edge_verdict *out, int status, const char *message)
{
	out->action = EDGE_REFUSE;
	out->status = status;
	out->message = message;
	out->cors_origin = NULL;
	out->cors_origin_len = 0;
}

static bool
announces_body(const struct http_request_head *head)
{
	return head->framing == HTTP_BODY_CHUNKED ||
	    (head->framing == HTTP_BODY_LENGTH && head->content_length > 0);
}

void
edge_decide(const struct http_request_head *head, bool peer_is_loopback,
    const struct edge_policy *policy, struct edge_verdict *out)
{
	const struct http_header *host_h, *origin_h, *type_h;
	struct authority host;
	struct origin origin;
	enum edge_area area = area_of(head);
	bool host_ok, origin_parsed, origin_allowed;
	size_t i, j, seen;

	memset(out, 0, sizeof(*out));
	out->action = EDGE_PASS;
	for (i = 0; i < sizeof(single_headers) / sizeof(single_headers[0]); i++) {
		for (j = seen = 0; j < head->header_count; j++)
			if (http_token_equals(head->headers[j].name,
			    head->headers[j].name_len, single_headers[i].name))
				seen++;
		if (seen > 1) {
			refuse(out, 400, single_headers[i].message);
			return;
		}
	}
	host_h = http_find_header(head, "Host");
	host_ok = host_h != NULL && parse_authority(host_h->value, host_h->value_len, &host);
	if (peer_is_loopback && area != AREA_HEALTHZ && host_h != NULL &&
	    !(host_ok && host_allowed(&host, policy))) {
		refuse(out, 403, "the Host header names neither a loopback address, "
		    "localhost nor a name in allowed_hosts (a guard against DNS "
		    "rebinding; add the name to allowed_hosts to serve it)");
		return;
	}
	if (area == AREA_ASTERISK) {
		if (http_token_equals(head->method, head->method_len, "OPTIONS"))
			out->action = EDGE_SERVER_OPTIONS;
		else
			refuse(out, 400, "the target \"*\" is for OPTIONS only");
		return;
	}
	if (area != AREA_API && area != AREA_RELAY)
		return;
	origin_h = http_find_header(head, "Origin");
	if (origin_h != NULL) {
		origin_parsed = parse_origin(origin_h->value, origin_h->value_len, &origin);
		origin_allowed = area == AREA_RELAY && origin_parsed &&
		    in_origin_list(policy->allowed_origins, &origin);
		if (origin_allowed) {
			out->cors_origin = origin_h->value;
			out->cors_origin_len = origin_h->value_len;
		} else if (!origin_parsed || !host_ok || !same_origin(&origin, &host)) {
			refuse(out, 403, area == AREA_API ?
			    "cross-site request refused: the Origin is not this "
			    "server's own (scheme, host and port)" :
			    "cross-site request refused: the Origin is neither this "
			    "server's own nor in allowed_origins");
			return;
		}
	}
	if (area == AREA_RELAY &&
	    http_token_equals(head->method, head->method_len, "OPTIONS") &&
	    http_find_header(head, "Access-Control-Request-Method") != NULL) {
		if (out->cors_origin != NULL)
			out->action = EDGE_PREFLIGHT;
		else
			refuse(out, 403, "CORS preflight refused: the Origin is not in "
			    "allowed_origins");
		return;
	}
	if (area == AREA_API && announces_body(head) &&
	    ((type_h = http_find_header(head, "Content-Type")) == NULL ||
	    !is_json_media_type(type_h)))
		refuse(out, 415, "Unsupported Media Type: a request body to /api "
		    "must be sent as Content-Type: application/json");
}

/* Walk a comma list; false at the first element check() refuses. */
static bool
list_valid(const char *list, bool (*check)(const char *, size_t), const char **bad,
    size_t *bad_len)
{
	const char *element;
	size_t element_len, pos = 0, len, i;

	if (list == NULL)
		return true;
	len = strlen(list);
	for (i = 0; i < len && is_ows((unsigned char)list[i]); i++)
		;
	if (i == len)
		return true;	/* empty: none */
	while (pos < len) {
		pos = next_list_element(list, len, pos, &element, &element_len);
		if (!check(element, element_len)) {
			*bad = element;
			*bad_len = element_len;
			return false;
		}
	}
	while (len > 0 && is_ows((unsigned char)list[len - 1]))
		len--;
	if (list[len - 1] == ',') {	/* a trailing comma: an empty last element */
		*bad = list + len;
		*bad_len = 0;
		return false;
	}
	return true;
}

static bool
host_element_valid(const char *s, size_t len)
{
	return host_well_formed(s, len);
}

static bool
origin_element_valid(const char *s, size_t len)
{
	struct origin o;

	return parse_origin(s, len, &o);
}

bool
edge_host_list_valid(const char *list, const char **bad, size_t *bad_len)
{
	return list_valid(list, host_element_valid, bad, bad_len);
}

bool
edge_origin_list_valid(const char *list, const char **bad, size_t *bad_len)
{
	return list_valid(list, origin_element_valid, bad, bad_len);
}
