/*
 * common/egress_ip.h — reading the address an "what is my IP" service
 * answers (egress_check_url, probe_url): the address the caller reached it
 * from, which for a proxied call is the proxy's egress IP. Two forms are
 * understood, as ipify and its peers answer them:
 *   - JSON, when the first non-blank byte is '{': one object whose single
 *     top-level "ip" member is a string without escapes;
 *   - plain text: the address alone, blanks (SP, HTAB, CR, LF) around it
 *     trimmed.
 * Either way the address must be an IPv4 or IPv6 literal as host_classify
 * (common/proxy_fields.h) reads them; an IPv6 one may come in brackets and
 * is given back without. Anything else — a name, an address with a port, a
 * zone, HTML, several members named "ip" — names no address.
 */
#ifndef OMNI_EGRESS_IP_H
#define OMNI_EGRESS_IP_H

#include <stdbool.h>
#include <stddef.h>

/* Room for the longest literal (INET6_ADDRSTRLEN) and its NUL. */
#define EGRESS_IP_MAX	46

/*
 * The address that body[0..len) names, into ip (NUL-terminated); false when
 * it names none (ip is then ""). Only body[0..len) is read.
 */
bool	egress_ip_from_body(const char *body, size_t len, char ip[EGRESS_IP_MAX]);

#endif
