/*
 * tests/unit/test_crypto.c — unit tests for common/crypto.c: AES-256-GCM
 * round trips and the stored "enc:v1:" layout, tamper and malformed-input
 * rejection, scrypt key derivation (checked against vectors produced by
 * Node's crypto module, as OmniRoute uses it), and the key file's creation,
 * reload and refusal rules.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto.h"

#define KNOWN_PASSPHRASE	"correct horse battery staple"
#define KNOWN_KEY_HEX		\
	"e57f0be67bfeb418305655e8c263b2cc935445a0f5a09cb0a9bb1369f7f4add1"
#define IV_HEX_LEN		32
#define TAG_HEX_LEN		32

/* Written by Node's createCipheriv("aes-256-gcm") under KNOWN_PASSPHRASE. */
static const struct {
	const char	*plaintext;
	const char	*stored;
} node_vectors[] = {
	{ "sk-test-1234567890",
	  "enc:v1:000102030405060708090a0b0c0d0e0f:"
	  "483f83ba7b242e45634f04868697f144e2e2:"
	  "cae4cb4b825d969c4e6c683ede31301e" },
	{ "",
	  "enc:v1:000102030405060708090a0b0c0d0e0f::"
	  "b9cf33e65a8682f69d636c376a7c8612" },
	{ "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x9a\x80",
	  "enc:v1:000102030405060708090a0b0c0d0e0f:"
	  "539707a272387a1f91cb45ded78124e048f2f33fc52e:"
	  "b674c38f3e5b713053f5607d8fec9454" },
};

struct key_dir {
	char	directory[64];
	char	key_path[128];
	char	err[512];
};

static void
make_key(struct crypto_key *key, unsigned char fill)
{
	memset(key->bytes, fill, sizeof(key->bytes));
}

static void
assert_round_trip(const char *plaintext)
{
	struct crypto_key key;
	char *stored, *decrypted;

	make_key(&key, 0x42);
	stored = crypto_encrypt(&key, plaintext);
	assert_non_null(stored);
	assert_true(crypto_is_encrypted(stored));
	decrypted = crypto_decrypt(&key, stored);
	assert_non_null(decrypted);
	assert_string_equal(decrypted, plaintext);
	crypto_free_secret(decrypted);
	free(stored);
}

static void
test_round_trip_empty(void **state)
{
	(void)state;
	assert_round_trip("");
}

static void
test_round_trip_short(void **state)
{
	(void)state;
	assert_round_trip("sk-live-abc123");
}

static void
test_round_trip_1000_bytes(void **state)
{
	char plaintext[1001];
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		plaintext[i] = (char)('!' + i % 94);
	plaintext[1000] = '\0';
	assert_round_trip(plaintext);
}

static void
test_round_trip_utf8(void **state)
{
	(void)state;
	assert_round_trip("cl\xc3\xa9 \xe5\xaf\x86\xe9\x92\xa5 "
	    "\xf0\x9f\x94\x91 \xd0\xba\xd0\xbb\xd1\x8e\xd1\x87");
}

/* "enc:v1:" + 32 hex + ':' + 2 * n hex + ':' + 32 hex, lowercase. */
static void
test_stored_layout(void **state)
{
	struct crypto_key key;
	const char *plaintext = "hello";
	size_t prefix_len = strlen(CRYPTO_PREFIX), i, colons = 0;
	char *stored, *empty;

	(void)state;
	make_key(&key, 0x01);
	stored = crypto_encrypt(&key, plaintext);
	assert_non_null(stored);
	assert_int_equal(strlen(stored), prefix_len + IV_HEX_LEN + 1 +
	    strlen(plaintext) * 2 + 1 + TAG_HEX_LEN);
	assert_int_equal(stored[prefix_len + IV_HEX_LEN], ':');
	assert_int_equal(stored[prefix_len + IV_HEX_LEN + 1 +
	    strlen(plaintext) * 2], ':');
	for (i = prefix_len; stored[i] != '\0'; i++) {
		if (stored[i] == ':') {
			colons++;
			continue;
		}
		assert_non_null(strchr("0123456789abcdef", stored[i]));
	}
	assert_int_equal(colons, 2);
	free(stored);

	empty = crypto_encrypt(&key, "");
	assert_non_null(empty);
	assert_int_equal(strlen(empty), prefix_len + IV_HEX_LEN + 2 +
	    TAG_HEX_LEN);
	assert_int_equal(strncmp(empty + prefix_len + IV_HEX_LEN, "::", 2), 0);
	free(empty);
}

static void
test_encryptions_differ(void **state)
{
	struct crypto_key key;
	char *first, *second;

	(void)state;
	make_key(&key, 0x07);
	first = crypto_encrypt(&key, "same text");
	second = crypto_encrypt(&key, "same text");
	assert_non_null(first);
	assert_non_null(second);
	assert_string_not_equal(first, second);
	/* The IVs themselves differ, not just the output. */
	assert_int_not_equal(memcmp(first + strlen(CRYPTO_PREFIX),
	    second + strlen(CRYPTO_PREFIX), IV_HEX_LEN), 0);
	free(first);
	free(second);
}

static void
test_wrong_key_fails(void **state)
{
	struct crypto_key right, wrong;
	char *stored;

	(void)state;
	make_key(&right, 0x11);
	make_key(&wrong, 0x11);
	wrong.bytes[CRYPTO_KEY_LEN - 1] ^= 0x01;
	stored = crypto_encrypt(&right, "secret");
	assert_non_null(stored);
	assert_null(crypto_decrypt(&wrong, stored));
	free(stored);
}

/* Change the hex digit at offset to another valid hex digit. */
static void
flip_hex_digit(char *s, size_t offset)
{
	s[offset] = s[offset] == '0' ? '1' : '0';
}

static void
assert_tamper_detected(size_t (*offset_of)(const char *stored))
{
	struct crypto_key key;
	char *stored, *decrypted;

	make_key(&key, 0x23);
	stored = crypto_encrypt(&key, "tamper with me");
	assert_non_null(stored);
	decrypted = crypto_decrypt(&key, stored);
	assert_non_null(decrypted);
	crypto_free_secret(decrypted);
	flip_hex_digit(stored, offset_of(stored));
	assert_null(crypto_decrypt(&key, stored));
	free(stored);
}

static size_t
iv_offset(const char *stored)
{
	(void)stored;
	return strlen(CRYPTO_PREFIX) + 5;
}

static size_t
ciphertext_offset(const char *stored)
{
	(void)stored;
	return strlen(CRYPTO_PREFIX) + IV_HEX_LEN + 1 + 3;
}

static size_t
tag_offset(const char *stored)
{
	return strlen(stored) - 1;
}

static void
test_tamper_iv(void **state)
{
	(void)state;
	assert_tamper_detected(iv_offset);
}

static void
test_tamper_ciphertext(void **state)
{
	(void)state;
	assert_tamper_detected(ciphertext_offset);
}

static void
test_tamper_tag(void **state)
{
	(void)state;
	assert_tamper_detected(tag_offset);
}

static void
test_malformed_inputs(void **state)
{
	static const char *malformed[] = {
		"",
		"enc:v1:",
		"enc:v2:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		/* no prefix */
		"000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		/* missing parts */
		"enc:v1:000102030405060708090a0b0c0d0e0f",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:",
		"enc:v1::483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		/* extra ':' parts */
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e:",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e:00",
		"enc:v1:000102030405060708090a0b0c0d0e0f:483f83ba7b24:"
		    "2e45634f04868697f144e2e2:cae4cb4b825d969c4e6c683ede31301e",
		/* odd-length hex in each field */
		"enc:v1:000102030405060708090a0b0c0d0e0:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301",
		/* characters that are not hex, either case */
		"enc:v1:000102030405060708090a0b0c0d0e0g:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2XZ:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede3130 e",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e\n",
		/* IV or tag of the wrong length (even, valid hex) */
		"enc:v1:000102030405060708090a0b0c0d0e:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		"enc:v1:000102030405060708090a0b0c0d0e0f10:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede3130",
		"enc:v1:000102030405060708090a0b0c0d0e0f:"
		    "483f83ba7b242e45634f04868697f144e2e2:"
		    "cae4cb4b825d969c4e6c683ede31301e00",
	};
	struct crypto_key key;
	char *decrypted;
	size_t i;

	(void)state;
	assert_int_equal(crypto_key_from_passphrase(KNOWN_PASSPHRASE, &key), 0);
	/* The untouched vector decrypts, so each failure below is the damage. */
	decrypted = crypto_decrypt(&key, node_vectors[0].stored);
	assert_non_null(decrypted);
	crypto_free_secret(decrypted);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		if (crypto_decrypt(&key, malformed[i]) != NULL)
			fail_msg("accepted malformed input #%zu: \"%s\"", i,
			    malformed[i]);
	}
	assert_null(crypto_decrypt(&key, NULL));
	assert_null(crypto_decrypt(NULL, node_vectors[0].stored));
}

/* Every proper prefix of a valid stored string is refused. */
static void
test_truncated_inputs(void **state)
{
	struct crypto_key key;
	char *stored;
	size_t length, full_length;

	(void)state;
	make_key(&key, 0x5a);
	stored = crypto_encrypt(&key, "truncate me");
	assert_non_null(stored);
	full_length = strlen(stored);
	for (length = full_length; length-- > 0;) {
		stored[length] = '\0';
		if (crypto_decrypt(&key, stored) != NULL)
			fail_msg("accepted a %zu-character truncation", length);
	}
	free(stored);
}

static void
test_over_long_input(void **state)
{
	struct crypto_key key;
	size_t ciphertext_hex_len = ((size_t)CRYPTO_MAX_PLAINTEXT + 1) * 2;
	size_t prefix_len = strlen(CRYPTO_PREFIX), length;
	char *stored, *plaintext;

	(void)state;
	make_key(&key, 0x33);

	/* One byte over the cap: refused before any decryption. */
	length = prefix_len + IV_HEX_LEN + 1 + ciphertext_hex_len + 1 +
	    TAG_HEX_LEN;
	stored = malloc(length + 1);
	assert_non_null(stored);
	memset(stored, '0', length);
	memcpy(stored, CRYPTO_PREFIX, prefix_len);
	stored[prefix_len + IV_HEX_LEN] = ':';
	stored[prefix_len + IV_HEX_LEN + 1 + ciphertext_hex_len] = ':';
	stored[length] = '\0';
	assert_null(crypto_decrypt(&key, stored));
	free(stored);

	/* Exactly the cap round-trips; one more byte will not encrypt. */
	plaintext = malloc((size_t)CRYPTO_MAX_PLAINTEXT + 2);
	assert_non_null(plaintext);
	memset(plaintext, 'x', (size_t)CRYPTO_MAX_PLAINTEXT);
	plaintext[CRYPTO_MAX_PLAINTEXT] = '\0';
	assert_round_trip(plaintext);
	plaintext[CRYPTO_MAX_PLAINTEXT] = 'x';
	plaintext[CRYPTO_MAX_PLAINTEXT + 1] = '\0';
	assert_null(crypto_encrypt(&key, plaintext));
	free(plaintext);
}

/* Decrypts what Node's crypto module (OmniRoute's implementation) wrote. */
static void
test_decrypts_node_vectors(void **state)
{
	struct crypto_key key;
	char *decrypted;
	size_t i;

	(void)state;
	assert_int_equal(crypto_key_from_passphrase(KNOWN_PASSPHRASE, &key), 0);
	for (i = 0; i < sizeof(node_vectors) / sizeof(node_vectors[0]); i++) {
		decrypted = crypto_decrypt(&key, node_vectors[i].stored);
		assert_non_null(decrypted);
		assert_string_equal(decrypted, node_vectors[i].plaintext);
		crypto_free_secret(decrypted);
	}
}

/* Hex is written lowercase, but uppercase digits are read (as Node does). */
static void
test_uppercase_hex_accepted(void **state)
{
	struct crypto_key key;
	char *upper, *decrypted, *cursor;

	(void)state;
	assert_int_equal(crypto_key_from_passphrase(KNOWN_PASSPHRASE, &key), 0);
	upper = strdup(node_vectors[0].stored);
	assert_non_null(upper);
	for (cursor = upper + strlen(CRYPTO_PREFIX); *cursor != '\0'; cursor++)
		if (*cursor >= 'a' && *cursor <= 'f')
			*cursor = (char)(*cursor - 'a' + 'A');
	decrypted = crypto_decrypt(&key, upper);
	assert_non_null(decrypted);
	assert_string_equal(decrypted, node_vectors[0].plaintext);
	crypto_free_secret(decrypted);
	free(upper);
}

/* Authentic data holding a NUL ("a\0b", from Node) is refused, not cut. */
static void
test_interior_nul_refused(void **state)
{
	struct crypto_key key;

	(void)state;
	assert_int_equal(crypto_key_from_passphrase(KNOWN_PASSPHRASE, &key), 0);
	assert_null(crypto_decrypt(&key, "enc:v1:000102030405060708090a0b0c0d0e0f:"
	    "5a54cc:1db6e628ec2896c0f7b85b4041831825"));
}

static void
test_is_encrypted(void **state)
{
	(void)state;
	assert_true(crypto_is_encrypted("enc:v1:"));
	assert_true(crypto_is_encrypted(node_vectors[0].stored));
	assert_false(crypto_is_encrypted("enc:v1"));
	assert_false(crypto_is_encrypted("ENC:V1:abc"));
	assert_false(crypto_is_encrypted("sk-plain"));
	assert_false(crypto_is_encrypted(""));
	assert_false(crypto_is_encrypted(NULL));
}

static void
key_to_hex(const struct crypto_key *key, char hex[CRYPTO_KEY_LEN * 2 + 1])
{
	size_t i;

	for (i = 0; i < CRYPTO_KEY_LEN; i++)
		snprintf(hex + i * 2, 3, "%02x", key->bytes[i]);
}

static void
test_passphrase_known_vector(void **state)
{
	struct crypto_key key;
	char hex[CRYPTO_KEY_LEN * 2 + 1];

	(void)state;
	assert_int_equal(crypto_key_from_passphrase(KNOWN_PASSPHRASE, &key), 0);
	key_to_hex(&key, hex);
	assert_string_equal(hex, KNOWN_KEY_HEX);
	crypto_key_wipe(&key);
}

static void
test_passphrase_deterministic_and_distinct(void **state)
{
	struct crypto_key first, again, other;

	(void)state;
	assert_int_equal(crypto_key_from_passphrase("passphrase one", &first), 0);
	assert_int_equal(crypto_key_from_passphrase("passphrase one", &again), 0);
	assert_int_equal(crypto_key_from_passphrase("passphrase two", &other), 0);
	assert_memory_equal(first.bytes, again.bytes, CRYPTO_KEY_LEN);
	assert_memory_not_equal(first.bytes, other.bytes, CRYPTO_KEY_LEN);
}

static void
test_passphrase_empty_fails(void **state)
{
	struct crypto_key key;

	(void)state;
	assert_int_equal(crypto_key_from_passphrase("", &key), -1);
	assert_int_equal(crypto_key_from_passphrase(NULL, &key), -1);
}

static void
test_key_wipe_and_free_secret(void **state)
{
	struct crypto_key key;
	static const unsigned char zero[CRYPTO_KEY_LEN];
	char *secret;

	(void)state;
	make_key(&key, 0xff);
	crypto_key_wipe(&key);
	assert_memory_equal(key.bytes, zero, CRYPTO_KEY_LEN);
	secret = strdup("wipe me");
	assert_non_null(secret);
	crypto_free_secret(secret);
	crypto_free_secret(NULL);
}

static int
key_dir_setup(void **state)
{
	struct key_dir *dir = calloc(1, sizeof(*dir));

	if (dir == NULL)
		return -1;
	snprintf(dir->directory, sizeof(dir->directory),
	    "/tmp/test_crypto.XXXXXX");
	if (mkdtemp(dir->directory) == NULL) {
		free(dir);
		return -1;
	}
	snprintf(dir->key_path, sizeof(dir->key_path), "%s/storage.key",
	    dir->directory);
	*state = dir;
	return 0;
}

static int
key_dir_teardown(void **state)
{
	struct key_dir *dir = *state;

	(void)unlink(dir->key_path);
	if (rmdir(dir->directory) != 0)
		return -1;
	free(dir);
	return 0;
}

static void
write_file(const char *path, const char *contents, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, contents, strlen(contents)),
	    (ssize_t)strlen(contents));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_key_file_created(void **state)
{
	struct key_dir *dir = *state;
	struct crypto_key key;
	char contents[128], hex[CRYPTO_KEY_LEN * 2 + 1];
	struct stat st;
	ssize_t length;
	int fd, i;

	assert_int_equal(crypto_key_load_or_create(dir->key_path, &key,
	    dir->err, sizeof(dir->err)), 0);
	assert_int_equal(stat(dir->key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	fd = open(dir->key_path, O_RDONLY);
	assert_true(fd >= 0);
	length = read(fd, contents, sizeof(contents));
	close(fd);
	assert_int_equal(length, CRYPTO_KEY_LEN * 2 + 1);
	assert_int_equal(contents[CRYPTO_KEY_LEN * 2], '\n');
	for (i = 0; i < CRYPTO_KEY_LEN * 2; i++)
		assert_non_null(strchr("0123456789abcdef", contents[i]));
	key_to_hex(&key, hex);
	assert_memory_equal(contents, hex, CRYPTO_KEY_LEN * 2);
}

static void
test_key_file_reloads_same_key(void **state)
{
	struct key_dir *dir = *state;
	struct crypto_key created, loaded;
	char *stored, *decrypted;

	assert_int_equal(crypto_key_load_or_create(dir->key_path, &created,
	    dir->err, sizeof(dir->err)), 0);
	assert_int_equal(crypto_key_load_or_create(dir->key_path, &loaded,
	    dir->err, sizeof(dir->err)), 0);
	assert_memory_equal(created.bytes, loaded.bytes, CRYPTO_KEY_LEN);

	stored = crypto_encrypt(&created, "survives a restart");
	assert_non_null(stored);
	decrypted = crypto_decrypt(&loaded, stored);
	assert_non_null(decrypted);
	assert_string_equal(decrypted, "survives a restart");
	crypto_free_secret(decrypted);
	free(stored);
}

/* Written by hand: no trailing LF is fine, as is uppercase hex. */
static void
test_key_file_accepts_hand_written(void **state)
{
	struct key_dir *dir = *state;
	struct crypto_key key;
	char hex[CRYPTO_KEY_LEN * 2 + 1];

	write_file(dir->key_path, KNOWN_KEY_HEX, 0600);
	assert_int_equal(crypto_key_load_or_create(dir->key_path, &key,
	    dir->err, sizeof(dir->err)), 0);
	key_to_hex(&key, hex);
	assert_string_equal(hex, KNOWN_KEY_HEX);

	write_file(dir->key_path, "E57F0BE67BFEB418305655E8C263B2CC"
	    "935445A0F5A09CB0A9BB1369F7F4ADD1\n", 0400);
	assert_int_equal(crypto_key_load_or_create(dir->key_path, &key,
	    dir->err, sizeof(dir->err)), 0);
	key_to_hex(&key, hex);
	assert_string_equal(hex, KNOWN_KEY_HEX);
}

static void
test_key_file_open_mode_refused(void **state)
{
	struct key_dir *dir = *state;
	struct crypto_key key;

	write_file(dir->key_path, KNOWN_KEY_HEX "\n", 0644);
	assert_int_equal(crypto_key_load_or_create(dir->key_path, &key,
	    dir->err, sizeof(dir->err)), -1);
	assert_non_null(strstr(dir->err, dir->key_path));
	assert_non_null(strstr(dir->err, "0644"));
	assert_non_null(strstr(dir->err, "chmod 600"));
	assert_null(strstr(dir->err, KNOWN_KEY_HEX));

	/* Group access alone is enough to refuse. */
	assert_int_equal(chmod(dir->key_path, 0640), 0);
	assert_int_equal(crypto_key_load_or_create(dir->key_path, &key,
	    dir->err, sizeof(dir->err)), -1);
	assert_non_null(strstr(dir->err, dir->key_path));
}

static void
test_key_file_garbage_refused(void **state)
{
	static const char *garbage[] = {
		"",
		"\n",
		"not a key at all\n",
		/* 63 and 65 hex characters */
		"e57f0be67bfeb418305655e8c263b2cc935445a0f5a09cb0a9bb1369f7f4add\n",
		KNOWN_KEY_HEX "1\n",
		/* a non-hex character inside */
		"e57f0be67bfeb418305655e8c263b2cc935445a0f5a09cb0a9bb1369f7f4addz\n",
		/* anything after the one LF, or another line ending */
		KNOWN_KEY_HEX "\n\n",
		KNOWN_KEY_HEX "\r\n",
		KNOWN_KEY_HEX " ",
		(" " KNOWN_KEY_HEX),
	};
	struct key_dir *dir = *state;
	struct crypto_key key;
	size_t i;

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		write_file(dir->key_path, garbage[i], 0600);
		dir->err[0] = '\0';
		if (crypto_key_load_or_create(dir->key_path, &key, dir->err,
		    sizeof(dir->err)) != -1)
			fail_msg("accepted key file content #%zu", i);
		assert_non_null(strstr(dir->err, dir->key_path));
		assert_null(strstr(dir->err, "e57f0be67bfeb418"));
	}
}

static void
test_key_file_unusable_path(void **state)
{
	struct key_dir *dir = *state;
	struct crypto_key key;
	char path[192];

	/* The parent directory does not exist: creation fails, naming it. */
	snprintf(path, sizeof(path), "%s/missing/storage.key", dir->directory);
	assert_int_equal(crypto_key_load_or_create(path, &key, dir->err,
	    sizeof(dir->err)), -1);
	assert_non_null(strstr(dir->err, path));

	/* A directory is not a key file. */
	assert_int_equal(crypto_key_load_or_create(dir->directory, &key,
	    dir->err, sizeof(dir->err)), -1);
	assert_non_null(strstr(dir->err, dir->directory));
}

#define key_file_test(function) \
	cmocka_unit_test_setup_teardown(function, key_dir_setup, key_dir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_short),
		cmocka_unit_test(test_round_trip_1000_bytes),
		cmocka_unit_test(test_round_trip_utf8),
		cmocka_unit_test(test_stored_layout),
		cmocka_unit_test(test_encryptions_differ),
		cmocka_unit_test(test_wrong_key_fails),
		cmocka_unit_test(test_tamper_iv),
		cmocka_unit_test(test_tamper_ciphertext),
		cmocka_unit_test(test_tamper_tag),
		cmocka_unit_test(test_malformed_inputs),
		cmocka_unit_test(test_truncated_inputs),
		cmocka_unit_test(test_over_long_input),
		cmocka_unit_test(test_decrypts_node_vectors),
		cmocka_unit_test(test_uppercase_hex_accepted),
		cmocka_unit_test(test_interior_nul_refused),
		cmocka_unit_test(test_is_encrypted),
		cmocka_unit_test(test_passphrase_known_vector),
		cmocka_unit_test(test_passphrase_deterministic_and_distinct),
		cmocka_unit_test(test_passphrase_empty_fails),
		cmocka_unit_test(test_key_wipe_and_free_secret),
		key_file_test(test_key_file_created),
		key_file_test(test_key_file_reloads_same_key),
		key_file_test(test_key_file_accepts_hand_written),
		key_file_test(test_key_file_open_mode_refused),
		key_file_test(test_key_file_garbage_refused),
		key_file_test(test_key_file_unusable_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
