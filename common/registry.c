/*
 * common/registry.c — snapshot types, their channel (de)serialisation, the
 * deltas between two snapshots, and the sorted lookups used by proxy
 * resolution. Proxies and assignments are described once, in a table of
 * sections, which every channel form (whole, diff, delta) walks; the routing
 * tables travel as one whole section of their own (routing.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pool_choice.h"
#include "registry.h"
#include "util.h"

static const char *const proxy_type_names[] = { "http", "https", "socks5" };
static const char *const scope_names[] = { "account", "provider", "combo", "global" };

uint64_t
proxy_credentials_fingerprint(const char *user, const char *password)
{
	const char *parts[2] = { user != NULL ? user : "", password != NULL ? password : "" };
	uint64_t h = FNV1A64_OFFSET;
	size_t i;

	for (i = 0; i < 2; i++)
		h = fnv1a64(h, parts[i]) * FNV1A64_PRIME;	/* then the separator */
	return h;
}

const char *
proxy_type_name(enum proxy_type t)
{
	return proxy_type_names[t];
}

bool
proxy_type_parse(const char *s, enum proxy_type *out)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, proxy_type_names[i]) == 0) {
			*out = (enum proxy_type)i;
			return true;
		}
	}
	return false;
}

const char *
scope_name(enum scope s)
{
	return scope_names[s];
}

bool
scope_parse(const char *s, enum scope *out)
{
	size_t i;

	if (strcasecmp(s, "key") == 0) {
		*out = SCOPE_ACCOUNT;
		return true;
	}
	for (i = 0; i < SCOPE_COUNT; i++) {
		if (strcasecmp(s, scope_names[i]) == 0) {
			*out = (enum scope)i;
			return true;
		}
	}
	return false;
}

static const char *const pool_strategy_names[POOL_STRATEGY_COUNT] = {
	[POOL_ROUND_ROBIN] = "round-robin",
	[POOL_RANDOM] = "random",
	[POOL_STICKY] = "sticky",
	[POOL_LATENCY] = "latency",
	[POOL_QUALITY] = "quality",
};

const char *
pool_strategy_name(enum pool_strategy s)
{
	return pool_strategy_names[s];
}

bool
pool_strategy_parse(const char *s, enum pool_strategy *out)
{
	size_t i;

	for (i = 0; i < POOL_STRATEGY_COUNT; i++) {
		if (strcmp(s, pool_strategy_names[i]) == 0) {
			*out = (enum pool_strategy)i;
			return true;
		}
	}
	return false;
}

void
snap_assignment_plain_members(struct snap_assignment *a)
{
	a->strategy = POOL_ROUND_ROBIN;
	a->sticky_window_minutes = POOL_STICKY_WINDOW_DEFAULT;
	a->member_count = 0;
	a->members = NULL;
	if (strcmp(a->proxy_id, ASSIGN_DIRECT) != 0 &&
	    strcmp(a->proxy_id, ASSIGN_LIVE_ONEPROXY) != 0) {
		a->members = xcalloc(1, sizeof(*a->members));
		a->members[0] = xstrdup(a->proxy_id);
		a->member_count = 1;
	}
}

static int
proxy_cmp(const void *a, const void *b)
{
	return strcmp(((const struct snap_proxy *)a)->id,
	    ((const struct snap_proxy *)b)->id);
}

static int
assignment_cmp(const void *a, const void *b)
{
	const struct snap_assignment *x = a, *y = b;

	if (x->scope != y->scope)
		return (int)x->scope - (int)y->scope;
	return strcmp(x->scope_id, y->scope_id);
}

const struct snap_proxy *
snapshot_find_proxy(const struct registry_snapshot *snap, const char *id)
{
	struct snap_proxy key = { .id = (char *)(uintptr_t)id };

	if (snap->proxy_count == 0)
		return NULL;
	return bsearch(&key, snap->proxies, snap->proxy_count,
	    sizeof(*snap->proxies), proxy_cmp);
}

const struct snap_assignment *
snapshot_find_assignment(const struct registry_snapshot *snap, enum scope scope,
    const char *scope_id)
{
	struct snap_assignment key = {
		.scope = scope,
		.scope_id = (char *)(uintptr_t)(scope == SCOPE_GLOBAL ?
		    GLOBAL_SCOPE_ID : scope_id),
	};
	size_t mask, i;
	uint64_t k;

	if (snap->assignment_count == 0 || key.scope_id == NULL)
		return NULL;
	if (snap->assignment_slot_count == 0)	/* not indexed yet */
		return bsearch(&key, snap->assignments, snap->assignment_count,
		    sizeof(*snap->assignments), assignment_cmp);
	k = pool_key(scope, key.scope_id);
	mask = snap->assignment_slot_count - 1;
	for (i = (size_t)k & mask; snap->assignment_slots[i] != 0; i = (i + 1) & mask) {
		const struct snap_assignment *a =
		    &snap->assignments[snap->assignment_slots[i] - 1];
		if (a->key == k && a->scope == scope && strcmp(a->scope_id, key.scope_id) == 0)
			return a;
	}
	return NULL;
}

/*
 * What the lookups derive from the sorted arrays: the assignments' hash
 * index (at most half full, so a probe is short) and each pool's member
 * links. Proxies may have moved (a delta reallocates them): all relinked.
 */
static void
link_assignments(struct registry_snapshot *snap)
{
	size_t i, k, slots = 16, mask;

	while (slots < 2 * snap->assignment_count)
		slots *= 2;
	free(snap->assignment_slots);
	snap->assignment_slots = xcalloc(slots, sizeof(*snap->assignment_slots));
	snap->assignment_slot_count = slots;
	mask = slots - 1;
	for (i = 0; i < snap->assignment_count; i++) {
		struct snap_assignment *a = &snap->assignments[i];

		a->key = pool_key(a->scope, a->scope_id);
		for (k = (size_t)a->key & mask; snap->assignment_slots[k] != 0;
		    k = (k + 1) & mask)
			;
		snap->assignment_slots[k] = (uint32_t)(i + 1);
		free(a->member_proxy);
		free(a->member_hash);
		a->member_proxy = xcalloc(a->member_count + 1, sizeof(*a->member_proxy));
		a->member_hash = xcalloc(a->member_count + 1, sizeof(*a->member_hash));
		for (k = 0; k < a->member_count; k++) {
			a->member_proxy[k] = snapshot_find_proxy(snap, a->members[k]);
			a->member_hash[k] = pool_id_hash(a->members[k]);
		}
	}
}

/* ---- channel rows ---------------------------------------------------------- */

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static const char *
row_string(struct json_object *row, size_t i)
{
	struct json_object *v = json_object_array_get_idx(row, i);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A proxy is [id,name,type,host,port,user,pass,active]; a removed one, its id. */
static struct json_object *
proxy_row(const void *item)
{
	const struct snap_proxy *p = item;
	struct json_object *row = json_object_new_array_ext(8);

	json_object_array_add(row, json_object_new_string(p->id));
	json_object_array_add(row, json_object_new_string(p->name));
	json_object_array_add(row, json_object_new_string(proxy_type_name(p->type)));
	json_object_array_add(row, json_object_new_string(p->host));
	json_object_array_add(row, json_object_new_int(p->port));
	json_object_array_add(row, json_object_new_string(p->username));
	json_object_array_add(row, json_object_new_string(p->password));
	json_object_array_add(row, json_object_new_boolean(p->active));
	return row;
}

static struct json_object *
proxy_key_row(const void *item)
{
	return json_object_new_string(((const struct snap_proxy *)item)->id);
}

static int
proxy_from_row(struct json_object *row, void *item)
{
	struct snap_proxy *p = item;
	const char *id, *name, *type, *host, *user, *pass;
	struct json_object *port, *active;

	if (!json_object_is_type(row, json_type_array) ||
	    json_object_array_length(row) != 8)
		return -1;
	id = row_string(row, 0);
	name = row_string(row, 1);
	type = row_string(row, 2);
	host = row_string(row, 3);
	port = json_object_array_get_idx(row, 4);
	user = row_string(row, 5);
	pass = row_string(row, 6);
	active = json_object_array_get_idx(row, 7);
	if (!id || !name || !type || !host || !user || !pass ||
	    !json_object_is_type(port, json_type_int) ||
	    !json_object_is_type(active, json_type_boolean) ||
	    json_object_get_int(port) < 1 || json_object_get_int(port) > 65535 ||
	    !proxy_type_parse(type, &p->type))
		return -1;
	p->id = xstrdup(id);
	p->name = xstrdup(name);
	p->host = xstrdup(host);
	p->port = (uint16_t)json_object_get_int(port);
	p->username = xstrdup(user);
	p->password = xstrdup(pass);
	p->active = json_object_get_boolean(active);
	return 0;
}

static int
proxy_from_key_row(struct json_object *row, void *item)
{
	if (!json_object_is_type(row, json_type_string))
		return -1;
	((struct snap_proxy *)item)->id = xstrdup(json_object_get_string(row));
	return 0;
}

static bool
proxy_same(const void *x, const void *y)
{
	const struct snap_proxy *a = x, *b = y;

	return a->type == b->type && a->port == b->port && a->active == b->active &&
	    strcmp(a->name, b->name) == 0 && strcmp(a->host, b->host) == 0 &&
	    strcmp(a->username, b->username) == 0 &&
	    strcmp(a->password, b->password) == 0;
}

static void
proxy_free(void *item)
{
	struct snap_proxy *p = item;

	free(p->id);
	free(p->name);
	free(p->host);
	free_secret(p->username);
	free_secret(p->password);
	free(p->sealed_username);
	free(p->sealed_password);
}

/* Whether a's pool says no more than its head does (the short row suffices). */
bool
snap_assignment_is_plain(const struct snap_assignment *a)
{
	bool direct = strcmp(a->proxy_id, ASSIGN_DIRECT) == 0;

	return a->strategy == POOL_ROUND_ROBIN &&
	    a->sticky_window_minutes == POOL_STICKY_WINDOW_DEFAULT &&
	    strcmp(a->proxy_id, ASSIGN_LIVE_ONEPROXY) != 0 &&
	    (direct ? a->member_count == 0 : a->member_count == 1 &&
	    strcmp(a->members[0], a->proxy_id) == 0);
}

/*
 * An assignment is [scope,scopeId,proxyId] or, for a pool that is more than
 * that, [scope,scopeId,proxyId,strategy,stickyWindowMinutes,[memberId…]];
 * a removed one [scope,scopeId].
 */
static struct json_object *
assignment_row_of(const struct snap_assignment *a, bool with_proxy)
{
	struct json_object *row = json_object_new_array_ext(6), *members;
	size_t i;

	json_object_array_add(row, json_object_new_string(scope_name(a->scope)));
	json_object_array_add(row, json_object_new_string(a->scope_id));
	if (!with_proxy)
		return row;
	json_object_array_add(row, json_object_new_string(a->proxy_id));
	if (snap_assignment_is_plain(a))
		return row;
	json_object_array_add(row, json_object_new_string(pool_strategy_name(a->strategy)));
	json_object_array_add(row, json_object_new_int(a->sticky_window_minutes));
	members = json_object_new_array_ext((int)a->member_count);
	for (i = 0; i < a->member_count; i++)
		json_object_array_add(members, json_object_new_string(a->members[i]));
	json_object_array_add(row, members);
	return row;
}

static struct json_object *
assignment_row(const void *item)
{
	return assignment_row_of(item, true);
}

static struct json_object *
assignment_key_row(const void *item)
{
	return assignment_row_of(item, false);
}

/* The pool part of a long row (elements 3..5) into a; -1 when malformed. */
static int
assignment_pool_from_row(struct json_object *row, struct snap_assignment *a)
{
	const char *strategy = row_string(row, 3);
	struct json_object *window = json_object_array_get_idx(row, 4);
	struct json_object *members = json_object_array_get_idx(row, 5);
	size_t i, n;

	if (strategy == NULL || !pool_strategy_parse(strategy, &a->strategy) ||
	    !json_object_is_type(window, json_type_int) ||
	    json_object_get_int(window) < 1 || json_object_get_int(window) > 1440 ||
	    !json_object_is_type(members, json_type_array))
		return -1;
	n = json_object_array_length(members);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(members, i),
		    json_type_string))
			return -1;
	a->sticky_window_minutes = (uint16_t)json_object_get_int(window);
	a->members = n > 0 ? xcalloc(n, sizeof(*a->members)) : NULL;
	for (i = 0; i < n; i++)
		a->members[i] = xstrdup(json_object_get_string(
		    json_object_array_get_idx(members, i)));
	a->member_count = n;
	return 0;
}

static int
assignment_from_row_of(struct json_object *row, struct snap_assignment *a,
    bool with_proxy)
{
	const char *scope, *scope_id, *proxy_id = NULL;
	size_t len;

	if (!json_object_is_type(row, json_type_array))
		return -1;
	len = json_object_array_length(row);
	if (with_proxy ? len != 3 && len != 6 : len != 2)
		return -1;
	scope = row_string(row, 0);
	scope_id = row_string(row, 1);
	if (with_proxy && (proxy_id = row_string(row, 2)) == NULL)
		return -1;
	if (!scope || !scope_id || !scope_parse(scope, &a->scope))
		return -1;
	a->strategy = POOL_ROUND_ROBIN;
	a->sticky_window_minutes = POOL_STICKY_WINDOW_DEFAULT;
	a->members = NULL;
	a->member_count = 0;
	if (len == 6 && assignment_pool_from_row(row, a) != 0)
		return -1;
	a->scope_id = xstrdup(scope_id);
	a->proxy_id = proxy_id != NULL ? xstrdup(proxy_id) : NULL;
	if (len == 3)
		snap_assignment_plain_members(a);
	return 0;
}

static int
assignment_from_row(struct json_object *row, void *item)
{
	return assignment_from_row_of(row, item, true);
}

static int
assignment_from_key_row(struct json_object *row, void *item)
{
	return assignment_from_row_of(row, item, false);
}

static bool
assignment_same(const void *x, const void *y)
{
	const struct snap_assignment *a = x, *b = y;
	size_t i;

	if (strcmp(a->proxy_id, b->proxy_id) != 0 || a->strategy != b->strategy ||
	    a->sticky_window_minutes != b->sticky_window_minutes ||
	    a->member_count != b->member_count)
		return false;
	for (i = 0; i < a->member_count; i++)
		if (strcmp(a->members[i], b->members[i]) != 0)
			return false;
	return true;
}

static void
assignment_free(void *item)
{
	struct snap_assignment *a = item;
	size_t i;

	free(a->scope_id);
	free(a->proxy_id);
	for (i = 0; i < a->member_count; i++)
		free(a->members[i]);
	free(a->members);
	free(a->member_proxy);
	free(a->member_hash);
}

/* ---- the sorted sections, as a table --------------------------------------- */

/*
 * A sorted array of the snapshot and its channel lists: its rows (upserted in
 * a delta) and, in a delta, the keys of the removed ones. A key row decodes
 * into an item holding only the fields `order` reads.
 */
struct section {
	const char	*rows, *removed;	/* the channel's list names */
	size_t		 size;			/* of one item */
	void		*(*items)(const struct registry_snapshot *snap, size_t **count);
	void		 (*set)(struct registry_snapshot *snap, void *items);
	int		 (*from_row)(struct json_object *row, void *item);
	int		 (*from_key_row)(struct json_object *row, void *item);
	struct json_object *(*row)(const void *item);
	struct json_object *(*key_row)(const void *item);
	bool		 (*same)(const void *a, const void *b);	/* same key: same row? */
	void		 (*release)(void *item);
	int		 (*order)(const void *a, const void *b);
};

static void *
proxies_of(const struct registry_snapshot *snap, size_t **count)
{
	*count = (size_t *)(uintptr_t)&snap->proxy_count;
	return snap->proxies;
}

static void
set_proxies(struct registry_snapshot *snap, void *items)
{
	snap->proxies = items;
}

static void *
assignments_of(const struct registry_snapshot *snap, size_t **count)
{
	*count = (size_t *)(uintptr_t)&snap->assignment_count;
	return snap->assignments;
}

static void
set_assignments(struct registry_snapshot *snap, void *items)
{
	snap->assignments = items;
}

static const struct section sections[] = {
	{ "proxies", "removedProxies", sizeof(struct snap_proxy), proxies_of,
	    set_proxies, proxy_from_row, proxy_from_key_row, proxy_row, proxy_key_row,
	    proxy_same, proxy_free, proxy_cmp },
	{ "assignments", "removedAssignments", sizeof(struct snap_assignment),
	    assignments_of, set_assignments, assignment_from_row,
	    assignment_from_key_row, assignment_row, assignment_key_row,
	    assignment_same, assignment_free, assignment_cmp },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void
release_items(const struct section *s, char *items, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		s->release(items + i * s->size);
	free(items);
}

/* Every row of list (an array) decoded into a new array; -1 on a bad row. */
static int
decode_list(const struct section *s, struct json_object *list,
    int (*decode)(struct json_object *, void *), char **items, size_t *count,
    char *err, size_t errlen)
{
	size_t n = json_object_array_length(list);

	*items = xcalloc(n, s->size);
	for (*count = 0; *count < n; (*count)++)
		if (decode(json_object_array_get_idx(list, *count),
		    *items + *count * s->size) != 0) {
			snprintf(err, errlen, "malformed %s row %zu",
			    decode == s->from_row ? s->rows : s->removed, *count);
			release_items(s, *items, *count + 1);
			*items = NULL;
			*count = 0;
			return -1;
		}
	return 0;
}

/* The array member name of obj, or NULL. */
static struct json_object *
member_array(struct json_object *obj, const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, name, &v) &&
	    json_object_is_type(v, json_type_array) ? v : NULL;
}

void
snapshot_index(struct registry_snapshot *snap)
{
	size_t k, *count;
	void *items;

	for (k = 0; k < NSECTIONS; k++)
		if ((items = sections[k].items(snap, &count)) != NULL)
			qsort(items, *count, sections[k].size, sections[k].order);
	link_assignments(snap);
}

struct json_object *
snapshot_to_json(const struct registry_snapshot *snap)
{
	struct json_object *root = json_object_new_object(), *rows;
	size_t k, i, *count;
	const char *items;

	json_object_object_add(root, "generation",
	    json_object_new_int64((int64_t)snap->generation));
	for (k = 0; k < NSECTIONS; k++) {
		items = sections[k].items(snap, &count);
		rows = json_object_new_array_ext((int)*count);
		for (i = 0; i < *count; i++)
			json_object_array_add(rows,
			    sections[k].row(items + i * sections[k].size));
		json_object_object_add(root, sections[k].rows, rows);
	}
	json_object_object_add(root, "routes", route_tables_to_json(&snap->routes));
	return root;
}

int
snapshot_from_json(struct json_object *obj, struct registry_snapshot *out,
    char *err, size_t errlen)
{
	struct json_object *gen, *list, *routes;
	size_t k, *count;
	char *items, why[200];

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(obj, "generation", &gen)) {
		snprintf(err, errlen, "snapshot: missing generation");
		return -1;
	}
	out->generation = (uint64_t)json_object_get_int64(gen);
	for (k = 0; k < NSECTIONS; k++) {
		const struct section *s = &sections[k];
		if ((list = member_array(obj, s->rows)) == NULL) {
			snprintf(err, errlen, "snapshot: missing %s", s->rows);
			goto bad;
		}
		s->items(out, &count);
		if (decode_list(s, list, s->from_row, &items, count, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "snapshot: %s", why);
			goto bad;
		}
		s->set(out, items);
	}
	if (json_object_object_get_ex(obj, "routes", &routes) &&
	    route_tables_from_json(routes, &out->routes, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "snapshot: %s", why);
		goto bad;
	}
	snapshot_index(out);
	return 0;
bad:
	snapshot_free(out);
	return -1;
}

/* One section's changes: both sides are sorted, so one merge walk. */
static void
diff_section(const struct section *s, const struct registry_snapshot *old,
    const struct registry_snapshot *new, struct json_object *root)
{
	struct json_object *rows = json_object_new_array();
	struct json_object *removed = json_object_new_array();
	size_t *nold, *nnew, i = 0, j = 0;
	const char *a = s->items(old, &nold), *b = s->items(new, &nnew);

	while (i < *nold || j < *nnew) {
		const void *x = i < *nold ? a + i * s->size : NULL;
		const void *y = j < *nnew ? b + j * s->size : NULL;
		int c = x == NULL ? 1 : y == NULL ? -1 : s->order(x, y);

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (c < 0)
			json_object_array_add(removed, s->key_row(x));
		else if (c > 0 || !s->same(x, y))
			json_object_array_add(rows, s->row(y));
	}
	json_object_object_add(root, s->rows, rows);
	json_object_object_add(root, s->removed, removed);
}

struct json_object *
snapshot_diff(const struct registry_snapshot *old, const struct registry_snapshot *new)
{
	struct json_object *root = json_object_new_object();
	struct json_object *was = route_tables_to_json(&old->routes);
	struct json_object *is = route_tables_to_json(&new->routes);
	size_t k;

	json_object_object_add(root, "generation", json_object_new_int64((int64_t)new->generation));
	json_object_object_add(root, "base", json_object_new_int64((int64_t)old->generation));
	for (k = 0; k < NSECTIONS; k++)
		diff_section(&sections[k], old, new, root);
	/* the routing tables are small: sent whole, and only when they changed */
	if (!json_object_equal(was, is))
		json_object_object_add(root, "routes", is);
	else
		route_json_put(is);
	route_json_put(was);
	return root;
}

/* A delta's section, decoded before anything is applied. */
struct staged {
	char		*rows, *keys;
	size_t		 nrows, nkeys;
};

static int
stage_section(const struct section *s, struct json_object *delta, struct staged *st,
    char *err, size_t errlen)
{
	struct json_object *rows = member_array(delta, s->rows);
	struct json_object *keys = member_array(delta, s->removed);
	char why[200];

	if (rows == NULL || keys == NULL) {
		snprintf(err, errlen, "delta: missing %s or %s", s->rows, s->removed);
		return -1;
	}
	if (decode_list(s, rows, s->from_row, &st->rows, &st->nrows, why, sizeof(why)) != 0 ||
	    decode_list(s, keys, s->from_key_row, &st->keys, &st->nkeys, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "delta: %s", why);
		return -1;
	}
	qsort(st->rows, st->nrows, s->size, s->order);
	qsort(st->keys, st->nkeys, s->size, s->order);
	return 0;
}

/* Drop the removed and the replaced items, add the new rows, sort again. */
static void
apply_section(const struct section *s, struct registry_snapshot *snap, struct staged *st)
{
	size_t *count, i, kept = 0;
	char *items = s->items(snap, &count);

	for (i = 0; i < *count; i++) {
		char *item = items + i * s->size;
		if (bsearch(item, st->keys, st->nkeys, s->size, s->order) != NULL ||
		    bsearch(item, st->rows, st->nrows, s->size, s->order) != NULL)
			s->release(item);
		else
			memmove(items + kept++ * s->size, item, s->size);
	}
	items = xrealloc(items, (kept + st->nrows) * s->size);
	if (st->nrows > 0)
		memcpy(items + kept * s->size, st->rows, st->nrows * s->size);
	*count = kept + st->nrows;
	s->set(snap, items);
	qsort(items, *count, s->size, s->order);
	free(st->rows);		/* moved into the snapshot */
	release_items(s, st->keys, st->nkeys);
}

int
snapshot_apply_delta(struct registry_snapshot *snap, struct json_object *delta,
    char *err, size_t errlen)
{
	struct json_object *gen, *base, *routes_json = NULL;
	struct staged staged[NSECTIONS];
	struct route_tables routes;
	char why[200];
	size_t k;

	if (!json_object_object_get_ex(delta, "generation", &gen) ||
	    !json_object_object_get_ex(delta, "base", &base)) {
		snprintf(err, errlen, "delta: missing generation or base");
		return -1;
	}
	if ((uint64_t)json_object_get_int64(base) != snap->generation) {
		snprintf(err, errlen, "delta: base generation %lld, have %llu",
		    (long long)json_object_get_int64(base),
		    (unsigned long long)snap->generation);
		return -1;
	}
	/* decode everything first, so a bad delta changes nothing */
	memset(staged, 0, sizeof(staged));
	memset(&routes, 0, sizeof(routes));
	for (k = 0; k < NSECTIONS; k++)
		if (stage_section(&sections[k], delta, &staged[k], err, errlen) != 0)
			goto bad;
	if (json_object_object_get_ex(delta, "routes", &routes_json) &&
	    route_tables_from_json(routes_json, &routes, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "delta: %s", why);
		goto bad;
	}
	for (k = 0; k < NSECTIONS; k++)
		apply_section(&sections[k], snap, &staged[k]);
	link_assignments(snap);
	if (routes_json != NULL) {
		route_tables_free(&snap->routes);
		snap->routes = routes;
	}
	snap->generation = (uint64_t)json_object_get_int64(gen);
	return 0;
bad:
	for (k = 0; k < NSECTIONS; k++) {
		release_items(&sections[k], staged[k].rows, staged[k].nrows);
		release_items(&sections[k], staged[k].keys, staged[k].nkeys);
	}
	return -1;
}

void
snapshot_free(struct registry_snapshot *snap)
{
	size_t k, *count;

	for (k = 0; k < NSECTIONS; k++) {
		char *items = sections[k].items(snap, &count);
		release_items(&sections[k], items, *count);
	}
	route_tables_free(&snap->routes);
	free(snap->assignment_slots);
	memset(snap, 0, sizeof(*snap));
}
