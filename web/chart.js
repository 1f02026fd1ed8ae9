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
 * A line chart in SVG for the RRD series of /api/v1/rrd.  The collector
 * serves the numbers and the browser draws them: the page stays
 * interactive (ranges switch and zoom without a server-side render) and
 * nothing is vendored.  Gaps (null: nothing measured) stay gaps.  Built
 * with DOM calls only, so the strict Content-Security-Policy holds.
 *
 * The drawing is sized to the pixels its container has, not scaled from
 * a fixed box: axis text scaled down with the picture is what made it
 * unreadable on a phone.  Several series share one chart (a port's in
 * and out), each with its own colour and a legend entry; the y axis has
 * round numbers and the unit, the x axis times at round steps of the
 * configured zone.  Dragging across the chart asks the page for that
 * range (opts.onZoom).
 */

"use strict";

window.FacChart = (function () {
	var NS = "http://www.w3.org/2000/svg";
	var R = 14, T = 26, B = 30, FONT = 12;
	/* Round steps of the time axis, in ms. */
	var TSTEPS = [60e3, 2 * 60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3,
	    3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3,
	    2 * 86400e3, 7 * 86400e3, 14 * 86400e3, 30 * 86400e3];

	function node(tag, attrs, text) {
		var e = document.createElementNS(NS, tag);

		Object.keys(attrs || {}).forEach(function (k) {
			e.setAttribute(k, String(attrs[k]));
		});
		if (text !== undefined)
			e.textContent = String(text);
		return e;
	}

	/* A round step (1, 2 or 5 times a power of ten) for about n ticks. */
	function niceStep(range, n) {
		var raw = range / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
		var m = raw / p;

		return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
	}

	/*
	 * A tick's number: as many decimals as the step needs, the same for
	 * every tick, large numbers with k/M/G.
	 */
	function fmtTick(v, step) {
		var a = Math.max(Math.abs(v), step), d;

		if (a >= 1e9)
			return (v / 1e9).toFixed(step >= 1e9 ? 0 : 1) + "G";
		if (a >= 1e6)
			return (v / 1e6).toFixed(step >= 1e6 ? 0 : 1) + "M";
		if (a >= 1e4)
			return (v / 1e3).toFixed(step >= 1e3 ? 0 : 1) + "k";
		d = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
		return v.toFixed(d);
	}

	/*
	 * series: [{ label, cls, points: [[ms, value|null], ...] }, ...]
	 * (a bare list of points is one series).  opts: unit (the y axis's),
	 * fmtTime(ms, withDate) for ticks, offset(ms) the zone's offset from
	 * UTC in ms (ticks fall on local round times), empty (the text when
	 * nothing was measured), onZoom(t0, t1) when a range is dragged.
	 */
	function draw(container, series, opts) {
		var W = Math.max(280, Math.round(container.clientWidth || 600));
		var H = Math.round(Math.min(280, Math.max(190, W * 0.4)));
		var L, svg, all = [], t0 = Infinity, t1 = -Infinity, lo, hi;
		var ystep, xstep, off, v, i, withDate;

		if (series.length > 0 && Array.isArray(series[0]))
			series = [{ label: "", cls: "", points: series }];
		series.forEach(function (s) {
			s.points.forEach(function (p) {
				t0 = Math.min(t0, p[0]);
				t1 = Math.max(t1, p[0]);
				if (p[1] !== null)
					all.push(p[1]);
			});
		});
		if (opts.from !== undefined && opts.to !== undefined) {
			t0 = opts.from;
			t1 = opts.to;
		}
		svg = node("svg", { viewBox: "0 0 " + W + " " + H, width: W,
		    height: H, "class": "chart", role: "img",
		    "aria-label": opts.title || "" });
		container.replaceChildren(svg);
		if (!(t1 > t0) || all.length === 0) {
			svg.appendChild(node("text", { x: W / 2, y: H / 2,
			    "text-anchor": "middle", "class": "empty" },
			    opts.empty || "—"));
			return svg;
		}
		lo = Math.min.apply(null, all);
		hi = Math.max.apply(null, all);
		if (lo > 0 && lo < hi / 2)
			lo = 0;
		if (hi === lo) {
			hi += hi === 0 ? 1 : Math.abs(hi) * 0.1;
			lo = lo > 0 ? Math.max(0, lo - (hi - lo)) : lo - (hi - lo);
		}
		ystep = niceStep(hi - lo, 4);
		lo = Math.floor(lo / ystep) * ystep;
		hi = Math.ceil(hi / ystep) * ystep;
		/* The left margin fits the widest tick. */
		L = 12 + FONT * 0.62 * Math.max(fmtTick(lo, ystep).length,
		    fmtTick(hi, ystep).length, 3);
		function x(t) { return L + (W - L - R) * (t - t0) / (t1 - t0); }
		function y(val) {
			return T + (H - T - B) * (1 - (val - lo) / (hi - lo));
		}
		for (v = lo, i = 0; v <= hi + ystep / 2 && i < 20; v += ystep, i++) {
			svg.appendChild(node("line", { x1: L, x2: W - R, y1: y(v),
			    y2: y(v), "class": "grid" }));
			svg.appendChild(node("text", { x: L - 5, y: y(v) + FONT / 3,
			    "text-anchor": "end", "class": "ytick" },
			    fmtTick(v, ystep)));
		}
		if (opts.unit)
			svg.appendChild(node("text", { x: 4, y: FONT + 4,
			    "class": "unit" }, opts.unit));
		/* Time ticks: a round step giving at least ~90 px apart. */
		for (i = 0; i < TSTEPS.length - 1 &&
		    (t1 - t0) / TSTEPS[i] > (W - L - R) / 90; i++)
			;
		xstep = TSTEPS[i];
		withDate = xstep >= 86400e3 || t1 - t0 > 86400e3;
		off = opts.offset ? opts.offset(t0) : 0;
		for (v = Math.ceil((t0 + off) / xstep) * xstep - off, i = 0;
		    v <= t1 && i < 40; v += xstep, i++) {
			svg.appendChild(node("line", { x1: x(v), x2: x(v), y1: T,
			    y2: H - B, "class": "grid" }));
			svg.appendChild(node("text", { x: x(v), y: H - B + FONT + 5,
			    "text-anchor": "middle", "class": "xtick" },
			    opts.fmtTime(v, withDate, xstep)));
		}
		svg.appendChild(node("line", { x1: L, x2: W - R, y1: H - B,
		    y2: H - B, "class": "axis" }));
		series.forEach(function (s, k) {
			var d = "", pen = false;

			s.points.forEach(function (p) {
				if (p[1] === null || p[0] < t0 || p[0] > t1) {
					pen = false;
					return;
				}
				d += (pen ? "L" : "M") + x(p[0]).toFixed(1) + "," +
				    y(p[1]).toFixed(1);
				pen = true;
			});
			svg.appendChild(node("path", { d: d, "class": "line s" + k +
			    (s.cls ? " " + s.cls : "") }));
			if (s.label) {
				/* From the right: the unit has the left corner. */
				var lx = W - R - (series.length - k) * 64;

				svg.appendChild(node("rect", { x: lx, y: 7, width: 14,
				    height: 4, "class": "key s" + k + (s.cls ? " " +
				    s.cls : "") }));
				svg.appendChild(node("text", { x: lx + 18,
				    y: 7 + FONT / 2, "class": "legend" }, s.label));
			}
		});
		if (opts.onZoom)
			zoomable(svg, W, L, R, T, H - B, t0, t1, opts.onZoom);
		return svg;
	}

	/*
	 * Drag across the plot: a band follows the pointer, and letting go
	 * over more than a few pixels asks for that range.
	 */
	function zoomable(svg, W, L, R, top, bottom, t0, t1, onZoom) {
		var band = node("rect", { x: 0, y: top, width: 0,
		    height: bottom - top, "class": "band" }), start = null;

		function at(ev) {
			var r = svg.getBoundingClientRect();
			var px = (ev.clientX - r.left) * W / r.width;

			return Math.max(L, Math.min(W - R, px));
		}
		function time(px) { return t0 + (t1 - t0) * (px - L) / (W - L - R); }
		svg.appendChild(band);
		svg.classList.add("zoomable");
		svg.addEventListener("pointerdown", function (ev) {
			start = at(ev);
			band.setAttribute("x", start);
			band.setAttribute("width", 0);
			svg.setPointerCapture(ev.pointerId);
			ev.preventDefault();
		});
		svg.addEventListener("pointermove", function (ev) {
			var p;

			if (start === null)
				return;
			p = at(ev);
			band.setAttribute("x", Math.min(start, p));
			band.setAttribute("width", Math.abs(p - start));
		});
		svg.addEventListener("pointerup", function (ev) {
			var p = at(ev), a = Math.min(start, p), b = Math.max(start, p);

			start = null;
			band.setAttribute("width", 0);
			if (b - a >= 6)
				onZoom(Math.round(time(a)), Math.round(time(b)));
		});
	}

	return { draw: draw };
})();
