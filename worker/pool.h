/*
 * worker/pool.h — idle upstream connections kept for reuse (keep-alive to
 * providers). Direct connections are pooled for pool_idle_ms; proxied ones
 * only when pool_proxied_idle_ms is set (off by default: cheap proxies drop
 * idle sockets without a word), keyed by the proxy too. A pooled connection
 * is dropped when the peer closes or sends anything, or when its idle time is
 * up, and checked once more (a peek at the socket) before it is handed out,
 * so a reused connection is never one known to be dead before the request.
 */
#ifndef OMNI_POOL_H
#define OMNI_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>

struct worker;

/* An idle connection to host:port (tls or not) via proxy_id (NULL: direct), or NULL. */
struct bufferevent *pool_take(struct worker *w, const char *host, uint16_t port, bool tls,
	    const char *proxy_id);
/* Keep a connection whose last response ended cleanly (or free it). */
void	pool_put(struct worker *w, const char *host, uint16_t port, bool tls,
	    const char *proxy_id, struct bufferevent *bev);
void	pool_free_all(struct worker *w);

#endif
