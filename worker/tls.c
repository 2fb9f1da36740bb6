/*
 * worker/tls.c — see tls.h. OpenSSL checks no host name unless told to:
 * every session gets SSL_set1_host (or the IP to match) and SSL_VERIFY_PEER;
 * SNI is sent for names only (RFC 6066 forbids literals).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls.h"

SSL_CTX *
tls_client_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (ca_file != NULL && *ca_file != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			snprintf(err, errlen, "cannot load CA file %s: %s", ca_file,
			    ERR_reason_error_string(ERR_get_error()));
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the system CA store");
		SSL_CTX_free(ctx);
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

SSL *
tls_client_new(SSL_CTX *ctx, const char *host)
{
	SSL *ssl = SSL_new(ctx);

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
