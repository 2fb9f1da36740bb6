/*
 * master/upstream_store.h — all SQL on upstream_proxy_config: a provider's
 * upstream mode (native, cliproxyapi, fallback), its CLIProxyAPI model
 * mapping and priorities, and the API shapes of its rows. Used by
 * master/cmd_upstream.c (upstream.get/set/delete) and the backup.
 */
#ifndef OMNI_UPSTREAM_STORE_H
#define OMNI_UPSTREAM_STORE_H

#include <stdbool.h>
#include <json-c/json.h>

#include "master.h"
#include "store.h"

/* A whole row, as a backup carries it. */
struct upstream_mode {
	const char	*provider_id;
	const char	*mode;
	bool		 enabled;
	const char	*model_mapping;		/* NULL: none */
	long long	 native_priority;
	long long	 cliproxyapi_priority;
};

/* The upstream.get record of a provider's row, or NULL when it has none. */
struct json_object *upstream_mode_record(struct master *m, const char *provider_id);
/* Every row as the backup's upstreamModes items, by provider id. */
struct json_object *upstream_mode_export_records(struct master *m);
/* Set mode and switch; a stored model mapping and priorities are kept. 0 / -1. */
int	upstream_mode_set(struct master *m, const char *provider_id, const char *mode,
	    bool enabled);
/* Insert or replace the whole row (a restore). 0 / -1. */
int	upstream_mode_restore(struct master *m, const struct upstream_mode *u);
/* Back to native: STORE_OK (a row went), STORE_NOT_FOUND, STORE_FAILED. */
enum store_rc upstream_mode_remove(struct master *m, const char *provider_id);

#endif
