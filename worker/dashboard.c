/*
 * worker/dashboard.c — serving the embedded dashboard files; see
 * dashboard.h for what is served and with which headers.
 */
#include <stdio.h>
#include <string.h>

#include "dashboard.h"
#include "http_util.h"
#include "worker.h"

#define DASHBOARD_PATH	"/dashboard"

/*
 * The page may load, run and call only what comes from its own origin;
 * nothing may frame it. 'self' alone: no inline script or style, no eval,
 * no plug-ins, images only its own (and data: for generated SVG).
 */
#define DASHBOARD_HEADERS						\
	"Content-Security-Policy: default-src 'none'; script-src 'self'; "	\
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; "	\
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; "		\
	"form-action 'self'; frame-ancestors 'none'\r\n"			\
	"X-Frame-Options: DENY\r\n"						\
	"Referrer-Policy: no-referrer\r\n"					\
	"Cross-Origin-Opener-Policy: same-origin\r\n"				\
	"Cross-Origin-Resource-Policy: same-origin\r\n"

/* A short plain-text answer: the arguments http_respond_bytes takes after
 * the headers. */
#define PLAIN_TEXT(s)	"text/plain; charset=utf-8", "no-store", s, sizeof(s) - 1

static const struct {
	const char	*extension;
	const char	*type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".json", "application/json" },
};

const char *
dashboard_content_type(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		size_t n = strlen(content_types[i].extension);
		if (len > n && strcmp(name + len - n, content_types[i].extension) == 0)
			return content_types[i].type;
	}
	return "application/octet-stream";
}

const struct dashboard_asset *
dashboard_find(const char *path)
{
	const struct dashboard_asset *a;
	const char *name;

	if (strcmp(path, DASHBOARD_PATH) == 0 || strcmp(path, DASHBOARD_PATH "/") == 0)
		name = "index.html";
	else if (strcmp(path, "/favicon.ico") == 0)	/* asked for by habit */
		name = "favicon.svg";
	else if (strncmp(path, DASHBOARD_PATH "/", sizeof(DASHBOARD_PATH)) == 0)
		name = path + sizeof(DASHBOARD_PATH);
	else
		return NULL;
	for (a = dashboard_assets; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* Only GET and HEAD: anything else is a 405 naming them. */
static bool
method_is_get(struct http_conn *c)
{
	if (strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0)
		return true;
	http_respond_bytes(c, 405, "Allow: GET, HEAD\r\n",
	    PLAIN_TEXT("only GET and HEAD are served here\n"));
	return false;
}

void
dashboard_serve(struct http_conn *c)
{
	const struct dashboard_asset *a;
	const struct http_header *h;
	char headers[1024];
	bool gzip, not_modified;

	if (!method_is_get(c))
		return;
	if ((a = dashboard_find(c->path)) == NULL) {
		http_respond_bytes(c, 404, DASHBOARD_HEADERS,
		    PLAIN_TEXT("no such dashboard file\n"));
		return;
	}
	h = http_find_header(&c->head, "Accept-Encoding");
	gzip = h != NULL && http_accepts_coding(h->value, h->value_len, "gzip");
	/* the same ETag for both forms: a gzip cache and a plain one never
	 * mix up, as the answer varies by Accept-Encoding */
	h = http_find_header(&c->head, "If-None-Match");
	not_modified = h != NULL && http_etag_matches(h->value, h->value_len, a->etag);
	snprintf(headers, sizeof(headers), DASHBOARD_HEADERS "ETag: %s\r\n"
	    "Vary: Accept-Encoding\r\n%s", a->etag,
	    gzip && !not_modified ? "Content-Encoding: gzip\r\n" : "");
	if (not_modified)
		http_respond_bytes(c, 304, headers, NULL, "no-cache", NULL, 0);
	else
		http_respond_bytes(c, 200, headers, dashboard_content_type(a->name),
		    "no-cache", gzip ? a->gzip : a->bytes, gzip ? a->gzip_len : a->len);
}

void
dashboard_redirect(struct http_conn *c)
{
	if (!method_is_get(c))
		return;
	http_respond_bytes(c, 302, DASHBOARD_HEADERS "Location: " DASHBOARD_PATH "\r\n",
	    PLAIN_TEXT("see /dashboard\n"));
}
