// dashboard/bulk.js — the Proxies page's bulk tools (issue 12): "Bulk import"
// (pasted lines `type://user:pass@host:port[#name]`, a JSON array, or a file
// read in the browser with FileReader — nothing is uploaded anywhere but to
// the daemon) sent to POST /api/settings/proxies/bulk-import in calls of at
// most 1 000 items with progress, lines that do not parse reported with
// their line number before anything is sent, and a per-row results table;
// and "Bulk assign" (one saved proxy to many account, provider or combo ids,
// POST /api/v1/management/proxies/bulk-assign, each failed id with its
// reason). Also the dialog frame the global proxy card shares. Dialogs live in <body>, so a refresh of the
// registry table under them does not close them; their fields exist only
// while they are open (the page's own Add proxy form uses the same labels).

import { api, el, errorBox, field, notice, proxyEndpoint, proxyPicker, PROXY_TYPES } from "./core.js";

const IMPORT_BATCH = 1000;          // the bulk-import route's limit per call

// Where the ids each scope takes come from, for the "known to the daemon" list.
const KNOWN_IDS = {
  account: { path: "/api/connections", label: (c) => `${c.name} (${c.provider}) — ${c.id}`, id: (c) => c.id },
  provider: { path: "/api/providers", label: (p) => `${p.name} — ${p.id}`, id: (p) => p.id },
  combo: { path: "/api/combos", label: (c) => c.name, id: (c) => c.name },
};

/* ---------- parsing (pure) ---------- */

const URL_LINE = /^([A-Za-z0-9]+):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?(\[[0-9A-Fa-f:.]+\]|[^\s:/@[\]#]+):(\d{1,5})\/?(?:#(.*))?$/;

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch (e) {
    return null;
  }
}

// One line `type://user:pass@host:port[#name]` → {item} or {reason}.
export function parseProxyLine(line) {
  const m = URL_LINE.exec(line);
  if (!m) return { reason: "expected type://user:pass@host:port (user:pass@ and #name optional)" };
  const type = m[1].toLowerCase();
  if (!PROXY_TYPES.includes(type)) return { reason: `type ${m[1]} is not one of ${PROXY_TYPES.join(", ")}` };
  const port = Number(m[5]);
  if (port < 1 || port > 65535) return { reason: `port ${m[5]} is not within 1..65535` };
  const host = m[4].replace(/^\[(.*)\]$/, "$1");
  const username = m[2] === undefined ? "" : decode(m[2]);
  const password = m[3] === undefined ? "" : decode(m[3]);
  const name = m[6] === undefined ? "" : decode(m[6]).trim();
  if (username === null || password === null || name === null) return { reason: "a %-escape in the line is not valid" };
  const item = { name: name || `${host.includes(":") ? `[${host}]` : host}:${port}`, type, host, port };
  if (username) item.username = username;
  if (password) item.password = password;
  return { item };
}

// Pasted text or a file's text → {items:[{item, where}], errors:[{where, reason}]};
// `where` is "line N" or "item N" for the results table, `order` sorts it.
export function parseProxyText(text) {
  const items = [], errors = [];
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    let array;
    try {
      array = JSON.parse(trimmed);
    } catch (e) {
      return { items, errors: [{ where: "JSON", order: 0, reason: "not valid JSON: " + e.message }] };
    }
    if (!Array.isArray(array)) return { items, errors: [{ where: "JSON", order: 0, reason: "not an array" }] };
    array.forEach((v, i) => {
      if (v && typeof v === "object" && !Array.isArray(v)) items.push({ item: v, where: `item ${i + 1}`, order: i });
      else errors.push({ where: `item ${i + 1}`, order: i, reason: "not an object" });
    });
    return { items, errors };
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parsed = parseProxyLine(line);
    if (parsed.item) items.push({ item: parsed.item, where: `line ${i + 1}`, order: i });
    else errors.push({ where: `line ${i + 1}`, order: i, reason: parsed.reason });
  });
  return { items, errors };
}

/* ---------- shared bits ---------- */

let dialogCount = 0;

// A modal dialog appended to <body>, removed (fields and all) when closed.
export function openDialog(title, build) {
  const n = ++dialogCount;
  const dialog = el("dialog", { class: "tool-dialog", "aria-labelledby": `dlg-${n}-title` });
  const close = () => dialog.close();
  dialog.addEventListener("close", () => dialog.remove());
  dialog.append(el("h2", { id: `dlg-${n}-title` }, title), build(`dlg-${n}`, close));
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function resultTable(head, rows) {
  return el("div", { class: "table-wrap results" }, el("table", {},
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
}

/* ---------- Bulk import ---------- */

function bulkImportDialog(refresh) {
  openDialog("Bulk import", (prefix, close) => {
    const text = el("textarea", { rows: 8, spellcheck: "false", class: "mono",
      placeholder: "socks5://user:pass@127.0.0.1:1080#my exit\nhttp://127.0.0.2:3128" });
    const file = el("input", { type: "file", accept: ".txt,.json,.csv,text/plain,application/json" });
    const fileNote = el("p", { class: "muted", "aria-live": "polite" });
    const progress = el("progress", { max: 1, value: 0, hidden: true });
    const progressText = el("p", { class: "muted", "aria-live": "polite" });
    const output = el("div");
    const submit = el("button", { type: "submit" }, "Import");

    file.addEventListener("change", () => {
      const chosen = file.files[0];
      if (!chosen) return;
      const reader = new FileReader();
      reader.onload = () => {
        text.value = String(reader.result);
        const count = text.value.split(/\r?\n/).filter((l) => l.trim()).length;
        fileNote.textContent = `Read ${chosen.name}: ${count} non-empty lines. Press Import to send them.`;
      };
      reader.onerror = () => {
        fileNote.textContent = "";
        output.replaceChildren(errorBox({ message: `could not read ${chosen.name}: ${reader.error}` }));
      };
      reader.readAsText(chosen);
    });

    async function run(event) {
      event.preventDefault();
      const { items, errors } = parseProxyText(text.value);
      const rows = errors.map((e) => ({ order: e.order, where: e.where, name: "", result: "not sent",
        detail: e.reason }));
      const boxes = [];
      let created = 0, updated = 0, failed = 0;
      if (!items.length) {
        output.replaceChildren(el("p", { class: "error", role: "alert" },
          errors.length ? "No line could be read; nothing was sent." : "Paste proxies or choose a file first."),
          rows.length ? resultTable(["Line", "Name", "Result", "Details"], rows.map(rowOf)) : "");
        return;
      }
      submit.disabled = true;
      progress.hidden = false;
      progress.max = items.length;
      progress.value = 0;
      for (let start = 0; start < items.length; start += IMPORT_BATCH) {
        const batch = items.slice(start, start + IMPORT_BATCH);
        progressText.textContent = `Sending ${start + 1}–${start + batch.length} of ${items.length}…`;
        try {
          const answer = await api("/api/settings/proxies/bulk-import",
            { method: "POST", body: { items: batch.map((b) => b.item) } });
          created += answer.created;
          updated += answer.updated;
          failed += answer.failed;
          answer.results.forEach((r, i) => rows.push({
            order: batch[i].order, where: batch[i].where, name: r.name || batch[i].item.name || "",
            result: r.success ? r.action : "failed",
            detail: r.success ? r.id : r.error + (r.field ? ` (${r.field})` : ""),
          }));
        } catch (err) {
          failed += batch.length;
          boxes.push(errorBox(err));
          batch.forEach((b) => rows.push({ order: b.order, where: b.where, name: b.item.name || "", result: "failed",
            detail: err.message + (err.requestId ? ` — requestId ${err.requestId}` : "") }));
        }
        progress.value = start + batch.length;
      }
      progressText.textContent = `Sent ${items.length} in ${Math.ceil(items.length / IMPORT_BATCH)} call(s).`;
      submit.disabled = false;
      const summary = `Created ${created}, updated ${updated}, failed ${failed}` +
        (errors.length ? `, ${errors.length} not sent (could not be read)` : "") + ".";
      rows.sort((a, b) => a.order - b.order);
      const head = el("p", { class: "summary", tabindex: "-1" }, summary);
      output.replaceChildren(head, ...boxes,
        resultTable(["Line", "Name", "Result", "Details"], rows.map(rowOf)));
      head.scrollIntoView({ block: "start" });
      notice("Bulk import: " + summary);
      if (created || updated) refresh();
    }

    function rowOf(r) {
      return el("tr", { class: "result-" + r.result.replace(/\s+/g, "-") },
        el("td", {}, r.where), el("td", {}, r.name), el("td", {}, r.result),
        el("td", { class: "detail" }, r.detail));
    }

    return el("form", { onsubmit: run },
      el("p", { class: "muted" }, "One proxy per line as type://user:pass@host:port (type http, https or " +
        "socks5; #name at the end names it, else host:port does), or a JSON array of proxy " +
        "objects. Rows with the host and port of a saved proxy update it."),
      field(`${prefix}-text`, "Proxies to import", text),
      field(`${prefix}-file`, "Or read them from a file", file), fileNote,
      progress, progressText,
      el("div", { class: "toolbar" }, submit,
        el("button", { type: "button", onclick: close }, "Close")),
      output);
  });
}

/* ---------- Bulk assign ---------- */

function bulkAssignDialog() {
  openDialog("Bulk assign", (prefix, close) => {
    const picker = proxyPicker(`${prefix}-proxy`);
    const scope = el("select", {}, ["account", "provider", "combo"].map((s) => el("option", { value: s }, s)));
    const ids = el("textarea", { rows: 6, spellcheck: "false", class: "mono" });
    const known = el("select", {});
    const knownNote = el("div");
    const output = el("div");
    const submit = el("button", { type: "submit" }, "Assign");
    const knownIds = new Map();           // scope → Set of ids known to the daemon

    async function loadKnown() {
      const which = scope.value, source = KNOWN_IDS[which];
      known.replaceChildren(el("option", { value: "" }, "Loading…"));
      try {
        const list = await api(source.path);
        if (scope.value !== which) return;
        knownIds.set(which, new Set(list.items.map(source.id)));
        known.replaceChildren(el("option", { value: "" },
          list.items.length ? `— ${list.items.length} known —` : `— none known —`),
          ...list.items.map((x) => el("option", { value: source.id(x) }, source.label(x))));
        knownNote.replaceChildren();
      } catch (err) {
        known.replaceChildren(el("option", { value: "" }, "— could not load —"));
        knownNote.replaceChildren(errorBox(err));
      }
    }
    scope.addEventListener("change", loadKnown);
    loadKnown();

    function addKnown() {
      if (!known.value) return;
      const have = ids.value.split(/\r?\n/).map((l) => l.trim());
      if (!have.includes(known.value))
        ids.value = (ids.value.trim() ? ids.value.replace(/\s*$/, "\n") : "") + known.value;
    }

    async function run(event) {
      event.preventDefault();
      const proxy = picker.selected();
      if (!proxy) {
        output.replaceChildren(el("p", { class: "error", role: "alert" }, "Choose a saved proxy first."));
        return;
      }
      const wanted = ids.value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      if (!wanted.length) {
        output.replaceChildren(el("p", { class: "error", role: "alert" }, "Give at least one scope id, one per line."));
        return;
      }
      submit.disabled = true;
      try {
        const answer = await api("/api/v1/management/proxies/bulk-assign",
          { method: "POST", body: { scope: scope.value, scopeIds: wanted, proxyId: proxy.id } });
        const failed = answer.failed;
        const knownSet = knownIds.get(answer.scope);
        const failedIds = new Set(answer.failed.map((f) => f.scopeId));
        const unknown = knownSet ? wanted.filter((id) => !knownSet.has(id) && !failedIds.has(id)) : [];
        const summary = `${proxy.name} → ${answer.scope}: requested ${answer.requested}, updated ${answer.updated}, ` +
          `failed ${failed.length}.`;
        output.replaceChildren(el("p", { class: "summary" }, summary),
          failed.length ? failedTable(failed) : "",
          unknown.length ? el("p", { class: "muted" }, `Not known to the daemon yet (assigned anyway; ` +
            `the assignment applies once it exists): ${unknown.join(", ")}`) : "");
        notice("Bulk assign: " + summary);
      } catch (err) {
        output.replaceChildren(errorBox(err));
      } finally {
        submit.disabled = false;
      }
    }

    function failedTable(failed) {
      return resultTable(["Failed scope id", "Reason"], failed.map((f) =>
        el("tr", {}, el("td", { class: "detail" }, f.scopeId === null ? "(global)" : f.scopeId),
          el("td", { class: "detail" }, f.reason))));
    }

    return el("form", { onsubmit: run },
      picker.element,
      field(`${prefix}-scope`, "Scope", scope),
      field(`${prefix}-ids`, "Scope ids, one per line", ids),
      el("div", { class: "known" }, field(`${prefix}-known`, "Known to the daemon", known),
        el("button", { type: "button", onclick: addKnown }, "Add to the list")),
      knownNote,
      el("div", { class: "toolbar" }, submit, el("button", { type: "button", onclick: close }, "Close")),
      output);
  });
}

// The "Bulk import" and "Bulk assign" buttons, for the end of the page's
// toolbar; refresh redraws the registry table.
export function bulkTools(refresh) {
  return [
    el("button", { type: "button", onclick: () => bulkImportDialog(refresh) }, "Bulk import"),
    el("button", { type: "button", onclick: () => bulkAssignDialog() }, "Bulk assign"),
  ];
}
