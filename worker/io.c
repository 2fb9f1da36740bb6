/*
 * worker/io.c — see io.h. The socket of a stack is found by following
 * bufferevent_get_underlying; whatever TLS filters sit above it have already
 * encrypted into its output by the time a write call returns.
 */
#include <errno.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "io.h"

static struct bufferevent *
bottom_socket(struct bufferevent *bev)
{
	struct bufferevent *under;

	while ((under = bufferevent_get_underlying(bev)) != NULL)
		bev = under;
	return bev;
}

void
io_write_on_demand(struct bufferevent *bev)
{
	struct bufferevent *sock = bottom_socket(bev);

	if ((bufferevent_get_enabled(sock) & EV_WRITE) &&
	    evbuffer_get_length(bufferevent_get_output(sock)) == 0)
		bufferevent_disable(sock, EV_WRITE);
}

bool
io_flush_now(struct bufferevent *bev)
{
	struct bufferevent *sock = bottom_socket(bev);
	struct evbuffer *out = bufferevent_get_output(sock);
	evutil_socket_t fd = bufferevent_getfd(sock);

	if (evbuffer_get_length(out) == 0)
		return true;
	if (fd >= 0) {
		/* a bufferevent keeps its output's start frozen against others
		 * draining it; it thaws it the same way around its own writes */
		evbuffer_unfreeze(out, 1);
		(void)evbuffer_write(out, fd);	/* a hard error shows on the write event */
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_get_length(out) == 0)
		return true;
	if (!(bufferevent_get_enabled(sock) & EV_WRITE))
		bufferevent_enable(sock, EV_WRITE);
	return false;
}

void
io_enable(struct bufferevent *bev, short events)
{
	short missing = (short)(events & ~bufferevent_get_enabled(bev));

	if (missing != 0)
		bufferevent_enable(bev, missing);
}
