// The timeline picture of a run, shared by the dashboard (/_emulator/ui) and the run report
// (`bedrock-emulator report`): one lane per tenant, calls placed by arrival time (x) and latency
// (y, log scale), coloured by outcome; quota windows that throttled a call are shaded in its lane and
// virtual-clock advances are dashed lines across every lane. Built with createElementNS and
// textContent only, so no journal text is ever parsed as markup. No external assets.
"use strict";
const BedrockTimeline = (() => {
  // Elements are made in the namespace of the <svg> drawn into (the HTML parser gives it SVG's).
  let SVG = null;
  // Times read in the viewer's zone (the dashboard) or in UTC (the report, read anywhere later).
  let utc = false;
  const OUTCOMES = [
    ["success", "#2e7d32", "success"],
    ["delayed", "#1e88e5", "delayed by a rule"],
    ["throttled", "#f9a825", "throttled"],
    ["error", "#c62828", "error answer"],
    ["stream-exception", "#8e24aa", "stream exception"],
    ["truncated", "#ef6c00", "truncated"],
    ["disconnected", "#455a64", "disconnected / cut"],
    ["corrupt-frame", "#00897b", "corrupt frame"],
  ];
  const COLOURS = Object.fromEntries(OUTCOMES.map(([name, colour]) => [name, colour]));
  const LANE = 96;
  const GAP = 14;
  const LEFT = 170;
  const RIGHT = 16;
  const TOP = 34;
  const BOTTOM = 26;
  const TICKS_MS = [1, 10, 100, 1000, 10000, 100000];

  function node(parent, name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    if (parent) parent.appendChild(element);
    return element;
  }

  function clockTime(epochSeconds) {
    const d = new Date(epochSeconds * 1000);
    const pad = (n, w) => String(n).padStart(w, "0");
    const [h, m, s] = utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
    return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(d.getMilliseconds(), 3)}${utc ? " UTC" : ""}`;
  }

  function describe(e) {
    const lines = [
      `#${e.sequence} ${e.operation} → ${e.status === 0 ? "no answer" : e.status}${e.error_code ? " " + e.error_code : ""}`,
      `${clockTime(e.time)}  tenant ${e.tenant}`,
      `outcome ${e.outcome}, latency ${Number(e.latency_ms || 0).toFixed(1)} ms`,
    ];
    if (e.ttft_ms !== null && e.ttft_ms !== undefined) lines.push(`time to first token ${e.ttft_ms.toFixed(1)} ms`);
    if (e.rule) lines.push(`rule ${e.rule}`);
    if (e.stream_end) lines.push(`stream ${e.stream_end} after ${e.events_sent} events`);
    return lines.join("\n");
  }

  // The wall-clock time at which a quota window of `seconds` on the virtual clock, ending at a call's
  // arrival, began: advances of the virtual clock inside the window shorten it in wall time.
  function windowStart(end, seconds, advances) {
    let remaining = seconds;
    let cursor = end;
    const earlier = advances.filter((a) => a.time <= end).sort((a, b) => b.time - a.time);
    for (const advance of earlier) {
      const gap = cursor - advance.time;
      if (gap >= remaining) break;
      remaining -= gap;
      cursor = advance.time;
      remaining -= advance.seconds;
      if (remaining <= 0) return cursor;
    }
    return cursor - remaining;
  }

  function merged(spans) {
    const out = [];
    for (const span of spans.slice().sort((a, b) => a[0] - b[0])) {
      const last = out[out.length - 1];
      if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
      else out.push(span.slice());
    }
    return out;
  }

  // Draws into `svg` (an <svg> element, emptied first). options: width, advances [{time, seconds}],
  // tooltip (an element whose textContent shows the hovered call), onSelect(sequence), selected.
  function render(svg, entries, options) {
    SVG = svg.namespaceURI;
    const opts = options || {};
    utc = Boolean(opts.utc);
    const width = Math.max(480, opts.width || 1000);
    const advances = opts.advances || [];
    const tenants = [...new Set(entries.map((e) => e.tenant))].sort();
    const lanes = Math.max(1, tenants.length);
    const height = TOP + lanes * (LANE + GAP) + BOTTOM;
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.setAttribute("role", "img");
    node(svg, "rect", { x: 0, y: 0, width, height, fill: "#ffffff" });
    if (entries.length === 0) {
      node(svg, "text", { x: LEFT, y: TOP + LANE / 2, fill: "#5b6675", "font-size": 13 }, "no calls yet");
      return { tenants: [], dots: 0 };
    }
    const times = entries.map((e) => e.time);
    const ends = entries.map((e) => e.time + (e.latency_ms || 0) / 1000);
    let t0 = Math.min(...times);
    let t1 = Math.max(...ends);
    const windows = entries.filter((e) => e.quota_window && e.outcome === "throttled");
    const shownAdvances = advances.filter((a) => a.time >= t0 - 1 && a.time <= t1 + 1);
    for (const a of shownAdvances) t1 = Math.max(t1, a.time);
    if (t1 - t0 < 1) {
      const middle = (t0 + t1) / 2;
      t0 = middle - 0.5;
      t1 = middle + 0.5;
    }
    const span = t1 - t0;
    t0 -= span * 0.02;
    t1 += span * 0.02;
    const plotWidth = width - LEFT - RIGHT;
    const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * plotWidth;
    const maxMs = Math.max(10, ...entries.map((e) => e.latency_ms || 0));
    const top = Math.log10(maxMs) + 0.2;
    const y = (lane, ms) => {
      const base = TOP + lane * (LANE + GAP) + LANE - 6;
      return base - (Math.log10(Math.max(ms || 0, 1)) / top) * (LANE - 12);
    };

    // legend
    let lx = LEFT;
    for (const [name, colour, label] of OUTCOMES) {
      const item = node(svg, "g", { "data-legend": name });
      node(item, "circle", { cx: lx + 5, cy: 14, r: 5, fill: colour });
      node(item, "text", { x: lx + 14, y: 18, "font-size": 11, fill: "#1d232b" }, label);
      lx += 22 + label.length * 6.2;
    }

    tenants.forEach((tenant, lane) => {
      const laneTop = TOP + lane * (LANE + GAP);
      node(svg, "rect", { x: LEFT, y: laneTop, width: plotWidth, height: LANE, fill: "#f6f7f9", stroke: "#d8dde3" });
      const label = node(svg, "text", { x: 8, y: laneTop + 16, "font-size": 12, "font-family": "monospace", fill: "#1d232b" });
      label.textContent = tenant.length > 22 ? tenant.slice(0, 21) + "…" : tenant;
      node(label, "title", {}, tenant);
      for (const ms of TICKS_MS) {
        if (ms > maxMs * 1.6) break;
        const ty = y(lane, ms);
        node(svg, "line", { x1: LEFT - 4, x2: LEFT + plotWidth, y1: ty, y2: ty, stroke: "#e3e7ec" });
        node(svg, "text", { x: LEFT - 6, y: ty + 4, "font-size": 10, "text-anchor": "end", fill: "#5b6675" },
          ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);
      }
      const spans = windows
        .filter((e) => e.tenant === tenant)
        .map((e) => [Math.max(t0, windowStart(e.time, e.quota_window, advances)), e.time]);
      for (const [start, end] of merged(spans)) {
        const band = node(svg, "rect", {
          x: x(start), y: laneTop, width: Math.max(2, x(end) - x(start)), height: LANE,
          fill: "#f9a825", "fill-opacity": 0.16, "data-quota-window": tenant,
        });
        node(band, "title", {}, "quota window that throttled calls (on the virtual clock)");
      }
    });

    for (const advance of shownAdvances) {
      const ax = x(advance.time);
      const line = node(svg, "line", {
        x1: ax, x2: ax, y1: TOP - 6, y2: height - BOTTOM, stroke: "#2957a4", "stroke-dasharray": "5 4",
        "stroke-width": 1.5, "data-clock-advance": advance.seconds,
      });
      node(line, "title", {}, `virtual clock advanced by ${advance.seconds} s at ${clockTime(advance.time)}`);
      node(svg, "text", { x: ax + 3, y: TOP + 4, "font-size": 10, fill: "#2957a4" }, `clock +${advance.seconds} s`);
    }

    // time axis
    const axisY = height - BOTTOM + 14;
    for (let i = 0; i <= 4; i += 1) {
      const t = t0 + ((t1 - t0) * i) / 4;
      node(svg, "text", { x: x(t), y: axisY, "font-size": 10, "text-anchor": "middle", fill: "#5b6675" }, clockTime(t));
    }

    let dots = 0;
    const ordered = entries.slice().sort((a, b) => a.sequence - b.sequence);
    const radius = ordered.length > 2000 ? 3 : 5;  // a long run's dots would hide each other
    for (const e of ordered) {
      const lane = tenants.indexOf(e.tenant);
      const selected = opts.selected === e.sequence;
      const dot = node(svg, "circle", {
        cx: x(e.time), cy: y(lane, e.latency_ms), r: selected ? 7 : radius,
        fill: COLOURS[e.outcome] || "#000000", stroke: selected ? "#1d232b" : "#ffffff",
        "stroke-width": selected ? 2 : 1, "data-sequence": e.sequence, "data-outcome": e.outcome,
        tabindex: 0,
      });
      node(dot, "title", {}, describe(e));
      dots += 1;
      if (opts.tooltip) {
        dot.addEventListener("mouseenter", () => {
          opts.tooltip.textContent = describe(e);
          opts.tooltip.hidden = false;
        });
        dot.addEventListener("mouseleave", () => {
          opts.tooltip.hidden = true;
        });
      }
      if (opts.onSelect) {
        dot.addEventListener("click", () => opts.onSelect(e.sequence));
        dot.addEventListener("keydown", (event) => {
          if (event.key === "Enter") opts.onSelect(e.sequence);
        });
      }
    }
    return { tenants, dots };
  }

  return { OUTCOMES, COLOURS, render, describe, clockTime, windowStart };
})();
