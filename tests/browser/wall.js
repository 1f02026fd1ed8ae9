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
 *   FACMON_SCENARIO   "wall" or "outage"
 *   FACMON_DEVICES    JSON list of every device id the wall must show
 *   FACMON_SIM, FACMON_SIM_CTL   facmon-sim and its control socket
 *   FACMON_USER, FACMON_PASSWORD
 *   FACMON_ARTIFACTS  where screenshots go
 *
 * Every wait is on a condition with a generous bound, never a sleep.
 * Exits 0 when every step passed; otherwise prints the failed step.
 */

"use strict";

const { chromium } = require("playwright-core");
const { execFileSync } = require("child_process");
const path = require("path");
const fs = require("fs");

const env = process.env;
const URL = env.FACMON_URL;
const LONG = 90000;

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
		if (env.FACMON_SCENARIO === "wall")
			await wall(page, dialogs);
		else
			await outage(page, dialogs);
		const js = errors.filter((e) => !/status of 40[14]/.test(e));
		check(js.length === 0, "no script errors: " + js.join("; "));
		console.log("ok");
	} catch (e) {
		console.log("FAILED: " + (e && e.stack ? e.stack : e));
		code = 1;
	} finally {
		if (browser !== null)
			await browser.close();
	}
	process.exit(code);
})();
