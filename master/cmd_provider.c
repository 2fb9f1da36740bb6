/*
 * master/cmd_provider.c — providers: list (the built-in catalog, overridden
 * entries and custom providers), get, add, update (of a custom provider, or
 * an override of a built-in one), delete (a custom provider, or an override:
 * the catalog entry comes back).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "proxy_fields.h"
#include "route_store.h"
#include "util.h"

static const char *const auth_styles[] = { "bearer", "x-api-key", "none", NULL };

/* Headers the relay sets itself: a provider may not supply them. */
static const char *const reserved_headers[] = {
	"host", "content-length", "transfer-encoding", "connection", "keep-alive",
	"upgrade", "te", "trailer", "proxy-authorization", "proxy-connection",
	"authorization", "x-api-key", NULL,
};

bool
route_id_valid(const char *id, bool allow_upper)
{
	size_t i, len = strlen(id);

	/* the argument tables' ARG_SLUG rule, at most 64 bytes */
	if (len > 64 || !slug_valid(id, len))
		return false;
	for (i = 0; i < len && !allow_upper; i++)
		if (id[i] >= 'A' && id[i] <= 'Z')
			return false;
	return true;
}

/*
 * http(s)://host[:port][/path] — no credentials, query or fragment; the host
 * follows the proxy hosts' grammar (common/proxy_fields.c: a DNS name of at
 * most 253 bytes, a dotted-quad IPv4 address, or a bracketed IPv6 literal).
 */
static const char *
base_url_problem(const char *url)
{
	const char *p, *host, *host_end, *port = NULL;
	const char *why = NULL;
	enum host_kind kind;
	size_t i;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return "baseUrl must start with http:// or https://";
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return "baseUrl must not contain spaces or control characters";
	if (strpbrk(url, "?#@\\") != NULL)
		return "baseUrl must not contain credentials, a query or a fragment";
	if (*host == '\0' || *host == '/' || *host == ':')
		return "baseUrl has no host";
	p = host + strcspn(host, "/");
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(p - host));
		if (host_end == NULL)
			return "baseUrl has an unterminated IPv6 literal";
		host_end++;
		if (host_end < p && *host_end != ':')
			return "baseUrl has characters after its IPv6 literal";
	} else {
		host_end = memchr(host, ':', (size_t)(p - host));
		if (host_end == NULL)
			host_end = p;
	}
	if (host_end < p)
		port = host_end + 1;
	kind = host_classify(host, (size_t)(host_end - host), &why, NULL, NULL);
	if (kind == HOST_IPV6 && *host != '[')
		return "baseUrl must bracket an IPv6 host";
	if (kind == HOST_INVALID) {
		/* the master is one thread: one message buffer is enough */
		static char message[160];
		snprintf(message, sizeof(message), "baseUrl host %s", why);
		return message;
	}
	if (port != NULL) {
		long value = 0;
		if (port == p)
			return "baseUrl has an invalid port";
		for (; port < p; port++) {
			if (!isdigit((unsigned char)*port) || value > 65535)
				return "baseUrl has an invalid port";
			value = value * 10 + (*port - '0');
		}
		if (value < 1 || value > 65535)
			return "baseUrl has an invalid port";
	}
	return NULL;
}

static int
route_check_headers(struct json_object *headers, struct json_object *details)
{
	int problems = 0;
	size_t i, count = 0;

	json_object_object_foreach(headers, name, value) {
		char field[160];
		const char *v;
		snprintf(field, sizeof(field), "headers.%s", name);
		if (++count > 32) {
			details_add(details, "headers", "at most 32 headers");
			return problems + 1;
		}
		for (i = 0; name[i] != '\0'; i++)
			if (!isalnum((unsigned char)name[i]) && strchr("!#$%&'*+-.^_`|~",
			    name[i]) == NULL)
				break;
		if (i == 0 || name[i] != '\0' || i > 64) {
			details_add(details, field, "header names are tokens of 1..64 characters");
			problems++;
			continue;
		}
		for (i = 0; reserved_headers[i] != NULL; i++)
			if (strcasecmp(name, reserved_headers[i]) == 0)
				break;
		if (reserved_headers[i] != NULL) {
			details_add(details, field, "%s is set by omniroute itself", name);
			problems++;
			continue;
		}
		if (!json_object_is_type(value, json_type_string) ||
		    strpbrk(v = json_object_get_string(value), "\r\n") != NULL ||
		    strlen(v) != (size_t)json_object_get_string_len(value) ||
		    strlen(v) > 1024) {
			details_add(details, field,
			    "header values are strings of at most 1024 bytes without CR, LF or NUL");
			problems++;
		}
	}
	return problems;
}

static const struct arg_spec id_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	ARGSPEC_END
};

static const struct arg_spec no_args[] = { ARGSPEC_END };

static void
provider_list(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *items = provider_list_records(m);

	reply_set(r, 200, list_reply(items, false, 0, 0,
	    (long long)json_object_array_length(items)));
}

const struct command cmd_provider_list = {
	.name = "provider.list",
	.help = "the built-in provider catalog (with overrides) and custom providers",
	.args = no_args,
	.run = provider_list,
};

static void
provider_get(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *rec = provider_get_record(m, arg_string(args, "id", ""));

	if (rec == NULL)
		reply_error(r, 404, "Provider not found");
	else
		reply_set(r, 200, rec);
}

const struct command cmd_provider_get = {
	.name = "provider.get",
	.help = "one provider; {\"id\"}",
	.args = id_args,
	.run = provider_get,
};

static const struct arg_spec write_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_LOWER | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	{ "name", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	{ "baseUrl", ARG_STRING, ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 2048, NULL },
	{ "authStyle", ARG_STRING, ARG_TRIM | ARG_LOWER, 0, 0, auth_styles },
	{ "headers", ARG_OBJECT, 0, 0, 0, NULL },
	ARGSPEC_END
};

/* Validate and write a provider row from the merged fields. */
static void
provider_write(struct master *m, struct json_object *args, struct reply *r,
    bool create)
{
	const char *id = arg_string(args, "id", "");
	struct json_object *current = provider_get_record(m, id);
	struct json_object *details = json_object_new_array(), *headers = NULL, *v;
	const char *base_url, *problem, *name, *auth;
	struct provider_fields row;
	int rc;

	if (create && current != NULL) {
		json_object_put(current);
		json_object_put(details);
		reply_error(r, 409, "Provider already exists: %s", id);
		return;
	}
	if (!create && current == NULL) {
		json_object_put(details);
		reply_error(r, 404, "Provider not found");
		return;
	}
	if (!route_id_valid(id, false))
		details_add(details, "id", "id must be 1..64 of a-z, 0-9, '.', '_', '-'");
	/* omitted fields keep their value */
	name = arg_string(args, "name", current ? json_object_get_string(
	    json_object_object_get(current, "name")) : id);
	base_url = arg_string(args, "baseUrl", current ? json_object_get_string(
	    json_object_object_get(current, "baseUrl")) : NULL);
	auth = arg_string(args, "authStyle", current ? json_object_get_string(
	    json_object_object_get(current, "authStyle")) : "bearer");
	if (json_object_object_get_ex(args, "headers", &v))
		headers = v;
	else if (current != NULL)
		headers = json_object_object_get(current, "headers");
	if (base_url == NULL)
		details_add(details, "baseUrl", "baseUrl is required");
	else if ((problem = base_url_problem(base_url)) != NULL)
		details_add(details, "baseUrl", "%s", problem);
	if (headers != NULL)
		route_check_headers(headers, details);
	if (json_object_array_length(details) > 0) {
		json_object_put(current);
		reply_invalid(r, details);
		return;
	}
	json_object_put(details);
	row.id = id;
	row.name = name;
	row.base_url = base_url;
	row.auth_style = auth;
	row.headers = headers != NULL ? json_plain(headers) : "{}";
	rc = provider_upsert(m, &row);
	json_object_put(current);	/* after: name, baseUrl, headers may live in it */
	if (rc != 0) {
		reply_error(r, 500, "could not store the provider");
		return;
	}
	reply_set(r, create ? 201 : 200, provider_get_record(m, id));
}

static void
provider_add(struct master *m, struct json_object *args, struct reply *r)
{
	provider_write(m, args, r, true);
}

const struct command cmd_provider_add = {
	.name = "provider.add",
	.help = "add a custom provider; {\"id\",\"name\",\"baseUrl\",\"authStyle\":bearer|x-api-key|none,\"headers\":{}}",
	.args = write_args,
	.mutates = true,
	.run = provider_add,
};

static void
provider_update(struct master *m, struct json_object *args, struct reply *r)
{
	provider_write(m, args, r, false);
}

const struct command cmd_provider_update = {
	.name = "provider.update",
	.help = "change a provider (a built-in one gets an override); omitted fields keep their value",
	.args = write_args,
	.mutates = true,
	.run = provider_update,
};

static const struct deletion provider_deletion = {
	.not_found = "Provider not found",
	.in_use = "Provider still has connections; delete them first",
	.what = "the provider",
};

static void
provider_delete(struct master *m, struct json_object *args, struct reply *r)
{
	const char *id = arg_string(args, "id", "");
	enum store_rc rc = provider_remove(m, id);

	if (rc == STORE_BUILTIN)
		reply_error(r, 409, "built-in provider %s cannot be deleted "
		    "(it has no override to remove)", id);
	else if (reply_deletion(r, rc, &provider_deletion) == STORE_OK)
		json_object_object_add(r->body, "restoredBuiltin",
		    json_object_new_boolean(catalog_find(id) != NULL));
}

const struct command cmd_provider_delete = {
	.name = "provider.delete",
	.help = "delete a custom provider, or a built-in one's override; {\"id\"}",
	.args = id_args,
	.mutates = true,
	.run = provider_delete,
};
