// dashboard/app.js — the dashboard's code: a view per URL fragment
// (#/proxies?offset=50), each drawn from the management API of API.md with
// same-origin JSON calls. With OMNIROUTE_API_KEY set the API answers 401
// until a key is given: the sign-in form asks for it once and keeps it in
// this tab only (sessionStorage), never in a cookie or the URL. Every error
// the API answers is shown with its message and requestId.

const KEY_STORAGE = "omniroute.apiKey";
const PAGE_SIZE = 50;

class ApiError extends Error {
  constructor(status, message, requestId) {
    super(message);
    this.status = status;
    this.requestId = requestId;
  }
}

// One call to the management API; resolves to the parsed JSON answer.
async function api(path, { method = "GET", body } = {}) {
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
      (data && data.requestId) || response.headers.get("X-Request-Id"));
  }
  return data;
}

// An element with attributes and children (strings become text, never HTML).
function el(tag, attrs = {}, ...children) {
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

function errorBox(err) {
  return el("div", { class: "error", role: "alert" },
    `${err.message}`,
    err.status ? ` (HTTP ${err.status})` : "",
    err.requestId ? el("span", {}, " — requestId ", el("code", {}, err.requestId)) : "");
}

function notice(text) {
  document.getElementById("notice").textContent = text;
}

// The current view and its parameters, from the fragment.
function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, query = ""] = hash.split("?");
  return { name: name || "proxies", params: new URLSearchParams(query) };
}

function go(name, params) {
  const query = params && params.toString();
  location.hash = "#/" + name + (query ? "?" + query : "");
}

function signInForm(view, retry) {
  const input = el("input", { id: "api-key", type: "password", autocomplete: "off", required: true });
  const form = el("form", { class: "signin" },
    el("h2", {}, "Sign in"),
    el("p", { class: "muted" }, "This daemon has a management API key. It is kept for this tab only."),
    el("label", { for: "api-key" }, "API key"), input,
    el("p", {}, el("button", { type: "submit" }, "Sign in")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, input.value);
    retry();
  });
  view.replaceChildren(form);
  input.focus();
}

async function proxiesView(view, params) {
  const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  view.replaceChildren(el("h2", {}, "Proxies"), el("p", { class: "muted" }, "Loading…"));
  const list = await api(`/api/v1/management/proxies?limit=${PAGE_SIZE}&offset=${offset}`);
  const total = list.page.total;
  const rows = list.items.map((p) => el("tr", {},
    el("td", {}, p.name),
    el("td", {}, `${p.type}://${p.host}:${p.port}`),
    el("td", { class: "status-" + p.status }, p.status),
    el("td", {}, p.egressIp || el("span", { class: "muted" }, "not checked"))));
  const last = Math.min(offset + list.items.length, total);
  const pager = el("div", { class: "toolbar" },
    el("button", { type: "button", disabled: offset === 0,
      onclick: () => go("proxies", new URLSearchParams({ offset: Math.max(0, offset - PAGE_SIZE) })) },
      "Previous page"),
    el("span", { class: "muted", id: "proxies-range" },
      total ? `${offset + 1}–${last} of ${total}` : "no proxies yet"),
    el("button", { type: "button", disabled: last >= total,
      onclick: () => go("proxies", new URLSearchParams({ offset: offset + PAGE_SIZE })) },
      "Next page"));
  view.replaceChildren(el("h2", {}, "Proxies"), pager,
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Name"), el("th", { scope: "col" }, "Endpoint"),
        el("th", { scope: "col" }, "Status"), el("th", { scope: "col" }, "Egress IP"))),
      el("tbody", {}, rows))));
}

const views = { proxies: proxiesView };

async function render() {
  const view = document.getElementById("view");
  const route = currentRoute();
  const draw = views[route.name] || views.proxies;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === route.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    await draw(view, route.params);
  } catch (err) {
    if (err.status === 401) {
      signInForm(view, render);
      if (sessionStorage.getItem(KEY_STORAGE)) view.prepend(errorBox(err));
      return;
    }
    if (err.status === 403 && sessionStorage.getItem(KEY_STORAGE)) {
      // "Invalid management token": ask again
      sessionStorage.removeItem(KEY_STORAGE);
      signInForm(view, render);
      view.prepend(errorBox(err));
      return;
    }
    view.replaceChildren(el("h2", {}, "Something went wrong"), errorBox(err));
    notice(err.message);
  }
}

window.addEventListener("hashchange", render);
render();
