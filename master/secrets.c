/*
 * master/secrets.c — credentials at rest: the registry stores proxy usernames
 * and passwords encrypted with the storage key ("enc:v1:…"); an empty
 * credential is stored as "" so "no credential" stays visible without the key.
 */
#include "master.h"
#include "util.h"

char *
master_decrypt(struct master *m, const char *stored)
{
	if (*stored == '\0')
		return xstrdup("");
	return crypto_decrypt(&m->key, stored);
}

char *
master_encrypt(struct master *m, const char *plain)
{
	if (*plain == '\0')
		return xstrdup("");
	return crypto_encrypt(&m->key, plain);
}
