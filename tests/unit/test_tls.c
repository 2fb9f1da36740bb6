/*
 * tests/unit/test_tls.c — the TLS client settings egress-notes.md §4 asks
 * for, read back from the objects worker/tls.c makes: SSL_VERIFY_PEER and
 * SSL_MODE_RELEASE_BUFFERS on the context, TLS 1.2 at least; for a name, SNI
 * and the host name to verify; for an IP literal, no SNI (RFC 6066) and the
 * IP to verify. (That verification really refuses a wrong name is shown
 * end to end in tests/integration/test_egress_notes.py.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

static SSL_CTX *
new_ctx(void)
{
	char err[256] = "";
	SSL_CTX *ctx = tls_client_ctx_new(NULL, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("tls_client_ctx_new: %s", err);
	return ctx;
}

static void
test_context_verifies_peers_and_releases_buffers(void **state)
{
	SSL_CTX *ctx = new_ctx();

	(void)state;
	assert_int_equal(SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER, SSL_VERIFY_PEER);
	assert_true(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS);
	assert_true(SSL_CTX_get_min_proto_version(ctx) >= TLS1_2_VERSION);
	/* never the unsafe "EOF is fine" switch: framing judges a dirty close */
	assert_false(SSL_CTX_get_options(ctx) & SSL_OP_IGNORE_UNEXPECTED_EOF);
	tls_client_ctx_free(ctx);
}

static void
test_a_name_gets_sni_and_host_verification(void **state)
{
	SSL_CTX *ctx = new_ctx();
	SSL *ssl = tls_client_new(ctx, "api.openai.com", "direct|api.openai.com|443");
	X509_VERIFY_PARAM *param;

	(void)state;
	assert_non_null(ssl);
	assert_string_equal(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name),
	    "api.openai.com");
	param = SSL_get0_param(ssl);
	assert_string_equal(X509_VERIFY_PARAM_get0_host(param, 0), "api.openai.com");
	assert_int_equal(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER, SSL_VERIFY_PEER);
	SSL_free(ssl);
	tls_client_ctx_free(ctx);
}

static void
test_an_ip_literal_gets_ip_verification_and_no_sni(void **state)
{
	static const char *const literals[] = { "127.0.0.1", "::1" };
	SSL_CTX *ctx = new_ctx();
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		SSL *ssl = tls_client_new(ctx, literals[i], NULL);
		X509_VERIFY_PARAM *param;
		char *ip;

		assert_non_null(ssl);
		assert_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
		param = SSL_get0_param(ssl);
		assert_null(X509_VERIFY_PARAM_get0_host(param, 0));
		ip = X509_VERIFY_PARAM_get1_ip_asc(param);
		assert_non_null(ip);
		assert_string_equal(ip, i == 0 ? "127.0.0.1" : "0:0:0:0:0:0:0:1");
		OPENSSL_free(ip);
		SSL_free(ssl);
	}
	tls_client_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context_verifies_peers_and_releases_buffers),
		cmocka_unit_test(test_a_name_gets_sni_and_host_verification),
		cmocka_unit_test(test_an_ip_literal_gets_ip_verification_and_no_sni),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
