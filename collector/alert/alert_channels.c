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
 * The alert channels facmon knows, one row each (alert_channel.h).  The
 * order is the order the error for an unknown type lists them in.
 */

#include <string.h>

#include "alert_channel.h"

extern const struct channel_ops channel_smtp;	/* alert_smtp.c */
extern const struct channel_ops channel_gammu;	/* alert_gammu.c */
extern const struct channel_ops channel_aliyun;	/* alert_aliyun.c */
extern const struct channel_ops channel_tencent;	/* alert_tencent.c */
extern const struct channel_ops channel_webhook;	/* alert_webhook.c */
extern const struct channel_ops channel_file;	/* alert_file.c */

const struct channel_ops *const alert_channel_table[] = {
	&channel_smtp,
	&channel_gammu,
	&channel_aliyun,
	&channel_tencent,
	&channel_webhook,
	&channel_file,
	NULL
};

const struct channel_ops *
alert_channel_ops(const char *type)
{
	int	 i;

	for (i = 0; alert_channel_table[i] != NULL; i++)
		if (strcmp(alert_channel_table[i]->type, type) == 0)
			return alert_channel_table[i];
	return NULL;
}
