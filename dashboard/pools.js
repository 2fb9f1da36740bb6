// dashboard/pools.js — the Pools page (#/pools?scope=provider&scopeId=openai):
// choose a scope (the scopes that have a pool are listed from the
// assignments list; a new scope id can be typed), then see its pool — the
// members in order with status, egress IP and 24 h health, the member the
// next call will take (resolve peeks without moving the cursor), a warning
// when members share an egress IP — and change it: strategy and sticky
// window, add a saved proxy (a searchable picker over the registry), remove
// or move members up and down, and set or remove a live 1proxy member set.
// Every change is one API call whose answer or error is shown where it
// happened; the page is then drawn again from the API.

import { api, el, notice, go, errorBox, proxyEndpoint as endpoint, proxyPicker } from "./core.js";

const SCOPES = ["global", "provider", "account", "combo"];
const STRATEGIES = ["round-robin", "random", "sticky", "latency", "quality"];
const PROTOCOLS = ["http", "https", "socks5"];
const POOL = "/api/settings/proxies/pool";
const SCOPE_LIST_MAX = 50;

export default async function poolsView(view, params) {
  const asked = params.get("scope") === "key" ? "account" : params.get("scope");   // key is stored as account
  const scope = SCOPES.includes(asked) ? asked : "global";
  const state = {
    view, params, scope,
    scopeId: scope === "global" ? "" : (params.get("scopeId") || "").trim(),
    conn: params.get("conn") || "",
  };
  view.replaceChildren(el("h2", {}, "Pools"), el("p", { class: "muted" }, "Loading…"));
  await draw(state);
}

// The query of this page for a scope (and the connection the next call is shown for).
function routeParams(scope, scopeId, conn) {
  const q = new URLSearchParams({ scope });
  if (scope !== "global" && scopeId) q.set("scopeId", scopeId);
  if (conn) q.set("conn", conn);
  return q;
}

// The body fields naming the page's scope.
function scopeFields(state) {
  return state.scope === "global" ? { scope: "global" } : { scope: state.scope, scopeId: state.scopeId };
}

function scopeLabel(scope, scopeId) {
  return scope === "global" ? "global" : `${scope} ${scopeId}`;
}

// Draw the whole page from the API; focusKey names the control to focus after.
async function draw(state, focusKey) {
  const { view, scope, scopeId } = state;
  const assignments = (await api("/api/settings/proxies/assignments")).items;
  const assigned = assignments.find((a) => a.scope === scope && (a.scopeId || "") === scopeId);
  let pool = null;
  let conns = [];
  if (assigned && (scope === "global" || scopeId)) {
    [pool, conns] = await Promise.all([
      api(`${POOL}?${routeParams(scope, scopeId)}`),
      scope === "provider"
        ? api(`/api/connections?provider=${encodeURIComponent(scopeId)}`).then((r) => r.items)
        : Promise.resolve([]),
    ]);
  }
  let next = null;
  if (pool) {
    if (scope === "provider" && !conns.some((c) => c.id === state.conn))
      state.conn = conns.length ? conns[0].id : "";
    next = await api(resolvePath(state));
  }
  view.replaceChildren(el("section", { class: "pools" },
    el("h2", {}, "Pools"),
    scopePicker(state, assignments),
    scopeList(state, assignments),
    pool ? poolSection(state, pool, next, conns)
      : el("p", { class: "muted", id: "pool-none" },
        scope !== "global" && !scopeId ? "Give a scope id to see or make its pool."
          : `No pool for ${scopeLabel(scope, scopeId)} yet: add a member or a live 1proxy set to make one.`),
    scope === "global" || scopeId ? el("div", { class: "pool-forms" },
      addMemberForm(state, pool), liveSetForm(state, pool)) : null));
  if (focusKey) {
    const target = view.querySelector(`[data-focus="${focusKey}"]:not([disabled])`) ||
      view.querySelector(`[data-focus-row="${focusKey.split(":")[1]}"] button:not([disabled])`);
    if (target) target.focus();
  }
}

// Draw again after a change; an error doing so is shown at the top.
async function redraw(state, focusKey) {
  try {
    await draw(state, focusKey);
  } catch (err) {
    state.view.prepend(errorBox(err));
  }
}

// A connection id no account is assigned: resolve needs one, and the pools
// of the other levels choose alike for any connection but under sticky.
const ANY_CONNECTION = "dashboard-preview";

// The resolve call that says which member the next call takes (a peek).
function resolvePath(state) {
  const q = new URLSearchParams();
  q.set("resolve", state.scope === "account" ? state.scopeId : state.conn || ANY_CONNECTION);
  if (state.scope === "provider") q.set("provider", state.scopeId);
  if (state.scope === "combo") q.set("combo", state.scopeId);
  return `/api/settings/proxy?${q}`;
}

function scopePicker(state, assignments) {
  const select = el("select", { id: "pool-scope" },
    SCOPES.map((s) => el("option", { value: s, selected: s === state.scope }, s)));
  const idInput = el("input", { id: "pool-scope-id", list: "pool-scope-ids", autocomplete: "off",
    value: state.scopeId, placeholder: "e.g. openai" });
  const ids = el("datalist", { id: "pool-scope-ids" });
  const idField = el("div", { class: "field" }, el("label", { for: "pool-scope-id" }, "Scope id"), idInput, ids);
  const status = el("div", { class: "form-status" });
  const fill = () => {
    ids.replaceChildren(...assignments.filter((a) => a.scope === select.value && a.scopeId)
      .map((a) => el("option", { value: a.scopeId })));
    idField.hidden = select.value === "global";
  };
  select.addEventListener("change", fill);
  fill();
  const form = el("form", { class: "toolbar pool-scope", novalidate: true },
    el("div", { class: "field" }, el("label", { for: "pool-scope" }, "Scope"), select),
    idField,
    el("button", { type: "submit" }, "Show pool"), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = idInput.value.trim();
    if (select.value !== "global" && !id) {
      status.replaceChildren(el("span", { class: "error-text" }, "A scope id is needed for this scope."));
      idInput.focus();
      return;
    }
    go("pools", routeParams(select.value, id));
  });
  return form;
}

// The scopes that have an assignment: a pool, or going direct on purpose.
function scopeList(state, assignments) {
  if (!assignments.length)
    return el("p", { class: "muted" }, "No scope has a pool yet.");
  const order = (a) => SCOPES.indexOf(a.scope);
  const sorted = [...assignments].sort((a, b) => order(a) - order(b) ||
    (a.scopeId || "").localeCompare(b.scopeId || ""));
  const more = sorted.length - SCOPE_LIST_MAX;
  return el("nav", { class: "pool-scopes", "aria-label": "Scopes with a pool" },
    el("span", { class: "muted" }, "Scopes with a pool:"),
    el("ul", {}, sorted.slice(0, SCOPE_LIST_MAX).map((a) => {
      const current = a.scope === state.scope && (a.scopeId || "") === state.scopeId;
      const size = a.proxyId === "direct" ? "direct" :
        `${a.poolSize} member${a.poolSize === 1 ? "" : "s"}`;
      return el("li", {}, el("a", {
        href: "#/pools?" + routeParams(a.scope, a.scopeId || ""),
        "aria-current": current ? "page" : null,
      }, scopeLabel(a.scope, a.scopeId)), el("span", { class: "muted" }, ` (${size})`));
    })),
    more > 0 ? el("span", { class: "muted" }, `and ${more} more: type a scope id to see one.`) : null);
}

function poolSection(state, pool, next, conns) {
  const byId = new Map(pool.members.map((m) => [m.id, m]));
  // a scope assigned "direct" has an assignment but no pool to tune
  const direct = !pool.members.length && !pool.source;
  return el("section", { class: "pool", "aria-labelledby": "pool-title" },
    el("h3", { id: "pool-title" }, `Pool for ${scopeLabel(state.scope, state.scopeId)}`),
    direct ? null : nextMember(state, pool, next, conns, byId),
    sharedEgressWarning(pool),
    membersTable(state, pool),
    direct ? null : strategyForm(state, pool));
}

// The member the next call takes, from resolve (the cursor does not move).
function nextMember(state, pool, next, conns, byId) {
  const parts = [];
  if (state.scope === "provider" && conns.length) {
    const select = el("select", { id: "pool-next-conn" },
      conns.map((c) => el("option", { value: c.id, selected: c.id === state.conn }, c.name)));
    select.addEventListener("change", () => go("pools", routeParams(state.scope, state.scopeId, select.value)));
    parts.push(el("div", { class: "field" },
      el("label", { for: "pool-next-conn" }, "Next call for connection"), select));
  }
  let text;
  const here = next.level === state.scope &&
    (state.scope === "global" || next.levelId === state.scopeId);
  if (!here) {
    text = [`This pool does not decide these calls: the ${next.level} level does`,
      next.levelId && next.level !== "global" ? ` (${next.levelId})` : "", "."];
  } else if (next.refused) {
    text = ["Refused: no member can carry the next call (", next.message || "every member unusable", ")."];
  } else if (next.proxyId && byId.has(next.proxyId)) {
    const m = byId.get(next.proxyId);
    text = [el("strong", {}, m.name), ` (${endpoint(m)}, position ${m.position})`];
  } else {
    text = [next.proxyId || "direct"];
  }
  return el("div", { class: "pool-summary" },
    el("div", {},
      el("p", { id: "pool-next" }, el("span", { class: "muted" }, "Next call: "), ...text),
      el("p", { class: "muted", id: "pool-strategy-now" },
        `Strategy ${pool.strategy}`,
        pool.strategy === "sticky" ? `, sticky window ${pool.stickyWindowMinutes} min` : "",
        ` · ${pool.total} member${pool.total === 1 ? "" : "s"}`)),
    parts);
}

function sharedEgressWarning(pool) {
  const groups = new Map();
  for (const m of pool.members)
    if (m.sharedEgress && m.egressIp)
      groups.set(m.egressIp, [...(groups.get(m.egressIp) || []), m.name]);
  if (!groups.size) return null;
  return el("div", { class: "warning", id: "pool-shared-egress" },
    el("strong", {}, "Shared egress IP. "),
    [...groups].map(([ip, names]) => el("span", {},
      `${names.join(", ")} all leave from ${ip}: calls rotating over them show one address. `)));
}

function healthText(h) {
  if (!h || !h.totalRequests) return el("span", { class: "muted" }, "no traffic");
  const rate = h.successRate === null || h.successRate === undefined ? "–" : `${h.successRate}%`;
  const latency = h.avgLatencyMs === null || h.avgLatencyMs === undefined ? "" : `, ${h.avgLatencyMs} ms`;
  return `${h.totalRequests} calls, ${rate} ok${latency}`;
}

function membersTable(state, pool) {
  const status = el("div", { class: "form-status", id: "pool-members-status" });
  if (!pool.members.length)
    return el("div", {}, el("p", { class: "muted" },
      pool.source ? "The live 1proxy set matches no active row now." :
        "This scope goes direct on purpose: adding a member makes it a pool."), status);
  const statics = pool.members.filter((m) => !m.live);
  const act = async (key, what, call) => {
    status.replaceChildren(el("span", { class: "muted" }, "Saving…"));
    try {
      await call();
    } catch (err) {
      status.replaceChildren(errorBox(err));
      return;
    }
    notice(what);
    await redraw(state, key);
    const after = state.view.querySelector("#pool-members-status");
    if (after) after.replaceChildren(el("span", { class: "ok-text" }, what));
  };
  const move = (m, position) => act(`${position < m.position ? "up" : "down"}:${m.id}`,
    `Moved ${m.name} to position ${position}.`,
    () => api(POOL, { method: "PATCH", body: { ...scopeFields(state), proxyId: m.id, position } }));
  const rows = pool.members.map((m) => {
    const index = m.live ? -1 : statics.indexOf(m);
    return el("tr", { "data-focus-row": m.id },
      el("td", {}, String(m.position)),
      el("td", {}, m.name, m.live ? el("span", { class: "badge" }, "live 1proxy") : ""),
      el("td", {}, endpoint(m)),
      el("td", { class: "status-" + m.status }, m.status),
      el("td", { class: m.sharedEgress ? "shared-egress" : null },
        m.egressIp || el("span", { class: "muted" }, "not checked"),
        m.sharedEgress ? " (shared)" : ""),
      el("td", {}, healthText(m.health)),
      el("td", {}, m.live ? el("span", { class: "muted" }, "ordered by quality") : el("div", { class: "row-actions" },
        el("button", { type: "button", "aria-label": `Move ${m.name} up`, "data-focus": `up:${m.id}`,
          disabled: index === 0, onclick: () => move(m, index - 1) }, "Up"),
        el("button", { type: "button", "aria-label": `Move ${m.name} down`, "data-focus": `down:${m.id}`,
          disabled: index === statics.length - 1, onclick: () => move(m, index + 1) }, "Down"),
        el("button", { type: "button", "aria-label": `Remove ${m.name}`, class: "danger",
          onclick: () => act(`remove:${m.id}`, `Removed ${m.name} from the pool.`,
            () => api(`${POOL}?${new URLSearchParams({ ...scopeFields(state), proxyId: m.id })}`,
              { method: "DELETE" })) }, "Remove"))));
  });
  return el("div", {},
    el("div", { class: "table-wrap" }, el("table", { id: "pool-members", "aria-label": "Members in order" },
      el("thead", {}, el("tr", {}, ["#", "Name", "Endpoint", "Status", "Egress IP", "Health", "Order"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows))),
    status);
}

// A number typed as digits goes as a number; anything else as typed, for
// the API to name the problem.
function numberOrText(value) {
  const v = value.trim();
  return /^\d+$/.test(v) ? Number(v) : v;
}

function strategyForm(state, pool) {
  const select = el("select", { id: "pool-strategy" },
    STRATEGIES.map((s) => el("option", { value: s, selected: s === pool.strategy }, s)));
  const windowInput = el("input", { id: "pool-window", inputmode: "numeric", size: 6,
    value: pool.stickyWindowMinutes, placeholder: "1–1440" });
  const windowField = el("div", { class: "field" },
    el("label", { for: "pool-window" }, "Sticky window (minutes)"), windowInput);
  const status = el("div", { class: "form-status", id: "pool-strategy-status" });
  const sync = () => { windowField.hidden = select.value !== "sticky"; };
  select.addEventListener("change", sync);
  sync();
  const form = el("form", { class: "toolbar pool-strategy", novalidate: true },
    el("div", { class: "field" }, el("label", { for: "pool-strategy" }, "Strategy"), select),
    windowField, el("button", { type: "submit" }, "Save strategy"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { ...scopeFields(state), strategy: select.value };
    if (select.value === "sticky" && windowInput.value.trim() !== "")
      body.stickyWindowMinutes = numberOrText(windowInput.value);
    status.replaceChildren(el("span", { class: "muted" }, "Saving…"));
    let saved;
    try {
      saved = await api(POOL, { method: "PATCH", body });
    } catch (err) {
      status.replaceChildren(errorBox(err));
      return;
    }
    const what = `Strategy ${saved.strategy}` +
      (saved.strategy === "sticky" ? `, sticky window ${saved.stickyWindowMinutes} min` : "") + " saved.";
    notice(what);
    await redraw(state, "strategy");
    const after = state.view.querySelector("#pool-strategy-status");
    if (after) after.replaceChildren(el("span", { class: "ok-text" }, what));
  });
  select.setAttribute("data-focus", "strategy");
  return form;
}

function addMemberForm(state, pool) {
  const members = new Set(pool ? pool.members.filter((m) => !m.live).map((m) => m.id) : []);
  const picker = proxyPicker("pool-add", { searchLabel: "Search proxies", choiceLabel: "Proxy to add",
    mark: (p) => (members.has(p.id) ? " (already a member)" : "") });
  const status = el("div", { class: "form-status", id: "pool-add-status" });
  const form = el("form", { class: "pool-add", novalidate: true },
    el("h4", {}, "Add member"), picker.element,
    el("p", {}, el("button", { type: "submit" }, "Add member")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = picker.selected();
    if (!chosen) {
      status.replaceChildren(el("span", { class: "error-text" }, "Choose a proxy from the list first."));
      return;
    }
    status.replaceChildren(el("span", { class: "muted" }, "Saving…"));
    let saved;
    try {
      saved = await api(POOL, { method: "PUT", body: { ...scopeFields(state), proxyId: chosen.id } });
    } catch (err) {
      status.replaceChildren(errorBox(err));
      return;
    }
    const what = `Added ${chosen.name}: the pool has ${saved.total} member${saved.total === 1 ? "" : "s"}.`;
    notice(what);
    await redraw(state, "add");
    const after = state.view.querySelector("#pool-add-status");
    if (after) after.replaceChildren(el("span", { class: "ok-text" }, what));
  });
  picker.search.setAttribute("data-focus", "add");
  return form;
}

function liveSetForm(state, pool) {
  const filter = (pool && pool.source === "oneproxy" && pool.filter) || {};
  const live = pool ? pool.members.filter((m) => m.live).length : 0;
  const protocol = el("select", { id: "pool-live-protocol" },
    el("option", { value: "" }, "any"),
    PROTOCOLS.map((p) => el("option", { value: p, selected: p === filter.protocol }, p)));
  const country = el("input", { id: "pool-live-country", autocomplete: "off", size: 4,
    value: filter.countryCode || "", placeholder: "any" });
  const quality = el("input", { id: "pool-live-quality", inputmode: "numeric", size: 5,
    value: filter.minQuality === null || filter.minQuality === undefined ? "" : filter.minQuality,
    placeholder: "any" });
  const status = el("div", { class: "form-status", id: "pool-live-status" });
  const summary = pool && pool.source === "oneproxy"
    ? el("p", { id: "pool-live-summary" }, "Live set: protocol ", el("strong", {}, filter.protocol || "any"),
      ", country ", el("strong", {}, filter.countryCode || "any"),
      ", minimum quality ", el("strong", {}, filter.minQuality ?? "any"),
      ` — ${live} member${live === 1 ? "" : "s"} now.`)
    : el("p", { class: "muted", id: "pool-live-summary" },
      "No live set: every active 1proxy row matching a filter can be a member, following each sync.");
  const done = async (what) => {
    notice(what);
    await redraw(state, "live");
    const after = state.view.querySelector("#pool-live-status");
    if (after) after.replaceChildren(el("span", { class: "ok-text" }, what));
  };
  const form = el("form", { class: "pool-live", novalidate: true },
    el("h4", {}, "Live 1proxy set"), summary,
    el("div", { class: "toolbar" },
      el("div", { class: "field" }, el("label", { for: "pool-live-protocol" }, "Protocol"), protocol),
      el("div", { class: "field" }, el("label", { for: "pool-live-country" }, "Country"), country),
      el("div", { class: "field" }, el("label", { for: "pool-live-quality" }, "Minimum quality"), quality)),
    el("p", { class: "toolbar" }, el("button", { type: "submit" }, "Save live set"),
      pool && pool.source === "oneproxy" ? el("button", { type: "button", class: "danger", onclick: async () => {
        status.replaceChildren(el("span", { class: "muted" }, "Saving…"));
        try {
          await api(`${POOL}?${new URLSearchParams({ ...scopeFields(state), source: "oneproxy" })}`,
            { method: "DELETE" });
        } catch (err) {
          status.replaceChildren(errorBox(err));
          return;
        }
        await done("Removed the live 1proxy set.");
      } }, "Remove live set") : null),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      ...scopeFields(state), source: "oneproxy",
      filter: {
        protocol: protocol.value || null,
        countryCode: country.value.trim() ? country.value.trim().toUpperCase() : null,
        minQuality: quality.value.trim() ? numberOrText(quality.value) : null,
      },
    };
    status.replaceChildren(el("span", { class: "muted" }, "Saving…"));
    let saved;
    try {
      saved = await api(POOL, { method: "PUT", body });
    } catch (err) {
      status.replaceChildren(errorBox(err));
      return;
    }
    const n = saved.members.filter((m) => m.live).length;
    await done(`Live 1proxy set saved: ${n} member${n === 1 ? "" : "s"} match now.`);
  });
  protocol.setAttribute("data-focus", "live");
  return form;
}
