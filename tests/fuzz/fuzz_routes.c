/*
 * tests/fuzz/fuzz_routes.c — libFuzzer target for the routing tables'
 * channel form and the choice of candidates (common/routing.c): the input is
 * the "routes" object a snapshot or delta carries. Any broken promise aborts:
 *   - route_tables_from_json returns -1 with an error and the tables empty,
 *     or 0 with tables that encode, decode again and encode the same;
 *   - every provider's active list holds only its own active connections,
 *     by priority, and every active connection of a known provider is in it;
 *   - for each provider ("id/m") and each combo, route_candidates yields at
 *     most ROUTE_MAX_CANDIDATES candidates, each of a known provider, with
 *     an active connection of that provider or none.
 * Build: see FUZZ_TARGETS in Makefile.am (links common/routing.c,
 * common/util.c and json-c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
	if (!condition)
		abort();
}

static void
check_plan(const struct route_tables *t, const char *model)
{
	struct route_plan plan;
	size_t i;

	route_candidates(t, model, NULL, NULL, &plan);
	check(plan.count <= ROUTE_MAX_CANDIDATES);
	for (i = 0; i < plan.count; i++) {
		const struct route_candidate *c = &plan.cand[i];
		check(route_find_provider(t, c->provider->id) == c->provider);
		check(c->connection == NULL || (c->connection->active &&
		    strcmp(c->connection->provider, c->provider->id) == 0));
		check(c->via != ROUTE_VIA_FALLBACK || c->group < i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	struct json_object *enc, *again;
	struct route_tables t, back;
	char err[200], model[80];
	size_t i, j, active = 0;

	json_tokener_free(tok);
	if (obj == NULL)
		return 0;
	if (route_tables_from_json(obj, &t, err, sizeof(err)) != 0) {
		check(err[0] != '\0' && t.provider_count == 0 && t.connection_count == 0 &&
		    t.combo_count == 0 && t.api_key_count == 0 && t.upstream_count == 0);
		json_object_put(obj);
		return 0;
	}
	json_object_put(obj);
	for (i = 0; i < t.provider_count; i++) {
		const struct route_provider *p = &t.providers[i];
		check(route_find_provider(&t, p->id) != NULL);
		for (j = 0; j < p->active_count; j++) {
			check(p->active[j]->active && strcmp(p->active[j]->provider, p->id) == 0);
			check(j == 0 || p->active[j - 1]->priority <= p->active[j]->priority);
		}
		if (route_find_provider(&t, p->id) == p)
			active += p->active_count;
		snprintf(model, sizeof(model), "%.60s/m", p->id);
		check_plan(&t, model);
	}
	for (i = 0; i < t.connection_count; i++)
		if (t.connections[i].active && route_find_provider(&t,
		    t.connections[i].provider) != NULL)
			active--;
	check(active == 0);
	for (i = 0; i < t.combo_count; i++)
		check_plan(&t, t.combos[i].id);
	enc = route_tables_to_json(&t);
	check(route_tables_from_json(enc, &back, err, sizeof(err)) == 0);
	again = route_tables_to_json(&back);
	check(json_object_equal(enc, again));
	route_json_put(enc);
	route_json_put(again);
	route_tables_free(&back);
	route_tables_free(&t);
	return 0;
}
