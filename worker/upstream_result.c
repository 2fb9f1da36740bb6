/*
 * worker/upstream_result.c — see upstream_result.h. Tables, and the rules
 * every user of an upstream exchange shares; nothing here does I/O.
 */
#include <stddef.h>

#include "upstream_result.h"

static const char *const stage_names[UPSTREAM_STAGE_COUNT] = {
	[UPSTREAM_STAGE_REQUEST] = "request",
	[UPSTREAM_STAGE_ROUTE] = "route",
	[UPSTREAM_STAGE_RESOLVE] = "resolve",
	[UPSTREAM_STAGE_DNS] = "dns",
	[UPSTREAM_STAGE_CONNECT] = "connect",
	[UPSTREAM_STAGE_PROXY_TLS] = "proxy_tls",
	[UPSTREAM_STAGE_PROXY_HANDSHAKE] = "proxy_handshake",
	[UPSTREAM_STAGE_TLS] = "tls",
	[UPSTREAM_STAGE_RESPONSE] = "response",
	[UPSTREAM_STAGE_BODY] = "body",
	[UPSTREAM_STAGE_DONE] = "done",
};

static const enum upstream_stage egress_stages[] = {
	[EGRESS_DNS] = UPSTREAM_STAGE_DNS,
	[EGRESS_CONNECT] = UPSTREAM_STAGE_CONNECT,
	[EGRESS_PROXY_TLS] = UPSTREAM_STAGE_PROXY_TLS,
	[EGRESS_PROXY_HANDSHAKE] = UPSTREAM_STAGE_PROXY_HANDSHAKE,
	[EGRESS_TLS] = UPSTREAM_STAGE_TLS,
	[EGRESS_READY] = UPSTREAM_STAGE_RESPONSE,
};

static const enum upstream_error egress_errors[] = {
	[EGRESS_OK] = UPSTREAM_OK,
	[EGRESS_ERR_DNS] = UPSTREAM_ERR_DNS,
	[EGRESS_ERR_CONNECT] = UPSTREAM_ERR_CONNECT,
	[EGRESS_ERR_TLS] = UPSTREAM_ERR_TLS,
	[EGRESS_ERR_PROXY] = UPSTREAM_ERR_PROXY,
	[EGRESS_ERR_PROXY_AUTH] = UPSTREAM_ERR_PROXY_AUTH,
	[EGRESS_ERR_TIMEOUT] = UPSTREAM_ERR_TIMEOUT,
};

/* How a failure after the egress is told to a client, by kind. */
static const struct {
	int		 status;
	const char	*code;
} replies[UPSTREAM_ERR_COUNT] = {
	[UPSTREAM_OK] = { 200, NULL },
	[UPSTREAM_ERR_REFUSED] = { 503, "PROXY_ASSIGNED_UNAVAILABLE" },
	[UPSTREAM_ERR_SOCKS5_DISABLED] = { 503, "SOCKS5_DISABLED" },
	[UPSTREAM_ERR_BAD_URL] = { 502, "UPSTREAM_UNREACHABLE" },
	[UPSTREAM_ERR_DNS] = { 502, "UPSTREAM_UNREACHABLE" },
	[UPSTREAM_ERR_CONNECT] = { 502, "UPSTREAM_UNREACHABLE" },
	[UPSTREAM_ERR_TLS] = { 502, "UPSTREAM_TLS" },
	[UPSTREAM_ERR_PROXY] = { 502, "PROXY_UNREACHABLE" },
	[UPSTREAM_ERR_PROXY_AUTH] = { 502, "PROXY_UNREACHABLE" },
	[UPSTREAM_ERR_TIMEOUT] = { 504, "UPSTREAM_TIMEOUT" },
	[UPSTREAM_ERR_MALFORMED] = { 502, "UPSTREAM_MALFORMED" },
	[UPSTREAM_ERR_STATUS] = { 502, "UPSTREAM_STATUS" },
	[UPSTREAM_ERR_TOO_LARGE] = { 502, "UPSTREAM_TOO_LARGE" },
	[UPSTREAM_ERR_CLOSED] = { 502, "UPSTREAM_CLOSED" },
	[UPSTREAM_ERR_ABANDONED] = { 502, NULL },
};

const char *
upstream_stage_name(enum upstream_stage stage)
{
	return (unsigned)stage < UPSTREAM_STAGE_COUNT ? stage_names[stage] : "?";
}

const char *
upstream_outcome_status(const struct upstream_result *res)
{
	if (res->error == UPSTREAM_OK)
		return "success";
	return res->error == UPSTREAM_ERR_TIMEOUT ? "timeout" : "error";
}

enum upstream_stage
upstream_stage_of_egress(enum egress_stage stage)
{
	return (size_t)stage < sizeof(egress_stages) / sizeof(egress_stages[0]) ?
	    egress_stages[stage] : UPSTREAM_STAGE_RESPONSE;
}

enum upstream_error
upstream_error_of_egress(enum egress_error kind)
{
	return (size_t)kind < sizeof(egress_errors) / sizeof(egress_errors[0]) ?
	    egress_errors[kind] : UPSTREAM_ERR_CONNECT;
}

static bool
status_fails_over(int status)
{
	return status == 401 || status == 403 || status == 429 || status >= 500;
}

bool
upstream_worth_failing_over(const struct upstream_result *res)
{
	if (res->error == UPSTREAM_OK || res->error == UPSTREAM_ERR_BAD_URL ||
	    res->error == UPSTREAM_ERR_ABANDONED)
		return false;
	if (res->stage >= UPSTREAM_STAGE_BODY)
		return false;	/* the answer was taken: it is the answer */
	if (res->status != 0)
		return status_fails_over(res->status);
	return true;		/* no answer at all */
}

bool
upstream_status_rests_connection(int status)
{
	return status == 401 || status == 403 || status == 429;
}

void
upstream_result_reply(const struct upstream_result *res, int *status, const char **code)
{
	enum upstream_error kind = (unsigned)res->error < UPSTREAM_ERR_COUNT ? res->error :
	    UPSTREAM_ERR_MALFORMED;

	*status = replies[kind].status;
	*code = replies[kind].code;
	/* the egress broke: the code says where (the target's TLS, the proxy,
	 * or the way to the target), the status whether it was a deadline */
	if (res->stage >= UPSTREAM_STAGE_DNS && res->stage <= UPSTREAM_STAGE_TLS) {
		*status = kind == UPSTREAM_ERR_TIMEOUT ? 504 : 502;
		*code = res->stage == UPSTREAM_STAGE_TLS ? "UPSTREAM_TLS" : res->proxied ?
		    "PROXY_UNREACHABLE" : "UPSTREAM_UNREACHABLE";
	}
}

bool
upstream_failed_before_request(const struct upstream_result *res)
{
	return res->error != UPSTREAM_OK && res->stage >= UPSTREAM_STAGE_DNS &&
	    res->stage <= UPSTREAM_STAGE_TLS;
}
