/*
 * common/model_list.c — see model_list.h. json-c parses (strict, depth-
 * capped, UTF-8 checked by json_parse_document); this walks the result and
 * keeps only entries the relay could route.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model_list.h"
#include "reply.h"
#include "util.h"

#define MODELS_JSON_DEPTH	32

/* "<provider>/<id>" into out when id is usable; false when it is not. */
static bool
prefixed_id(const char *provider, struct json_object *id, char *out, size_t outlen)
{
	const char *s;
	size_t len;

	if (id == NULL || !json_object_is_type(id, json_type_string))
		return false;
	s = json_object_get_string(id);
	len = (size_t)json_object_get_string_len(id);
	if (len == 0 || strlen(s) != len)		/* empty, or a \u0000 inside */
		return false;
	if (strlen(provider) + 1 + len > MODELS_MAX_ID || MODELS_MAX_ID >= outlen)
		return false;
	snprintf(out, outlen, "%s/%s", provider, s);
	return true;
}

static struct json_object *
model_entry(const char *provider, const char *id, struct json_object *from)
{
	struct json_object *o = json_object_new_object(), *v;
	int64_t created = 0;
	const char *owner = provider;

	if (json_object_object_get_ex(from, "created", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
		created = json_object_get_int64(v);
	else if (json_object_object_get_ex(from, "created_at", &v) &&
	    json_object_is_type(v, json_type_string))
		created = rfc3339_utc_seconds(json_object_get_string(v));
	if (json_object_object_get_ex(from, "owned_by", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
		owner = json_object_get_string(v);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "object", json_object_new_string("model"));
	json_object_object_add(o, "created", json_object_new_int64(created));
	json_object_object_add(o, "owned_by", json_object_new_string(owner));
	return o;
}

int
models_merge(struct json_object *list, const char *provider, const char *body,
    size_t len, size_t *skipped, char *err, size_t errlen)
{
	struct json_object *doc, *data;
	char id[MODELS_MAX_ID + 1];
	size_t i, n;
	int added = 0;

	*skipped = 0;
	doc = json_parse_document(body, len, MODELS_JSON_DEPTH);
	if (doc == NULL) {
		snprintf(err, errlen, "%s sent a model list that is not JSON", provider);
		return -1;
	}
	if (json_object_is_type(doc, json_type_array))
		data = doc;			/* Together: a bare array */
	else if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		snprintf(err, errlen, "%s sent JSON without a \"data\" array of models",
		    provider);
		json_object_put(doc);
		return -1;
	}
	n = json_object_array_length(data);
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(data, i), *v = NULL;
		if (m == NULL || !json_object_is_type(m, json_type_object) ||
		    !json_object_object_get_ex(m, "id", &v) ||
		    !prefixed_id(provider, v, id, sizeof(id))) {
			(*skipped)++;
			continue;
		}
		json_object_array_add(list, model_entry(provider, id, m));
		added++;
	}
	json_object_put(doc);
	return added;
}

struct json_object *
models_prefix_one(const char *provider, const char *model, const char *body,
    size_t len, char *err, size_t errlen)
{
	struct json_object *doc, *v = NULL, *asked = NULL, *entry;
	char id[MODELS_MAX_ID + 1];
	bool ok;

	doc = json_parse_document(body, len, MODELS_JSON_DEPTH);
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "%s sent a model that is not a JSON object", provider);
		json_object_put(doc);
		return NULL;
	}
	if (json_object_object_get_ex(doc, "id", &v) && v != NULL) {
		ok = prefixed_id(provider, v, id, sizeof(id));
	} else {
		asked = json_object_new_string(model);
		ok = prefixed_id(provider, asked, id, sizeof(id));
		json_object_put(asked);
	}
	if (!ok) {
		snprintf(err, errlen, "%s sent a model without a usable \"id\"", provider);
		json_object_put(doc);
		return NULL;
	}
	json_object_object_add(doc, "id", json_object_new_string(id));
	/* what an OpenAI client expects of a model, when the provider left it out */
	entry = model_entry(provider, id, doc);
	json_object_object_foreach(entry, name, value)
		if (!json_object_object_get_ex(doc, name, NULL))
			json_object_object_add(doc, name, json_object_get(value));
	json_object_put(entry);
	return doc;
}

