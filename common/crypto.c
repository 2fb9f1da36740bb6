/*
 * common/crypto.c — secrets at rest. Encrypts and decrypts single stored
 * fields with AES-256-GCM (OpenSSL EVP, 16-byte random IV, 16-byte tag) in the
 * "enc:v1:<iv hex>:<ciphertext hex>:<tag hex>" form OmniRoute writes, derives
 * the storage key from a passphrase with scrypt, and loads or creates the 0600
 * key file that holds it otherwise. Plaintext and key material held in our own
 * buffers is wiped with OPENSSL_cleanse before release on every path; no error
 * message ever contains key material.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "util.h"

#define GCM_IV_LEN		16
#define GCM_TAG_LEN		16
#define KEY_HEX_LEN		(CRYPTO_KEY_LEN * 2)

#define SCRYPT_SALT		"omniroute-field-encryption-v1"
#define SCRYPT_N		16384
#define SCRYPT_R		8
#define SCRYPT_P		1
#define SCRYPT_MAXMEM		(64UL * 1024 * 1024)

/* "enc:v1:" + iv + ':' + ciphertext + ':' + tag, all hex. */
#define STORED_MAX_LEN		(sizeof(CRYPTO_PREFIX) - 1 + GCM_IV_LEN * 2 + 1 + \
	    (size_t)CRYPTO_MAX_PLAINTEXT * 2 + 1 + GCM_TAG_LEN * 2)

static const char hex_digits[] = "0123456789abcdef";

static void
set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
hex_encode(const unsigned char *bytes, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[i * 2] = hex_digits[bytes[i] >> 4];
		out[i * 2 + 1] = hex_digits[bytes[i] & 0x0f];
	}
}

/* Decode hexlen hex characters into hexlen / 2 bytes. 0 ok, -1 malformed. */
static int
hex_decode(const char *hex, size_t hexlen, unsigned char *out)
{
	size_t i;
	int high, low;

	if (hexlen % 2 != 0)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		high = hex_digit_value(hex[i * 2]);
		low = hex_digit_value(hex[i * 2 + 1]);
		if (high < 0 || low < 0)
			return -1;
		out[i] = (unsigned char)(high << 4 | low);
	}
	return 0;
}

int
crypto_key_from_passphrase(const char *passphrase, struct crypto_key *out)
{
	size_t passphrase_len;

	if (passphrase == NULL || out == NULL)
		return -1;
	passphrase_len = strlen(passphrase);
	if (passphrase_len == 0)
		return -1;
	if (EVP_PBE_scrypt(passphrase, passphrase_len,
	    (const unsigned char *)SCRYPT_SALT, sizeof(SCRYPT_SALT) - 1,
	    SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_MAXMEM,
	    out->bytes, sizeof(out->bytes)) != 1) {
		crypto_key_wipe(out);
		return -1;
	}
	return 0;
}

/*
 * Make a newly created key file durable: fsync the directory holding it.
 * Best effort — the file itself has already been fsync'd.
 */
static void
sync_parent_directory(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *directory;
	int fd;

	if (slash == NULL)
		directory = strdup(".");
	else if (slash == path)
		directory = strdup("/");
	else
		directory = strndup(path, (size_t)(slash - path));
	if (directory == NULL)
		return;
	fd = open(directory, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(directory);
}

/* Write all of buf to fd. 0 ok, -1 with errno set. */
static int
write_fully(int fd, const char *buf, size_t len)
{
	ssize_t written;

	while (len > 0) {
		written = write(fd, buf, len);
		if (written < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += written;
		len -= (size_t)written;
	}
	return 0;
}

/*
 * Create the key file with O_EXCL and fill it. 0 ok, 1 when it already exists
 * (someone else created it first), -1 on error with err set.
 */
static int
key_file_create(const char *path, struct crypto_key *out, char *err,
    size_t errlen)
{
	char contents[KEY_HEX_LEN + 1];
	int fd, saved_errno;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1;
		set_error(err, errlen, "cannot create key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (RAND_bytes(out->bytes, sizeof(out->bytes)) != 1) {
		set_error(err, errlen, "cannot create key file %s: the random "
		    "number generator failed", path);
		goto fail;
	}
	hex_encode(out->bytes, sizeof(out->bytes), contents);
	contents[KEY_HEX_LEN] = '\n';
	if (write_fully(fd, contents, sizeof(contents)) != 0) {
		set_error(err, errlen, "cannot write key file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (fsync(fd) != 0) {
		set_error(err, errlen, "cannot fsync key file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		set_error(err, errlen, "cannot close key file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	OPENSSL_cleanse(contents, sizeof(contents));
	sync_parent_directory(path);
	return 0;

fail:
	saved_errno = errno;
	OPENSSL_cleanse(contents, sizeof(contents));
	crypto_key_wipe(out);
	if (fd >= 0)
		close(fd);
	/* Leave no half-written file behind to fail the next start. */
	(void)unlink(path);
	errno = saved_errno;
	return -1;
}

/*
 * Read and check an existing key file. 0 ok, 1 when it does not exist, -1 on
 * error with err set.
 */
static int
key_file_load(const char *path, struct crypto_key *out, char *err,
    size_t errlen)
{
	/* Room for 64 hex + LF plus one byte to detect over-long files. */
	char contents[KEY_HEX_LEN + 2];
	size_t length = 0;
	ssize_t got;
	struct stat st;
	int fd, result = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		set_error(err, errlen, "cannot open key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		set_error(err, errlen, "cannot stat key file %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		set_error(err, errlen, "key file %s is not a regular file", path);
		goto done;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		set_error(err, errlen, "key file %s has mode %04o, which grants "
		    "access to group or others; run chmod 600 %s", path,
		    (unsigned int)(st.st_mode & 07777), path);
		goto done;
	}
	while (length < sizeof(contents)) {
		got = read(fd, contents + length, sizeof(contents) - length);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			set_error(err, errlen, "cannot read key file %s: %s",
			    path, strerror(errno));
			goto done;
		}
		if (got == 0)
			break;
		length += (size_t)got;
	}
	if (!(length == KEY_HEX_LEN ||
	    (length == KEY_HEX_LEN + 1 && contents[KEY_HEX_LEN] == '\n')) ||
	    hex_decode(contents, KEY_HEX_LEN, out->bytes) != 0) {
		crypto_key_wipe(out);
		set_error(err, errlen, "key file %s must hold exactly %d hex "
		    "characters, optionally followed by a newline", path,
		    KEY_HEX_LEN);
		goto done;
	}
	result = 0;

done:
	OPENSSL_cleanse(contents, sizeof(contents));
	close(fd);
	return result;
}

int
crypto_key_load_or_create(const char *path, struct crypto_key *out,
    char *err, size_t errlen)
{
	int result;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || out == NULL) {
		set_error(err, errlen, "no key file path given");
		return -1;
	}
	result = key_file_load(path, out, err, errlen);
	if (result != 1)
		return result;
	result = key_file_create(path, out, err, errlen);
	if (result != 1)
		return result;
	/* Lost a creation race: read what the winner wrote. */
	result = key_file_load(path, out, err, errlen);
	if (result == 1) {
		set_error(err, errlen, "key file %s does not exist and cannot "
		    "be created (is it a dangling symlink?)", path);
		result = -1;
	}
	return result;
}

char *
crypto_encrypt(const struct crypto_key *key, const char *plaintext)
{
	unsigned char iv[GCM_IV_LEN], tag[GCM_TAG_LEN];
	unsigned char *ciphertext = NULL;
	char *stored = NULL, *cursor;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t plaintext_len, prefix_len = sizeof(CRYPTO_PREFIX) - 1;
	int out_len, final_len;

	if (key == NULL || plaintext == NULL)
		return NULL;
	plaintext_len = strlen(plaintext);
	if (plaintext_len > CRYPTO_MAX_PLAINTEXT)
		return NULL;
	if (RAND_bytes(iv, sizeof(iv)) != 1)
		return NULL;
	/* One spare byte so an empty plaintext still gets a real allocation. */
	if ((ciphertext = malloc(plaintext_len + 1)) == NULL)
		goto done;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key->bytes, iv) != 1)
		goto done;
	out_len = 0;
	if (plaintext_len > 0 && EVP_EncryptUpdate(ctx, ciphertext, &out_len,
	    (const unsigned char *)plaintext, (int)plaintext_len) != 1)
		goto done;
	final_len = 0;
	if (EVP_EncryptFinal_ex(ctx, ciphertext + out_len, &final_len) != 1)
		goto done;
	if ((size_t)out_len + (size_t)final_len != plaintext_len)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
	    tag) != 1)
		goto done;

	stored = malloc(prefix_len + sizeof(iv) * 2 + 1 + plaintext_len * 2 +
	    1 + sizeof(tag) * 2 + 1);
	if (stored == NULL)
		goto done;
	cursor = stored;
	memcpy(cursor, CRYPTO_PREFIX, prefix_len);
	cursor += prefix_len;
	hex_encode(iv, sizeof(iv), cursor);
	cursor += sizeof(iv) * 2;
	*cursor++ = ':';
	hex_encode(ciphertext, plaintext_len, cursor);
	cursor += plaintext_len * 2;
	*cursor++ = ':';
	hex_encode(tag, sizeof(tag), cursor);
	cursor += sizeof(tag) * 2;
	*cursor = '\0';

done:
	EVP_CIPHER_CTX_free(ctx);
	free(ciphertext);
	return stored;
}

char *
crypto_decrypt(const struct crypto_key *key, const char *stored)
{
	unsigned char iv[GCM_IV_LEN], tag[GCM_TAG_LEN];
	unsigned char *ciphertext = NULL, *plaintext = NULL;
	const char *iv_hex, *ciphertext_hex, *tag_hex, *end;
	size_t stored_len, iv_hex_len, ciphertext_hex_len, tag_hex_len;
	size_t ciphertext_len = 0;
	EVP_CIPHER_CTX *ctx = NULL;
	int out_len, final_len, ok = 0;

	if (key == NULL || !crypto_is_encrypted(stored))
		return NULL;
	stored_len = strnlen(stored, STORED_MAX_LEN + 1);
	if (stored_len > STORED_MAX_LEN)
		return NULL;
	end = stored + stored_len;

	/* Exactly three ':'-separated fields after the prefix. */
	iv_hex = stored + sizeof(CRYPTO_PREFIX) - 1;
	if ((ciphertext_hex = memchr(iv_hex, ':', (size_t)(end - iv_hex))) == NULL)
		return NULL;
	iv_hex_len = (size_t)(ciphertext_hex - iv_hex);
	ciphertext_hex++;
	if ((tag_hex = memchr(ciphertext_hex, ':',
	    (size_t)(end - ciphertext_hex))) == NULL)
		return NULL;
	ciphertext_hex_len = (size_t)(tag_hex - ciphertext_hex);
	tag_hex++;
	tag_hex_len = (size_t)(end - tag_hex);
	if (memchr(tag_hex, ':', tag_hex_len) != NULL)
		return NULL;

	if (iv_hex_len != sizeof(iv) * 2 || tag_hex_len != sizeof(tag) * 2 ||
	    ciphertext_hex_len % 2 != 0)
		return NULL;
	if (hex_decode(iv_hex, iv_hex_len, iv) != 0 ||
	    hex_decode(tag_hex, tag_hex_len, tag) != 0)
		return NULL;
	ciphertext_len = ciphertext_hex_len / 2;
	if (ciphertext_len > CRYPTO_MAX_PLAINTEXT)
		return NULL;
	if ((ciphertext = malloc(ciphertext_len + 1)) == NULL)
		return NULL;
	if (hex_decode(ciphertext_hex, ciphertext_hex_len, ciphertext) != 0)
		goto done;
	if ((plaintext = malloc(ciphertext_len + 1)) == NULL)
		goto done;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key->bytes, iv) != 1)
		goto done;
	out_len = 0;
	if (ciphertext_len > 0 && EVP_DecryptUpdate(ctx, plaintext, &out_len,
	    ciphertext, (int)ciphertext_len) != 1)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN,
	    tag) != 1)
		goto done;
	/* Verifies the tag: fails on a wrong key or tampered data. */
	final_len = 0;
	if (EVP_DecryptFinal_ex(ctx, plaintext + out_len, &final_len) != 1)
		goto done;
	if ((size_t)out_len + (size_t)final_len != ciphertext_len)
		goto done;
	plaintext[ciphertext_len] = '\0';
	/* A NUL inside would silently truncate the C string: refuse it. */
	if (memchr(plaintext, '\0', ciphertext_len) != NULL)
		goto done;
	ok = 1;

done:
	EVP_CIPHER_CTX_free(ctx);
	free(ciphertext);
	if (!ok && plaintext != NULL) {
		OPENSSL_cleanse(plaintext, ciphertext_len + 1);
		free(plaintext);
		plaintext = NULL;
	}
	return (char *)plaintext;
}

bool
crypto_is_encrypted(const char *s)
{
	return s != NULL &&
	    strncmp(s, CRYPTO_PREFIX, sizeof(CRYPTO_PREFIX) - 1) == 0;
}

void
crypto_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
crypto_key_wipe(struct crypto_key *key)
{
	if (key != NULL)
		OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
}
