/*
 * Copyright (c) 2026 The facmon authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS.
 */

/*
 * TLS 1.3 external PSK for the agent link (tls.h).  Both ends build the
 * same kind of SSL_SESSION from the shared key: OpenSSL then treats it
 * as an external PSK with the identity given alongside.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tls.h"

#define FM_CIPHER	"TLS_AES_128_GCM_SHA256"

/* The client side: one identity per process, the agent's own. */
static char	 client_id[FM_ID_MAX];
static uint8_t	 client_key[FM_PSK_LEN];
static fm_psk_lookup server_lookup;
static int	 peer_idx = -1;

static SSL_SESSION *
psk_session(SSL *ssl, const uint8_t *key)
{
	/* TLS_AES_128_GCM_SHA256 */
	static const unsigned char cid[2] = { 0x13, 0x01 };
	const SSL_CIPHER *c;
	SSL_SESSION *s;

	if ((c = SSL_CIPHER_find(ssl, cid)) == NULL ||
	    (s = SSL_SESSION_new()) == NULL)
		return NULL;
	if (!SSL_SESSION_set1_master_key(s, key, FM_PSK_LEN) ||
	    !SSL_SESSION_set_cipher(s, c) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

static int
use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess)
{
	SSL_SESSION *s;

	/* After a HelloRetryRequest the hash must match the suite's. */
	if (md != NULL && md != EVP_sha256()) {
		*sess = NULL;
		return 1;
	}
	if ((s = psk_session(ssl, client_key)) == NULL)
		return 0;
	*id = (const unsigned char *)client_id;
	*idlen = strlen(client_id);
	*sess = s;
	return 1;
}

static int
find_session_cb(SSL *ssl, const unsigned char *identity, size_t len,
    SSL_SESSION **sess)
{
	struct fm_tls_peer *peer = SSL_get_ex_data(ssl, peer_idx);
	char	 id[FM_ID_MAX];
	uint8_t	 key[FM_PSK_LEN];
	int	 found;

	*sess = NULL;
	if (len == 0 || len >= sizeof(id))
		found = FM_PSK_UNKNOWN;
	else {
		memcpy(id, identity, len);
		id[len] = '\0';
		found = fm_valid_id(id) ? server_lookup(id, key) :
		    FM_PSK_UNKNOWN;
	}
	if (peer != NULL) {
		peer->looked_up = 1;
		peer->found = found;
		if (len < sizeof(peer->id)) {
			memcpy(peer->id, identity, len);
			peer->id[len] = '\0';
			/* Only for messages: never trust its bytes. */
			for (size_t i = 0; i < len; i++)
				if (peer->id[i] < 0x21 || peer->id[i] > 0x7e)
					peer->id[i] = '?';
		} else
			fm_strlcpy(peer->id, "(too long)", sizeof(peer->id));
	}
	/*
	 * No session and success: the handshake goes on without a PSK,
	 * and as the server has no certificate it fails there.
	 */
	if (found != FM_PSK_OK)
		return 1;
	*sess = psk_session(ssl, key);
	OPENSSL_cleanse(key, sizeof(key));
	return *sess != NULL;
}

static SSL_CTX *
ctx_new(const SSL_METHOD *m)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(m)) == NULL)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, FM_CIPHER)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Every connection starts from the PSK: no resumption tickets. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

SSL_CTX *
fm_tls_client_ctx(const char *identity, const uint8_t *key)
{
	SSL_CTX *ctx;

	if ((ctx = ctx_new(TLS_client_method())) == NULL)
		return NULL;
	fm_strlcpy(client_id, identity, sizeof(client_id));
	memcpy(client_key, key, FM_PSK_LEN);
	SSL_CTX_set_psk_use_session_callback(ctx, use_session_cb);
	return ctx;
}

SSL_CTX *
fm_tls_server_ctx(fm_psk_lookup lookup)
{
	SSL_CTX *ctx;

	if (peer_idx == -1 && (peer_idx = SSL_get_ex_new_index(0, NULL,
	    NULL, NULL, NULL)) == -1)
		return NULL;
	if ((ctx = ctx_new(TLS_server_method())) == NULL)
		return NULL;
	server_lookup = lookup;
	SSL_CTX_set_psk_find_session_callback(ctx, find_session_cb);
	return ctx;
}

SSL *
fm_tls_server_ssl(SSL_CTX *ctx, struct fm_tls_peer *peer)
{
	SSL	*ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		return NULL;
	memset(peer, 0, sizeof(*peer));
	SSL_set_ex_data(ssl, peer_idx, peer);
	return ssl;
}

/* The oldest queued OpenSSL error as text; the queue is emptied. */
const char *
fm_tls_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "no TLS error recorded";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

int
fm_psk_new(uint8_t *key)
{
	return RAND_bytes(key, FM_PSK_LEN) == 1 ? 0 : -1;
}

void
fm_psk_hex(const uint8_t *key, char *hex)
{
	static const char d[] = "0123456789abcdef";
	int	 i;

	for (i = 0; i < FM_PSK_LEN; i++) {
		hex[2 * i] = d[key[i] >> 4];
		hex[2 * i + 1] = d[key[i] & 15];
	}
	hex[FM_PSK_HEXLEN] = '\0';
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A key file holds the key as 64 hex digits on one line.  A file that
 * the group or others may read is refused: the key would no longer be
 * the agent's alone.
 */
int
fm_psk_read(const char *path, uint8_t *key, char *err, size_t errlen)
{
	char	 buf[FM_PSK_HEXLEN + 64];
	struct stat st;
	ssize_t	 n;
	int	 fd, i, hi, lo;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: secret key readable by group or "
		    "others (mode %04o); refused: chmod 600 %s", path,
		    (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n != FM_PSK_HEXLEN) {
		snprintf(err, errlen, "%s: expected %d hex digits (made by "
		    "facmon-collector keygen)", path, FM_PSK_HEXLEN);
		return -1;
	}
	for (i = 0; i < FM_PSK_LEN; i++) {
		if ((hi = unhex(buf[2 * i])) == -1 ||
		    (lo = unhex(buf[2 * i + 1])) == -1) {
			snprintf(err, errlen, "%s: not hex digits", path);
			OPENSSL_cleanse(buf, sizeof(buf));
			return -1;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/*
 * Written whole or not at all (fm_write_file_atomic); the umask makes
 * the temporary file, and so the result, mode 0600 from its creation,
 * never readable by others even for a moment.  Only the one-shot keygen
 * command writes keys, before any thread exists.
 */
int
fm_psk_write(const char *path, const uint8_t *key, char *err, size_t errlen)
{
	char	 buf[FM_PSK_HEXLEN + 2];
	mode_t	 old;
	int	 r;

	fm_psk_hex(key, buf);
	buf[FM_PSK_HEXLEN] = '\n';
	buf[FM_PSK_HEXLEN + 1] = '\0';
	old = umask(077);
	r = fm_write_file_atomic(path, buf, FM_PSK_HEXLEN + 1, err, errlen);
	umask(old);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r == 0 && chmod(path, 0600) == -1) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		return -1;
	}
	return r;
}
