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
 * The status page in Debian's chromium, driven by playwright-core; run
 * by tests/integration/test_web.py, which starts facmon-sim, the
 * collector and the agent and passes everything through the environment:
 *
 *   FACMON_URL        the collector's web address
 *   FACMON_SCENARIO   "wall", "outage", "stale", "warning", "find",
 *                     "layout", "maintname", "trapwarn", "graphs",
 *                     "honest", "sent", "ports" or "important"
 *   FACMON_DEVICES    JSON list of every device id the wall must show
 *   FACMON_SIM, FACMON_SIM_CTL   facmon-sim and its control socket
 *   FACMON_USER, FACMON_PASSWORD
 *   FACMON_ARTIFACTS  where screenshots go
 *
 * Every wait is on a condition with a generous bound, never a sleep.
 * Exits 0 when every step passed; otherwise prints the failed step.
 * "sync: NAME" on stdout asks the test to act (stop the collector,
 * start it again); the test answers with a line on stdin when done.
 */

"use strict";

const { chromium } = require("playwright-core");
const { execFileSync } = require("child_process");
const path = require("path");
const fs = require("fs");

const readline = require("readline");
const window_URL = require("url").URL;

const env = process.env;
const URL = env.FACMON_URL;
const LONG = 90000;
const stdinLines = readline.createInterface({ input: process.stdin });
const waiting = [];

stdinLines.on("line", () => {
	const w = waiting.shift();

	if (w)
		w();
});

/* Ask the test to do something and wait for its answer. */
function sync(name) {
	return new Promise((resolve) => {
		waiting.push(resolve);
		console.log("sync: " + name);
	});
}

function shot(name) {
	return path.join(env.FACMON_ARTIFACTS, name + ".png");
}

function step(name) {
	console.log("step: " + name);
}

function check(cond, what) {
	if (!cond)
		throw new Error("check failed: " + what);
}

async function wall(page, dialogs) {
	const ids = JSON.parse(env.FACMON_DEVICES);

	step("the wall shows every device");
	await page.goto(URL + "/");
	await page.waitForFunction((n) =>
	    document.querySelectorAll("#view a.tile").length >= n,
	    ids.length, { timeout: LONG });
	const shown = await page.$$eval("#view a.tile",
	    (a) => a.map((x) => x.getAttribute("data-device")));
	for (const id of ids)
		check(shown.includes(id), "tile of " + id);
	check((await page.getAttribute("html", "lang")) === "zh-CN",
	    "Chinese by default");
	const nav = await page.textContent("nav");
	check(nav.includes("状态墙") && nav.includes("事件"), "Chinese nav");
	// Every device comes up once its first probes are in.
	await page.waitForFunction(() =>
	    document.querySelectorAll('#view a.tile[data-state="up"]').length >=
	    document.querySelectorAll("#view a.tile").length - 2,
	    null, { timeout: LONG });
	const head = await page.textContent('section[data-group="lines"] .ghead');
	check(head.includes("专线") && head.includes("目标 99.99 %"),
	    "the lines' availability against the target: " + head);

	step("the page's icon is there, not a 404 on every load");
	const icons = await page.evaluate(() => Promise.all(
	    ["/favicon.ico", document.querySelector('link[rel="icon"]')
	    .getAttribute("href")].map((u) => fetch(u).then((r) =>
	    [u, r.status, r.headers.get("content-type")]))));
	check(icons[0][1] === 200 && icons[0][2] === "image/x-icon" &&
	    icons[1][1] === 200 && icons[1][2] === "image/svg+xml",
	    "the icons: " + JSON.stringify(icons));

	step("a hostile device name is text");
	const xss = await page.textContent('#view a.tile[data-device="xss"] .name');
	check(xss === "<img src=x onerror=alert(1)>", "name as text: " + xss);
	check((await page.$$("#view img")).length === 0, "no img element");

	step("the English switch");
	await page.click("#lang");
	await page.waitForFunction(() =>
	    document.documentElement.lang === "en" &&
	    document.querySelector("nav").textContent.includes("Status wall"),
	    null, { timeout: LONG });
	await page.waitForFunction(() => {
		const h = document.querySelector('section[data-group="lines"] h2');
		return h && h.textContent === "Lines";
	}, null, { timeout: LONG });
	const upText = await page.textContent(
	    '#view a.tile[data-state="up"] .st');
	check(upText.startsWith("Up"), "English state: " + upText);
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "wall-en.png"), fullPage: true });
	await page.click("#lang");
	await page.waitForFunction(() => document.documentElement.lang ===
	    "zh-CN", null, { timeout: LONG });
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "wall.png"), fullPage: true });
	// The same wall on a phone.
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "wall-phone.png") });
	check(dialogs.length === 0, "no dialog: " + dialogs.join(", "));
}

async function outage(page, dialogs) {
	const dev = "line-telecom";
	const tile = '#view a.tile[data-device="' + dev + '"]';

	step("the line is up");
	await page.goto(URL + "/");
	await page.waitForSelector(tile + '[data-state="up"]',
	    { timeout: LONG });
	step("the simulator takes the line down; its tile turns red");
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "inject", dev, "silent", "0"]);
	await page.waitForSelector(tile + '[data-state="down"]',
	    { timeout: LONG });
	const bg = await page.$eval(tile, (e) =>
	    getComputedStyle(e).backgroundColor);
	check(bg === "rgb(198, 40, 40)", "red tile: " + bg);
	await page.waitForSelector('.incidents li[data-device="' + dev + '"]',
	    { timeout: LONG });

	step("why, in words: the tile and the faults strip");
	const why = await page.textContent(tile + " .why");
	check(/[\u4e00-\u9fff]/.test(why) && !/within|echo|answer|timeout/
	    .test(why), "the tile's cause in Chinese: " + why);
	const cause = '.incidents li[data-device="' + dev + '"] .cause';
	const ctext = await page.textContent(cause);
	check(/[\u4e00-\u9fff]/.test(ctext) && !/within|echo|answer/
	    .test(ctext), "the strip's cause in Chinese: " + ctext);
	check((await page.getAttribute(cause, "title")).length > 0,
	    "the raw message kept as the tooltip");

	step("log in");
	await page.click("#login-open");
	await page.fill('#login-form input[name="user"]', env.FACMON_USER);
	await page.fill('#login-form input[name="password"]',
	    env.FACMON_PASSWORD);
	await page.click('#login-form button[type="submit"]');
	await page.waitForSelector("#logout:not([hidden])", { timeout: LONG });
	check((await page.textContent("#who")) === env.FACMON_USER, "who");

	step("acknowledge the incident");
	await page.goto(URL + "/#incidents");
	const row = 'tr[data-device="' + dev + '"]';
	await page.waitForSelector(row + " form.ack", { timeout: LONG });
	await page.fill(row + ' form.ack input[name="comment"]',
	    "线路运营商已报修");
	await page.click(row + ' form.ack button[type="submit"]');
	await page.waitForFunction((r) => {
		const e = document.querySelector(r);
		return e && e.textContent.includes("已确认 · admin") &&
		    !e.querySelector("form.ack");
	}, row, { timeout: LONG });

	step("the wall shows it acknowledged");
	await page.goto(URL + "/#wall");
	await page.waitForSelector('.incidents li.acked[data-device="' + dev +
	    '"]', { timeout: LONG });

	step("the device page");
	// The RRD files appear with the writer thread's first flush: reload
	// until the page lists a series, within the bound.
	const until = Date.now() + LONG;
	for (;;) {
		await page.goto(URL + "/#device/" + dev);
		await page.reload();
		await page.waitForSelector(".graphs > *", { timeout: LONG });
		if ((await page.$$("figure.graph")).length > 0)
			break;
		check(Date.now() < until, "a graph on the device page");
		await page.waitForTimeout(1000);
	}
	await page.waitForSelector("figure.graph svg.chart", { timeout: LONG });
	const h = await page.textContent(".devhead h2");
	check(h === "电信互联网专线", "device name: " + h);
	await page.waitForFunction(() =>
	    document.querySelector(".devavail").textContent.includes("%"),
	    null, { timeout: LONG });
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "device.png"), fullPage: true });
	await page.goto(URL + "/#incidents");
	await page.waitForSelector(row, { timeout: LONG });
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "incidents.png"), fullPage: true });

	step("schedule a maintenance window, see the tile, cancel it");
	await page.goto(URL + "/#maintenance");
	await page.waitForSelector("form.window", { timeout: LONG });
	const start = new Date(Date.now() - 60000);
	const local = new Intl.DateTimeFormat("sv-SE", {
	    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
	    day: "2-digit", hour: "2-digit", minute: "2-digit" })
	    .format(start).replace(" ", "T");
	await page.fill('form.window input[name="start"]', local);
	await page.fill('form.window input[name="minutes"]', "30");
	await page.fill('form.window input[name="reason"]', "更换UPS电池");
	await page.fill('form.window input[name="devices"]', "ups-1");
	await page.click('form.window button[type="submit"]');
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    "#view td")).some((td) => td.textContent === "更换UPS电池"),
	    null, { timeout: LONG });
	await page.goto(URL + "/#wall");
	await page.waitForSelector(
	    '#view a.tile[data-device="ups-1"][data-state="maintenance"]',
	    { timeout: LONG });
	await page.goto(URL + "/#maintenance");
	await page.waitForSelector("#view .actions button", { timeout: LONG });
	await page.click("#view .actions button:nth-child(2)");
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    "#view td")).some((td) => td.textContent === "已取消"),
	    null, { timeout: LONG });

	step("schedule a recurring window: every Sunday at 02:00");
	await page.waitForSelector('form.window select[name="repeat"]',
	    { timeout: LONG });
	await page.selectOption('form.window select[name="repeat"]', "weekly");
	await page.fill('form.window input[name="at"]', "Sun 02:00");
	await page.fill('form.window input[name="minutes"]', "120");
	await page.fill('form.window input[name="reason"]', "周日例行维护");
	await page.fill('form.window input[name="groups"]', "network");
	await page.click('form.window button[type="submit"]');
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    "#view td")).some((td) => td.textContent ===
	    "周日例行维护 (每周 Sun 02:00)"), null, { timeout: LONG });

	step("the availability page");
	await page.goto(URL + "/#availability");
	await page.waitForFunction(() =>
	    document.querySelectorAll("#view table").length === 2 &&
	    document.querySelector("#view table").textContent.includes("全中心"),
	    null, { timeout: LONG });
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "availability.png"), fullPage: true });
	check(dialogs.length === 0, "no dialog: " + dialogs.join(", "));
}

/*
 * The collector stops: within a bounded wait the page says it has no
 * data, loudly, and no tile is green; it comes back by itself when the
 * collector does.
 */
async function stale(page) {
	step("the wall is live");
	await page.goto(URL + "/");
	await page.waitForSelector('#view a.tile[data-state="up"]',
	    { timeout: LONG });
	check(await page.$eval("#stale", (e) => e.hidden), "no banner yet");

	step("the collector is stopped: the no-data state");
	await sync("kill-collector");
	const t0 = Date.now();
	await page.waitForSelector("body.stale #stale:not([hidden])",
	    { timeout: 20000 });
	console.log("figure: stale state shown " + (Date.now() - t0) +
	    " ms after the collector was killed");
	const banner = await page.textContent("#stale");
	check(banner.includes("数据中断") && banner.includes("监控服务器无法连接") &&
	    /自 \d\d:\d\d:\d\d/.test(banner), "the banner: " + banner);
	const colours = await page.$$eval("#view a.tile", (a) =>
	    a.map((x) => getComputedStyle(x).backgroundColor));
	check(colours.length > 0 && !colours.includes("rgb(46, 125, 50)"),
	    "no green tile: " + colours.slice(0, 3));
	const strip = await page.textContent(".incidents ul");
	check(!strip.includes("无") && strip.includes("状态未知"),
	    "no 'None' in the faults strip: " + strip);
	await page.screenshot({ path: shot("wall-stale") });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: shot("wall-stale-phone") });
	await page.setViewportSize({ width: 1920, height: 1080 });

	step("the other views say it too");
	await page.goto(URL + "/#availability");
	await page.waitForSelector("body.stale #stale:not([hidden])",
	    { timeout: 20000 });

	step("the collector is back: the page is live again");
	await sync("start-collector");
	await page.goto(URL + "/#wall").catch(() => {});
	await page.waitForFunction(() =>
	    !document.body.classList.contains("stale") &&
	    document.getElementById("stale").hidden &&
	    document.querySelectorAll('#view a.tile[data-state="up"]')
	    .length > 0, null, { timeout: LONG });

	step("the agent is stopped: its devices unknown, no green");
	await sync("kill-agent");
	await page.waitForFunction(() => {
		const t = Array.from(document.querySelectorAll("#view a.tile"));

		return t.length > 0 && t.every((x) =>
		    x.getAttribute("data-state") === "unknown");
	}, null, { timeout: LONG });
	const tileText = await page.textContent("#view a.tile");
	check(tileText.includes("数据过期") && tileText.includes("采集代理未连接"),
	    "the tile says why: " + tileText);
	const stripText = await page.textContent(".incidents ul");
	check(stripText.includes("采集代理全部未连接"), "the strip: " + stripText);
	await page.screenshot({ path: shot("wall-agent-gone") });

	step("the agent is back: green again");
	await sync("start-agent");
	await page.waitForFunction(() => document.querySelectorAll(
	    '#view a.tile[data-state="up"]').length > 10, null,
	    { timeout: LONG });
}

/*
 * A UPS on battery is a warning: amber, with the reason in words.  The
 * demo's UPSs speak Modbus; the words are those of the register map
 * (etc/modbus/ups-example.conf).
 */
async function warning(page) {
	const tile = '#view a.tile[data-device="ups-1"]';

	step("the UPS is up");
	await page.goto(URL + "/");
	await page.waitForSelector(tile + '[data-state="up"]',
	    { timeout: LONG });
	step("the simulator puts it on battery: an amber tile with the words");
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "inject", "ups-1", "on_battery", "0"]);
	await page.waitForSelector(tile + '[data-state="warning"]',
	    { timeout: LONG });
	const text = await page.textContent(tile);
	check(text.includes("告警") && text.includes("UPS 电池供电"),
	    "the tile's words: " + text);
	const bg = await page.$eval(tile, (e) =>
	    getComputedStyle(e).backgroundColor);
	check(bg === "rgb(255, 143, 0)", "amber tile: " + bg);
	const li = await page.textContent(
	    '.incidents li.warn[data-device="ups-1"]');
	check(li.includes("告警") && li.includes("电池供电"),
	    "counted in the faults strip: " + li);
	check((await page.$$('.incidents li:not(.warn):not(.none)' +
	    '[data-device="ups-1"]')).length === 0, "not an outage");
	await page.screenshot({ path: shot("wall-warning") });

	step("the device page says it too");
	await page.goto(URL + "/#device/ups-1");
	await page.waitForSelector(".warnbox", { timeout: LONG });
	check((await page.textContent(".warnbox")).includes("电池供电"),
	    "device page warning");
	// Values for people: the map's label and unit, the enum's word.
	await page.waitForFunction(() => document.querySelector(
	    "details.values").textContent.includes("供电 电池"), null,
	    { timeout: LONG });
	const vt = await page.textContent("details.values");
	check(vt.includes("市电输入 0 V") && vt.includes("剩余电量") &&
	    !vt.includes("|"), "decoded values: " + vt.slice(0, 300));

	step("the device page opened by a reload, without the wall, too");
	// A new document: nothing of the wall is left in the page.
	const fresh = page;
	await fresh.goto("about:blank");
	await fresh.goto(URL + "/#device/ups-1");
	check(await fresh.evaluate(() => performance.getEntriesByType(
	    "navigation")[0].type) === "navigate", "a fresh load");
	await fresh.waitForSelector(".warnbox", { timeout: LONG });
	check((await fresh.textContent(".warnbox")).includes("电池供电"),
	    "device page warning in a new tab");
	check((await fresh.getAttribute(".devstate", "data-state")) ===
	    "warning", "the device's state is the warning");

	step("cleared: the open device page drops the warning by itself");
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "clear", "ups-1"]);
	await fresh.waitForSelector(".warnbox", { state: "hidden",
	    timeout: LONG });
	check((await fresh.getAttribute(".devstate", "data-state")) === "up",
	    "back to up on the device page");

	step("cleared: back to green");
	await page.goto(URL + "/#wall");
	await page.waitForSelector(tile + '[data-state="up"]',
	    { timeout: LONG });
	check((await page.$$('.incidents li[data-device="ups-1"]')).length ===
	    0, "gone from the strip");
}

/* Search, filters, natural order; a storm folded under its parent. */
async function find(page) {
	step("natural order: 2号 before 10号");
	await page.goto(URL + "/");
	await page.waitForFunction(() => document.querySelectorAll(
	    '#view section[data-group="building"] a.tile').length > 10,
	    null, { timeout: LONG });
	const names = await page.$$eval(
	    '#view section[data-group="building"] a.tile .name',
	    (a) => a.map((x) => x.textContent));
	check(names.indexOf("2号空调机组") < names.indexOf("10号空调机组") &&
	    names.indexOf("2号空调机组") >= 0, "order: " + names.join(" "));

	step("search by name, id and address");
	const count = () => page.$$eval("#view a.tile", (a) =>
	    a.map((x) => x.getAttribute("data-device")));
	await page.fill('form.filters input[name="q"]', "UPS");
	await page.waitForFunction(() => document.querySelectorAll(
	    "#view a.tile").length === 2, null, { timeout: LONG });
	check(JSON.stringify(await count()) === '["ups-1","ups-2"]',
	    "by name");
	await page.fill('form.filters input[name="q"]', "elevator-platform");
	await page.waitForFunction(() => document.querySelectorAll(
	    "#view a.tile").length === 1, null, { timeout: LONG });
	const addr = await page.evaluate(() => {
		return window.fetch("/api/v1/wall").then((r) => r.json())
		    .then((j) => j.devices.filter((d) =>
		    d.id === "core-sw")[0].address);
	});
	await page.fill('form.filters input[name="q"]', addr);
	await page.waitForFunction(() => document.querySelector(
	    '#view a.tile[data-device="core-sw"]'), null, { timeout: LONG });
	await page.fill('form.filters input[name="q"]', "");

	step("filter by group and class");
	await page.selectOption('form.filters select[name="group"]', "power");
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    "#view section.group")).every((s) =>
	    s.getAttribute("data-group") === "power"), null,
	    { timeout: LONG });
	// The power group holds the UPSes, the room sensor and the test's
	// hostile-named UPS.
	await page.selectOption('form.filters select[name="class"]', "ups");
	await page.waitForFunction(() => JSON.stringify(Array.from(
	    document.querySelectorAll("#view a.tile")).map((x) =>
	    x.getAttribute("data-device")).sort()) ===
	    '["ups-1","ups-2","xss"]', null, { timeout: LONG });
	await page.selectOption('form.filters select[name="group"]', "");
	await page.selectOption('form.filters select[name="class"]', "");

	step("classes in words, not their keys");
	const opts = await page.$$eval('form.filters select[name="class"] ' +
	    "option", (a) => a.map((o) => [o.value, o.textContent]));
	check(opts.length > 10, "class options: " + JSON.stringify(opts));
	for (const [v, txt] of opts)
		check(v === "" || (txt !== v && /[\u4e00-\u9fff]|UPS/.test(txt)),
		    "class " + v + " shown as " + txt);
	const elev = opts.filter((o) => o[0] === "elevator")[0];
	check(elev && elev[1] === "电梯", "the elevator class: " + elev);

	step("the device page: its class and its checks' outcomes in words");
	await page.goto(URL + "/#device/ups-1");
	await page.waitForSelector(".devhead .meta", { timeout: LONG });
	const meta = await page.textContent(".devhead .meta");
	check(meta.includes("UPS") && !/ · ups · /.test(meta),
	    "the class on the device page: " + meta);
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    'td[data-label="结果"]')).some((td) => td.textContent === "正常"),
	    null, { timeout: LONG });
	const outs = await page.$$eval('td[data-label="结果"]', (a) =>
	    a.map((td) => td.textContent));
	check(outs.every((x) => !/^[a-z_]+$/.test(x)),
	    "outcomes in words: " + outs);
	await page.goto(URL + "/");
	await page.waitForSelector("form.filters", { timeout: LONG });

	step("sound and notification: off until one click");
	check((await page.getAttribute("#notify", "aria-pressed")) === "false",
	    "off by default");
	await page.click("#notify");
	check((await page.getAttribute("#notify", "aria-pressed")) === "true" &&
	    (await page.textContent("#notify")) === "声音提醒：开", "on");

	step("a switch fails: problems only, filter by state");
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "inject", "floor-sw-2", "silent", "0"]);
	await page.waitForSelector(
	    '#view a.tile[data-device="floor-sw-2"][data-state="down"]',
	    { timeout: LONG });
	await page.waitForFunction(() => Number(document.body.getAttribute(
	    "data-announced") || 0) >= 1, null, { timeout: LONG });
	await page.check('form.filters input[name="problems"]');
	await page.waitForFunction(() => {
		const t = Array.from(document.querySelectorAll("#view a.tile"));

		return t.length > 0 && t.every((x) =>
		    x.getAttribute("data-state") !== "up") &&
		    t.some((x) => x.getAttribute("data-device") ===
		    "floor-sw-2");
	}, null, { timeout: LONG });
	await page.screenshot({ path: shot("wall-problems") });
	await page.uncheck('form.filters input[name="problems"]');
	await page.selectOption('form.filters select[name="state"]', "down");
	await page.waitForFunction(() => {
		const t = Array.from(document.querySelectorAll("#view a.tile"));

		return t.length > 0 && t.every((x) =>
		    x.getAttribute("data-state") === "down");
	}, null, { timeout: LONG });
	await page.selectOption('form.filters select[name="state"]', "");

	step("the terminals behind it are unreachable");
	await page.waitForFunction(() => document.querySelectorAll(
	    '#view a.tile[data-device^="eval-"][data-state="unreachable"]')
	    .length >= 3, null, { timeout: LONG });

	step("the topology: one broken branch");
	await page.goto(URL + "/#topology");
	const branch = 'ul.topo li[data-device="floor-sw-2"]';
	await page.waitForSelector(branch + ' > a.node[data-state="down"]',
	    { timeout: LONG });
	check((await page.$$(branch + ' ul a.node[data-state="unreachable"]'))
	    .length >= 3, "the terminals under the switch unreachable");
	check((await page.$$('ul.topo li[data-device="core-sw"] > ' +
	    'a.node[data-state="up"]')).length === 1, "the core switch up");
	await page.screenshot({ path: shot("topology-storm"),
	    fullPage: true });
	await page.goto(URL + "/#wall");

	step("the switch's outage is confirmed (it counts as down time)");
	for (const until = Date.now() + LONG; ;) {
		const confirmed = await page.evaluate(() => window.fetch(
		    "/api/v1/outages?device=floor-sw-2&open=1").then((r) =>
		    r.json()).then((j) => j.outages.length > 0 &&
		    j.outages[0].confirmed_ms !== null));
		if (confirmed)
			break;
		check(Date.now() < until, "the switch's outage confirmed");
		await page.waitForTimeout(1000);
	}

	step("the switch is back; the storm is one row under it");
	// The terminals behind the switch are unreachable while it is down,
	// and down ("its parent is back") from its return until their own
	// probes succeed: those outages fold under the switch's.
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "clear", "floor-sw-2"]);
	const until = Date.now() + LONG;
	let kids = 0;
	for (;;) {
		// The same address again does not load the page: reload.
		await page.goto(URL + "/#incidents");
		await page.reload();
		await page.waitForSelector('tr[data-device="floor-sw-2"]',
		    { timeout: LONG });
		kids = (await page.$$('tr.child[data-parent="floor-sw-2"]'))
		    .length;
		if (kids >= 3)
			break;
		if (Date.now() >= until) {
			const o = await page.evaluate(() => window.fetch(
			    "/api/v1/outages?limit=100").then((r) => r.json()));
			check(false, "children folded under the switch: " +
			    JSON.stringify(o.outages.map((x) => [x.device,
			    x.parent, x.start_ms % 1000000, x.end_ms &&
			    x.end_ms % 1000000, x.cause])));
		}
		await page.waitForTimeout(2000);
	}
	const visible = await page.$$eval('tr.child[data-parent="floor-sw-2"]',
	    (a) => a.filter((x) => !x.hidden).length);
	check(visible === 0, "folded: " + visible);
	const head = 'tr.storm[data-device="floor-sw-2"]';
	check((await page.textContent(head + " button.fold")).includes(
	    "条下游故障记录"), "the fold button says it counts records");
	// Beside it, what the topology says: every device below the switch,
	// not only those with an outage record.
	const nbelow = await page.evaluate(() => fetch("/api/v1/wall").then(
	    (r) => r.json()).then((w) => {
		let n = 0, level = ["floor-sw-2"];

		for (let i = 0; i < 8 && level.length; i++) {
			level = w.devices.filter((d) => level.includes(d.parent))
			    .map((d) => d.id);
			n += level.length;
		}
		return n;
	    }));
	const btext = await page.textContent(head + " .below");
	check(nbelow >= kids && btext.includes("下游 " + nbelow + " 台设备"),
	    "the devices below the switch: " + btext + " of " + nbelow);
	await page.click(head + " button.fold");
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    'tr.child[data-parent="floor-sw-2"]')).every((x) => !x.hidden),
	    null, { timeout: LONG });
	check((await page.$$('tr.child[data-parent="floor-sw-2"] form.ack'))
	    .length === 0, "no forms on the children");
	await page.screenshot({ path: shot("incidents-storm"),
	    fullPage: true });

	step("search the incidents");
	await page.fill('form.filters input[name="q"]', "评价器 1");
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    "#view tbody tr:not(.nomatch)")).length > 0 &&
	    Array.from(document.querySelectorAll(
	    "#view tbody tr:not(.nomatch)")).every((r) =>
	    r.textContent.includes("评价器 1")), null, { timeout: LONG });
}

/*
 * Words broken one character a line, horizontal scroll: measured on
 * every element holding text in the page's main part.
 */
async function measure(page) {
	return page.evaluate(() => {
		const bad = [];
		const walker = document.createTreeWalker(document.body,
		    NodeFilter.SHOW_TEXT);
		let n;

		while ((n = walker.nextNode()) !== null) {
			const s = n.textContent.trim();

			if (s.length < 3 || !n.parentElement ||
			    n.parentElement.offsetParent === null)
				continue;
			const r = document.createRange();

			r.selectNodeContents(n);
			const tops = new Set(Array.from(r.getClientRects())
			    .map((x) => Math.round(x.top)));
			if (tops.size >= 3 && tops.size >= s.length - 1)
				bad.push(s.slice(0, 20));
		}
		return { scrollWidth: document.documentElement.scrollWidth,
		    innerWidth: window.innerWidth,
		    scrollHeight: document.documentElement.scrollHeight,
		    innerHeight: window.innerHeight, broken: bad };
	});
}

/* Every page at 390 px and at 1920x1080; the kiosk fits the screen. */
async function layout(page) {
	const pages = [["wall", "#wall", "#view section.group"],
	    ["incidents", "#incidents", "#view .incbody h2 ~ h2"],
	    ["maintenance", "#maintenance", "#view form.window"],
	    ["availability", "#availability", "#view table"],
	    ["device", "#device/core-sw", ".devhead h2"],
	    ["topology", "#topology", "ul.topo a.node"],
	    ["kiosk", "#kiosk", "#view a.tile"]];

	step("log in, so that the forms are on the pages");
	await page.goto(URL + "/");
	await page.click("#login-open");
	await page.fill('#login-form input[name="user"]', env.FACMON_USER);
	await page.fill('#login-form input[name="password"]',
	    env.FACMON_PASSWORD);
	await page.click('#login-form button[type="submit"]');
	await page.waitForSelector("#logout:not([hidden])", { timeout: LONG });
	await page.waitForFunction(() => document.querySelectorAll(
	    '#view a.tile[data-state="up"]').length > 20, null,
	    { timeout: LONG });
	for (const [w, h, tag] of [[390, 844, "phone"],
	    [1920, 1080, "screen"]]) {
		await page.setViewportSize({ width: w, height: h });
		for (const [name, hash, ready] of pages) {
			step(name + " at " + w + "x" + h);
			await page.goto(URL + "/" + hash);
			await page.waitForSelector(ready, { timeout: LONG });
			if (name === "availability") {
				await page.waitForFunction(() => document
				    .querySelectorAll("#view table").length === 2,
				    null, { timeout: LONG });
				// The switch that failed in the search test has a
				// red hour among its 24; the others are green.
				const bars = await page.evaluate(() => {
					const row = Array.from(document.querySelectorAll(
					    "details.perdev tbody tr")).filter((r) =>
					    r.cells[0].textContent === "2楼接入交换机")[0];
					return row ? [row.querySelectorAll(
					    ".bars")[0].children.length,
					    row.querySelectorAll(".bars")[1].children.length,
					    row.querySelectorAll(".bar.down").length] : null;
				});
				const why = bars && bars[2] >= 1 ? "" :
				    await page.evaluate(() => window.fetch(
				    "/api/v1/uptime?range=24h").then((r) => r.json())
				    .then((j) => JSON.stringify(
				    j.devices["floor-sw-2"])).then((x) => window.fetch(
				    "/api/v1/outages?device=floor-sw-2").then((r) =>
				    r.text()).then((y) => x + " " + y)));
				check(bars && bars[0] === 24 && bars[1] === 30 &&
				    bars[2] >= 1, "uptime bars: " + bars + " " + why);
			}
			if (name === "device")
				await page.waitForFunction(() => document
				    .querySelector(".devavail").textContent
				    .includes("%"), null, { timeout: LONG });
			const m = await measure(page);
			console.log("figure: " + name + " " + w + "x" + h +
			    " page " + m.scrollWidth + "x" + m.scrollHeight +
			    (m.broken.length ? " broken " + m.broken : ""));
			check(m.scrollWidth <= m.innerWidth,
			    name + " scrolls sideways: " + m.scrollWidth);
			check(m.broken.length === 0, name + ": words broken " +
			    "one character a line: " + m.broken.join(" | "));
			if (name === "kiosk" && tag === "screen") {
				check(m.scrollHeight <= m.innerHeight,
				    "the kiosk fits 1080: " + m.scrollHeight);
				const bg = await page.$eval("body", (e) =>
				    getComputedStyle(e).backgroundColor);
				check(bg === "rgb(13, 17, 23)", "dark: " + bg);
			}
			await page.screenshot({ path: shot(name + "-" + tag),
			    fullPage: name !== "kiosk" });
		}
	}
}

/* A maintenance window made by picking the device's Chinese name. */
async function maintname(page) {
	step("log in");
	await page.goto(URL + "/#maintenance");
	await page.click("#login-open");
	await page.fill('#login-form input[name="user"]', env.FACMON_USER);
	await page.fill('#login-form input[name="password"]',
	    env.FACMON_PASSWORD);
	await page.click('#login-form button[type="submit"]');
	await page.waitForSelector("form.window", { timeout: LONG });

	step("an unknown name: a Chinese error, nothing sent");
	await page.fill('form.window input[name="start"]', "2030-01-01T02:00");
	await page.fill('form.window input[name="minutes"]', "30");
	await page.fill('form.window input[name="reason"]', "测试");
	await page.fill('form.window input[name="devices"]', "99号电梯");
	await page.click('form.window button[type="submit"]');
	await page.waitForFunction(() => {
		const e = document.querySelector("form.window .error");

		return e && e.textContent.includes("没有这样的设备或分组：99号电梯");
	}, null, { timeout: LONG });

	step("pick 2号电梯 by its name");
	await page.fill('form.window input[name="devices"]', "");
	await page.fill('form.window input[name="pick"]', "2号电");
	await page.waitForSelector('form.window .picker input[value="elevator-2"]',
	    { timeout: LONG });
	await page.check('form.window .picker input[value="elevator-2"]');
	check((await page.inputValue('form.window input[name="devices"]')) ===
	    "2号电梯", "the name in the field");
	const start = new Date(Date.now() - 60000);
	const local = new Intl.DateTimeFormat("sv-SE", {
	    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
	    day: "2-digit", hour: "2-digit", minute: "2-digit" })
	    .format(start).replace(" ", "T");
	await page.fill('form.window input[name="start"]', local);
	await page.fill('form.window input[name="minutes"]', "45");
	await page.fill('form.window input[name="reason"]', "电梯年检");
	await page.click('form.window button[type="submit"]');
	await page.waitForFunction(() => Array.from(document.querySelectorAll(
	    "#view tbody tr")).some((tr) => tr.textContent.includes("电梯年检") &&
	    tr.textContent.includes("2号电梯")), null, { timeout: LONG });
	await page.screenshot({ path: shot("maintenance-by-name"),
	    fullPage: true });

	step("the wall: in maintenance, with the time left");
	await page.goto(URL + "/#wall");
	const tile = '#view a.tile[data-device="elevator-2"]';
	await page.waitForSelector(tile + '[data-state="maintenance"]',
	    { timeout: LONG });
	const text = await page.textContent(tile + " .st");
	check(/维护中 · 剩余 (4[0-4]分|\d+分\d+秒)/.test(text),
	    "time left: " + text);
}

/*
 * Warnings from SNMP notifications, sent by the test with snmptrap: an
 * LED wall's module failure and a switch's port 7 down, amber with the
 * words and in the faults strip; the port's linkUp clears it.
 */
async function trapwarn(page) {
	const led = '#view a.tile[data-device="led-1"]';
	const sw = '#view a.tile[data-device="floor-sw-3"]';

	step("the LED wall and the switch are up");
	await page.goto(URL + "/");
	await page.waitForSelector(led + '[data-state="up"]', { timeout: LONG });
	await page.waitForSelector(sw + '[data-state="up"]', { timeout: LONG });
	step("an LED module failure notification: amber, in words");
	await sync("led-trap");
	await page.waitForSelector(led + '[data-state="warning"]',
	    { timeout: LONG });
	const text = await page.textContent(led);
	check(text.includes("告警") && text.includes("LED 模块故障（通知）"),
	    "the tile's words: " + text);
	check((await page.$eval(led, (e) =>
	    getComputedStyle(e).backgroundColor)) === "rgb(255, 143, 0)",
	    "amber tile");
	const li = await page.textContent(
	    '.incidents li.warn[data-device="led-1"]');
	check(li.includes("LED 模块故障（通知）"), "in the faults strip: " + li);

	step("linkDown of port 7: amber with the port");
	await sync("link-down");
	await page.waitForSelector(sw + '[data-state="warning"]',
	    { timeout: LONG });
	check((await page.textContent(sw)).includes("端口 7 断开（通知）"),
	    "the port in words");
	check((await page.$$('.incidents li.warn[data-device="floor-sw-3"]'))
	    .length === 1, "the switch counted in the faults strip");
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: shot("wall-trap-warning-phone") });
	await page.setViewportSize({ width: 1920, height: 1080 });
	await page.screenshot({ path: shot("wall-trap-warning-screen") });

	step("cleared by linkUp");
	await sync("link-up");
	await page.waitForSelector(sw + '[data-state="up"]', { timeout: LONG });
	check((await page.$$('.incidents li.warn[data-device="floor-sw-3"]'))
	    .length === 0, "out of the faults strip");
	check((await page.$$(led + '[data-state="warning"]')).length === 1,
	    "the LED wall still amber: it had no clearing notification");
}

/*
 * The device page's graphs: units on the axis, text at a readable size,
 * a port's in and out on one graph, the range picker, zoom by drag and a
 * custom range, each asking the API for the range it shows.
 */
async function graphs(page) {
	const spans = [];

	page.on("request", (r) => {
		const u = new window_URL(r.url());

		if (u.pathname === "/api/v1/rrd" && u.searchParams.get("from"))
			spans.push(Number(u.searchParams.get("to")) -
			    Number(u.searchParams.get("from")));
	});
	/* What act() made the page ask the API for. */
	async function spanOf(what, act) {
		const n = spans.length;

		await act();
		for (let i = 0; i < 600 && spans.length === n; i++)
			await page.waitForTimeout(50);
		check(spans.length > n, "a series read for " + what);
		return spans[spans.length - 1];
	}
	const anyPair = 'figure.graph[data-graph^="snmp/ifHCInOctets"]' +
	    '[data-graph*="+ifHCOutOctets"]';
	let pair = anyPair;

	/*
	 * A line: its ports are walked by number (the switches go through
	 * a template, and their graphs are of utilisation).
	 */
	step("the telecom line's graphs, with data");
	const until = Date.now() + LONG;
	for (;;) {
		await page.goto(URL + "/#device/line-telecom");
		await page.reload();
		await page.waitForSelector(".graphs > *", { timeout: LONG });
		if ((await page.$$(pair + " path.line.out")).length > 0 &&
		    await page.$eval(pair + " path.line.in", (e) =>
		    e.getAttribute("d").length > 20))
			break;
		check(Date.now() < until, "a port's traffic graph with data");
		await page.waitForTimeout(2000);
	}
	pair = 'figure.graph[data-graph="' + await page.$eval(anyPair,
	    (e) => e.getAttribute("data-graph")) + '"]';
	step("in and out on one graph, the unit on the axis");
	const legend = await page.$$eval(pair + " text.legend",
	    (a) => a.map((x) => x.textContent));
	check(legend.join(",") === "入,出", "legend: " + legend);
	check((await page.textContent(pair + " text.unit")) === "Mbps",
	    "unit on the axis");
	check((await page.textContent(pair + " figcaption")).includes("流量"),
	    "caption");
	const sizes = await page.$$eval(pair + " text.xtick, " + pair +
	    " text.ytick", (a) => a.map((x) => x.getBoundingClientRect().height));
	check(sizes.length >= 4 && Math.min(...sizes) >= 11,
	    "axis text readable: " + sizes.join(" "));
	const ticks = await page.$$eval(pair + " text.ytick",
	    (a) => a.map((x) => x.textContent));
	const decs = new Set(ticks.map((x) => (x.split(".")[1] || "").length));
	check(decs.size === 1, "one number of decimals on an axis: " + ticks);

	step("the range picker");
	for (const [name, ms] of [["24h", 86400000], ["7d", 604800000],
	    ["30d", 2592000000], ["1h", 3600000]]) {
		const span = await spanOf(name, () => page.click(
		    '.periods button[data-range="' + name + '"]'));
		check(Math.abs(span - ms) < 5000, name + " asks for " + span);
		check((await page.getAttribute('.periods button[data-range="' +
		    name + '"]', "class")) === "on", name + " marked");
	}
	await page.waitForSelector(pair + " path.line.in", { timeout: LONG });
	await page.screenshot({ path: shot("device-graphs-screen"),
	    fullPage: true });

	step("zoom by drag");
	const svg = await page.$(pair + " svg.chart");
	const box = await svg.boundingBox();
	const y = box.y + box.height / 2;
	const zoomed = await spanOf("the zoom", async () => {
		await page.mouse.move(box.x + box.width * 0.45, y);
		await page.mouse.down();
		await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
		await page.mouse.move(box.x + box.width * 0.75, y, { steps: 5 });
		await page.mouse.up();
	});
	check(zoomed > 60000 && zoomed < 3600000 * 0.5,
	    "the dragged third of the hour: " + zoomed);
	check((await page.textContent(".rangenote")).includes("已放大"),
	    "said zoomed");

	step("a custom range");
	await page.click(".periods details.custom summary");
	await page.fill('form.customrange input[name="from"]',
	    "2026-01-01T08:00");
	await page.fill('form.customrange input[name="to"]', "2026-01-03T08:00");
	check(await spanOf("the custom range", () => page.click(
	    'form.customrange button[type="submit"]')) === 2 * 86400000,
	    "two days asked");
	// The times typed are the centre's zone's, and said back as such.
	check(/01\/01 08:00 – 01\/03 08:00/.test(
	    await page.textContent(".rangenote")),
	    "the range said: " + await page.textContent(".rangenote"));

	step("the graphs on a phone");
	await page.setViewportSize({ width: 390, height: 844 });
	await spanOf("1h on the phone", () => page.click(
	    '.periods button[data-range="1h"]'));
	await page.waitForSelector(pair + " path.line.in", { timeout: LONG });
	const m = await measure(page);
	check(m.scrollWidth <= m.innerWidth, "no sideways scroll: " +
	    m.scrollWidth);
	const phone = await page.$$eval(pair + " text.xtick",
	    (a) => a.map((x) => x.getBoundingClientRect().height));
	check(phone.length >= 2 && Math.min(...phone) >= 11,
	    "axis text readable on a phone: " + phone.join(" "));
	await page.screenshot({ path: shot("device-graphs-phone"),
	    fullPage: true });
	await page.setViewportSize({ width: 1920, height: 1080 });
}

/* Every table on the page: each column has a header with words. */
async function headersEverywhere(page, what) {
	const bad = await page.$$eval("#view table", (ts) => ts.map((tb) => {
		const th = Array.from(tb.querySelectorAll("thead th"));
		const widest = Math.max(0, ...Array.from(tb.querySelectorAll(
		    "tbody tr")).map((r) => r.cells.length));

		if (th.length < widest ||
		    th.some((h) => h.textContent.trim() === ""))
			return th.map((h) => h.textContent).join("|") + " / " +
			    widest;
		return null;
	}).filter((x) => x !== null));
	check(bad.length === 0, what + ": a column without a header: " + bad);
	check((await page.$$("#view table")).length > 0, what + ": a table");
}

/*
 * The "small lies" of the first look, each asserted: 已确认 only once
 * acknowledged, the acknowledgement's comment shown, natural order, one
 * number of decimals per kind of figure, coverage beside every
 * availability and 未达标 marked, every column with a header; the budget
 * explained; the maintenance calendar.
 */
async function honest(page) {
	const dev = "line-telecom";
	const row = 'tr[data-device="' + dev + '"]';
	const ackCell = async () => page.$eval(row, (tr) => {
		const i = Array.from(tr.closest("table").querySelectorAll(
		    "thead th")).findIndex((h) => h.textContent === "确认状态");

		return i < 0 ? null : tr.cells[i].textContent;
	});

	step("a line down: its incident is not acknowledged, and says so");
	await page.goto(URL + "/#wall");
	await page.waitForSelector('#view a.tile[data-device="' + dev +
	    '"][data-state="up"]', { timeout: LONG });
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "inject", dev, "silent", "0"]);
	await page.waitForSelector('.incidents li[data-device="' + dev + '"]',
	    { timeout: LONG });
	await page.goto(URL + "/#incidents");
	await page.waitForSelector(row, { timeout: LONG });
	check(await ackCell() === "未确认", "unacknowledged: " + await ackCell());
	check(!(await page.textContent(row)).includes("已确认"),
	    "no 已确认 in the row of an unacknowledged incident");
	await headersEverywhere(page, "incidents");

	step("acknowledged with a comment: the comment is shown");
	await page.click("#login-open");
	await page.fill('#login-form input[name="user"]', env.FACMON_USER);
	await page.fill('#login-form input[name="password"]',
	    env.FACMON_PASSWORD);
	await page.click('#login-form button[type="submit"]');
	await page.waitForSelector(row + " form.ack", { timeout: LONG });
	await page.fill(row + ' form.ack input[name="comment"]',
	    "运营商已报修 A-17");
	await page.click(row + ' form.ack button[type="submit"]');
	await page.waitForFunction((r) => {
		const e = document.querySelector(r);

		return e && !e.querySelector("form.ack");
	}, row, { timeout: LONG });
	const acked = await ackCell();
	check(acked === "已确认 · admin · 运营商已报修 A-17",
	    "the acknowledgement with its comment: " + acked);
	// Back only once the outage is confirmed: a blip is not charged, and
	// the page below must show one that is.
	const confirmed = () => page.evaluate((d) => fetch("/api/v1/outages?" +
	    "open=1&device=" + d).then((r) => r.json()).then((j) =>
	    j.outages.length > 0 && j.outages[0].confirmed_ms > 0), dev);
	for (let i = 0; !(await confirmed()); i++) {
		check(i < LONG / 500, "the outage confirmed");
		await page.waitForTimeout(500);
	}
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "clear", dev]);
	await page.goto(URL + "/#wall");
	await page.waitForSelector('#view a.tile[data-device="' + dev +
	    '"][data-state="up"]', { timeout: LONG });
	await page.goto(URL + "/#device/" + dev);
	await page.waitForSelector(".devhead h2", { timeout: LONG });
	await page.waitForFunction(() => document.body.textContent.includes(
	    "运营商已报修 A-17"), null, { timeout: LONG });
	await headersEverywhere(page, "device");
	// The month's and the year's budgets are both the elapsed time's:
	// the same outage overruns both.
	await page.waitForFunction(() => document.querySelector(".devavail")
	    .textContent.includes("%"), null, { timeout: LONG });
	const dav = await page.textContent(".devavail");
	check(/^月[^|]*已超出[^|]*\|\s+年[^|]*已超出/.test(dav),
	    "the device's month and year budgets: " + dav);

	step("the wall: the verdict (未达标 in red, or 数据不足 under 1 % " +
	    "coverage), coverage beside the figure, the budget");
	await page.goto(URL + "/#wall");
	// A collector started minutes ago has seen well under 1 % of the
	// month: no verdict then, only the figure and 数据不足.  Which case
	// this is, the API's coverage says.
	const linesCov = await page.evaluate(() => fetch("/api/v1/wall")
	    .then((r) => r.json()).then((j) => j.availability.groups.filter(
	    (g) => g.id === "lines")[0].coverage));
	const few = linesCov < 0.01;
	step("figure: the lines' coverage " + linesCov);
	const ghead = 'section[data-group="lines"] .ghead .avail';
	if (few)
		await page.waitForFunction((h) => document.querySelector(h) &&
		    document.querySelector(h).textContent.includes("已超出"),
		    ghead, { timeout: LONG });
	else
		await page.waitForSelector(ghead + ".below", { timeout: LONG });
	const gtext = await page.textContent(ghead);
	check(gtext.includes(few ? "数据不足" : "未达标") &&
	    !gtext.includes(few ? "达标" : "数据不足") &&
	    gtext.includes("监测覆盖") && /\d+\.\d{3} %/.test(gtext),
	    "the lines' head: " + gtext);
	// 未达标 is judged on the elapsed time: the budget beside it is the
	// elapsed time's, overrun, never a positive "left"; the month's
	// allowance, if shown, is named as such.
	check(gtext.includes("已超出") && !gtext.includes("至今剩余") &&
	    !/(^|· )剩余/.test(gtext), "the verdict's budget: " + gtext);
	if (!few)
		check((await page.$eval(ghead, (e) =>
		    getComputedStyle(e).color)) !== (await page.$eval(
		    'section[data-group="network"] .ghead .avail',
		    (e) => getComputedStyle(e).color)),
		    "below target in its colour");
	check((await page.getAttribute(ghead, "title")).includes("已用"),
	    "the budget explained on the wall's figure");

	step("availability: decimals, coverage, 未达标, natural order");
	await page.goto(URL + "/#availability");
	await page.waitForFunction(() => document.querySelectorAll(
	    "#view table").length >= 2, null, { timeout: LONG });
	const cells = await page.$$eval("#view table tbody td", (a) =>
	    a.map((td) => [td.getAttribute("data-label"), td.textContent,
	    td.parentElement.querySelector('td[data-label="监测覆盖"]') ?
	    td.parentElement.querySelector('td[data-label="监测覆盖"]')
	    .textContent : null]));
	const want = { "可用性": /^(\d{1,3}\.\d{3} %|—)$/,
	    "监测覆盖": /^(\d{1,3}\.\d %|—)$/,
	    "目标": /^(\d{1,3}\.\d{2} %|无目标)$/ };
	let nfig = 0;
	for (const [label, text, cov] of cells) {
		if (!want[label])
			continue;
		check(want[label].test(text), label + " as " + text);
		if (label === "可用性" && text !== "—") {
			nfig++;
			check(cov !== null && cov !== "—",
			    "coverage beside " + text + ": " + cov);
		}
	}
	check(nfig > 10, "availability figures checked: " + nfig);
	const lines = await page.$eval("#view table tbody", (tb) =>
	    Array.from(tb.rows).filter((r) => r.cells[0].textContent ===
	    "专线")[0].textContent);
	check(lines.includes(few ? "数据不足" : "未达标"),
	    "the lines' verdict: " + lines +
	    " " + await page.evaluate(() => Promise.all([
	    fetch("/api/v1/availability?month=" + document.querySelector(
	    'form.month input').value).then((r) => r.text()),
	    fetch("/api/v1/outages?device=line-telecom").then((r) => r.text())])
	    .then((x) => x[1].slice(0, 3000) + JSON.stringify(JSON.parse(x[0])
	    .groups.filter((g) => g.id === "lines")))));
	check((await page.$$("#view table tbody .flag." + (few ? "few" :
	    "below"))).length >= 1, "the verdict marked");
	// No 达标 or 未达标 on a row that has seen under 1 % of the month.
	const verdicts = await page.$$eval("#view table tbody tr", (a) =>
	    a.map((r) => [r.querySelector('td[data-label="监测覆盖"]'),
	    r.querySelector('td[data-label="达标"]')]).filter((x) => x[0] &&
	    x[1]).map((x) => [x[0].textContent, x[1].textContent]));
	check(verdicts.length > 10, "verdicts checked: " + verdicts.length);
	for (const [cov, v] of verdicts)
		if (/^\d/.test(cov) && parseFloat(cov) < 1.0)
			check(v === "数据不足" || v === "—",
			    "a verdict at coverage " + cov + ": " + v);
	check(lines.includes("已超出") && !lines.includes("至今剩余"),
	    "the lines' budget overrun beside 未达标: " + lines);
	const names = await page.$$eval("details.perdev tbody tr",
	    (a) => a.map((r) => r.cells[0].textContent));
	check(names.indexOf("2号空调机组") >= 0 &&
	    names.indexOf("2号空调机组") < names.indexOf("10号空调机组"),
	    "natural order in the per-device table");
	await headersEverywhere(page, "availability");

	step("the group budget explained, its figures the API's");
	const bx = 'section.budgetx p[data-group="lines"]';
	await page.waitForSelector(bx, { timeout: LONG });
	const text = await page.textContent(bx);
	check(text.includes("目标 99.99 %") && text.includes("每 10,000 秒") &&
	    text.includes("已用") && text.includes("3 台设备"),
	    "the words: " + text);
	const got = await page.$eval(bx, (p) => [Number(p.getAttribute(
	    "data-budget-s")), Number(p.getAttribute("data-used-s")),
	    Number(p.getAttribute("data-left-s"))]);
	check(Math.abs(got[0] - got[1] - got[2]) <= 1,
	    "budget = used + left: " + got);
	check(got[1] > 0, "some of it used: " + got);
	const api = await page.evaluate(() => fetch("/api/v1/availability?" +
	    "month=" + document.querySelector('form.month input').value)
	    .then((r) => r.json()).then((j) => j.groups.filter((g) =>
	    g.id === "lines")[0]));
	check(Math.abs(Math.round(api.down_ms / 1000) - got[1]) <= 1,
	    "used is the API's down time: " + api.down_ms + " " + got);
	for (const [w, h, tag] of [[390, 844, "phone"],
	    [1920, 1080, "screen"]]) {
		await page.setViewportSize({ width: w, height: h });
		const m = await measure(page);
		check(m.scrollWidth <= m.innerWidth, "availability at " + w +
		    " scrolls sideways");
		check(m.broken.length === 0, "words broken: " + m.broken);
		await page.screenshot({ path: shot("availability-budget-" + tag),
		    fullPage: true });
	}

	step("the maintenance calendar: this month and the next");
	await page.goto(URL + "/#maintenance");
	await page.waitForSelector("form.window", { timeout: LONG });
	const fmt = (ms) => new Intl.DateTimeFormat("sv-SE", {
	    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
	    day: "2-digit", hour: "2-digit", minute: "2-digit" })
	    .format(new Date(ms)).replace(" ", "T");
	const now = fmt(Date.now() - 60000);
	const [y, mo] = now.split("-").map(Number);
	const next = (mo === 12 ? y + 1 : y) + "-" +
	    String(mo === 12 ? 1 : mo + 1).padStart(2, "0");
	for (const [start, mins, reason, who] of [
	    [now, "45", "电梯年检", "3号电梯"],
	    [next + "-15T09:00", "120", "空调季检", "5号空调机组"]]) {
		await page.fill('form.window input[name="start"]', start);
		await page.fill('form.window input[name="minutes"]', mins);
		await page.fill('form.window input[name="reason"]', reason);
		await page.fill('form.window input[name="devices"]', who);
		await page.click('form.window button[type="submit"]');
		await page.waitForFunction((r) => Array.from(
		    document.querySelectorAll(".calgrid li")).some((li) =>
		    li.textContent.includes(r)), reason, { timeout: LONG });
	}
	const today = await page.textContent(".calgrid .day.today");
	check(today.includes("电梯年检 · 3号电梯"), "today: " + today);
	check((await page.$$(".calgrid .day.today li.on")).length === 1,
	    "the active window marked");
	const d15 = await page.textContent('.calmonth[data-month="' + next +
	    '"] .day[data-day="15"]');
	check(d15.includes("09:00–11:00 空调季检 · 5号空调机组"),
	    "next month's 15th: " + d15);
	const heads = await page.$$eval(".calmonth h4",
	    (a) => a.map((x) => x.textContent));
	check(heads.length === 2 && /^\d{4}年\d{1,2}月$/.test(heads[0]),
	    "Chinese month names: " + heads);
	check((await page.$$eval(".calgrid .wd", (a) => a.slice(0, 7).map(
	    (x) => x.textContent).join(""))) === "一二三四五六日",
	    "Chinese weekdays, Monday first");
	await headersEverywhere(page, "maintenance");
	for (const [w, h, tag] of [[390, 844, "phone"],
	    [1920, 1080, "screen"]]) {
		await page.setViewportSize({ width: w, height: h });
		const m = await measure(page);
		check(m.scrollWidth <= m.innerWidth, "maintenance at " + w +
		    " scrolls sideways");
		check(m.broken.length === 0, "words broken: " + m.broken);
		await page.screenshot({ path: shot("maintenance-calendar-" + tag),
		    fullPage: true });
	}
}

/*
 * The demo's alert path (alerts.show_sent): a line goes down, and the
 * incidents page lists the e-mail and the SMS sent about it, with the
 * text each said.
 */
async function sent(page) {
	const dev = "line-telecom";

	step("the line is up, then down");
	await page.goto(URL + "/");
	await page.waitForSelector('#view a.tile[data-device="' + dev +
	    '"][data-state="up"]', { timeout: LONG });
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "inject", dev, "silent", "0"]);
	step("the incidents page lists what was sent");
	const until = Date.now() + LONG;
	for (;;) {
		await page.goto(URL + "/#incidents");
		await page.reload();
		await page.waitForSelector(".incbody h2", { timeout: LONG });
		const text = await page.evaluate(() => {
			const s = document.querySelector("#sent");
			return s ? s.textContent : "";
		});
		if (text.includes("mail") && text.includes("sms") &&
		    text.includes("故障：电信互联网专线"))
			break;
		check(Date.now() < until, "the sent list: " + text);
		await page.waitForTimeout(1000);
	}
	const h = await page.textContent("#sent h2");
	check(h === "已发送的告警（邮件与短信的内容）", "heading: " + h);
	const sms = await page.$$eval("#sent tbody tr", (rows) => rows
	    .map((r) => r.textContent).filter((t) => t.includes("【")));
	check(sms.length > 0 && sms[0].includes("【演示中心】[严重] 故障："),
	    "the SMS as composed: " + sms.join(" | "));
	await page.screenshot({ path: path.join(env.FACMON_ARTIFACTS,
	    "sent.png"), fullPage: true });
}

/*
 * A switch polled through its template: the device page's port table
 * names the ports the template keeps, says their state in words, and a
 * port that goes down says so; the graphs start with the ports'
 * utilisation.  Every row is compared with the API's values.
 */
async function ports(page) {
	const dev = "floor-sw-1";
	const rowsOf = () => page.$$eval("table.ports tbody tr", (trs) =>
	    trs.map((tr) => [tr.getAttribute("data-port"),
	    tr.getAttribute("data-oper")].concat([...tr.children].map((td) =>
	    td.textContent))));

	step("the switch's page lists its ports by name");
	await page.goto(URL + "/#device/" + dev);
	/*
	 * Utilisation needs two polls and its series a first write: reload
	 * until both are there.
	 */
	for (let i = 0; ; i++) {
		await page.waitForSelector(".devhead h2", { timeout: LONG });
		const r = await rowsOf();
		const fig = await page.$("figure.graph figcaption");
		const cap = fig ? await fig.textContent() : "";
		if (r.length > 0 && r.every((x) => x[6].endsWith(" %")) &&
		    cap.includes("利用率"))
			break;
		check(i < 60, "utilisation on every port and graphed: " +
		    cap + " " + JSON.stringify(r));
		await page.waitForTimeout(1000);
		await page.reload();
	}
	const d = await page.evaluate((id) => fetch("/api/v1/devices/" + id)
	    .then((r) => r.json()), dev);
	const vals = d.checks.filter((c) => c.id === "ports")[0].values;
	const want = Object.keys(vals).filter((k) => k.endsWith(".name"))
	    .map((k) => vals[k].value);
	const rows = await rowsOf();
	// 24 ports, the last quarter turned off: 18 kept, in natural order.
	check(rows.length === 18 && want.length === 18, "18 ports: " +
	    rows.length + ", API " + want.length);
	rows.forEach((r, i) => {
		const key = r[0];
		check(r[2] === "GigabitEthernet0/" + (i + 1), "name: " + r);
		check(want.includes(key), "in the API: " + key);
		check(r[4] === (vals[key + ".ifOperStatus"].value === 1 ? "连通" :
		    "断开"), "state in words: " + r);
		check(r[5] === vals[key + ".ifHighSpeed"].value / 1000 +
		    " Gbit/s", "speed: " + r);
		check(/^\d+(\.\d+)? %$/.test(r[6]) &&
		    /^\d+(\.\d+)? %$/.test(r[7]), "utilisation: " + r);
	});
	check(!rows.some((r) => r[0] === "GigabitEthernet0/19"),
	    "an unused port is not listed");
	// The uplinks first: here every port is as fast, so the busiest.
	const cap = await page.textContent("figure.graph figcaption");
	check(/^ports · 端口 GigabitEthernet0\/\d+ 利用率 \(%\)$/.test(cap),
	    "the first graph is a port's utilisation: " + cap);
	await page.screenshot({ path: shot("device-ports") });

	step("a port goes down: the row says so, the switch has a warning");
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "inject", dev, "flap", "0", "3600"]);
	for (let i = 0; ; i++) {
		await page.reload();
		await page.waitForSelector("table.ports tbody tr",
		    { timeout: LONG });
		const r = (await rowsOf())[0];
		if (r[1] === "down") {
			check(r[4] === "断开", "down in words: " + r);
			break;
		}
		check(i < 60, "port 1 down: " + r);
		await page.waitForTimeout(1000);
	}
	const tile = '#view a.tile[data-device="' + dev + '"]';

	await page.goto(URL + "/#wall");
	await page.waitForSelector(tile + '[data-state="warning"]',
	    { timeout: LONG });
	const tt = await page.textContent(tile);
	check(tt.includes("端口断开"), "the tile's warning: " + tt);
	execFileSync(env.FACMON_SIM, ["ctl", "-s", env.FACMON_SIM_CTL,
	    "clear", dev]);
}

/*
 * What the template marks important comes first: a switch polled
 * through snmpsim's Huawei recording, whose device's params mark the
 * 1 Gbit/s port described 办事大厅一楼 important, graphs that port's
 * utilisation before the 10 Gbit/s uplinks, and the board's CPU (a
 * column the template marks) before its memory.  The port table and
 * the values say what the API says, words and units included.
 */
async function important(page) {
	const dev = "sw1";
	const caps = () => page.$$eval("figure.graph figcaption",
	    (fs) => fs.map((f) => f.textContent));
	const rowsOf = () => page.$$eval("table.ports tbody tr", (trs) =>
	    trs.map((tr) => [tr.getAttribute("data-key"),
	    tr.getAttribute("data-important")].concat([...tr.children]
	    .map((td) => td.textContent))));

	step("the switch's page: the important port's graph first");
	await page.goto(URL + "/#device/" + dev);
	let c = [];
	for (let i = 0; ; i++) {
		await page.waitForSelector(".devhead h2", { timeout: LONG });
		c = await caps();
		if (c.length > 2 && c[0].includes("利用率"))
			break;
		check(i < 60, "port utilisation graphed: " + JSON.stringify(c));
		await page.waitForTimeout(1000);
		await page.reload();
	}
	check(c[0] === "ports · 端口 GigabitEthernet0/0/1 利用率 (%)",
	    "the port marked important first, before the faster uplinks: " +
	    JSON.stringify(c));
	check(/XGigabitEthernet0\/0\/[12] 利用率/.test(c[1]),
	    "then the fastest: " + JSON.stringify(c));
	const cpu = c.findIndex((x) => x.includes("hwEntityCpuUsage"));
	const mem = c.findIndex((x) => x.includes("hwEntityMemUsage"));
	check(cpu >= 0 && mem >= 0 && cpu < mem, "the board's CPU, marked " +
	    "important, before its memory: " + JSON.stringify(c));
	check(c[cpu].endsWith("(%)"), "the CPU's unit from the API: " + c[cpu]);
	await page.screenshot({ path: shot("device-important") });

	step("the port table and the values say what the API says");
	for (let i = 0; ; i++) {
		const rows = await rowsOf();
		const d = await page.evaluate((id) => fetch("/api/v1/devices/" +
		    id).then((r) => r.json()), dev);
		const v = d.checks.filter((x) => x.id === "ports")[0].values;
		// A port that is down has no utilisation: "—" on the page.
		const disp = (x) => x ? x.display : "—";
		const bad = rows.filter((r) => {
			const k = r[0];
			return r[5] !== disp(v[k + ".ifHighSpeed"]) ||
			    r[6] !== disp(v[k + ".in_util"]) ||
			    r[7] !== disp(v[k + ".out_util"]) ||
			    (r[1] === "1") !== v[k + ".name"].important;
		});
		if (rows.length === 38 && bad.length === 0)
			break;
		// A poll may land between the page's read and the test's.
		check(i < 10, rows.length + " rows, unlike the API: " +
		    JSON.stringify(bad.slice(0, 3)));
		await page.reload();
		await page.waitForSelector("table.ports tbody tr",
		    { timeout: LONG });
	}
	const vt = await page.$$eval("details.values tbody tr", (trs) =>
	    trs.map((tr) => [...tr.children].map((td) => td.textContent)));
	const temp = vt.filter((r) => r[1].endsWith(
	    "· hwEntityTemperature.67108873"))[0];
	check(temp && temp[2] === "38 °C", "the temperature with its unit: " +
	    JSON.stringify(temp));
	const oper = vt.filter((r) => r[1].endsWith(
	    "· GigabitEthernet0/0/45.ifOperStatus"))[0];
	check(oper && oper[1].startsWith("端口状态 GigabitEthernet0/0/45") &&
	    oper[2] === "down", "a port's state in words: " +
	    JSON.stringify(oper));
}

const SCENARIOS = { wall, outage, stale, warning, find, layout, maintname,
	trapwarn, graphs, honest, sent, ports, important };

(async () => {
	let browser = null, code = 0;

	fs.mkdirSync(env.FACMON_ARTIFACTS, { recursive: true });
	try {
		browser = await chromium.launch({
		    executablePath: "/usr/bin/chromium",
		    args: ["--no-sandbox"] });
		const page = await browser.newPage({
		    viewport: { width: 1920, height: 1080 } });
		const dialogs = [], errors = [];

		page.on("dialog", async (d) => {
			dialogs.push(d.message());
			await d.dismiss();
		});
		page.on("pageerror", (e) => errors.push(e.message));
		page.on("console", (m) => {
			if (m.type() === "error")
				errors.push(m.text());
		});
		await SCENARIOS[env.FACMON_SCENARIO](page, dialogs);
		// With the collector stopped the browser logs every refused
		// request; those are the test's doing, not the page's.
		const js = errors.filter((e) => !/status of 40[14]/.test(e) &&
		    !(env.FACMON_SCENARIO === "stale" &&
		    /net::ERR_|Failed to fetch|aborted/.test(e)));
		check(js.length === 0, "no script errors: " + js.join("; "));
		console.log("ok");
	} catch (e) {
		console.log("FAILED: " + (e && e.stack ? e.stack : e));
		code = 1;
	} finally {
		if (browser !== null)
			await browser.close();
	}
	stdinLines.close();
	process.exit(code);
})();
