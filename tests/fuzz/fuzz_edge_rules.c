/*
 * tests/fuzz/fuzz_edge_rules.c — libFuzzer target for the HTTP edge rules
 * (common/edge_rules.c). Each input that parses as a request head is decided
 * under a few policies, from a loopback peer and from another one, and the
 * promises callers rely on are checked; any broken one aborts:
 *   - a refusal has one of the statuses sent (400, 403, 415), a message, and
 *     no CORS origin;
 *   - a CORS origin is the request's own Origin value (bytes in the head),
 *     only on /v1, and only with allowed_origins set;
 *   - a preflight answer comes only with a CORS origin;
 *   - being on loopback only adds rules: what passes from loopback passes
 *     from elsewhere;
 *   - without allowed_origins nothing is ever granted CORS.
 * The input as a NUL-terminated string also goes through the config list
 * checks, whose bad element must lie inside it.
 * Build: see the fuzz rule in Makefile.am (FUZZ_CODE has edge_rules.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edge_rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool condition)
{
	if (!condition)
		abort();
}

static const struct edge_policy policies[] = {
	{ NULL, NULL },
	{ "router.test, [::1]", NULL },
	{ NULL, "https://app.test, http://localhost:20128" },
	{ "a.test", "http://127.0.0.1:20128,null,https://x" },	/* unchecked list */
};

static void
check_verdict(const struct http_request_head *head, const struct edge_policy *p,
    const struct edge_verdict *v)
{
	const struct http_header *origin = http_find_header(head, "Origin");

	switch (v->action) {
	case EDGE_PASS:
	case EDGE_SERVER_OPTIONS:
		break;
	case EDGE_PREFLIGHT:
		check(v->cors_origin != NULL);
		break;
	case EDGE_REFUSE:
		check(v->status == 400 || v->status == 403 || v->status == 415);
		check(v->message != NULL && v->message[0] != '\0');
		check(v->cors_origin == NULL);
		return;
	default:
		abort();
	}
	if (v->cors_origin != NULL) {
		check(p->allowed_origins != NULL);
		check(origin != NULL && v->cors_origin == origin->value &&
		    v->cors_origin_len == origin->value_len);
		check(head->target_len >= 3 && memcmp(head->target, "/v1", 3) == 0);
	}
}

static void
check_list(bool (*valid)(const char *, const char **, size_t *), const char *s)
{
	const char *bad = NULL;
	size_t bad_len = 0, len = strlen(s);

	if (!valid(s, &bad, &bad_len))
		check(bad >= s && bad_len <= len && (size_t)(bad - s) <= len - bad_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so any read past len is an ASan report */
	char *buf = malloc(size > 0 ? size : 1), *text;
	struct http_request_head head;
	struct edge_verdict here, there;
	size_t i;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (http_parse_request_head(buf, size, 16384, &head) == PARSE_DONE)
		for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
			edge_decide(&head, true, &policies[i], &here);
			edge_decide(&head, false, &policies[i], &there);
			check_verdict(&head, &policies[i], &here);
			check_verdict(&head, &policies[i], &there);
			if (here.action != EDGE_REFUSE)
				check(there.action == here.action &&
				    there.cors_origin == here.cors_origin);
		}
	free(buf);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_list(edge_host_list_valid, text);
	check_list(edge_origin_list_valid, text);
	free(text);
	return 0;
}
