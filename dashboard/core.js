// dashboard/core.js — what every page of the dashboard shares: the one way
// to call the management API (same-origin JSON, the tab's API key as a
// bearer token, errors as ApiError with the API's message and requestId),
// the element builder (text is always text, never HTML), the error box and
// the status notice, and the view-in-the-URL helpers (#/name?query).

export const KEY_STORAGE = "omniroute.apiKey";
export const PAGE_SIZE = 50;

export class ApiError extends Error {
  constructor(status, message, requestId, details = []) {
    super(message);
    this.status = status;
    this.requestId = requestId;
    this.details = details; // [{field, message}] of a 400
  }
}

// One call to the management API; resolves to the parsed JSON answer.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.Authorization = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "omit", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "the daemon could not be reached: " + e.message, null);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  if (!response.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(response.status, err.message || response.statusText || "request failed",
      (data && data.requestId) || response.headers.get("X-Request-Id"),
      Array.isArray(err.details) ? err.details : []);
  }
  return data;
}

// An element with attributes and children (strings become text, never HTML).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// An API error where it happened: its message, HTTP status and requestId,
// and the fields a 400 named ("port: port must be …").
export function errorBox(err) {
  const box = el("div", { class: "error", role: "alert" },
    `${err.message}`,
    err.status ? ` (HTTP ${err.status})` : "",
    err.requestId ? el("span", {}, " — requestId ", el("code", {}, err.requestId)) : "");
  if (Array.isArray(err.details) && err.details.length)
    box.append(el("ul", { class: "error-details" },
      err.details.map((d) => el("li", {}, d.field ? el("code", {}, d.field) : "", d.field ? ": " : "",
        d.message))));
  return box;
}

// The result of an action, read out by screen readers and shown in the
// corner for a few seconds (it never covers the page for good).
const NOTICE_MS = 6000;
let noticeTimer = null;
export function notice(text) {
  const box = document.getElementById("notice");
  box.textContent = text;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.textContent = ""; }, NOTICE_MS);
}

// The current view and its parameters, from the fragment.
export function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, query = ""] = hash.split("?");
  return { name: name || "proxies", params: new URLSearchParams(query) };
}

export function go(name, params) {
  const query = params && params.toString();
  location.hash = "#/" + name + (query ? "?" + query : "");
}

// A proxy record's address as a URL: "socks5://127.0.0.1:1080", "http://[::1]:8080".
export function proxyEndpoint(p) {
  return `${p.type}://${p.host.includes(":") ? `[${p.host}]` : p.host}:${p.port}`;
}

// An SVG element (el() makes HTML ones); attributes are presentation
// attributes, never style (the CSP forbids inline styles).
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A failing stage as the dashboard names it — dns, connect, handshake, tls,
// http — from the worker's finer stage names (proxy_handshake, response…),
// which stay in brackets where they say more.
const STAGE_WORDS = {
  dns: "dns", connect: "connect", proxy_handshake: "handshake", proxy_tls: "tls", tls: "tls",
  response: "http", body: "http", done: "http",
};
export function stageWord(stage) {
  const word = STAGE_WORDS[stage];
  if (!word) return stage || "unknown";
  return word === stage ? word : `${word} (${stage})`;
}

// The proxy types the registry takes.
export const PROXY_TYPES = ["http", "https", "socks5"];

// A form field: the input with its label (the label names it for screen
// readers and for the tests).
export function field(id, label, input) {
  input.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, label), input);
}

// The searchable saved-proxy picker every page shares: each search (after
// typing stops, or Enter) is one request for a short page of the registry
// list matching it (?q=), never the whole registry. mark(p) adds a note to
// an option ("already a member"). selected() is the chosen proxy record.
const PICKER_LIMIT = 20;
export function proxyPicker(prefix, { searchLabel = "Search saved proxies", choiceLabel = "Saved proxy",
  mark = () => "" } = {}) {
  const search = el("input", { type: "search", autocomplete: "off", placeholder: "name, host, region" });
  const select = el("select", { size: 6, class: "picker-list" });
  const status = el("p", { id: `${prefix}-matches`, class: "muted picker-status", "aria-live": "polite" });
  const problem = el("div");
  const seen = new Map();
  let timer = null, asked = 0;

  async function load() {
    const term = search.value.trim();
    const mine = ++asked;
    const query = new URLSearchParams({ limit: PICKER_LIMIT, offset: 0 });
    if (term) query.set("q", term);
    status.textContent = "Searching…";
    try {
      const list = await api(`/api/v1/management/proxies?${query}`);
      if (mine !== asked) return;     // a later search is on its way
      problem.replaceChildren();
      seen.clear();
      select.replaceChildren(...list.items.map((p) => {
        seen.set(p.id, p);
        const state = p.status === "active" ? "" : ` (${p.status})`;
        return el("option", { value: p.id }, `${p.name} — ${proxyEndpoint(p)}${state}${mark(p)}`);
      }));
      if (list.items.length) select.selectedIndex = 0;
      const total = list.page.total;
      status.textContent = total === 0
        ? (term ? `No saved proxy matches “${term}”` : "No saved proxies yet")
        : `${total} ${total === 1 ? "proxy matches" : "proxies match"}` +
          (total > list.items.length ? `; the first ${list.items.length} are listed — type to narrow` : "");
    } catch (err) {
      if (mine !== asked) return;
      status.textContent = "";
      problem.replaceChildren(errorBox(err));
    }
  }
  search.addEventListener("input", () => {
    // the rows of the last search no longer answer this one
    ++asked;
    seen.clear();
    select.replaceChildren();
    status.textContent = "Searching…";
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      load();
    }
  });
  load();
  return {
    element: el("div", { class: "picker" },
      field(`${prefix}-search`, searchLabel, search),
      field(`${prefix}-choice`, choiceLabel, select), status, problem),
    search,
    selected: () => seen.get(select.value) || null,
  };
}
