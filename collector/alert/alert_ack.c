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
 * One-tap acknowledgement from a phone: a down alert carries a link
 * whose token names the outage (device, check, start), who it was sent
 * to and until when it is valid, signed with HMAC-SHA256 under a key of
 * this collector (<data_dir>/alerts/ack.key, made once, 0600).  The
 * token itself is the authority, so nobody needs to log in on a phone;
 * it opens a page with one button (a POST: a mail scanner that follows
 * links must not acknowledge anything), and an outage is acknowledged
 * once: a replayed token finds it acknowledged already.
 *
 * The token is plain text of the id alphabet and '~', safe in a URL:
 *   device~check~start_ms~expires_ms~recipient~sig
 * sig: the first 16 bytes of the HMAC, in hex.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "alert.h"

#define ACK_KEY_LEN	32
#define ACK_SIG_LEN	16

static unsigned char ack_key[ACK_KEY_LEN];
static int	 ack_ready;

/* Load the key, or make it; before any thread starts. */
int
alert_ack_init(const char *data_dir, char *err, size_t errlen)
{
	char	 path[PATH_MAX];
	ssize_t	 n;
	int	 fd;

	ack_ready = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/alerts/ack.key",
	    data_dir) >= sizeof(path)) {
		snprintf(err, errlen, "ack key: path too long");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, ack_key, sizeof(ack_key));
		close(fd);
		if (n == (ssize_t)sizeof(ack_key)) {
			ack_ready = 1;
			return 0;
		}
		snprintf(err, errlen, "%s: not a key of %d bytes", path,
		    ACK_KEY_LEN);
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (RAND_bytes(ack_key, sizeof(ack_key)) != 1) {
		snprintf(err, errlen, "ack key: no random bytes");
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || write(fd, ack_key, sizeof(ack_key)) !=
	    (ssize_t)sizeof(ack_key) || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	ack_ready = 1;
	return 0;
}

static void
sign(char out[2 * ACK_SIG_LEN + 1], const char *payload)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	int	 i;

	HMAC(EVP_sha256(), ack_key, sizeof(ack_key),
	    (const unsigned char *)payload, strlen(payload), mac, &mlen);
	for (i = 0; i < ACK_SIG_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* -1 when acknowledgement links are off (no key) or it does not fit. */
int
alert_ack_token(char *dst, size_t len, const char *device, const char *check,
    int64_t start_ms, int64_t expires_ms, const char *who)
{
	char	 payload[FM_ID_MAX * 3 + 64], sig[2 * ACK_SIG_LEN + 1];

	if (!ack_ready || !fm_valid_id(device) || (check[0] != '\0' &&
	    !fm_valid_id(check)) || !fm_valid_id(who) ||
	    (size_t)snprintf(payload, sizeof(payload), "%s~%s~%lld~%lld~%s",
	    device, check, (long long)start_ms, (long long)expires_ms, who) >=
	    sizeof(payload))
		return -1;
	sign(sig, payload);
	if ((size_t)snprintf(dst, len, "%s~%s", payload, sig) >= len)
		return -1;
	return 0;
}

/*
 * A token's claims, if it is ours and still valid: 0; -1 forged or
 * malformed, -2 expired (the claims are filled then too).
 */
int
alert_ack_verify(const char *tok, int64_t now, struct alert_ack *a)
{
	char	 buf[FM_ID_MAX * 3 + 128], *f[6], *p, sig[2 * ACK_SIG_LEN + 1];
	char	*end;
	int	 n = 0;
	size_t	 l;

	memset(a, 0, sizeof(*a));
	if (!ack_ready || (l = strlen(tok)) >= sizeof(buf) ||
	    l < 2 * ACK_SIG_LEN + 1)
		return -1;
	memcpy(buf, tok, l + 1);
	for (p = buf; n < 6; n++) {
		f[n] = p;
		if ((p = strchr(p, '~')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 5 || strlen(f[5]) != 2 * ACK_SIG_LEN)
		return -1;
	/* The payload is the token up to the last '~'. */
	memcpy(buf, tok, l + 1);
	buf[l - 2 * ACK_SIG_LEN - 1] = '\0';
	sign(sig, buf);
	if (CRYPTO_memcmp(sig, tok + l - 2 * ACK_SIG_LEN, 2 * ACK_SIG_LEN) != 0)
		return -1;
	memcpy(buf, tok, l + 1);
	for (p = buf, n = 0; n < 6; n++) {
		f[n] = p;
		if ((p = strchr(p, '~')) == NULL)
			break;
		*p++ = '\0';
	}
	fm_strlcpy(a->device, f[0], sizeof(a->device));
	fm_strlcpy(a->check, f[1], sizeof(a->check));
	a->start_ms = strtoll(f[2], &end, 10);
	if (*end != '\0')
		return -1;
	a->expires_ms = strtoll(f[3], &end, 10);
	if (*end != '\0')
		return -1;
	fm_strlcpy(a->who, f[4], sizeof(a->who));
	return now > a->expires_ms ? -2 : 0;
}
