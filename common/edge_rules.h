/*
 * common/edge_rules.h — what a request head alone decides at the HTTP edge,
 * before any body is read: the rules that keep browsers and other local
 * programs from driving the daemon on the user's behalf (API.md "Management
 * authentication"). Pure: the parsed head, whether the peer is on loopback
 * and the configured lists in; a verdict out. See edge_rules.c for the rules.
 */
#ifndef OMNI_EDGE_RULES_H
#define OMNI_EDGE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "http_parse.h"

/* The settings the rules read (config allowed_hosts, allowed_origins). */
struct edge_policy {
	const char	*allowed_hosts;		/* comma list of host names; NULL = none */
	const char	*allowed_origins;	/* comma list of scheme://host[:port]; NULL = none */
};

enum edge_action {
	EDGE_PASS,		/* go on with the request */
	EDGE_REFUSE,		/* answer status + message (error envelope), close */
	EDGE_PREFLIGHT,		/* a CORS preflight from an allowed origin: 204 */
	EDGE_SERVER_OPTIONS,	/* OPTIONS *: the methods served, in Allow */
};

struct edge_verdict {
	enum edge_action action;
	int		 status;	/* EDGE_REFUSE */
	const char	*message;	/* EDGE_REFUSE: a static string */
	/*
	 * Non-NULL when allowed_origins names the request's Origin on a /v1
	 * path: every response to it carries "Access-Control-Allow-Origin:"
	 * with these bytes (the Origin header's value, pointing into the head)
	 * and "Vary: Origin". NULL: no Access-Control-* header at all.
	 */
	const char	*cors_origin;
	size_t		 cors_origin_len;
};

/* Headers a response to a preflight (EDGE_PREFLIGHT) and to OPTIONS * carry. */
#define EDGE_METHODS_SERVED	"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
#define EDGE_CORS_PREFLIGHT_HEADERS \
	"Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n" \
	"Access-Control-Allow-Headers: Authorization, Content-Type, Accept, " \
	"OpenAI-Organization, OpenAI-Project, OpenAI-Beta, X-Api-Key, " \
	"X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, " \
	"X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, " \
	"X-Stainless-Retry-Count, X-Stainless-Timeout, X-Stainless-Async, " \
	"Anthropic-Version, Anthropic-Beta, " \
	"Anthropic-Dangerous-Direct-Browser-Access\r\n" \
	"Access-Control-Max-Age: 600\r\n"

/* Decide on a complete, parsed request head. */
void	edge_decide(const struct http_request_head *head, bool peer_is_loopback,
	    const struct edge_policy *policy, struct edge_verdict *out);

/*
 * Config checks: every element of an allowed_hosts list is a host name or a
 * bracketed IPv6 literal (no port); every element of an allowed_origins list
 * is scheme://host[:port] with no path. NULL or empty lists are valid. On a
 * bad element: false, with *bad / *bad_len naming it in list.
 */
bool	edge_host_list_valid(const char *list, const char **bad, size_t *bad_len);
bool	edge_origin_list_valid(const char *list, const char **bad, size_t *bad_len);

#endif
