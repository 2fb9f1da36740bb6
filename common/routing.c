/*
 * common/routing.c — the typed routing tables (see routing.h): their channel
 * form, decoded and encoded by one table of sections, the sorted lookups, and
 * the choice of a call's candidates. Pure: no I/O, no worker state (what
 * rests is the caller's skip function).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing.h"
#include "util.h"

static const char *const auth_names[] = {
	[ROUTE_AUTH_BEARER] = "bearer",
	[ROUTE_AUTH_X_API_KEY] = "x-api-key",
	[ROUTE_AUTH_NONE] = "none",
};
static const char *const mode_names[] = {
	[UPSTREAM_NATIVE] = "native",
	[UPSTREAM_CLIPROXYAPI] = "cliproxyapi",
	[UPSTREAM_FALLBACK] = "fallback",
};

const char *
route_auth_name(enum route_auth a)
{
	return auth_names[a];
}

const char *
upstream_mode_name(enum provider_upstream m)
{
	return mode_names[m];
}

/* The index of s in names[0..n), or -1. */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* ---- rows: one object each ------------------------------------------------ */

/* A string member of row, or NULL when absent or not a string. */
static const char *
member_string(struct json_object *row, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(row, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
add_string(struct json_object *row, const char *name, const char *value)
{
	json_object_object_add(row, name, json_object_new_string(value));
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static int
provider_decode(struct json_object *row, void *item)
{
	struct route_provider *p = item;
	const char *id = member_string(row, "id"), *url = member_string(row, "baseUrl");
	int auth = name_index(auth_names, 3, member_string(row, "authStyle"));
	struct json_object *headers = NULL;

	if (id == NULL || url == NULL || auth < 0 ||
	    (json_object_object_get_ex(row, "headers", &headers) && headers != NULL &&
	    !json_object_is_type(headers, json_type_object)))
		return -1;
	p->id = xstrdup(id);
	p->base_url = xstrdup(url);
	p->auth = (enum route_auth)auth;
	if (headers != NULL && json_object_deep_copy(headers, &p->headers, NULL) != 0)
		return -1;
	return 0;
}

static struct json_object *
provider_encode(const void *item)
{
	const struct route_provider *p = item;
	struct json_object *row = json_object_new_object();

	add_string(row, "id", p->id);
	add_string(row, "baseUrl", p->base_url);
	add_string(row, "authStyle", route_auth_name(p->auth));
	if (p->headers != NULL)
		json_object_object_add(row, "headers", json_object_get(p->headers));
	return row;
}

static void
provider_release(void *item)
{
	struct route_provider *p = item;

	free(p->id);
	free(p->base_url);
	json_object_put(p->headers);
}

static int
connection_decode(struct json_object *row, void *item)
{
	struct route_connection *c = item;
	const char *id = member_string(row, "id"), *provider = member_string(row, "provider");
	const char *name = member_string(row, "name"), *key = member_string(row, "key");
	struct json_object *priority, *active;

	if (id == NULL || provider == NULL || name == NULL || key == NULL ||
	    !json_object_object_get_ex(row, "priority", &priority) ||
	    !json_object_is_type(priority, json_type_int) ||
	    !json_object_object_get_ex(row, "active", &active) ||
	    !json_object_is_type(active, json_type_boolean))
		return -1;
	c->id = xstrdup(id);
	c->provider = xstrdup(provider);
	c->name = xstrdup(name);
	c->key = xstrdup(key);
	c->priority = json_object_get_int(priority);
	c->active = json_object_get_boolean(active);
	return 0;
}

static struct json_object *
connection_encode(const void *item)
{
	const struct route_connection *c = item;
	struct json_object *row = json_object_new_object();

	add_string(row, "id", c->id);
	add_string(row, "provider", c->provider);
	add_string(row, "name", c->name);
	add_string(row, "key", c->key);
	json_object_object_add(row, "priority", json_object_new_int(c->priority));
	json_object_object_add(row, "active", json_object_new_boolean(c->active));
	return row;
}

static void
connection_release(void *item)
{
	struct route_connection *c = item;

	free(c->id);
	free(c->provider);
	free(c->name);
	free_secret(c->key);
}

static int
combo_decode(struct json_object *row, void *item)
{
	struct route_combo *combo = item;
	const char *id = member_string(row, "id");
	struct json_object *targets;
	size_t i, n;

	if (id == NULL || !json_object_object_get_ex(row, "targets", &targets) ||
	    !json_object_is_type(targets, json_type_array))
		return -1;
	combo->id = xstrdup(id);
	n = json_object_array_length(targets);
	combo->targets = xcalloc(n, sizeof(*combo->targets));
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(targets, i);
		const char *t = json_object_get_string(v), *slash;
		struct route_target *to = &combo->targets[combo->target_count];

		if (!json_object_is_type(v, json_type_string))
			return -1;
		if ((slash = strchr(t, '/')) == NULL)
			continue;
		to->provider = xstrdup(t);
		to->provider[slash - t] = '\0';
		to->model = xstrdup(slash + 1);
		combo->target_count++;
	}
	return 0;
}

static struct json_object *
combo_encode(const void *item)
{
	const struct route_combo *combo = item;
	struct json_object *row = json_object_new_object();
	struct json_object *targets = json_object_new_array_ext((int)combo->target_count);
	size_t i;

	for (i = 0; i < combo->target_count; i++) {
		const struct route_target *t = &combo->targets[i];
		size_t plen = strlen(t->provider), mlen = strlen(t->model);
		char *s = xcalloc(1, plen + mlen + 2);

		memcpy(s, t->provider, plen);
		s[plen] = '/';
		memcpy(s + plen + 1, t->model, mlen);
		json_object_array_add(targets, json_object_new_string(s));
		free(s);
	}
	add_string(row, "id", combo->id);
	json_object_object_add(row, "targets", targets);
	return row;
}

static void
combo_release(void *item)
{
	struct route_combo *combo = item;
	size_t i;

	for (i = 0; i < combo->target_count; i++) {
		free(combo->targets[i].provider);
		free(combo->targets[i].model);
	}
	free(combo->targets);
	free(combo->id);
}

static int
api_key_decode(struct json_object *row, void *item)
{
	struct route_api_key *k = item;
	const char *hash = member_string(row, "hash"), *id = member_string(row, "id");

	if (hash == NULL || id == NULL || strlen(hash) != 64 ||
	    strspn(hash, "0123456789abcdef") != 64)
		return -1;
	memcpy(k->hash, hash, 65);
	k->id = xstrdup(id);
	return 0;
}

static struct json_object *
api_key_encode(const void *item)
{
	const struct route_api_key *k = item;
	struct json_object *row = json_object_new_object();

	add_string(row, "hash", k->hash);
	add_string(row, "id", k->id);
	return row;
}

static void
api_key_release(void *item)
{
	free(((struct route_api_key *)item)->id);
}

static int
upstream_decode(struct json_object *row, void *item)
{
	struct route_upstream *u = item;
	const char *id = member_string(row, "id");
	int mode = name_index(mode_names, 3, member_string(row, "mode"));

	if (id == NULL || mode < 0)
		return -1;
	u->provider = xstrdup(id);
	u->mode = (enum provider_upstream)mode;
	return 0;
}

static struct json_object *
upstream_encode(const void *item)
{
	const struct route_upstream *u = item;
	struct json_object *row = json_object_new_object();

	add_string(row, "id", u->provider);
	add_string(row, "mode", upstream_mode_name(u->mode));
	return row;
}

static void
upstream_release(void *item)
{
	free(((struct route_upstream *)item)->provider);
}

/* ---- sort orders ----------------------------------------------------------- */

/* Connections, combos and upstream modes start with their key string. */
static int
by_leading_id(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

static int
api_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct route_api_key *)a)->hash,
	    ((const struct route_api_key *)b)->hash);
}

static int
provider_ptr_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct route_provider *const *)a)->id,
	    (*(const struct route_provider *const *)b)->id);
}

/* The relay's order: by provider, then priority, then name (unique within
 * a provider). */
static int
active_cmp(const void *a, const void *b)
{
	const struct route_connection *x = *(const struct route_connection *const *)a;
	const struct route_connection *y = *(const struct route_connection *const *)b;
	int c = strcmp(x->provider, y->provider);

	if (c != 0)
		return c;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* ---- the sections, as a table ---------------------------------------------- */

struct section {
	const char	*name;		/* the channel form's key */
	size_t		 size;		/* of one item */
	void		*(*items)(const struct route_tables *t, size_t **count);
	void		 (*set)(struct route_tables *t, void *items);
	int		 (*decode)(struct json_object *row, void *item);
	struct json_object *(*encode)(const void *item);
	void		 (*release)(void *item);
	int		 (*order)(const void *a, const void *b);	/* NULL: as sent */
};

/* Where each section lives in struct route_tables. */
#define SECTION_ACCESS(field, count_field)					\
static void *									\
field##_of(const struct route_tables *t, size_t **count)			\
{										\
	*count = (size_t *)(uintptr_t)&t->count_field;				\
	return t->field;							\
}										\
static void									\
set_##field(struct route_tables *t, void *items)				\
{										\
	t->field = items;							\
}
SECTION_ACCESS(providers, provider_count)
SECTION_ACCESS(connections, connection_count)
SECTION_ACCESS(combos, combo_count)
SECTION_ACCESS(api_keys, api_key_count)
SECTION_ACCESS(upstreams, upstream_count)
#undef SECTION_ACCESS

static const struct section sections[] = {
	{ "providers", sizeof(struct route_provider), providers_of, set_providers,
	    provider_decode, provider_encode, provider_release, NULL },
	{ "connections", sizeof(struct route_connection), connections_of,
	    set_connections, connection_decode, connection_encode,
	    connection_release, by_leading_id },
	{ "combos", sizeof(struct route_combo), combos_of, set_combos,
	    combo_decode, combo_encode, combo_release, by_leading_id },
	{ "apiKeys", sizeof(struct route_api_key), api_keys_of, set_api_keys,
	    api_key_decode, api_key_encode, api_key_release, api_key_cmp },
	{ "upstreamModes", sizeof(struct route_upstream), upstreams_of, set_upstreams,
	    upstream_decode, upstream_encode, upstream_release, by_leading_id },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

void
route_tables_free(struct route_tables *t)
{
	size_t k, i, *count;

	for (k = 0; k < NSECTIONS; k++) {
		char *items = sections[k].items(t, &count);
		for (i = 0; i < *count; i++)
			sections[k].release(items + i * sections[k].size);
		free(items);
	}
	free(t->provider_index);
	free(t->active);
	memset(t, 0, sizeof(*t));
}

/* Sort items; -1 when two have the same key. */
static int
sorted_unique(void *items, size_t n, size_t size, int (*order)(const void *, const void *))
{
	size_t i;

	qsort(items, n, size, order);
	for (i = 1; i < n; i++)
		if (order((char *)items + (i - 1) * size, (char *)items + i * size) == 0)
			return -1;
	return 0;
}

/* The provider index, each provider's upstream mode and active connections;
 * -1 when two providers have one id. */
static int
index_tables(struct route_tables *t)
{
	size_t i, j = 0, n = 0, start;

	t->provider_index = xcalloc(t->provider_count, sizeof(*t->provider_index));
	for (i = 0; i < t->provider_count; i++)
		t->provider_index[i] = &t->providers[i];
	if (sorted_unique(t->provider_index, t->provider_count,
	    sizeof(*t->provider_index), provider_ptr_cmp) != 0)
		return -1;
	t->active = xcalloc(t->connection_count, sizeof(*t->active));
	for (i = 0; i < t->connection_count; i++)
		if (t->connections[i].active)
			t->active[n++] = &t->connections[i];
	qsort(t->active, n, sizeof(*t->active), active_cmp);
	/* both sorted by provider id: one merge walk */
	for (i = 0; i < t->provider_count; i++) {
		struct route_provider *p = (struct route_provider *)(uintptr_t)
		    t->provider_index[i];
		while (j < n && strcmp(t->active[j]->provider, p->id) < 0)
			j++;
		for (start = j; j < n && strcmp(t->active[j]->provider, p->id) == 0; j++)
			;
		p->active = &t->active[start];
		p->active_count = j - start;
		p->upstream = route_upstream_mode(t, p->id);
	}
	return 0;
}

int
route_tables_from_json(struct json_object *obj, struct route_tables *out,
    char *err, size_t errlen)
{
	size_t k, i, n, *count;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "routes: not an object");
		return -1;
	}
	for (k = 0; k < NSECTIONS; k++) {
		const struct section *s = &sections[k];
		struct json_object *rows;
		char *items;

		if (!json_object_object_get_ex(obj, s->name, &rows))
			continue;
		if (!json_object_is_type(rows, json_type_array)) {
			snprintf(err, errlen, "routes: %s is not an array", s->name);
			goto bad;
		}
		n = json_object_array_length(rows);
		items = xcalloc(n, s->size);
		s->set(out, items);
		s->items(out, &count);
		for (i = 0; i < n; i++) {
			/* counted first: a half-decoded item is released too */
			(*count)++;
			if (s->decode(json_object_array_get_idx(rows, i),
			    items + i * s->size) != 0) {
				snprintf(err, errlen, "routes: malformed %s row %zu",
				    s->name, i);
				goto bad;
			}
		}
		if (s->order != NULL && sorted_unique(items, n, s->size, s->order) != 0) {
			snprintf(err, errlen, "routes: two %s rows with one key", s->name);
			goto bad;
		}
	}
	if (index_tables(out) != 0) {
		snprintf(err, errlen, "routes: two providers rows with one id");
		goto bad;
	}
	return 0;
bad:
	route_tables_free(out);
	return -1;
}

struct json_object *
route_tables_to_json(const struct route_tables *t)
{
	struct json_object *obj = json_object_new_object();
	size_t k, i, *count;

	for (k = 0; k < NSECTIONS; k++) {
		const char *items = sections[k].items(t, &count);
		struct json_object *rows = json_object_new_array_ext((int)*count);
		for (i = 0; i < *count; i++)
			json_object_array_add(rows,
			    sections[k].encode(items + i * sections[k].size));
		json_object_object_add(obj, sections[k].name, rows);
	}
	return obj;
}

void
route_json_put(struct json_object *obj)
{
	struct json_object *rows, *key;
	size_t i;

	if (obj != NULL && json_object_object_get_ex(obj, "connections", &rows) &&
	    json_object_is_type(rows, json_type_array))
		for (i = 0; i < json_object_array_length(rows); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(rows, i),
			    "key", &key) && json_object_is_type(key, json_type_string))
				explicit_bzero((char *)(uintptr_t)json_object_get_string(key),
				    (size_t)json_object_get_string_len(key));
	json_object_put(obj);
}

/* ---- lookups ---------------------------------------------------------------- */

const struct route_provider *
route_find_provider(const struct route_tables *t, const char *id)
{
	struct route_provider key = { .id = (char *)(uintptr_t)id };
	const struct route_provider *k = &key, *const *found;

	if (id == NULL || t->provider_count == 0)
		return NULL;
	found = bsearch(&k, t->provider_index, t->provider_count,
	    sizeof(*t->provider_index), provider_ptr_cmp);
	return found != NULL ? *found : NULL;
}

const struct route_connection *
route_find_connection(const struct route_tables *t, const char *id)
{
	if (id == NULL || t->connection_count == 0)
		return NULL;
	return bsearch(&id, t->connections, t->connection_count,
	    sizeof(*t->connections), by_leading_id);
}

const struct route_combo *
route_find_combo(const struct route_tables *t, const char *id)
{
	if (id == NULL || t->combo_count == 0)
		return NULL;
	return bsearch(&id, t->combos, t->combo_count, sizeof(*t->combos),
	    by_leading_id);
}

const struct route_api_key *
route_find_api_key(const struct route_tables *t, const char *hash)
{
	struct route_api_key key;

	if (hash == NULL || t->api_key_count == 0 || strlen(hash) != 64)
		return NULL;
	memcpy(key.hash, hash, 65);
	return bsearch(&key, t->api_keys, t->api_key_count, sizeof(*t->api_keys),
	    api_key_cmp);
}

enum provider_upstream
route_upstream_mode(const struct route_tables *t, const char *provider_id)
{
	const struct route_upstream *u;

	if (provider_id == NULL || t->upstream_count == 0)
		return UPSTREAM_NATIVE;
	u = bsearch(&provider_id, t->upstreams, t->upstream_count,
	    sizeof(*t->upstreams), by_leading_id);
	return u != NULL ? u->mode : UPSTREAM_NATIVE;
}

/* ---- choosing ---------------------------------------------------------------- */

const struct route_connection *
route_first_connection(const struct route_provider *p, route_skip_fn *skip, void *arg)
{
	size_t i;

	for (i = 0; i < p->active_count; i++)
		if (skip == NULL || !skip(arg, p->active[i]))
			return p->active[i];
	return NULL;
}

static void
add_candidate(struct route_plan *plan, const struct route_provider *p,
    const struct route_connection *c, const char *model, enum route_via via,
    size_t group)
{
	struct route_candidate *rc = &plan->cand[plan->count++];

	rc->provider = p;
	rc->connection = c;
	rc->model = model;
	rc->via = via;
	rc->group = group;
}

/* One target's candidates, as its provider's upstream mode says. */
static void
add_target(struct route_plan *plan, const struct route_provider *p, const char *model,
    route_skip_fn *skip, void *arg)
{
	size_t group = plan->count, i;

	for (i = 0; i < p->active_count && plan->count < ROUTE_MAX_CANDIDATES; i++)
		if (skip == NULL || !skip(arg, p->active[i]))
			add_candidate(plan, p, p->active[i], model, ROUTE_VIA_PROVIDER, 0);
	/* a provider that needs no key can be used without a connection */
	if (plan->count == group && p->auth == ROUTE_AUTH_NONE &&
	    plan->count < ROUTE_MAX_CANDIDATES)
		add_candidate(plan, p, NULL, model, ROUTE_VIA_PROVIDER, 0);
	if (p->upstream == UPSTREAM_CLIPROXYAPI) {
		for (i = group; i < plan->count; i++)
			plan->cand[i].via = ROUTE_VIA_CLIPROXYAPI;
	} else if (p->upstream == UPSTREAM_FALLBACK && plan->count > group &&
	    plan->count < ROUTE_MAX_CANDIDATES) {
		add_candidate(plan, p, NULL, model, ROUTE_VIA_FALLBACK, group);
	}
}

void
route_candidates(const struct route_tables *t, const char *model,
    route_skip_fn *skip, void *arg, struct route_plan *plan)
{
	const char *slash = strchr(model, '/');
	char provider[65];
	size_t i;

	memset(plan, 0, sizeof(*plan));
	if (slash != NULL && (size_t)(slash - model) < sizeof(provider) && slash[1] != '\0') {
		memcpy(provider, model, (size_t)(slash - model));
		provider[slash - model] = '\0';
		if ((plan->provider = route_find_provider(t, provider)) != NULL) {
			add_target(plan, plan->provider, slash + 1, skip, arg);
			return;
		}
	}
	if ((plan->combo = route_find_combo(t, model)) == NULL)
		return;
	for (i = 0; i < plan->combo->target_count; i++) {
		const struct route_target *target = &plan->combo->targets[i];
		const struct route_provider *p = route_find_provider(t, target->provider);
		if (p != NULL)
			add_target(plan, p, target->model, skip, arg);
	}
}
