// dashboard/app.js — the dashboard's entry point: the table of pages (each
// a module drawing one view from the management API), the router that
// draws the page named by the URL fragment (#/proxies?offset=50), and the
// sign-in form. With OMNIROUTE_API_KEY set the API answers 401 until a key
// is given: the form asks for it once and keeps it in this tab only
// (sessionStorage), never in a cookie or the URL. An error a page does not
// handle itself is shown with its message and requestId.

import { KEY_STORAGE, el, errorBox, notice, currentRoute } from "./core.js";

// page name in the URL → the module that draws it
const pages = {
  proxies: () => import("./proxies.js"),
  oneproxy: () => import("./oneproxy.js"),
  health: () => import("./health.js"),
  pools: () => import("./pools.js"),
  providers: () => import("./providers.js"),
};

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

// Each render draws into a fresh element of its own: a page still loading
// when the user moves on draws into an element no longer on screen, never
// over the page that replaced it.
async function render() {
  const view = el("div", { class: "page" });
  document.getElementById("view").replaceChildren(view);
  const route = currentRoute();
  const load = pages[route.name];
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === route.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!load) {
    view.replaceChildren(el("h2", {}, "No such page"),
      el("p", {}, "There is no page named ", el("code", {}, route.name), ". ",
        el("a", { href: "#/proxies" }, "Go to Proxies")));
    return;
  }
  try {
    const page = await load();
    await page.default(view, route.params);
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
