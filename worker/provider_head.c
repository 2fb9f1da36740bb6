/*
 * worker/provider_head.c — see provider_head.h. Extra header names and
 * values were checked when the provider was saved (master/cmd_provider.c);
 * a value with CR or LF is still never written, whatever the snapshot says.
 */
#include <string.h>

#include "provider_head.h"

void
provider_head_host(struct textbuf *t, const struct http_url *base)
{
	bool v6 = strchr(base->host, ':') != NULL;

	textbuf_add_str(t, v6 ? "Host: [" : "Host: ");
	textbuf_add_str(t, base->host);
	if (v6)
		textbuf_add(t, "]", 1);
	if (base->port != (base->tls ? 443u : 80u)) {
		textbuf_add(t, ":", 1);
		textbuf_add_uint(t, base->port);
	}
	textbuf_add(t, "\r\n", 2);
}

void
provider_head_auth(struct textbuf *t, const char *auth_style, const char *key,
    struct json_object *extra, const struct http_request_head *client)
{
	if (key != NULL && *key != '\0') {
		if (strcmp(auth_style, "bearer") == 0) {
			textbuf_add_str(t, "Authorization: Bearer ");
			textbuf_add_str(t, key);
			textbuf_add(t, "\r\n", 2);
		} else if (strcmp(auth_style, "x-api-key") == 0) {
			textbuf_add_header(t, "x-api-key", 9, key, strlen(key));
		}
	}
	if (extra == NULL || !json_object_is_type(extra, json_type_object))
		return;
	json_object_object_foreach(extra, name, value) {
		const char *v = json_object_get_string(value);
		if (!json_object_is_type(value, json_type_string) ||
		    strpbrk(v, "\r\n") != NULL || strpbrk(name, "\r\n: ") != NULL)
			continue;
		if (client != NULL && http_find_header(client, name) != NULL)
			continue;	/* the client's own wins */
		textbuf_add_header(t, name, strlen(name), v,
		    (size_t)json_object_get_string_len(value));
	}
}
