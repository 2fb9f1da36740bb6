/*
 * worker/io.h — writing to a peer without a trip through the event loop.
 * libevent's bufferevents write only from a write event: every response
 * would cost an epoll_ctl to arm it, a loop turn, and an epoll_ctl to disarm
 * it. Here the bottom socket of a bufferevent stack (a plain socket, or the
 * socket under one or two TLS filters) keeps EV_WRITE off while it has
 * nothing pending; io_flush_now writes at once what the kernel takes and
 * arms the write event only for a remainder, so errors and slow peers still
 * go through libevent's own paths (and its write timeout).
 */
#ifndef OMNI_IO_H
#define OMNI_IO_H

#include <stdbool.h>

#include <event2/bufferevent.h>

/* Call before adding output: the bottom socket stops arming write events
 * while it has nothing pending (a no-op when it has). */
void	io_write_on_demand(struct bufferevent *bev);
/* Write what the socket takes now; true when nothing is left pending. */
bool	io_flush_now(struct bufferevent *bev);

/* Enable only the events not enabled yet: enabling an enabled TLS filter
 * again is not free (it tries a read and a write at once). */
void	io_enable(struct bufferevent *bev, short events);

#endif
