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
 * A small line chart in SVG for the RRD series of /api/v1/rrd.  The
 * collector serves the numbers and the browser draws them: the page
 * stays interactive (periods switch without a server-side render) and
 * nothing is vendored.  Gaps (null: nothing measured) stay gaps.  Built
 * with DOM calls only, so the strict Content-Security-Policy holds.
 */

"use strict";

window.FacChart = (function () {
	var NS = "http://www.w3.org/2000/svg";
	var W = 600, H = 160, L = 56, R = 8, T = 10, B = 22;

	function node(tag, attrs, text) {
		var e = document.createElementNS(NS, tag);

		Object.keys(attrs || {}).forEach(function (k) {
			e.setAttribute(k, String(attrs[k]));
		});
		if (text !== undefined)
			e.textContent = String(text);
		return e;
	}

	function fmtNum(v) {
		var a = Math.abs(v);

		if (a >= 1e9)
			return (v / 1e9).toFixed(1) + "G";
		if (a >= 1e6)
			return (v / 1e6).toFixed(1) + "M";
		if (a >= 1e4)
			return (v / 1e3).toFixed(1) + "k";
		if (a >= 100 || v === Math.round(v))
			return v.toFixed(0);
		return v.toFixed(2);
	}

	/*
	 * points: [[ms, value|null], ...]; opts.fmtTime(ms) labels the ends
	 * of the x axis; opts.empty is the text when nothing was measured.
	 */
	function draw(container, points, opts) {
		var svg = node("svg", { viewBox: "0 0 " + W + " " + H,
		    "class": "chart", role: "img" });
		var vals = points.filter(function (p) { return p[1] !== null; });
		var t0, t1, lo, hi, d = "", pen = false;

		container.replaceChildren(svg);
		if (points.length < 2 || vals.length === 0) {
			svg.appendChild(node("text", { x: W / 2, y: H / 2,
			    "text-anchor": "middle", "class": "empty" },
			    opts.empty || "—"));
			return svg;
		}
		t0 = points[0][0];
		t1 = points[points.length - 1][0];
		lo = Math.min.apply(null, vals.map(function (p) { return p[1]; }));
		hi = Math.max.apply(null, vals.map(function (p) { return p[1]; }));
		if (lo > 0 && lo < hi / 2)
			lo = 0;
		if (hi === lo) {
			hi += 1;
			lo = Math.max(0, lo - 1);
		}
		function x(t) { return L + (W - L - R) * (t - t0) / (t1 - t0); }
		function y(v) { return T + (H - T - B) * (1 - (v - lo) / (hi - lo)); }
		[lo, (lo + hi) / 2, hi].forEach(function (v) {
			svg.appendChild(node("line", { x1: L, x2: W - R, y1: y(v),
			    y2: y(v), "class": "grid" }));
			svg.appendChild(node("text", { x: L - 4, y: y(v) + 4,
			    "text-anchor": "end" }, fmtNum(v)));
		});
		points.forEach(function (p) {
			if (p[1] === null) {
				pen = false;
				return;
			}
			d += (pen ? "L" : "M") + x(p[0]).toFixed(1) + "," +
			    y(p[1]).toFixed(1);
			pen = true;
		});
		svg.appendChild(node("path", { d: d, "class": "line" }));
		svg.appendChild(node("text", { x: L, y: H - 4 },
		    opts.fmtTime(t0)));
		svg.appendChild(node("text", { x: W - R, y: H - 4,
		    "text-anchor": "end" }, opts.fmtTime(t1)));
		return svg;
	}

	return { draw: draw };
})();
