/*
 * common/model_list.h — the pure part of GET /v1/models: a provider's answer
 * (bytes) turned into our entries. No I/O; unit-tested and fuzzed.
 *
 *   provider list (what providers send back):
 *     OpenAI, OpenAI-compatible  {"object":"list","data":[{"id","object",
 *                                  "created":<unix s>,"owned_by"},…]}
 *     Anthropic                  {"data":[{"type":"model","id","display_name",
 *                                  "created_at":"2025-02-19T00:00:00Z"},…],
 *                                  "has_more","first_id","last_id"}
 *     Together                   [{"id","object","created",…},…] (a bare array)
 *   our entry: {"id":"<provider>/<id>","object":"model","created":N,
 *               "owned_by":<owned_by, else the provider id>}
 *   created: "created" when it is an integer, else "created_at" (RFC 3339,
 *   UTC) in seconds, else 0.
 */
#ifndef OMNI_MODEL_LIST_H
#define OMNI_MODEL_LIST_H

#include <stddef.h>
#include <json-c/json.h>

/* The most body read from one provider (a list or one model). */
#define MODELS_MAX_BODY		(4 * 1024 * 1024)
/* A prefixed id the relay can route: its "model" buffer holds 255 bytes. */
#define MODELS_MAX_ID		255

/*
 * Append the models of provider's answer body[0..len) to list (a JSON
 * array), each as our entry. Entries without a usable id — not a string,
 * empty, holding a NUL byte, or too long to route once prefixed
 * (MODELS_MAX_ID) — and entries that are not objects are left out and
 * counted in *skipped. Returns how many were appended; -1 when body is not a
 * model list at all (not JSON, no "data" array), with list unchanged and err
 * saying why.
 */
int	models_merge(struct json_object *list, const char *provider, const char *body,
	    size_t len, size_t *skipped, char *err, size_t errlen);

/*
 * One model as provider answered it (body[0..len), a JSON object): the same
 * object with "id" prefixed ("<provider>/<id>"; the id asked for, model, when
 * the answer has none), and "object", "created" and "owned_by" added as for
 * a list entry where the provider left them out (Anthropic does). NULL with
 * err set when body is not a JSON object or its id is unusable.
 */
struct json_object *models_prefix_one(const char *provider, const char *model,
	    const char *body, size_t len, char *err, size_t errlen);

#endif
