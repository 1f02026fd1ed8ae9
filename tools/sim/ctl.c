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
 * The control socket.  One command per connection, one line each way
 * and then the payload: "OK" or "ERR <why>" first, then lines of data,
 * then the server closes.  'facmon-sim ctl' is the client; commands may
 * come from its arguments or, one per line, from a file, and an error
 * in a file is reported as file:line like a config error.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "sim.h"

#define CTL_LINE_MAX	1024

static struct evconnlistener *ctl_l;

/* "30s", "500ms", "2m", "1h", "0" or plain seconds; -1 if bad. */
static int64_t
parse_dur(const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || v > 86400.0 * 365)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return (int64_t)(v * 1000);
	if (strcmp(end, "ms") == 0)
		return (int64_t)v;
	if (strcmp(end, "m") == 0)
		return (int64_t)(v * 60000);
	if (strcmp(end, "h") == 0)
		return (int64_t)(v * 3600000);
	return -1;
}

static int
split(char *line, char **av, int max)
{
	int	 n = 0;
	char	*p;

	while ((p = strsep(&line, " \t")) != NULL) {
		if (*p == '\0')
			continue;
		if (n == max)
			return -1;
		av[n++] = p;
	}
	return n;
}

/* Runs one command; writes "OK"/"ERR ..." and the payload to fd. */
static void
ctl_run(int fd, char *line)
{
	char	*av[8], err[256];
	struct device *d;
	int	 ac, i, k;

	if ((ac = split(line, av, 8)) == -1) {
		dprintf(fd, "ERR too many words\n");
		return;
	}
	if (ac == 0) {
		dprintf(fd, "ERR empty command\n");
		return;
	}
	if (strcmp(av[0], "ping") == 0 && ac == 1) {
		dprintf(fd, "OK\npong\n");
	} else if (strcmp(av[0], "devices") == 0 && ac == 1) {
		dprintf(fd, "OK\n");
		for (i = 0; i < sim->ndevs; i++) {
			d = &sim->devs[i];
			dprintf(fd, "%s %s:%d %s %s\n", d->id, d->addr,
			    d->snmp_port, model_name(d->model), d->class);
		}
	} else if (strcmp(av[0], "inject") == 0) {
		int64_t	 dur = 0, arg = 0;
		char	*end;

		if (ac < 3 || ac > 5) {
			dprintf(fd, "ERR usage: inject DEVICE KIND "
			    "[DURATION [ARG]]\n");
			return;
		}
		if ((d = dev_find(av[1])) == NULL) {
			dprintf(fd, "ERR no device '%s'\n", av[1]);
			return;
		}
		if ((k = fault_parse(av[2])) == -1) {
			dprintf(fd, "ERR unknown fault kind '%s'\n", av[2]);
			return;
		}
		if (ac >= 4 && (dur = parse_dur(av[3])) == -1) {
			dprintf(fd, "ERR bad duration '%s' (0 = until cleared, "
			    "30s, 500ms, 2m)\n", av[3]);
			return;
		}
		if (ac == 5) {
			errno = 0;
			arg = strtoll(av[4], &end, 10);
			if (*end != '\0' || errno || arg < 0 ||
			    arg > INT_MAX) {
				dprintf(fd, "ERR bad argument '%s'\n", av[4]);
				return;
			}
		}
		if (fault_inject(d, k, dur, arg, ac == 5, "ctl", err,
		    sizeof(err)) == -1) {
			dprintf(fd, "ERR %s\n", err);
			return;
		}
		dprintf(fd, "OK\n%llu\n", (unsigned long long)sim->seq);
	} else if (strcmp(av[0], "clear") == 0 && (ac == 2 || ac == 3)) {
		k = -1;
		if (ac == 3 && (k = fault_parse(av[2])) == -1) {
			dprintf(fd, "ERR unknown fault kind '%s'\n", av[2]);
			return;
		}
		if (strcmp(av[1], "all") == 0) {
			int	 n = 0;

			for (i = 0; i < sim->ndevs; i++)
				n += fault_clear(&sim->devs[i], k, "ctl");
			dprintf(fd, "OK\n%d\n", n);
			return;
		}
		if ((d = dev_find(av[1])) == NULL) {
			dprintf(fd, "ERR no device '%s'\n", av[1]);
			return;
		}
		dprintf(fd, "OK\n%d\n", fault_clear(d, k, "ctl"));
	} else if (strcmp(av[0], "faults") == 0 && ac == 1) {
		dprintf(fd, "OK\n");
		for (i = 0; i < sim->ndevs; i++)
			for (k = 0; k < FK_MAX; k++) {
				struct fault *f = sim->devs[i].fault[k];

				if (f == NULL)
					continue;
				dprintf(fd, "%s %s %lld %lld %lld %s\n",
				    f->dev->id, fault_name(k),
				    (long long)f->arg, (long long)f->start_ms,
				    (long long)f->end_ms, f->by);
			}
	} else if (strcmp(av[0], "history") == 0 && ac <= 2) {
		long long since = 0;

		if (ac == 2) {
			char	*end;

			since = strtoll(av[1], &end, 10);
			if (*end != '\0' || since < 0) {
				dprintf(fd, "ERR bad sequence number '%s'\n",
				    av[1]);
				return;
			}
		}
		dprintf(fd, "OK\n");
		truth_dump(fd, since);
	} else if (strcmp(av[0], "stats") == 0 && ac == 1) {
		uint64_t req = 0, resp = 0, drop = 0;

		for (i = 0; i < sim->ndevs; i++) {
			req += sim->devs[i].nreq;
			resp += sim->devs[i].nresp;
			drop += sim->devs[i].ndrop;
		}
		dprintf(fd, "OK\ndevices %d\nrequests %llu\nresponses %llu\n"
		    "dropped %llu\ntraps %llu\n", sim->ndevs,
		    (unsigned long long)req, (unsigned long long)resp,
		    (unsigned long long)drop,
		    (unsigned long long)sim->ntraps);
		modbus_stats(fd);
	} else
		dprintf(fd, "ERR unknown command '%s' (ping, devices, inject, "
		    "clear, faults, history, stats)\n", av[0]);
}

/*
 * Commands are short and answered at once, so the connection is read
 * with a bufferevent for the line and answered with plain writes.
 */
static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char	*line;
	size_t	 n;
	int	 fd = bufferevent_getfd(bev);

	(void)arg;
	line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CTL_LINE_MAX) {
			dprintf(fd, "ERR line too long\n");
			bufferevent_free(bev);
		}
		return;
	}
	if (n > CTL_LINE_MAX)
		dprintf(fd, "ERR line too long\n");
	else {
		/* The answer may be long (history); block while writing. */
		int	 fl = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		ctl_run(fd, line);
	}
	free(line);
	bufferevent_free(bev);
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent *bev;
	struct timeval tv = { 10, 0 };

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	bev = bufferevent_socket_new(sim->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, ctl_read, NULL, ctl_event, NULL);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ);
}

int
ctl_listen(struct sim *s)
{
	struct sockaddr_un sun;

	if (s->ctl_path[0] == '\0')
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	fm_strlcpy(sun.sun_path, s->ctl_path, sizeof(sun.sun_path));
	unlink(s->ctl_path);
	ctl_l = evconnlistener_new_bind(s->base, ctl_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	if (ctl_l == NULL) {
		log_warn("control socket %s", s->ctl_path);
		return -1;
	}
	return 0;
}

void
ctl_close(void)
{
	if (ctl_l != NULL) {
		evconnlistener_free(ctl_l);
		unlink(sim->ctl_path);
	}
}

/* --- the client ------------------------------------------------------------ */

/* Sends one command; prints the payload; 0, or -1 with err set. */
static int
ctl_send(const char *path, const char *cmd, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char	 buf[8192];
	ssize_t	 n;
	size_t	 have = 0;
	int	 fd, first = 1, rc = 0;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	fm_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (dprintf(fd, "%s\n", cmd) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		close(fd);
		return -1;
	}
	/* The first line is the status; the rest goes to stdout as is. */
	while ((n = read(fd, buf + have, sizeof(buf) - have - 1)) > 0) {
		char	*nl;

		have += (size_t)n;
		buf[have] = '\0';
		if (first) {
			if ((nl = strchr(buf, '\n')) == NULL) {
				if (have < sizeof(buf) - 1)
					continue;
				nl = buf + have - 1;
			}
			*nl = '\0';
			if (strncmp(buf, "ERR ", 4) == 0) {
				snprintf(err, errlen, "%.400s", buf + 4);
				rc = -1;
				break;
			}
			if (strcmp(buf, "OK") != 0) {
				snprintf(err, errlen, "bad answer '%.200s'", buf);
				rc = -1;
				break;
			}
			first = 0;
			fwrite(nl + 1, 1, have - (size_t)(nl + 1 - buf), stdout);
		} else
			fwrite(buf, 1, have, stdout);
		have = 0;
	}
	if (rc == 0 && first) {
		snprintf(err, errlen, "no answer");
		rc = -1;
	}
	close(fd);
	fflush(stdout);
	return rc;
}

static __dead void
ctl_usage(void)
{
	fprintf(stderr, "usage: facmon-sim ctl -s SOCKET COMMAND [ARG ...]\n"
	    "       facmon-sim ctl -s SOCKET -f FILE   (one command a line; "
	    "- is stdin)\n"
	    "commands: ping | devices | faults | stats | history [SEQ] |\n"
	    "          inject DEVICE KIND [DURATION [ARG]] |\n"
	    "          clear DEVICE|all [KIND]\n");
	exit(2);
}

int
ctl_main(int argc, char **argv)
{
	const char *sock = NULL, *file = NULL;
	char	 err[512], cmd[CTL_LINE_MAX + 2];
	int	 ch, i, bad = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "+s:f:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		default:
			ctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (sock == NULL || (file == NULL) == (argc == 0))
		ctl_usage();
	if (file != NULL) {
		FILE	*fp = strcmp(file, "-") == 0 ? stdin :
		    fopen(file, "r");
		char	*line = NULL;
		size_t	 cap = 0;
		ssize_t	 n;
		int	 lineno = 0;

		if (fp == NULL) {
			fprintf(stderr, "%s: %s\n", file, strerror(errno));
			return 1;
		}
		/* Every line is tried; each error names its line. */
		while ((n = getline(&line, &cap, fp)) != -1) {
			char	*p = line;

			lineno++;
			line[strcspn(line, "\r\n")] = '\0';
			p += strspn(p, " \t");
			if (*p == '\0' || *p == '#')
				continue;
			if (strlen(p) > CTL_LINE_MAX) {
				fprintf(stderr, "%s:%d: line too long\n", file,
				    lineno);
				bad++;
				continue;
			}
			if (ctl_send(sock, p, err, sizeof(err)) == -1) {
				fprintf(stderr, "%s:%d: %s\n", file, lineno,
				    err);
				bad++;
			}
		}
		free(line);
		if (fp != stdin)
			fclose(fp);
		return bad ? 1 : 0;
	}
	cmd[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (strlen(cmd) + strlen(argv[i]) + 2 > sizeof(cmd)) {
			fprintf(stderr, "facmon-sim ctl: command too long\n");
			return 1;
		}
		if (i)
			strcat(cmd, " ");
		strcat(cmd, argv[i]);
	}
	if (ctl_send(sock, cmd, err, sizeof(err)) == -1) {
		fprintf(stderr, "facmon-sim ctl: %s\n", err);
		return 1;
	}
	return 0;
}
