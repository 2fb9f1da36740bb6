/*
 * common/proxy_url.h — a proxy written as a URL ("socks5://user:p%40ss@host:1080"),
 * as older OmniRoute installs stored it in their legacy proxy config: a pure
 * parser into type, host, port and percent-decoded credentials.
 */
#ifndef OMNI_PROXY_URL_H
#define OMNI_PROXY_URL_H

#include <stddef.h>

struct proxy_url {
	char	type[8];	/* http, https, socks5 */
	char	host[256];	/* IPv6 without brackets */
	int	port;		/* explicit, else 8080 http / 443 https / 1080 socks5 */
	char	username[256];
	char	password[256];
};

/* Default port of a proxy type ("http" 8080, "https" 443, "socks5" 1080). */
int	proxy_default_port(const char *type);

/* 0 ok; -1 with a static message in *err (what was wrong). */
int	proxy_url_parse(const char *url, struct proxy_url *out, const char **err);

#endif
