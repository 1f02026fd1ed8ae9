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
 * For the alert unit tests, included once by each after cmocka.h and the
 * alert headers: an alerts block read the way the collector reads its
 * file (alert_conf_load on a real file), so that the parser under test
 * is the daemon's, errors and line numbers included.
 */

#ifndef FACMON_TEST_ALERT_LOAD_H
#define FACMON_TEST_ALERT_LOAD_H

static struct alert_conf *
load_text(const char *text, struct cfgerr *e)
{
	char	 path[] = "/tmp/facmon-alert-conf-XXXXXX";
	struct alert_conf *c;
	int	 fd = mkstemp(path);

	assert_true(fd != -1);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	cfgerr_init(e, path);
	c = alert_conf_load(path, e);
	unlink(path);
	return c;
}

#endif /* FACMON_TEST_ALERT_LOAD_H */
