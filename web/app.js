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
 * The status page: polls /api/v1/devices every 2 seconds and shows one
 * table per group.  Every string from the API goes through textContent,
 * never innerHTML: device names and probe messages come from the network
 * and must not become markup.
 */

"use strict";

(function () {
	var POLL_MS = 2000;
	var STATE_TEXT = {
		up: "正常", degraded: "降级", down: "故障", unknown: "未知"
	};

	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function fmtTime(ms) {
		if (typeof ms !== "number")
			return "";
		return new Date(ms).toLocaleString("zh-CN", { hour12: false });
	}

	/* The check that explains the device state: a down one first. */
	function mainCheck(dev) {
		var order = { down: 0, unknown: 1, up: 2 };
		var best = null;

		(dev.checks || []).forEach(function (c) {
			var rank = order[c.state] !== undefined ?
			    order[c.state] : 3;

			if (c.state === "down" && c.critical)
				rank = -1;
			if (best === null || rank < best.rank)
				best = { rank: rank, check: c };
		});
		return best ? best.check : null;
	}

	function row(dev) {
		var tr = el("tr");
		var state = STATE_TEXT[dev.state] ? dev.state : "unknown";
		var badge = el("span", "badge " + state, STATE_TEXT[state]);
		var td = el("td");
		var c = mainCheck(dev);

		tr.appendChild(el("td", null, dev.name || dev.id));
		tr.appendChild(el("td", null, dev["class"]));
		td.appendChild(badge);
		tr.appendChild(td);
		tr.appendChild(el("td", null, fmtTime(dev.since_ms)));
		tr.appendChild(el("td", null,
		    c && c.outcome ? c.id + ": " + c.outcome : ""));
		tr.appendChild(el("td", "msg",
		    c && c.message ? c.message : ""));
		return tr;
	}

	function render(data) {
		var main = document.getElementById("groups");
		var groups = [];
		var byName = {};
		var frag = document.createDocumentFragment();

		(data.devices || []).forEach(function (d) {
			var g = d.group || "";

			if (!byName[g]) {
				byName[g] = [];
				groups.push(g);
			}
			byName[g].push(d);
		});
		groups.forEach(function (g) {
			var table = el("table");
			var head = el("tr");
			var body = el("tbody");

			frag.appendChild(el("h2", null,
			    g === "" ? "(未分组)" : g));
			["名称", "类别", "状态", "自", "最近结果", "消息"].forEach(
			    function (h) {
				head.appendChild(el("th", null, h));
			    });
			table.appendChild(el("thead")).appendChild(head);
			byName[g].forEach(function (d) {
				body.appendChild(row(d));
			});
			table.appendChild(body);
			frag.appendChild(table);
		});
		main.replaceChildren(frag);
	}

	function setStatus(text, isError) {
		var s = document.getElementById("status");

		s.textContent = text;
		s.className = isError ? "status error" : "status";
	}

	function poll() {
		fetch("/api/v1/devices", { cache: "no-store" })
		    .then(function (r) {
			if (!r.ok)
				throw new Error("HTTP " + r.status);
			return r.json();
		    })
		    .then(function (data) {
			render(data);
			setStatus((data.devices || []).length + " 台设备，更新于 " +
			    fmtTime(data.generated_ms), false);
		    })
		    .catch(function (e) {
			setStatus("无法获取状态：" + e.message, true);
		    })
		    .finally(function () {
			setTimeout(poll, POLL_MS);
		    });
	}

	document.addEventListener("DOMContentLoaded", poll);
})();
