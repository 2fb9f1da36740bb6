/*
 * worker/egress.c — the egress state machine (see egress.h). All state of an
 * attempt lives in struct egress; each stage arms the deadline timer anew.
 * Proxy handshakes write one message at a time and wait for its reply
 * (egress-notes.md §1.3); replies are parsed by the pure codecs of socks5.c
 * and http_connect.c, and any bytes past a reply stay in the buffer for the
 * tunnel (§1.1). This is the only file that connects outbound sockets.
 *
 * The TCP connect (to the target, or to the proxy host) is a Happy Eyeballs
 * race (RFC 8305 §5): the addresses come from dns.c in racing order (IPv6 and
 * IPv4 interleaved); the first attempt starts at once and each next one after
 * happy_eyeballs_delay_ms while nothing has connected, or at once when an
 * attempt fails. The first socket to connect wins and the others are closed;
 * the connect stage's deadline covers the whole race.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

#include "dns.h"
#include "egress.h"
#include "http_connect.h"
#include "log.h"
#include "socks5.h"
#include "tls.h"
#include "util.h"
#include "config.h"

#define CONNECT_REPLY_MAX_HEAD	16384

enum socks_step {
	SOCKS_AWAIT_METHOD,
	SOCKS_AWAIT_AUTH,
	SOCKS_AWAIT_CONNECT,
};

/* One connection attempt of the race: a socket dialling one address. */
struct connect_attempt {
	struct egress		*e;
	struct bufferevent	*bev;		/* NULL unless connecting now */
};

/* The TCP connect stage: attempts[i] dials addrs.addrs[i] of the egress. */
struct connect_race {
	struct connect_attempt	 attempts[DNS_MAX_ADDRS];
	size_t			 started;	/* attempts begun, the next address */
	size_t			 running;	/* attempts connecting now */
	struct event		*next_attempt;	/* the connection attempt delay */
	char			 last_addr[INET6_ADDRSTRLEN];	/* of the last failure */
	char			 last_error[160];		/* its cause */
};

struct egress {
	struct egress_env	 env;	/* a copy: where this egress runs */
	enum egress_stage	 stage;
	char			*target_host;
	uint16_t		 target_port;
	bool			 target_tls;
	bool			 has_proxy;
	enum proxy_type		 proxy_type;
	char			*proxy_host;
	uint16_t		 proxy_port;
	char			*proxy_user;
	char			*proxy_pass;
	char			 proxy_label[300];	/* "SOCKS5 proxy host:port" */
	struct dns_query	*dns;
	struct dns_answer	 addrs;		/* in racing order */
	struct connect_race	 race;
	struct bufferevent	*bev;		/* the current top of the stack */
	struct event		*deadline;
	enum socks_step		 socks_step;
	bool			 offered_userpass;
	egress_done_fn		 done;
	void			*arg;
};

static const char *const stage_names[] = {
	[EGRESS_DNS] = "dns",
	[EGRESS_CONNECT] = "connect",
	[EGRESS_PROXY_TLS] = "proxy_tls",
	[EGRESS_PROXY_HANDSHAKE] = "proxy_handshake",
	[EGRESS_TLS] = "tls",
	[EGRESS_READY] = "ready",
};

const char *
egress_stage_name(enum egress_stage stage)
{
	return stage_names[stage];
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void race_stop(struct egress *e);

static void
egress_free(struct egress *e)
{
	if (e->dns != NULL)
		dns_cancel(e->dns);
	race_stop(e);
	if (e->race.next_attempt != NULL)
		event_free(e->race.next_attempt);
	if (e->bev != NULL)
		bufferevent_free(e->bev);
	if (e->deadline != NULL)
		event_free(e->deadline);
	free(e->target_host);
	free(e->proxy_host);
	wipe_free(e->proxy_user);
	wipe_free(e->proxy_pass);
	free(e);
}

static void
egress_fail(struct egress *e, enum egress_error kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("egress to %s:%u failed in stage %s: %s", e->target_host,
	    e->target_port, stage_names[e->stage], msg);
	e->done(NULL, e->stage, kind, msg, e->arg);
	egress_free(e);
}

static void
egress_ready(struct egress *e)
{
	struct bufferevent *bev = e->bev;

	e->bev = NULL;
	e->stage = EGRESS_READY;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	e->done(bev, EGRESS_READY, EGRESS_OK, NULL, e->arg);
	egress_free(e);
}

static long
stage_timeout_ms(const struct egress *e)
{
	const struct config *cfg = e->env.cfg;

	switch (e->stage) {
	case EGRESS_DNS:
		return cfg->dns_timeout_ms;
	case EGRESS_CONNECT:
		return cfg->connect_timeout_ms;
	case EGRESS_PROXY_TLS:
	case EGRESS_TLS:
		return cfg->tls_timeout_ms;
	case EGRESS_PROXY_HANDSHAKE:
		return cfg->proxy_handshake_timeout_ms;
	case EGRESS_READY:
		break;
	}
	return cfg->connect_timeout_ms;
}

static void
enter_stage(struct egress *e, enum egress_stage stage)
{
	long ms;
	struct timeval tv;

	e->stage = stage;
	ms = stage_timeout_ms(e);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(e->deadline, &tv);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct egress *e = arg;

	(void)fd;
	(void)what;
	if (e->has_proxy && e->stage != EGRESS_TLS)
		egress_fail(e, EGRESS_ERR_TIMEOUT, "%s: timed out after %ld ms (stage %s)", e->proxy_label,
		    stage_timeout_ms(e), stage_names[e->stage]);
	else
		egress_fail(e, EGRESS_ERR_TIMEOUT, "%s:%u: timed out after %ld ms (stage %s)",
		    e->target_host, e->target_port, stage_timeout_ms(e),
		    stage_names[e->stage]);
}

/* ---- TLS (to an HTTPS proxy, or to the target) ---------------------------- */

static void after_handshake(struct egress *e);
static void start_handshake(struct egress *e);

static void
on_tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct egress *e = arg;
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		if (e->stage == EGRESS_PROXY_TLS)
			start_handshake(e);
		else
			egress_ready(e);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		tls_describe_error(bufferevent_openssl_get_ssl(bev), why, sizeof(why));
		if (e->stage == EGRESS_PROXY_TLS)
			egress_fail(e, EGRESS_ERR_TLS, "TLS to %s failed: %s", e->proxy_label, why);
		else
			egress_fail(e, EGRESS_ERR_TLS, "TLS to %s:%u failed%s%s: %s", e->target_host,
			    e->target_port, e->has_proxy ? " through " : "",
			    e->has_proxy ? e->proxy_label : "", why);
	}
}

static void
start_tls(struct egress *e, const char *host, enum egress_stage stage)
{
	char session_key[700];
	SSL *ssl;
	struct bufferevent *filter;

	/* a resumed session stays on its exit: the key names the proxy and its
	 * credentials (a user or a password can select the exit) */
	if (stage == EGRESS_TLS && e->has_proxy)
		snprintf(session_key, sizeof(session_key), "%016llx|%s|%s|%u",
		    (unsigned long long)proxy_credentials_fingerprint(e->proxy_user,
		    e->proxy_pass), e->proxy_label, host, e->target_port);
	else if (stage == EGRESS_TLS)
		snprintf(session_key, sizeof(session_key), "direct|%s|%u", host,
		    e->target_port);
	else
		snprintf(session_key, sizeof(session_key), "%016llx|proxy|%s|%u",
		    (unsigned long long)proxy_credentials_fingerprint(e->proxy_user,
		    e->proxy_pass), host, e->proxy_port);
	ssl = tls_client_new(e->env.tls_ctx, host, session_key);

	enter_stage(e, stage);
	if (ssl == NULL) {
		egress_fail(e, EGRESS_ERR_TLS, "cannot set up TLS for %s", host);
		return;
	}
	filter = bufferevent_openssl_filter_new(e->env.base, e->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (filter == NULL) {
		SSL_free(ssl);
		egress_fail(e, EGRESS_ERR_TLS, "cannot set up TLS for %s", host);
		return;
	}
	/* a peer closing without close_notify is an EOF; HTTP framing judges it */
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	e->bev = filter;
	bufferevent_setcb(filter, NULL, NULL, on_tls_event, e);
	bufferevent_enable(filter, EV_READ | EV_WRITE);
}

/* ---- proxy handshakes ---------------------------------------------------- */

/* false when the egress failed (and is freed) */
static bool
socks_send_connect(struct egress *e)
{
	uint8_t msg[SOCKS5_CONNECT_MAX_LEN];
	size_t len;

	if (socks5_build_connect(msg, sizeof(msg), e->target_host, e->target_port,
	    &len) != 0) {
		egress_fail(e, EGRESS_ERR_PROXY, "%s: cannot ask for %s:%u (a host name is 1..255 "
		    "bytes; it is never resolved locally instead)", e->proxy_label,
		    e->target_host, e->target_port);
		return false;
	}
	e->socks_step = SOCKS_AWAIT_CONNECT;
	bufferevent_write(e->bev, msg, len);
	return true;
}

/*
 * Feed the parser of the current step. Returns true when a step completed
 * and the next message went out: bytes still buffered are the next reply
 * (a server may send it early, §1.1) and the caller parses them at once,
 * since no read event will come for bytes already read. False when more
 * bytes are needed, or the egress ended (failed or handed over; e is freed).
 */
static bool
socks_read(struct egress *e, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in), consumed = 0;
	const uint8_t *buf = evbuffer_pullup(in, (ssize_t)len);
	struct socks5_reply reply;
	uint8_t value = 0;
	enum parse p;

	switch (e->socks_step) {
	case SOCKS_AWAIT_METHOD:
		if ((p = socks5_parse_method(buf, len, &value, &consumed)) == PARSE_MORE)
			return false;
		if (p == PARSE_INVALID) {
			egress_fail(e, EGRESS_ERR_PROXY, "%s sent a malformed method reply", e->proxy_label);
			return false;
		}
		evbuffer_drain(in, consumed);
		if (value == 0x00) {
			return socks_send_connect(e);
		} else if (value == 0x02 && e->offered_userpass) {
			uint8_t msg[SOCKS5_USERPASS_MAX_LEN];
			size_t mlen;
			if (socks5_build_userpass(msg, sizeof(msg), e->proxy_user,
			    e->proxy_pass, &mlen) != 0) {
				egress_fail(e, EGRESS_ERR_PROXY_AUTH, "%s: username or password longer than 255 bytes",
				    e->proxy_label);
				return false;
			}
			e->socks_step = SOCKS_AWAIT_AUTH;
			bufferevent_write(e->bev, msg, mlen);
			explicit_bzero(msg, sizeof(msg));
			return true;
		} else {
			egress_fail(e, EGRESS_ERR_PROXY_AUTH, "%s accepts none of our authentication methods "
			    "(it chose %s)", e->proxy_label, socks5_method_name(value));
		}
		return false;
	case SOCKS_AWAIT_AUTH:
		if ((p = socks5_parse_auth_reply(buf, len, &value, &consumed)) == PARSE_MORE)
			return false;
		if (p == PARSE_INVALID) {
			egress_fail(e, EGRESS_ERR_PROXY, "%s sent a malformed authentication reply",
			    e->proxy_label);
			return false;
		}
		evbuffer_drain(in, consumed);
		if (value != 0) {
			egress_fail(e, EGRESS_ERR_PROXY_AUTH, "%s rejected the username/password (status %u)",
			    e->proxy_label, value);
			return false;
		}
		return socks_send_connect(e);
	case SOCKS_AWAIT_CONNECT:
		if ((p = socks5_parse_reply(buf, len, &reply, &consumed)) == PARSE_MORE)
			return false;
		if (p == PARSE_INVALID) {
			egress_fail(e, EGRESS_ERR_PROXY, "%s sent a malformed CONNECT reply", e->proxy_label);
			return false;
		}
		if (reply.rep != 0) {
			egress_fail(e, EGRESS_ERR_PROXY, "%s refused CONNECT to %s:%u: %s (REP %u)",
			    e->proxy_label, e->target_host, e->target_port,
			    socks5_rep_name(reply.rep), reply.rep);
			return false;
		}
		evbuffer_drain(in, consumed);
		after_handshake(e);
		return false;
	}
	return false;
}

static void
connect_read(struct egress *e, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	struct http_connect_reply reply;
	enum parse p;

	p = http_connect_parse_reply((const char *)evbuffer_pullup(in, (ssize_t)len),
	    len, CONNECT_REPLY_MAX_HEAD, &reply);
	if (p == PARSE_MORE)
		return;
	if (p == PARSE_INVALID) {
		egress_fail(e, EGRESS_ERR_PROXY, "%s sent a malformed CONNECT reply: %s", e->proxy_label,
		    reply.error);
		return;
	}
	if (reply.status < 200 || reply.status > 299) {
		egress_fail(e, reply.status == 407 ?
		    EGRESS_ERR_PROXY_AUTH : EGRESS_ERR_PROXY, "%s answered %d %s to CONNECT %s:%u", e->proxy_label,
		    reply.status, reply.reason, e->target_host, e->target_port);
		return;
	}
	evbuffer_drain(in, reply.head_len);	/* later bytes belong to the tunnel */
	after_handshake(e);
}

static void
on_handshake_read(struct bufferevent *bev, void *arg)
{
	struct egress *e = arg;

	if (e->proxy_type == PROXY_TYPE_SOCKS5) {
		struct evbuffer *in = bufferevent_get_input(bev);

		while (socks_read(e, in) && evbuffer_get_length(in) > 0)
			;
	} else
		connect_read(e, bufferevent_get_input(bev));
}

static void
on_handshake_event(struct bufferevent *bev, short what, void *arg)
{
	struct egress *e = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		egress_fail(e, EGRESS_ERR_PROXY, "%s closed the connection during the handshake%s%s",
		    e->proxy_label, (what & BEV_EVENT_ERROR) ? ": " : "",
		    (what & BEV_EVENT_ERROR) ? evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()) : "");
}

static void
start_handshake(struct egress *e)
{
	enter_stage(e, EGRESS_PROXY_HANDSHAKE);
	bufferevent_setcb(e->bev, on_handshake_read, NULL, on_handshake_event, e);
	bufferevent_enable(e->bev, EV_READ | EV_WRITE);
	if (e->proxy_type == PROXY_TYPE_SOCKS5) {
		uint8_t greeting[SOCKS5_GREETING_MAX_LEN];
		size_t len;
		e->offered_userpass = *e->proxy_user != '\0';
		len = socks5_build_greeting(greeting, e->offered_userpass);
		e->socks_step = SOCKS_AWAIT_METHOD;
		bufferevent_write(e->bev, greeting, len);
	} else {
		char request[2048];
		size_t len;
		if (http_connect_build_request(request, sizeof(request), e->target_host,
		    e->target_port, e->proxy_user, e->proxy_pass, &len) != 0) {
			egress_fail(e, EGRESS_ERR_PROXY, "%s: cannot build a CONNECT request for %s:%u "
			    "(bad host name, or a ':' in the username)", e->proxy_label,
			    e->target_host, e->target_port);
			return;
		}
		bufferevent_write(e->bev, request, len);
		explicit_bzero(request, sizeof(request));
	}
}

static void
after_handshake(struct egress *e)
{
	bufferevent_setcb(e->bev, NULL, NULL, NULL, NULL);
	if (e->target_tls)
		start_tls(e, e->target_host, EGRESS_TLS);
	else
		egress_ready(e);
}

/* ---- TCP: the Happy Eyeballs race ----------------------------------------- */

/* Close every attempt still connecting and stop starting new ones. */
static void
race_stop(struct egress *e)
{
	struct connect_race *race = &e->race;
	size_t i;

	for (i = 0; i < DNS_MAX_ADDRS; i++) {
		if (race->attempts[i].bev != NULL) {
			bufferevent_free(race->attempts[i].bev);
			race->attempts[i].bev = NULL;
		}
	}
	race->running = 0;
	if (race->next_attempt != NULL)
		evtimer_del(race->next_attempt);
}

static void
race_note_failure(struct egress *e, size_t i, int err)
{
	const struct sockaddr_storage *ss = &e->addrs.addrs[i];
	struct connect_race *race = &e->race;

	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    race->last_addr, sizeof(race->last_addr));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    race->last_addr, sizeof(race->last_addr));
	snprintf(race->last_error, sizeof(race->last_error), "%s",
	    evutil_socket_error_to_string(err));
	log_debug("egress to %s:%u: connect to address %zu of %zu (%s) failed: %s",
	    e->target_host, e->target_port, i + 1, e->addrs.count, race->last_addr,
	    race->last_error);
}

/* Every address was tried and none connected. */
static void
race_fail(struct egress *e)
{
	const struct connect_race *race = &e->race;
	char what[320];

	if (e->has_proxy)
		snprintf(what, sizeof(what), "%s", e->proxy_label);
	else
		snprintf(what, sizeof(what), "%s:%u", e->target_host, e->target_port);
	if (race->started <= 1)
		egress_fail(e, EGRESS_ERR_CONNECT, "cannot connect to %s: %s", what,
		    race->started == 0 ? "no address" : race->last_error);
	else
		egress_fail(e, EGRESS_ERR_CONNECT, "cannot connect to %s: %zu addresses tried, the last "
		    "(%s) failed: %s", what, race->started, race->last_addr,
		    race->last_error);
}

static void
after_connect(struct egress *e)
{
	int one = 1;

	setsockopt(bufferevent_getfd(e->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (e->has_proxy && e->proxy_type == PROXY_TYPE_HTTPS)
		start_tls(e, e->proxy_host, EGRESS_PROXY_TLS);
	else if (e->has_proxy)
		start_handshake(e);
	else if (e->target_tls)
		start_tls(e, e->target_host, EGRESS_TLS);
	else
		egress_ready(e);
}

static void race_start_next(struct egress *e);

static void
on_attempt_event(struct bufferevent *bev, short what, void *arg)
{
	struct connect_attempt *a = arg;
	struct egress *e = a->e;
	size_t i = (size_t)(a - e->race.attempts);

	if (what & BEV_EVENT_CONNECTED) {
		/* the winner: the others are closed at once */
		e->bev = bev;
		a->bev = NULL;
		race_stop(e);
		log_debug("egress to %s:%u: connected to address %zu of %zu",
		    e->target_host, e->target_port, i + 1, e->addrs.count);
		after_connect(e);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		race_note_failure(e, i, EVUTIL_SOCKET_ERROR());
		bufferevent_free(bev);
		a->bev = NULL;
		e->race.running--;
		race_start_next(e);	/* a failure starts the next attempt at once */
	}
}

static void
on_attempt_delay(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	race_start_next(arg);
}

/*
 * Start the attempt for the next address (an attempt that fails before it is
 * under way is passed over at once) and arm the attempt delay for the one
 * after; when no address is left and nothing is connecting, the race is lost.
 */
static void
race_start_next(struct egress *e)
{
	struct connect_race *race = &e->race;
	long delay_ms = e->env.cfg->happy_eyeballs_delay_ms;
	struct timeval delay = { delay_ms / 1000, (delay_ms % 1000) * 1000 };

	evtimer_del(race->next_attempt);
	while (race->started < e->addrs.count) {
		size_t i = race->started++;
		struct connect_attempt *a = &race->attempts[i];

		a->e = e;
		a->bev = bufferevent_socket_new(e->env.base, -1,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (a->bev == NULL) {
			race_note_failure(e, i, ENOMEM);
			continue;
		}
		bufferevent_setcb(a->bev, NULL, NULL, on_attempt_event, a);
		if (bufferevent_socket_connect(a->bev,
		    (struct sockaddr *)&e->addrs.addrs[i], (int)e->addrs.lens[i]) == 0) {
			race->running++;
			if (race->started < e->addrs.count)
				evtimer_add(race->next_attempt, &delay);
			return;
		}
		race_note_failure(e, i, errno);
		bufferevent_free(a->bev);
		a->bev = NULL;
	}
	if (race->running == 0)
		race_fail(e);
}

static void
on_dns(const struct dns_answer *answer, const char *error, void *arg)
{
	struct egress *e = arg;

	e->dns = NULL;
	if (error != NULL) {
		if (e->has_proxy)
			egress_fail(e, EGRESS_ERR_DNS, "cannot resolve the host of %s: %s", e->proxy_label,
			    error);
		else
			egress_fail(e, EGRESS_ERR_DNS, "cannot resolve %s: %s", e->target_host, error);
		return;
	}
	e->addrs = *answer;
	enter_stage(e, EGRESS_CONNECT);		/* one deadline for the whole race */
	race_start_next(e);
}

struct egress *
egress_open(const struct egress_env *env, const struct egress_target *target,
    const struct snap_proxy *proxy, egress_done_fn done, void *arg)
{
	struct egress *e = xcalloc(1, sizeof(*e));

	e->env = *env;
	e->done = done;
	e->arg = arg;
	e->target_host = xstrdup(target->host);
	e->target_port = target->port;
	e->target_tls = target->tls;
	e->deadline = evtimer_new(env->base, on_deadline, e);
	e->race.next_attempt = evtimer_new(env->base, on_attempt_delay, e);
	if (proxy != NULL) {
		e->has_proxy = true;
		e->proxy_type = proxy->type;
		e->proxy_host = xstrdup(proxy->host);
		e->proxy_port = proxy->port;
		e->proxy_user = xstrdup(proxy->username);
		e->proxy_pass = xstrdup(proxy->password);
		snprintf(e->proxy_label, sizeof(e->proxy_label),
		    strchr(proxy->host, ':') ? "%s proxy [%s]:%u" : "%s proxy %s:%u",
		    proxy->type == PROXY_TYPE_SOCKS5 ? "SOCKS5" :
		    proxy->type == PROXY_TYPE_HTTPS ? "HTTPS" : "HTTP",
		    proxy->host, proxy->port);
	}
	enter_stage(e, EGRESS_DNS);
	e->dns = dns_lookup(env->dns, e->has_proxy ? e->proxy_host : e->target_host,
	    e->has_proxy ? e->proxy_port : e->target_port, on_dns, e);
	return e;
}

void
egress_cancel(struct egress *e)
{
	egress_free(e);
}
