// dashboard/proxies.js — the Proxies page: the registry one page at a time,
// with search, each row's 24 h health and usage, and the actions on a proxy
// (add, edit, delete with force when assigned, test, egress check).
//
// A page of the registry is ONE list request: the server pages and filters
// (?limit&offset&q) and adds each row's health and usage to that page
// (&include=health,usage), so nothing is fetched per row. The view (offset,
// search) is in the URL: a reload stays put. Searching rewrites the URL in
// place (history.replaceState) and redraws only the list, so the search box
// keeps its focus while one types.
//
// Layout, for other modules to mount into: the heading, the toolbar
// (#proxies-toolbar: search, "Add proxy"; other buttons go at its end), then
// #proxies-list (pager and table). The page's reload() redraws the list.
//
// Timing (tests/bench/dashboard_bench.py reads them): performance measures
// "proxies-list-fetch" (the list request), "proxies-list-render" (building
// the table, inserting it and the layout that follows) and
// "proxies-list-total", taken on every draw of the list.

import { api, el, errorBox, field, notice, PAGE_SIZE, proxyEndpoint, PROXY_TYPES, stageWord } from "./core.js";
import { globalCard } from "./global_card.js";
import { bulkTools } from "./bulk.js";

const LIST = "/api/v1/management/proxies";
const SEARCH_DELAY_MS = 350;
const COLUMNS = ["Name", "Endpoint", "Status", "Health", "Egress IP", "Usage"];

// "3 calls · 66.67% success · 200 ms avg", or "no traffic" without a call
function healthText(h) {
  if (!h || !h.totalRequests) return el("span", { class: "muted" }, "no traffic");
  const parts = [`${h.totalRequests} ${h.totalRequests === 1 ? "call" : "calls"}`];
  if (h.successRate !== null && h.successRate !== undefined) parts.push(`${h.successRate}% success`);
  if (h.avgLatencyMs !== null && h.avgLatencyMs !== undefined) parts.push(`${h.avgLatencyMs} ms avg`);
  return el("span", { class: h.successRate < 50 ? "health-poor" : "" }, parts.join(" · "));
}

function scopeText(s) {
  return s.scopeId === null || s.scopeId === undefined ? s.scope : `${s.scope} ${s.scopeId}`;
}

// "2 assignments" and the scopes the list named (the first few)
function usageText(u) {
  if (!u || !u.assignments) return el("span", { class: "muted" }, "unused");
  const more = u.assignments > u.scopes.length ? ", …" : "";
  return el("span", {},
    `${u.assignments} ${u.assignments === 1 ? "assignment" : "assignments"}`,
    el("span", { class: "muted usage-scopes" }, " (", u.scopes.map(scopeText).join(", "), more, ")"));
}

function listQuery(state) {
  const q = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset, include: "health,usage" });
  if (state.q) q.set("q", state.q);
  return `${LIST}?${q}`;
}

// The view in the URL (#/proxies?q=…&offset=…), written without a redraw.
function viewUrl(state) {
  const q = new URLSearchParams();
  if (state.q) q.set("q", state.q);
  if (state.offset) q.set("offset", state.offset);
  return "#/proxies" + (q.toString() ? "?" + q : "");
}

// ---- the add / edit form ---------------------------------------------------

// The dialog adding a proxy (proxy null) or editing one; onSaved(record).
function proxyDialog(proxy, onSaved) {
  const editing = proxy !== null;
  const value = (k) => (editing && proxy[k] !== null && proxy[k] !== undefined ? String(proxy[k]) : "");
  const input = (id, attrs) => el("input", { id, name: id, ...attrs });
  const name = input("proxy-name", { required: true, maxlength: 120, value: value("name") });
  // a feed's socks4 row keeps its type (the API takes no new socks4 proxy)
  const types = editing && !PROXY_TYPES.includes(proxy.type) ? [...PROXY_TYPES, proxy.type] : PROXY_TYPES;
  const type = el("select", { id: "proxy-type", name: "type" },
    types.map((t) => el("option", { value: t, selected: (editing ? proxy.type : "http") === t }, t)));
  const host = input("proxy-host", { required: true, maxlength: 255, value: value("host"),
    autocomplete: "off", spellcheck: "false" });
  const port = input("proxy-port", { type: "number", required: true, min: 1, max: 65535,
    value: value("port") });
  const keep = (k) => (editing && proxy[k] ? "unchanged if left empty" : "");
  const username = input("proxy-username", { autocomplete: "off", placeholder: keep("username") });
  const password = input("proxy-password", { type: "password", autocomplete: "new-password",
    placeholder: keep("password") });
  const region = input("proxy-region", { maxlength: 64, value: value("region") });
  const notes = el("textarea", { id: "proxy-notes", name: "notes", rows: 2, maxlength: 1000 },
    value("notes"));
  const problems = el("div", { class: "form-errors" });
  const save = el("button", { type: "submit", class: "primary" }, "Save");
  const dialog = el("dialog", { class: "proxy-dialog", "aria-labelledby": "proxy-dialog-title" });
  const form = el("form", {},
    el("h3", { id: "proxy-dialog-title" }, editing ? `Edit ${proxy.name}` : "Add proxy"),
    el("div", { class: "form-grid" },
      field("proxy-name", "Name", name), field("proxy-type", "Type", type),
      field("proxy-host", "Host", host), field("proxy-port", "Port", port),
      field("proxy-username", "Username", username), field("proxy-password", "Password", password),
      field("proxy-region", "Region", region)),
    field("proxy-notes", "Notes", notes),
    problems,
    el("div", { class: "toolbar dialog-buttons" }, save,
      el("button", { type: "button", onclick: () => dialog.close() }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value, type: type.value, host: host.value, port: port.value };
    // empty credentials: none for a new proxy, the stored ones kept on edit
    if (username.value) body.username = username.value;
    if (password.value) body.password = password.value;
    if (editing) {
      // a PATCH names only what changed (omitted fields keep their value)
      for (const k of ["name", "type", "host", "port"]) if (body[k] === value(k)) delete body[k];
      body.id = proxy.id;
      const newRegion = region.value.trim() ? region.value : null;
      const newNotes = notes.value.trim() ? notes.value : null;
      if (newRegion !== (proxy.region || null)) body.region = newRegion;
      if (newNotes !== (proxy.notes || null)) body.notes = newNotes;
    } else {
      if (region.value.trim()) body.region = region.value;
      if (notes.value.trim()) body.notes = notes.value;
    }
    save.disabled = true;
    problems.replaceChildren();
    try {
      const saved = await api(LIST, { method: editing ? "PATCH" : "POST", body });
      password.value = "";
      dialog.close();
      onSaved(saved);
    } catch (err) {
      problems.replaceChildren(errorBox(err));
    } finally {
      save.disabled = false;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
  name.focus();
  return dialog;
}

// ---- one row and its actions ----------------------------------------------

function proxyRow(p, reload) {
  const row = el("tr", {});
  const egressCell = el("td", {}, p.egressIp || el("span", { class: "muted" }, "not checked"));
  // the outcome of an action, in a row of its own under the proxy's (its
  // text kept in view when a narrow screen scrolls the table sideways)
  const result = el("div", { class: "row-result-body" });
  const resultRow = el("tr", { class: "row-result" },
    el("td", { colspan: COLUMNS.length + 1 }, result));
  const show = (...content) => {
    result.replaceChildren(...content);
    if (!resultRow.isConnected) row.after(resultRow);
  };
  // run one action with its button disabled; errors shown under the row
  const action = (button, busy, run) => async () => {
    button.disabled = true;
    show(el("span", { class: "muted" }, busy));
    try {
      await run();
    } catch (err) {
      show(errorBox(err));
      notice(`${p.name}: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  };

  const testButton = el("button", { type: "button" }, "Test");
  testButton.addEventListener("click", action(testButton, "Testing…", async () => {
    const r = await api(`${LIST}/test`, { method: "POST", body: { id: p.id } });
    if (r.success) {
      show(el("span", { class: "ok" }, `Test ok: HTTP ${r.status} in ${r.latencyMs} ms`));
      notice(`${p.name}: test ok (${r.latencyMs} ms)`);
    } else {
      show(el("span", { class: "bad" }, "Test failed at stage ", el("code", {}, stageWord(r.stage)), ": ",
        r.error || "no reason given", r.latencyMs !== null ? ` (${r.latencyMs} ms)` : ""));
      notice(`${p.name}: test failed at ${stageWord(r.stage)}`);
    }
  }));

  const egressButton = el("button", { type: "button" }, "Check egress IP");
  egressButton.addEventListener("click", action(egressButton, "Checking the egress IP…", async () => {
    const r = await api(`${LIST}/egress`, { method: "POST", body: { id: p.id } });
    if (r.success) {
      egressCell.replaceChildren(r.egressIp);
      show(el("span", { class: "ok" }, `Egress IP ${r.egressIp}`,
        r.latencyMs !== null ? ` (checked in ${r.latencyMs} ms)` : ""));
      notice(`${p.name}: egress IP ${r.egressIp}`);
    } else {
      show(el("span", { class: "bad" }, "Egress check failed at stage ", el("code", {}, stageWord(r.stage)),
        ": ", r.error || "no reason given"));
      notice(`${p.name}: egress check failed at ${stageWord(r.stage)}`);
    }
  }));

  const editButton = el("button", { type: "button" }, "Edit");
  editButton.addEventListener("click", () => proxyDialog(p, (saved) => {
    notice(`Saved ${saved.name}`);
    reload();
  }));

  const remove = async (force) => {
    await api(`${LIST}?id=${encodeURIComponent(p.id)}${force ? "&force=1" : ""}`, { method: "DELETE" });
    notice(`Deleted ${p.name}`);
    reload();
  };
  const deleteButton = el("button", { type: "button", class: "danger" }, "Delete");
  deleteButton.addEventListener("click", async () => {
    deleteButton.disabled = true;
    try {
      await remove(false);
    } catch (err) {
      if (err.status !== 409) {
        show(errorBox(err));
        notice(`${p.name}: ${err.message}`);
        return;
      }
      // still assigned: say where, and offer to remove those assignments too
      const used = await api(`${LIST}?id=${encodeURIComponent(p.id)}&where_used=1`)
        .catch((e) => ({ error: e }));
      const force = el("button", { type: "button", class: "danger" }, "Force delete");
      force.addEventListener("click", action(force, "Deleting…", () => remove(true)));
      show(errorBox(err),
        used.error ? errorBox(used.error) : el("p", { class: "where-used" },
          `Used by ${used.count} ${used.count === 1 ? "scope" : "scopes"}: `,
          used.assignments.map(scopeText).join(", ")),
        el("p", {}, force, " ", el("span", { class: "muted" },
          "removes those assignments and the proxy")));
      notice(`${p.name} is still assigned`);
    } finally {
      deleteButton.disabled = false;
    }
  });

  // data-label: on a narrow screen each row is a card whose cells name
  // their column (style.css)
  egressCell.setAttribute("data-label", "Egress IP");
  row.append(
    el("td", { "data-label": "Name" }, p.name),
    el("td", { "data-label": "Endpoint" }, proxyEndpoint(p)),
    el("td", { "data-label": "Status", class: "status-" + p.status }, p.status),
    el("td", { "data-label": "Health" }, healthText(p.health)),
    egressCell,
    el("td", { "data-label": "Usage" }, usageText(p.usage)),
    el("td", {}, el("div", { class: "row-actions" }, editButton, testButton, egressButton,
      deleteButton)));
  return row;
}

// ---- the list ---------------------------------------------------------------

function pager(state, list, reload) {
  const total = list.page.total;
  const last = Math.min(state.offset + list.items.length, total);
  const move = (offset) => () => {
    state.offset = offset;
    history.pushState(null, "", viewUrl(state));
    reload();
  };
  return el("div", { class: "toolbar pager" },
    el("button", { type: "button", disabled: state.offset === 0,
      onclick: move(Math.max(0, state.offset - PAGE_SIZE)) }, "Previous page"),
    el("span", { class: "muted", id: "proxies-range" },
      total ? `${state.offset + 1}–${last} of ${total}` : state.q ? "no proxy matches" : "no proxies yet"),
    el("button", { type: "button", disabled: last >= total, onclick: move(state.offset + PAGE_SIZE) },
      "Next page"));
}

let drawSeq = 0;

async function drawList(area, state, reload) {
  const seq = ++drawSeq;
  for (const name of ["start", "fetched", "rendered"]) performance.clearMarks(`proxies-list-${name}`);
  for (const name of ["fetch", "render", "total"]) performance.clearMeasures(`proxies-list-${name}`);
  performance.mark("proxies-list-start");
  area.setAttribute("aria-busy", "true");
  let list;
  try {
    list = await api(listQuery(state));
  } catch (err) {
    if (seq !== drawSeq) return;
    area.removeAttribute("aria-busy");
    // a bad search shows its error, never the previous rows
    if (err.status === 401 || err.status === 403) throw err;
    area.replaceChildren(errorBox(err));
    return;
  }
  if (seq !== drawSeq) return;     // a newer search or page is on its way
  if (!list.items.length && state.offset > 0 && list.page.total > 0) {
    // past the end (the last row of the last page went): its new last page
    state.offset = Math.floor((list.page.total - 1) / PAGE_SIZE) * PAGE_SIZE;
    history.replaceState(null, "", viewUrl(state));
    return drawList(area, state, reload);
  }
  performance.mark("proxies-list-fetched");
  const body = el("tbody", {}, list.items.map((p) => proxyRow(p, reload)));
  const table = el("table", { class: "proxies" },
    el("thead", {}, el("tr", {},
      COLUMNS.map((c) => el("th", { scope: "col" }, c)),
      el("td", { class: "actions-head" }))),
    body);
  area.replaceChildren(pager(state, list, reload), el("div", { class: "table-wrap" }, table));
  area.removeAttribute("aria-busy");
  void table.offsetHeight;         // style and layout now, inside the measure
  performance.mark("proxies-list-rendered");
  performance.measure("proxies-list-fetch", "proxies-list-start", "proxies-list-fetched");
  performance.measure("proxies-list-render", "proxies-list-fetched", "proxies-list-rendered");
  performance.measure("proxies-list-total", "proxies-list-start", "proxies-list-rendered");
}

export default async function proxiesView(view, params) {
  const state = {
    offset: Math.max(0, parseInt(params.get("offset") || "0", 10) || 0),
    q: (params.get("q") || "").trim(),
  };
  const listArea = el("div", { id: "proxies-list" }, el("p", { class: "muted" }, "Loading…"));
  const reload = () => drawList(listArea, state, reload).catch((err) => {
    listArea.replaceChildren(errorBox(err));
    notice(err.message);
  });

  // search: on submit, or once typing stops; the URL follows, focus stays
  const search = el("input", { id: "proxies-search", type: "search", maxlength: 200,
    value: state.q, autocomplete: "off", placeholder: "name, host, region, notes" });
  let timer = null;
  const applySearch = () => {
    clearTimeout(timer);
    const q = search.value.trim();
    if (q === state.q) return;
    state.q = q;
    state.offset = 0;
    history.replaceState(null, "", viewUrl(state));
    reload();
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(applySearch, SEARCH_DELAY_MS);
  });
  const searchForm = el("form", { class: "search", role: "search" },
    el("label", { for: "proxies-search" }, "Search"), search,
    el("button", { type: "submit" }, "Search"));
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    applySearch();
  });

  const add = el("button", { type: "button", class: "primary" }, "Add proxy");
  add.addEventListener("click", () => proxyDialog(null, (saved) => {
    notice(`Added ${saved.name}`);
    reload();
  }));

  const toolbar = el("div", { class: "toolbar", id: "proxies-toolbar" }, searchForm, add, bulkTools(reload));
  view.replaceChildren(el("h2", {}, "Proxies"), globalCard(), toolbar, listArea);
  // the first draw's errors (401: sign in) go to the router
  await drawList(listArea, state, reload);
}
