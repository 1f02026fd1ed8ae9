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
 * HTTPS on every web address when the 'web' group names a certificate
 * (docs/api.md): the TLS context, read once at start, and each
 * connection's TLS bufferevent, which http.c asks for at accept so as
 * to count the connection from then.
 */

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "api.h"

static SSL_CTX	*tls_ctx;

static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	SSL	*ssl = SSL_new(arg);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

/*
 * HTTPS on every web address when the 'web' group names a certificate:
 * TLS 1.2 or newer, the certificate chain and key read once at start (a
 * new certificate needs a restart).
 */
int
http_tls_init(struct evhttp *h, const struct web_conf *w, char *err,
    size_t errlen)
{
	if (w == NULL || w->tls_cert[0] == '\0')
		return 0;
	if ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(tls_ctx, w->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(tls_ctx, w->tls_key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(tls_ctx) != 1) {
		fm_fmt(err, errlen, "web TLS (%s, %s): %s", w->tls_cert,
		    w->tls_key, ERR_reason_error_string(ERR_get_error()));
		if (tls_ctx != NULL)
			SSL_CTX_free(tls_ctx);
		tls_ctx = NULL;
		return -1;
	}
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_RENEGOTIATION);
	evhttp_set_bevcb(h, tls_bev, tls_ctx);
	log_info("web: HTTPS with %s", w->tls_cert);
	return 0;
}

/*
 * The bufferevent of a new connection, made here so as to count it
 * from accept (http.c's new_bev): the TLS one when HTTPS is on, else NULL.
 */
struct bufferevent *
http_tls_bev(struct event_base *base)
{
	return tls_ctx != NULL ? tls_bev(base, tls_ctx) : NULL;
}

/* Whether the web is HTTPS, for the Strict-Transport-Security header. */
int
http_is_https(void)
{
	return tls_ctx != NULL;
}

/* At stop: a connection still open holds its own reference to it. */
void
http_tls_free(void)
{
	if (tls_ctx != NULL)
		SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}
