/*
 * worker/tls.h — TLS client settings for egress (to providers, and to HTTPS
 * proxies): peer verification against the system CA store or a configured CA
 * file, SNI for names, host name or IP verification, released buffers.
 */
#ifndef OMNI_TLS_H
#define OMNI_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A client context; ca_file NULL means the system store. NULL + err on failure. */
SSL_CTX	*tls_client_ctx_new(const char *ca_file, char *err, size_t errlen);
/* A client session for host (name or IP literal): SNI and identity checks set. */
SSL	*tls_client_new(SSL_CTX *ctx, const char *host);
/* The last TLS error of this thread as text (verify result when relevant). */
void	 tls_describe_error(SSL *ssl, char *out, size_t outlen);

#endif
