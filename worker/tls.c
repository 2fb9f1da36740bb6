/*
 * worker/tls.c — see tls.h. OpenSSL checks no host name unless told to:
 * every session gets SSL_set1_host (or the IP to match) and SSL_VERIFY_PEER;
 * SNI is sent for names only (RFC 6066 forbids literals).
 *
 * Stored sessions live in a small table hung on the context (ex_data): at
 * most TLS_SESSIONS_MAX, the oldest evicted first. A TLS 1.3 session is
 * taken out when used (RFC 8446 C.4: a ticket is not shown twice), and the
 * server's new tickets come back through the new-session callback. A TLS
 * 1.2 session stays for the next connection too: a TLS 1.2 server renews
 * no ticket on a resumption (RFC 5077 lets the client present it again),
 * so taking it out made every other connection a full handshake.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

#define TLS_SESSIONS_MAX	64
#define TLS_SESSIONS_PER_KEY	4
#define TLS_SESSION_KEY_MAX	600	/* longer keys are not stored */

struct stored_session {
	char		 key[TLS_SESSION_KEY_MAX];
	SSL_SESSION	*session;
	uint64_t	 stored;	/* a counter: smaller = older */
};

struct session_store {
	struct stored_session	 slots[TLS_SESSIONS_MAX];
	uint64_t		 counter;
};

static int ctx_store_index = -1;	/* SSL_CTX ex_data: struct session_store */
static int ssl_key_index = -1;		/* SSL ex_data: the session key (malloc'd) */

static void
free_ssl_key(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static struct session_store *
store_of(SSL_CTX *ctx)
{
	return ctx_store_index < 0 ? NULL : SSL_CTX_get_ex_data(ctx, ctx_store_index);
}

/* A server sent a ticket: file it under the connection's key. */
static int
on_new_session(SSL *ssl, SSL_SESSION *session)
{
	struct session_store *store = store_of(SSL_get_SSL_CTX(ssl));
	const char *key = ssl_key_index < 0 ? NULL : SSL_get_ex_data(ssl, ssl_key_index);
	struct stored_session *slot, *oldest_mine = NULL, *free_slot = NULL, *oldest = NULL;
	size_t i, mine = 0;

	if (store == NULL || key == NULL || !SSL_SESSION_is_resumable(session))
		return 0;	/* not kept */
	/*
	 * A copy: the object handed over is also the connection's own session,
	 * which SSL_free marks unresumable when the connection did not end with
	 * close_notify (we close upstream sockets without one).
	 */
	if ((session = SSL_SESSION_dup(session)) == NULL)
		return 0;
	/* the oldest of this key once it has TLS_SESSIONS_PER_KEY (servers send
	 * two tickets a connection: one busy server must not crowd out the
	 * others), else a free slot, else the oldest of all */
	for (i = 0; i < TLS_SESSIONS_MAX; i++) {
		struct stored_session *s = &store->slots[i];
		if (s->session == NULL) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (strcmp(s->key, key) == 0) {
			mine++;
			if (oldest_mine == NULL || s->stored < oldest_mine->stored)
				oldest_mine = s;
		}
		if (oldest == NULL || s->stored < oldest->stored)
			oldest = s;
	}
	slot = mine >= TLS_SESSIONS_PER_KEY ? oldest_mine : free_slot != NULL ? free_slot :
	    oldest;
	if (slot->session != NULL)
		SSL_SESSION_free(slot->session);
	str_copy(slot->key, sizeof(slot->key), key);
	slot->session = session;
	slot->stored = ++store->counter;
	return 0;	/* OpenSSL drops its reference to the original */
}

/* The newest stored session for key (TLS 1.3: taken out of the store; TLS
 * 1.2: a copy, the original still stored); the caller holds a reference.
 * NULL if none. */
static SSL_SESSION *
take_session(struct session_store *store, const char *key)
{
	struct stored_session *best = NULL;
	SSL_SESSION *session;
	size_t i;

	for (i = 0; i < TLS_SESSIONS_MAX; i++) {
		struct stored_session *s = &store->slots[i];
		if (s->session != NULL && strcmp(s->key, key) == 0 &&
		    (best == NULL || s->stored > best->stored))
			best = s;
	}
	if (best == NULL)
		return NULL;
	session = best->session;
	if (SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION) {
		best->session = NULL;
		return session;
	}
	/* a copy for the connection: SSL_free marks the connection's own
	 * session unresumable when it ends without close_notify */
	return SSL_SESSION_dup(session);
}

SSL_CTX *
tls_client_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* a TLS 1.2 server asking to renegotiate gets a clean refusal: records
	 * written while reading would wait for our next write */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (ctx_store_index < 0)
		ctx_store_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ssl_key_index < 0)
		ssl_key_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_ssl_key);
	if (ctx_store_index >= 0 && ssl_key_index >= 0) {
		SSL_CTX_set_ex_data(ctx, ctx_store_index, xcalloc(1, sizeof(struct session_store)));
		/* the client side keeps its own store; OpenSSL's would key by server only */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, on_new_session);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (ca_file != NULL && *ca_file != '\0') {
		FILE *fp = fopen(ca_file, "r");
		const char *why;

		if (fp == NULL) {
			snprintf(err, errlen, "cannot read CA file %s: %s", ca_file,
			    strerror(errno));
			tls_client_ctx_free(ctx);
			return NULL;
		}
		fclose(fp);
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			why = ERR_reason_error_string(ERR_peek_last_error());
			ERR_clear_error();
			snprintf(err, errlen, "cannot load CA file %s: %s", ca_file,
			    why != NULL ? why : "not a PEM file of certificates");
			tls_client_ctx_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the system CA store");
		tls_client_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

void
tls_client_ctx_free(SSL_CTX *ctx)
{
	struct session_store *store;
	size_t i;

	if (ctx == NULL)
		return;
	if ((store = store_of(ctx)) != NULL) {
		for (i = 0; i < TLS_SESSIONS_MAX; i++)
			if (store->slots[i].session != NULL)
				SSL_SESSION_free(store->slots[i].session);
		free(store);
		SSL_CTX_set_ex_data(ctx, ctx_store_index, NULL);
	}
	SSL_CTX_free(ctx);
}

SSL *
tls_client_new(SSL_CTX *ctx, const char *host, const char *session_key)
{
	SSL *ssl = SSL_new(ctx);
	struct session_store *store = store_of(ctx);

	if (ssl == NULL)
		return NULL;
	if (is_ip_literal(host)) {
		X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1) {
			SSL_free(ssl);
			return NULL;
		}
	} else if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	if (store != NULL && session_key != NULL && strlen(session_key) < TLS_SESSION_KEY_MAX) {
		SSL_SESSION *session = take_session(store, session_key);
		if (session != NULL) {
			SSL_set_session(ssl, session);	/* takes its own reference */
			SSL_SESSION_free(session);
		}
		SSL_set_ex_data(ssl, ssl_key_index, xstrdup(session_key));
	}
	return ssl;
}

void
tls_describe_error(SSL *ssl, char *out, size_t outlen)
{
	unsigned long e = ERR_peek_last_error();
	long verify = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (verify != X509_V_OK)
		snprintf(out, outlen, "certificate verification failed: %s",
		    X509_verify_cert_error_string(verify));
	else if (e != 0)
		snprintf(out, outlen, "%s", ERR_reason_error_string(e) ?
		    ERR_reason_error_string(e) : "TLS error");
	else
		snprintf(out, outlen, "connection closed during the TLS handshake");
	ERR_clear_error();
}
