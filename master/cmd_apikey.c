/*
 * master/cmd_apikey.c — client API keys for the relay routes (used when
 * REQUIRE_API_KEY=true): a key is shown once when it is created and stored
 * only as its SHA-256 hash, with a short prefix to recognise it by.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "commands.h"
#include "route_store.h"
#include "util.h"

#define APIKEY_PREFIX		"sk-omni-"
#define APIKEY_RANDOM_BYTES	24
#define APIKEY_SHOWN_PREFIX	12

static const struct arg_spec no_args[] = { ARGSPEC_END };

int
apikey_hash(const char *key, char out[65])
{
	unsigned char digest[32];
	unsigned int len = 0;
	size_t i;

	if (EVP_Digest(key, strlen(key), digest, &len, EVP_sha256(), NULL) != 1 ||
	    len != 32)
		return -1;
	for (i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", digest[i]);
	return 0;
}

static void
apikey_list(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *items = apikey_list_records(m);

	reply_set(r, 200, list_reply(items, false, 0, 0,
	    (long long)json_object_array_length(items)));
}

const struct command cmd_apikey_list = {
	.name = "apikey.list",
	.help = "client API keys (id, name, prefix; never the key)",
	.args = no_args,
	.run = apikey_list,
};

static const struct arg_spec add_args[] = {
	{ "name", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 120, NULL },
	ARGSPEC_END
};

static void
apikey_add(struct master *m, struct json_object *args, struct reply *r)
{
	unsigned char random[APIKEY_RANDOM_BYTES];
	char key[sizeof(APIKEY_PREFIX) + APIKEY_RANDOM_BYTES * 2], hash[65];
	char id[UUID_STR_LEN], stamp[ISO_TIME_LEN], prefix[APIKEY_SHOWN_PREFIX + 1];
	struct json_object *rec;
	size_t i;

	if (RAND_bytes(random, sizeof(random)) != 1 || uuid_v4(id) != 0) {
		reply_error(r, 500, "could not generate a key");
		return;
	}
	strcpy(key, APIKEY_PREFIX);
	for (i = 0; i < sizeof(random); i++)
		snprintf(key + strlen(APIKEY_PREFIX) + i * 2, 3, "%02x", random[i]);
	OPENSSL_cleanse(random, sizeof(random));
	memcpy(prefix, key, APIKEY_SHOWN_PREFIX);	/* the first characters, to recognise it */
	prefix[APIKEY_SHOWN_PREFIX] = '\0';
	iso_time_now(stamp, sizeof(stamp));
	if (apikey_hash(key, hash) != 0 ||
	    apikey_insert(m, id, arg_string(args, "name", ""), hash, prefix, stamp) != 0) {
		OPENSSL_cleanse(key, sizeof(key));
		reply_error(r, 500, "could not store the key");
		return;
	}
	rec = json_object_new_object();
	json_object_object_add(rec, "id", json_object_new_string(id));
	json_object_object_add(rec, "name", json_object_new_string(arg_string(args, "name", "")));
	json_object_object_add(rec, "key", json_object_new_string(key));
	json_object_object_add(rec, "prefix", json_object_new_string(prefix));
	json_object_object_add(rec, "createdAt", json_object_new_string(stamp));
	OPENSSL_cleanse(key, sizeof(key));
	reply_set(r, 201, rec);
}

const struct command cmd_apikey_add = {
	.name = "apikey.add",
	.help = "create a client API key; {\"name\"} (the key is shown only in this reply)",
	.args = add_args,
	.mutates = true,
	.run = apikey_add,
};

static const struct arg_spec id_args[] = {
	{ "id", ARG_STRING, ARG_REQUIRED | ARG_TRIM | ARG_HAS_MIN | ARG_HAS_MAX, 1, 128, NULL },
	ARGSPEC_END
};

static const struct deletion apikey_deletion = {
	.not_found = "API key not found",
	.what = "the key",
};

static void
apikey_delete(struct master *m, struct json_object *args, struct reply *r)
{
	reply_deletion(r, apikey_remove(m, arg_string(args, "id", "")), &apikey_deletion);
}

const struct command cmd_apikey_delete = {
	.name = "apikey.delete",
	.help = "revoke a client API key; {\"id\"}",
	.args = id_args,
	.mutates = true,
	.run = apikey_delete,
};
