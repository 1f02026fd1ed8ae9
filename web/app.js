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
 * The status wall and the operator console, one page with a view per
 * address fragment: #wall, #device/ID, #incidents, #maintenance,
 * #availability.  The wall polls /api/v1/wall every second (polling,
 * not server-sent events: one small answer a second per screen, and
 * nothing to hold open through proxies), so a change shows within about
 * two seconds.
 *
 * Every string from the API goes through textContent, never innerHTML:
 * device names, SNMP strings and trap texts come from the network and
 * must not become markup.  Changes send the session's CSRF token in
 * X-CSRF-Token; the session cookie itself is HttpOnly.
 */

"use strict";

(function () {
	var POLL_MS = 1000;
	var T = {
		zh: {
			loading: "正在加载…", nav_wall: "状态墙",
			nav_incidents: "事件", nav_maint: "维护",
			nav_avail: "可用性", login: "登录", logout: "退出",
			user: "用户名", password: "密码", lang: "English",
			up: "正常", degraded: "降级", down: "故障",
			unreachable: "不可达", unknown: "未知",
			maintenance: "维护中", devices: "台设备",
			updated: "更新于", fetch_failed: "无法获取状态：",
			target: "目标", left: "剩余", overrun: "超出",
			over_so_far: "已超出", left_so_far: "至今剩余",
			month_left: "全月预算余", month_over: "全月预算超出",
			no_target: "无目标", no_data: "暂无数据",
			open_incidents: "当前故障", none: "无",
			since: "持续", acked: "已确认", ack: "确认",
			ack_col: "确认状态",
			comment: "备注", reclassify: "重新分类",
			reason: "原因", note: "维修记录", save: "保存",
			cls_unplanned: "计划外", cls_planned: "计划内",
			cls_external: "外部原因", device: "设备",
			group: "分组", check: "检查", state: "状态",
			start: "开始", end: "结束", duration: "时长",
			cause: "原因", klass: "分类", by: "操作人",
			outages: "故障记录", past: "历史故障",
			outbox: "告警发送记录", recipient: "接收人",
			sent_title: "已发送的告警（邮件与短信的内容）",
			channel: "渠道", sent_text: "内容", time: "时间",
			kind: "类型", attempts: "尝试", last_error: "最近错误",
			checks: "检查项", values: "当前值", message: "消息",
			ports: "端口", port: "端口", alias: "描述",
			oper: "状态", speed: "速率", in_util: "入利用率",
			out_util: "出利用率", errors: "错误",
			graphs: "趋势图", hour: "小时", day: "天",
			r_custom: "自定义", r_from: "从", r_to: "到",
			r_show: "显示", r_zoomed: "已放大", r_hint:
			    "在图上横向拖动可放大；点选时段可还原。",
			r_in: "入", r_out: "出", r_traffic: "流量",
			r_bad: "请填写开始和结束时间，结束晚于开始。",
			month: "月", year: "年", avail_month: "本月可用性",
			avail_year: "本年可用性", back: "返回状态墙",
			need_login: "请先登录后再操作。",
			windows: "维护窗口", new_window: "新建维护窗口",
			repeat_l: "重复", once: "一次", weekly: "每周",
			monthly: "每月", cron: "cron",
			at_l: "时间（Sun 02:00 / 1 09:00 / 0 3 * * 1-5）",
			edit: "修改", cancel: "取消窗口", cancelled: "已取消",
			active: "进行中", source: "来源",
			src_config: "配置文件", src_api: "网页",
			devices_l: "设备（逗号分隔）", groups_l: "分组（逗号分隔）",
			classes_l: "类别（逗号分隔）", minutes: "时长（分钟）",
			start_local: "开始时间", availability: "可用性",
			reports: "月度报告", no_reports: "尚无报告",
			mailed_to: "已发送给",
			downtime: "故障时间", planned: "计划维护",
			mttr: "平均修复时间", budget_left: "故障预算",
			site: "全中心", show: "查询", name: "名称",
			open: "进行中", login_failed: "登录失败：",
			saved: "已保存", error: "错误：", next: "下次",
			no_outages: "没有故障记录", zero: "0秒",
			age: "已持续", ndev: "设备数", per_device: "各设备",
			warning: "告警", stale_title: "数据中断",
			stale_text: "监控服务器无法连接", stale_since: "自",
			stale_dev: "数据过期", agent_gone: "采集代理未连接",
			agents_gone: "采集代理全部未连接，状态未知",
			state_unknown: "状态未知", data_age: "数据时间",
			left_maint: "剩余", search: "搜索名称、ID、地址",
			all_groups: "全部分组", all_classes: "全部类别",
			all_states: "全部状态", problems: "只看问题",
			shown: "显示", type: "类型", result: "结果",
			value: "值", actions: "操作", unacked: "未确认",
			coverage: "监测覆盖", met: "达标", not_met: "未达标",
			too_little: "数据不足",
			children: "条下游故障记录", expand: "展开", collapse: "收起",
			under_parent: "随上级故障",
			kiosk: "大屏", class_l: "类别", more: "更多",
			budget_help: "本月按目标允许的故障时间（全组合计）",
			bx_title: "停机预算说明", cal_title: "维护日历",
			cal_more: "另有", cal_none: "本月没有维护窗口",
			cal_today: "今天",
			no_match: "没有符合条件的设备",
			nav_topo: "拓扑", topo_rest: "无上下级关系的设备",
			pick_l: "按名称选择设备",
			notify_off: "声音提醒：关", notify_on: "声音提醒：开",
			new_fault: "新故障", bars24: "24小时", bars30: "30天"
		},
		en: {
			loading: "Loading…", nav_wall: "Status wall",
			nav_incidents: "Incidents", nav_maint: "Maintenance",
			nav_avail: "Availability", login: "Log in",
			logout: "Log out", user: "User", password: "Password",
			lang: "中文", up: "Up", degraded: "Degraded",
			down: "Down", unreachable: "Unreachable",
			unknown: "Unknown", maintenance: "Maintenance",
			devices: "devices", updated: "updated",
			fetch_failed: "Cannot get the status: ",
			target: "target", left: "left", overrun: "overrun",
			over_so_far: "over so far", left_so_far: "left so far",
			month_left: "left in the month's budget",
			month_over: "over the month's budget",
			no_target: "no target", no_data: "no data yet",
			open_incidents: "Open incidents", none: "None",
			since: "for", acked: "Acknowledged", ack: "Acknowledge",
			ack_col: "Acknowledgement",
			comment: "Comment", reclassify: "Reclassify",
			reason: "Reason", note: "Repair note", save: "Save",
			cls_unplanned: "Unplanned", cls_planned: "Planned",
			cls_external: "External", device: "Device",
			group: "Group", check: "Check", state: "State",
			start: "Start", end: "End", duration: "Duration",
			cause: "Cause", klass: "Class", by: "By",
			outages: "Outages", past: "Past outages",
			outbox: "Alert deliveries", recipient: "Recipient",
			sent_title: "Alerts sent (what the e-mails and SMS said)",
			channel: "Channel", sent_text: "Text", time: "Time",
			kind: "Kind", attempts: "Attempts",
			last_error: "Last error", checks: "Checks",
			values: "Current values", message: "Message",
			ports: "Ports", port: "Port", alias: "Description",
			oper: "Status", speed: "Speed", in_util: "In",
			out_util: "Out", errors: "Errors",
			graphs: "Graphs", hour: "Hour", day: "Day",
			r_custom: "Custom", r_from: "From", r_to: "To",
			r_show: "Show", r_zoomed: "zoomed", r_hint:
			    "Drag across a graph to zoom; pick a range to go back.",
			r_in: "in", r_out: "out", r_traffic: "traffic",
			r_bad: "Give a start and an end, the end after the start.",
			month: "Month", year: "Year",
			avail_month: "Availability this month",
			avail_year: "Availability this year",
			back: "Back to the wall",
			need_login: "Log in to make changes.",
			windows: "Maintenance windows",
			new_window: "New maintenance window", edit: "Edit",
			repeat_l: "Repeat", once: "Once", weekly: "Weekly",
			monthly: "Monthly", cron: "cron",
			at_l: "When (Sun 02:00 / 1 09:00 / 0 3 * * 1-5)",
			cancel: "Cancel window", cancelled: "Cancelled",
			active: "Active", source: "Source",
			src_config: "Configuration", src_api: "Web",
			devices_l: "Devices (comma separated)",
			groups_l: "Groups (comma separated)",
			classes_l: "Classes (comma separated)",
			minutes: "Duration (minutes)", start_local: "Start",
			reports: "Monthly reports", no_reports: "No report yet",
			mailed_to: "mailed to",
			availability: "Availability", downtime: "Down time",
			planned: "Planned", mttr: "MTTR",
			budget_left: "Down-time budget", site: "Whole centre",
			show: "Show", name: "Name", open: "open",
			login_failed: "Login failed: ", saved: "Saved",
			error: "Error: ", next: "next",
			no_outages: "No outages", zero: "0 s", age: "for",
			ndev: "Devices", per_device: "Per device",
			warning: "Warning", stale_title: "No data",
			stale_text: "the monitoring server cannot be reached",
			stale_since: "since", stale_dev: "stale data",
			agent_gone: "agent not connected",
			agents_gone: "no agent connected: state unknown",
			state_unknown: "State unknown", data_age: "data of",
			left_maint: "left", search: "Search name, id, address",
			all_groups: "All groups", all_classes: "All classes",
			all_states: "All states", problems: "Problems only",
			shown: "shown", type: "Type", result: "Result",
			value: "Value", actions: "Actions", unacked: "Not acknowledged",
			coverage: "Coverage", met: "Target", not_met: "Below target",
			too_little: "too little data",
			children: "outage records below", expand: "Expand",
			under_parent: "under its parent",
			collapse: "Collapse", kiosk: "Kiosk", class_l: "Class",
			more: "More",
			budget_help: "down time this month's target allows (whole group)",
			bx_title: "The down time budget explained",
			cal_title: "Maintenance calendar", cal_more: "more",
			cal_none: "no maintenance windows this month",
			cal_today: "today",
			no_match: "No device matches",
			nav_topo: "Topology", topo_rest: "Devices with no parent or child",
			pick_l: "Pick devices by name",
			notify_off: "Sound: off", notify_on: "Sound: on",
			new_fault: "New fault", bars24: "24 h", bars30: "30 days"
		}
	};
	/*
	 * Words for the codes the API sends, where a person reads them:
	 * device classes (the configuration's availability.names win, from
	 * /api/v1/session), probe outcomes (common/outcome.c; the alerts'
	 * full sentences are in collector/alert/alert_text.c, the page keeps
	 * short words), alert kinds and delivery states.  An unknown code is
	 * shown as it is.
	 */
	var CLASSES = {
		elevator: ["电梯", "Elevator"], hvac: ["空调", "HVAC"],
		other: ["其他", "Other"], "queue-system": ["排队叫号系统",
		"Queue system"], ups: ["UPS", "UPS"], switch: ["交换机",
		"Switch"], line: ["专线", "Line"], "led-wall": ["LED 大屏",
		"LED wall"], "touch-screen": ["触摸屏", "Touch screen"],
		"evaluation-terminal": ["评价器", "Evaluation terminal"],
		gateway: ["网关", "Gateway"], sensor: ["传感器", "Sensor"],
		"web-system": ["业务系统", "Web system"],
		"wifi-controller": ["无线控制器", "WiFi controller"]
	};
	var OUTCOMES = {
		ok: ["正常", "OK"], timeout: ["超时", "Timeout"],
		refused: ["被拒绝", "Refused"], unreachable: ["网络不可达",
		"Unreachable"], resolve_error: ["域名解析失败", "Name not found"],
		bad_status: ["状态码异常", "Bad status"], bad_content:
		["内容不符", "Unexpected content"], slow: ["响应过慢", "Slow"],
		snmp_error: ["SNMP 错误", "SNMP error"], snmp_nosuch:
		["无此对象", "No such object"], tls_error: ["TLS 错误",
		"TLS error"], io_error: ["读写错误", "I/O error"], internal:
		["内部错误", "Internal error"], bad_value: ["数值异常",
		"Bad value"]
	};
	var KINDS = {
		down: ["故障", "Down"], recovery: ["恢复", "Recovered"],
		threshold: ["超限", "Threshold"], health: ["系统告警",
		"facmon health"], test: ["测试", "Test"], event: ["事件", "Event"]
	};
	var DELIVERY = {
		pending: ["待发送", "Pending"], retrying: ["重试中", "Retrying"],
		sent: ["已发送", "Sent"], failed: ["发送失败", "Failed"]
	};

	function word(table, code) {
		var n = table[code];

		return n ? n[lang === "zh" ? 0 : 1] : (code === null ||
		    code === undefined || code === "" ? "—" : String(code));
	}

	function className(c) {
		var n = session.class_names && session.class_names[c];

		return n ? n[lang === "zh" ? 0 : 1] : word(CLASSES, c);
	}

	var GROUPS = {
		lines: ["专线", "Lines"], network: ["网络", "Network"],
		wifi: ["WiFi", "WiFi"], display: ["LED 大屏", "LED walls"],
		building: ["电梯与空调", "Elevators and HVAC"],
		elevators: ["电梯", "Elevators"], hvac: ["空调", "HVAC"],
		power: ["UPS 与机房", "UPS and machine room"],
		ups: ["UPS", "UPS"], terminals: ["终端", "Terminals"],
		systems: ["业务系统", "Web systems"]
	};
	/* The wall's order: the centre's backbone first, terminals last. */
	var GROUP_ORDER = ["lines", "network", "systems", "wifi", "display",
	    "building", "elevators", "hvac", "power", "ups", "terminals"];
	var lang = "zh";
	var tz = "Asia/Shanghai";
	var session = { user: null, csrf: null };
	var timer = null;
	var route = "";

	try {
		if (localStorage.getItem("facmon-lang") === "en")
			lang = "en";
	} catch (e) { /* storage may be off */ }

	function t(k) {
		return T[lang][k] !== undefined ? T[lang][k] : k;
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function groupName(g) {
		var n = (session.group_names && session.group_names[g]) ||
		    GROUPS[g];

		return n ? n[lang === "zh" ? 0 : 1] : (g || "—");
	}

	function fmtTime(ms) {
		if (typeof ms !== "number")
			return "—";
		return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB",
		    { timeZone: tz, year: "numeric", month: "2-digit",
		    day: "2-digit", hour: "2-digit", minute: "2-digit",
		    second: "2-digit", hour12: false }).format(new Date(ms));
	}

	function fmtShort(ms) {
		return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB",
		    { timeZone: tz, month: "2-digit", day: "2-digit",
		    hour: "2-digit", minute: "2-digit", hour12: false })
		    .format(new Date(ms));
	}

	/* 2分10秒 / 2 min 10 s: the two largest units that are not zero. */
	function fmtDur(ms) {
		var u = lang === "zh" ?
		    [["天", 86400], ["小时", 3600], ["分", 60], ["秒", 1]] :
		    [[" d", 86400], [" h", 3600], [" min", 60], [" s", 1]];
		var s = Math.floor(Math.abs(ms) / 1000), out = [], i;

		if (typeof ms !== "number" || !isFinite(ms))
			return "—";
		for (i = 0; i < u.length && out.length < 2; i++) {
			var n = Math.floor(s / u[i][1]);

			if (n > 0 || (out.length > 0)) {
				if (n > 0)
					out.push(n + u[i][0]);
				else
					break;
			}
			s -= n * u[i][1];
		}
		if (out.length === 0)
			return t("zero");
		return (ms < 0 ? "-" : "") + out.join(lang === "zh" ? "" : " ");
	}

	/*
	 * One number of decimals per kind of figure: availability with
	 * three (99.995 % and 99.990 % differ by 26 s a month), targets as
	 * configured with two, coverage with one.
	 */
	function fmtPct(r) {
		if (typeof r !== "number")
			return "—";
		return (r * 100).toFixed(3) + " %";
	}

	function fmtTarget(r) {
		return typeof r === "number" ? (r * 100).toFixed(2) + " %" : "—";
	}

	function fmtCov(r) {
		return typeof r === "number" ? (r * 100).toFixed(1) + " %" : "—";
	}

	/* Natural order: 2号 before 10号, floor-sw-2 before floor-sw-10. */
	var collator = new Intl.Collator(["zh-CN", "en"], { numeric: true,
	    sensitivity: "base" });

	function natCmp(a, b) {
		return collator.compare(String(a || ""), String(b || ""));
	}

	function fmtClock(ms) {
		return new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    hour: "2-digit", minute: "2-digit", second: "2-digit",
		    hour12: false }).format(new Date(ms));
	}

	function stateText(s) {
		return T[lang][s] !== undefined ? t(s) : t("unknown");
	}

	function setStatus(text, isError) {
		var s = document.getElementById("status");

		s.textContent = text;
		s.className = isError ? "status error" : "status";
	}

	function api(path, opts) {
		opts = opts || {};
		var init = { method: opts.method || "GET", cache: "no-store",
		    credentials: "same-origin", headers: {} };

		if (opts.body !== undefined) {
			init.body = JSON.stringify(opts.body);
			init.headers["Content-Type"] = "application/json";
		}
		if (init.method !== "GET" && session.csrf)
			init.headers["X-CSRF-Token"] = session.csrf;
		return fetch(path, init).then(function (r) {
			return r.json().catch(function () { return {}; })
			    .then(function (j) {
				if (!r.ok)
					throw new Error(j && j.error ? j.error :
					    "HTTP " + r.status);
				return j;
			    });
		});
	}

	/* ---- chrome: language, login -------------------------------------- */

	function applyLang() {
		document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
		document.querySelectorAll("[data-i18n]").forEach(function (e) {
			e.textContent = t(e.getAttribute("data-i18n"));
		});
		document.getElementById("lang").textContent = t("lang");
		showNotify();
		document.title = "facmon · " + t("nav_wall");
	}

	function showSession() {
		document.getElementById("who").textContent = session.user || "";
		document.getElementById("login-open").hidden = !!session.user;
		document.getElementById("logout").hidden = !session.user;
		document.body.classList.toggle("authed", !!session.user);
	}

	function loadSession() {
		return api("/api/v1/session").then(function (s) {
			session.user = s.user;
			session.csrf = s.csrf;
			tz = s.timezone || tz;
			document.getElementById("site").textContent =
			    (lang === "zh" ? s.site : s.site_en) || "facmon";
			session.site = [s.site, s.site_en];
			session.show_sent = !!s.show_sent;
			session.group_names = s.group_names || {};
			session.class_names = s.class_names || {};
			showSession();
		});
	}

	function setupChrome() {
		var form = document.getElementById("login-form");

		document.getElementById("notify").addEventListener("click",
		    toggleNotify);
		showNotify();
		document.getElementById("lang").addEventListener("click",
		    function () {
			lang = lang === "zh" ? "en" : "zh";
			try {
				localStorage.setItem("facmon-lang", lang);
			} catch (e) { /* ignore */ }
			applyLang();
			if (session.site)
				document.getElementById("site").textContent =
				    (lang === "zh" ? session.site[0] :
				    session.site[1]) || "facmon";
			render();
		    });
		document.getElementById("login-open").addEventListener("click",
		    function () {
			form.hidden = !form.hidden;
			if (!form.hidden)
				form.elements.user.focus();
		    });
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			api("/api/v1/login", { method: "POST", body: {
			    user: form.elements.user.value,
			    password: form.elements.password.value } })
			    .then(function (r) {
				session.user = r.user;
				session.csrf = r.csrf;
				form.elements.password.value = "";
				form.hidden = true;
				document.getElementById("login-error")
				    .textContent = "";
				showSession();
				render();
			    })
			    .catch(function (e) {
				document.getElementById("login-error")
				    .textContent = t("login_failed") + e.message;
			    });
		});
		document.getElementById("logout").addEventListener("click",
		    function () {
			api("/api/v1/logout", { method: "POST", body: {} })
			    .finally(function () {
				session.user = null;
				session.csrf = null;
				showSession();
				render();
			    });
		    });
	}

	/* ---- the status wall ----------------------------------------------- */

	/*
	 * The age of the data every view shows.  The wall polls every second;
	 * the other views ask for the session every HEARTBEAT_MS.  Past
	 * STALE_MS without a successful answer the whole page turns to "no
	 * data": a screen that cannot reach the collector must not stay
	 * green with the last picture it had.
	 */
	var STALE_MS = 4000, FETCH_TIMEOUT_MS = 3000, HEARTBEAT_MS = 2000;
	var lastOk = 0, staleShown = false, lastWall = null;
	var filt = { q: "", group: "", cls: "", state: "", problems: false };
	var kiosk = false, expanded = {};

	function markOk() {
		lastOk = Date.now();
		checkStale();
	}

	function checkStale() {
		var stale = lastOk > 0 && Date.now() - lastOk > STALE_MS;
		var b = document.getElementById("stale");

		if (stale === staleShown)
			return;
		staleShown = stale;
		document.body.classList.toggle("stale", stale);
		b.hidden = !stale;
		if (stale) {
			b.replaceChildren(el("strong", null, t("stale_title")),
			    el("span", null, " " + t("stale_text") + " · " +
			    t("stale_since") + " " + fmtClock(lastOk)));
			if (route === "wall" && lastWall !== null)
				renderWall(document.getElementById("view"),
				    lastWall);
		} else if (route === "wall" && lastWall !== null)
			renderWall(document.getElementById("view"), lastWall);
	}

	/* fetch with a bound: a hung collector is as dead as a stopped one. */
	function apiBounded(path) {
		var ctl = typeof AbortController === "function" ?
		    new AbortController() : null;
		var to = ctl ? setTimeout(function () { ctl.abort(); },
		    FETCH_TIMEOUT_MS) : null;

		return fetch(path, { cache: "no-store", credentials: "same-origin",
		    signal: ctl ? ctl.signal : undefined }).then(function (r) {
			return r.json().catch(function () { return {}; })
			    .then(function (j) {
				if (!r.ok)
					throw new Error(j && j.error ? j.error :
					    "HTTP " + r.status);
				return j;
			    });
		}).finally(function () {
			if (to !== null)
				clearTimeout(to);
		});
	}

	function heartbeat() {
		if (route !== "wall")
			apiBounded("/api/v1/session").then(markOk)
			    .catch(function () {});
		checkStale();
	}

	/*
	 * The budget beside a verdict.  达标/未达标 is judged on the time
	 * elapsed, so the figure beside it is the budget of the elapsed time
	 * (budget_left_ms, what facmon-report prints as 预算剩余, negative
	 * when overrun): 已超出 X when the target is missed so far, 至今剩余
	 * X when met.  What the whole month still allows, the days to come
	 * included (budget_period_left_ms), is said apart and named as the
	 * month's allowance: early in a month it is large even when the
	 * target is missed so far, and beside 未达标 alone it reads as a lie.
	 */
	function budgetParts(row) {
		var parts = [], so = row.budget_left_ms;
		var month = row.budget_period_left_ms;

		function say(k, ms) {
			var d = fmtDur(Math.abs(ms));

			return lang === "zh" ? t(k) + " " + d : d + " " + t(k);
		}
		if (typeof so === "number")
			parts.push(say(so < 0 ? "over_so_far" : "left_so_far", so));
		if (typeof month === "number" && (typeof so !== "number" ||
		    Math.abs(month - so) >= 1000))
			parts.push(say(month < 0 ? "month_over" : "month_left",
			    month));
		return parts;
	}

	function availLine(row) {
		var parts = [fmtPct(row ? row.availability : null)];

		if (row && typeof row.target === "number") {
			parts.push(t("target") + " " + fmtTarget(row.target));
			parts = parts.concat(budgetParts(row));
		}
		if (row && typeof row.coverage === "number")
			parts.push(t("coverage") + " " + fmtCov(row.coverage));
		if (row && typeof row.target === "number" && tooLittle(row))
			parts.push(t("too_little"));
		return parts.join(" · ");
	}

	/*
	 * Below MIN_COVERAGE of the period seen, a verdict is a guess: a new
	 * installation a few minutes into the month shows 100.000 % and 达标
	 * on nothing, and one short outage turns it to 未达标.  The figure is
	 * still shown, with 数据不足 in place of the verdict.  1 % of a month
	 * is about seven hours, the least that says something of a month;
	 * facmon-report uses the same bound (report/model.c).
	 */
	var MIN_COVERAGE = 0.01;

	function tooLittle(row) {
		return !!row && typeof row.coverage === "number" &&
		    row.coverage < MIN_COVERAGE;
	}

	function belowTarget(row) {
		return row && !tooLittle(row) && typeof row.target === "number" &&
		    typeof row.availability === "number" &&
		    row.availability < row.target;
	}

	/* What a tile shows: maintenance, stale, warning or the state. */
	function shownState(d) {
		if (d.maintenance)
			return "maintenance";
		if (d.stale)
			return "unknown";
		if (d.state === "up" && d.warnings && d.warnings.length > 0)
			return "warning";
		return T.zh[d.state] ? d.state : "unknown";
	}

	function warnText(w) {
		return lang === "zh" ? w.text : (w.text_en || w.text);
	}

	function isProblem(st) {
		return st !== "up";
	}

	function matches(d, st) {
		var q = filt.q.trim().toLowerCase();

		if (q && [d.name, d.id, d.address].every(function (x) {
			return String(x || "").toLowerCase().indexOf(q) < 0; }))
			return false;
		if (filt.group && d.group !== filt.group)
			return false;
		if (filt.cls && d["class"] !== filt.cls)
			return false;
		if (filt.state && st !== filt.state)
			return false;
		if (filt.problems && !isProblem(st))
			return false;
		return true;
	}

	function select(name, first, opts, value, onchange) {
		var s = el("select");

		s.name = name;
		s.setAttribute("aria-label", first);
		[["", first]].concat(opts).forEach(function (o) {
			var op = el("option", null, o[1]);

			op.value = o[0];
			op.selected = o[0] === value;
			s.appendChild(op);
		});
		s.addEventListener("change", function () { onchange(s.value); });
		return s;
	}

	/* The search and filters: built once a visit, kept across polls. */
	function filterBar(view, data) {
		var bar = el("form", "filters"), q = el("input"), pb, cb;
		var groups = {}, classes = {};

		(data.devices || []).forEach(function (d) {
			groups[d.group] = 1;
			classes[d["class"]] = 1;
		});
		function again() {
			if (lastWall !== null)
				renderWall(view, lastWall);
		}
		q.type = "search";
		q.name = "q";
		q.placeholder = t("search");
		q.setAttribute("aria-label", t("search"));
		q.value = filt.q;
		q.addEventListener("input", function () {
			filt.q = q.value;
			again();
		});
		bar.addEventListener("submit", function (ev) {
			ev.preventDefault(); });
		bar.appendChild(q);
		bar.appendChild(select("group", t("all_groups"),
		    Object.keys(groups).sort(function (a, b) {
			return GROUP_ORDER.indexOf(a) - GROUP_ORDER.indexOf(b);
		    }).map(function (g) { return [g, groupName(g)]; }),
		    filt.group, function (v) { filt.group = v; again(); }));
		bar.appendChild(select("class", t("all_classes"),
		    Object.keys(classes).map(function (c) {
			return [c, className(c)]; }).sort(function (a, b) {
			return natCmp(a[1], b[1]); }), filt.cls,
		    function (v) { filt.cls = v; again(); }));
		bar.appendChild(select("state", t("all_states"),
		    ["down", "unreachable", "warning", "maintenance", "unknown",
		    "up"].map(function (k) { return [k, stateText(k)]; }),
		    filt.state, function (v) { filt.state = v; again(); }));
		pb = el("label", "check");
		cb = el("input");
		cb.type = "checkbox";
		cb.name = "problems";
		cb.checked = filt.problems;
		cb.addEventListener("change", function () {
			filt.problems = cb.checked;
			again();
		});
		pb.appendChild(cb);
		pb.appendChild(document.createTextNode(" " + t("problems")));
		bar.appendChild(pb);
		bar.appendChild(el("span", "count"));
		return bar;
	}

	/*
	 * Sound and a browser notification on a new fault, for the duty
	 * room: off by default (a page that beeps on its own surprises
	 * people), one click turns both on, and the choice is remembered.
	 */
	var notifyOn = false, seenFaults = null, audio = null;

	try {
		notifyOn = localStorage.getItem("facmon-notify") === "on";
	} catch (e) { /* storage may be off */ }

	function showNotify() {
		var b = document.getElementById("notify");

		b.textContent = t(notifyOn ? "notify_on" : "notify_off");
		b.setAttribute("aria-pressed", String(notifyOn));
	}

	function toggleNotify() {
		notifyOn = !notifyOn;
		try {
			localStorage.setItem("facmon-notify", notifyOn ? "on" : "off");
		} catch (e) { /* ignore */ }
		if (notifyOn) {
			/* Browsers start sound only from a click: this one. */
			try {
				audio = audio || new (window.AudioContext ||
				    window.webkitAudioContext)();
				audio.resume();
			} catch (e) { audio = null; }
			if (window.Notification &&
			    Notification.permission === "default")
				Notification.requestPermission().catch(
				    function () {});
		}
		showNotify();
	}

	function beep() {
		var o, g;

		try {
			audio = audio || new (window.AudioContext ||
			    window.webkitAudioContext)();
			o = audio.createOscillator();
			g = audio.createGain();
			o.frequency.value = 880;
			g.gain.value = 0.2;
			o.connect(g);
			g.connect(audio.destination);
			o.start();
			o.stop(audio.currentTime + 0.4);
		} catch (e) { /* no sound here */ }
	}

	/* New open outages since the last answer: sound, notification. */
	function announce(incidents) {
		var now = {}, fresh = [];

		incidents.forEach(function (o) {
			var k = o.device + "/" + o.check + "/" + o.start_ms;

			now[k] = 1;
			if (seenFaults !== null && !seenFaults[k])
				fresh.push(o);
		});
		seenFaults = now;
		if (!notifyOn || fresh.length === 0)
			return;
		document.body.setAttribute("data-announced", String(Number(
		    document.body.getAttribute("data-announced") || 0) +
		    fresh.length));
		beep();
		try {
			if (window.Notification &&
			    Notification.permission === "granted")
				new Notification(t("new_fault") + ": " +
				    fresh.map(function (o) {
					return o.name || o.device; }).join(", "));
		} catch (e) { /* not in this browser */ }
	}

	function renderWall(view, data) {
		var groups = [], byName = {}, avail = {}, frag, inc, ul, body;
		var now = data.generated_ms, stale = staleShown, nshown = 0;
		var devs = data.devices || [], allStale, bar;

		lastWall = data;
		if (!stale)
			announce(data.incidents || []);
		if (!view.querySelector("form.filters") && !kiosk)
			view.replaceChildren(filterBar(view, data),
			    el("div", "wallbody"));
		else if (kiosk && !view.querySelector(".wallbody"))
			view.replaceChildren(el("div", "wallbody"));
		body = view.querySelector(".wallbody");
		bar = view.querySelector("form.filters");
		allStale = devs.length > 0 && devs.every(function (d) {
			return d.stale; });
		((data.availability && data.availability.groups) || [])
		    .forEach(function (g) { avail[g.id] = g; });
		devs.forEach(function (d) {
			var g = d.group || "";

			if (!byName[g]) {
				byName[g] = [];
				groups.push(g);
			}
			byName[g].push(d);
		});
		groups.sort(function (a, b) {
			var ia = GROUP_ORDER.indexOf(a), ib = GROUP_ORDER.indexOf(b);

			if (ia < 0)
				ia = GROUP_ORDER.length;
			if (ib < 0)
				ib = GROUP_ORDER.length;
			return ia !== ib ? ia - ib : natCmp(a, b);
		});
		frag = document.createDocumentFragment();
		inc = el("section", "incidents");
		inc.appendChild(el("h2", null, t("open_incidents")));
		ul = el("ul");
		if (stale || allStale) {
			/* Nothing known: no "None", no green. */
			ul.appendChild(el("li", "unknown", stale ?
			    t("state_unknown") : t("agents_gone")));
		} else {
			(data.incidents || []).forEach(function (o) {
				var li = el("li", o.acked_ms ? "acked" : "");
				var a = el("a", null, o.name || o.device);

				a.href = "#device/" + encodeURIComponent(o.device);
				li.appendChild(el("span", "kind", t("down") + " "));
				li.appendChild(a);
				li.appendChild(el("span", "age", " " + t("age") +
				    " " + fmtDur(now - o.start_ms)));
				if (o.cause)
					li.appendChild(causeCell(o, "cause", " "));
				if (o.acked_ms)
					li.appendChild(el("span", "ackby", " ✓ " +
					    t("acked") + " · " + o.acked_by +
					    (o.ack_comment ? " · " + o.ack_comment :
					    "")));
				li.setAttribute("data-device", o.device);
				ul.appendChild(li);
			});
			devs.filter(function (d) {
				return shownState(d) === "warning";
			}).sort(function (a, b) {
				return natCmp(a.name, b.name);
			}).forEach(function (d) {
				var li = el("li", "warn");
				var a = el("a", null, d.name || d.id);

				a.href = "#device/" + encodeURIComponent(d.id);
				li.appendChild(el("span", "kind", t("warning") + " "));
				li.appendChild(a);
				li.appendChild(el("span", "cause", " " +
				    d.warnings.map(warnText).join("；")));
				li.setAttribute("data-device", d.id);
				ul.appendChild(li);
			});
			if (!ul.firstChild)
				ul.appendChild(el("li", "none", t("none")));
		}
		inc.appendChild(ul);
		frag.appendChild(inc);
		groups.forEach(function (g) {
			var sec = el("section", "group");
			var head = el("div", "ghead");
			var tiles = el("div", "tiles");
			var av = el("span", "avail", avail[g] ?
			    availLine(avail[g]) : t("no_data"));

			sec.setAttribute("data-group", g);
			head.appendChild(el("h2", null, groupName(g)));
			if (avail[g] && belowTarget(avail[g]) && !stale) {
				av.classList.add("below");
				av.insertBefore(el("span", "flag", t("not_met") +
				    " "), av.firstChild);
			}
			av.title = avail[g] ? budgetText(avail[g], data.availability,
			    groupName(g)) || t("budget_help") : t("budget_help");
			head.appendChild(av);
			sec.appendChild(head);
			byName[g].sort(function (a, b) {
				return natCmp(a.name || a.id, b.name || b.id);
			}).forEach(function (d) {
				var st = shownState(d), a, line, why = null;

				if (!matches(d, st))
					return;
				nshown++;
				a = el("a", "tile " + (stale ? "unknown" : st));
				a.href = "#device/" + encodeURIComponent(d.id);
				a.setAttribute("data-device", d.id);
				a.setAttribute("data-state", stale ? "stale" : st);
				a.title = causeRaw(d);
				a.appendChild(el("span", "name", d.name || d.id));
				if (stale)
					line = t("state_unknown");
				else if (st === "maintenance" &&
				    d.maintenance_until_ms)
					line = stateText(st) + " · " +
					    t("left_maint") + " " +
					    fmtDur(d.maintenance_until_ms - now);
				else if (d.stale && st === "unknown")
					line = t("stale_dev") + (d.agent_connected ?
					    "" : " · " + t("agent_gone"));
				else
					line = stateText(st) + (d.since_ms &&
					    st !== "up" && st !== "warning" ?
					    " · " + fmtDur(now - d.since_ms) : "");
				a.appendChild(el("span", "st", line));
				if (!stale && st === "warning") {
					why = d.warnings.map(warnText).join("；");
					a.appendChild(el("span", "why", why));
					a.title = why;
				} else if (!stale && d.message && st !== "up")
					a.appendChild(el("span", "why",
					    causeWords(d)));
				tiles.appendChild(a);
			});
			/*
			 * On a phone the devices that are up are one line per
			 * group (a tap shows their tiles): the page is about
			 * what is wrong, and 41 green terminals are one fact.
			 */
			var ups = tiles.querySelectorAll('a.tile[data-state="up"]');

			if (ups.length > 0 && !kiosk && window.innerWidth <= 600 &&
			    !expanded[g] && !filt.q && !filt.state) {
				var more = el("button", "allup", "✓ " + ups.length +
				    " " + t("devices") + " " + t("up"));

				ups.forEach(function (x) { x.remove(); });
				more.type = "button";
				more.addEventListener("click", function () {
					expanded[g] = true;
					renderWall(view, lastWall);
				});
				sec.appendChild(more);
			}
			if (tiles.firstChild)
				sec.appendChild(tiles);
			if (sec.children.length > 1)
				frag.appendChild(sec);
		});
		if (nshown === 0)
			frag.appendChild(el("p", "none", t("no_match")));
		body.replaceChildren(frag);
		if (bar)
			bar.querySelector(".count").textContent = t("shown") + " " +
			    nshown + " / " + devs.length;
		if (kiosk)
			fitKiosk(body);
		if (!stale)
			setStatus(devs.length + " " + t("devices") + " · " +
			    t("data_age") + " " + fmtClock(now), allStale);
	}

	/*
	 * The duty room's screen: everything on one 1920x1080 page.  The
	 * tiles shrink by steps until the page fits; a bounded number of
	 * steps, so a centre too big for the screen scrolls rather than
	 * the page looping.
	 */
	function fitKiosk(body) {
		var scale = 1, i;

		document.documentElement.style.setProperty("--kscale", "1");
		for (i = 0; i < 12; i++) {
			if (document.documentElement.scrollHeight <=
			    window.innerHeight)
				break;
			scale -= 0.06;
			document.documentElement.style.setProperty("--kscale",
			    String(scale));
		}
		body.setAttribute("data-scale", scale.toFixed(2));
	}

	function pollWall(view) {
		apiBounded("/api/v1/wall").then(function (data) {
			if (route !== "wall")
				return;
			/*
			 * An answer that is not newer than the last one (a cache
			 * on the way, a collector stuck) is no sign of life.
			 */
			if (!lastWall || data.generated_ms > lastWall.generated_ms)
				markOk();
			else
				checkStale();
			renderWall(view, data);
		}).catch(function (e) {
			checkStale();
			/* No answer at all: say so in the page's language. */
			setStatus(t("fetch_failed") + (e.name === "TypeError" ||
			    e.name === "AbortError" ? t("stale_text") : e.message),
			    true);
			/* A private wall: offer the login form. */
			if (!session.user && /private|log in/.test(e.message))
				document.getElementById("login-form").hidden = false;
		}).finally(function () {
			if (route === "wall")
				timer = setTimeout(function () {
					pollWall(view);
				}, POLL_MS);
		});
	}

	/* ---- tables ---------------------------------------------------------- */

	function table(heads, rows) {
		var tb = el("table"), tr = el("tr"), body = el("tbody");

		heads.forEach(function (h) { tr.appendChild(el("th", null, h)); });
		tb.appendChild(el("thead")).appendChild(tr);
		rows.forEach(function (r) {
			var row = el("tr");

			r.forEach(function (c, i) {
				var td = el("td");

				/* The column's name on the phone's cards. */
				td.setAttribute("data-label", heads[i] || "");
				if (c instanceof Node)
					td.appendChild(c);
				else
					td.textContent = c === null ||
					    c === undefined ? "—" : String(c);
				row.appendChild(td);
			});
			body.appendChild(row);
		});
		tb.appendChild(body);
		return tb;
	}

	/*
	 * Why something fails, as the collector words it in the configured
	 * language (cause_text); the agent's raw message stays in the
	 * tooltip for engineers.
	 */
	function causeWords(o) {
		return o.cause_text || o.cause || o.message || "";
	}

	function causeRaw(o) {
		return o.cause !== undefined ? o.cause || "" : o.message || "";
	}

	function causeCell(o, cls, prefix) {
		var e = el("span", cls, (prefix || "") + causeWords(o));

		if (causeRaw(o) && causeRaw(o) !== causeWords(o))
			e.title = causeRaw(o);
		return e;
	}

	function badge(s) {
		return el("span", "badge " + (T.zh[s] ? s : "unknown"),
		    stateText(s));
	}

	function devLink(id, name) {
		var a = el("a", null, name || id);

		a.href = "#device/" + encodeURIComponent(id);
		return a;
	}

	function clsText(c) {
		return t("cls_" + c);
	}

	function fail(view, e) {
		view.appendChild(el("p", "error", t("error") + e.message));
	}

	/* ---- the device page ------------------------------------------------- */

	/*
	 * Display hints by value name (the part before ".N"): a name for
	 * people, a scale and a unit (the MIBs' UNITS), or the enumeration's
	 * words.  Traffic counters are shown in Mbps.
	 */
	var UPS_SRC = { 1: ["其他", "other"], 2: ["无输出", "none"],
	    3: ["市电", "mains"], 4: ["旁路", "bypass"], 5: ["电池", "battery"],
	    6: ["升压", "booster"], 7: ["降压", "reducer"] };
	var HINTS = {
		returnTemp: { zh: "回风温度", en: "Return air", scale: 0.1,
		    unit: "°C" },
		supplyTemp: { zh: "送风温度", en: "Supply air", scale: 0.1,
		    unit: "°C" },
		setpoint: { zh: "设定温度", en: "Set point", scale: 0.1,
		    unit: "°C" },
		cabinetTemp: { zh: "箱体温度", en: "Cabinet", scale: 0.1,
		    unit: "°C" },
		entPhySensorValue: { zh: "传感器", en: "Sensor", scale: 0.1 },
		faultCode: { zh: "故障代码", en: "Fault code" },
		filterAlarm: { zh: "滤网告警", en: "Filter alarm",
		    en_map: { 0: ["否", "no"], 1: ["是", "yes"] } },
		upsOutputSource: { zh: "输出来源", en: "Output source",
		    en_map: UPS_SRC },
		upsBatteryStatus: { zh: "电池状态", en: "Battery",
		    en_map: { 1: ["未知", "unknown"], 2: ["正常", "normal"],
		    3: ["电量低", "low"], 4: ["耗尽", "depleted"] } },
		upsInputVoltage: { zh: "输入电压", en: "Input", unit: "V" },
		upsOutputPercentLoad: { zh: "负载", en: "Load", unit: "%" },
		upsEstimatedChargeRemaining: { zh: "剩余电量", en: "Charge",
		    unit: "%" },
		upsSecondsOnBattery: { zh: "电池供电时长", en: "On battery",
		    unit: "s" },
		ifOperStatus: { zh: "端口状态", en: "Port",
		    en_map: { 1: ["up", "up"], 2: ["down", "down"],
		    3: ["testing", "testing"], 7: ["lowerLayerDown",
		    "lowerLayerDown"] } },
		apOperState: { zh: "AP 状态", en: "AP",
		    en_map: { 1: ["在线", "online"], 2: ["离线", "offline"] } },
		apClients: { zh: "AP 终端数", en: "AP clients" },
		in_util: { zh: "入利用率", en: "In utilisation", unit: "%" },
		out_util: { zh: "出利用率", en: "Out utilisation", unit: "%" },
		operState: { zh: "运行状态", en: "State",
		    en_map: { 1: ["正常", "in service"], 2: ["故障", "fault"] } },
		signalPresent: { zh: "输入信号", en: "Signal",
		    en_map: { 0: ["无", "none"], 1: ["有", "present"] } },
		failedModules: { zh: "故障模块", en: "Failed modules" },
		sysUpTime: { zh: "运行时间", en: "Uptime", unit: "s" },
		duration_ms: { zh: "响应时间", en: "Response time", unit: "ms" }
	};
	var OCTETS = /^if(HC)?(In|Out)Octets$/;

	function hintOf(name) {
		var m = /^([^.]+)(?:\.(.+))?$/.exec(name) || [name, name, ""];
		/* A template's row: "<label>.<column>", the label first. */
		var r = /^(.+)\.([A-Za-z_]+)$/.exec(name);

		if (!HINTS[m[1]] && !OCTETS.test(m[1]) && r &&
		    (HINTS[r[2]] || OCTETS.test(r[2])))
			return { base: r[2], idx: r[1], h: HINTS[r[2]] };
		return { base: m[1], idx: m[2] || "", h: HINTS[m[1]] };
	}

	/*
	 * "端口 3 入流量" / "回风温度" for a value name.  A value the agent
	 * described (v.column, v.label: the collector's device API) is named
	 * by its column, in words from HINTS where it has them, and its
	 * row's label and alias as the device gives them.
	 */
	function valueLabel(name, v) {
		var x = hintOf(name), o = OCTETS.exec(x.base), h, col;

		if (v && typeof v.column === "string") {
			h = HINTS[v.column];
			col = h ? (lang === "zh" ? h.zh : h.en) : v.column;
			return col + (v.label ? " " + v.label : "") +
			    (v.alias ? " (" + v.alias + ")" : "") + " · " + name;
		}

		if (o)
			return (lang === "zh" ? "端口 " + x.idx + " " +
			    (o[2] === "In" ? "入流量" : "出流量") : "Port " + x.idx +
			    " " + (o[2] === "In" ? "in" : "out")) + " · " + name;
		if (!x.h)
			return name;
		return (lang === "zh" ? x.h.zh : x.h.en) + (x.idx ? " " + x.idx :
		    "") + " · " + name;
	}

	/*
	 * A graph's factor and unit: octets/s as Mbps, tenths of °C as °C;
	 * for a value the agent described, its scale and unit as the API
	 * gives them (v), so that the graph and the value agree.
	 */
	function seriesScale(name, v) {
		var x = hintOf(name);

		if (OCTETS.test(x.base))
			return { k: 8 / 1e6, unit: "Mbps" };
		if (v && typeof v.scale === "number" && !v.text)
			return { k: v.scale, unit: v.unit || "" };
		if (x.h && !x.h.en_map)
			return { k: x.h.scale || 1, unit: x.h.unit || "" };
		return { k: 1, unit: "" };
	}

	function valueText(v, name) {
		var x = hintOf(name || ""), h = x.h, n;

		if (!v)
			return "—";
		/*
		 * What the collector displays, as it is: the page and the API
		 * agree.  An enumeration's word gets its Chinese beside it
		 * when HINTS has one.
		 */
		if (v.display !== undefined) {
			/* An uptime reads better as days and hours. */
			if (v.column === "sysUpTime" && typeof v.value === "number")
				return fmtDur(v.value * v.scale * 1000);
			n = h && h.en_map && typeof v.value === "number" &&
			    h.en_map[v.value];
			if (v.display === null)
				return v.kind === "counter" ? String(v.raw) : "—";
			return lang === "zh" && n && v.text && n[0] !== v.display ?
			    n[0] + " (" + v.display + ")" : v.display;
		}
		if (v.kind === "counter") {
			if (v.rate === null)
				return String(v.raw);
			if (OCTETS.test(x.base))
				return (v.rate * 8 / 1e6).toFixed(2) + " Mbps";
			return v.rate.toFixed(1) + "/s";
		}
		if (typeof v.value === "number") {
			if (h && h.en_map && h.en_map[v.value])
				return h.en_map[v.value][lang === "zh" ? 0 : 1] +
				    " (" + v.value + ")";
			n = h && h.scale ? v.value * h.scale : v.value;
			if (h && h.unit === "s" && x.base === "sysUpTime")
				return fmtDur(n * 1000);
			return String(Math.round(n * 1000) / 1000) +
			    (h && h.unit ? " " + h.unit : "");
		}
		/*
		 * Words from a Modbus register map travel as "中文|English"
		 * ("NAME.text", "alarm.NAME", "fault.NAME"); "" is no alarm.
		 */
		if (typeof v.value === "string" &&
		    /(^(alarm|fault)\.|\.text$)/.test(name || "")) {
			n = v.value.split("|");
			if (v.value === "")
				return "—";
			return lang === "zh" || n.length < 2 ? n[0] : n[1];
		}
		return v.value === null ? "—" : String(v.value);
	}

	var PORT_OPER = { 1: ["连通", "up"], 2: ["断开", "down"],
	    3: ["测试", "testing"], 5: ["休眠", "dormant"],
	    6: ["未安装", "not present"], 7: ["下层断开", "lower layer down"] };

	/*
	 * The ports of a device whose template discovers its interfaces
	 * (agent/check_snmp.c): every "<label>.name" of a check that has a
	 * "<label>.ifOperStatus" beside it is a port the template keeps.
	 */
	function portRows(d) {
		var ports = [];

		d.checks.forEach(function (c) {
			var v = c.values || {};

			Object.keys(v).forEach(function (k) {
				var m = /^(.+)\.name$/.exec(k), p, e, n = null;

				if (!m || !v[m[1] + ".ifOperStatus"])
					return;
				p = m[1];
				["ifInErrors", "ifOutErrors"].forEach(function (x) {
					e = v[p + "." + x];
					if (e && typeof e.rate === "number")
						n = (n || 0) + e.rate;
				});
				ports.push({ chk: c.id, key: p, name: v[k].value,
				    alias: v[p + ".alias"] ? v[p + ".alias"].value :
				    "", oper: v[p + ".ifOperStatus"].value,
				    speed: v[p + ".ifHighSpeed"] ?
				    v[p + ".ifHighSpeed"].value : null,
				    inu: v[p + ".in_util"] ? v[p + ".in_util"].value :
				    null, outu: v[p + ".out_util"] ?
				    v[p + ".out_util"].value : null, err: n,
				    /* The API's words, when the agent gave them. */
				    important: v[k].important === true,
				    operText: v[p + ".ifOperStatus"].text,
				    speedText: v[p + ".ifHighSpeed"] ?
				    v[p + ".ifHighSpeed"].display : undefined,
				    inText: v[p + ".in_util"] ?
				    v[p + ".in_util"].display : undefined,
				    outText: v[p + ".out_util"] ?
				    v[p + ".out_util"].display : undefined });
			});
		});
		return ports.sort(function (a, b) { return natCmp(a.name, b.name); });
	}

	function speedText(mbps) {
		if (typeof mbps !== "number" || mbps <= 0)
			return "—";
		return mbps >= 1000 ? (mbps / 1000) + " Gbit/s" :
		    mbps + " Mbit/s";
	}

	function pctText(x) {
		return typeof x === "number" ? x.toFixed(1) + " %" : "—";
	}

	function portTable(ports) {
		var tb = table([t("port"), t("alias"), t("oper"), t("speed"),
		    t("in_util"), t("out_util"), t("errors")],
		    ports.map(function (p) {
			var w = PORT_OPER[p.oper];

			return [p.name, p.alias || "—", w && (lang === "zh" ||
			    !p.operText) ? w[lang === "zh" ? 0 : 1] :
			    p.operText || String(p.oper), p.speedText ||
			    speedText(p.speed), p.inText || pctText(p.inu),
			    p.outText || pctText(p.outu), p.err === null ?
			    "—" : p.err.toFixed(2) + "/s"];
		    }));
		var trs = tb.querySelectorAll("tbody tr");

		tb.className = "ports";
		ports.forEach(function (p, i) {
			trs[i].setAttribute("data-port", p.name);
			trs[i].setAttribute("data-key", p.key);
			if (p.important)
				trs[i].setAttribute("data-important", "1");
			trs[i].setAttribute("data-oper", p.oper === 1 ? "up" :
			    "down");
		});
		return tb;
	}

	/*
	 * A value's series as the collector names its file and the API its
	 * series (common/util.c fm_sanitize_name): a row's label is ASCII
	 * already, so one character here is one byte there.
	 */
	function seriesName(name) {
		return name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\./, "_");
	}

	/* ---- the device page's graphs ------------------------------------ */

	var RANGES = [["1h", 3600e3], ["24h", 86400e3], ["7d", 7 * 86400e3],
	    ["30d", 30 * 86400e3]];

	/* The configured zone's offset from UTC at ms, in ms. */
	function tzOffset(ms) {
		var f = {};

		new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour12: false,
		    year: "numeric", month: "2-digit", day: "2-digit",
		    hour: "2-digit", minute: "2-digit" })
		    .formatToParts(new Date(ms)).forEach(function (x) {
			f[x.type] = Number(x.value);
		    });
		return Date.UTC(f.year, f.month - 1, f.day, f.hour % 24,
		    f.minute) - Math.floor(ms / 60000) * 60000;
	}

	/* A time axis tick: 14:30, or 12-06 14:30, or 12-06. */
	function fmtTick(ms, withDate, step) {
		var o = { timeZone: tz, hour12: false };

		if (withDate) {
			o.month = "2-digit";
			o.day = "2-digit";
		}
		if (!withDate || step < 86400e3) {
			o.hour = "2-digit";
			o.minute = "2-digit";
		}
		return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", o)
		    .format(new Date(ms));
	}

	/* "2026-12-06T08:00" (datetime-local) in the configured zone, as ms. */
	function parseLocal(v) {
		var guess = Date.parse(v + ":00Z");

		return isNaN(guess) ? NaN : guess - tzOffset(guess);
	}

	function toLocalInput(ms) {
		return new Date(ms + tzOffset(ms)).toISOString().slice(0, 16);
	}

	/*
	 * The graphs worth drawing, at most 12: latency, clients,
	 * temperatures, and a port's in and out octets on one graph (the
	 * 64-bit counters when the device has them).  meta: the device's
	 * described values by "<check> <series>" (the API's label, unit,
	 * important).
	 */
	function graphSets(series, rowports, meta) {
		var out = [], ports = {}, have = {}, rows = {}, imp, rest;

		/*
		 * A template's ports first: those it marks important (the
		 * uplinks, by name or alias) whatever their state, then the
		 * fastest, then the busiest, their in and out utilisation on
		 * one graph; the rest of their series are left to the port
		 * table.
		 */
		Object.keys(series).forEach(function (chk) {
			series[chk].forEach(function (s) { have[chk + " " + s] = 1; });
		});
		rowports.forEach(function (p) {
			rows[p.chk + " " + seriesName(p.key)] = 1;
		});
		rowports.filter(function (p) {
			return p.oper === 1 || p.important;
		    }).sort(function (a, b) {
			return (b.important ? 1 : 0) - (a.important ? 1 : 0) ||
			    (b.speed || 0) - (a.speed || 0) ||
			    (b.inu || 0) + (b.outu || 0) - (a.inu || 0) -
			    (a.outu || 0) || natCmp(a.name, b.name);
		    }).slice(0, 4).forEach(function (p) {
			var f = [seriesName(p.key + ".in_util"),
			    seriesName(p.key + ".out_util")];

			if (have[p.chk + " " + f[0]] || have[p.chk + " " + f[1]])
				out.push({ chk: p.chk, port: p.name, util: true,
				    names: f.map(function (n) {
					return have[p.chk + " " + n] ? n : null;
				    }) });
		    });
		Object.keys(series).forEach(function (chk) {
			var names = series[chk].slice().sort(natCmp);

			names.forEach(function (s) {
				var x = hintOf(s), o = OCTETS.exec(x.base), key;
				var dot = s.lastIndexOf(".");

				if (s === "up" ||
				    /^(ifOperStatus|ifAdminStatus|sysUpTime)/.test(s))
					return;
				if (dot > 0 && rows[chk + " " + s.slice(0, dot)])
					return;
				if (!o) {
					out.push({ chk: chk, names: [s] });
					return;
				}
				if (!o[1] && names.indexOf("ifHC" + o[2] + "Octets." +
				    x.idx) >= 0)
					return;
				key = chk + "|" + x.idx;
				if (!ports[key]) {
					ports[key] = { chk: chk, names: [], port: x.idx };
					out.push(ports[key]);
				}
				ports[key].names[o[2] === "In" ? 0 : 1] = s;
			});
		});
		/*
		 * After the ports, what the template marks important (the
		 * UPS's output source and battery, a board's CPU), then the
		 * rest in their order.
		 */
		imp = function (g) {
			return !g.util && meta[g.chk + " " + g.names[0]] &&
			    meta[g.chk + " " + g.names[0]].important === true;
		};
		out.forEach(function (g) {
			if (!g.util && g.port === undefined)
				g.meta = meta[g.chk + " " + g.names[0]];
		});
		rest = out.filter(function (g) { return !g.util; });
		out = out.filter(function (g) { return g.util; })
		    .concat(rest.filter(imp), rest.filter(function (g) {
			return !imp(g);
		    }));
		return out.slice(0, 12);
	}

	function graphTitle(g) {
		if (g.util)
			return (lang === "zh" ? "端口 " + g.port + " 利用率" :
			    "Port " + g.port + " utilisation");
		if (g.port !== undefined)
			return (lang === "zh" ? "端口 " + g.port + " " +
			    t("r_traffic") : "Port " + g.port + " " +
			    t("r_traffic"));
		return valueLabel(g.names[0], g.meta);
	}

	/*
	 * The graphs section: a range picker (1 h, 24 h, 7 d, 30 d, custom),
	 * zoom by dragging on any graph, each graph with its unit.  The
	 * series are read by the collector's RRD thread (/api/v1/rrd with
	 * from and to), never on its event loop.
	 */
	function deviceGraphs(view, id, series, ports, meta) {
		var sets = graphSets(series, ports, meta), range = null;
		var graphs, bar, form;
		var note = el("p", "rangenote", t("r_hint"));

		function pick(name, from, to) {
			range = { name: name, from: Math.round(from),
			    to: Math.round(to) };
			bar.querySelectorAll("button[data-range]").forEach(
			    function (b) {
				b.className = b.getAttribute("data-range") ===
				    name ? "on" : "";
			    });
			form.elements.from.value = toLocalInput(range.from);
			form.elements.to.value = toLocalInput(range.to);
			note.textContent = (name === "zoom" ? t("r_zoomed") + " · " :
			    "") + fmtShort(range.from) + " – " +
			    fmtShort(range.to) + " · " + t("r_hint");
			drawAll();
		}
		view.appendChild(el("h3", null, t("graphs")));
		bar = el("div", "periods");
		RANGES.forEach(function (r) {
			var b = el("button", null, r[0]);

			b.type = "button";
			b.setAttribute("data-range", r[0]);
			b.addEventListener("click", function () {
				var now = Date.now();

				pick(r[0], now - r[1], now);
			});
			bar.appendChild(b);
		});
		form = el("form", "customrange");
		[["from", t("r_from")], ["to", t("r_to")]].forEach(function (f) {
			var lab = el("label", null, f[1] + " "), inp = el("input");

			inp.type = "datetime-local";
			inp.name = f[0];
			lab.appendChild(inp);
			form.appendChild(lab);
		});
		var go = el("button", null, t("r_show"));

		go.type = "submit";
		form.appendChild(go);
		form.addEventListener("submit", function (ev) {
			var a = parseLocal(form.elements.from.value);
			var b = parseLocal(form.elements.to.value);

			ev.preventDefault();
			if (isNaN(a) || isNaN(b) || b - a < 60000) {
				note.textContent = t("r_bad");
				return;
			}
			pick("custom", a, b);
		});
		var cust = el("details", "custom");

		cust.appendChild(el("summary", null, t("r_custom")));
		cust.appendChild(form);
		bar.appendChild(cust);
		view.appendChild(bar);
		view.appendChild(note);
		graphs = el("div", "graphs");
		view.appendChild(graphs);
		function drawAll() {
			graphs.replaceChildren();
			if (sets.length === 0)
				graphs.appendChild(el("p", "none", t("no_data")));
			sets.forEach(function (g) {
				var box = el("figure", "graph"), holder = el("div");
				var sc = seriesScale(g.names.filter(Boolean)[0],
				    meta[g.chk + " " + g.names.filter(Boolean)[0]]);

				box.setAttribute("data-graph", g.chk + "/" +
				    g.names.filter(Boolean).join("+"));
				box.appendChild(el("figcaption", null, g.chk + " · " +
				    graphTitle(g) + (sc.unit ? " (" + sc.unit + ")" :
				    "")));
				box.appendChild(holder);
				graphs.appendChild(box);
				drawOne(holder, g, sc);
			});
		}
		function drawOne(holder, g, sc) {
			var want = range;

			Promise.all(g.names.map(function (n) {
				if (!n)
					return null;
				return api("/api/v1/rrd?device=" +
				    encodeURIComponent(id) + "&check=" +
				    encodeURIComponent(g.chk) + "&series=" +
				    encodeURIComponent(n) + "&from=" + want.from +
				    "&to=" + want.to);
			})).then(function (r) {
				var list = [];

				if (want !== range)
					return;	/* a newer range was picked */
				r.forEach(function (s, k) {
					if (s === null)
						return;
					list.push({ label: g.port === undefined ? "" :
					    t(k === 0 ? "r_in" : "r_out"),
					    cls: g.port === undefined ? "" :
					    (k === 0 ? "in" : "out"),
					    points: s.points.map(function (q) {
						return [q[0], q[1] === null ? null :
						    q[1] * sc.k];
					    }) });
				});
				window.FacChart.draw(holder, list, {
				    unit: sc.unit, fmtTime: fmtTick,
				    offset: tzOffset, empty: t("no_data"),
				    from: want.from, to: want.to,
				    title: graphTitle(g),
				    onZoom: function (a, b) {
					pick("zoom", a, b);
				    } });
			}).catch(function (e) {
				holder.textContent = e.message;
			});
		}
		pick("1h", Date.now() - 3600e3, Date.now());
	}

	/*
	 * The device's state and warnings from its own answer
	 * (/api/v1/devices/{id} carries what the wall carries), never from
	 * a wall this tab may or may not have loaded before: a page opened
	 * by a link, a bookmark or a reload must show a fault as well.
	 */
	function deviceStatus(stEl, box, d) {
		var w = d.warnings || [], st = d.stale ? "unknown" :
		    d.maintenance ? "maintenance" : d.state;

		stEl.replaceChildren(badge(st));
		if (w.length > 0 && st === "up")
			stEl.appendChild(badge("warning"));
		stEl.setAttribute("data-state", w.length > 0 && st === "up" ?
		    "warning" : st);
		box.textContent = w.map(warnText).join("；");
		box.hidden = w.length === 0;
	}

	/* Asked again every DEVICE_POLL_MS while this device is shown. */
	var DEVICE_POLL_MS = 5000;

	function deviceRefresh(id, stEl, box) {
		var shown = location.hash;

		timer = setTimeout(function () {
			if (route !== "device" || location.hash !== shown)
				return;
			apiBounded("/api/v1/devices/" + encodeURIComponent(id))
			    .then(function (d) {
				if (route !== "device" || location.hash !== shown)
					return;
				markOk();
				deviceStatus(stEl, box, d);
			    }).catch(function () {}).finally(function () {
				if (route === "device" && location.hash === shown)
					deviceRefresh(id, stEl, box);
			    });
		}, DEVICE_POLL_MS);
	}

	function renderDevice(view, id) {
		var head = el("div", "devhead");
		var back = el("a", null, t("back"));

		back.href = "#wall";
		view.replaceChildren(back, head);
		Promise.all([api("/api/v1/devices/" + encodeURIComponent(id)),
		    api("/api/v1/series/" + encodeURIComponent(id))
		    .catch(function () { return { series: {} }; }),
		    api("/api/v1/outages?limit=50&device=" +
		    encodeURIComponent(id))]).then(function (r) {
			var d = r[0], series = r[1].series, outs = r[2].outages;
			var rows = [], vals = [], meta = {};
			var ports = portRows(d);

			var stEl = el("span", "devstate"), box = el("p", "warnbox");

			head.appendChild(el("h2", null, d.name || d.id));
			head.appendChild(stEl);
			view.appendChild(box);
			deviceStatus(stEl, box, d);
			deviceRefresh(id, stEl, box);
			head.appendChild(el("span", "meta", " " +
			    groupName(d.group) + " · " + className(d["class"]) +
			    " · " +
			    d.address + (d.since_ms ? " · " + fmtTime(d.since_ms)
			    : "")));
			d.checks.forEach(function (c) {
				rows.push([c.id, c.type, badge(c.state),
				    word(OUTCOMES, c.outcome),
				    c.message ? causeCell(c) : null,
				    typeof c.duration_ms === "number" ?
				    c.duration_ms.toFixed(1) + " ms" : null,
				    fmtTime(c.last_ms)]);
				Object.keys(c.values || {}).sort(natCmp)
				    .forEach(function (k) {
					var v = c.values[k];

					vals.push([c.id, valueLabel(k, v),
					    valueText(v, k)]);
					if (v.display !== undefined)
						meta[c.id + " " + seriesName(k)] = v;
				    });
			});
			view.appendChild(el("h3", null, t("checks")));
			view.appendChild(table([t("check"), t("type"), t("state"),
			    t("result"), t("message"), t("duration"), t("updated")],
			    rows));
			if (ports.length > 0) {
				view.appendChild(el("h3", null, t("ports") + " (" +
				    ports.length + ")"));
				view.appendChild(portTable(ports));
			}
			view.appendChild(el("h3", null, t("avail_month") + " / " +
			    t("avail_year")));
			var av = el("p", "devavail");
			view.appendChild(av);
			loadDeviceAvail(av, d.id);
			deviceGraphs(view, d.id, series, ports, meta);
			/*
			 * A core switch has hundreds of counters: folded, so the
			 * page is about the device, not its MIB.
			 */
			var det = el("details", "values");

			det.appendChild(el("summary", null, t("values") + " (" +
			    vals.length + ")"));
			det.appendChild(table([t("check"), t("name"), t("value")],
			    vals));
			view.appendChild(det);
			view.appendChild(el("h3", null, t("outages")));
			view.appendChild(outageTable(outs, false));
		}).catch(function (e) { fail(view, e); });
	}

	/* Start of this year in the configured zone, in ms. */
	function yearStart(now) {
		var y = Number(new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    year: "numeric" }).format(new Date(now)));
		var guess = Date.UTC(y, 0, 1);
		var p = new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    hour12: false, year: "numeric", month: "2-digit",
		    day: "2-digit", hour: "2-digit", minute: "2-digit" })
		    .formatToParts(new Date(guess));
		var f = {};

		p.forEach(function (x) { f[x.type] = Number(x.value); });
		var shown = Date.UTC(f.year, f.month - 1, f.day,
		    f.hour % 24, f.minute);
		return guess - (shown - guess);
	}

	function thisMonth() {
		var p = new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    year: "numeric", month: "2-digit" }).formatToParts(new Date());
		var f = {};

		p.forEach(function (x) { f[x.type] = x.value; });
		return f.year + "-" + f.month;
	}

	function loadDeviceAvail(p, id) {
		var now = Date.now();

		Promise.all([
		    api("/api/v1/availability?devices=1&month=" + thisMonth()),
		    api("/api/v1/availability?devices=1&from=" + yearStart(now) +
		    "&to=" + now)]).then(function (r) {
			var m = (r[0].devices || []).filter(function (x) {
				return x.id === id; })[0];
			var y = (r[1].devices || []).filter(function (x) {
				return x.id === id; })[0];

			p.textContent = t("month") + ": " + availLine(m) +
			    "  |  " + t("year") + ": " + availLine(y);
		}).catch(function (e) { p.textContent = e.message; });
	}

	/* ---- incidents ------------------------------------------------------- */

	function ackText(o) {
		if (o.acked_ms)
			return t("acked") + " · " + o.acked_by +
			    (o.ack_comment ? " · " + o.ack_comment : "");
		return o.open ? t("unacked") : "—";
	}

	/*
	 * A storm under its parent: an outage whose device hangs (directly
	 * or further down) off a device with an outage that covers its start
	 * is shown as one row under the parent's, folded.  Returns the top
	 * rows, each with .kids.
	 */
	function foldStorm(outs) {
		var byDev = {}, top = [], parentOf = {};

		outs.forEach(function (o) {
			(byDev[o.device] = byDev[o.device] || []).push(o);
			parentOf[o.device] = o.parent;
			o.kids = [];
			o.under = null;
		});
		function cover(o) {
			var p = o.parent, hops = 0, i, list;

			while (p && hops++ < 8) {
				list = byDev[p] || [];
				for (i = 0; i < list.length; i++)
					if (list[i].start_ms <= o.start_ms + 60000 &&
					    (!list[i].end_ms || list[i].end_ms +
					    60000 >= o.start_ms))
						return list[i];
				p = parentOf[p] !== undefined ? parentOf[p] :
				    (wallDevice(p) || {}).parent;
			}
			return null;
		}
		outs.forEach(function (o) { o.cov = cover(o); });
		outs.forEach(function (o) {
			var par = o.cov, hops = 0;

			while (par && par.cov && hops++ < 8)
				par = par.cov;
			if (par && par !== o) {
				o.under = par;
				par.kids.push(o);
			} else
				top.push(o);
		});
		return top;
	}

	function wallDevice(id) {
		var d = lastWall && (lastWall.devices || []).filter(function (x) {
			return x.id === id; })[0];

		return d || null;
	}

	/*
	 * What the topology says of a storm: the devices below id (to eight
	 * levels, from the wall's parent links) and how many of them are
	 * unreachable now.  The outage records under a parent are fewer:
	 * an unreachable device has no outage of its own, so counting
	 * records said "+10" while 40 devices were cut off.
	 */
	function below(id) {
		var devs = (lastWall && lastWall.devices) || [], kids = {};
		var out = { n: 0, unreachable: 0 }, level = [id], depth = 0;

		devs.forEach(function (d) {
			if (d.parent)
				(kids[d.parent] = kids[d.parent] || []).push(d);
		});
		while (level.length > 0 && depth++ < 8) {
			var next = [];

			level.forEach(function (p) {
				(kids[p] || []).forEach(function (d) {
					out.n++;
					out.unreachable += d.state === "unreachable";
					next.push(d.id);
				});
			});
			level = next;
		}
		return out;
	}

	function stormText(o) {
		var b = below(o.device);

		if (b.n === 0)
			return "";
		if (lang === "zh")
			return "下游 " + b.n + " 台设备" + (o.end_ms ? "" :
			    "，现 " + b.unreachable + " 台不可达");
		return b.n + " devices below" + (o.end_ms ? "" : ", " +
		    b.unreachable + " unreachable now");
	}

	function outageTable(outs, actions) {
		var top = foldStorm(outs), flat = [];

		top.forEach(function (o) {
			flat.push(o);
			o.kids.forEach(function (k) { flat.push(k); });
		});
		var rows = flat.map(function (o) {
			var st = ackText(o);
			var name = devLink(o.device, o.name), cell = name;

			var topo = o.under ? "" : stormText(o);

			if (o.kids.length > 0 || (topo && !o.end_ms &&
			    below(o.device).unreachable > 0)) {
				cell = el("div", "stormhead");
				cell.appendChild(name);
				if (topo)
					cell.appendChild(el("span", "below", topo));
			}
			if (o.kids.length > 0) {
				var b = el("button", "fold", "+" + o.kids.length +
				    " " + t("children"));

				b.type = "button";
				b.setAttribute("aria-expanded", "false");
				cell.appendChild(b);
			}
			var row = [cell, groupName(o.group),
			    fmtTime(o.start_ms),
			    o.end_ms ? fmtTime(o.end_ms) : t("open"),
			    fmtDur((o.end_ms || Date.now()) - o.start_ms),
			    causeCell(o), clsText(o["class"]) +
			    (o.classified_by ? " · " + o.classified_by : ""),
			    st, o.note || ""];

			if (actions)
				row.push(o.under ? el("span", "hint",
				    t("under_parent")) : actionCell(o));
			return row;
		});
		var heads = [t("device"), t("group"), t("start"), t("end"),
		    t("duration"), t("cause"), t("klass"), t("ack_col"),
		    t("note")];

		if (actions)
			heads.push(t("actions"));
		if (rows.length === 0)
			return el("p", "none", t("no_outages"));
		var tb = table(heads, rows);

		flat.forEach(function (o, i) {
			var tr = tb.tBodies[0].rows[i];

			tr.setAttribute("data-device", o.device);
			tr.setAttribute("data-start", String(o.start_ms));
			if (o.under) {
				tr.className = "child";
				tr.hidden = true;
				tr.setAttribute("data-parent", o.under.device);
			}
			if (o.kids.length > 0) {
				tr.className = "storm";
				tr.querySelector("button.fold").addEventListener(
				    "click", function (ev) {
					var b = ev.currentTarget;
					var open = b.getAttribute(
					    "aria-expanded") !== "true";

					b.setAttribute("aria-expanded", String(open));
					for (var r = tr.nextElementSibling; r &&
					    r.classList.contains("child");
					    r = r.nextElementSibling)
						r.hidden = !open;
				    });
			}
		});
		return tb;
	}

	function actionCell(o) {
		var box = el("div", "actions");
		var key = { device: o.device, check: o.check,
		    start_ms: o.start_ms };

		if (!session.user) {
			box.appendChild(el("span", "hint", t("need_login")));
			return box;
		}
		function form(cls, fields, label, path, make) {
			var f = el("form", cls);
			var b = el("button", null, label);

			fields.forEach(function (x) { f.appendChild(x); });
			b.type = "submit";
			f.appendChild(b);
			f.addEventListener("submit", function (ev) {
				ev.preventDefault();
				api(path, { method: "POST", body: make() })
				    .then(function () { render(); })
				    .catch(function (e) { alertBox(f, e); });
			});
			return f;
		}
		if (!o.acked_ms) {
			var c = el("input");

			c.name = "comment";
			c.placeholder = t("comment");
			c.maxLength = 255;
			box.appendChild(form("ack", [c], t("ack"),
			    "/api/v1/outages/ack", function () {
				return Object.assign({ comment: c.value }, key);
			}));
		}
		var sel = el("select"), rs = el("input");

		sel.name = "class";
		["unplanned", "planned", "external"].forEach(function (k) {
			var op = el("option", null, clsText(k));

			op.value = k;
			op.selected = k === o["class"];
			sel.appendChild(op);
		});
		rs.name = "reason";
		rs.placeholder = t("reason");
		rs.required = true;
		rs.maxLength = 255;
		box.appendChild(form("classify", [sel, rs], t("reclassify"),
		    "/api/v1/outages/classify", function () {
			return Object.assign({ "class": sel.value,
			    reason: rs.value }, key);
		}));
		var nt = el("input");

		nt.name = "note";
		nt.placeholder = t("note");
		nt.required = true;
		nt.maxLength = 255;
		box.appendChild(form("note", [nt], t("save"),
		    "/api/v1/outages/note", function () {
			return Object.assign({ note: nt.value }, key);
		}));
		return box;
	}

	function alertBox(where, e) {
		var p = where.querySelector(".error") || el("span", "error");

		p.textContent = t("error") + e.message;
		where.appendChild(p);
	}

	/* Rows of the tables in 'root' that hold the text q, the rest hidden. */
	function searchRows(root, q) {
		q = q.trim().toLowerCase();
		root.querySelectorAll("tbody tr").forEach(function (tr) {
			var hit = !q || tr.textContent.toLowerCase().indexOf(q) >= 0;

			tr.classList.toggle("nomatch", !hit);
			/* A hit in a folded storm shows its row. */
			if (hit && q && tr.classList.contains("child"))
				tr.hidden = false;
		});
	}

	var pastLimit = 50;

	function renderIncidents(view) {
		var q = el("input"), box = el("div", "incbody");
		var bar = el("form", "filters");

		q.type = "search";
		q.name = "q";
		q.placeholder = t("search");
		q.setAttribute("aria-label", t("search"));
		q.addEventListener("input", function () {
			searchRows(box, q.value); });
		bar.addEventListener("submit", function (ev) {
			ev.preventDefault(); });
		bar.appendChild(q);
		view.replaceChildren(bar, box);
		box.appendChild(el("h2", null, t("open_incidents")));
		/* The wall for the topology and the states (stormText). */
		Promise.all([api("/api/v1/wall").then(function (w) {
			lastWall = w;
			return api("/api/v1/outages?open=1");
		    }), api("/api/v1/outages?open=0&limit=" + pastLimit),
		    api("/api/v1/alerts/outbox").catch(function () {
			return { deliveries: [] }; }),
		    /* Only where configured (alerts.show_sent: the demo). */
		    session.show_sent ? api("/api/v1/alerts/sent").catch(
			function () { return null; }) :
			Promise.resolve(null)]).then(function (r) {
			var open = r[0].outages, past = r[1].outages, moved;

			markOk();
			/*
			 * The children of an open storm whose own outages have
			 * ended (reachable again, or turned unreachable) belong
			 * under the open parent, not in the history.
			 */
			foldStorm(open.concat(past));
			moved = past.filter(function (o) {
				return o.under && o.under.open; });
			past = past.filter(function (o) {
				return moved.indexOf(o) < 0; });
			box.appendChild(outageTable(open.concat(moved), true));
			box.appendChild(el("h2", null, t("past")));
			box.appendChild(outageTable(past, true));
			if (r[1].outages.length >= pastLimit) {
				var more = el("button", "more", t("more"));

				more.type = "button";
				more.addEventListener("click", function () {
					pastLimit *= 2;
					render();
				});
				box.appendChild(more);
			}
			view = box;
			view.appendChild(el("h2", null, t("outbox")));
			view.appendChild(table([t("device"), t("kind"),
			    t("recipient"), t("state"), t("attempts"),
			    t("start"), t("last_error")],
			    (r[2].deliveries || []).map(function (d) {
				return [d.device_name || d.device,
				    word(KINDS, d.kind), d.recipient,
				    word(DELIVERY, d.state), d.total_attempts,
				    fmtTime(d.created_ms), d.last_error];
			    })));
			if (r[3] && r[3].sent) {
				var sent = el("section", "sent");

				sent.id = "sent";
				sent.appendChild(el("h2", null, t("sent_title")));
				sent.appendChild(table([t("time"), t("channel"),
				    t("recipient"), t("state"), t("sent_text")],
				    r[3].sent.map(function (s) {
					return [fmtTime(s.time_ms), s.channel,
					    s.recipient, word(DELIVERY, s.state),
					    s.sms || s.subject];
				    })));
				view.appendChild(sent);
			}
		}).catch(function (e) { fail(view, e); });
	}

	/* ---- maintenance ----------------------------------------------------- */

	function list(s) {
		return s.split(/[,，\s]+/).filter(function (x) {
			return x !== ""; });
	}

	/* "YYYY-MM-DDTHH:MM" read in the configured zone. */
	function zonedMs(s) {
		var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)$/.exec(s);
		var guess, p, f = {};

		if (!m)
			return NaN;
		guess = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
		p = new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    hour12: false, year: "numeric", month: "2-digit",
		    day: "2-digit", hour: "2-digit", minute: "2-digit" })
		    .formatToParts(new Date(guess));
		p.forEach(function (x) { f[x.type] = Number(x.value); });
		return guess - (Date.UTC(f.year, f.month - 1, f.day,
		    f.hour % 24, f.minute) - guess);
	}

	function field(label, input) {
		var l = el("label");

		l.appendChild(el("span", null, label));
		l.appendChild(input);
		return l;
	}

	/* The devices the wall knows, for names in place of ids. */
	var devIndex = [];

	function devName(id) {
		var d = devIndex.filter(function (x) { return x.id === id; })[0];

		return d ? d.name || d.id : id;
	}

	/*
	 * A typed name or id to the id: "2号电梯", "elevator-2" and "电梯"
	 * for a group all work; null when nothing matches.
	 */
	function resolveDevice(x) {
		var d = devIndex.filter(function (y) {
			return y.id === x || y.name === x; })[0];

		return d ? d.id : null;
	}

	function resolveGroup(x) {
		var k;

		for (k in GROUPS)
			if (k === x || GROUPS[k][0] === x || GROUPS[k][1] === x)
				return k;
		return devIndex.some(function (d) { return d.group === x; }) ?
		    x : null;
	}

	/*
	 * The device picker: a search over names, ids and addresses, and a
	 * list of checkboxes with the devices' Chinese names; a tick adds
	 * the id to the devices field, which also takes typed names.
	 */
	function devicePicker(dv) {
		var box = el("div", "picker"), q = el("input"), ul = el("ul");

		q.type = "search";
		q.name = "pick";
		q.placeholder = t("search");
		q.setAttribute("aria-label", t("search"));
		function draw() {
			var s = q.value.trim().toLowerCase(), chosen = list(dv.value);

			ul.replaceChildren();
			if (!s)
				return;
			devIndex.filter(function (d) {
				return [d.name, d.id, d.address].some(function (x) {
					return String(x || "").toLowerCase()
					    .indexOf(s) >= 0; });
			}).slice(0, 30).forEach(function (d) {
				var li = el("li"), l = el("label"), c = el("input");

				c.type = "checkbox";
				c.value = d.id;
				c.checked = chosen.indexOf(d.id) >= 0 ||
				    chosen.indexOf(d.name) >= 0;
				c.addEventListener("change", function () {
					var now = list(dv.value).filter(function (x) {
						return x !== d.id && x !== d.name; });

					if (c.checked)
						now.push(d.name || d.id);
					dv.value = now.join(", ");
				});
				l.appendChild(c);
				l.appendChild(document.createTextNode(" " +
				    (d.name || d.id) + " · " + d.id));
				li.appendChild(l);
				ul.appendChild(li);
			});
		}
		q.addEventListener("input", draw);
		box.appendChild(q);
		box.appendChild(ul);
		return box;
	}

	function windowForm(view, w) {
		var f = el("form", "window");
		var st = el("input"), mins = el("input"), rs = el("input");
		var dv = el("input"), gr = el("input"), cl = el("input");
		var b = el("button", null, w ? t("edit") : t("new_window"));
		var rp = el("select"), at = el("input");

		["once", "weekly", "monthly", "cron"].forEach(function (k) {
			var o = el("option", null, t(k));

			o.value = k;
			rp.appendChild(o);
		});
		at.maxLength = 63;
		/* Names for the browser tests and for people's form fillers. */
		st.name = "start";
		at.name = "at";
		mins.name = "minutes";
		rs.name = "reason";
		dv.name = "devices";
		gr.name = "groups";
		cl.name = "classes";
		rp.name = "repeat";
		st.type = "datetime-local";
		st.required = !w;
		mins.type = "number";
		mins.min = 1;
		mins.required = !w;
		rs.maxLength = 255;
		rs.required = !w;
		f.appendChild(el("h3", null, w ? t("edit") + " " + w.id :
		    t("new_window")));
		f.appendChild(field(t("repeat_l"), rp));
		f.appendChild(field(t("start_local"), st));
		f.appendChild(field(t("at_l"), at));
		f.appendChild(field(t("minutes"), mins));
		f.appendChild(field(t("reason"), rs));
		f.appendChild(field(t("devices_l"), dv));
		f.appendChild(field(t("pick_l"), devicePicker(dv)));
		f.appendChild(field(t("groups_l"), gr));
		f.appendChild(field(t("classes_l"), cl));
		/* A recurring window has a rule and a length, no start. */
		function shown() {
			st.required = !w && rp.value === "once";
			st.parentNode.hidden = rp.value !== "once";
			at.required = rp.value !== "once";
			at.parentNode.hidden = rp.value === "once";
		}
		rp.addEventListener("change", shown);
		if (w) {
			rp.value = w.repeat || "once";
			at.value = w.at || "";
			mins.value = Math.round((w.repeat ? w.duration_ms :
			    w.end_ms - w.start_ms) / 60000);
			rs.value = w.reason;
			dv.value = w.devices.map(devName).join(", ");
			gr.value = w.groups.join(", ");
			cl.value = w.classes.join(", ");
		}
		b.type = "submit";
		f.appendChild(b);
		shown();
		f.addEventListener("submit", function (ev) {
			var bad = [], body = { reason: rs.value,
			    devices: list(dv.value).map(function (x) {
				var id = resolveDevice(x);

				if (id === null)
					bad.push(x);
				return id;
			    }), groups: list(gr.value).map(function (x) {
				var g = resolveGroup(x);

				if (g === null)
					bad.push(x);
				return g;
			    }), classes: list(cl.value) };

			if (bad.length > 0) {
				ev.preventDefault();
				alertBox(f, new Error((lang === "zh" ?
				    "没有这样的设备或分组：" :
				    "no such device or group: ") + bad.join(", ")));
				return;
			}
			var start = st.value ? zonedMs(st.value) :
			    (w ? w.start_ms : NaN);

			ev.preventDefault();
			if (rp.value === "once")
				body.start_ms = start;
			else {
				body.repeat = rp.value;
				body.at = at.value;
			}
			body.duration_ms = Number(mins.value) * 60000;
			api(w ? "/api/v1/maintenance/" + w.id :
			    "/api/v1/maintenance", { method: w ? "PUT" : "POST",
			    body: body }).then(function () { render(); })
			    .catch(function (e) { alertBox(f, e); });
		});
		return f;
	}

	/* " · 剩余 25分": what is left of an active window. */
	function maintLeft(w) {
		var end = w.next_end_ms !== undefined ? w.next_end_ms : w.end_ms;

		return typeof end === "number" && end > Date.now() ? " · " +
		    t("left_maint") + " " + fmtDur(end - Date.now()) : "";
	}

	function renderMaintenance(view) {
		view.replaceChildren(el("h2", null, t("windows")));
		api("/api/v1/wall").then(function (wd) {
			devIndex = (wd.devices || []).slice().sort(function (a, b) {
				return natCmp(a.name, b.name); });
			markOk();
		}).catch(function () {}).then(function () {
			return api("/api/v1/maintenance");
		}).then(function (r) {
			var rows = r.windows.map(function (w) {
				var act = el("div", "actions");

				if (session.user && w.source === "api" &&
				    !w.cancelled) {
					var e = el("button", null, t("edit"));
					var c = el("button", null, t("cancel"));

					e.type = c.type = "button";
					e.addEventListener("click", function () {
						view.appendChild(windowForm(view, w));
					});
					c.addEventListener("click", function () {
						api("/api/v1/maintenance/" + w.id,
						    { method: "DELETE", body: {} }).then(
						    function () { render(); })
						    .catch(function (x) {
							alertBox(act, x); });
					});
					act.appendChild(e);
					act.appendChild(c);
				}
				return [w.id, t(w.source === "api" ? "src_api" :
				    "src_config"), w.reason + (w.repeat ? " (" +
				    t(w.repeat) + " " + w.at + ")" : ""),
				    [].concat(w.devices.map(devName),
				    w.groups.map(groupName),
				    w.classes.map(className))
				    .sort(natCmp).join(", "),
				    fmtTime(w.next_start_ms !== undefined ?
				    w.next_start_ms : w.start_ms),
				    fmtTime(w.next_end_ms !== undefined ?
				    w.next_end_ms : w.end_ms),
				    w.cancelled ? t("cancelled") :
				    (w.active ? t("active") + maintLeft(w) : ""), act];
			});
			view.appendChild(table(["ID", t("source"), t("reason"),
			    t("device"), t("start"), t("end"), t("state"),
			    t("actions")], rows));
			view.appendChild(maintCalendar());
			if (session.user)
				view.appendChild(windowForm(view, null));
			else
				view.appendChild(el("p", "hint",
				    t("need_login")));
		}).catch(function (e) { fail(view, e); });
	}

	/* ---- the down time budget explained ------------------------------ */

	function fmtSecs(ms) {
		return Math.round(ms / 1000).toLocaleString(lang === "zh" ?
		    "zh-CN" : "en-GB") + (lang === "zh" ? " 秒" : " s");
	}

	/*
	 * What a row's budget is made of, for the whole period (the month):
	 * the budget of the time so far plus that of the days to come is
	 * what is used plus what is left.  null: no target or no budget.
	 */
	function budgetFacts(row, doc) {
		var left = row ? row.budget_period_left_ms : undefined;

		if (!row || typeof row.target !== "number" || row.target >= 1 ||
		    typeof left !== "number" || !doc ||
		    typeof doc.period_end_ms !== "number")
			return null;
		return { target: row.target, left: left,
		    so: typeof row.budget_left_ms === "number" ?
		    row.budget_left_ms : left,
		    used: row.down_ms || 0, whole: left + (row.down_ms || 0),
		    devices: row.devices || 1,
		    days: Math.round((doc.period_end_ms - doc.from_ms) / 864e5),
		    excluded: (row.planned_ms || 0) + (row.unknown_ms || 0) +
		    (row.unreachable_ms || 0) };
	}

	/* The budget in words: what the target allows, used, left and why. */
	function budgetText(row, doc, name) {
		var f = budgetFacts(row, doc), per;

		if (f === null)
			return "";
		per = Math.round(1 / (1 - f.target)).toLocaleString(lang ===
		    "zh" ? "zh-CN" : "en-GB");
		if (lang === "zh")
			return name + "：目标 " + fmtTarget(f.target) + "，即每 " +
			    per + " 秒最多停 1 秒。本月 " + f.days + " 天 × " +
			    f.devices + " 台设备，扣除维护、无数据和因上级设备" +
			    "故障而不可达的时间（至今 " + fmtSecs(f.excluded) +
			    "）后，允许的停机时间共 " + fmtSecs(f.whole) + "（" +
			    fmtDur(f.whole) + "）。已用 " + fmtSecs(f.used) +
			    "（计划外停机），全月" + (f.left < 0 ? "超出 " +
			    fmtSecs(-f.left) : "剩余 " + fmtSecs(f.left) + "（" +
			    fmtDur(f.left) + "）") + "。达标按已过的时间判断：" +
			    "至今" + (f.so < 0 ? "已超出 " + fmtDur(-f.so) :
			    "剩余 " + fmtDur(f.so)) + (tooLittle(row) ?
			    "，但监测覆盖不足 1 %，数据不足以判断" : f.so < 0 ?
			    "，所以未达标" : "，所以达标") +
			    "。组的预算是组内每台设备" +
			    "预算之和：两台设备同时停 1 分钟，用掉 120 秒。";
		return name + ": the target " + fmtTarget(f.target) + " allows " +
		    "1 s down in every " + per + " s. This month has " + f.days +
		    " days × " + f.devices + " device" + (f.devices > 1 ? "s" :
		    "") + "; without maintenance, time with no data and time " +
		    "unreachable behind a failed parent (" + fmtSecs(f.excluded) +
		    " so far) that allows " + fmtSecs(f.whole) + " (" +
		    fmtDur(f.whole) + ") down. Used " + fmtSecs(f.used) +
		    " (unplanned down time), " + (f.left < 0 ? "overrun by " +
		    fmtSecs(-f.left) : fmtSecs(f.left) + " (" + fmtDur(f.left) +
		    ") left") + " for the whole month. The target is judged " +
		    "on the time elapsed: so far " + (f.so < 0 ? fmtDur(-f.so) +
		    " over" : fmtDur(f.so) + " left") + (tooLittle(row) ?
		    ", but under 1 % of the time was seen: too little data " +
		    "for a verdict" : f.so < 0 ? ", so below target" :
		    ", so met") +
		    ". A group's budget is the sum of its devices'" +
		    ": two devices down together for a minute use 120 s.";
	}

	/* The availability page's box: one paragraph per row with a target. */
	function budgetExplained(rows, doc) {
		var box = el("section", "budgetx");

		box.appendChild(el("h3", null, t("bx_title")));
		rows.forEach(function (g) {
			var f = budgetFacts(g, doc), p;

			if (f === null)
				return;
			p = el("p", f.left < 0 ? "over" : null, budgetText(g, doc,
			    g.id === "site" ? t("site") : groupName(g.id)));
			p.setAttribute("data-group", g.id);
			p.setAttribute("data-budget-s", String(Math.round(f.whole /
			    1000)));
			p.setAttribute("data-used-s", String(Math.round(f.used /
			    1000)));
			p.setAttribute("data-left-s", String(Math.round(f.left /
			    1000)));
			box.appendChild(p);
		});
		return box;
	}

	/* ---- the maintenance calendar ------------------------------------ */

	/* The start of month m (0-11) of year y in the configured zone. */
	function zoneMonthStart(y, m) {
		var guess = Date.UTC(y + Math.floor(m / 12), m % 12, 1);

		return guess - tzOffset(guess - tzOffset(guess));
	}

	function zoneParts(ms) {
		var f = {};

		new Intl.DateTimeFormat("en-GB", { timeZone: tz, year: "numeric",
		    month: "numeric", day: "numeric", weekday: "short" })
		    .formatToParts(new Date(ms)).forEach(function (x) {
			f[x.type] = x.value;
		    });
		return { y: Number(f.year), m: Number(f.month) - 1,
		    d: Number(f.day), wd: ["Mon", "Tue", "Wed", "Thu", "Fri",
		    "Sat", "Sun"].indexOf(f.weekday) };
	}

	function fmtHm(ms) {
		return new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    hour: "2-digit", minute: "2-digit", hour12: false })
		    .format(new Date(ms));
	}

	function windowWho(w) {
		return [].concat(w.devices.map(devName), w.groups.map(groupName),
		    w.classes.map(className)).sort(natCmp).join("、");
	}

	/*
	 * This month and the next as calendars, Monday first: each day with
	 * the windows that touch it (time, reason, what they cover).  The
	 * occurrences come from the collector, which expands weekly, monthly
	 * and cron rules in the configured zone.
	 */
	function maintCalendar() {
		var box = el("section", "calendar"), now = Date.now();
		var p = zoneParts(now);
		var from = zoneMonthStart(p.y, p.m);
		var to = zoneMonthStart(p.y, p.m + 2);

		box.appendChild(el("h3", null, t("cal_title")));
		api("/api/v1/maintenance?from=" + from + "&to=" + to)
		    .then(function (r) {
			[0, 1].forEach(function (k) {
				box.appendChild(calMonth(r.windows, p.y, p.m + k,
				    now));
			});
		}).catch(function (e) { box.appendChild(el("p", "error",
		    e.message)); });
		return box;
	}

	function calMonth(windows, y, m, now) {
		var start = zoneMonthStart(y, m), end = zoneMonthStart(y, m + 1);
		var first = zoneParts(start), days = [], grid, cap, i, n = 0;
		var wd = lang === "zh" ? ["一", "二", "三", "四", "五", "六", "日"] :
		    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
		var today = zoneParts(now);

		/* Day boundaries: next midnight in the zone, not + 24 h. */
		for (i = 0, days[0] = start; i < 32 && days[i] < end; i++)
			days.push(Math.min(end, dayAfter(days[i])));
		cap = lang === "zh" ? first.y + "年" + (first.m + 1) + "月" :
		    new Intl.DateTimeFormat("en-GB", { timeZone: tz,
		    year: "numeric", month: "long" }).format(new Date(start));
		var sec = el("div", "calmonth");

		sec.setAttribute("data-month", first.y + "-" +
		    String(first.m + 1).padStart(2, "0"));
		sec.appendChild(el("h4", null, cap));
		grid = el("div", "calgrid");
		wd.forEach(function (x) { grid.appendChild(el("div", "wd", x)); });
		for (i = 0; i < first.wd; i++)
			grid.appendChild(el("div", "day pad"));
		for (i = 0; i + 1 < days.length; i++) {
			var cell = el("div", "day"), list = el("ul");
			var ds = days[i], de = days[i + 1];

			cell.setAttribute("data-day", String(i + 1));
			cell.appendChild(el("span", "num", String(i + 1)));
			if (first.y === today.y && first.m === today.m &&
			    today.d === i + 1) {
				cell.classList.add("today");
				cell.title = t("cal_today");
			}
			windows.forEach(function (w) {
				(w.occurrences || []).forEach(function (o) {
					var li;

					if (o[1] <= ds || o[0] >= de)
						return;
					li = el("li", o[0] <= now && now < o[1] ?
					    "on" : null, fmtHm(Math.max(o[0], ds)) +
					    "–" + (o[1] >= de ? "24:00" :
					    fmtHm(o[1])) + " " + w.reason + " · " +
					    windowWho(w));
					li.setAttribute("data-window", w.id);
					list.appendChild(li);
				});
			});
			if (list.children.length > 0) {
				cell.appendChild(list);
				n++;
			} else
				cell.classList.add("empty");
			grid.appendChild(cell);
		}
		sec.appendChild(grid);
		if (n === 0)
			sec.appendChild(el("p", "none", t("cal_none")));
		return sec;
	}

	/* The next midnight in the zone after ms (a day is not always 24 h). */
	function dayAfter(ms) {
		var p = zoneParts(ms), g = Date.UTC(p.y, p.m, p.d + 1);

		return g - tzOffset(g - tzOffset(g));
	}

	/* ---- availability ---------------------------------------------------- */

	function metCell(g) {
		if (typeof g.target !== "number" ||
		    typeof g.availability !== "number")
			return "—";
		if (tooLittle(g))
			return el("span", "flag few", t("too_little"));
		return belowTarget(g) ? el("span", "flag below", t("not_met")) :
		    el("span", "flag ok", t("met"));
	}

	/*
	 * Uptime bars (one per hour or day): green with no down time, red
	 * with some, grey when nothing was seen; the title says how much.
	 */
	function bars(u, span) {
		var box = el("span", "bars"), i, a, d, b;

		if (!u)
			return "—";
		for (i = 0; i < u.availability.length; i++) {
			a = u.availability[i];
			d = u.down_ms[i];
			b = el("span", "bar " + (a === null ? "none" : d > 0 ?
			    "down" : "up"));
			b.title = fmtShort(span.from + i * span.ms) + " · " +
			    (a === null ? t("no_data") : fmtPct(a) + (d > 0 ?
			    " · " + t("downtime") + " " + fmtDur(d) : ""));
			box.appendChild(b);
		}
		return box;
	}

	function availRows(rows, link, up24, up30) {
		return rows.map(function (g) {
			var r = [link ? devLink(g.id, g.name) : (g.id === "site" ?
			    t("site") : groupName(g.id)), g.devices,
			    fmtPct(g.availability), fmtCov(g.coverage),
			    typeof g.target === "number" ? fmtTarget(g.target) :
			    t("no_target"), metCell(g),
			    fmtDur(g.down_ms), fmtDur(g.planned_ms), g.outages,
			    typeof g.mttr_ms === "number" ? fmtDur(g.mttr_ms) :
			    "—",
			    typeof g.budget_left_ms === "number" ?
			    budgetParts(g).join(" · ") : "—"];

			if (link && up24 && up30)
				r.push(bars(up24.devices[g.id], { from: up24.from_ms,
				    ms: up24.span_ms }), bars(up30.devices[g.id],
				    { from: up30.from_ms, ms: up30.span_ms }));
			return r;
		});
	}

	function renderAvailability(view, month) {
		var f = el("form", "month"), m = el("input"), b;
		var heads = [t("name"), t("ndev"), t("availability"),
		    t("coverage"), t("target"), t("met"), t("downtime"),
		    t("planned"), t("outages"), t("mttr"), t("budget_left")];

		m.type = "month";
		m.value = month || thisMonth();
		b = el("button", null, t("show"));
		b.type = "submit";
		f.appendChild(m);
		f.appendChild(b);
		f.addEventListener("submit", function (ev) {
			ev.preventDefault();
			location.hash = "#availability/" + m.value;
		});
		view.replaceChildren(el("h2", null, t("availability")), f);
		Promise.all([api("/api/v1/availability?devices=1&month=" + m.value),
		    api("/api/v1/uptime?range=24h").catch(function () {
			return null; }),
		    api("/api/v1/uptime?range=30d").catch(function () {
			return null; })]).then(function (all) {
			var r = all[0], up24 = all[1], up30 = all[2];
			var grows = [r.site].concat(r.groups.slice().sort(
			    function (a, b) {
				var ia = GROUP_ORDER.indexOf(a.id);
				var ib = GROUP_ORDER.indexOf(b.id);

				return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) ||
				    natCmp(a.id, b.id);
			    }));

			view.appendChild(table(heads, availRows(grows, false)));
			view.appendChild(budgetExplained(grows, r));
			var det = el("details", "perdev");

			markOk();
			/* Open on a screen; on a phone the groups come first. */
			det.open = window.innerWidth > 600;
			det.appendChild(el("summary", null, t("per_device") + " (" +
			    r.devices.length + ")"));
			det.appendChild(table(heads.concat(up24 && up30 ?
			    [t("bars24"), t("bars30")] : []), availRows(
			    r.devices.slice().sort(function (a, b) {
				return natCmp(a.name || a.id, b.name || b.id);
			    }), true, up24, up30)));
			view.appendChild(det);
			return api("/api/v1/reports");
		}).then(function (reps) {
			renderReports(view, reps || []);
		}).catch(function (e) { fail(view, e); });
	}

	/*
	 * The monthly reports the collector made by itself (docs/report.md):
	 * each month with its files, and who has had it by mail.
	 */
	function renderReports(view, reps) {
		var ul = el("ul", "reports");

		view.appendChild(el("h3", null, t("reports")));
		if (reps.length === 0) {
			view.appendChild(el("p", "hint", t("no_reports")));
			return;
		}
		reps.forEach(function (r) {
			var li = el("li", null, r.month + " ");

			r.files.forEach(function (f) {
				var a = el("a", null, f.name.replace(/^.*\./, ""));

				a.href = f.url;
				a.title = f.name;
				li.appendChild(a);
				li.appendChild(document.createTextNode(" "));
			});
			if (r.mailed.length > 0)
				li.appendChild(el("span", "hint", "· " +
				    t("mailed_to") + " " + r.mailed.join(", ")));
			ul.appendChild(li);
		});
		view.appendChild(ul);
	}

	/* ---- topology -------------------------------------------------------- */

	/*
	 * The parent/child tree the collector knows (core switch -> floor
	 * switches -> terminals), coloured by state: a storm is one broken
	 * branch.  Devices with neither parent nor child are listed apart.
	 */
	function renderTopology(view) {
		apiBounded("/api/v1/wall").then(function (data) {
			var devs = data.devices || [], kids = {}, byId = {};
			var roots = [], rest = [], tree = el("ul", "topo");

			if (route !== "topology")
				return;
			markOk();
			lastWall = data;
			devs.forEach(function (d) { byId[d.id] = d; });
			devs.forEach(function (d) {
				if (d.parent && byId[d.parent])
					(kids[d.parent] = kids[d.parent] || []).push(d);
			});
			devs.forEach(function (d) {
				if (d.parent && byId[d.parent])
					return;
				(kids[d.id] ? roots : rest).push(d);
			});
			function byName(a, b) {
				return natCmp(a.name || a.id, b.name || b.id);
			}
			function node(d, depth) {
				var li = el("li"), st = staleShown ? "unknown" :
				    shownState(d), a = el("a", "node " + st);
				var sub;

				li.setAttribute("data-device", d.id);
				a.href = "#device/" + encodeURIComponent(d.id);
				a.setAttribute("data-state", staleShown ? "stale" : st);
				a.appendChild(el("span", "name", d.name || d.id));
				a.appendChild(el("span", "st", " " + (staleShown ?
				    t("state_unknown") : stateText(st))));
				li.appendChild(a);
				if (kids[d.id] && depth < 8) {
					sub = el("ul");
					kids[d.id].sort(byName).forEach(function (k) {
						sub.appendChild(node(k, depth + 1));
					});
					li.appendChild(sub);
				}
				return li;
			}
			roots.sort(byName).forEach(function (d) {
				tree.appendChild(node(d, 0));
			});
			view.replaceChildren(el("h2", null, t("nav_topo")), tree);
			if (rest.length > 0) {
				var ul = el("ul", "topo rest");

				rest.sort(byName).forEach(function (d) {
					ul.appendChild(node(d, 8));
				});
				view.appendChild(el("h3", null, t("topo_rest")));
				view.appendChild(ul);
			}
		}).catch(function (e) {
			checkStale();
			fail(view, e);
		}).finally(function () {
			if (route === "topology")
				timer = setTimeout(function () {
					renderTopology(view);
				}, 5000);
		});
	}

	/* ---- routing --------------------------------------------------------- */

	function render() {
		var view = document.getElementById("view");
		var h = decodeURIComponent(location.hash.replace(/^#/, ""));
		var parts = h.split("/");

		if (timer !== null)
			clearTimeout(timer);
		timer = null;
		route = parts[0] || "wall";
		document.querySelectorAll("nav a").forEach(function (a) {
			a.className = a.getAttribute("href") === "#" + route ?
			    "on" : "";
		});
		document.body.setAttribute("data-view", route);
		kiosk = route === "kiosk";
		document.body.classList.toggle("kiosk", kiosk);
		if (route !== "wall" && route !== "kiosk")
			setStatus(t("updated") + " " + fmtTime(Date.now()), false);
		else
			view.replaceChildren();
		if (route === "device" && parts[1]) {
			renderDevice(view, parts.slice(1).join("/"));
		} else if (route === "incidents") {
			renderIncidents(view);
		} else if (route === "maintenance") {
			renderMaintenance(view);
		} else if (route === "availability") {
			renderAvailability(view, parts[1]);
		} else if (route === "topology") {
			renderTopology(view);
		} else {
			route = "wall";
			if (lastWall !== null)
				renderWall(view, lastWall);
			pollWall(view);
		}
	}

	document.addEventListener("DOMContentLoaded", function () {
		applyLang();
		setupChrome();
		loadSession().then(markOk).catch(function () {}).finally(render);
		window.addEventListener("hashchange", render);
		setInterval(heartbeat, HEARTBEAT_MS);
	});
})();
