/*
 * worker/pool.c — see pool.h. A small list per worker; the key is
 * "tls|host|port". While idle, a connection's read callback is ours: any
 * byte or EOF means it cannot be reused, and it is freed.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "io.h"
#include "pool.h"
#include "textbuf.h"
#include "util.h"
#include "worker.h"

#define POOL_MAX_IDLE	64

struct pooled {
	TAILQ_ENTRY(pooled)	 entry;
	struct worker		*w;
	char			 key[640];
	struct bufferevent	*bev;
	struct event		*timer;
};

/* "tls|host|port|proxy" (cut to fit: the host is at most 255 bytes) */
static void
make_key(char *out, size_t len, const char *host, uint16_t port, bool tls,
    const char *proxy_id)
{
	char digits[UINT_DIGITS_MAX];
	size_t off = 0;

	uint_to_digits(digits, port);
	off += str_copy(out + off, len - off, tls ? "1|" : "0|");
	off += str_copy(out + off, len - off, host);
	off += str_copy(out + off, len - off, "|");
	off += str_copy(out + off, len - off, digits);
	off += str_copy(out + off, len - off, "|");
	str_copy(out + off, len - off, proxy_id != NULL ? proxy_id : "direct");
}

static void
pooled_free(struct pooled *p)
{
	TAILQ_REMOVE(&p->w->pool, p, entry);
	p->w->pool_count--;
	event_free(p->timer);
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	free(p);
}

static void
on_idle_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pooled_free(arg);	/* an idle connection has nothing to say */
}

static void
on_idle_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	pooled_free(arg);
}

static void
on_idle_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pooled_free(arg);
}

/* The socket under a (possibly TLS-filtered) bufferevent is still open and quiet. */
static bool
still_usable(struct bufferevent *bev)
{
	struct bufferevent *under = bufferevent_get_underlying(bev);
	evutil_socket_t fd = bufferevent_getfd(under != NULL ? under : bev);
	char byte;
	ssize_t n;

	if (fd < 0)
		return false;
	n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct bufferevent *
pool_take(struct worker *w, const char *host, uint16_t port, bool tls,
    const char *proxy_id)
{
	struct pooled *p, *next;
	struct bufferevent *bev;
	char key[640];

	make_key(key, sizeof(key), host, port, tls, proxy_id);
	for (p = TAILQ_LAST(&w->pool, pooled_list); p != NULL; p = next) {
		next = TAILQ_PREV(p, pooled_list, entry);
		if (strcmp(p->key, key) != 0)
			continue;
		bev = p->bev;
		p->bev = NULL;
		pooled_free(p);
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
		if (evbuffer_get_length(bufferevent_get_input(bev)) == 0 && still_usable(bev))
			return bev;
		bufferevent_free(bev);
	}
	return NULL;
}

void
pool_put(struct worker *w, const char *host, uint16_t port, bool tls,
    const char *proxy_id, struct bufferevent *bev)
{
	struct pooled *p;
	long ms = proxy_id != NULL ? w->cfg->pool_proxied_idle_ms : w->cfg->pool_idle_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms <= 0 || w->draining || evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		bufferevent_free(bev);
		return;
	}
	if (w->pool_count >= POOL_MAX_IDLE)
		pooled_free(TAILQ_FIRST(&w->pool));	/* the oldest goes */
	p = xcalloc(1, sizeof(*p));
	p->w = w;
	p->bev = bev;
	make_key(p->key, sizeof(p->key), host, port, tls, proxy_id);
	p->timer = evtimer_new(w->base, on_idle_timeout, p);
	evtimer_add(p->timer, &tv);
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_setcb(bev, on_idle_read, NULL, on_idle_event, p);
	io_enable(bev, EV_READ);
	TAILQ_INSERT_TAIL(&w->pool, p, entry);
	w->pool_count++;
}

void
pool_free_all(struct worker *w)
{
	while (!TAILQ_EMPTY(&w->pool))
		pooled_free(TAILQ_FIRST(&w->pool));
}
