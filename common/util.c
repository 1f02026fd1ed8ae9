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

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <iconv.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

size_t
fm_strlcpy(char *dst, const char *src, size_t dsize)
{
	size_t	 len = strlen(src);

	if (dsize != 0) {
		size_t n = len < dsize - 1 ? len : dsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/*
 * Ids name files and URL paths, so they are kept to a safe alphabet:
 * letters, digits, '_', '-' and '.', not starting with '.'.
 */
int
fm_valid_id(const char *s)
{
	return fm_valid_name(s, FM_ID_MAX);
}

/* The id alphabet, with a length limit of the caller's (with the NUL). */
int
fm_valid_name(const char *s, size_t max)
{
	size_t	 i;

	if (s[0] == '\0' || s[0] == '.' || strlen(s) >= max)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* Map anything to a file-name-safe string; never "" or a dot name. */
void
fm_sanitize_name(char *dst, size_t dlen, const char *src)
{
	size_t	 i, o = 0;

	if (dlen == 0)
		return;
	for (i = 0; src[i] != '\0' && o + 1 < dlen; i++) {
		char c = src[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && o > 0))
			dst[o++] = c;
		else
			dst[o++] = '_';
	}
	if (o == 0 && dlen > 1)
		dst[o++] = '_';
	dst[o] = '\0';
}

/*
 * A table row's label (an interface's ifName, say) as the first part of
 * its value names: "GigabitEthernet0/0/1" stays as it is, so graphs and
 * series read by name.  Letters, digits, '-' and '/' are kept; every
 * other byte, '_' included, becomes "_" and two hex digits.  The mapping
 * is one-to-one (no two labels give one name) and depends on the label
 * alone, so a row keeps its name whatever other rows come and go.  The
 * result never contains a '.', which separates the label from the
 * column.  Returns 0, or -1 when the name was cut to fit dlen.
 */
int
fm_label_name(char *dst, size_t dlen, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i, o = 0;

	if (dlen == 0)
		return -1;
	for (i = 0; src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '/') {
			if (o + 2 > dlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 > dlen)
				break;
			dst[o++] = '_';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return src[i] == '\0' ? 0 : -1;
}

/*
 * The one UTF-8 validator of the tree.  Length of the sequence that
 * starts s (at most 'avail' bytes readable), or 0 if it is not valid
 * UTF-8: overlong forms, surrogates and code points past U+10FFFF are
 * invalid, as RFC 3629 says, because jansson and browsers refuse them.
 */
size_t
fm_utf8_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t	 n, i;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Whether the len bytes at s are valid UTF-8 (a NUL among them is not). */
int
fm_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 i, n;

	for (i = 0; i < len; i += n)
		if (p[i] == '\0' || (n = fm_utf8_len(p + i, len - i)) == 0)
			return 0;
	return 1;
}

/* Printable UTF-8: valid, and no control characters but tab and line
   ends. */
int
fm_utf8_printable(const unsigned char *p, size_t n)
{
	size_t	 i = 0, len;

	while (i < n) {
		if (p[i] < 0x80 && ((p[i] < 0x20 && p[i] != '\t' &&
		    p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f))
			return 0;
		if ((len = fm_utf8_len(p + i, n - i)) == 0)
			return 0;
		i += len;
	}
	return 1;
}

/*
 * Text in a device's own charset (GBK on many switches sold in China)
 * into UTF-8 through cd (iconv_open("UTF-8", charset)).  Returns the
 * length written to buf (NUL-terminated), or -1: bytes that are not text
 * in that charset either (a MAC address), or not printable once
 * converted.  A buffer too small cuts the text at a whole character.
 */
ssize_t
fm_iconv_text(iconv_t cd, const unsigned char *in, size_t inlen, char *buf,
    size_t buflen)
{
	char	*ip = (char *)(uintptr_t)in, *op = buf;
	size_t	 il = inlen, ol = buflen - 1;

	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != E2BIG)
		return -1;
	*op = '\0';
	if (!fm_utf8_printable((const unsigned char *)buf, (size_t)(op - buf)))
		return -1;
	return op - buf;
}

/*
 * Replace, in place, each byte that does not start a valid UTF-8
 * sequence with '?' (the length stays, so fixed buffers and wire
 * limits hold).  Returns how many bytes were replaced.
 */
size_t
fm_utf8_repair(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t	 i, n, len = strlen(s), bad = 0;

	for (i = 0; i < len; i += n)
		if ((n = fm_utf8_len(p + i, len - i)) == 0) {
			p[i] = '?';
			n = 1;
			bad++;
		}
	return bad;
}

/*
 * Text from the network made safe for one log line: valid UTF-8 kept,
 * a control character (a newline would forge a line) written as \xNN,
 * any other invalid byte as \xNN too.  dst always ends with a NUL.
 */
void
fm_text_sanitize(char *dst, size_t dlen, const char *src, size_t slen)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t	 i = 0, n, o = 0;

	if (dlen == 0)
		return;
	while (i < slen && p[i] != '\0') {
		n = fm_utf8_len(p + i, slen - i);
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			n = 0;
		if (n == 0) {
			if (o + 5 > dlen)
				break;
			snprintf(dst + o, dlen - o, "\\x%02x", p[i]);
			o += 4;
			i++;
			continue;
		}
		if (o + n + 1 > dlen)
			break;
		memcpy(dst + o, p + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

/*
 * The file name of a series (without ".rrd"): the sanitised value name,
 * or for a name too long for a file name (NAME_MAX is 255 bytes and
 * value names may be as long), its start and a hash of the whole.
 */
void
fm_series_file(char *dst, size_t dlen, const char *name)
{
	char	 clean[FM_VNAME_MAX];
	uint64_t h = 14695981039346656037ull;
	const char *p;

	fm_sanitize_name(clean, sizeof(clean), name);
	if (strlen(clean) <= FM_SERIES_FILE_MAX) {
		fm_strlcpy(dst, clean, dlen);
		return;
	}
	for (p = name; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	snprintf(dst, dlen, "%.*s~%016llx", FM_SERIES_FILE_MAX - 17, clean,
	    (unsigned long long)h);
}

/*
 * snprintf for paths and messages that may be cut on purpose (a cause
 * cut to its field, a key): -1 when the result was cut, so that callers
 * that care can tell, and the compiler does not flag every such cut.
 */
int
fm_fmt(char *dst, size_t len, const char *f, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(dst, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * A file of a newer release is refused, never read as far as this one
 * understands it: a field it does not know may change what the ones it
 * knows mean.  0 when version is one this release reads.
 */
int
fm_version_check(const char *what, unsigned long version,
    unsigned long known, char *err, size_t errlen)
{
	if (version <= known)
		return 0;
	fm_fmt(err, errlen, "%s: version %lu is newer than this facmon (%lu)",
	    what, version, known);
	return -1;
}

/* FNV-1a: spreads probe start times, nothing cryptographic. */
uint32_t
fm_hash32(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

/*
 * Write a file so that readers see the old or the new content, never a
 * part: write a temporary file beside it, fsync, rename over.
 */
int
fm_write_file_atomic(const char *path, const void *data, size_t len,
    char *err, size_t errlen)
{
	char	 tmp[PATH_MAX];
	int	 fd;
	const uint8_t *p = data;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* mkdir -p */
int
fm_mkdirs(const char *path, int mode)
{
	char	 buf[PATH_MAX];
	char	*p;

	if (fm_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* ---- a growing text buffer ---- */

void
sb_puts(struct sbuf *b, const char *s)
{
	size_t	 n = strlen(s);

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t	 nc = b->cap ? b->cap : 4096;
		char	*np;

		while (nc < b->len + n + 1)
			nc *= 2;
		if ((np = realloc(b->p, nc)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big = NULL;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_puts(b, small);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	sb_puts(b, big);
	free(big);
}

int
sb_write(struct sbuf *b, const char *path, char *err, size_t errlen)
{
	int	 rc;

	if (b->err) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -1;
	} else
		rc = fm_write_file_atomic(path, b->p ? b->p : "", b->len, err,
		    errlen);
	free(b->p);
	memset(b, 0, sizeof(*b));
	return rc;
}

/* Text into HTML: every byte that could start markup is escaped. */
void
sb_html(struct sbuf *b, const char *s)
{
	char	 one[2] = { 0, 0 };
	size_t	 n;

	for (; *s; s++) {
		switch (*s) {
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '"':
			sb_puts(b, "&quot;");
			break;
		case '\'':
			sb_puts(b, "&#39;");
			break;
		default:
			/* Invalid UTF-8 becomes U+FFFD: a page stays a page. */
			if ((n = fm_utf8_len((const unsigned char *)s,
			    strnlen(s, 4))) == 0) {
				sb_puts(b, "\xef\xbf\xbd");
				break;
			}
			while (n-- > 0) {
				one[0] = *s;
				sb_puts(b, one);
				if (n > 0)
					s++;
			}
		}
	}
}

/*
 * base and path with exactly one '/' between them, whether base ends
 * in '/' or not ("http://h/" + "#device/x" is "http://h/#device/x"; a
 * doubled slash makes the web server refuse the request).  -1 when it
 * does not fit, with dst empty: a cut link would lead somewhere else.
 */
int
fm_url_join(char *dst, size_t len, const char *base, const char *path)
{
	size_t	 bl = strlen(base);

	if (len == 0)
		return -1;
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	while (*path == '/')
		path++;
	if ((size_t)snprintf(dst, len, "%.*s/%s", (int)bl, base, path) >=
	    len) {
		dst[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * nbytes from the kernel's random source as 2 * nbytes hex digits and a
 * NUL into dst (which holds them): session tokens, CSRF tokens, nonces.
 * -1, and dst "", if the kernel gave fewer: a guessable token is worse
 * than none.
 */
int
fm_random_hex(char *dst, size_t nbytes)
{
	unsigned char b[64];
	size_t	 i;

	dst[0] = '\0';
	if (nbytes > sizeof(b) ||
	    getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		return -1;
	for (i = 0; i < nbytes; i++)
		snprintf(dst + 2 * i, 3, "%02x", b[i]);
	explicit_bzero(b, sizeof(b));
	return 0;
}

/* A rename or a new file is durable only once its directory is on disk. */
int
fm_fsync_dir(const char *dir)
{
	int	 fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}
