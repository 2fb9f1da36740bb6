/*
 * master/cmd_combo.c — combos: a name (used as the request's model) for an
 * ordered list of provider/model targets that the relay tries in turn.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "route_store.h"
#include "util.h"

static const struct arg_spec name_args[] = {
	{ "name", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	ARGSPEC_END
};

static const struct arg_spec no_args[] = { ARGSPEC_END };

static const struct arg_spec write_args[] = {
	{ "name", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 64, NULL },
	{ "targets", ARG_STRING_ARRAY, ARG_REQUIRED | ARG_HAS_MIN | ARG_HAS_MAX, 1, 20, NULL },
	ARGSPEC_END
};

static void
combo_list(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *items = combo_list_records(m);

	reply_set(r, 200, list_reply(items, false, 0, 0,
	    (long long)json_object_array_length(items)));
}

const struct command cmd_combo_list = {
	.name = "combo.list",
	.help = "combos and their targets",
	.args = no_args,
	.run = combo_list,
};

static void
combo_get(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *rec = combo_get_record(m, arg_string(args, "name", ""));

	if (rec == NULL)
		reply_error(r, 404, "Combo not found");
	else
		reply_set(r, 200, rec);
}

const struct command cmd_combo_get = {
	.name = "combo.get",
	.help = "one combo; {\"name\"}",
	.args = name_args,
	.run = combo_get,
};

/* Each target is provider/model with a known provider and a plain model name. */
static int
check_targets(struct master *m, struct json_object *targets, struct json_object *details)
{
	size_t i, n = json_object_array_length(targets);
	int problems = 0;

	for (i = 0; i < n; i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(targets, i));
		const char *slash = strchr(t, '/');
		char provider[65], field[32];
		size_t plen = slash != NULL ? (size_t)(slash - t) : 0;
		const unsigned char *c;

		snprintf(field, sizeof(field), "targets[%zu]", i);
		if (slash == NULL || plen == 0 || plen >= sizeof(provider) ||
		    slash[1] == '\0' || strlen(t) > 256) {
			details_add(details, field, "a target is provider/model");
			problems++;
			continue;
		}
		/* the model is spliced into request bodies as it is: keep it plain */
		for (c = (const unsigned char *)t; *c != '\0'; c++)
			if (*c <= ' ' || *c == 0x7f || *c == '"' || *c == '\\')
				break;
		if (*c != '\0') {
			details_add(details, field, "a target has no spaces, quotes, "
			    "backslashes or control characters");
			problems++;
			continue;
		}
		memcpy(provider, t, plen);
		provider[plen] = '\0';
		if (!provider_exists(m, provider)) {
			details_add(details, field, "unknown provider '%s'", provider);
			problems++;
		}
	}
	return problems;
}

static void
combo_write(struct master *m, struct json_object *args, struct reply *r, bool create)
{
	const char *name = arg_string(args, "name", "");
	struct json_object *targets = json_object_object_get(args, "targets");
	struct json_object *details = json_object_new_array();
	bool exists = combo_exists(m, name);

	if (create && exists) {
		json_object_put(details);
		reply_error(r, 409, "Combo already exists: %s", name);
		return;
	}
	if (!create && !exists) {
		json_object_put(details);
		reply_error(r, 404, "Combo not found");
		return;
	}
	if (!route_id_valid(name, true))
		details_add(details, "name", "name must be 1..64 of A-Z, a-z, 0-9, '.', '_', '-'");
	check_targets(m, targets, details);
	if (json_object_array_length(details) > 0) {
		reply_invalid(r, details);
		return;
	}
	json_object_put(details);
	if (combo_upsert(m, name, json_plain(targets)) != 0) {
		reply_error(r, 500, "could not store the combo");
		return;
	}
	reply_set(r, create ? 201 : 200, combo_get_record(m, name));
}

static void
combo_add(struct master *m, struct json_object *args, struct reply *r)
{
	combo_write(m, args, r, true);
}

const struct command cmd_combo_add = {
	.name = "combo.add",
	.help = "add a combo; {\"name\",\"targets\":[\"provider/model\",…]} tried in order",
	.args = write_args,
	.mutates = true,
	.run = combo_add,
};

static void
combo_update(struct master *m, struct json_object *args, struct reply *r)
{
	combo_write(m, args, r, false);
}

const struct command cmd_combo_update = {
	.name = "combo.update",
	.help = "replace a combo's targets; {\"name\",\"targets\"}",
	.args = write_args,
	.mutates = true,
	.run = combo_update,
};

static const struct deletion combo_deletion = {
	.not_found = "Combo not found",
	.what = "the combo",
};

static void
combo_delete(struct master *m, struct json_object *args, struct reply *r)
{
	reply_deletion(r, combo_remove(m, arg_string(args, "name", "")), &combo_deletion);
}

const struct command cmd_combo_delete = {
	.name = "combo.delete",
	.help = "delete a combo; {\"name\"}",
	.args = name_args,
	.mutates = true,
	.run = combo_delete,
};
