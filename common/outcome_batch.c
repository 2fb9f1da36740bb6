/*
 * common/outcome_batch.c — folds a worker's attempt outcomes into the rows it
 * sends to the master (see outcome_batch.h). Lookup is a linear scan over at
 * most OUTCOME_BATCH_ROWS rows, cut short by a hash of the key fields; in
 * steady traffic a batch holds a few rows and the scan finds its row first.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "outcome_batch.h"
#include "util.h"

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* FNV-1a over one field, then a NUL; "none" hashes as a lone 0xff. */
static uint32_t
hash_field(uint32_t h, const char *s)
{
	const unsigned char *p;

	if (nonempty(s) == NULL)
		return (h ^ 0xffu) * 16777619u;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h * 16777619u;
}

static uint32_t
key_hash(const char *const key[OUTCOME_KEY_FIELDS], const char *error)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < OUTCOME_KEY_FIELDS; i++)
		h = hash_field(h, key[i]);
	return hash_field(h, error);
}

static bool
key_equal(char *const stored[OUTCOME_KEY_FIELDS], const char *const key[OUTCOME_KEY_FIELDS])
{
	size_t i;

	for (i = 0; i < OUTCOME_KEY_FIELDS; i++) {
		const char *k = nonempty(key[i]);
		if (stored[i] == NULL || k == NULL) {
			if (stored[i] != k)
				return false;
		} else if (strcmp(stored[i], k) != 0)
			return false;
	}
	return true;
}

static bool
same_error(const char *stored, const char *error)
{
	error = nonempty(error);
	return stored == NULL || error == NULL ? stored == error : strcmp(stored, error) == 0;
}

bool
outcome_batch_add(struct outcome_batch *b, const struct outcome *o)
{
	uint32_t hash = key_hash(o->key, o->error);
	struct outcome_row *row = NULL;
	size_t i;

	for (i = 0; i < b->nrows; i++) {
		struct outcome_row *r = &b->rows[i];
		if (r->hash == hash && key_equal(r->key, o->key) &&
		    same_error(r->error, o->error)) {
			row = r;
			break;
		}
	}
	if (row == NULL) {
		if (b->nrows == OUTCOME_BATCH_ROWS)
			return true;	/* the caller sends first; cannot happen if it obeys */
		row = &b->rows[b->nrows++];
		memset(row, 0, sizeof(*row));
		row->hash = hash;
		for (i = 0; i < OUTCOME_KEY_FIELDS; i++)
			row->key[i] = nonempty(o->key[i]) ? xstrdup(o->key[i]) : NULL;
		row->error = nonempty(o->error) ? xstrdup(o->error) : NULL;
	}
	row->calls++;
	row->latency_sum_ms += o->latency_ms;
	row->bytes += o->bytes;
	if (o->connected) {
		row->connects++;
		row->connect_sum_us += o->connect_us;
	}
	b->calls++;
	return b->nrows == OUTCOME_BATCH_ROWS;
}

static struct json_object *
string_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

struct json_object *
outcome_batch_rows(const struct outcome_batch *b)
{
	struct json_object *rows;
	size_t i, k;

	if (b->nrows == 0)
		return NULL;
	rows = json_object_new_array_ext((int)b->nrows);
	for (i = 0; i < b->nrows; i++) {
		const struct outcome_row *r = &b->rows[i];
		struct json_object *row = json_object_new_array_ext(OC_COUNT);

		for (k = 0; k < OUTCOME_KEY_FIELDS; k++)
			json_object_array_add(row, string_or_null(r->key[k]));
		/* the mean, rounded; a row of one call carries its own latency */
		json_object_array_add(row, json_object_new_int64((int64_t)
		    ((r->latency_sum_ms + r->calls / 2) / r->calls)));
		json_object_array_add(row, json_object_new_int64((int64_t)r->bytes));
		json_object_array_add(row, string_or_null(r->error));
		json_object_array_add(row, json_object_new_int64((int64_t)r->calls));
		json_object_array_add(row, r->connects == 0 ? NULL :
		    json_object_new_int64((int64_t)((r->connect_sum_us + r->connects / 2) /
		    r->connects)));
		json_object_array_add(row, json_object_new_int64((int64_t)r->connects));
		json_object_array_add(rows, row);
	}
	return rows;
}

void
outcome_batch_clear(struct outcome_batch *b)
{
	size_t i, k;

	for (i = 0; i < b->nrows; i++) {
		for (k = 0; k < OUTCOME_KEY_FIELDS; k++)
			free(b->rows[i].key[k]);
		free(b->rows[i].error);
	}
	b->nrows = 0;
	b->calls = 0;
}
