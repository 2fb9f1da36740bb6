/*
 * worker/tls.h — TLS client settings for egress (to providers, and to HTTPS
 * proxies): peer verification against the system CA store or a configured CA
 * file, SNI for names, host name or IP verification, released buffers, and
 * session resumption: a context keeps the tickets servers send, each filed
 * under the caller's key and used once, so a new connection to the same
 * server over the same egress skips the full handshake. The key must name
 * the egress (the proxy, or direct) as well as the server: a ticket shown
 * through another proxy would link two exits the user keeps apart.
 */
#ifndef OMNI_TLS_H
#define OMNI_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A client context; ca_file NULL means the system store. NULL + err on failure. */
SSL_CTX	*tls_client_ctx_new(const char *ca_file, char *err, size_t errlen);
/*
 * A client session for host (name or IP literal): SNI and identity checks
 * set; resumes a session stored under session_key when there is one, and
 * files the tickets this connection receives under it.
 */
SSL	*tls_client_new(SSL_CTX *ctx, const char *host, const char *session_key);
/* Free a context made by tls_client_ctx_new with its stored sessions. */
void	 tls_client_ctx_free(SSL_CTX *ctx);
/* The last TLS error of this thread as text (verify result when relevant). */
void	 tls_describe_error(SSL *ssl, char *out, size_t outlen);

#endif
