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
 * The availability report (facmon-report, and the collector's monthly
 * run): every figure is computed once into a struct rpt by
 * report_build() from the outage journal through common/availq.c, and
 * each format only lays those figures out.  Nothing in a format
 * computes a number, so the formats cannot disagree.
 */

#ifndef FACMON_REPORT_H
#define FACMON_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../avail/avail.h"

enum report_format {
	RF_HTML = 1 << 0,
	RF_PDF = 1 << 1,
	RF_XLSX = 1 << 2,
	RF_CSV = 1 << 3,
	RF_JSON = 1 << 4,
	RF_ALL = 0x1f
};

struct report_conf {
	const struct avconf *av;
	const char	*cfgpath;	/* checksummed into the report; or NULL */
	const char	*journal;	/* NULL: av->journal */
	const char	*lang;		/* "zh", "en"; NULL: the config's */
	const char	*group;		/* only this group; NULL: the site */
	int64_t		 generated_ms;	/* 0: SOURCE_DATE_EPOCH, else now */
	int64_t		 now_ms;	/* where a period not over ends;
					   0: the clock (av_period_end) */
	int		 skip_unseen;	/* make nothing for a period over
					   before the journal's first record */
};

/* report_make(): the period was never seen (skip_unseen). */
#define REPORT_UNSEEN	1

int	 report_make(const struct report_conf *, int64_t from_ms,
	    int64_t to_ms, unsigned formats, const char *out_dir,
	    char *err, size_t errlen);
int	 report_format_parse(const char *, unsigned *);

/* ---- the model: internal to report/ ---- */

enum rpt_kind { RK_MONTH = 1, RK_YEAR, RK_RANGE };

struct rpt_ind {
	const struct av_indicator *a;
	double		 value;		/* fraction or ms; NaN: none */
	int		 met;		/* 1, 0, -1 no data */
	int		 measured;	/* 0: the metric has no data source */
	int		 ndevices;
	struct aq_row	 row;		/* the devices it covers, added up */
	char		 value_text[96];
	char		 footnote[1024];
	char		 deviation[1024];	/* 偏差原因, when missed */
};

struct rpt_series {
	const char	*key;		/* a group */
	const char	*name;		/* the group's, as the tables say it */
	double		*avail;		/* per bucket; NaN: nothing seen */
	double		*burn;		/* budget left, % of the period's */
	double		 budget_ms;	/* the period's; NaN: no target */
};

/*
 * A month of the year report.  Each month that has begun and that the
 * journal reaches is a whole monthly model, built by the same code as
 * the monthly report on the same journal, so that the year's columns
 * cannot differ from the monthly reports.
 */
enum ym_state {
	YM_FUTURE = 0,		/* not begun: "—" */
	YM_BEFORE,		/* over before monitoring began: no data */
	YM_CLOSED,		/* over */
	YM_OPEN			/* the month so far */
};

struct rpt_month {
	int		 state;		/* enum ym_state */
	int64_t		 from, to;	/* the month as asked */
	struct rpt	*m;		/* its model; NULL unless closed/open */
};

struct rpt {
	const struct report_conf *rc;
	const struct avconf *av;
	int		 L;		/* 0 Chinese, 1 English */
	int		 kind;
	int64_t		 from, to;	/* to: the period's end, or now */
	int64_t		 period_to;	/* the period's end as asked */
	int		 open;		/* not over: counted up to now */
	char		 asof[32];	/* "YYYY-MM-DD HH:MM", when open */
	char		 label[64];	/* "2026-10", "2026", or a range */
	char		 from_text[32], to_text[32];
	char		 generated[32];
	const char	*journal;
	struct aq	 q;
	struct aq_row	*devrows;	/* aq_compute's, in q.dev order */
	size_t		*devorder;	/* shown devices, by group then id */
	size_t		 ndevshown;
	struct aq_row	*groups;
	size_t		 ngroups;
	struct aq_row	*classes;
	size_t		 nclasses;
	struct aq_row	 site;
	struct rpt_ind	*ind;
	int		 nind;
	int		 ind_met, ind_missed, ind_nodata, ind_unmeasured;
	int		 dev_met, dev_missed;
	struct aq_period_outage *out;
	size_t		 nout;
	/* Charts: days for a month or shorter, months for longer. */
	int		 nbuckets;
	int64_t		*bstart;
	char		(*blabel)[16];
	struct rpt_series *series;
	size_t		 nseries;
	char		 journal_sha256[65];
	char		 config_sha256[65];
	int64_t		 now;		/* the one "now" of every figure */
	int64_t		 monitored_from; /* the journal's first record;
					   INT64_MAX: none */
	int		 partial;	/* monitoring began inside the period */
	int		 borrowed;	/* q belongs to the year's model */
	/* The year report's months (RK_YEAR), and their settings. */
	struct rpt_month *months;
	int		 nmonths;
	struct report_conf subrc;
};

int	 report_build(struct rpt *, const struct report_conf *, int64_t from,
	    int64_t to, char *err, size_t errlen);
void	 report_free(struct rpt *);

/* Wording and number formats shared by the formats (model.c). */
#define TR(r, zh, en)	((r)->L ? (en) : (zh))

/*
 * Below this share of the period seen, a row gets no verdict: its met
 * is MET_FEW and it reads 数据不足.  A few minutes of a month say
 * nothing of the month; 1 % of a month is about seven hours.  The web
 * console uses the same bound (web/app.js, MIN_COVERAGE).
 */
#define RPT_MIN_COVERAGE	0.01
#define MET_FEW		(-2)
void	 fmt_pct(char *, size_t, double frac);
void	 fmt_dur(const struct rpt *, char *, size_t, double ms);
void	 fmt_time(char *, size_t, int64_t ms);
const char *met_text(const struct rpt *, int met);
const char *kind_text(const struct rpt *, int oj_class);
int	 row_met(const struct aq_row *);
const char *title_text(const struct rpt *, char *, size_t);
const char *method_text(const struct rpt *, int para);
const char *unmeasured_text(const struct rpt *);
int	 report_file(const struct rpt *, const char *dir, const char *ext,
	    char *path, size_t);
int	 commit_file(const char *tmp, const char *path, char *, size_t);

struct srow {
	const char	*label;
	char		 text[1024];
	double		 num;		/* NaN unless kind is a number */
	int		 kind;		/* enum col_kind */
};
int	 summary_row(const struct rpt *, int, struct srow *);
int	 method_fact(const struct rpt *, int, struct srow *);
int	 signoff_row(const struct rpt *, int, struct srow *);
const char *signoff_line(const struct rpt *, char *, size_t);

/* The per-group and per-device table: one column set for every format. */
enum col_kind { CK_TEXT, CK_PCT, CK_DUR, CK_INT, CK_MET, CK_UNMEASURED,
	CK_TIME };
struct rpt_col {
	const char	*zh, *en;
	int		 kind;
};
#define RPT_NCOLS	16
extern const struct rpt_col rpt_cols[RPT_NCOLS];
double	 row_value(const struct aq_row *, int col);	/* non-text columns */
void	 row_name(const struct rpt *, const struct aq_row *, int is_device,
	    char *, size_t);
void	 cell_text(const struct rpt *, const struct aq_row *, int is_device,
	    int col, char *, size_t);

/*
 * The year table: one row for the site, each group and each indicator,
 * one column per month and the year's figure last (YT_NCOLS).
 */
#define YT_NCOLS	13
int	 year_nrows(const struct rpt *);
int	 year_row(const struct rpt *, int row, const char **id, char *name,
	    size_t, char *target, size_t);
int	 year_cell(const struct rpt *, int row, int col, char *, size_t,
	    double *num, int *kind);
void	 year_col_label(const struct rpt *, int col, char *, size_t);
const char *ym_state_name(int);

/* The outage list columns. */
/* The PDF and HTML show RPT_NOCOLS; the CSV and workbook the detail too. */
#define RPT_NOCOLS	9
#define RPT_NOCOLS_DETAIL 10
extern const struct rpt_col rpt_ocols[RPT_NOCOLS_DETAIL];
void	 outage_cell(const struct rpt *, const struct aq_period_outage *,
	    int col, char *, size_t);

/* Charts, drawn by the PDF (cairo) and HTML (SVG) canvases (chart.c). */
struct canvas {
	void	*ctx;
	void	(*line)(void *, const double *xy, int n, unsigned rgb,
		    double width, int dashed);
	void	(*rect)(void *, double x, double y, double w, double h,
		    unsigned rgb);
	void	(*text)(void *, double x, double y, const char *, double size,
		    int anchor /* -1 left, 0 centre, 1 right */, unsigned rgb);
};
void	 chart_avail(const struct rpt *, const struct canvas *, double w,
	    double h);
void	 chart_burn(const struct rpt *, const struct canvas *, double w,
	    double h);

/* The formats. */
int	 out_html(const struct rpt *, const char *path, char *, size_t);
int	 out_pdf(const struct rpt *, const char *path, char *, size_t);
int	 out_xlsx(const struct rpt *, const char *path, char *, size_t);
int	 out_csv(const struct rpt *, const char *path, char *, size_t);
int	 out_json(const struct rpt *, const char *path, char *, size_t);

#endif /* FACMON_REPORT_H */
