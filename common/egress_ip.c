/*
 * common/egress_ip.c — the address an echo service answers, read from its
 * body (JSON {"ip"} or plain text): the rules are in egress_ip.h.
 */
#include <string.h>

#include "egress_ip.h"
#include "json_scan.h"
#include "proxy_fields.h"

#define JSON_DEPTH	8	/* an echo answer is flat; ipify's is one level */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* text[0..len) as an IP literal into ip, brackets dropped; false if it is none. */
static bool
take_literal(const char *text, size_t len, char ip[EGRESS_IP_MAX])
{
	size_t bare_off = 0, bare_len = len;
	enum host_kind kind;

	if (len == 0 || memchr(text, '\0', len) != NULL)
		return false;
	kind = host_classify(text, len, NULL, &bare_off, &bare_len);
	if ((kind != HOST_IPV4 && kind != HOST_IPV6) || bare_len >= EGRESS_IP_MAX)
		return false;
	memcpy(ip, text + bare_off, bare_len);
	ip[bare_len] = '\0';
	return true;
}

bool
egress_ip_from_body(const char *body, size_t len, char ip[EGRESS_IP_MAX])
{
	struct json_scan_result res;
	size_t start = 0, end = len;

	ip[0] = '\0';
	if (body == NULL)
		return false;
	while (start < end && is_blank(body[start]))
		start++;
	if (start < end && body[start] == '{') {
		if (json_scan_object(body, len, JSON_DEPTH, "ip", &res) != PARSE_DONE ||
		    !res.found || res.key_count != 1 || !res.value_is_plain_string)
			return false;
		return take_literal(body + res.value_off, res.value_len, ip);
	}
	while (end > start && is_blank(body[end - 1]))
		end--;
	return take_literal(body + start, end - start, ip);
}
