/*
 * tests/unit/test_edge_rules.c — tests of the HTTP edge rules
 * (common/edge_rules.c) on request heads given as bytes: the Host rule
 * (DNS rebinding) for loopback peers and who is exempt, the Origin rule on
 * /api and /v1, CORS for allowed origins and preflights, OPTIONS *, the 415
 * rule for /api bodies, duplicate headers, and the config list checks.
 * Property loops compare the Origin and Host decisions with a small model
 * over every combination of scheme, host, port and case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "edge_rules.h"

static char head_text[4096];
static struct http_request_head head;

/* Parse text (a whole head) and decide; the verdict. */
static struct edge_verdict
decide_policy(const char *text, bool loopback, const char *hosts, const char *origins)
{
	struct edge_policy policy = { hosts, origins };
	struct edge_verdict v;

	snprintf(head_text, sizeof(head_text), "%s", text);
	if (http_parse_request_head(head_text, strlen(head_text), sizeof(head_text),
	    &head) != PARSE_DONE)
		fail_msg("head does not parse: %s (%s)", text, head.error_message);
	edge_decide(&head, loopback, &policy, &v);
	return v;
}

static struct edge_verdict
decide(const char *text)
{
	return decide_policy(text, true, NULL, NULL);
}

/* A GET of path with the given Host value from a loopback peer. */
static struct edge_verdict
get_with_host(const char *path, const char *host, bool loopback, const char *hosts)
{
	char text[1024];

	snprintf(text, sizeof(text), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
	return decide_policy(text, loopback, hosts, NULL);
}

static void
assert_refused(struct edge_verdict v, int status)
{
	assert_int_equal(v.action, EDGE_REFUSE);
	assert_int_equal(v.status, status);
	assert_non_null(v.message);
	assert_null(v.cors_origin);
}

static void
assert_passes(struct edge_verdict v)
{
	if (v.action != EDGE_PASS)
		fail_msg("refused %d: %s", v.status, v.message ? v.message : "");
}

static const char *const loopback_hosts[] = {
	"127.0.0.1", "127.0.0.1:20128", "127.0.0.2:1", "127.255.255.255:80",
	"127.0.0.1:", "localhost", "LocalHost:8080", "LOCALHOST", "[::1]",
	"[::1]:20128", "[0:0:0:0:0:0:0:1]:5", "[::ffff:127.0.0.1]:5",
	"[::FFFF:127.9.8.7]",
};

static const char *const foreign_hosts[] = {
	"evil.test", "evil.test:20128", "127.0.0.1.evil.test", "localhost.evil.test",
	"localhost.", "127.0.0.256", "127.000.0.1", "0177.0.0.1", "0x7f.0.0.1",
	"2130706433", "localhost:99999", "localhost:0", "[::1", "[::1]x",
	"127.0.0.1:80:80", "evil.test:127.0.0.1", "", "[::1%25lo]",
};

static void
test_host_loopback_names_pass(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loopback_hosts) / sizeof(loopback_hosts[0]); i++) {
		assert_passes(get_with_host("/api/providers", loopback_hosts[i], true, NULL));
		assert_passes(get_with_host("/v1/models", loopback_hosts[i], true, NULL));
	}
}

static void
test_host_rebinding_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(foreign_hosts) / sizeof(foreign_hosts[0]); i++) {
		const char *paths[] = { "/api/providers", "/v1/chat/completions",
		    "/v1", "/", "/nothing/here", "/api" };
		size_t p;
		for (p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			struct edge_verdict v = get_with_host(paths[p], foreign_hosts[i],
			    true, NULL);
			assert_refused(v, 403);
			assert_non_null(strstr(v.message, "allowed_hosts"));
		}
	}
}

static void
test_host_exemptions(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(foreign_hosts) / sizeof(foreign_hosts[0]); i++) {
		/* /healthz: always answered */
		assert_passes(get_with_host("/healthz", foreign_hosts[i], true, NULL));
		assert_passes(get_with_host("/healthz?x=1", foreign_hosts[i], true, NULL));
		/* peers on other addresses (a container network) */
		assert_passes(get_with_host("/api/providers", foreign_hosts[i], false, NULL));
		assert_passes(get_with_host("/v1/models", foreign_hosts[i], false, NULL));
	}
	/* /healthz/x or /healthzz are not /healthz */
	assert_refused(get_with_host("/healthz/x", "evil.test", true, NULL), 403);
	assert_refused(get_with_host("/healthzz", "evil.test", true, NULL), 403);
	/* HTTP/1.0 without Host: not a browser */
	assert_passes(decide("GET /api/providers HTTP/1.0\r\n\r\n"));
	assert_passes(decide("POST /api/providers HTTP/1.0\r\nContent-Type: application/json\r\n"
	    "Content-Length: 2\r\n\r\n"));
}

static void
test_allowed_hosts(void **state)
{
	const char *list = "router.test, Other.Test ,[::1]";

	(void)state;
	assert_passes(get_with_host("/api/providers", "router.test", true, list));
	assert_passes(get_with_host("/api/providers", "router.test:20128", true, list));
	assert_passes(get_with_host("/v1/models", "other.test:9", true, list));
	assert_passes(get_with_host("/v1/models", "OTHER.TEST", true, list));
	assert_refused(get_with_host("/api/providers", "router.test.evil", true, list), 403);
	assert_refused(get_with_host("/api/providers", "outer.test", true, list), 403);
	assert_refused(get_with_host("/api/providers", "evil.test", true, list), 403);
	assert_refused(get_with_host("/api/providers", "router.test", true, ""), 403);
}

/* A request to path with Host and (when not NULL) Origin. */
static struct edge_verdict
with_origin(const char *method, const char *path, const char *host, const char *origin,
    const char *origins)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", method,
	    path, host, origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "");
	return decide_policy(text, true, NULL, origins);
}

static void
test_origin_same_site_passes(void **state)
{
	(void)state;
	assert_passes(with_origin("GET", "/api/providers", "127.0.0.1:20128",
	    "http://127.0.0.1:20128", NULL));
	assert_passes(with_origin("DELETE", "/api/providers?id=x", "localhost:20128",
	    "http://LOCALHOST:20128", NULL));
	assert_passes(with_origin("GET", "/api/providers", "127.0.0.1:80",
	    "http://127.0.0.1", NULL));
	assert_passes(with_origin("GET", "/api/providers", "127.0.0.1",
	    "http://127.0.0.1:80", NULL));
	assert_passes(with_origin("GET", "/api/providers", "[::1]:20128",
	    "http://[::1]:20128", NULL));
	assert_passes(with_origin("POST", "/v1/chat/completions", "127.0.0.1:20128",
	    "http://127.0.0.1:20128", NULL));
	/* no Origin at all: not a browser's cross-site request */
	assert_passes(with_origin("POST", "/api/providers", "127.0.0.1:20128", NULL, NULL));
}

static void
test_origin_cross_site_refused(void **state)
{
	const char *bad[] = {
		"http://evil.test", "null", "http://localhost:20128",
		"https://127.0.0.1:20128", "http://127.0.0.1:20129", "http://127.0.0.1",
		"http://127.0.0.1:20128/", "http://127.0.0.1:20128/x",
		"http://u@127.0.0.1:20128", "127.0.0.1:20128", "http:/127.0.0.1:20128",
		"http://127.0.0.1:20128 http://127.0.0.1:20128", "", "ws://127.0.0.1:20128",
		"http://127.0.0.2:20128",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(with_origin("POST", "/api/providers", "127.0.0.1:20128",
		    bad[i], NULL), 403);
		assert_refused(with_origin("GET", "/api", "127.0.0.1:20128", bad[i],
		    NULL), 403);
		assert_refused(with_origin("POST", "/v1/chat/completions",
		    "127.0.0.1:20128", bad[i], NULL), 403);
		/* an allowed origin opens /v1 only, never /api */
		assert_refused(with_origin("POST", "/api/providers", "127.0.0.1:20128",
		    bad[i], bad[i][0] ? bad[i] : "http://x.test"), 403);
		/* other paths are not subject to it */
		assert_passes(with_origin("GET", "/healthz", "127.0.0.1:20128", bad[i], NULL));
		assert_passes(with_origin("GET", "/other", "127.0.0.1:20128", bad[i], NULL));
	}
	/* HTTP/1.0 without Host: any Origin is cross-site */
	assert_refused(decide("GET /api/providers HTTP/1.0\r\nOrigin: http://127.0.0.1\r\n\r\n"),
	    403);
}

static void
test_cors_allowed_origin(void **state)
{
	const char *list = "https://app.test, http://tool.test:8080";
	struct edge_verdict v;

	(void)state;
	v = with_origin("POST", "/v1/chat/completions", "127.0.0.1:20128",
	    "https://app.test", list);
	assert_int_equal(v.action, EDGE_PASS);
	assert_non_null(v.cors_origin);
	assert_int_equal(v.cors_origin_len, strlen("https://app.test"));
	assert_memory_equal(v.cors_origin, "https://app.test", v.cors_origin_len);
	/* the default port is the same origin; the bytes echoed are the request's */
	v = with_origin("GET", "/v1/models", "127.0.0.1:20128", "https://APP.test:443", list);
	assert_int_equal(v.action, EDGE_PASS);
	assert_memory_equal(v.cors_origin, "https://APP.test:443", v.cors_origin_len);
	v = with_origin("GET", "/v1/models", "127.0.0.1:20128", "http://tool.test:8080", list);
	assert_int_equal(v.action, EDGE_PASS);
	assert_non_null(v.cors_origin);
	/* other origins: refused, no CORS */
	assert_refused(with_origin("GET", "/v1/models", "127.0.0.1:20128",
	    "http://app.test", list), 403);
	assert_refused(with_origin("GET", "/v1/models", "127.0.0.1:20128",
	    "http://tool.test", list), 403);
	/* same-origin on /v1 passes without CORS headers */
	v = with_origin("GET", "/v1/models", "127.0.0.1:20128", "http://127.0.0.1:20128", list);
	assert_int_equal(v.action, EDGE_PASS);
	assert_null(v.cors_origin);
	/* no Origin: no CORS */
	v = with_origin("GET", "/v1/models", "127.0.0.1:20128", NULL, list);
	assert_int_equal(v.action, EDGE_PASS);
	assert_null(v.cors_origin);
	/* never CORS on /api or elsewhere */
	v = with_origin("GET", "/healthz", "127.0.0.1:20128", "https://app.test", list);
	assert_int_equal(v.action, EDGE_PASS);
	assert_null(v.cors_origin);
}

static void
test_cors_preflight(void **state)
{
	const char *list = "https://app.test";
	const char *pre = "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:20128\r\n"
	    "Origin: %s\r\nAccess-Control-Request-Method: POST\r\n"
	    "Access-Control-Request-Headers: authorization, content-type\r\n\r\n";
	char text[512];
	struct edge_verdict v;

	(void)state;
	snprintf(text, sizeof(text), pre, "https://app.test");
	v = decide_policy(text, true, NULL, list);
	assert_int_equal(v.action, EDGE_PREFLIGHT);
	assert_non_null(v.cors_origin);
	/* from any other origin, the same origin included: 403, no CORS */
	snprintf(text, sizeof(text), pre, "https://evil.test");
	assert_refused(decide_policy(text, true, NULL, list), 403);
	assert_refused(decide_policy(text, true, NULL, NULL), 403);
	snprintf(text, sizeof(text), pre, "http://127.0.0.1:20128");
	assert_refused(decide_policy(text, true, NULL, list), 403);
	/* without Origin */
	assert_refused(decide_policy("OPTIONS /v1/models HTTP/1.1\r\nHost: localhost\r\n"
	    "Access-Control-Request-Method: GET\r\n\r\n", true, NULL, list), 403);
	/* an OPTIONS that is not a preflight goes on */
	assert_passes(decide_policy("OPTIONS /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n",
	    true, NULL, list));
	/* the preflight headers name what SDKs send */
	assert_non_null(strstr(EDGE_CORS_PREFLIGHT_HEADERS, "Authorization"));
	assert_non_null(strstr(EDGE_CORS_PREFLIGHT_HEADERS, "Content-Type"));
	assert_non_null(strstr(EDGE_CORS_PREFLIGHT_HEADERS, "Access-Control-Max-Age: "));
}

static void
test_options_asterisk(void **state)
{
	(void)state;
	assert_int_equal(decide("OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n").action,
	    EDGE_SERVER_OPTIONS);
	assert_int_equal(decide("OPTIONS * HTTP/1.0\r\n\r\n").action, EDGE_SERVER_OPTIONS);
	/* it is not /healthz: the Host rule holds */
	assert_refused(decide("OPTIONS * HTTP/1.1\r\nHost: evil.test\r\n\r\n"), 403);
	assert_non_null(strstr(EDGE_METHODS_SERVED, "OPTIONS"));
	assert_non_null(strstr(EDGE_METHODS_SERVED, "POST"));
}

/* An /api (or other path) POST with a body of 2 bytes and this Content-Type line. */
static struct edge_verdict
post_typed(const char *path, const char *type_line)
{
	char text[512];

	snprintf(text, sizeof(text), "POST %s HTTP/1.1\r\nHost: localhost\r\n%s"
	    "Content-Length: 2\r\n\r\n", path, type_line);
	return decide(text);
}

static void
test_media_type(void **state)
{
	const char *ok[] = {
		"Content-Type: application/json\r\n",
		"Content-Type: application/json; charset=utf-8\r\n",
		"Content-Type: Application/JSON\r\n",
		"Content-Type: application/json ;charset=x\r\n",
		"Content-Type: application/json;\r\n",
	};
	const char *refused[] = {
		"", "Content-Type: text/plain\r\n",
		"Content-Type: application/x-www-form-urlencoded\r\n",
		"Content-Type: multipart/form-data; boundary=x\r\n",
		"Content-Type: application/jsonp\r\n", "Content-Type: \r\n",
		"Content-Type: application/json-seq\r\n",
		"Content-Type: text/plain; x=application/json\r\n",
		"Content-Type: application /json\r\n",
	};
	size_t i;
	struct edge_verdict v;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_passes(post_typed("/api/providers", ok[i]));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		v = post_typed("/api/providers", refused[i]);
		assert_refused(v, 415);
		assert_non_null(strstr(v.message, "application/json"));
		/* /v1 and other paths are not subject to it */
		assert_passes(post_typed("/v1/audio/transcriptions", refused[i]));
		assert_passes(post_typed("/other", refused[i]));
	}
	/* a bodiless POST / DELETE needs no Content-Type */
	assert_passes(decide("POST /api/providers/x/test HTTP/1.1\r\nHost: localhost\r\n\r\n"));
	assert_passes(decide("POST /api/providers/x/test HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Length: 0\r\n\r\n"));
	assert_passes(decide("DELETE /api/providers?id=x HTTP/1.1\r\nHost: localhost\r\n\r\n"));
	/* chunked announces a body */
	assert_refused(decide("POST /api/providers HTTP/1.1\r\nHost: localhost\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 415);
	assert_passes(decide("POST /api/providers HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

static void
test_duplicate_headers(void **state)
{
	const char *paths[] = { "/api/providers", "/v1/models", "/healthz", "/other" };
	const char *pairs[] = {
		"Authorization: Bearer a\r\nAuthorization: Bearer b\r\n",
		"authorization: Bearer a\r\nAUTHORIZATION: Bearer a\r\n",
		"Origin: http://localhost\r\nOrigin: http://localhost\r\n",
		"Content-Type: application/json\r\nContent-Type: application/json\r\n",
	};
	char text[512];
	size_t p, i;

	(void)state;
	for (p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
		for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			snprintf(text, sizeof(text), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
			    "%s\r\n", paths[p], pairs[i]);
			assert_refused(decide(text), 400);
			/* whoever sends it */
			assert_refused(decide_policy(text, false, NULL, NULL), 400);
		}
	/* one of each is fine */
	assert_passes(decide("GET /api/providers HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer a\r\n\r\n"));
}

/*
 * Property: for every combination of scheme, host, port and letter case in
 * Origin against every Host, /api passes exactly when the model says same
 * origin, and /v1 when the model says same origin or the list names it.
 */
static void
test_origin_property(void **state)
{
	const char *schemes[] = { "http", "HTTP", "https", "ws" };
	const char *hosts[] = { "127.0.0.1", "localhost", "LocalHost", "127.0.0.2", "[::1]",
	    "app.test" };
	const char *ports[] = { "", ":80", ":20128", ":443", ":0" };
	const char *suffixes[] = { "", "/", "/x", "?", "#" };
	const char *host_headers[] = { "127.0.0.1:20128", "localhost:20128", "127.0.0.1",
	    "localhost:80", "[::1]:20128", "127.0.0.2:443" };
	const char *allowed = "https://app.test, http://127.0.0.2";
	size_t s, h, p, x, hh, n = 0;
	char origin[128], text[512];

	(void)state;
	for (hh = 0; hh < sizeof(host_headers) / sizeof(host_headers[0]); hh++)
	for (s = 0; s < sizeof(schemes) / sizeof(schemes[0]); s++)
	for (h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++)
	for (p = 0; p < sizeof(ports) / sizeof(ports[0]); p++)
	for (x = 0; x < sizeof(suffixes) / sizeof(suffixes[0]); x++) {
		const char *hv = host_headers[hh], *colon;
		char own_host[64], origin_host[64];
		int own_port, port, default_port;
		bool well_formed = suffixes[x][0] == '\0';
		bool same, listed;
		struct edge_verdict api, relay;

		snprintf(origin, sizeof(origin), "%s://%s%s%s", schemes[s], hosts[h],
		    ports[p], suffixes[x]);
		/* the model */
		colon = strrchr(hv, ':');
		if (colon != NULL && strchr(colon, ']') == NULL) {
			snprintf(own_host, sizeof(own_host), "%.*s", (int)(colon - hv), hv);
			own_port = atoi(colon + 1);
		} else {
			snprintf(own_host, sizeof(own_host), "%s", hv);
			own_port = 80;
		}
		snprintf(origin_host, sizeof(origin_host), "%s", hosts[h]);
		default_port = strcasecmp(schemes[s], "http") == 0 ? 80 :
		    strcasecmp(schemes[s], "https") == 0 ? 443 : 0;
		port = ports[p][0] ? atoi(ports[p] + 1) : default_port;
		same = well_formed && strcasecmp(schemes[s], "http") == 0 &&
		    strcasecmp(own_host, origin_host) == 0 && port == own_port;
		listed = well_formed && ((strcasecmp(schemes[s], "https") == 0 &&
		    strcasecmp(origin_host, "app.test") == 0 && port == 443) ||
		    (strcasecmp(schemes[s], "http") == 0 &&
		    strcasecmp(origin_host, "127.0.0.2") == 0 && port == 80));
		/* the rules */
		snprintf(text, sizeof(text), "POST /api/combos HTTP/1.1\r\nHost: %s\r\n"
		    "Origin: %s\r\n\r\n", hv, origin);
		api = decide_policy(text, true, NULL, allowed);
		snprintf(text, sizeof(text), "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\n"
		    "Origin: %s\r\n\r\n", hv, origin);
		relay = decide_policy(text, true, NULL, allowed);
		if ((api.action == EDGE_PASS) != same)
			fail_msg("/api Host %s Origin %s: model %d", hv, origin, same);
		if ((relay.action == EDGE_PASS) != (same || listed))
			fail_msg("/v1 Host %s Origin %s: model %d/%d", hv, origin, same,
			    listed);
		if ((relay.cors_origin != NULL) != listed)
			fail_msg("/v1 CORS Host %s Origin %s", hv, origin);
		assert_null(api.cors_origin);
		n++;
	}
	assert_int_equal(n, 6 * 4 * 6 * 5 * 5);
}

/*
 * Property: every Host built from a name and a port is allowed for a
 * loopback peer exactly when the name is a loopback literal, localhost or
 * listed and the port is empty or 1..65535; other peers always pass.
 */
static void
test_host_property(void **state)
{
	const struct { const char *name; bool loopback; } names[] = {
		{ "127.0.0.1", true }, { "127.1.2.3", true }, { "127.0.0.0", true },
		{ "localhost", true }, { "LOCALHOST", true }, { "[::1]", true },
		{ "[::ffff:127.0.0.1]", true }, { "listed.test", true },
		{ "LISTED.test", true }, { "evil.test", false }, { "127.0.0", false },
		{ "1270.0.0.1", false }, { "localhost.test", false }, { "listed", false },
		{ "[::1]]", false }, { "127.0.0.1.", false },
	};
	const struct { const char *port; bool ok; } ports[] = {
		{ "", true }, { ":", true }, { ":1", true }, { ":65535", true },
		{ ":20128", true }, { ":0", false }, { ":65536", false }, { ":123456", false },
		{ ":8o", false }, { ":-1", false },
	};
	size_t i, j;
	char host[128];

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(ports) / sizeof(ports[0]); j++) {
			bool expect = names[i].loopback && ports[j].ok;
			snprintf(host, sizeof(host), "%s%s", names[i].name, ports[j].port);
			if ((get_with_host("/api/x", host, true, "listed.test").action ==
			    EDGE_PASS) != expect)
				fail_msg("Host %s: expected %d", host, expect);
			assert_passes(get_with_host("/api/x", host, false, "listed.test"));
		}
}

static void
test_config_lists(void **state)
{
	const char *bad;
	size_t bad_len;

	(void)state;
	assert_true(edge_host_list_valid(NULL, &bad, &bad_len));
	assert_true(edge_host_list_valid("", &bad, &bad_len));
	assert_true(edge_host_list_valid("  ", &bad, &bad_len));
	assert_true(edge_host_list_valid("router.test", &bad, &bad_len));
	assert_true(edge_host_list_valid("a.test, b-c.test ,[::1],my_host", &bad, &bad_len));
	assert_false(edge_host_list_valid("a.test,router.test:80", &bad, &bad_len));
	assert_int_equal(bad_len, strlen("router.test:80"));
	assert_memory_equal(bad, "router.test:80", bad_len);
	assert_false(edge_host_list_valid("a.test,,b.test", &bad, &bad_len));
	assert_int_equal(bad_len, 0);
	assert_false(edge_host_list_valid("a.test, ", &bad, &bad_len));
	assert_false(edge_host_list_valid("http://a.test", &bad, &bad_len));
	assert_false(edge_host_list_valid("a b", &bad, &bad_len));
	assert_false(edge_host_list_valid("[::1", &bad, &bad_len));
	assert_false(edge_host_list_valid("a/b", &bad, &bad_len));

	assert_true(edge_origin_list_valid(NULL, &bad, &bad_len));
	assert_true(edge_origin_list_valid("", &bad, &bad_len));
	assert_true(edge_origin_list_valid("https://app.test", &bad, &bad_len));
	assert_true(edge_origin_list_valid("https://app.test, http://127.0.0.1:3000,"
	    "http://[::1]:8080", &bad, &bad_len));
	assert_false(edge_origin_list_valid("https://app.test/", &bad, &bad_len));
	assert_memory_equal(bad, "https://app.test/", bad_len);
	assert_false(edge_origin_list_valid("https://app.test/path", &bad, &bad_len));
	assert_false(edge_origin_list_valid("app.test", &bad, &bad_len));
	assert_false(edge_origin_list_valid("null", &bad, &bad_len));
	assert_false(edge_origin_list_valid("*", &bad, &bad_len));
	assert_false(edge_origin_list_valid("https://", &bad, &bad_len));
	assert_false(edge_origin_list_valid("https://a.test:99999", &bad, &bad_len));
	assert_false(edge_origin_list_valid("https://u:p@a.test", &bad, &bad_len));
	assert_false(edge_origin_list_valid("https://a.test,", &bad, &bad_len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_loopback_names_pass),
		cmocka_unit_test(test_host_rebinding_refused),
		cmocka_unit_test(test_host_exemptions),
		cmocka_unit_test(test_allowed_hosts),
		cmocka_unit_test(test_origin_same_site_passes),
		cmocka_unit_test(test_origin_cross_site_refused),
		cmocka_unit_test(test_cors_allowed_origin),
		cmocka_unit_test(test_cors_preflight),
		cmocka_unit_test(test_options_asterisk),
		cmocka_unit_test(test_media_type),
		cmocka_unit_test(test_duplicate_headers),
		cmocka_unit_test(test_origin_property),
		cmocka_unit_test(test_host_property),
		cmocka_unit_test(test_config_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
