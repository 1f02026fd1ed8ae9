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
 * The values of a check as people read them: beside the raw number of
 * /api/v1/devices/{id}, what the agent said the value is (VALMETA,
 * docs/wire.md): its row's label and alias, its column, its unit, an
 * enumeration's word and the number scaled with its unit ("23.5 %",
 * "1 Gbit/s"), and whether the template marks it important.  The page
 * shows these as they come, so that the API and the page agree.
 *
 * Only state's accessors are read here; a value the agent described
 * nothing of (an older agent, a check that is not SNMP) keeps exactly
 * the fields it had before.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"

/* An enumeration's word for v in "1:up,2:down", or NULL. */
static const char *
enum_word(const char *enums, double v, char *buf, size_t len)
{
	const char *p = enums, *colon, *end;
	long	 k;
	char	*e;

	if (v != rint(v))
		return NULL;
	while (*p != '\0') {
		k = strtol(p, &e, 10);
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		colon = e;
		if (e != p && *colon == ':' && (double)k == v) {
			size_t	 n = (size_t)(end - colon - 1);

			if (n >= len)
				n = len - 1;
			memcpy(buf, colon + 1, n);
			buf[n] = '\0';
			return buf;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return NULL;
}

/*
 * A number for people: whole numbers as they are, others to three
 * significant digits (or one decimal from 100 up); bit/s with SI
 * prefixes, as link speeds and traffic are read.
 */
static void
display(char *buf, size_t len, double x, const char *unit)
{
	static const char *const si[] = { "", "k", "M", "G", "T" };
	int	 p = 0;

	if (strcmp(unit, "bit/s") == 0)
		while (fabs(x) >= 1000 && p < 4) {
			x /= 1000;
			p++;
		}
	if (x == rint(x) && fabs(x) < 1e15)
		snprintf(buf, len, "%.0f", x);
	else if (fabs(x) >= 100)
		snprintf(buf, len, "%.1f", x);
	else
		snprintf(buf, len, "%.3g", x);
	if (unit[0] != '\0') {
		size_t	 n = strlen(buf);

		snprintf(buf + n, len - n, " %s%s", si[p], unit);
	}
}

static void
value_fields(json_t *o, const struct value_state *v,
    const struct fm_valmeta *m, const struct fm_vmval *mv)
{
	const struct fm_vmcol *col = mv->col != FM_VM_NONE ?
	    &m->cols[mv->col] : NULL;
	const struct fm_vmrow *row = mv->row != FM_VM_NONE ?
	    &m->rows[mv->row] : NULL;
	const char *word = NULL;
	char	 wbuf[FM_VM_ENUMS_MAX], dbuf[96];
	double	 x = NAN;

	json_object_set_new(o, "column", col ? fm_jstr(col->name) :
	    json_null());
	json_object_set_new(o, "label", row && row->label ?
	    fm_jstr(row->label) : json_null());
	json_object_set_new(o, "alias", row && row->alias ?
	    fm_jstr(row->alias) : json_null());
	json_object_set_new(o, "unit", col && col->unit[0] ?
	    fm_jstr(col->unit) : json_null());
	json_object_set_new(o, "scale", json_real(col ? col->scale : 1));
	json_object_set_new(o, "important", json_boolean((col &&
	    col->important) || (row && row->important)));
	if (v->kind == VK_TEXT) {
		json_object_set_new(o, "text", fm_jstr(v->text ? v->text :
		    ""));
		json_object_set_new(o, "display", fm_jstr(v->text ? v->text :
		    ""));
		return;
	}
	if (v->kind == VK_GAUGE && col != NULL && col->enums != NULL)
		word = enum_word(col->enums, v->d, wbuf, sizeof(wbuf));
	json_object_set_new(o, "text", word ? fm_jstr(word) : json_null());
	if (word != NULL) {
		json_object_set_new(o, "display", fm_jstr(word));
		return;
	}
	/* A counter is shown by its rate; none yet, nothing to show. */
	x = v->d * (col ? col->scale : 1);
	if (!isfinite(x)) {
		json_object_set_new(o, "display", json_null());
		return;
	}
	display(dbuf, sizeof(dbuf), x, col ? col->unit : "");
	json_object_set_new(o, "display", fm_jstr(dbuf));
}

/*
 * The fields above for every value of c that the agent described, into
 * vals (check_json()'s object of value objects, keyed by name).
 */
void
valmeta_values_json(json_t *vals, const struct check_state *c)
{
	const struct fm_vmval *mv;
	json_t	*o;
	int	 i;

	if (c->meta == NULL)
		return;
	for (i = 0; i < c->nvalues; i++) {
		const struct value_state *v = &c->values[i];

		if ((mv = state_valmeta_find(c, v->name)) == NULL ||
		    (o = json_object_get(vals, v->name)) == NULL ||
		    !json_is_object(o))
			continue;
		value_fields(o, v, c->meta, mv);
	}
}
