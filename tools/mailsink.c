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
 * facmon-mailsink: the demo's mail server.  It accepts every message
 * sent to it over plain SMTP on a loopback address and writes it, as
 * received, to DIR/<time>-<n>.eml (a temporary name, then renamed), so
 * that 'make run' shows the e-mails the collector sends without a real
 * mail server.  One client at a time, each line and each message
 * bounded, and at most -n messages kept: beyond that it answers 452 and
 * keeps nothing more.  Not a mail server for anything but a demo.
 *
 *   facmon-mailsink -l 127.0.0.1:2525 -d DIR [-n 1000]
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../common/common.h"

#define LINE_MAX_	1000			/* RFC 5321 4.5.3.1.6 */
#define MESSAGE_MAX	(4 * 1024 * 1024)
#define IDLE_SECS	30

struct client {
	int	 fd;
	char	 buf[LINE_MAX_ + 2];
	size_t	 len;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: facmon-mailsink -l 127.0.0.1:PORT -d DIR "
	    "[-n max]\n");
	exit(2);
}

static int
say(struct client *c, const char *line)
{
	size_t	 n = strlen(line), off = 0;
	ssize_t	 w;

	while (off < n) {
		if ((w = write(c->fd, line + off, n - off)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/*
 * One line without its CRLF into out: 1, 0 at the end of the
 * connection, -1 on an error or a line too long (the client is
 * dropped: a demo sink needs no recovery).
 */
static int
get_line(struct client *c, char *out, size_t outlen)
{
	char	*nl;
	ssize_t	 r;
	size_t	 n;

	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			n = (size_t)(nl - c->buf);
			if (n > 0 && c->buf[n - 1] == '\r')
				n--;
			if (n >= outlen)
				return -1;
			memcpy(out, c->buf, n);
			out[n] = '\0';
			n = (size_t)(nl - c->buf) + 1;
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return 1;
		}
		if (c->len >= sizeof(c->buf))
			return -1;
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r == -1 && errno == EINTR && !quit)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		c->len += (size_t)r;
	}
}

static int
count_messages(const char *dir)
{
	DIR	*d;
	struct dirent *de;
	int	 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".eml") != NULL &&
		    de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
store(const char *dir, const struct sbuf *msg, unsigned seq)
{
	char	 path[1100], err[256];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(path, sizeof(path), "%s/%lld%03ld-%u.eml", dir,
	    (long long)ts.tv_sec, ts.tv_nsec / 1000000, seq);
	if (fm_write_file_atomic(path, msg->p ? msg->p : "", msg->len, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("kept %s (%zu bytes)", path, msg->len);
	return 0;
}

/* One SMTP session: everything accepted, every message kept. */
static void
serve(struct client *c, const char *dir, int max, unsigned *seq)
{
	char	 line[LINE_MAX_ + 1];
	struct sbuf msg;
	int	 r, in_mail = 0, nrcpt = 0;

	say(c, "220 facmon-mailsink ESMTP (demo: nothing is delivered)\r\n");
	while (!quit && (r = get_line(c, line, sizeof(line))) == 1) {
		if (strncasecmp(line, "EHLO", 4) == 0)
			r = say(c, "250-facmon-mailsink\r\n250-8BITMIME\r\n"
			    "250 SMTPUTF8\r\n");
		else if (strncasecmp(line, "HELO", 4) == 0)
			r = say(c, "250 facmon-mailsink\r\n");
		else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			in_mail = 1;
			nrcpt = 0;
			r = say(c, "250 OK\r\n");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			if (!in_mail)
				r = say(c, "503 MAIL first\r\n");
			else if (count_messages(dir) >= max)
				r = say(c, "452 the demo's mailbox is full\r\n");
			else {
				nrcpt++;
				r = say(c, "250 OK\r\n");
			}
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			if (nrcpt == 0) {
				r = say(c, "503 RCPT first\r\n");
				continue;
			}
			if (say(c, "354 end with <CRLF>.<CRLF>\r\n") == -1)
				break;
			memset(&msg, 0, sizeof(msg));
			while ((r = get_line(c, line, sizeof(line))) == 1 &&
			    strcmp(line, ".") != 0) {
				/* Dot-stuffing undone (RFC 5321 4.5.2). */
				sb_puts(&msg, line[0] == '.' ? line + 1 : line);
				sb_puts(&msg, "\r\n");
				if (msg.len > MESSAGE_MAX) {
					r = -1;
					break;
				}
			}
			if (r != 1 || msg.err) {
				free(msg.p);
				break;
			}
			r = say(c, store(dir, &msg, ++*seq) == 0 ?
			    "250 OK: kept\r\n" : "451 cannot keep it\r\n");
			free(msg.p);
			in_mail = nrcpt = 0;
		} else if (strncasecmp(line, "RSET", 4) == 0) {
			in_mail = nrcpt = 0;
			r = say(c, "250 OK\r\n");
		} else if (strncasecmp(line, "NOOP", 4) == 0)
			r = say(c, "250 OK\r\n");
		else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(c, "221 bye\r\n");
			break;
		} else
			r = say(c, "502 not here\r\n");
		if (r == -1)
			break;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	struct timeval tv = { IDLE_SECS, 0 };
	struct sigaction sa;
	const char *listen_at = NULL, *dir = NULL;
	char	 host[64], *colon, *end;
	unsigned seq = 0;
	long	 port, max = 1000;
	int	 ch, s, one = 1;

	while ((ch = getopt(argc, argv, "l:d:n:")) != -1) {
		switch (ch) {
		case 'l':
			listen_at = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			max = strtol(optarg, &end, 10);
			if (*end != '\0' || max < 1 || max > 100000)
				usage();
			break;
		default:
			usage();
		}
	}
	if (listen_at == NULL || dir == NULL || optind != argc ||
	    fm_strlcpy(host, listen_at, sizeof(host)) >= sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL)
		usage();
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	/* Loopback only: this keeps anything anyone sends it. */
	if (*end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1 ||
	    (ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "facmon-mailsink: -l: an address of "
		    "127.0.0.0/8 and a port\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)port);
	log_init("facmon-mailsink", 1, 0);
	if (fm_mkdirs(dir, 0700) == -1)
		fatal("%s", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 8) == -1)
		fatal("%s", listen_at);
	log_info("listening on %s, keeping messages in %s", listen_at, dir);
	while (!quit) {
		struct client c;

		memset(&c, 0, sizeof(c));
		if ((c.fd = accept4(s, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EINTR)
				log_warn("accept");
			continue;
		}
		/* A client that says nothing does not hold the sink. */
		setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve(&c, dir, (int)max, &seq);
		close(c.fd);
	}
	close(s);
	return 0;
}
