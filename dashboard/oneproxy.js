// dashboard/oneproxy.js — the 1proxy page: the free-proxy feed's rows and
// their sync. "Sync now" starts the sync (one POST that answers at the end)
// and, while it waits, polls ?action=status every 300 ms for the running
// sync's progress (pages fetched, rows seen); then the outcome. Around it:
// the stats cards and the by-protocol and by-country breakdowns, the sync
// status panel with the circuit breaker and its reset, rotation by each
// strategy, and the active rows filtered (protocol, country, minimum
// quality — on submit or when typing stops) and paged, with delete one and
// clear all (confirmed in a dialog). The filters and the offset live in the
// URL; a filter the API refuses shows its error instead of the old rows.

import { api, el, errorBox, notice, PAGE_SIZE, proxyEndpoint, svg } from "./core.js";

const BASE = "/api/settings/oneproxy";
const POLL_MS = 300;
const TYPING_PAUSE_MS = 500;
const NUMERIC = new Set(["Quality", "Latency"]);   // right-aligned columns
const PROTOCOLS = ["http", "https", "socks4", "socks5"];
const STRATEGIES = [
  { strategy: "quality", label: "Rotate by quality" },
  { strategy: "random", label: "Rotate randomly" },
  { strategy: "sequential", label: "Rotate sequentially" },
];
// the list's filters: URL/API parameter, its label and input id
const FILTERS = [
  { param: "protocol", label: "Protocol", id: "filter-protocol" },
  { param: "countryCode", label: "Country", id: "filter-country" },
  { param: "minQuality", label: "Minimum quality", id: "filter-min-quality" },
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const dash = (v) => (v === null || v === undefined || v === "" ? "—" : String(v));
const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + "s"}`;

// "2026-12-06T01:22:03Z" → "2026-12-06 01:22:03 UTC" (the same in every locale)
function when(iso) {
  if (!iso) return "never";
  return el("time", { datetime: iso }, iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC"));
}

// A count as a bar; SVG attributes, not style, so the CSP allows it.
function bar(count, max) {
  const share = max ? Math.max(1, Math.round(100 * count / max)) : 0;
  return svg("svg", { width: "100%", height: 10, "aria-hidden": "true", class: "bar" },
    [["bar-track", "100%"], ["bar-fill", share + "%"]].map(([cls, w]) =>
      svg("rect", { class: cls, width: w, height: 10, rx: 3 })));
}

function breakdown(title, id, items, key) {
  const max = Math.max(0, ...items.map((b) => b.count));
  return el("section", { class: "panel", "aria-labelledby": id },
    el("h3", { id }, title),
    items.length === 0 ? el("p", { class: "muted" }, "no rows yet") :
      el("ul", { class: "breakdown" }, items.map((b) => el("li", {},
        el("span", { class: "breakdown-name" }, b[key]),
        el("span", { class: "breakdown-count" }, b.count),
        bar(b.count, max)))));
}

function card(label, value) {
  return el("div", { class: "card" },
    el("div", { class: "card-label" }, label), el("div", { class: "card-value" }, value));
}

// The counters of a sync, running or done, as one line.
function countsText(c) {
  return `${plural(c.pages, "page")} fetched, ${plural(c.received, "row")} seen — ` +
    `${c.added} added, ${c.updated} updated, ${c.failed} failed`;
}

export default async function oneproxyView(view, params) {
  const state = {
    offset: Math.max(0, parseInt(params.get("offset") || "0", 10) || 0),
  };
  for (const f of FILTERS) state[f.param] = params.get(f.param) || "";

  const overview = await api(BASE + "?action=stats");   // a 401 goes to the sign-in form

  // ---- the parts of the page ------------------------------------------
  const cards = el("div", { class: "cards" });
  const breakdowns = el("div", { class: "oneproxy-breakdowns" });
  const statusPanel = el("dl", { class: "facts" });
  const resetResult = el("div", { class: "result", id: "reset-result" });
  const syncButton = el("button", { type: "button", class: "primary" }, "Sync now");
  const syncBar = el("progress", { "aria-label": "Sync progress", hidden: true });
  const syncProgress = el("span", { id: "sync-progress", class: "muted", "aria-live": "polite" });
  const syncResult = el("div", { class: "result", id: "sync-result" });
  const rotateResult = el("div", { class: "result", id: "rotate-result" });
  const tableResult = el("div", { class: "result", id: "table-result" });
  const range = el("span", { class: "muted", id: "oneproxy-range" });
  const prev = el("button", { type: "button", disabled: true }, "Previous page");
  const next = el("button", { type: "button", disabled: true }, "Next page");
  const tableArea = el("div", { id: "oneproxy-rows" });
  const clearButton = el("button", { type: "button", class: "danger" }, "Clear all");

  const inputs = {};
  const protocolSelect = el("select", { id: "filter-protocol" },
    el("option", { value: "" }, "any"),
    PROTOCOLS.map((p) => el("option", { value: p }, p)));
  if (state.protocol && !PROTOCOLS.includes(state.protocol))
    protocolSelect.append(el("option", { value: state.protocol }, state.protocol));   // the API says why not
  protocolSelect.value = state.protocol;
  inputs.protocol = protocolSelect;
  inputs.countryCode = el("input", { id: "filter-country", type: "text", size: 4, maxlength: 8,
    autocomplete: "off", placeholder: "any", value: state.countryCode });
  inputs.minQuality = el("input", { id: "filter-min-quality", type: "text", inputmode: "numeric",
    size: 5, autocomplete: "off", placeholder: "0–100", value: state.minQuality });
  const filterForm = el("form", { class: "filters", role: "search", "aria-label": "Filter 1proxy proxies" },
    FILTERS.map((f) => el("div", { class: "field" }, el("label", { for: f.id }, f.label), inputs[f.param])),
    el("div", { class: "field" }, el("button", { type: "submit" }, "Filter")));

  const confirmText = el("p", {});
  const confirmButton = el("button", { type: "button", class: "danger" }, "Delete them");
  const cancelButton = el("button", { type: "button" }, "Cancel");
  const dialog = el("dialog", { "aria-labelledby": "clear-title" },
    el("h3", { id: "clear-title" }, "Clear all 1proxy proxies?"), confirmText,
    el("div", { class: "toolbar" }, confirmButton, cancelButton));

  // ---- overview: cards, breakdowns, sync status ------------------------
  function drawOverview(o) {
    const s = o.stats, st = o.status;
    cards.replaceChildren(
      card("Total", s.total ?? 0),
      card("Active", s.active ?? 0),
      card("Avg quality", s.avgQuality === null || s.avgQuality === undefined ? "—" :
        Number(s.avgQuality).toFixed(1)),
      card("Last sync", when(st.lastSyncAt)));
    breakdowns.replaceChildren(
      breakdown("By protocol", "by-protocol", s.byProtocol || [], "protocol"),
      breakdown("By country", "by-country", s.byCountry || [], "countryCode"));
    drawStatus(st);
  }

  function drawStatus(st) {
    const fact = (term, value, cls) => [el("dt", {}, term), el("dd", { class: cls }, value)];
    statusPanel.replaceChildren(
      ...fact("Last result", st.lastSyncAt ?
        [st.lastSyncSuccess ? "succeeded" : "failed", ", ", plural(st.lastSyncCount, "row"),
          " stored, ", when(st.lastSyncAt)] : "no sync yet",
        st.lastSyncAt ? (st.lastSyncSuccess ? "status-active" : "status-inactive") : null),
      ...fact("Last error", dash(st.lastSyncError), st.lastSyncError ? "status-inactive" : null),
      ...fact("Consecutive failures", st.consecutiveFailures),
      ...fact("Circuit breaker", st.circuitOpen ?
        "open — syncs are refused until it is reset" : "closed",
        st.circuitOpen ? "status-inactive" : "status-active"));
  }

  async function refreshOverview() {
    try {
      const o = await api(BASE + "?action=stats");
      drawOverview(o);
      return o;
    } catch (err) {
      cards.replaceChildren(errorBox(err));
      return null;
    }
  }

  // ---- the table -------------------------------------------------------
  function filterQuery() {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (state[f.param]) q.set(f.param, state[f.param]);
    return q;
  }

  function keepInUrl() {
    const q = filterQuery();
    if (state.offset) q.set("offset", state.offset);
    const query = q.toString();
    history.replaceState(null, "", "#/oneproxy" + (query ? "?" + query : ""));
  }

  let listSeq = 0;
  async function loadTable() {
    const seq = ++listSeq;
    const q = filterQuery();
    q.set("limit", PAGE_SIZE);
    q.set("offset", state.offset);
    let list;
    try {
      list = await api(BASE + "?" + q.toString());
    } catch (err) {
      if (seq !== listSeq) return;
      // never the old rows under a filter the API refused
      range.textContent = "";
      prev.disabled = next.disabled = true;
      tableArea.replaceChildren(errorBox(err));
      return;
    }
    if (seq !== listSeq) return;       // a newer filter answered first
    const total = list.total;
    if (list.items.length === 0 && state.offset > 0 && total > 0) {
      state.offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
      keepInUrl();
      return loadTable();             // the page emptied under us: its last page
    }
    const last = Math.min(state.offset + list.items.length, total);
    range.textContent = total ? `${state.offset + 1}–${last} of ${total}` :
      (filterQuery().toString() ? "no proxies match these filters" : "no active 1proxy proxies — sync to fetch some");
    prev.disabled = state.offset === 0;
    next.disabled = last >= total;
    tableArea.replaceChildren(el("div", { class: "table-wrap" }, el("table", { id: "oneproxy-table" },
      el("thead", {}, el("tr", {},
        ["Host", "Protocol", "Country", "Quality", "Latency", "Anonymity", "Google access", "Status"]
          .map((h) => el("th", { scope: "col", class: NUMERIC.has(h) ? "num" : null }, h)),
        el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")))),
      el("tbody", {}, list.items.map(row)))));
  }

  function row(p) {
    return el("tr", {},
      el("td", { title: p.name }, `${p.host}:${p.port}`),
      el("td", {}, p.type),
      el("td", {}, dash(p.countryCode)),
      el("td", { class: "num" }, dash(p.qualityScore)),
      el("td", { class: "num" }, p.latencyMs === null ? "—" : `${p.latencyMs} ms`),
      el("td", {}, dash(p.anonymity)),
      el("td", {}, p.googleAccess ? "yes" : "no"),
      el("td", { class: "status-" + p.status }, p.status),
      el("td", {}, el("button", { type: "button", onclick: (e) => deleteOne(p, e.currentTarget) }, "Delete")));
  }

  async function deleteOne(p, button) {
    button.disabled = true;
    try {
      await api(BASE + "?id=" + encodeURIComponent(p.id), { method: "DELETE" });
      const text = `Deleted ${p.name} (${proxyEndpoint(p)}).`;
      tableResult.replaceChildren(el("p", { class: "ok" }, text));
      notice(text);
    } catch (err) {
      button.disabled = false;
      tableResult.replaceChildren(errorBox(err));
      return;
    }
    await Promise.all([loadTable(), refreshOverview()]);
  }

  // ---- filters: on submit, on a choice, or when typing stops ------------
  let typingTimer = null;
  function applyFilters() {
    clearTimeout(typingTimer);
    let changed = false;
    for (const f of FILTERS) {
      const v = inputs[f.param].value.trim();
      if (v !== state[f.param]) changed = true;
      state[f.param] = v;
    }
    if (!changed) return;
    state.offset = 0;
    tableResult.replaceChildren();
    keepInUrl();
    loadTable();
  }
  filterForm.addEventListener("submit", (e) => { e.preventDefault(); applyFilters(); });
  protocolSelect.addEventListener("change", applyFilters);
  for (const input of [inputs.countryCode, inputs.minQuality]) {
    input.addEventListener("input", () => {
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { if (input.isConnected) applyFilters(); }, TYPING_PAUSE_MS);
    });
  }
  const turnPage = (delta) => {
    state.offset = Math.max(0, state.offset + delta);
    keepInUrl();
    loadTable();
  };
  prev.addEventListener("click", () => turnPage(-PAGE_SIZE));
  next.addEventListener("click", () => turnPage(PAGE_SIZE));

  // ---- sync now, with live progress -----------------------------------
  function showProgress(progress) {
    syncBar.hidden = false;
    syncProgress.textContent = "Syncing: " + countsText(progress);
  }

  // Poll the status until done() says stop; progress shown while it runs.
  async function watch(done) {
    while (!done() && syncButton.isConnected) {
      await sleep(POLL_MS);
      if (done() || !syncButton.isConnected) break;
      try {
        const st = await api(BASE + "?action=status");
        if (done()) break;
        if (st.syncing && st.progress) showProgress(st.progress);
        else if (!st.syncing) return st;      // it has ended
      } catch (err) {
        syncResult.replaceChildren(errorBox(err));
        return null;
      }
    }
    return null;
  }

  async function syncNow() {
    syncButton.disabled = true;
    syncResult.replaceChildren();
    syncBar.hidden = false;
    syncProgress.textContent = "Syncing: starting…";
    let answered = false;
    const post = api(BASE, { method: "POST", body: {} }).finally(() => { answered = true; });
    watch(() => answered);
    try {
      const res = await post;
      if (res.success) {
        syncResult.replaceChildren(el("p", { class: "ok" }, "Sync done: " + countsText(res)));
        notice(`1proxy sync done: ${res.added} added, ${res.updated} updated, ${res.failed} failed`);
      } else {
        syncResult.replaceChildren(el("div", { class: "error", role: "alert" },
          "Sync failed: " + (res.error || "unknown error"),
          res.pages !== undefined ? el("div", {}, countsText(res)) : null));
        notice("1proxy sync failed: " + (res.error || "unknown error"));
      }
    } catch (err) {
      syncResult.replaceChildren(errorBox(err));
      notice(err.message);
      if (err.status === 409) await watch(() => false);   // someone else's sync: follow it to its end
    } finally {
      syncBar.hidden = true;
      syncProgress.textContent = "";
      syncButton.disabled = false;
    }
    await Promise.all([refreshOverview(), loadTable()]);
  }
  syncButton.addEventListener("click", syncNow);

  // ---- circuit breaker reset --------------------------------------------
  const resetButton = el("button", { type: "button", onclick: async () => {
    resetButton.disabled = true;
    try {
      const st = await api(BASE + "/reset", { method: "POST", body: {} });
      drawStatus(st);
      const text = `Circuit breaker reset: ${st.circuitOpen ? "still open" : "closed"}, ` +
        `${plural(st.consecutiveFailures, "failure")} in a row.`;
      resetResult.replaceChildren(el("p", { class: "ok" }, text));
      notice(text);
    } catch (err) {
      resetResult.replaceChildren(errorBox(err));
    } finally {
      resetButton.disabled = false;
    }
  } }, "Reset circuit breaker");

  // ---- rotation ---------------------------------------------------------
  async function rotate(strategy, button) {
    button.disabled = true;
    try {
      const p = await api(BASE + "/rotate", { method: "POST", body: { strategy } });
      rotateResult.replaceChildren(el("p", { class: "ok" },
        `Next proxy (${strategy}): `, el("strong", {}, p.name), ` — ${proxyEndpoint(p)}, quality ${dash(p.qualityScore)}`));
      notice(`Rotated (${strategy}): ${p.name}`);
    } catch (err) {
      rotateResult.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  // ---- clear all, confirmed -------------------------------------------
  clearButton.addEventListener("click", async () => {
    tableResult.replaceChildren();
    const o = await refreshOverview();
    if (!o) return;
    const count = o.stats.total || 0;
    if (count === 0) {
      tableResult.replaceChildren(el("p", { class: "muted" }, "Nothing to clear: there are no 1proxy proxies."));
      return;
    }
    confirmText.textContent = `This deletes all ${plural(count, "proxy", "proxies")} the feed imported ` +
      "(active or not) and their assignments. Proxies added by hand are kept.";
    confirmButton.textContent = `Delete ${plural(count, "proxy", "proxies")}`;
    dialog.showModal();
    cancelButton.focus();
  });
  cancelButton.addEventListener("click", () => dialog.close());
  confirmButton.addEventListener("click", async () => {
    confirmButton.disabled = true;
    try {
      const res = await api(BASE + "?clearAll=1", { method: "DELETE" });
      const text = `Cleared: ${plural(res.deleted, "proxy", "proxies")} removed.`;
      tableResult.replaceChildren(el("p", { class: "ok" }, text));
      notice(text);
      state.offset = 0;
      keepInUrl();
    } catch (err) {
      tableResult.replaceChildren(errorBox(err));
    } finally {
      confirmButton.disabled = false;
      dialog.close();
    }
    await Promise.all([refreshOverview(), loadTable()]);
  });

  // ---- put together -----------------------------------------------------
  drawOverview(overview);
  view.classList.add("page-oneproxy");
  view.replaceChildren(
    el("h2", {}, "1proxy"),
    el("div", { class: "toolbar" }, syncButton, syncBar, syncProgress),
    syncResult,
    cards,
    el("div", { class: "oneproxy-panels" },
      el("div", { class: "oneproxy-stack" },
        breakdowns,
        el("section", { class: "panel", "aria-labelledby": "rotate-title" },
          el("h3", { id: "rotate-title" }, "Rotation"),
          el("div", { class: "toolbar" }, STRATEGIES.map(({ strategy, label }) =>
            el("button", { type: "button", onclick: (e) => rotate(strategy, e.currentTarget) }, label))),
          rotateResult)),
      el("section", { class: "panel", "aria-labelledby": "sync-status-title" },
        el("h3", { id: "sync-status-title" }, "Sync status"), statusPanel,
        el("div", { class: "toolbar" }, resetButton), resetResult)),
    el("section", { "aria-labelledby": "rows-title" },
      el("h3", { id: "rows-title" }, "Active proxies"),
      filterForm,
      el("div", { class: "toolbar" }, prev, range, next, el("span", { class: "spacer" }), clearButton),
      tableResult,
      tableArea),
    dialog);
  await loadTable();
  if (overview.status.syncing) {
    // a sync already running (the timer's, another tab's): follow it
    syncButton.disabled = true;
    showProgress(overview.status.progress);
    watch(() => false).then(async () => {
      if (!syncButton.isConnected) return;
      syncBar.hidden = true;
      syncProgress.textContent = "";
      syncButton.disabled = false;
      await Promise.all([refreshOverview(), loadTable()]);
    });
  }
}
