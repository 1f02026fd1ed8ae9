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
 * TLS 1.3 between agent and collector with external pre-shared keys:
 * one 32-byte secret per agent, the agent id as the PSK identity, the
 * cipher TLS_AES_128_GCM_SHA256 and an (EC)DHE exchange on top, so that
 * a key that leaks later does not open recorded traffic.  See
 * docs/wire.md for why PSK and not certificates.
 */

#ifndef FACMON_TLS_H
#define FACMON_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "common.h"

#define FM_PSK_LEN	32	/* bytes: the SHA-256 of the cipher suite */
#define FM_PSK_HEXLEN	(FM_PSK_LEN * 2)

/* What the collector knows of an identity, for its lookup function. */
enum fm_psk_found {
	FM_PSK_OK = 0,
	FM_PSK_UNKNOWN,		/* not listed, or no key for it */
	FM_PSK_REVOKED		/* listed with revoked = true */
};

/* The identity a client offered and what the lookup said of it. */
struct fm_tls_peer {
	int		 looked_up;
	int		 found;		/* enum fm_psk_found */
	char		 id[FM_ID_MAX];
};

/* Looks up an agent's key; fills key on FM_PSK_OK. */
typedef int	(*fm_psk_lookup)(const char *id, uint8_t *key);

int	 fm_psk_read(const char *path, uint8_t *key, char *err,
	    size_t errlen);
int	 fm_psk_write(const char *path, const uint8_t *key, char *err,
	    size_t errlen);
int	 fm_psk_new(uint8_t *key);
void	 fm_psk_hex(const uint8_t *key, char *hex);

SSL_CTX	*fm_tls_client_ctx(const char *identity, const uint8_t *key);
SSL_CTX	*fm_tls_server_ctx(fm_psk_lookup);
SSL	*fm_tls_server_ssl(SSL_CTX *, struct fm_tls_peer *);
const char *fm_tls_error(void);

#endif /* FACMON_TLS_H */
