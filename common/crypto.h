/*
 * common/crypto.h — secrets at rest: AES-256-GCM field encryption (OpenSSL EVP)
 * and the storage key that drives it.
 *
 * Stored form of an encrypted field: "enc:v1:<iv hex>:<ciphertext hex>:<tag hex>"
 * (16-byte random IV, 16-byte tag), the same layout OmniRoute uses. The key is
 * either derived from STORAGE_ENCRYPTION_KEY with scrypt (salt
 * "omniroute-field-encryption-v1", N=16384 r=8 p=1, 32 bytes) or read from a
 * key file holding 64 hex characters, created with mode 0600 on first start.
 */
#ifndef OMNI_CRYPTO_H
#define OMNI_CRYPTO_H

#include <stddef.h>
#include <stdbool.h>

#define CRYPTO_KEY_LEN	32
#define CRYPTO_PREFIX	"enc:v1:"
/* Longest plaintext crypto_encrypt / crypto_decrypt accept, in bytes. */
#define CRYPTO_MAX_PLAINTEXT	(1024 * 1024)

struct crypto_key {
	unsigned char	bytes[CRYPTO_KEY_LEN];
};

/* Derive the key from a passphrase (STORAGE_ENCRYPTION_KEY). 0 ok, -1 error. */
int	crypto_key_from_passphrase(const char *passphrase, struct crypto_key *out);

/*
 * Load the key file at path, or create it (mode 0600, O_EXCL, 32 random bytes
 * as 64 hex chars + LF) when it does not exist. On error returns -1 and writes
 * a message into err (naming the path and the cause). A file that exists but is
 * not 64 hex characters (optionally followed by LF), or is readable by group or
 * others, is an error.
 */
int	crypto_key_load_or_create(const char *path, struct crypto_key *out,
	    char *err, size_t errlen);

/*
 * Encrypt plaintext (NUL-terminated) into a newly malloc'd "enc:v1:…" string.
 * NULL on failure.
 */
char	*crypto_encrypt(const struct crypto_key *key, const char *plaintext);

/*
 * Decrypt an "enc:v1:…" string into a newly malloc'd NUL-terminated plaintext.
 * NULL when the input is malformed, or the tag does not verify (wrong key or
 * tampered data).
 */
char	*crypto_decrypt(const struct crypto_key *key, const char *stored);

/* true when s starts with the "enc:v1:" prefix. */
bool	 crypto_is_encrypted(const char *s);

/* Overwrite then free a secret string (explicit_bzero); NULL is fine. */
void	 crypto_free_secret(char *s);

/* Wipe a key. */
void	 crypto_key_wipe(struct crypto_key *key);

#endif
