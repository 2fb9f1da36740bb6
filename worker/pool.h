/*
 * worker/pool.h — idle upstream connections kept for reuse (keep-alive to
 * providers). Only direct connections are pooled: proxied ones are not reused
 * (cheap proxies drop idle sockets without a word). A pooled connection is
 * dropped when the peer closes or sends anything, or after pool_idle_ms, and
 * checked once more (a peek at the socket) before it is handed out.
 */
#ifndef OMNI_POOL_H
#define OMNI_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>

struct worker;

/* An idle connection to host:port (tls or not), or NULL. */
struct bufferevent *pool_take(struct worker *w, const char *host, uint16_t port, bool tls);
/* Keep a connection whose last response ended cleanly; frees it when full. */
void	pool_put(struct worker *w, const char *host, uint16_t port, bool tls,
	    struct bufferevent *bev);
void	pool_free_all(struct worker *w);

#endif
