// dashboard/proxies.js — the Proxies page: the registry one page at a time
// (server-side paging, the offset in the URL so a reload stays put).

import { api, el, go, PAGE_SIZE } from "./core.js";
import { globalCard } from "./global_card.js";
import { bulkTools } from "./bulk.js";

export default async function proxiesView(view, params) {
  const tools = [globalCard(), bulkTools(() => proxiesView(view, params))];   // global_card.js, bulk.js
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
  view.replaceChildren(el("h2", {}, "Proxies"), ...tools, pager,
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Name"), el("th", { scope: "col" }, "Endpoint"),
        el("th", { scope: "col" }, "Status"), el("th", { scope: "col" }, "Egress IP"))),
      el("tbody", {}, rows))));
}
