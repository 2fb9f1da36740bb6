// dashboard/providers.js — the Providers page: every provider with its
// accounts (connections), each with a badge of the level its egress comes
// from (Account, Provider, Combo, Global, Direct, Delegated, Refused), the
// proxy, its egress IP and the inheritance in words. The whole picture is
// one request (GET /api/settings/proxies/egress-map: the daemon resolves
// every provider and account exactly as `resolve` does), never one per
// account. "Proxy for NAME" opens a panel to set or clear that scope's proxy
// (the saved proxies, searchable) or go to its pool; "Test connection" asks
// the provider through the proxy that applies; the upstream mode is a select.
// The view (all providers or not, the open panel) is in the URL.

import { api, el, errorBox, notice, proxyPicker, stageWord } from "./core.js";

const MAP = "/api/settings/proxies/egress-map";
const ASSIGNMENTS = "/api/settings/proxies/assignments";
const UPSTREAM_MODES = ["native", "cliproxyapi", "fallback"];

// badge kind → its visible text (the colour comes from the class level-KIND)
const BADGES = {
  account: "Account", provider: "Provider", combo: "Combo", global: "Global",
  direct: "Direct", delegated: "Delegated", refused: "Refused",
};

// a scope kind → how the page names it in sentences
const SCOPE_WORDS = { account: "account", provider: "provider", combo: "combo", global: "global" };

// the explain trail's refusal verdicts → the reason in words
const REFUSALS = {
  "refused: proxy inactive": "is inactive",
  "refused: proxy missing": "no longer exists",
  "refused: every usable member failed": "failed, like every other member",
};

// Module state: the last map, the saved proxies for the panel, and each
// action's last result (kept across redraws), keyed "kind:id".
const state = { map: null, params: null, view: null, results: new Map() };

function badgeKind(r) {
  if (r.refused) return "refused";
  if (r.level === "delegated") return "delegated";
  if (r.level === "direct" || r.proxyId === "direct") return "direct";
  return r.level;
}

function badge(r) {
  const kind = badgeKind(r);
  return el("span", { class: "level-badge level-" + kind }, BADGES[kind] || kind);
}

function proxyName(id) {
  const p = state.map.proxies[id];
  return p ? p.name : id;
}

// The step of the explain trail that decided.
function decidingStep(r) {
  return r.explain.find((e) => e.level === r.level) || {};
}

// Why this scope leaves the way it does, in words; own: the scope's kind.
function explanation(r, own) {
  const kind = badgeKind(r);
  const where = SCOPE_WORDS[r.level] || r.level;
  const inherited = r.level !== own;
  if (kind === "delegated")
    return "delegated: calls go to CLIProxyAPI on this machine, which picks its own egress";
  if (kind === "refused") {
    const step = decidingStep(r);
    const reason = REFUSALS[step.verdict] || step.verdict;
    const pool = r.pool && r.pool.memberCount > 1;
    return pool
      ? `refused: no member of the ${where} pool (${r.pool.memberCount}) is usable; calls fail, never direct`
      : `refused: ${where} proxy ${proxyName(step.proxyId)} ${reason}; calls fail, never direct`;
  }
  if (kind === "direct") {
    if (r.level === "direct") return "direct: no proxy assigned";
    return inherited ? `direct: inherits the ${where}'s direct assignment` : "direct: assigned here";
  }
  let text = inherited ? `inherits ${where} proxy ${proxyName(r.proxyId)}`
    : `${where} proxy ${proxyName(r.proxyId)}`;
  if (r.pool && r.pool.memberCount > 1)
    text += ` (pool of ${r.pool.memberCount}, ${r.pool.strategy}; next call: ${proxyName(r.proxyId)})`;
  return text;
}

function proxyCell(r) {
  if (r.refused) {
    const id = decidingStep(r).proxyId;
    return el("span", { class: "muted" }, id ? proxyName(id) : "none");
  }
  const p = r.proxyId && state.map.proxies[r.proxyId];
  if (!p) return el("span", { class: "muted" }, badgeKind(r) === "delegated" ? "CLIProxyAPI" : "none");
  return el("span", {}, p.name, " ", el("span", { class: "muted endpoint" }, `${p.type}://${p.host}:${p.port}`));
}

function egressIpCell(r) {
  const p = r.proxyId && state.map.proxies[r.proxyId];
  if (r.refused) return el("span", { class: "muted" }, "none (refused)");
  if (!p) return el("span", { class: "muted" }, badgeKind(r) === "direct" ? "this machine's" : "—");
  return p.egressIp ? el("code", {}, p.egressIp) : el("span", { class: "muted" }, "not checked");
}

// Keep the view in the URL without drawing it again from the router.
function setParams(update) {
  const params = new URLSearchParams(state.params);
  for (const [name, value] of Object.entries(update)) {
    if (value === null || value === undefined || value === "") params.delete(name);
    else params.set(name, value);
  }
  state.params = params;
  const query = params.toString();
  history.replaceState(null, "", "#/providers" + (query ? "?" + query : ""));
}

async function reload() {
  state.map = await api(MAP);
  draw();
}

function resultLine(key) {
  const result = state.results.get(key);
  if (!result) return null;
  if (result.error)
    return el("div", {}, errorBox(result.error), result.also ? errorBox(result.also) : null);
  return el("p", { class: "result " + (result.ok ? "result-ok" : "result-bad") }, result.text);
}

// ---- the "Proxy for NAME" panel -------------------------------------------

function isOpen(scope, scopeId) {
  return state.params.get("scope") === scope && state.params.get("scopeId") === scopeId;
}

// The id of a scope's "Proxy for NAME" button (focus comes back to it).
function proxyButtonId(scope, scopeId) {
  return `proxy-for-${scope}-${scopeId}`;
}

function openPanel(scope, scopeId) {
  const closing = isOpen(scope, scopeId);
  setParams(closing ? { scope: null, scopeId: null } : { scope, scopeId });
  draw();
  const target = document.getElementById(closing ? proxyButtonId(scope, scopeId) : `panel-${scope}-search`);
  if (target) target.focus();
}

function panel(scope, scopeId, name, entry) {
  const key = `panel:${scope}:${scopeId}`;
  const ids = `panel-${scope}`;
  const own = entry.assignment;
  const picker = proxyPicker(ids);
  const out = el("div", { "aria-live": "polite" }, resultLine(key));
  const act = async (proxyId, done) => {
    try {
      await api(ASSIGNMENTS, { method: "PUT", body: { scope, scopeId, proxyId } });
      state.map = await api(MAP);
      const after = findEntry(scope, scopeId);
      const text = `${done}; ${name} now: ${BADGES[badgeKind(after.resolution)]} — ` +
        explanation(after.resolution, scope);
      state.results.set(key, { ok: true, text });
      notice(text);
    } catch (err) {
      state.results.set(key, { error: err });
      // the refusal may come from a change made elsewhere: show what is now
      await api(MAP).then((map) => { state.map = map; },
        (again) => state.results.set(key, { error: err, also: again }));
    }
    draw();
  };
  const form = el("form", { class: "panel-form" },
    picker.element,
    el("div", { class: "toolbar" },
      el("button", { type: "submit" }, "Assign"),
      el("button", { type: "button", onclick: () => act("direct", `${name} set to go direct`) },
        "Go direct"),
      el("button", { type: "button", disabled: !own,
        onclick: () => act(null, `${name}'s own assignment cleared`) }, "Clear"),
      el("a", { href: `#/pools?scope=${encodeURIComponent(scope)}&scopeId=${encodeURIComponent(scopeId)}` },
        own && own.memberCount > 1 ? `Manage its pool (${own.memberCount} members)` : "Manage as a pool"),
      el("button", { type: "button", onclick: () => openPanel(scope, scopeId) }, "Close")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = picker.selected();
    if (!chosen) {
      state.results.set(key, { ok: false, text: "choose a saved proxy first" });
      draw();
      return;
    }
    act(chosen.id, `${chosen.name} assigned to ${name}`);
  });
  let current;
  if (!own) current = `Nothing is assigned to ${name} itself: ${explanation(entry.resolution, scope)}.`;
  else if (own.proxyId === "direct") current = `${name} is assigned "direct": its calls go direct on purpose.`;
  else if (own.memberCount > 1)
    current = `${name} has a pool of ${own.memberCount} members (${own.strategy}); assigning one proxy replaces it.`;
  else current = `${name} is assigned ${proxyName(own.proxyId)}.`;
  return el("section", { class: "scope-panel", "aria-label": `Proxy for ${name}` },
    el("h4", {}, `Proxy for ${name}`), el("p", {}, current), form, out);
}

function findEntry(scope, scopeId) {
  const m = state.map;
  if (scope === "provider") return m.providers.find((p) => p.id === scopeId);
  if (scope === "combo") return m.combos.find((c) => c.id === scopeId);
  for (const p of m.providers) {
    const c = p.connections.find((x) => x.id === scopeId);
    if (c) return c;
  }
  return null;
}

// ---- actions ----------------------------------------------------------------

async function testConnection(conn, button) {
  const key = "test:" + conn.id;
  button.disabled = true;
  button.textContent = "Testing…";
  try {
    const res = await api(`/api/providers/${encodeURIComponent(conn.id)}/test`, { method: "POST" });
    const refused = !res.success && /PROXY_ASSIGNED_UNAVAILABLE/.test(res.error || "");
    const via = res.proxyId ? `through ${proxyName(res.proxyId)} (${res.proxyUrl || res.proxyId})`
      : refused ? "no usable proxy: refused, never sent direct" : "direct";
    const level = res.level ? `, ${res.level} level` : "";
    const text = res.success
      ? `Connection OK: HTTP ${res.status} in ${res.latencyMs} ms ${via}${level}`
      : `Connection failed${res.stage ? " at stage " + stageWord(res.stage) : ""}: ` +
        `${res.error || "HTTP " + res.status} — ${via}${level}`;
    state.results.set(key, { ok: res.success, text });
    notice(text);
  } catch (err) {
    state.results.set(key, { error: err });
  }
  draw();
}

async function setUpstream(provider, mode) {
  const key = "upstream:" + provider.id;
  try {
    const rec = await api(`/api/upstream-proxy/${encodeURIComponent(provider.id)}`,
      { method: "PUT", body: { mode, enabled: true } });
    state.map = await api(MAP);
    const after = findEntry("provider", provider.id);
    const text = `Upstream mode of ${provider.id}: ${rec.mode} (saved); now ` +
      explanation(after.resolution, "provider");
    state.results.set(key, { ok: true, text });
    notice(text);
  } catch (err) {
    state.results.set(key, { error: err });
  }
  draw();
}

// ---- drawing ---------------------------------------------------------------

function accountRow(conn) {
  const r = conn.resolution;
  const testButton = el("button", { type: "button", id: "test-" + conn.id,
    onclick: () => testConnection(conn, testButton) },
    "Test connection");
  return el("tr", { "data-connection": conn.id },
    el("th", { scope: "row" }, conn.name,
      conn.active ? "" : el("span", { class: "muted" }, " (inactive)")),
    el("td", { "data-label": "Egress" }, badge(r)),
    el("td", { "data-label": "Proxy" }, proxyCell(r)),
    el("td", { "data-label": "Egress IP" }, egressIpCell(r)),
    el("td", { class: "why", "data-label": "Why" }, explanation(r, "account")),
    el("td", { class: "actions" },
      el("button", { type: "button", id: proxyButtonId("account", conn.id),
        onclick: () => openPanel("account", conn.id) }, `Proxy for ${conn.name}`),
      testButton, resultLine("test:" + conn.id)));
}

function accountsTable(provider) {
  const conns = [...provider.connections].sort((a, b) =>
    a.priority - b.priority || a.name.localeCompare(b.name));
  const rows = [];
  for (const conn of conns) {
    rows.push(accountRow(conn));
    if (isOpen("account", conn.id))
      rows.push(el("tr", { class: "panel-row" },
        el("td", { colspan: 6 }, panel("account", conn.id, conn.name, conn))));
  }
  return el("div", { class: "table-wrap" }, el("table", { class: "accounts stack" },
    el("caption", { class: "visually-hidden" }, `Accounts of ${provider.id}`),
    el("thead", {}, el("tr", {},
      ...["Account", "Egress", "Proxy", "Egress IP", "Why", "Actions"].map((h) =>
        el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
}

function egressSummary(r, own) {
  return el("p", { class: "egress-line" }, badge(r), " ", proxyCell(r), " ",
    el("span", { class: "muted" }, "egress IP "), egressIpCell(r), " — ",
    el("span", { class: "why-text" }, explanation(r, own)));
}

function providerCard(p) {
  const headingId = "provider-" + p.id;
  const select = el("select", { id: "upstream-" + p.id,
    onchange: () => setUpstream(p, select.value) },
    UPSTREAM_MODES.map((m) => el("option", { value: m, selected: m === p.upstreamMode }, m)));
  return el("section", { class: "provider-card", "aria-labelledby": headingId },
    el("div", { class: "provider-head" },
      el("h3", { id: headingId }, p.id,
        p.known ? "" : el("span", { class: "muted" }, " (assigned, but no such provider)")),
      el("button", { type: "button", id: proxyButtonId("provider", p.id),
        onclick: () => openPanel("provider", p.id) }, `Proxy for ${p.id}`),
      el("span", { class: "upstream" },
        el("label", { for: select.id }, `Upstream mode for ${p.id}`), select)),
    egressSummary(p.resolution, "provider"),
    resultLine("upstream:" + p.id),
    isOpen("provider", p.id) ? panel("provider", p.id, p.id, p) : null,
    p.connections.length ? accountsTable(p)
      : el("p", { class: "muted" }, "No accounts."));
}

function combosSection(combos) {
  if (!combos.length) return null;
  const rows = [];
  for (const c of combos) {
    const r = c.resolution;
    rows.push(el("tr", {},
      el("th", { scope: "row" }, c.id), el("td", { "data-label": "Egress" }, badge(r)),
      el("td", { "data-label": "Proxy" }, proxyCell(r)),
      el("td", { "data-label": "Egress IP" }, egressIpCell(r)),
      el("td", { class: "why", "data-label": "Why" }, explanation(r, "combo")),
      el("td", { class: "actions" },
        el("button", { type: "button", id: proxyButtonId("combo", c.id),
          onclick: () => openPanel("combo", c.id) }, `Proxy for ${c.id}`))));
    if (isOpen("combo", c.id))
      rows.push(el("tr", { class: "panel-row" }, el("td", { colspan: 6 }, panel("combo", c.id, c.id, c))));
  }
  return el("section", { class: "provider-card", "aria-labelledby": "combos-heading" },
    el("h3", { id: "combos-heading" }, "Combos"),
    el("p", { class: "muted" }, "A combo's level applies to its calls when neither the account nor the provider has a proxy."),
    el("div", { class: "table-wrap" }, el("table", { class: "stack" },
      el("thead", {}, el("tr", {},
        ...["Combo", "Egress", "Proxy", "Egress IP", "Why", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows))));
}

function interesting(p) {
  return p.connections.length > 0 || p.assignment || !p.known || p.upstreamMode !== "native";
}

function draw() {
  const m = state.map;
  const all = state.params.get("all") === "1";
  const shown = m.providers.filter((p) => all || interesting(p));
  const accounts = m.providers.reduce((n, p) => n + p.connections.length, 0);
  const showAll = el("input", { id: "show-all", type: "checkbox", checked: all,
    onchange: () => { setParams({ all: showAll.checked ? "1" : null }); draw(); } });
  const g = m.global.resolution;
  const legend = el("p", { class: "level-legend" }, "Levels: ",
    Object.keys(BADGES).map((k) => el("span", { class: "level-badge level-" + k }, BADGES[k])));
  const focused = document.activeElement && document.activeElement.id;
  state.view.replaceChildren(...[
    el("h2", {}, "Providers and accounts"),
    el("div", { class: "toolbar" },
      el("span", { class: "check" }, showAll, el("label", { for: "show-all" }, "Show all catalog providers")),
      el("button", { type: "button", onclick: () => reload().catch((err) => {
        state.view.prepend(errorBox(err));
      }) }, "Refresh"),
      el("span", { class: "muted", id: "providers-count" },
        `${shown.length} of ${m.providers.length} providers, ${accounts} accounts`)),
    el("p", { class: "egress-line global-line" }, el("strong", {}, "Global: "), badge(g), " ",
      proxyCell(g), " ", el("span", { class: "muted" }, "egress IP "), egressIpCell(g), " — ",
      badgeKind(g) === "global" ? "every scope without its own proxy leaves through it"
        : g.level === "direct" ? "no global proxy: scopes without their own proxy go direct"
          : explanation(g, "global"),
      " (", el("a", { href: "#/proxies" }, "set it on the Proxies page"), ")"),
    legend,
    shown.length ? shown.map(providerCard)
      : el("p", { class: "muted" }, "No provider has accounts or a proxy of its own yet; tick “Show all catalog providers”."),
    combosSection(m.combos)].flat().filter((node) => node));
  if (focused) {
    const again = document.getElementById(focused);
    if (again) again.focus();
  }
}

export default async function providersView(view, params) {
  view.classList.add("providers");   // the page's rules in style.css
  state.view = view;
  state.params = params;
  state.results.clear();
  view.replaceChildren(el("h2", {}, "Providers and accounts"), el("p", { class: "muted" }, "Loading…"));
  state.map = await api(MAP);
  draw();
}
