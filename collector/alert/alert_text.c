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
 * What an on-duty engineer reads: the sentences of alerts, in Chinese or
 * English, built from the facts of an alert (alert_facts) rather than
 * from a probe's message, so that a timeout, a threshold or a trap of
 * the facility MIB reads as a sentence with names, decoded values and
 * units.  Times are local times of the configured zone (the collector
 * sets TZ to it at start, before any thread runs), always with the
 * offset in full texts, so that nobody has to guess.
 *
 * The SMS is composed, not cut: its parts have an importance, and the
 * least important ones are left out until the text fits its segments;
 * only then is a part shortened, between Chinese characters or at a
 * blank, never inside a Latin word or a number.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"

/* --- small helpers -------------------------------------------------------- */

/* Append to dst (NUL-terminated, size len); silently cut at the end. */
static void
cat(char *dst, size_t len, const char *s)
{
	size_t	 l = strlen(dst);

	if (l + 1 < len)
		fm_strlcpy(dst + l, s, len - l);
}

static size_t
u8len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return 2;
	if (s[0] >= 0xe0 && s[0] <= 0xef)
		return 3;
	if (s[0] >= 0xf0 && s[0] <= 0xf4)
		return 4;
	return 1;
}

/*
 * A number as people write it: no exponent, at most two decimals, no
 * trailing zeros ("29.1", "0.52", "100000000").
 */
static void
num(char *dst, size_t len, double v)
{
	char	*p;

	if (isnan(v)) {
		fm_strlcpy(dst, "-", len);
		return;
	}
	if (fabs(v) >= 100 || v == floor(v))
		fm_fmt(dst, len, "%.0f", v);
	else if (fabs(v) >= 10)
		fm_fmt(dst, len, "%.1f", v);
	else
		fm_fmt(dst, len, "%.2f", v);
	if (strchr(dst, '.') != NULL) {
		p = dst + strlen(dst) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	if (strcmp(dst, "-0") == 0)
		fm_strlcpy(dst, "0", len);
}

/* --- times ---------------------------------------------------------------- */

/*
 * AT_FULL: "2026-12-06 18:30:05 +08:00"; AT_SHORT: "12-06 18:30" (an
 * SMS, where the zone is the centre's by convention and room is short).
 */
void
alert_time(char *dst, size_t len, int64_t ms, int style, int english)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;
	char	 b[48];
	long	 off;

	(void)english;
	if (ms <= 0 || localtime_r(&t, &tm) == NULL) {
		fm_strlcpy(dst, "-", len);
		return;
	}
	if (style == AT_SHORT) {
		strftime(dst, len, "%m-%d %H:%M", &tm);
		return;
	}
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	fm_fmt(dst, len, "%s %c%02ld:%02ld", b, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

/* --- words ---------------------------------------------------------------- */

static const char *const kind_zh[] = { "告警", "故障", "恢复", "超限",
	"系统告警", "测试", "事件" };
static const char *const kind_en[] = { "ALERT", "DOWN", "RECOVERED",
	"THRESHOLD", "FACMON HEALTH", "TEST", "EVENT" };

const char *
alert_kind_text(int kind, int english)
{
	if (kind < AK_DOWN || kind > AK_MAX)
		kind = 0;
	return english ? kind_en[kind] : kind_zh[kind];
}

const char *
alert_severity_text(int severity, int english)
{
	switch (severity) {
	case AS_CRITICAL:
		return english ? "CRITICAL" : "严重";
	case AS_WARNING:
		return english ? "WARNING" : "警告";
	default:
		return english ? "INFO" : "提示";
	}
}

/*
 * A probe's failure in words: the same sentence as on the wall and in
 * the report (common/cause.c).
 */
static void
probe_sentence(char *dst, size_t len, const struct alert_msg *m, int en)
{
	struct fm_cause c;

	c.check_type = m->f.check_type;
	c.outcome = m->f.outcome;
	c.timeout_ms = m->f.timeout_ms;
	c.dur_ms = m->f.dur_ms;
	c.msg = m->cause;
	fm_probe_sentence(dst, len, &c, en);
}

/* --- the facility MIB ------------------------------------------------------ */

#define FAC_OID		"1.3.6.1.4.1.32473.1"
#define FAC_NOTIF	FAC_OID ".0."
#define FAC_OBJ		FAC_OID ".1."

enum { MT_INT = 0, MT_ENUM, MT_TEXT };

struct mib_obj {
	int		 table, col;
	const char	*name;
	const char	*zh, *en;
	int		 type;
	const char	*unit_zh, *unit_en;
	double		 scale;
	/* enums: value 1, 2, ... in order; "" ends */
	const char	*ev_zh[6], *ev_en[6];
};

static const struct mib_obj mib_objs[] = {
	{ 1, 2, "facElevName", "名称", "name", MT_TEXT, "", "", 1, {0}, {0} },
	{ 1, 3, "facElevOperState", "运行状态", "state", MT_ENUM, "", "", 1,
	    { "正常", "故障", "检修", "停梯" },
	    { "normal", "fault", "maintenance", "stopped" } },
	{ 1, 4, "facElevFloor", "所在楼层", "floor", MT_INT, "层", "", 1,
	    {0}, {0} },
	{ 1, 5, "facElevDirection", "运行方向", "direction", MT_ENUM, "", "",
	    1, { "静止", "上行", "下行" }, { "stationary", "up", "down" } },
	{ 1, 6, "facElevDoorState", "轿门", "door", MT_ENUM, "", "", 1,
	    { "关闭", "正在打开", "打开", "正在关闭" },
	    { "closed", "opening", "open", "closing" } },
	{ 1, 7, "facElevFaultCode", "故障码", "fault code", MT_INT, "", "", 1,
	    {0}, {0} },
	{ 1, 8, "facElevTrips", "运行次数", "trips", MT_INT, "次", "", 1,
	    {0}, {0} },
	{ 1, 9, "facElevRunningHours", "累计运行", "running hours", MT_INT,
	    "小时", "h", 1, {0}, {0} },
	{ 2, 2, "facHvacName", "名称", "name", MT_TEXT, "", "", 1, {0}, {0} },
	{ 2, 3, "facHvacPower", "电源", "power", MT_ENUM, "", "", 1,
	    { "开", "关" }, { "on", "off" } },
	{ 2, 4, "facHvacMode", "模式", "mode", MT_ENUM, "", "", 1,
	    { "制冷", "制热", "送风", "自动", "除湿" },
	    { "cool", "heat", "fan", "auto", "dry" } },
	{ 2, 5, "facHvacSetpoint", "设定温度", "setpoint", MT_INT, "℃", "°C",
	    0.1, {0}, {0} },
	{ 2, 6, "facHvacSupplyTemp", "送风温度", "supply air", MT_INT, "℃",
	    "°C", 0.1, {0}, {0} },
	{ 2, 7, "facHvacReturnTemp", "回风温度", "return air", MT_INT, "℃",
	    "°C", 0.1, {0}, {0} },
	{ 2, 8, "facHvacFaultCode", "故障码", "fault code", MT_INT, "", "", 1,
	    {0}, {0} },
	{ 2, 9, "facHvacFilterAlarm", "滤网", "filter", MT_ENUM, "", "", 1,
	    { "需更换", "正常" }, { "needs replacing", "ok" } },
	{ 3, 2, "facLedName", "名称", "name", MT_TEXT, "", "", 1, {0}, {0} },
	{ 3, 3, "facLedPower", "电源", "power", MT_ENUM, "", "", 1,
	    { "开", "关" }, { "on", "off" } },
	{ 3, 4, "facLedSignalPresent", "输入信号", "input signal", MT_ENUM, "",
	    "", 1, { "有", "无" }, { "present", "lost" } },
	{ 3, 5, "facLedBrightness", "亮度", "brightness", MT_INT, "%", "%", 1,
	    {0}, {0} },
	{ 3, 6, "facLedCabinetTemp", "箱体温度", "cabinet", MT_INT, "℃", "°C",
	    0.1, {0}, {0} },
	{ 3, 7, "facLedModules", "模组总数", "modules", MT_INT, "块", "", 1,
	    {0}, {0} },
	{ 3, 8, "facLedFailedModules", "故障模组", "failed modules", MT_INT,
	    "块", "", 1, {0}, {0} },
	{ 3, 9, "facLedFailedPixels", "坏点", "failed pixels", MT_INT, "个",
	    "", 1, {0}, {0} },
	{ 4, 2, "facTermName", "名称", "name", MT_TEXT, "", "", 1, {0}, {0} },
	{ 4, 3, "facTermKind", "类型", "kind", MT_ENUM, "", "", 1,
	    { "触摸屏", "评价器", "其他" },
	    { "touch screen", "evaluation terminal", "other" } },
	{ 4, 4, "facTermOnline", "在线状态", "status", MT_ENUM, "", "", 1,
	    { "在线", "离线" }, { "online", "offline" } },
	{ 4, 6, "facTermHeartbeatAge", "距上次心跳", "last heartbeat",
	    MT_INT, "秒", "s ago", 1, {0}, {0} },
	{ 5, 2, "facApName", "名称", "name", MT_TEXT, "", "", 1, {0}, {0} },
	{ 5, 4, "facApOperState", "状态", "state", MT_ENUM, "", "", 1,
	    { "在线", "离线", "升级中" }, { "online", "offline", "upgrading" } },
	{ 5, 5, "facApClients", "终端数", "clients", MT_INT, "个", "", 1,
	    {0}, {0} },
};
#define NMIB_OBJS	(sizeof(mib_objs) / sizeof(mib_objs[0]))

struct mib_notif {
	int		 n;
	const char	*zh, *en;
	int		 table;			/* whose index names the unit */
};

static const struct mib_notif mib_notifs[] = {
	{ 1, "电梯故障停运", "Elevator out of service (fault)", 1 },
	{ 2, "电梯恢复正常运行", "Elevator back in service", 1 },
	{ 3, "空调机组告警", "HVAC unit alarm", 2 },
	{ 4, "LED 屏模组故障", "LED wall module failure", 3 },
	{ 5, "LED 屏输入信号丢失", "LED wall lost its input signal", 3 },
};

static const char *const unit_zh[] = { "", "号电梯", "号空调机组",
	"号 LED 屏", "号终端", "号 AP" };
static const char *const unit_en[] = { "", "elevator", "HVAC unit",
	"LED wall", "terminal", "AP" };

/* Strip a leading '.' and "iso." spelling differences. */
static const char *
oid_norm(const char *s)
{
	while (*s == '.')
		s++;
	if (strncmp(s, "iso.", 4) == 0) {
		static char b[160];

		/* Only ever used on one thread (the alert worker). */
		fm_fmt(b, sizeof(b), "1.%s", s + 4);
		return b;
	}
	return s;
}

/*
 * An object of the facility MIB named by its name or its numeric OID
 * (with an instance index, returned in *index); NULL if it is not one.
 */
static const struct mib_obj *
mib_find(const char *s, long *index)
{
	const char *p;
	char	*end;
	long	 t, c;
	size_t	 i, l;

	*index = 0;
	for (i = 0; i < NMIB_OBJS; i++) {
		l = strlen(mib_objs[i].name);
		if (strncmp(s, mib_objs[i].name, l) == 0 && (s[l] == '\0' ||
		    s[l] == '.')) {
			if (s[l] == '.')
				*index = strtol(s + l + 1, NULL, 10);
			return &mib_objs[i];
		}
	}
	p = oid_norm(s);
	if (strncmp(p, FAC_OBJ, strlen(FAC_OBJ)) != 0)
		return NULL;
	p += strlen(FAC_OBJ);
	t = strtol(p, &end, 10);
	if (*end != '.' || strncmp(end, ".1.", 3) != 0)
		return NULL;
	c = strtol(end + 3, &end, 10);
	if (*end == '.')
		*index = strtol(end + 1, NULL, 10);
	for (i = 0; i < NMIB_OBJS; i++)
		if (mib_objs[i].table == t && mib_objs[i].col == c)
			return &mib_objs[i];
	return NULL;
}

/*
 * A value name's label, unit and scale when it is an object of the
 * facility MIB (by name or number); 0 if it is not.
 */
int
alert_mib_label(const char *name, char *label, size_t llen, char *unit,
    size_t ulen, double *scale, int english)
{
	const struct mib_obj *o;
	long	 idx;

	if ((o = mib_find(name, &idx)) == NULL)
		return 0;
	fm_strlcpy(label, english ? o->en : o->zh, llen);
	fm_strlcpy(unit, english ? o->unit_en : o->unit_zh, ulen);
	*scale = o->scale;
	return 1;
}

/* "运行状态 故障", "回风温度 29.1℃", "floor 3". */
static void
mib_value(char *dst, size_t len, const struct mib_obj *o, const char *v,
    int en)
{
	char	 n[32], *end;
	double	 d = strtod(v, &end);
	long	 k;

	if (o->type == MT_TEXT || *v == '\0' || *end != '\0') {
		fm_fmt(dst, len, "%s %s", en ? o->en : o->zh, v);
		alert_one_line(dst, len, dst);
		return;
	}
	if (o->type == MT_ENUM) {
		k = (long)d;
		if (k >= 1 && k <= 6 && o->ev_zh[k - 1] != NULL) {
			fm_fmt(dst, len, "%s %s", en ? o->en : o->zh,
			    en ? o->ev_en[k - 1] : o->ev_zh[k - 1]);
			return;
		}
		fm_fmt(dst, len, "%s %ld", en ? o->en : o->zh, k);
		return;
	}
	num(n, sizeof(n), d * o->scale);
	if (en)
		fm_fmt(dst, len, "%s %s%s%s", o->en, n, o->unit_en[0] &&
		    strcmp(o->unit_en, "%") != 0 ? " " : "", o->unit_en);
	else
		fm_fmt(dst, len, "%s %s%s", o->zh, n, o->unit_zh);
}

/* What the agent says about a trap itself (agent/trap.c), not its data. */
static int
trap_meta(const char *name)
{
	return strcmp(name, "version") == 0 || strcmp(name, "user") == 0;
}

/*
 * Does the sentence say all a trap carried?  Then its raw variable
 * bindings (numeric OIDs) are left out of the e-mail too.
 */
int
alert_trap_decoded(const struct alert_msg *m)
{
	char	 vb[sizeof(m->f.varbinds)], *tok, *save = NULL;
	long	 idx;

	if (m->f.what != AW_TRAP || strncmp(oid_norm(m->f.trap_oid), FAC_NOTIF,
	    strlen(FAC_NOTIF)) != 0)
		return 0;
	fm_strlcpy(vb, m->f.varbinds, sizeof(vb));
	for (tok = strtok_r(vb, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		char	*eq = strchr(tok, '=');

		while (*tok == ' ')
			tok++;
		if (eq != NULL)
			*eq = '\0';
		if (!trap_meta(tok) && mib_find(tok, &idx) == NULL)
			return 0;
	}
	return 1;
}

static void
trap_sentence(char *dst, size_t len, const struct alert_msg *m, int en)
{
	const struct alert_facts *f = &m->f;
	const struct mib_notif *nt = NULL;
	const char *p = oid_norm(f->trap_oid);
	char	 vb[sizeof(f->varbinds)], *tok, *save = NULL, one[160];
	long	 unit = 0, idx;
	size_t	 i;
	int	 first = 1, nother = 0;

	if (strncmp(p, FAC_NOTIF, strlen(FAC_NOTIF)) == 0) {
		long	 n = strtol(p + strlen(FAC_NOTIF), NULL, 10);

		for (i = 0; i < sizeof(mib_notifs) / sizeof(mib_notifs[0]); i++)
			if (mib_notifs[i].n == n)
				nt = &mib_notifs[i];
	}
	/* The configured rule name when the MIB does not say (label). */
	if (nt != NULL)
		fm_strlcpy(dst, en ? nt->en : nt->zh, len);
	else if (f->label[0] != '\0' && strcmp(f->label, f->trap_oid) != 0)
		fm_strlcpy(dst, f->label, len);
	else
		fm_strlcpy(dst, en ? "Notification from the device" :
		    "设备发出通知", len);
	fm_strlcpy(vb, f->varbinds, sizeof(vb));
	for (tok = strtok_r(vb, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		char	*eq = strchr(tok, '=');
		const struct mib_obj *o;

		while (*tok == ' ')
			tok++;
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (trap_meta(tok))
			continue;
		if ((o = mib_find(tok, &idx)) == NULL) {
			nother++;
			continue;
		}
		if (nt != NULL && o->table == nt->table && idx > 0)
			unit = idx;
		mib_value(one, sizeof(one), o, eq + 1, en);
		cat(dst, len, first ? (en ? ": " : "：") : (en ? ", " : "，"));
		cat(dst, len, one);
		first = 0;
	}
	if (unit > 0 && nt != NULL) {
		char	 title[FM_TEXT_MAX], rest[FM_TEXT_MAX * 2];
		size_t	 tl = strlen(en ? nt->en : nt->zh);

		/* "电梯故障停运（1号电梯）：..." -- which unit, in the title. */
		fm_strlcpy(rest, dst + tl, sizeof(rest));
		if (en)
			fm_fmt(title, sizeof(title), "%s, %s %ld", nt->en,
			    unit_en[nt->table], unit);
		else
			fm_fmt(title, sizeof(title), "%s（%ld%s）", nt->zh, unit,
			    unit_zh[nt->table]);
		fm_fmt(dst, len, "%s%s", title, rest);
	}
	if (nother > 0 && first) {
		fm_fmt(one, sizeof(one), en ? " (%d values, see the e-mail)" :
		    "（%d 项数据，详见邮件）", nother);
		cat(dst, len, one);
	}
}

/* --- thresholds ------------------------------------------------------------ */

static void
thr_label(const struct alert_msg *m, char *label, size_t llen, char *unit,
    size_t ulen, double *scale, int en)
{
	const struct alert_facts *f = &m->f;

	*scale = f->scale != 0 ? f->scale : 1;
	fm_strlcpy(label, en && f->label_en[0] ? f->label_en : f->label, llen);
	fm_strlcpy(unit, f->unit, ulen);
	if (strcmp(f->value_name, "duration_ms") == 0) {
		if (label[0] == '\0')
			fm_strlcpy(label, en ? "response time" : "响应时间",
			    llen);
		if (unit[0] == '\0')
			fm_strlcpy(unit, en ? "ms" : "毫秒", ulen);
		return;
	}
	if (label[0] == '\0') {
		char	 l2[64], u2[24];
		double	 s2;

		if (alert_mib_label(f->value_name, l2, sizeof(l2), u2,
		    sizeof(u2), &s2, en)) {
			fm_strlcpy(label, l2, llen);
			if (unit[0] == '\0')
				fm_strlcpy(unit, u2, ulen);
			if (f->scale == 0)
				*scale = s2;
		} else
			fm_strlcpy(label, f->value_name, llen);
	}
}

static void
with_unit(char *dst, size_t len, double v, const char *unit, int en)
{
	char	 n[32];

	num(n, sizeof(n), v);
	/* A symbol sticks to its number; a word is set apart in English. */
	fm_fmt(dst, len, "%s%s%s", n, en && unit[0] && strcmp(unit, "%") &&
	    strcmp(unit, "°C") && strcmp(unit, "℃") ? " " : "", unit);
}

static void
thr_sentence(char *dst, size_t len, const struct alert_msg *m, int en)
{
	static const char *const op_zh[] = { "", "高于上限", "低于下限",
		"等于告警值", "不等于正常值", "达到上限", "达到下限" };
	static const char *const op_en[] = { "", "above the limit of",
		"below the limit of", "equal to the alarm value",
		"not the normal value", "at or above the limit of",
		"at or below the limit of" };
	const struct alert_facts *f = &m->f;
	char	 label[64], unit[24], v[48], l[48], dur[32], text[FM_TEXT_MAX];
	double	 sc;
	int	 op = f->op >= AOP_GT && f->op <= AOP_LE ? f->op : AOP_GT;

	thr_label(m, label, sizeof(label), unit, sizeof(unit), &sc, en);
	with_unit(v, sizeof(v), f->value * sc, unit, en);
	with_unit(l, sizeof(l), f->limit * sc, unit, en);
	text[0] = '\0';
	/* The configured text is the site's own words (often Chinese). */
	if (m->cause[0] != '\0' && !en)
		fm_fmt(text, sizeof(text), "%s：", m->cause);
	if (m->kind == AK_RECOVERY) {
		alert_duration(dur, sizeof(dur), m->duration_ms, en);
		if (en)
			fm_fmt(dst, len, "%s back to %s (limit %s)%s%s", label,
			    v, l, m->duration_ms >= 1000 ? " after " : "",
			    m->duration_ms >= 1000 ? dur : "");
		else
			fm_fmt(dst, len, "%s%s已恢复至 %s（阈值 %s）%s%s", text,
			    label, v, l, m->duration_ms >= 1000 ? "，超限持续" :
			    "", m->duration_ms >= 1000 ? dur : "");
		return;
	}
	if (en)
		fm_fmt(dst, len, "%s %s, %s %s", label, v, op_en[op], l);
	else
		fm_fmt(dst, len, "%s%s %s，%s %s", text, label, v, op_zh[op],
		    l);
	if (f->hits > 1) {
		fm_fmt(text, sizeof(text), en ? " (%d results in a row)" :
		    "（连续%d次）", f->hits);
		cat(dst, len, text);
	}
}

/* --- the parts of a message ----------------------------------------------- */

static void what1(char *, size_t, const struct alert_msg *, int);

/* A short length of time for a health text: 4.2秒, 1分35秒. */
static void
health_dur(char *dst, size_t len, int64_t ms, int en)
{
	long long s;

	if (ms < 0)
		ms = 0;
	s = (long long)(ms / 1000);
	if (ms < 60000)
		fm_fmt(dst, len, en ? "%.1f s" : "%.1f秒", (double)ms / 1000.0);
	else if (ms < 3600000)
		fm_fmt(dst, len, en ? "%lld min %lld s" : "%lld分%lld秒", s / 60,
		    s % 60);
	else
		alert_duration(dst, len, ms, en);
}

/* What a journal's write error means to the person on duty. */
static const char *
errno_text(int e, const char *raw, int en)
{
	switch (e) {
	case ENOSPC:
		return en ? "the disk is full" : "磁盘已满";
	case EDQUOT:
		return en ? "the disk quota is used up" : "磁盘配额已用完";
	case EIO:
		return en ? "the disk reports read/write errors" :
		    "磁盘读写错误";
	case EROFS:
		return en ? "the file system is read-only" : "文件系统为只读";
	case EACCES:
	case EPERM:
		return en ? "no permission to write" : "没有写入权限";
	}
	return raw[0] ? raw : en ? "an error" : "未知错误";
}

/*
 * facmon's own events (events.c) said in words, from their facts: who
 * (the agent), what it means for the monitoring, and what to look at.
 * A kind without words here reads as its English log line.
 */
static void
health_sentence(char *dst, size_t len, const struct alert_msg *m, int en)
{
	const struct alert_facts *f = &m->f;
	char	 a[32], b[32];

	/* The headline names the agent (alert_subject_name): not again. */
	if (strcmp(f->health, "agent-unreachable") == 0) {
		health_dur(a, sizeof(a), f->hn[0], en);
		fm_fmt(dst, len, en ? "lost: nothing heard for %s; the devices it "
		    "watches are now unknown" : "失联：%s未收到任何消息，其所"
		    "监测设备的状态变为未知", a);
	} else if (strcmp(f->health, "agent-reachable") == 0) {
		if (f->harg[0] != '\0')
			fm_fmt(dst, len, en ? "back in touch (from %s)" :
			    "已恢复联系（来自 %s）", f->harg);
		else
			fm_strlcpy(dst, en ? "back in touch" : "已恢复联系",
			    len);
	} else if (strcmp(f->health, "clock-skew") == 0) {
		health_dur(a, sizeof(a), f->hn[0], en);
		health_dur(b, sizeof(b), f->hn[1], en);
		fm_fmt(dst, len, en ? "clock %s ahead (%s allowed); its results "
		    "are kept out of the graphs: check its time sync (NTP)" :
		    "时钟超前%s（允许%s），其结果不写入曲线图；请检查时间同步"
		    "（NTP）", a, b);
	} else if (strcmp(f->health, "storage-alarm") == 0) {
		fm_fmt(dst, len, en ? "the journal cannot write to disk (%s): "
		    "agents' results are not acknowledged and wait in their "
		    "spools" : "数据日志无法写入磁盘（%s）：暂不确认采集代理的"
		    "结果，结果暂存在代理的缓存中", errno_text((int)f->hn[0],
		    f->harg, en));
	} else if (strcmp(f->health, "storage-ok") == 0) {
		fm_strlcpy(dst, en ? "the journal writes to disk again; "
		    "results are acknowledged" : "数据日志恢复写入，采集结果"
		    "恢复正常确认", len);
	} else if (strcmp(f->health, "spool-drop") == 0) {
		fm_fmt(dst, len, en ? "spool full: %lld results and %lld values "
		    "dropped so far" : "缓存已满：已丢弃%lld条结果、%lld个数值",
		    (long long)f->hn[0], (long long)f->hn[1]);
	} else if (strcmp(f->health, "rrd-limit") == 0 ||
	    strcmp(f->health, "rrd-budget") == 0) {
		const char *lim = f->hn[1] == 1 ? (en ? "series per check" :
		    "每个检查项的曲线数") : f->hn[1] == 2 ? (en ? "series per "
		    "device" : "每台设备的曲线数") : (en ? "disk space for "
		    "graphs (bytes)" : "曲线图占用磁盘空间（字节）");

		fm_fmt(dst, len, en ? "graph storage limit reached (%s: %lld): "
		    "new series %s not created; its values still count for "
		    "state and availability" : "曲线图存储达到上限（%s：%lld）："
		    "未创建新曲线 %s；其数值仍计入状态和可用率", lim,
		    (long long)f->hn[0], f->harg);
	} else if (strcmp(f->health, "tls-refused") == 0) {
		fm_fmt(dst, len, en ? "connection from %s refused: %s" :
		    "拒绝来自 %s 的连接：%s", f->harg, f->hn[0] == 1 ? (en ?
		    "unknown agent, or no key for it" : "未知的采集代理或无其"
		    "密钥") : f->hn[0] == 2 ? (en ? "wrong key" : "密钥不符") :
		    f->hn[0] == 3 ? (en ? "it names another agent" :
		    "它自称是另一个采集代理") : (en ? "key revoked" :
		    "密钥已吊销"));
	} else if (strcmp(f->health, "report") == 0 && f->hn[0] == 1) {
		fm_fmt(dst, len, en ? "monthly report %s not made: monitoring "
		    "began after that month" : "%s 月报未生成：该月结束后才开始"
		    "监测", f->harg);
	} else if (strcmp(f->health, "report") == 0) {
		fm_fmt(dst, len, en ? "monthly report %s made" : "%s 月报已生成",
		    f->harg);
	} else if (strcmp(f->health, "report_failed") == 0) {
		fm_fmt(dst, len, en ? "monthly report %s failed (facmon-report "
		    "exited with %lld): it is tried again" : "%s 月报生成失败"
		    "（facmon-report 退出码 %lld），稍后重试", f->harg,
		    (long long)f->hn[0]);
	} else if (strcmp(f->health, "report_mail_failed") == 0) {
		fm_fmt(dst, len, en ? "monthly report %s could not be mailed (%lld)"
		    : "%s 月报邮件发送失败（%lld）", f->harg,
		    (long long)f->hn[0]);
	} else
		alert_one_line(dst, len, m->cause);
}

/*
 * An event of events.c in words, as its health alert says it: "who:
 * what" (the /api/v1/events "text").
 */
void
alert_event_text(char *dst, size_t len, const char *kind, const char *agent,
    int64_t n0, int64_t n1, const char *arg, const char *msg, int en)
{
	struct alert_msg m;
	char	 who[FM_TEXT_MAX], what[FM_TEXT_MAX * 2];

	memset(&m, 0, sizeof(m));
	m.f.what = AW_HEALTH;
	fm_strlcpy(m.f.health, kind, sizeof(m.f.health));
	fm_strlcpy(m.f.agent, agent, sizeof(m.f.agent));
	m.f.hn[0] = n0;
	m.f.hn[1] = n1;
	fm_strlcpy(m.f.harg, arg, sizeof(m.f.harg));
	fm_strlcpy(m.cause, msg, sizeof(m.cause));
	alert_subject_name(who, sizeof(who), &m, en);
	health_sentence(what, sizeof(what), &m, en);
	fm_fmt(dst, len, en ? "%s: %s" : "%s：%s", who, what);
}

/*
 * Who a health alert is about, in the reader's language: an agent, or
 * facmon itself.  Every other alert names its device.
 */
const char *
alert_subject_name(char *dst, size_t len, const struct alert_msg *m, int en)
{
	if (m->f.what != AW_HEALTH)
		fm_strlcpy(dst, m->device_name[0] ? m->device_name :
		    m->device_id, len);
	else if (m->f.agent[0] != '\0')
		fm_fmt(dst, len, en ? "facmon agent %s" : "采集代理 %s",
		    m->f.agent);
	else
		fm_strlcpy(dst, en ? "facmon" : "facmon 监控系统", len);
	return dst;
}
static void what_note(char *, size_t, const struct alert_msg *, int, int);

/* What happened, one sentence, no device name; the note first. */
void
alert_what(char *dst, size_t len, const struct alert_msg *m, int en)
{
	what_note(dst, len, m, en, 1);
}

/* names: 0 leaves out the names of the devices behind (an SMS). */
static void
what_note(char *dst, size_t len, const struct alert_msg *m, int en,
    int names)
{
	char	 w[FM_TEXT_MAX * 2], note[FM_TEXT_MAX * 2], d[32];
	const struct alert_facts *f = &m->f;

	what1(w, sizeof(w), m, en);
	alert_duration(d, sizeof(d), f->note_ms, en);
	switch (f->note_kind) {
	case AN_BEHIND:
		if (names)
			fm_fmt(note, sizeof(note), en ? "%d devices behind it "
			    "unreachable (%s)" : "下游%d台不可达（%s）",
			    f->note_n, f->note);
		else
			fm_fmt(note, sizeof(note), en ? "%d devices behind it "
			    "unreachable" : "下游%d台不可达", f->note_n);
		break;
	case AN_BEHIND_ALL:
		fm_fmt(note, sizeof(note), en ? "%d devices behind it affected" :
		    "下游%d台设备受影响", f->note_n);
		break;
	case AN_ESCALATED:
		fm_fmt(note, sizeof(note), en ? "escalated: not acknowledged for "
		    "%s" : "升级：%s无人确认", d);
		break;
	case AN_RENOTIFY:
		fm_fmt(note, sizeof(note), en ? "still down, not acknowledged for "
		    "%s" : "仍未恢复，%s无人确认", d);
		break;
	default:
		note[0] = '\0';
	}
	/* A bare text already starts with it (alerting.c). */
	if (note[0] != '\0' && m->f.what != AW_NONE)
		fm_fmt(dst, len, "%s%s%s", note, en ? "; " : "；", w);
	else
		fm_strlcpy(dst, w, len);
}

static void
what1(char *dst, size_t len, const struct alert_msg *m, int en)
{
	char	 dur[32];

	dst[0] = '\0';
	switch (m->f.what) {
	case AW_PROBE:
		if (m->kind == AK_RECOVERY) {
			alert_duration(dur, sizeof(dur), m->duration_ms, en);
			if (m->duration_ms >= 1000)
				fm_fmt(dst, len, en ? "back to normal after "
				    "%s down" : "已恢复正常，中断%s", dur);
			else
				fm_strlcpy(dst, en ? "back to normal" :
				    "已恢复正常", len);
		} else
			probe_sentence(dst, len, m, en);
		return;
	case AW_THRESHOLD:
		thr_sentence(dst, len, m, en);
		return;
	case AW_TRAP:
		trap_sentence(dst, len, m, en);
		return;
	case AW_HEALTH:
		health_sentence(dst, len, m, en);
		return;
	}
	/* Only a text: facmon's own news, tests, older outbox records. */
	if (m->kind == AK_RECOVERY) {
		alert_duration(dur, sizeof(dur), m->duration_ms, en);
		if (m->duration_ms >= 1000)
			fm_fmt(dst, len, en ? "back to normal after %s down" :
			    "已恢复正常，中断%s", dur);
		else
			fm_strlcpy(dst, en ? "back to normal" : "已恢复正常",
			    len);
		return;
	}
	alert_one_line(dst, len, m->cause);
}

const struct alert_note *
alert_note_find(const struct alert_note *v, int n, const struct alert_msg *m)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (alert_match(&v[i].m, m->kind, AS_CRITICAL, m->device_id,
		    m->f.group, m->f.cls, m->check))
			return &v[i];
	return NULL;
}

static const char *
note_text(const struct alert_note *n, int en)
{
	if (n == NULL)
		return "";
	return en && n->text_en[0] != '\0' ? n->text_en : n->text;
}

/* "暖通空调 · A座 3 楼机房 · 10.0.0.5": group, location, address. */
void
alert_where(char *dst, size_t len, const struct alert_conf *c,
    const struct alert_msg *m, int en)
{
	const char *g = m->f.group, *loc = "";

	dst[0] = '\0';
	if (c != NULL) {
		const struct alert_note *n = alert_note_find(c->group_names,
		    c->ngroup_names, m);

		if (n != NULL)
			g = note_text(n, en);
		loc = note_text(alert_note_find(c->places, c->nplaces, m), en);
	}
	if (g[0] != '\0')
		cat(dst, len, g);
	if (loc[0] != '\0') {
		if (dst[0] != '\0')
			cat(dst, len, " · ");
		cat(dst, len, loc);
	}
	if (m->f.address[0] != '\0') {
		if (dst[0] != '\0')
			cat(dst, len, " · ");
		cat(dst, len, m->f.address);
	}
	alert_one_line(dst, len, dst);
}

void
alert_runbook(char *dst, size_t len, const struct alert_conf *c,
    const struct alert_msg *m, int en)
{
	dst[0] = '\0';
	if (c != NULL)
		alert_one_line(dst, len, note_text(alert_note_find(c->runbooks,
		    c->nrunbooks, m), en));
}

void
alert_budget(char *dst, size_t len, const struct alert_msg *m, int en)
{
	char	 d[32];

	dst[0] = '\0';
	if (!m->f.budget_known)
		return;
	alert_duration(d, sizeof(d), m->f.budget_left_ms < 0 ?
	    -m->f.budget_left_ms : m->f.budget_left_ms, en);
	if (m->f.budget_left_ms >= 0)
		fm_fmt(dst, len, en ? "downtime budget of the group left this "
		    "month: %s" : "本组本月停机预算剩余%s", d);
	else
		fm_fmt(dst, len, en ? "downtime budget of the group overspent "
		    "this month by %s" : "本组本月停机预算已超出%s", d);
}

/* "[严重] 故障：一号电梯", the subject and the first line. */
void
alert_headline(char *dst, size_t len, const struct alert_msg *m, int en)
{
	char	 nb[FM_TEXT_MAX];
	const char *name = alert_subject_name(nb, sizeof(nb), m, en);
	/* A non-critical check's own outage names the check. */
	const char *chk = (m->kind == AK_DOWN || m->kind == AK_RECOVERY) &&
	    m->f.what != AW_THRESHOLD ? m->check : "";

	if (m->kind == AK_RECOVERY)
		fm_fmt(dst, len, "[%s] %s%s%s", en ? "RECOVERED" : "恢复", name,
		    chk[0] ? " " : "", chk);
	else
		fm_fmt(dst, len, en ? "[%s] %s: %s%s%s" : "[%s] %s：%s%s%s",
		    alert_severity_text(m->severity, en),
		    alert_kind_text(m->kind, en), name, chk[0] ? " " : "", chk);
	alert_one_line(dst, len, dst);
}

/* --- the SMS --------------------------------------------------------------- */

static int
all_gsm(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == '[' || *s == ']' ||
		    *s == '{' || *s == '}' || *s == '~' || *s == '^' ||
		    *s == '\\' || *s == '|')
			return 0;
	return 1;
}

/*
 * Characters one message may hold: 70 in UCS-2 (any Chinese), 160 in
 * the GSM alphabet; a concatenated message loses 3 (UCS-2) or 7 (GSM)
 * to its header in every part.
 */
size_t
alert_sms_limit(int gsm, int segments)
{
	if (segments <= 1)
		return gsm ? 160 : 70;
	return (size_t)segments * (gsm ? 153 : 67);
}

static size_t
sms_len(const char *s)
{
	size_t	 n = 0, l;

	while (*s) {
		l = u8len((const unsigned char *)s);
		/* Outside the BMP: a surrogate pair, two UCS-2 units. */
		n += l == 4 ? 2 : 1;
		s += l;
	}
	return n;
}

/* A character that belongs to a Latin word or a number. */
static int
wordish(const char *p)
{
	unsigned char c = (unsigned char)*p;

	return c != '\0' && c < 0x80 && ((c >= '0' && c <= '9') ||
	    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    strchr("._-:/%+#@'", c) != NULL);
}

/*
 * Shorten s to at most max characters (with the "…" it gains), cutting
 * between Chinese characters or at a blank, never inside a Latin word
 * or a number.  Returns 0 if nothing sensible is left.
 */
static int
shorten(char *s, size_t max)
{
	char	*p = s, *best = NULL;
	size_t	 n = 0;

	if (sms_len(s) <= max)
		return 1;
	if (max < 2)
		return 0;
	while (*p && n < max - 1) {
		size_t	 l = u8len((unsigned char *)p);

		n++;
		p += l;
		if (!(p > s && wordish(p - 1) && wordish(p)))
			best = p;
	}
	if (best == NULL)
		return 0;
	*best = '\0';
	/* No separator left hanging before the ellipsis. */
	while (best > s && (best[-1] == ' ' || best[-1] == ',' ||
	    best[-1] == ':' || best[-1] == ';'))
		*--best = '\0';
	while (best - s >= 3 && (strcmp(best - 3, "，") == 0 ||
	    strcmp(best - 3, "：") == 0 || strcmp(best - 3, "、") == 0 ||
	    strcmp(best - 3, "（") == 0)) {
		best -= 3;
		*best = '\0';
	}
	if (best == s)
		return 0;
	fm_strlcpy(best, "…", 4);
	return 1;
}

/*
 * A subject too long for a phone's list, shortened the same way: at a
 * blank or between Chinese characters, never inside a word.
 */
int
alert_shorten(char *s, size_t max)
{
	return shorten(s, max);
}

enum { SP_SIG, SP_HEAD, SP_WHAT, SP_SINCE, SP_DUR, SP_WHERE, SP_BUDGET,
	SP_RUNBOOK, SP_MAX };

static void
sms_join(char *dst, size_t len, char part[SP_MAX][FM_TEXT_MAX * 2],
    const int *on, int en)
{
	int	 i, any = 0;

	dst[0] = '\0';
	for (i = 0; i < SP_MAX; i++) {
		if (!on[i] || part[i][0] == '\0')
			continue;
		if (i == SP_SIG || i == SP_HEAD)
			;
		else if (any)
			cat(dst, len, en ? (i >= SP_WHERE ? ". " : ", ") :
			    (i >= SP_WHERE ? "。" : "，"));
		else if (i > SP_HEAD)
			cat(dst, len, en ? ", " : "，");
		cat(dst, len, part[i]);
		if (i > SP_HEAD)
			any = 1;
	}
}

/*
 * The SMS: parts by importance -- signature, severity, kind and device,
 * what happened, since when, how long, where, the budget, the runbook
 * -- and the least important left out until it fits.  ch may be NULL
 * (defaults: the configuration's signature, one segment).
 */
void
alert_compose_sms(char *dst, size_t len, const struct alert_conf *c,
    const struct alert_channel *ch, const struct alert_msg *m)
{
	static const int drop[] = { SP_RUNBOOK, SP_BUDGET, SP_WHERE, SP_DUR };
	char	 part[SP_MAX][FM_TEXT_MAX * 2];
	char	 head[FM_TEXT_MAX * 2], t[32];
	int	 on[SP_MAX], en = ch != NULL ? ch->english : (c ? c->english : 0);
	int	 segs = ch != NULL && ch->segments > 0 ? ch->segments : 1, i;
	size_t	 limit;
	const char *sig = ch != NULL && ch->has_signature ? ch->signature :
	    (c != NULL ? c->signature : "");

	for (i = 0; i < SP_MAX; i++) {
		part[i][0] = '\0';
		on[i] = 1;
	}
	alert_one_line(part[SP_SIG], sizeof(part[0]), sig);
	alert_headline(head, sizeof(head), m, en);
	fm_strlcpy(part[SP_HEAD], head, sizeof(part[0]));
	alert_what(part[SP_WHAT], sizeof(part[0]), m, en);
	if (m->kind != AK_RECOVERY) {
		alert_time(t, sizeof(t), m->since_ms, AT_SHORT, en);
		if (m->since_ms > 0)
			fm_fmt(part[SP_SINCE], sizeof(part[0]), en ?
			    "since %s" : "%s起", t);
		if (m->duration_ms >= 60000) {
			alert_duration(t, sizeof(t), m->duration_ms, en);
			fm_fmt(part[SP_DUR], sizeof(part[0]), en ?
			    "%s so far" : "已持续%s", t);
		}
	}
	alert_where(part[SP_WHERE], sizeof(part[0]), c, m, en);
	alert_budget(part[SP_BUDGET], sizeof(part[0]), m, en);
	alert_runbook(part[SP_RUNBOOK], sizeof(part[0]), c, m, en);

	sms_join(dst, len, part, on, en);
	limit = alert_sms_limit(all_gsm(dst), segs);
	for (i = 0; i < (int)(sizeof(drop) / sizeof(drop[0])) &&
	    sms_len(dst) > limit; i++) {
		on[drop[i]] = 0;
		sms_join(dst, len, part, on, en);
		limit = alert_sms_limit(all_gsm(dst), segs);
	}
	if (sms_len(dst) <= limit)
		return;
	/* The count of devices behind stays; their names go. */
	if (m->f.note_kind == AN_BEHIND) {
		what_note(part[SP_WHAT], sizeof(part[0]), m, en, 0);
		sms_join(dst, len, part, on, en);
		if (sms_len(dst) <= limit)
			return;
	}
	/*
	 * Then what happened loses its tail -- unless it would lose a
	 * third or more: then the time goes first (the message arrives
	 * about when it happened), then the device name is shortened.
	 */
	{
		size_t	 over = sms_len(dst) - limit, w = sms_len(part[SP_WHAT]);

		if (over * 3 >= w && part[SP_SINCE][0] != '\0') {
			on[SP_SINCE] = 0;
			sms_join(dst, len, part, on, en);
			over = sms_len(dst) > limit ? sms_len(dst) - limit : 0;
		}
		if (over == 0)
			;
		else if (w > over + 4 && shorten(part[SP_WHAT], w - over))
			;
		else
			on[SP_WHAT] = 0;
		sms_join(dst, len, part, on, en);
	}
	if (sms_len(dst) > limit) {
		size_t	 over = sms_len(dst) - limit, h = sms_len(part[SP_HEAD]);

		if (h <= over + 2 || !shorten(part[SP_HEAD], h - over))
			on[SP_SINCE] = 0;
		sms_join(dst, len, part, on, en);
	}
	if (sms_len(dst) > limit)
		shorten(dst, limit);
}
