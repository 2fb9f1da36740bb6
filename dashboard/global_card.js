// dashboard/global_card.js — the Proxies page's global proxy card (issue 12):
// what the global scope sends calls through (the head of its pool: name,
// endpoint, egress IP when checked — or "Direct — no global proxy"), read
// from the assignment list and the global pool; "Set global proxy" (a saved
// proxy from the searchable picker, or a new one typed in) with "Test"
// before "Save"; "Clear global proxy" after a confirmation.
//
// A new proxy can only be probed once it is in the registry (the probe is a
// worker job on a registry id), so "Test" on a new one saves it first as
// **inactive** — an inactive proxy carries no call, whoever it is assigned
// to — and probes that; "Save" makes it active and assigns it; "Cancel"
// deletes the inactive proxy the dialog created. The dialog says so.

import { api, el, errorBox, field, notice, proxyEndpoint, proxyPicker, PROXY_TYPES, stageWord } from "./core.js";
import { openDialog } from "./bulk.js";

const V1 = "/api/v1/management/proxies";

// A probe answer (POST …/test) as one line: ok with status and time, or the
// failing stage in the words (stageWord: "handshake (proxy_handshake)").
function probeLine(res) {
  if (res.success)
    return el("p", { class: "probe-ok", role: "status" },
      `Test ok: HTTP ${res.status} in ${res.latencyMs} ms through ${res.proxyUrl}` +
      (res.publicIp ? `, seen as ${res.publicIp}` : "") + ".");
  return el("p", { class: "probe-failed", role: "status" },
    `Test failed at stage ${stageWord(res.stage)}: ${res.error}`);
}

// What the card says about the global scope right now.
async function describeGlobal() {
  const list = await api(`${V1}/assignments?scope=global`);
  const assignment = list.items[0];
  if (!assignment || !assignment.proxyId)
    return { set: false, lines: [el("p", { class: "global-now" }, "Direct — no global proxy")] };
  if (assignment.proxyId === "direct")
    return { set: true, lines: [el("p", { class: "global-now" },
      "Direct — the global scope is set to go direct on purpose")] };
  const pool = await api("/api/settings/proxies/pool?scope=global");
  const head = pool.members[0];
  if (!head)
    return { set: true, lines: [el("p", { class: "global-now" }, "A live 1proxy pool with no member now")] };
  const more = pool.members.length - 1;
  return {
    set: true,
    lines: [
      el("p", { class: "global-now" }, el("strong", {}, head.name), " ",
        el("code", {}, proxyEndpoint(head)),
        head.status === "active" ? "" : el("span", { class: "status-inactive" }, ` (${head.status})`)),
      el("p", { class: "muted" }, "Egress IP: ",
        head.egressIp ? el("code", {}, head.egressIp) : "not checked",
        more > 0 ? ` · ${more} more member${more > 1 ? "s" : ""} in the global pool (${pool.strategy})` : ""),
    ],
  };
}

export function globalCard() {
  const body = el("div", { class: "global-body" }, el("p", { class: "muted" }, "Loading…"));
  const clear = el("button", { type: "button", disabled: true }, "Clear global proxy");
  const card = el("section", { class: "global-card", "aria-labelledby": "global-card-title" },
    el("h3", { id: "global-card-title" }, "Global proxy"),
    body,
    el("div", { class: "toolbar" },
      el("button", { type: "button", onclick: () => setDialog(refresh) }, "Set global proxy"),
      clear));
  clear.addEventListener("click", () => clearDialog(refresh));

  async function refresh() {
    try {
      const now = await describeGlobal();
      body.replaceChildren(...now.lines);
      clear.disabled = !now.set;
    } catch (err) {
      body.replaceChildren(errorBox(err));
    }
  }
  refresh();
  return card;
}

function clearDialog(refresh) {
  openDialog("Clear global proxy", (prefix, close) => {
    const output = el("div");
    const yes = el("button", { type: "button", class: "danger" }, "Yes, clear it");
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api(`${V1}/assignments`, { method: "PUT", body: { scope: "global", proxyId: null } });
        notice("Global proxy cleared: calls with no other proxy now go direct.");
        close();
        refresh();
      } catch (err) {
        yes.disabled = false;
        output.replaceChildren(errorBox(err));
      }
    });
    return el("div", {},
      el("p", {}, "Calls whose account, provider and combo have no proxy will go direct."),
      el("div", { class: "toolbar" }, yes, el("button", { type: "button", onclick: close }, "Cancel")),
      output);
  });
}

function setDialog(refresh) {
  let draft = null;       // {id, key}: the inactive proxy this dialog created to test
  let assigned = null;    // the id Save made global
  const dialog = openDialog("Set global proxy", (prefix, close) => {
    const picker = proxyPicker(`${prefix}-saved`);
    const output = el("div", { "aria-live": "polite" });
    const panel = el("div");
    const savedMode = el("input", { type: "radio", id: `${prefix}-mode-saved`, name: `${prefix}-mode`,
      value: "saved", checked: true });
    const newMode = el("input", { type: "radio", id: `${prefix}-mode-new`, name: `${prefix}-mode`, value: "new" });
    let fields = null;    // the new proxy's inputs, only while "New proxy" is chosen

    function newProxyFields() {
      const type = el("select", {}, PROXY_TYPES.map((t) => el("option", { value: t }, t)));
      const host = el("input", { type: "text", autocomplete: "off", required: true });
      const port = el("input", { type: "number", min: 1, max: 65535, required: true });
      const username = el("input", { type: "text", autocomplete: "off" });
      const password = el("input", { type: "password", autocomplete: "new-password" });
      fields = { type, host, port, username, password };
      return el("div", { class: "new-proxy" },
        el("div", { class: "field-row" },
          field(`${prefix}-type`, "Type", type), field(`${prefix}-host`, "Host", host),
          field(`${prefix}-port`, "Port", port)),
        el("div", { class: "field-row" },
          field(`${prefix}-user`, "Username", username), field(`${prefix}-pass`, "Password", password)),
        el("p", { class: "muted" }, "Test saves it first as an inactive proxy named host:port " +
          "(inactive proxies carry no calls) and probes it; Save makes it active and global; " +
          "Cancel deletes it again."));
    }
    function showMode() {
      output.replaceChildren();
      if (newMode.checked) panel.replaceChildren(newProxyFields());
      else {
        fields = null;
        panel.replaceChildren(picker.element);
      }
    }
    savedMode.addEventListener("change", showMode);
    newMode.addEventListener("change", showMode);
    showMode();

    // The new proxy's body from the fields, or null with the reason shown.
    function newProxyBody() {
      const host = fields.host.value.trim(), port = Number(fields.port.value);
      if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
        output.replaceChildren(el("p", { class: "error", role: "alert" },
          "Give the new proxy a host and a port within 1..65535."));
        return null;
      }
      const body = { name: `${host}:${port}`, type: fields.type.value, host, port, status: "inactive" };
      if (fields.username.value) body.username = fields.username.value;
      if (fields.password.value) body.password = fields.password.value;
      return body;
    }

    // The registry id to test or assign: the picked proxy, or the new one
    // saved inactive (again if its fields changed since).
    async function chosenId() {
      if (!fields) {
        const p = picker.selected();
        if (!p) output.replaceChildren(el("p", { class: "error", role: "alert" }, "Choose a saved proxy first."));
        return p ? p.id : null;
      }
      const body = newProxyBody();
      if (!body) return null;
      const key = JSON.stringify(body);
      if (draft && draft.key === key) return draft.id;
      if (draft) await discardDraft();
      const created = await api(V1, { method: "POST", body });
      draft = { id: created.id, key };
      return created.id;
    }

    async function act(button, work) {
      button.disabled = true;
      output.replaceChildren(el("p", { class: "muted" }, button.textContent === "Test" ? "Testing…" : "Saving…"));
      try {
        await work();
      } catch (err) {
        output.replaceChildren(errorBox(err));
      } finally {
        button.disabled = false;
      }
    }

    const test = el("button", { type: "button" }, "Test");
    test.addEventListener("click", () => act(test, async () => {
      const id = await chosenId();
      if (!id) return;
      const res = await api(`${V1}/test`, { method: "POST", body: { id } });
      output.replaceChildren(probeLine(res));
    }));
    const save = el("button", { type: "submit" }, "Save");
    async function onSave(event) {
      event.preventDefault();
      await act(save, async () => {
        const id = await chosenId();
        if (!id) return;
        if (fields) await api(V1, { method: "PATCH", body: { id, status: "active" } });
        await api(`${V1}/assignments`, { method: "PUT", body: { scope: "global", proxyId: id } });
        assigned = id;
        notice("Global proxy set.");
        close();
        refresh();
      });
    }

    return el("form", { onsubmit: onSave },
      el("fieldset", { class: "mode" }, el("legend", {}, "Proxy"),
        el("span", { class: "choice" }, savedMode, el("label", { for: `${prefix}-mode-saved` }, "A saved proxy")),
        el("span", { class: "choice" }, newMode, el("label", { for: `${prefix}-mode-new` }, "A new proxy"))),
      panel,
      el("div", { class: "toolbar" }, test, save,
        el("button", { type: "button", onclick: close }, "Cancel")),
      output);
  });

  async function discardDraft() {
    const id = draft.id;
    draft = null;
    await api(`${V1}?id=${encodeURIComponent(id)}`, { method: "DELETE" });
  }
  // closed without saving: the inactive proxy made for a test goes again
  dialog.addEventListener("close", () => {
    if (draft && draft.id !== assigned)
      discardDraft().then(() => notice("The inactive proxy made for the test was deleted again."),
        (err) => notice(`Could not delete the inactive test proxy: ${err.message}` +
          (err.requestId ? ` (requestId ${err.requestId})` : "")));
  });
}
