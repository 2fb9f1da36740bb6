/*
 * tests/fuzz/fuzz_snapshot.c — libFuzzer target for the registry snapshot's
 * channel form (common/registry.c), the pools it carries included, and the
 * resolution over it (common/resolve.c): the input is a snapshot JSON object
 * as the master sends it. Any broken promise aborts:
 *   - snapshot_from_json returns -1 with an error, or 0 with a snapshot that
 *     encodes, decodes again and encodes the same;
 *   - every assignment has a known strategy, a sticky window of 1..1440 and
 *     member_count member ids;
 *   - resolving each account-scope assignment's id either refuses, goes
 *     direct ("direct" assigned), or leaves through an active proxy that is
 *     one of the deciding pool's members — with no pool board (position
 *     order) and again taking members over a small shared board, with
 *     the first member tried (never chosen again, and the pool refusing
 *     rather than going on when nothing else is usable), the member
 *     chosen at index member_index;
 *   - the delta from an empty snapshot applies to an empty snapshot.
 * Build: see FUZZ_TARGETS in Makefile.am.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_choice.h"
#include "registry.h"
#include "resolve.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
	if (!condition)
		abort();
}

#define FUZZ_BOARD_SLOTS	4

static void
check_one(const struct registry_snapshot *snap, const struct resolve_request *req)
{
	struct resolve_result res;
	size_t i;
	int member = 0;

	proxy_resolve(snap, req, &res);
	if (res.outcome != RESOLVE_PROXY)
		return;
	check(res.proxy != NULL && res.proxy->active && res.pool != NULL);
	for (i = 0; i < res.pool->member_count; i++)
		member |= strcmp(res.pool->members[i], res.proxy->id) == 0;
	check(member);
	check(res.member_index >= 0 && (size_t)res.member_index < res.pool->member_count &&
	    strcmp(res.pool->members[res.member_index], res.proxy->id) == 0);
	for (i = 0; i < req->tried_count; i++)
		check(req->tried_pool != res.pool->key ||
		    res.pool->member_hash[res.member_index] != req->tried[i]);
	json_object_put(resolve_result_to_json(&res));
}

static void
check_resolution(const struct registry_snapshot *snap, const struct snap_assignment *a,
    struct pool_board *board)
{
	struct resolve_request req = { .connection_id = a->scope_id };
	uint64_t tried;
	int round;

	check_one(snap, &req);
	req.board = board;
	req.take_member = true;
	for (round = 0; round < 3; round++) {
		req.now_ms = (uint64_t)round * 1000;
		req.random = (uint64_t)round * 7919;
		if (round == 2 && a->member_count > 0) {
			tried = a->member_hash[0];
			req.tried_pool = a->key;
			req.tried = &tried;
			req.tried_count = 1;
		}
		check_one(snap, &req);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	struct registry_snapshot snap, back, empty, applied;
	struct json_object *enc, *again, *delta;
	static struct pool_board *board;
	char err[200];
	size_t i;

	json_tokener_free(tok);
	if (obj == NULL)
		return 0;
	if (board == NULL)
		board = malloc(pool_board_size(FUZZ_BOARD_SLOTS));
	check(board != NULL);
	pool_board_init(board, FUZZ_BOARD_SLOTS);	/* a fresh board per input */
	err[0] = '\0';
	if (snapshot_from_json(obj, &snap, err, sizeof(err)) != 0) {
		check(err[0] != '\0');
		json_object_put(obj);
		return 0;
	}
	json_object_put(obj);
	for (i = 0; i < snap.assignment_count; i++) {
		const struct snap_assignment *a = &snap.assignments[i];
		check(a->strategy < POOL_STRATEGY_COUNT);
		check(a->sticky_window_minutes >= 1 && a->sticky_window_minutes <= 1440);
		check(a->member_count == 0 || a->members != NULL);
		if (a->scope == SCOPE_ACCOUNT)
			check_resolution(&snap, a, board);
	}
	enc = snapshot_to_json(&snap);
	check(snapshot_from_json(enc, &back, err, sizeof(err)) == 0);
	again = snapshot_to_json(&back);
	check(json_object_equal(enc, again));
	json_object_put(enc);
	json_object_put(again);
	snapshot_free(&back);

	memset(&empty, 0, sizeof(empty));
	memset(&applied, 0, sizeof(applied));
	delta = snapshot_diff(&empty, &snap);
	(void)snapshot_apply_delta(&applied, delta, err, sizeof(err));
	json_object_put(delta);
	snapshot_free(&applied);
	snapshot_free(&snap);
	return 0;
}
