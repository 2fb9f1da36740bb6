/*
 * common/reply.c — building command replies and the API.md error envelope.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

#include "json_scan.h"
#include "reply.h"
#include "util.h"

const char *
error_type_for_status(int status)
{
	static const struct {
		int		 status;
		const char	*type;
	} types[] = {
		{ 401, "unauthorized" },
		{ 403, "forbidden" },
		{ 404, "not_found" },
		{ 409, "conflict" },
	};
	size_t i;

	if (status >= 500)
		return "server_error";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].status == status)
			return types[i].type;
	return "invalid_request";
}

struct json_object *
error_envelope(int status, const char *message, struct json_object *details)
{
	struct json_object *root = json_object_new_object();
	struct json_object *err = json_object_new_object();
	char id[UUID_STR_LEN];

	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(err, "type",
	    json_object_new_string(error_type_for_status(status)));
	if (details != NULL)
		json_object_object_add(err, "details", details);
	json_object_object_add(root, "error", err);
	if (uuid_v4(id) != 0)
		snprintf(id, sizeof(id), "00000000-0000-4000-8000-000000000000");
	json_object_object_add(root, "requestId", json_object_new_string(id));
	return root;
}

void
reply_set(struct reply *r, int status, struct json_object *body)
{
	reply_clear(r);
	r->status = status;
	r->body = body;
}

void
reply_error(struct reply *r, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_set(r, status, error_envelope(status, msg, NULL));
}

void
reply_invalid(struct reply *r, struct json_object *details)
{
	reply_set(r, 400, error_envelope(400, "Invalid request", details));
}

void
reply_invalid_field(struct reply *r, const char *field, const char *fmt, ...)
{
	struct json_object *details = json_object_new_array();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	details_add(details, field, "%s", msg);
	reply_invalid(r, details);
}

void
reply_clear(struct reply *r)
{
	if (r->body != NULL)
		json_object_put(r->body);
	r->body = NULL;
	r->status = 0;
	r->job = NULL;
	r->reload = false;
}

void
reply_job(struct reply *r, const char *job, struct json_object *args)
{
	reply_clear(r);
	r->status = 202;
	r->body = args;
	r->job = job;
}

void
details_add(struct json_object *details, const char *field, const char *fmt, ...)
{
	struct json_object *d = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(d, "field", json_object_new_string(field));
	json_object_object_add(d, "message", json_object_new_string(msg));
	json_object_array_add(details, d);
}

const char *
json_plain(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

struct json_object *
json_parse_document(const char *text, size_t len, int depth)
{
	char why[8];

	return json_parse_document_why(text, len, depth, why, sizeof(why));
}

struct json_object *
json_parse_document_why(const char *text, size_t len, int depth, char *why, size_t whylen)
{
	struct json_scan_result scan;
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;

	if (len > INT32_MAX) {
		snprintf(why, whylen, "document too large");
		return NULL;
	}
	if (json_scan_value(text, len, depth, &scan) != PARSE_DONE) {
		snprintf(why, whylen, "%s at byte %zu", scan.error, scan.error_at);
		return NULL;
	}
	snprintf(why, whylen, "not JSON json-c can read");
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		/* a bare number at the end of input needs a final empty chunk */
		obj = json_tokener_parse_ex(tok, "", 0);
	}
	json_tokener_free(tok);
	if (obj == NULL && !(len == 4 && memcmp(text, "null", 4) == 0))
		return NULL;
	while (end < len && (text[end] == ' ' || text[end] == '\t' ||
	    text[end] == '\r' || text[end] == '\n'))
		end++;
	if (end != len) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void
details_append_prefixed(struct json_object *details, struct json_object *errs,
    const char *prefix)
{
	size_t i;

	for (i = 0; i < json_object_array_length(errs); i++) {
		struct json_object *e = json_object_array_get_idx(errs, i), *f, *msg;
		char field[512];

		json_object_object_get_ex(e, "field", &f);
		json_object_object_get_ex(e, "message", &msg);
		snprintf(field, sizeof(field), "%s%s", prefix, json_object_get_string(f));
		details_add(details, field, "%s", json_object_get_string(msg));
	}
}
