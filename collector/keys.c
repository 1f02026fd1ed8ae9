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
 * The agents' TLS keys: <keys_dir>/<agent id>.psk, one per agent, made
 * by `facmon-collector -f FILE keygen AGENT_ID`.  They are read with the
 * configuration (at start and on SIGHUP), never while a handshake waits,
 * so that the event loop never touches the disk for them.
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "collector.h"

static int
key_path(const struct collector_conf *c, const char *id, char *path,
    size_t len)
{
	return (size_t)snprintf(path, len, "%s/%s.psk", c->keys_dir, id) >=
	    len ? -1 : 0;
}

/*
 * A key that is missing only means the agent cannot connect yet (and
 * is told so in the log); a key that others may read, or that is
 * damaged, makes the configuration invalid, so the daemon does not
 * start with it.
 */
void
keys_load(struct cfgerr *e, const struct config_setting_t *grp,
    struct collector_conf *c)
{
	const config_setting_t *where;
	char	 path[PATH_MAX], err[PATH_MAX + 128];
	struct stat st;
	int	 i;

	where = config_setting_get_member(grp, "keys_dir");
	if (where == NULL)
		where = config_setting_get_member(grp, "agents");
	if (stat(c->keys_dir, &st) == 0 && (st.st_mode & 077)) {
		cfgerr_add(e, where, "keys_dir %s: readable by group or "
		    "others (mode %04o); refused: chmod 700 %s", c->keys_dir,
		    (unsigned int)(st.st_mode & 07777), c->keys_dir);
		return;
	}
	for (i = 0; i < c->nagents; i++) {
		struct agent_entry *a = &c->agents[i];

		if (a->revoked)
			continue;
		if (key_path(c, a->id, path, sizeof(path)) == -1) {
			cfgerr_add(e, where, "keys_dir: path too long");
			return;
		}
		if (fm_psk_read(path, a->key, err, sizeof(err)) == 0) {
			a->has_key = 1;
			continue;
		}
		if (access(path, F_OK) == -1 && errno == ENOENT) {
			log_warnx("agent %s has no key (%s): it cannot "
			    "connect until `facmon-collector -f %s keygen %s` "
			    "and a reload", a->id, path, c->file, a->id);
			continue;
		}
		cfgerr_add(e, where, "%s", err);
	}
}

/*
 * keygen is run as root on an installed system, where the daemons run as
 * the user that owns data_dir (facmon, made by the packages): the key
 * files go to that user, or neither daemon could read its key.  The
 * agent's copy goes to it too, for an agent on the same machine; a copy
 * for another machine is chowned there.
 */
static int
give_to_owner(const struct collector_conf *c, const char *path,
    const char *agent_file)
{
	struct stat st;

	if (geteuid() != 0 || stat(c->data_dir, &st) == -1 || st.st_uid == 0)
		return 0;
	if (chown(c->keys_dir, st.st_uid, st.st_gid) == -1 ||
	    chown(path, st.st_uid, st.st_gid) == -1 ||
	    (agent_file != NULL &&
	    chown(agent_file, st.st_uid, st.st_gid) == -1)) {
		fprintf(stderr, "keygen: chown to the owner of %s: %s\n",
		    c->data_dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Make a new key for an agent (a new one replaces the old: that is how a
 * key is rotated), and print what goes into the agent's configuration.
 * With agent_file, the agent's copy is written there as well.
 */
int
keys_keygen(const struct collector_conf *c, const char *id,
    const char *agent_file)
{
	char	 path[PATH_MAX], err[PATH_MAX + 128], hex[FM_PSK_HEXLEN + 1];
	uint8_t	 key[FM_PSK_LEN];

	if (!fm_valid_id(id)) {
		fprintf(stderr, "keygen: invalid agent id '%s'\n", id);
		return -1;
	}
	if (key_path(c, id, path, sizeof(path)) == -1) {
		fprintf(stderr, "keygen: keys_dir path too long\n");
		return -1;
	}
	if (fm_mkdirs(c->keys_dir, 0700) == -1) {
		fprintf(stderr, "keygen: %s: %s\n", c->keys_dir,
		    strerror(errno));
		return -1;
	}
	if (fm_psk_new(key) == -1) {
		fprintf(stderr, "keygen: no random bytes\n");
		return -1;
	}
	if (fm_psk_write(path, key, err, sizeof(err)) == -1 ||
	    (agent_file != NULL &&
	    fm_psk_write(agent_file, key, err, sizeof(err)) == -1)) {
		fprintf(stderr, "keygen: %s\n", err);
		return -1;
	}
	if (give_to_owner(c, path, agent_file) == -1)
		return -1;
	fm_psk_hex(key, hex);
	printf("# Key of agent \"%s\" written to %s.\n", id, path);
	if (collector_conf_agent(c, id) == NULL)
		printf("# %s does not list this agent yet: add\n"
		    "#   { id = \"%s\"; }\n# to its agents.\n", c->file, id);
	printf("# Reload the collector (SIGHUP) to use it.  In the agent's "
	    "configuration:\n#   agent: { id = \"%s\"; ... tls_psk_file = "
	    "\"%s\"; };\n", id, agent_file != NULL ? agent_file :
	    FACMON_SYSCONFDIR "/agent.psk");
	if (agent_file != NULL)
		printf("# (written, mode 0600).\n");
	else
		printf("# and that file (mode 0600, owned by the agent's "
		    "user) holds this line:\n%s\n", hex);
	return 0;
}
