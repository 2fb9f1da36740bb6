/*
 * master/settings_store.h — all SQL on key_value, the settings store kept
 * from OmniRoute: (namespace, key) → text. The backup carries it whole; the
 * legacy migration reads its "proxyConfig" namespace once.
 */
#ifndef OMNI_SETTINGS_STORE_H
#define OMNI_SETTINGS_STORE_H

#include <json-c/json.h>

#include "master.h"

/* {"namespace":{"key":"value" or null,…},…}, namespaces and keys sorted. */
struct json_object *settings_export_records(struct master *m);
/* {"key":"value" or null,…} of one namespace, keys sorted; NULL on an SQL error. */
struct json_object *settings_namespace_records(struct master *m, const char *ns);
/* Insert or replace one value (NULL stores SQL NULL). 0 / -1. */
int	setting_set(struct master *m, const char *ns, const char *key,
	    const char *value);

#endif
