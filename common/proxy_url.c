/*
 * common/proxy_url.c — parse "scheme://[user[:pass]@]host[:port][/]" proxy URLs.
 * Schemes: http, https, socks5 (socks5h is the same to us: omniroute always
 * sends the hostname to a SOCKS5 proxy). Credentials are percent-decoded.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "http_util.h"
#include "proxy_fields.h"
#include "proxy_url.h"

int
proxy_default_port(const char *type)
{
	if (strcmp(type, "https") == 0)
		return 443;
	if (strcmp(type, "socks5") == 0)
		return 1080;
	return 8080;
}

static int
parse_url_into(const char *url, struct proxy_url *out, const char **err)
{
	static const struct {
		const char	*scheme;
		const char	*type;
	} schemes[] = {
		{ "http", "http" }, { "https", "https" }, { "socks5", "socks5" },
		{ "socks5h", "socks5" },
	};
	const char *p = strstr(url, "://"), *auth_end, *host, *host_end, *end;
	size_t i, slen;
	long port = 0;
	enum host_kind kind;

	memset(out, 0, sizeof(*out));
	if (p == NULL) {
		*err = "not a URL (expected scheme://host:port)";
		return -1;
	}
	slen = (size_t)(p - url);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].scheme) == slen &&
		    strncasecmp(url, schemes[i].scheme, slen) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		*err = "unsupported scheme (http, https or socks5)";
		return -1;
	}
	strcpy(out->type, schemes[i].type);
	p += 3;
	end = p + strcspn(p, "/?#");
	if ((*end == '/' && end[1] != '\0') || *end == '?' || *end == '#') {
		*err = "a proxy URL has no path, query or fragment";
		return -1;
	}
	auth_end = NULL;
	for (host = p; host < end; host++)
		if (*host == '@')
			auth_end = host;
	if (auth_end != NULL) {
		const char *colon = memchr(p, ':', (size_t)(auth_end - p));
		const char *user_end = colon != NULL ? colon : auth_end;
		if (percent_decode(p, (size_t)(user_end - p), false, out->username,
		    sizeof(out->username)) != 0 || (colon != NULL &&
		    percent_decode(colon + 1, (size_t)(auth_end - colon - 1),
		    false, out->password, sizeof(out->password)) != 0)) {
			*err = "bad credentials in URL";
			return -1;
		}
		host = auth_end + 1;
	} else {
		host = p;
	}
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(end - host));
		if (host_end == NULL) {
			*err = "unterminated IPv6 literal";
			return -1;
		}
		host++;
		p = host_end + 1;
	} else {
		host_end = host;
		while (host_end < end && *host_end != ':')
			host_end++;
		p = host_end;
	}
	if (host_end == host || (size_t)(host_end - host) >= sizeof(out->host)) {
		*err = "missing or over-long host";
		return -1;
	}
	memcpy(out->host, host, (size_t)(host_end - host));
	/* the registry's host grammar (common/proxy_fields.c), brackets taken off */
	kind = host_classify(out->host, strlen(out->host), NULL, NULL, NULL);
	if (kind == HOST_INVALID || (kind == HOST_IPV6) != (host[-1] == '[')) {
		*err = "invalid host (a DNS name, an IPv4 address or a bracketed IPv6 one)";
		return -1;
	}
	if (p < end && *p == ':') {
		for (p++; p < end; p++) {
			if (!isdigit((unsigned char)*p) || port > 65535) {
				*err = "invalid port";
				return -1;
			}
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535) {
			*err = "invalid port";
			return -1;
		}
	} else if (p < end) {
		*err = "unexpected characters after host";
		return -1;
	}
	out->port = port > 0 ? (int)port : proxy_default_port(out->type);
	return 0;
}

int
proxy_url_parse(const char *url, struct proxy_url *out, const char **err)
{
	if (parse_url_into(url, out, err) == 0)
		return 0;
	/* leave no decoded credential behind on failure */
	explicit_bzero(out, sizeof(*out));
	return -1;
}
