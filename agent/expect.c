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
 * Expectations on a check's values: a device that answers is not yet a
 * device that works.  An elevator whose gateway answers SNMP but
 * reports a fault, a UPS running on battery, an LED wall without input
 * signal -- each probe is "ok" on the wire and the device is still not
 * running normally.  A check can therefore name conditions on its own
 * values; a probe that met none of them fails with "bad_value", and the
 * message says which value was wrong and what was expected:
 *
 *	expect_values = ( { value = "operState"; equals = 1; },
 *	                  { value = "ifOperStatus.*"; in = [ 1 ]; },
 *	                  { value = "failedModules"; max = 3; },
 *	                  { value = "sysDescr"; contains = "Linux"; } );
 *
 * "name.*" applies to every value under that prefix (the rows of a
 * walked column) and needs at least one.  Counters are compared by
 * their rate.  The rules are the same for every probe type.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static const char *const expect_keys[] = { "value", "equals", "in", "min",
	"max", "contains", NULL };

static int
get_number(const config_setting_t *s, double *d)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*d = (double)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*d = config_setting_get_float(s);
		return 0;
	}
	return -1;
}

int
expect_parse(struct cfgerr *e, const config_setting_t *chk,
    struct check_conf *cc)
{
	config_setting_t *l = config_setting_get_member(chk, "expect_values"), *s, *m;
	int	 i, k, n, nerr = e->n;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l)) {
		cfgerr_add(e, l, "'expect_values' must be a list ( { value = "
		    "...; }, ... )");
		return -1;
	}
	n = config_setting_length(l);
	if (n > EXPECT_MAX) {
		cfgerr_add(e, l, "more than %d expectations", EXPECT_MAX);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((cc->expect = calloc((size_t)n, sizeof(*cc->expect))) == NULL)
		fatal("calloc");
	cc->nexpect = n;
	for (i = 0; i < n; i++) {
		struct expect *x = &cc->expect[i];
		int	 conds = 0;

		s = config_setting_get_elem(l, (unsigned)i);
		x->min = -INFINITY;
		x->max = INFINITY;
		if (!config_setting_is_group(s)) {
			cfgerr_add(e, s, "an expectation is a group { value = "
			    "...; equals | in | min | max | contains = ...; }");
			continue;
		}
		cfg_check_keys(e, s, expect_keys);
		if (cfg_get_str(e, s, "value", x->value, sizeof(x->value), 1)
		    == 1) {
			size_t	 len = strlen(x->value);

			if (len > 2 && strcmp(x->value + len - 2, ".*") == 0) {
				x->prefix = 1;
				x->value[len - 1] = '\0';	/* keep the dot */
			}
		}
		if ((m = config_setting_get_member(s, "equals")) != NULL) {
			conds++;
			x->nin = 1;
			if (get_number(m, &x->in[0]) == -1)
				cfgerr_add(e, m, "'equals' must be a number");
		}
		if ((m = config_setting_get_member(s, "in")) != NULL) {
			conds++;
			if (!config_setting_is_aggregate(m) ||
			    config_setting_length(m) < 1 ||
			    config_setting_length(m) > EXPECT_IN_MAX)
				cfgerr_add(e, m, "'in' must be a list of 1 to %d "
				    "numbers", EXPECT_IN_MAX);
			else
				for (k = 0; k < config_setting_length(m); k++)
					if (get_number(config_setting_get_elem(m,
					    (unsigned)k), &x->in[x->nin++]) == -1)
						cfgerr_add(e, m, "'in' must be "
						    "a list of numbers");
		}
		if ((m = config_setting_get_member(s, "min")) != NULL) {
			conds++;
			if (get_number(m, &x->min) == -1)
				cfgerr_add(e, m, "'min' must be a number");
		}
		if ((m = config_setting_get_member(s, "max")) != NULL) {
			conds++;
			if (get_number(m, &x->max) == -1)
				cfgerr_add(e, m, "'max' must be a number");
		}
		if (x->min > x->max)
			cfgerr_add(e, s, "'min' is above 'max'");
		if (cfg_get_str(e, s, "contains", x->contains,
		    sizeof(x->contains), 0) == 1) {
			conds++;
			x->has_contains = 1;
		}
		if (conds == 0)
			cfgerr_add(e, s, "expectation on '%s' has no condition "
			    "(equals, in, min, max or contains)", x->value);
		if (x->has_contains && conds > 1)
			cfgerr_add(e, s, "'contains' is for text values and "
			    "goes alone");
	}
	return e->n > nerr ? -1 : 0;
}

static int
number_ok(const struct expect *x, double d)
{
	int	 i;

	if (isnan(d) || d < x->min || d > x->max)
		return 0;
	if (x->nin == 0)
		return 1;
	for (i = 0; i < x->nin; i++)
		if (d == x->in[i])
			return 1;
	return 0;
}

static void
describe(const struct expect *x, char *buf, size_t len)
{
	int	 i;
	size_t	 o = 0;

	if (x->has_contains) {
		snprintf(buf, len, "containing \"%s\"", x->contains);
		return;
	}
	buf[0] = '\0';
	if (x->nin == 1)
		o += (size_t)snprintf(buf + o, len - o, "%g", x->in[0]);
	else if (x->nin > 1) {
		o += (size_t)snprintf(buf + o, len - o, "one of");
		for (i = 0; i < x->nin && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s %g",
			    i ? "," : "", x->in[i]);
	}
	if (x->min > -INFINITY && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%s>= %g", o ? ", " :
		    "", x->min);
	if (x->max < INFINITY && o < len)
		snprintf(buf + o, len - o, "%s<= %g", o ? ", " : "", x->max);
}

/* Check one value; 0 if it passes, else -1 with the message set. */
static int
one(const struct expect *x, const struct fm_value *v, struct fm_result *r)
{
	char	 want[160];
	double	 d;

	if (x->has_contains) {
		if (v->kind == VK_TEXT && v->text != NULL &&
		    strstr(v->text, x->contains) != NULL)
			return 0;
		describe(x, want, sizeof(want));
		result_fail(r, PR_BAD_VALUE, "%s is \"%.40s\", expected %s",
		    v->name, v->kind == VK_TEXT && v->text ? v->text : "",
		    want);
		return -1;
	}
	d = v->kind == VK_TEXT ? NAN : v->d;
	if (number_ok(x, d))
		return 0;
	/* A counter with no rate yet (the first sample) is not wrong. */
	if (v->kind == VK_COUNTER && isnan(d))
		return 0;
	describe(x, want, sizeof(want));
	if (v->kind == VK_TEXT)
		result_fail(r, PR_BAD_VALUE, "%s is text, expected %s",
		    v->name, want);
	else
		result_fail(r, PR_BAD_VALUE, "%s = %g, expected %s", v->name,
		    d, want);
	return -1;
}

/* Apply a check's expectations to a successful probe's result. */
void
expect_eval(const struct check_conf *cc, struct fm_result *r)
{
	int	 i;
	uint16_t k;

	if (r->outcome != PR_OK)
		return;
	for (i = 0; i < cc->nexpect; i++) {
		const struct expect *x = &cc->expect[i];
		int	 seen = 0;
		size_t	 plen = strlen(x->value);

		for (k = 0; k < r->nvalues; k++) {
			const struct fm_value *v = &r->values[k];

			if (x->prefix ? strncmp(v->name, x->value, plen) != 0 :
			    strcmp(v->name, x->value) != 0)
				continue;
			seen++;
			if (one(x, v, r) == -1)
				return;
		}
		if (!seen) {
			result_fail(r, PR_BAD_VALUE, "no value %s%s",
			    x->value, x->prefix ? "*" : "");
			return;
		}
	}
}
