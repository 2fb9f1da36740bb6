// dashboard/health.js — the Health page: every proxy's relayed calls over a
// window (calls, success rate, average latency, last seen; "no traffic" when
// a proxy carried none, never "0% success"), and for the proxy chosen, its
// outcomes over time as a stacked bar chart in SVG, one bar per bucket,
// one segment per way a call ended: ok, or the stage it failed at in the
// API's words. The chart's figures are also a table (toggled), and its
// <title>/<desc> say them in words. View in the URL: #/health?hours=24&
// proxyId=ID&offset=0. Two API requests at most: the summary and the series.

import { api, el, errorBox, go, PAGE_SIZE, svg } from "./core.js";

const WINDOWS = [
  { hours: 1, label: "Last hour" },
  { hours: 24, label: "Last 24 hours" },
  { hours: 168, label: "Last 7 days" },
];
// the series' keys, bottom of a bar first (API: GET …/health?proxyId=)
const STAGES = ["ok", "dns", "connect", "handshake", "tls", "http", "timeout", "other"];
const STAGE_HELP = {
  ok: "succeeded",
  dns: "the name did not resolve",
  connect: "no TCP connection",
  handshake: "the proxy refused its handshake or credentials",
  tls: "TLS failed",
  http: "the provider's answer failed",
  timeout: "a stage timed out",
  other: "failed before any egress",
};
// chart coordinates: each bucket BAR_STEP wide, the bars CHART_HEIGHT high
const BAR_STEP = 10;
const BAR_GAP = 1.5;
const CHART_HEIGHT = 100;

// Buckets per window: 5 min over an hour, an hour up to two days, else 6 h.
function bucketsFor(hours) {
  if (hours <= 1) return 12;
  if (hours <= 48) return hours;
  return Math.min(288, Math.ceil(hours / 6));
}

function windowLabel(hours) {
  const known = WINDOWS.find((w) => w.hours === hours);
  return known ? known.label.toLowerCase() : `last ${hours} hours`;
}

function duration(seconds) {
  if (seconds % 3600 === 0) return seconds === 3600 ? "hour" : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

function when(iso, withDate) {
  const d = new Date(iso);
  return withDate
    ? d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
    : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function params(hours, proxyId, offset) {
  const p = new URLSearchParams({ hours });
  if (proxyId) p.set("proxyId", proxyId);
  if (offset) p.set("offset", offset);
  return p;
}

function rateClass(rate) {
  return rate >= 95 ? "rate-good" : rate >= 80 ? "rate-fair" : "rate-bad";
}

// One summary row: "no traffic" for a proxy that carried no call.
function summaryRow(item, hours, selected) {
  const calls = item.totalRequests;
  const link = el("a", { href: "#/health?" + params(hours, item.proxyId),
    "aria-current": selected ? "true" : null }, item.name);
  return el("tr", { class: selected ? "selected" : null, "data-proxy-id": item.proxyId },
    el("th", { scope: "row" }, link),
    el("td", {}, `${item.type}://${item.host}:${item.port}`),
    el("td", { class: "num" }, String(calls)),
    calls === 0
      ? el("td", { class: "muted" }, "no traffic")
      : el("td", { class: rateClass(item.successRate) },
        `${item.successRate}%`, el("span", { class: "muted" }, ` (${item.successCount} of ${calls})`)),
    el("td", { class: "num" }, item.avgLatencyMs === null ? el("span", { class: "muted" }, "—")
      : `${item.avgLatencyMs} ms`),
    el("td", {}, item.lastSeenAt ? el("time", { datetime: item.lastSeenAt },
      when(item.lastSeenAt, true)) : el("span", { class: "muted" }, "never")));
}

function summaryTable(items, hours, proxyId, offset) {
  // busiest first; the API lists by name, which orders the idle ones
  const sorted = items.slice().sort((a, b) => b.totalRequests - a.totalRequests);
  const page = sorted.slice(offset, offset + PAGE_SIZE);
  const last = offset + page.length;
  const pager = el("div", { class: "toolbar" },
    el("button", { type: "button", disabled: offset === 0,
      onclick: () => go("health", params(hours, proxyId, Math.max(0, offset - PAGE_SIZE))) },
      "Previous page"),
    el("span", { class: "muted", id: "health-range" },
      items.length ? `${offset + 1}–${last} of ${items.length}` : "no proxies yet"),
    el("button", { type: "button", disabled: last >= items.length,
      onclick: () => go("health", params(hours, proxyId, offset + PAGE_SIZE)) },
      "Next page"));
  return el("section", { class: "health-block", "aria-labelledby": "health-summary-title" },
    el("h3", { id: "health-summary-title" }, `Proxies, ${windowLabel(hours)}`),
    items.length > PAGE_SIZE ? pager : null,
    el("div", { class: "table-wrap" }, el("table", { class: "health-summary" },
      el("thead", {}, el("tr", {},
        ["Proxy", "Endpoint", "Calls", "Success rate", "Avg latency", "Last seen"].map(
          (h) => el("th", { scope: "col", class: h === "Calls" || h === "Avg latency" ? "num" : null },
            h)))),
      el("tbody", {}, page.map((item) => summaryRow(item, hours, item.proxyId === proxyId))))),
    items.length ? el("p", { class: "muted" }, "Choose a proxy to see its calls over time.")
      : el("p", { class: "muted" }, "No proxies yet: add one on the ",
        el("a", { href: "#/proxies" }, "Proxies"), " page."));
}

// The bars: one <g> per bucket, one <rect> per stage with calls, stacked
// from the bottom; each carries its figures (data-*) and a <title>.
function chartSvg(data, titleText, descText, withDate) {
  const buckets = data.series;
  const totals = buckets.map((b) => STAGES.reduce((n, s) => n + b[s], 0));
  const top = Math.max(1, ...totals);
  const width = buckets.length * BAR_STEP;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${CHART_HEIGHT}`, preserveAspectRatio: "none",
    role: "img", "aria-labelledby": "health-chart-title health-chart-desc", class: "health-svg",
    focusable: "false" },
  svg("title", { id: "health-chart-title" }, titleText),
  svg("desc", { id: "health-chart-desc" }, descText));
  for (const frac of [0.5, 1]) {
    const y = CHART_HEIGHT - frac * (CHART_HEIGHT - 4);
    chart.append(svg("line", { x1: 0, x2: width, y1: y, y2: y, class: "grid",
      "vector-effect": "non-scaling-stroke" }));
  }
  buckets.forEach((b, i) => {
    const group = svg("g", { class: "bucket", "data-start": b.start, "data-total": totals[i] });
    // heights in proportion; a segment with calls is never thinner than 1.5
    let heights = STAGES.map((s) => (b[s] ? Math.max(1.5, (b[s] / top) * (CHART_HEIGHT - 4)) : 0));
    const sum = heights.reduce((n, h) => n + h, 0);
    if (sum > CHART_HEIGHT) heights = heights.map((h) => (h * CHART_HEIGHT) / sum);
    let y = CHART_HEIGHT;
    STAGES.forEach((s, k) => {
      if (!b[s]) return;
      y -= heights[k];
      group.append(svg("rect", { x: i * BAR_STEP + BAR_GAP, y, width: BAR_STEP - 2 * BAR_GAP,
        height: heights[k], class: "seg seg-" + s, "data-stage": s, "data-count": b[s] },
      svg("title", {}, `${when(b.start, withDate)}: ${b[s]} ${s}`)));
    });
    chart.append(group);
  });
  chart.append(svg("line", { x1: 0, x2: width, y1: CHART_HEIGHT, y2: CHART_HEIGHT, class: "axis",
    "vector-effect": "non-scaling-stroke" }));
  return { chart, top };
}

// The same figures as a table: the buckets with calls, and the totals.
function figuresTable(data, sums, withDate) {
  const busy = data.series.filter((b) => STAGES.some((s) => b[s] > 0));
  return el("details", { class: "health-figures" },
    el("summary", {}, "Figures as a table"),
    el("div", { class: "table-wrap" }, el("table", { id: "health-figures" },
      el("caption", { class: "muted" }, busy.length < data.series.length
        ? `${data.series.length - busy.length} of ${data.series.length} periods had no calls and are left out.`
        : `Every period had calls.`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Period from"),
        STAGES.map((s) => el("th", { scope: "col", class: "num" }, s)))),
      el("tbody", {}, busy.map((b) => el("tr", { "data-start": b.start },
        el("th", { scope: "row" }, el("time", { datetime: b.start }, when(b.start, withDate))),
        STAGES.map((s) => el("td", { class: "num", "data-stage": s }, String(b[s])))))),
      el("tfoot", {}, el("tr", {}, el("th", { scope: "row" }, "Total"),
        STAGES.map((s) => el("td", { class: "num", "data-stage": s }, String(sums[s]))))))));
}

async function chartSection(proxyId, hours) {
  const section = el("section", { class: "health-block health-chart",
    "aria-labelledby": "health-chart-heading" });
  let data;
  try {
    data = await api(`/api/v1/management/proxies/health?proxyId=${encodeURIComponent(proxyId)}` +
      `&hours=${hours}&buckets=${bucketsFor(hours)}`);
  } catch (err) {
    section.append(el("h3", { id: "health-chart-heading" }, "Calls over time"), errorBox(err),
      el("p", {}, el("a", { href: "#/health?" + params(hours) }, "Close chart")));
    return section;
  }
  const sums = Object.fromEntries(STAGES.map((s) => [s, data.series.reduce((n, b) => n + b[s], 0)]));
  const total = STAGES.reduce((n, s) => n + sums[s], 0);
  const failed = total - sums.ok;
  const withDate = data.bucketSeconds >= 6 * 3600 || hours > 24;
  const per = duration(data.bucketSeconds);
  const title = `Calls through ${data.name}, ${windowLabel(hours)}, per ${per}`;
  const words = STAGES.filter((s) => sums[s] > 0).map((s) => `${sums[s]} ${s}`);
  const desc = total === 0 ? "No calls in this window."
    : `${total} calls: ${words.join(", ")}. Stacked bars, one per ${per}, oldest first.`;
  const { chart, top } = chartSvg(data, title, desc, withDate);
  const first = data.series[0];
  section.append(
    el("div", { class: "health-chart-head" },
      el("h3", { id: "health-chart-heading" }, `Calls through ${data.name}`),
      el("a", { href: "#/health?" + params(hours) }, "Close chart")),
    el("p", { class: "muted", id: "health-chart-summary" }, total === 0
      ? `No traffic in the ${windowLabel(hours)}.`
      : `${total} calls in the ${windowLabel(hours)}: ${sums.ok} ok, ${failed} failed. ` +
        `One bar per ${per}; the tallest holds ${top}.`),
    el("div", { class: "chart-frame" }, chart),
    el("div", { class: "chart-axis muted", "aria-hidden": "true" },
      el("span", {}, when(first.start, withDate)), el("span", {}, "now")),
    el("ul", { class: "legend", "aria-label": "Legend" }, STAGES.map((s) =>
      el("li", { class: sums[s] ? null : "muted" }, el("span", { class: "swatch seg-" + s }),
        el("span", { title: STAGE_HELP[s] }, s), " ", el("strong", {}, String(sums[s]))))),
    figuresTable(data, sums, withDate));
  return section;
}

export default async function healthView(view, query) {
  const hours = Math.min(720, Math.max(1, parseInt(query.get("hours") || "24", 10) || 24));
  const proxyId = query.get("proxyId") || "";
  const offset = Math.max(0, parseInt(query.get("offset") || "0", 10) || 0);
  view.replaceChildren(el("h2", {}, "Health"), el("p", { class: "muted" }, "Loading…"));
  // the summary and the chart at once: two requests
  const [list, chart] = await Promise.all([
    api(`/api/v1/management/proxies/health?hours=${hours}`),
    proxyId ? chartSection(proxyId, hours) : null,
  ]);
  const windows = WINDOWS.some((w) => w.hours === hours) ? WINDOWS
    : WINDOWS.concat([{ hours, label: `Last ${hours} hours` }]);
  view.replaceChildren(...[
    el("h2", {}, "Health"),
    el("nav", { class: "toolbar window-choice", "aria-label": "Window" },
      el("span", { class: "muted" }, "Window:"),
      windows.map((w) => el("a", { href: "#/health?" + params(w.hours, proxyId),
        class: "chip", "aria-current": w.hours === hours ? "true" : null }, w.label))),
    chart,
    summaryTable(list.items, hours, proxyId, offset < list.items.length ? offset : 0),
  ].filter(Boolean));
}
