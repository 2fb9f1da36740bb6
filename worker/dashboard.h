/*
 * worker/dashboard.h — the web dashboard (issue 12), served by every worker
 * from the API's port. Its files (dashboard/) are embedded at build time by
 * dashboard/embed.sh, each with its gzip form and an ETag, so nothing is
 * installed beside the binary and nothing is fetched from elsewhere.
 *
 * GET / redirects to /dashboard; /dashboard is the page (index.html — the
 * view lives in the URL's fragment, so a reload stays where it was) and
 * /dashboard/NAME its other files. Every answer revalidates by ETag (304
 * for a matching If-None-Match), comes gzipped when the client accepts it,
 * and keeps the page to itself: a Content-Security-Policy of its own origin
 * only (no inline script or style, no plug-ins, no frame around it),
 * nosniff and no referrer. The page talks to the management API of API.md
 * like any client (same origin, JSON), so the browser rules there apply.
 */
#ifndef OMNI_DASHBOARD_H
#define OMNI_DASHBOARD_H

#include <stddef.h>

struct http_conn;

struct dashboard_asset {
	const char		*name;		/* "index.html", "app.js", … */
	const unsigned char	*bytes;
	size_t			 len;
	const unsigned char	*gzip;		/* gzip -9n of bytes */
	size_t			 gzip_len;
	const char		*etag;		/* quoted */
};

/* The embedded files, ending with an entry whose name is NULL. */
extern const struct dashboard_asset dashboard_assets[];

/* The file a path names ("/dashboard" and "/dashboard/" are index.html,
 * "/favicon.ico" the SVG icon), or NULL. */
const struct dashboard_asset *dashboard_find(const char *path);
/* Its Content-Type, by the name's extension. */
const char	*dashboard_content_type(const char *name);
/* GET or HEAD /dashboard and /dashboard/NAME. */
void		 dashboard_serve(struct http_conn *c);
/* GET or HEAD /: to the dashboard. */
void		 dashboard_redirect(struct http_conn *c);

#endif
