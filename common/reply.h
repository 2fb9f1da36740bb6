/*
 * common/reply.h — the (status, JSON) answer of a control command, and the one
 * error envelope of API.md:
 *   {"error":{"message","type","details":[{"field","message"}]},"requestId"}
 * Master handlers fill a struct reply; the control socket, the worker channel
 * and the HTTP API all serialise it the same way.
 */
#ifndef OMNI_REPLY_H
#define OMNI_REPLY_H

#include <json-c/json.h>

struct reply {
	int			 status;
	struct json_object	*body;		/* owned */
	const char		*job;		/* set: body is a job's args for a worker */
	bool			 reload;	/* set: begin a reload; its outcome is the reply */
};

/* "invalid_request", "not_found", ... derived from the status. */
const char	*error_type_for_status(int status);

/* A new envelope object; details (may be NULL) is owned by the result. */
struct json_object *error_envelope(int status, const char *message,
		    struct json_object *details);

void	reply_set(struct reply *r, int status, struct json_object *body);
void	reply_error(struct reply *r, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* 400 "Invalid request" with the given details array (owned). */
void	reply_invalid(struct reply *r, struct json_object *details);
/* 400 "Invalid request" naming one field. */
void	reply_invalid_field(struct reply *r, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	reply_clear(struct reply *r);
/*
 * The command needs the network: hand `job` (e.g. "job.probe") with args
 * (owned) to a worker; its answer becomes the command's reply.
 */
void	reply_job(struct reply *r, const char *job, struct json_object *args);

/* Append {"field","message"} to a details array. */
void	details_add(struct json_object *details, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Parse a whole JSON document: RFC 8259 JSON checked first by our own strict
 * scanner (json-c alone lets single quotes, NaN, raw control characters and
 * sloppy numbers through), valid UTF-8, nesting at most `depth`, nothing but
 * white space after the value. NULL when it is not; json_parse_document_why
 * also says why ("expected ',' or '}' at byte 12") in why[0..whylen).
 */
struct json_object *json_parse_document(const char *text, size_t len, int depth);
struct json_object *json_parse_document_why(const char *text, size_t len, int depth,
		    char *why, size_t whylen);

/* Append every {"field","message"} of errs to details, prefixing each field. */
void	details_append_prefixed(struct json_object *details, struct json_object *errs,
	    const char *prefix);

/* Serialise without raw newlines (plain form). The string lives in obj. */
const char *json_plain(struct json_object *obj);

#endif
