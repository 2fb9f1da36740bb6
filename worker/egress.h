/*
 * worker/egress.h — the one way out of omniroute: open a connection to a
 * target (host, port, TLS or not) directly or through a proxy (HTTP CONNECT,
 * HTTPS proxy with CONNECT inside TLS, SOCKS5 with the name sent to the
 * proxy), stage by stage — DNS, TCP connect, TLS to the proxy, proxy
 * handshake, TLS to the target — each with its own deadline and its own error
 * naming the stage, the proxy (never its credentials) and the cause.
 * worker/egress.c is the only file that opens outbound sockets.
 */
#ifndef OMNI_EGRESS_H
#define OMNI_EGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>

#include "registry.h"

struct config;
struct dns_resolver;
struct event_base;
struct ssl_ctx_st;
struct egress;

/*
 * What an egress needs from where it runs, and nothing more: the event loop,
 * the settings (stage deadlines, the happy-eyeballs delay), the TLS client
 * context and the resolver. A worker keeps one (worker.egress_env); egress
 * knows nothing else of the worker.
 */
struct egress_env {
	struct event_base	*base;
	const struct config	*cfg;
	struct ssl_ctx_st	*tls_ctx;	/* SSL_CTX for every egress TLS */
	struct dns_resolver	*dns;
};

enum egress_stage {
	EGRESS_DNS,
	EGRESS_CONNECT,
	EGRESS_PROXY_TLS,
	EGRESS_PROXY_HANDSHAKE,
	EGRESS_TLS,
	EGRESS_READY,
};

/*
 * What went wrong, as a kind a caller can act on without reading the
 * message: the message says it for people, this says it for code.
 */
enum egress_error {
	EGRESS_OK,
	EGRESS_ERR_DNS,		/* the name (target's, or the proxy's) did not resolve */
	EGRESS_ERR_CONNECT,	/* no address took the TCP connection */
	EGRESS_ERR_TLS,		/* TLS to the proxy or the target failed or could not start */
	EGRESS_ERR_PROXY,	/* the proxy refused, broke or garbled its handshake */
	EGRESS_ERR_PROXY_AUTH,	/* the proxy wants credentials, or refused ours */
	EGRESS_ERR_TIMEOUT,	/* the stage's deadline passed */
};

struct egress_target {
	const char	*host;		/* name or IP literal */
	uint16_t	 port;
	bool		 tls;		/* TLS to the target (SNI + verification) */
};

/*
 * The outcome. On success bev is a connected bufferevent (TLS-wrapped when the
 * target wanted TLS) that now belongs to the caller, stage is EGRESS_READY,
 * kind EGRESS_OK and message NULL. On failure bev is NULL, stage is where it
 * broke, kind what broke, and message says so for logs and replies (valid
 * during the call only).
 */
typedef void (*egress_done_fn)(struct bufferevent *bev, enum egress_stage stage,
	    enum egress_error kind, const char *message, void *arg);

/*
 * Start; proxy NULL means direct. The proxy's fields are copied (credentials
 * wiped when done). The callback runs later, from the loop.
 */
struct egress *egress_open(const struct egress_env *env,
	    const struct egress_target *target,
	    const struct snap_proxy *proxy, egress_done_fn done, void *arg);
/* Abandon an attempt: the callback will not run. */
void	egress_cancel(struct egress *e);

const char *egress_stage_name(enum egress_stage stage);

#endif
