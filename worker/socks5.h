/*
 * worker/socks5.h — the client side of a SOCKS5 handshake (RFC 1928) with
 * username/password authentication (RFC 1929), as pure builders and parsers.
 *
 * The egress state machine owns the socket and the buffers: it builds one
 * message, writes it in one write, waits for the reply and feeds the parser
 * everything buffered so far. The parser answers PARSE_MORE until a whole
 * reply is there, then PARSE_DONE with *consumed set to the exact size of the
 * reply; the caller drains exactly that many bytes and keeps the rest (they
 * belong to the next step, or to the tunnel). Nothing here does I/O or
 * allocates, and nothing keeps state between calls.
 *
 * One exchange, in order (egress-notes.md §1.3: never pipeline them):
 *
 *   greeting      VER(5) NMETHODS METHODS...          we offer 00, or 00 and 02
 *   method reply  VER(5) METHOD                       FF = no acceptable method
 *   [auth request VER(1) ULEN UNAME PLEN PASSWD       only if METHOD was 02
 *    auth reply   VER(1) STATUS]                      STATUS 0 = success
 *   request       VER(5) CMD(1) RSV(0) ATYP DST.ADDR DST.PORT
 *   reply         VER(5) REP RSV(0) ATYP BND.ADDR BND.PORT
 *                 ATYP 1 → 4 bytes, 3 → 1 length byte + name, 4 → 16
 *
 * Ports are in network byte order on the wire. Every parser accepts
 * buf == NULL when len is 0 (an empty evbuffer's pullup) and answers
 * PARSE_MORE.
 */
#ifndef OMNI_SOCKS5_H
#define OMNI_SOCKS5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define SOCKS5_VERSION			0x05
#define SOCKS5_USERPASS_VERSION		0x01

#define SOCKS5_METHOD_NO_AUTH		0x00
#define SOCKS5_METHOD_GSSAPI		0x01
#define SOCKS5_METHOD_USERPASS		0x02
#define SOCKS5_METHOD_NO_ACCEPTABLE	0xFF

#define SOCKS5_CMD_CONNECT		0x01

#define SOCKS5_ATYP_IPV4		0x01
#define SOCKS5_ATYP_DOMAIN		0x03
#define SOCKS5_ATYP_IPV6		0x04

#define SOCKS5_REP_SUCCEEDED		0x00

/* Longest user name, password and DST.ADDR name the wire can carry. */
#define SOCKS5_FIELD_MAX		255

/*
 * Buffer sizes that always suffice for each message we build: 4, 513, 262.
 * SOCKS5_CONNECT_MAX_LEN is also the longest CONNECT reply.
 */
#define SOCKS5_GREETING_MAX_LEN		4
#define SOCKS5_USERPASS_MAX_LEN		(3 + 2 * SOCKS5_FIELD_MAX)
#define SOCKS5_CONNECT_MAX_LEN		(5 + SOCKS5_FIELD_MAX + 2)

/*
 * Greeting: VER(5) NMETHODS METHODS. We offer only what we implement:
 * "05 01 00" (no authentication), or with offer_userpass "05 02 00 02"
 * (no authentication or username/password). Returns the length, 3 or 4.
 */
size_t		socks5_build_greeting(uint8_t out[SOCKS5_GREETING_MAX_LEN],
		    bool offer_userpass);

/*
 * Method reply: VER(5) METHOD, exactly 2 bytes. VER is checked as soon as it
 * arrives (not 5 → PARSE_INVALID). PARSE_DONE sets *method and *consumed = 2
 * and leaves later bytes alone. 0xFF ("no acceptable methods") is a
 * PARSE_DONE like any other method: the caller must check that the method is
 * one it offered (00, or 02 when it offered 02; a server may answer 00 even
 * when 02 was offered, which is fine) and fail on anything else.
 * On PARSE_MORE and PARSE_INVALID, *method and *consumed are 0.
 */
enum parse	socks5_parse_method(const uint8_t *buf, size_t len,
		    uint8_t *method, size_t *consumed);

/*
 * Username/password request (RFC 1929):
 *   VER(1) ULEN(1..255) UNAME PLEN(0..255) PASSWD
 * user must be 1..255 bytes and pass 0..255 bytes (NULL pass = empty); a
 * longer field is refused with -1, never truncated (egress-notes.md §1.5).
 * An empty password is sent as PLEN 0 although RFC 1929 says 1..255: proxies
 * that authenticate by a token in the user name exist, curl sends PLEN 0 for
 * them too, and a server that disagrees answers with a non-zero status,
 * which the caller reports as an authentication failure. Returns 0 and sets
 * *len, or -1 (empty or too long user, too long password, or the message does
 * not fit in cap; nothing is written then). out then holds the password:
 * wipe it (explicit_bzero) once written.
 */
int		socks5_build_userpass(uint8_t *out, size_t cap,
		    const char *user, const char *pass, size_t *len);

/*
 * Username/password reply: VER STATUS, exactly 2 bytes. VER should be 1 (the
 * sub-negotiation version) but 5 is accepted too, because some servers echo
 * the SOCKS version there and the status byte means the same; any other VER
 * → PARSE_INVALID as soon as it arrives. PARSE_DONE sets *status (0 =
 * success, anything else = failure; the server then closes) and
 * *consumed = 2. On PARSE_MORE and PARSE_INVALID, *status and *consumed are 0.
 */
enum parse	socks5_parse_auth_reply(const uint8_t *buf, size_t len,
		    uint8_t *status, size_t *consumed);

/*
 * CONNECT request: VER(5) CMD(1) RSV(0) ATYP DST.ADDR DST.PORT.
 * host decides ATYP:
 *   - an IPv4 literal in dotted-quad form ("192.0.2.1") → ATYP 1, 4 bytes;
 *   - an IPv6 literal, with or without brackets ("2001:db8::1",
 *     "[2001:db8::1]") → ATYP 4, 16 bytes;
 *   - anything else is a name → ATYP 3, sent as is for the proxy to
 *     resolve (remote DNS, egress-notes.md §1.6). Never resolved here.
 * A name must be 1..255 bytes of printable ASCII or UTF-8 without any of
 * : / ? # [ ] @ % \ (the same rule as http_connect_build_request(); a name
 * with them would be "host:port", a URL, a zone-scoped address or a
 * malformed literal: a caller mistake). A longer name is
 * refused with -1, never truncated and never resolved locally instead
 * (curl CVE-2023-38545, egress-notes.md §1.4). Port 0 is refused.
 * Returns 0 and sets *len (at most SOCKS5_CONNECT_MAX_LEN), or -1 (nothing
 * written).
 */
int		socks5_build_connect(uint8_t *out, size_t cap, const char *host,
		    uint16_t port, size_t *len);

struct socks5_reply {
	uint8_t		rep;		/* REP; 0 = succeeded */
	uint8_t		atyp;		/* 1, 3 or 4; 0 when not parsed */
	char		bound_addr[64];	/* BND.ADDR as text, for logs */
	uint16_t	bound_port;	/* BND.PORT, host byte order */
};

/*
 * CONNECT reply: VER(5) REP RSV(0) ATYP BND.ADDR BND.PORT.
 *
 * Checked as bytes arrive, so a short reply is reported by what it says
 * (egress-notes.md §1.2):
 *   - 1 byte: VER must be 5, else PARSE_INVALID;
 *   - 2 bytes: a non-zero REP is PARSE_DONE at once with out->rep set and
 *     *consumed = 2. Servers often close right after a failure, or send the
 *     rest with ATYP 1 and zero fields, so the rest of a failure reply is
 *     never looked at (neither RSV nor ATYP): the caller reports
 *     socks5_rep_name(out->rep) and closes the connection;
 *   - REP 0 (success): RSV must be 0, else PARSE_INVALID. A success whose
 *     framing we cannot trust would put the tunnel at a wrong offset, so we
 *     refuse it, as Tor does;
 *   - ATYP 1 → 4 address bytes, 4 → 16, 3 → a length byte N (0..255)
 *     and N bytes; any other ATYP → PARSE_INVALID;
 *   - PARSE_DONE once 4 + addrlen + 2 bytes are there (addrlen = 4, 16 or
 *     1 + N), with *consumed exactly that; later bytes are tunnel data and
 *     are left alone (egress-notes.md §1.1).
 * bound_addr holds the dotted or RFC 5952 text of an IPv4/IPv6 address; for
 * a name, its bytes with anything outside printable ASCII replaced by '?',
 * and a name longer than 63 bytes is cut to 60 followed by "..." (the field
 * is only for logs; the tunnel never depends on it).
 * On PARSE_MORE and PARSE_INVALID, *out is zeroed and *consumed is 0.
 */
enum parse	socks5_parse_reply(const uint8_t *buf, size_t len,
		    struct socks5_reply *out, size_t *consumed);

/*
 * RFC 1928 text of a REP code ("succeeded", "host unreachable", ...);
 * "unknown reply code" for codes RFC 1928 does not define (9..255).
 */
const char	*socks5_rep_name(uint8_t rep);

/*
 * Text of a METHOD code: "no authentication required", "GSSAPI",
 * "username/password", "no acceptable methods" (0xFF), and for the rest
 * "IANA-assigned method" (0x03..0x7F) or "private method" (0x80..0xFE).
 */
const char	*socks5_method_name(uint8_t method);

#endif
