/*
 * worker/upstream_result.h — what one upstream exchange (worker/upstream.c)
 * came to, as types a caller acts on without reading messages: the error
 * kind, the stage it was in, the HTTP status if an answer came. And the
 * decisions every caller shares, as pure functions: whether an attempt is
 * worth failing over to another connection (the one rule of the relay and
 * the model lists), whether an answer rests its connection, and how a failed
 * attempt is told to a client (HTTP status and error code).
 */
#ifndef OMNI_UPSTREAM_RESULT_H
#define OMNI_UPSTREAM_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "egress.h"

/* What went wrong (UPSTREAM_OK: a whole answer came). */
enum upstream_error {
	UPSTREAM_OK,
	UPSTREAM_ERR_REFUSED,		/* the assigned proxy is inactive or missing:
					 * fail-closed, never direct */
	UPSTREAM_ERR_SOCKS5_DISABLED,	/* a SOCKS5 proxy is assigned, SOCKS5 is off */
	UPSTREAM_ERR_BAD_URL,		/* the target URL does not parse */
	UPSTREAM_ERR_DNS,		/* egress: the name did not resolve */
	UPSTREAM_ERR_CONNECT,		/* egress: no address took the connection */
	UPSTREAM_ERR_TLS,		/* egress: TLS to the proxy or the target */
	UPSTREAM_ERR_PROXY,		/* egress: the proxy refused or broke its handshake */
	UPSTREAM_ERR_PROXY_AUTH,	/* egress: the proxy wants or refused credentials */
	UPSTREAM_ERR_TIMEOUT,		/* a stage's deadline passed */
	UPSTREAM_ERR_MALFORMED,		/* not HTTP, bad framing, too many interim heads,
					 * or a body its user could not read */
	UPSTREAM_ERR_STATUS,		/* an answer its user declined (a status to fail
					 * over on, or not 2xx for a collected body) */
	UPSTREAM_ERR_TOO_LARGE,		/* a collected body over its cap */
	UPSTREAM_ERR_CLOSED,		/* closed before the answer, or in its body */
	UPSTREAM_ERR_ABANDONED,		/* its user gave up (the client went away) */
	UPSTREAM_ERR_COUNT
};

/* Where the exchange was; the egress stages keep their names and order. */
enum upstream_stage {
	UPSTREAM_STAGE_REQUEST,		/* the caller's side (its client went away) */
	UPSTREAM_STAGE_ROUTE,		/* choosing the target */
	UPSTREAM_STAGE_RESOLVE,		/* choosing the proxy (fail-closed) */
	UPSTREAM_STAGE_DNS,
	UPSTREAM_STAGE_CONNECT,
	UPSTREAM_STAGE_PROXY_TLS,
	UPSTREAM_STAGE_PROXY_HANDSHAKE,
	UPSTREAM_STAGE_TLS,
	UPSTREAM_STAGE_RESPONSE,	/* request written, awaiting the response head */
	UPSTREAM_STAGE_BODY,		/* the head was taken; the body is coming */
	UPSTREAM_STAGE_DONE,
	UPSTREAM_STAGE_COUNT
};

struct upstream_result {
	enum upstream_error	 error;
	enum upstream_stage	 stage;
	int			 status;	/* the final answer's status; 0 before one */
	bool			 proxied;	/* through a proxy (not direct, not delegated) */
	uint64_t		 latency_ms;	/* from the attempt's start to its end */
	uint64_t		 bytes;		/* body bytes taken */
	bool			 connected;	/* set up a new egress (not a pooled one) */
	uint64_t		 connect_us;	/* which took this long */
	char			 message[600];	/* for logs and replies; never a secret */
};

/* "dns", "proxy_handshake", "response", … (proxy_logs' stage column). */
const char	*upstream_stage_name(enum upstream_stage stage);
/* "success", "timeout" or "error" (proxy_logs' status column). */
const char	*upstream_outcome_status(const struct upstream_result *res);

/* The egress's stage and error kind as the exchange's. */
enum upstream_stage upstream_stage_of_egress(enum egress_stage stage);
enum upstream_error upstream_error_of_egress(enum egress_error kind);

/*
 * The one failover rule: true when another connection may well do better
 * than the attempt that came to res — none answered at all (a refusing
 * assignment, a failed egress, no head or a garbled one), or the answer was
 * 401, 403, 429 or 5xx. Never once the body was taken (the answer is given),
 * never for a target that cannot be addressed, never for an attempt its user
 * gave up. Whether another connection exists is the caller's to know.
 */
bool	upstream_worth_failing_over(const struct upstream_result *res);
/*
 * Whether the attempt failed on the way out, before any byte of the request
 * could reach the provider: an egress stage (dns, connect, proxy_tls,
 * proxy_handshake, tls). Only such a failure lets a pool's next member carry
 * the same call (issue 11); once the request is written, never.
 */
bool	upstream_failed_before_request(const struct upstream_result *res);
/* 401, 403 and 429 rest the connection that got them a while (cooldown). */
bool	upstream_status_rests_connection(int status);

/*
 * A failed attempt as a client is told it: the HTTP status (502, 503, 504)
 * and the error code (UPSTREAM_TIMEOUT, PROXY_UNREACHABLE, …).
 */
void	upstream_result_reply(const struct upstream_result *res, int *status,
	    const char **code);

#endif
