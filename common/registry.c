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

struct json_object *
snapshot_to_json(const struct registry_snapshot *snap)
{
	struct json_object *root = json_object_new_object();
	struct json_object *proxies = json_object_new_array_ext((int)snap->proxy_count);
	struct json_object *assigns = json_object_new_array_ext(
	    (int)snap->assignment_count);
	size_t i;

	for (i = 0; i < snap->proxy_count; i++) {
		const struct snap_proxy *p = &snap->proxies[i];
		struct json_object *row = json_object_new_array_ext(8);
		json_object_array_add(row, json_object_new_string(p->id));
		json_object_array_add(row, json_object_new_string(p->name));
		json_object_array_add(row, json_object_new_string(proxy_type_name(p->type)));
		json_object_array_add(row, json_object_new_string(p->host));
		json_object_array_add(row, json_object_new_int(p->port));
		json_object_array_add(row, json_object_new_string(p->username));
		json_object_array_add(row, json_object_new_string(p->password));
		json_object_array_add(row, json_object_new_boolean(p->active));
		json_object_array_add(proxies, row);
	}
	for (i = 0; i < snap->assignment_count; i++) {
		const struct snap_assignment *a = &snap->assignments[i];
		struct json_object *row = json_object_new_array_ext(3);
		json_object_array_add(row, json_object_new_string(scope_name(a->scope)));
		json_object_array_add(row, json_object_new_string(a->scope_id));
		json_object_array_add(row, json_object_new_string(a->proxy_id));
		json_object_array_add(assigns, row);
	}
	json_object_object_add(root, "generation",
	    json_object_new_int64((int64_t)snap->generation));
	json_object_object_add(root, "proxies", proxies);
	json_object_object_add(root, "assignments", assigns);
	return root;
}

static const char *
row_string(struct json_object *row, size_t i)
{
	struct json_object *v = json_object_array_get_idx(row, i);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
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
	for (i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(proxies, i);
		struct snap_proxy *p = &out->proxies[i];
		const char *id, *name, *type, *host, *user, *pass;
		int port;

		if (!json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) != 8)
			goto bad;
		id = row_string(row, 0);
		name = row_string(row, 1);
		type = row_string(row, 2);
		host = row_string(row, 3);
		port = json_object_get_int(json_object_array_get_idx(row, 4));
		user = row_string(row, 5);
		pass = row_string(row, 6);
		if (!id || !name || !type || !host || !user || !pass || port < 1 ||
		    port > 65535 || !proxy_type_parse(type, &p->type))
			goto bad;
		p->id = xstrdup(id);
		p->name = xstrdup(name);
		p->host = xstrdup(host);
		p->port = (uint16_t)port;
		p->username = xstrdup(user);
		p->password = xstrdup(pass);
		p->active = json_object_get_boolean(json_object_array_get_idx(row, 7));
		out->proxy_count++;
	}
	n = json_object_array_length(assigns);
	out->assignments = xcalloc(n, sizeof(*out->assignments));
	for (i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(assigns, i);
		struct snap_assignment *a = &out->assignments[i];
		const char *scope, *scope_id, *proxy_id;

		if (!json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) != 3)
			goto bad;
		scope = row_string(row, 0);
		scope_id = row_string(row, 1);
		proxy_id = row_string(row, 2);
		if (!scope || !scope_id || !proxy_id || !scope_parse(scope, &a->scope))
			goto bad;
		a->scope_id = xstrdup(scope_id);
		a->proxy_id = xstrdup(proxy_id);
		out->assignment_count++;
	}
	snapshot_index(out);
	return 0;
bad:
	snprintf(err, errlen, "snapshot: malformed row %zu", i);
	snapshot_free(out);
	return -1;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
snapshot_free(struct registry_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->proxy_count; i++) {
		free(snap->proxies[i].id);
		free(snap->proxies[i].name);
		free(snap->proxies[i].host);
		free_secret(snap->proxies[i].username);
		free_secret(snap->proxies[i].password);
		free(snap->proxies[i].sealed_username);
		free(snap->proxies[i].sealed_password);
	}
	for (i = 0; i < snap->assignment_count; i++) {
		free(snap->assignments[i].scope_id);
		free(snap->assignments[i].proxy_id);
	}
	free(snap->proxies);
	free(snap->assignments);
	memset(snap, 0, sizeof(*snap));
}
