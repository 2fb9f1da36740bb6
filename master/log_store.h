/*
 * master/log_store.h — all SQL on proxy_logs, the outcome of every relayed
 * attempt: appending the batches the workers report (master/outcomes.c
 * decides when), keeping the table to its newest rows, and the per-proxy
 * health figures of proxy.health.
 */
#ifndef OMNI_LOG_STORE_H
#define OMNI_LOG_STORE_H

#include <json-c/json.h>

#include "master.h"

/*
 * Per proxy of the registry, by name: its outcomes since `since` (an ISO
 * time) as the proxy.health items of API.md — totalRequests, successCount,
 * errorCount, timeoutCount, successRate (2 decimals, null without calls),
 * avgLatencyMs, lastSeenAt. NULL on an SQL error.
 */
struct json_object *proxy_health_records(struct master *m, const char *since);

#endif
