/*
 * common/registry.c — snapshot types, their channel (de)serialisation and
 * the sorted lookups used by proxy resolution.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry.h"
#include "util.h"

static const char *const proxy_type_names[] = { "http", "https", "socks5" };
static const char *const scope_names[] = { "account", "provider", "combo", "global" };

uint64_t
proxy_credentials_fingerprint(const char *user, const char *password)
{
	const char *parts[2] = { user != NULL ? user : "", password != NULL ? password : "" };
	uint64_t h = 14695981039346656037ull;
	const unsigned char *c;
	size_t i;

	for (i = 0; i < 2; i++) {
		for (c = (const unsigned char *)parts[i]; *c != '\0'; c++)
			h = (h ^ *c) * 1099511628211ull;
		h *= 1099511628211ull;	/* the separator */
	}
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

void
snapshot_index(struct registry_snapshot *snap)
{
	if (snap->proxy_count > 1)
		qsort(snap->proxies, snap->proxy_count, sizeof(*snap->proxies),
		    proxy_cmp);
	if (snap->assignment_count > 1)
		qsort(snap->assignments, snap->assignment_count,
		    sizeof(*snap->assignments), assignment_cmp);
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

	if (snap->assignment_count == 0 || key.scope_id == NULL)
		return NULL;
	return bsearch(&key, snap->assignments, snap->assignment_count,
	    sizeof(*snap->assignments), assignment_cmp);
}

/* Channel rows: a proxy is [id,name,type,host,port,user,pass,active]. */
static struct json_object *
proxy_row(const struct snap_proxy *p)
{
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

/* An assignment is [scope,scopeId,proxyId]; a removed one [scope,scopeId]. */
static struct json_object *
assignment_row(const struct snap_assignment *a, bool with_proxy)
{
	struct json_object *row = json_object_new_array_ext(3);

	json_object_array_add(row, json_object_new_string(scope_name(a->scope)));
	json_object_array_add(row, json_object_new_string(a->scope_id));
	if (with_proxy)
		json_object_array_add(row, json_object_new_string(a->proxy_id));
	return row;
}

static const char *
row_string(struct json_object *row, size_t i)
{
	struct json_object *v = json_object_array_get_idx(row, i);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int
proxy_from_row(struct json_object *row, struct snap_proxy *p)
{
	const char *id, *name, *type, *host, *user, *pass;
	struct json_object *port, *active;

	memset(p, 0, sizeof(*p));
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
assignment_from_row(struct json_object *row, struct snap_assignment *a,
    bool with_proxy)
{
	const char *scope, *scope_id, *proxy_id = NULL;

	memset(a, 0, sizeof(*a));
	if (!json_object_is_type(row, json_type_array) ||
	    json_object_array_length(row) != (with_proxy ? 3u : 2u))
		return -1;
	scope = row_string(row, 0);
	scope_id = row_string(row, 1);
	if (with_proxy && (proxy_id = row_string(row, 2)) == NULL)
		return -1;
	if (!scope || !scope_id || !scope_parse(scope, &a->scope))
		return -1;
	a->scope_id = xstrdup(scope_id);
	a->proxy_id = proxy_id != NULL ? xstrdup(proxy_id) : NULL;
	return 0;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Drop a routes object, wiping the connection keys it holds first. */
static void
routes_free(struct json_object *routes)
{
	struct json_object *conns, *key;
	size_t i;

	if (routes == NULL)
		return;
	/* a snapshot owns its routes alone (deep copies), so wiping is safe */
	if (json_object_object_get_ex(routes, "connections", &conns))
		for (i = 0; i < json_object_array_length(conns); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(conns, i),
			    "key", &key) && json_object_is_type(key, json_type_string))
				explicit_bzero((char *)(uintptr_t)json_object_get_string(key),
				    (size_t)json_object_get_string_len(key));
	json_object_put(routes);
}

struct json_object *
snapshot_routes(const struct registry_snapshot *snap, const char *section)
{
	struct json_object *v;

	if (snap->routes == NULL || !json_object_object_get_ex(snap->routes, section, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

const char *
route_field(struct json_object *obj, const char *name)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static struct json_object *
find_by_id(const struct registry_snapshot *snap, const char *section, const char *id)
{
	struct json_object *list = snapshot_routes(snap, section);
	size_t i;

	if (list == NULL || id == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		if (strcmp(route_field(o, "id"), id) == 0)
			return o;
	}
	return NULL;
}

struct json_object *
snapshot_find_provider(const struct registry_snapshot *snap, const char *id)
{
	return find_by_id(snap, "providers", id);
}

struct json_object *
snapshot_find_connection(const struct registry_snapshot *snap, const char *id)
{
	return find_by_id(snap, "connections", id);
}

struct json_object *
snapshot_find_combo(const struct registry_snapshot *snap, const char *id)
{
	return find_by_id(snap, "combos", id);
}

const char *
snapshot_upstream_mode(const struct registry_snapshot *snap, const char *provider_id)
{
	struct json_object *mode = find_by_id(snap, "upstreamModes", provider_id);

	return mode != NULL ? route_field(mode, "mode") : "native";
}

static void
proxy_free(struct snap_proxy *p)
{
	free(p->id);
	free(p->name);
	free(p->host);
	free_secret(p->username);
	free_secret(p->password);
	free(p->sealed_username);
	free(p->sealed_password);
	memset(p, 0, sizeof(*p));
}

static void
assignment_free(struct snap_assignment *a)
{
	free(a->scope_id);
	free(a->proxy_id);
	memset(a, 0, sizeof(*a));
}

struct json_object *
snapshot_to_json(const struct registry_snapshot *snap)
{
	struct json_object *root = json_object_new_object();
	struct json_object *proxies = json_object_new_array_ext((int)snap->proxy_count);
	struct json_object *assigns = json_object_new_array_ext(
	    (int)snap->assignment_count);
	size_t i;

	for (i = 0; i < snap->proxy_count; i++)
		json_object_array_add(proxies, proxy_row(&snap->proxies[i]));
	for (i = 0; i < snap->assignment_count; i++)
		json_object_array_add(assigns, assignment_row(&snap->assignments[i], true));
	json_object_object_add(root, "generation",
	    json_object_new_int64((int64_t)snap->generation));
	json_object_object_add(root, "proxies", proxies);
	json_object_object_add(root, "assignments", assigns);
	json_object_object_add(root, "routes", snap->routes != NULL ?
	    json_object_get(snap->routes) : json_object_new_object());
	return root;
}

int
snapshot_from_json(struct json_object *obj, struct registry_snapshot *out,
    char *err, size_t errlen)
{
	struct json_object *gen, *proxies, *assigns;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(obj, "generation", &gen) ||
	    !json_object_object_get_ex(obj, "proxies", &proxies) ||
	    !json_object_object_get_ex(obj, "assignments", &assigns) ||
	    !json_object_is_type(proxies, json_type_array) ||
	    !json_object_is_type(assigns, json_type_array)) {
		snprintf(err, errlen, "snapshot: missing generation, proxies or assignments");
		return -1;
	}
	out->generation = (uint64_t)json_object_get_int64(gen);
	n = json_object_array_length(proxies);
	out->proxies = xcalloc(n, sizeof(*out->proxies));
	for (i = 0; i < n; i++, out->proxy_count++)
		if (proxy_from_row(json_object_array_get_idx(proxies, i),
		    &out->proxies[i]) != 0) {
			snprintf(err, errlen, "snapshot: malformed proxy row %zu", i);
			goto bad;
		}
	n = json_object_array_length(assigns);
	out->assignments = xcalloc(n, sizeof(*out->assignments));
	for (i = 0; i < n; i++, out->assignment_count++)
		if (assignment_from_row(json_object_array_get_idx(assigns, i),
		    &out->assignments[i], true) != 0) {
			snprintf(err, errlen, "snapshot: malformed assignment row %zu", i);
			goto bad;
		}
	if (json_object_object_get_ex(obj, "routes", &gen) &&
	    json_object_is_type(gen, json_type_object) &&
	    json_object_deep_copy(gen, &out->routes, NULL) != 0) {
		snprintf(err, errlen, "snapshot: cannot copy the routes");
		goto bad;
	}
	snapshot_index(out);
	return 0;
bad:
	snapshot_free(out);
	return -1;
}

static bool
proxy_equal(const struct snap_proxy *a, const struct snap_proxy *b)
{
	return a->type == b->type && a->port == b->port && a->active == b->active &&
	    strcmp(a->name, b->name) == 0 && strcmp(a->host, b->host) == 0 &&
	    strcmp(a->username, b->username) == 0 &&
	    strcmp(a->password, b->password) == 0;
}

struct json_object *
snapshot_diff(const struct registry_snapshot *old, const struct registry_snapshot *new)
{
	struct json_object *root = json_object_new_object();
	struct json_object *upserts = json_object_new_array();
	struct json_object *removed = json_object_new_array();
	struct json_object *aupserts = json_object_new_array();
	struct json_object *aremoved = json_object_new_array();
	size_t i = 0, j = 0;

	/* both sides are sorted: one merge walk each */
	while (i < old->proxy_count || j < new->proxy_count) {
		int c = i == old->proxy_count ? 1 : j == new->proxy_count ? -1 :
		    proxy_cmp(&old->proxies[i], &new->proxies[j]);
		if (c < 0) {
			json_object_array_add(removed,
			    json_object_new_string(old->proxies[i++].id));
		} else if (c > 0) {
			json_object_array_add(upserts, proxy_row(&new->proxies[j++]));
		} else {
			if (!proxy_equal(&old->proxies[i], &new->proxies[j]))
				json_object_array_add(upserts, proxy_row(&new->proxies[j]));
			i++;
			j++;
		}
	}
	i = j = 0;
	while (i < old->assignment_count || j < new->assignment_count) {
		int c = i == old->assignment_count ? 1 : j == new->assignment_count ? -1 :
		    assignment_cmp(&old->assignments[i], &new->assignments[j]);
		if (c < 0) {
			json_object_array_add(aremoved,
			    assignment_row(&old->assignments[i++], false));
		} else if (c > 0) {
			json_object_array_add(aupserts,
			    assignment_row(&new->assignments[j++], true));
		} else {
			if (strcmp(old->assignments[i].proxy_id,
			    new->assignments[j].proxy_id) != 0)
				json_object_array_add(aupserts,
				    assignment_row(&new->assignments[j], true));
			i++;
			j++;
		}
	}
	json_object_object_add(root, "generation", json_object_new_int64((int64_t)new->generation));
	json_object_object_add(root, "base", json_object_new_int64((int64_t)old->generation));
	json_object_object_add(root, "proxies", upserts);
	json_object_object_add(root, "removedProxies", removed);
	json_object_object_add(root, "assignments", aupserts);
	json_object_object_add(root, "removedAssignments", aremoved);
	/* the routing tables are small: sent whole, and only when they changed */
	if (!json_object_equal(old->routes, new->routes))
		json_object_object_add(root, "routes", new->routes != NULL ?
		    json_object_get(new->routes) : json_object_new_object());
	return root;
}

/* Drop the entries whose key field (id / scope_id) was cleared. */
static void
compact_proxies(struct registry_snapshot *snap)
{
	size_t i, o = 0;

	for (i = 0; i < snap->proxy_count; i++)
		if (snap->proxies[i].id != NULL)
			snap->proxies[o++] = snap->proxies[i];
	snap->proxy_count = o;
}

static void
compact_assignments(struct registry_snapshot *snap)
{
	size_t i, o = 0;

	for (i = 0; i < snap->assignment_count; i++)
		if (snap->assignments[i].scope_id != NULL)
			snap->assignments[o++] = snap->assignments[i];
	snap->assignment_count = o;
}

int
snapshot_apply_delta(struct registry_snapshot *snap, struct json_object *delta,
    char *err, size_t errlen)
{
	struct json_object *gen, *base, *lists[4], *routes = NULL;
	static const char *const names[4] = {
		"proxies", "removedProxies", "assignments", "removedAssignments",
	};
	struct snap_proxy *newp = NULL;
	struct snap_assignment *newa = NULL;
	size_t i, k, n, n_newp = 0, n_newa = 0;

	if (!json_object_object_get_ex(delta, "generation", &gen) ||
	    !json_object_object_get_ex(delta, "base", &base)) {
		snprintf(err, errlen, "delta: missing generation or base");
		return -1;
	}
	for (k = 0; k < 4; k++)
		if (!json_object_object_get_ex(delta, names[k], &lists[k]) ||
		    !json_object_is_type(lists[k], json_type_array)) {
			snprintf(err, errlen, "delta: missing %s", names[k]);
			return -1;
		}
	if (json_object_object_get_ex(delta, "routes", &routes) &&
	    !json_object_is_type(routes, json_type_object)) {
		snprintf(err, errlen, "delta: routes is not an object");
		return -1;
	}
	if ((uint64_t)json_object_get_int64(base) != snap->generation) {
		snprintf(err, errlen, "delta: base generation %lld, have %llu",
		    (long long)json_object_get_int64(base),
		    (unsigned long long)snap->generation);
		return -1;
	}
	/* parse everything first, so a bad delta changes nothing */
	newp = xcalloc(json_object_array_length(lists[0]), sizeof(*newp));
	for (i = 0; i < json_object_array_length(lists[0]); i++, n_newp++)
		if (proxy_from_row(json_object_array_get_idx(lists[0], i), &newp[i]) != 0)
			goto bad;
	for (i = 0; i < json_object_array_length(lists[1]); i++)
		if (row_string(lists[1], i) == NULL)
			goto bad;
	newa = xcalloc(json_object_array_length(lists[2]), sizeof(*newa));
	for (i = 0; i < json_object_array_length(lists[2]); i++, n_newa++)
		if (assignment_from_row(json_object_array_get_idx(lists[2], i),
		    &newa[i], true) != 0)
			goto bad;
	for (i = 0; i < json_object_array_length(lists[3]); i++) {
		struct snap_assignment probe;
		if (assignment_from_row(json_object_array_get_idx(lists[3], i),
		    &probe, false) != 0)
			goto bad;
		assignment_free(&probe);
	}
	/* removals: find them all while the arrays are intact, then clear */
	{
		size_t nrp = json_object_array_length(lists[1]);
		size_t nra = json_object_array_length(lists[3]);
		struct snap_proxy **rp = xcalloc(nrp, sizeof(*rp));
		struct snap_assignment **ra = xcalloc(nra, sizeof(*ra));

		for (i = 0; i < nrp; i++)
			rp[i] = (struct snap_proxy *)(uintptr_t)snapshot_find_proxy(snap,
			    row_string(lists[1], i));
		for (i = 0; i < nra; i++) {
			struct snap_assignment probe;
			assignment_from_row(json_object_array_get_idx(lists[3], i),
			    &probe, false);
			ra[i] = (struct snap_assignment *)(uintptr_t)
			    snapshot_find_assignment(snap, probe.scope, probe.scope_id);
			assignment_free(&probe);
		}
		for (i = 0; i < nrp; i++)
			if (rp[i] != NULL && rp[i]->id != NULL)
				proxy_free(rp[i]);
		for (i = 0; i < nra; i++)
			if (ra[i] != NULL && ra[i]->scope_id != NULL)
				assignment_free(ra[i]);
		free(rp);
		free(ra);
	}
	compact_proxies(snap);
	compact_assignments(snap);
	/* upserts: replace in place (searching the sorted part) or append; sort once */
	n = snap->proxy_count;
	snap->proxies = xrealloc(snap->proxies, (n + n_newp + 1) * sizeof(*snap->proxies));
	for (i = 0; i < n_newp; i++) {
		struct snap_proxy *p = n == 0 ? NULL : bsearch(&newp[i], snap->proxies,
		    n, sizeof(*snap->proxies), proxy_cmp);
		if (p != NULL) {
			proxy_free(p);
			*p = newp[i];
		} else {
			snap->proxies[snap->proxy_count++] = newp[i];
		}
	}
	n = snap->assignment_count;
	snap->assignments = xrealloc(snap->assignments,
	    (n + n_newa + 1) * sizeof(*snap->assignments));
	for (i = 0; i < n_newa; i++) {
		struct snap_assignment *a = n == 0 ? NULL : bsearch(&newa[i],
		    snap->assignments, n, sizeof(*snap->assignments), assignment_cmp);
		if (a != NULL) {
			assignment_free(a);
			*a = newa[i];
		} else {
			snap->assignments[snap->assignment_count++] = newa[i];
		}
	}
	snapshot_index(snap);
	free(newp);
	free(newa);
	if (routes != NULL) {
		struct json_object *copy = NULL;
		if (json_object_deep_copy(routes, &copy, NULL) == 0) {
			routes_free(snap->routes);
			snap->routes = copy;
		}
	}
	snap->generation = (uint64_t)json_object_get_int64(gen);
	return 0;
bad:
	snprintf(err, errlen, "delta: malformed row %zu", i);
	for (k = 0; k < n_newp; k++)
		proxy_free(&newp[k]);
	for (k = 0; k < n_newa; k++)
		assignment_free(&newa[k]);
	free(newp);
	free(newa);
	return -1;
}

void
snapshot_free(struct registry_snapshot *snap)
{
	size_t i;

	routes_free(snap->routes);
	for (i = 0; i < snap->proxy_count; i++)
		proxy_free(&snap->proxies[i]);
	for (i = 0; i < snap->assignment_count; i++)
		assignment_free(&snap->assignments[i]);
	free(snap->proxies);
	free(snap->assignments);
	memset(snap, 0, sizeof(*snap));
}
