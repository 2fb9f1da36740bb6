/*
 * tests/fuzz/fuzz_model_list.c — libFuzzer target for the model-list reader
 * (common/model_list.c): the input is a provider's answer to GET /models (a
 * list) and to GET /models/{id} (one model). Any broken promise aborts:
 *   - models_merge returns -1 with an error and the list untouched, or the
 *     number of entries it appended; appended + skipped never exceeds what
 *     the answer held, and every entry is {"id":"p/…","object":"model",
 *     "created":int >= 0,"owned_by":string} with an id the relay can route
 *     (at most MODELS_MAX_ID bytes, no NUL);
 *   - models_prefix_one returns NULL with an error, or an object whose id is
 *     "p/…" and which has object/created/owned_by.
 * Build: see FUZZ_TARGETS in Makefile.am (links common/model_list.c,
 * common/reply.c, common/util.c and json-c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model_list.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
	if (!condition)
		abort();
}

static void
check_entry(struct json_object *m, int from_list)
{
	struct json_object *v;
	const char *id;

	check(m != NULL && json_object_is_type(m, json_type_object));
	check(json_object_object_get_ex(m, "id", &v) && json_object_is_type(v, json_type_string));
	id = json_object_get_string(v);
	check(strncmp(id, "p/", 2) == 0 && id[2] != '\0');
	check(strlen(id) == (size_t)json_object_get_string_len(v));
	if (from_list)
		check(strlen(id) <= MODELS_MAX_ID);
	check(json_object_object_get_ex(m, "object", &v));
	check(json_object_object_get_ex(m, "owned_by", &v));
	check(json_object_object_get_ex(m, "created", &v));
	if (from_list)
		check(json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *list = json_object_new_array(), *one;
	char err[300];
	size_t skipped = 0, i, n;
	int added;

	err[0] = '\0';
	added = models_merge(list, "p", (const char *)data, size, &skipped, err, sizeof(err));
	n = json_object_array_length(list);
	if (added < 0) {
		check(n == 0 && err[0] != '\0');
	} else {
		check((size_t)added == n);
		check(n + skipped <= size);	/* every entry took bytes of the answer */
		for (i = 0; i < n; i++)
			check_entry(json_object_array_get_idx(list, i), 1);
	}
	json_object_put(list);

	err[0] = '\0';
	one = models_prefix_one("p", "asked", (const char *)data, size, err, sizeof(err));
	if (one == NULL)
		check(err[0] != '\0');
	else
		check_entry(one, 0);
	json_object_put(one);
	return 0;
}
