/*
 * worker/provider_head.h — the request head lines every call to a provider
 * carries, whoever makes it (the relay, the model list): the Host line and
 * the provider's own auth and extra headers. One place, so a fix to how a
 * provider is addressed or authenticated reaches every caller.
 */
#ifndef OMNI_PROVIDER_HEAD_H
#define OMNI_PROVIDER_HEAD_H

#include <json-c/json.h>

#include "http_parse.h"
#include "http_util.h"
#include "textbuf.h"

/* "Host: name[:port]\r\n" (IPv6 literals bracketed, the default port left out). */
void	provider_head_host(struct textbuf *t, const struct http_url *base);
/*
 * The auth line of auth_style ("bearer": Authorization: Bearer KEY,
 * "x-api-key": x-api-key: KEY, "none" or an empty key: nothing), then the
 * provider's extra headers (a JSON object of strings) except those the
 * client already sent (client may be NULL).
 */
void	provider_head_auth(struct textbuf *t, const char *auth_style, const char *key,
	    struct json_object *extra, const struct http_request_head *client);

#endif
