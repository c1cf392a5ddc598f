// The workspace page's two schedule forms: autostop after a TTL, and autostart at a time
// on chosen weekdays. Both send what the server stores and show its validation details
// next to the controls (the server names them `ttlMs` and `autostartSchedule`).

import { gql } from "./api.js";
import { h, field, onSubmit } from "./ui.js";
import { parseSchedule, formatSchedule, describeSchedule, DAY_NAMES } from "./workspace-actions.js";

const SET_TTL = `mutation UpdateWorkspaceTtl($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { id } }`;
const SET_AUTOSTART = `mutation UpdateWorkspaceAutostart($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { id } }`;

const HOUR = 3600000;

/** Autostop: hours (decimals allowed) after each start; empty turns autostop off. */
export function ttlForm(workspace, { onSaved }) {
  const hours = h("input", { name: "ttlHours", type: "text", inputmode: "decimal", autocomplete: "off",
    value: workspace.ttlMs ? String(+(workspace.ttlMs / HOUR).toFixed(3)) : "" });
  const wrapper = field("Autostop after (hours)", hours, "Stops the workspace this long after it starts. Leave empty for no autostop.");
  // The server reports the TTL as `ttlMs`; the control is in hours.
  wrapper.dataset.field = "ttlMs";
  const saved = h("p", { class: "ws-saved", role: "status" });
  const allowed = workspace.template.allowUserAutostop;
  const form = h("form", { class: "ws-subform", "aria-label": "Autostop" },
    h("h3", { text: "Autostop" }),
    allowed ? null : h("p", { class: "muted", text: "This template does not let users change autostop." }),
    wrapper,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", disabled: !allowed, text: "Save autostop" }), saved));
  if (!allowed) hours.disabled = true;
  onSubmit(form, async (values) => {
    saved.textContent = "";
    const text = values.ttlHours.trim();
    const parsed = Number(text);
    if (text && !Number.isFinite(parsed)) {
      // Not a number at all: say so here rather than send the server nonsense.
      throw Object.assign(new Error("The input is invalid."), { validations: [{ field: "ttlMs", detail: "enter a number of hours, such as 8 or 1.5" }] });
    }
    await gql(SET_TTL, { input: { id: workspace.id, ttlMs: text ? Math.round(parsed * HOUR) : null } });
    saved.textContent = text ? `Saved: autostop ${text} h after each start.` : "Saved: autostop is off.";
    await onSaved();
  });
  return form;
}

/** Autostart: on or off, a time, the weekdays and a time zone, sent as Coder cron. */
export function autostartForm(workspace, { onSaved }) {
  const current = parseSchedule(workspace.autostartSchedule);
  const zone = current?.zone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const time = current ? `${String(current.hour).padStart(2, "0")}:${String(current.minute).padStart(2, "0")}` : "09:00";
  const days = current?.days || new Set([1, 2, 3, 4, 5]);
  const enabled = h("input", { type: "checkbox", name: "enabled", id: "ws-autostart-on", checked: !!workspace.autostartSchedule });
  const dayBoxes = DAY_NAMES.map((name, i) => h("label", { class: "ws-day" },
    h("input", { type: "checkbox", name: `day${i}`, checked: days.has(i) }), ` ${name}`));
  const allowed = workspace.template.allowUserAutostart;
  const saved = h("p", { class: "ws-saved", role: "status" });
  const controls = h("fieldset", { class: "ws-autostart", dataset: { field: "autostartSchedule" } },
    h("legend", { class: "label", text: "When" }),
    field("Time", h("input", { type: "time", name: "time", value: time, required: true })),
    h("div", { class: "ws-days", role: "group", "aria-label": "Days" }, dayBoxes),
    field("Time zone", h("input", { name: "zone", value: zone, autocomplete: "off", spellcheck: "false" }), "An IANA zone, such as Europe/Paris."));
  const form = h("form", { class: "ws-subform", "aria-label": "Autostart" },
    h("h3", { text: "Autostart" }),
    allowed ? null : h("p", { class: "muted", text: "This template does not allow autostart." }),
    current || !workspace.autostartSchedule ? null : h("p", { class: "hint", text: `Current schedule: ${workspace.autostartSchedule}` }),
    h("label", { for: enabled.id, class: "ws-inline" }, enabled, " Start this workspace automatically"),
    controls,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", disabled: !allowed, text: "Save autostart" }), saved));
  const sync = () => (controls.disabled = !enabled.checked || !allowed);
  enabled.addEventListener("change", sync);
  sync();
  onSubmit(form, async (values) => {
    saved.textContent = "";
    let schedule = null;
    if (enabled.checked) {
      const [hour, minute] = (values.time || "").split(":").map(Number);
      const chosen = new Set(DAY_NAMES.map((_, i) => i).filter((i) => values[`day${i}`]));
      if (!chosen.size || !Number.isInteger(hour)) {
        throw Object.assign(new Error("The input is invalid."), { validations: [{ field: "autostartSchedule", detail: chosen.size ? "choose a time" : "choose at least one day" }] });
      }
      schedule = formatSchedule({ zone: values.zone.trim() || "UTC", hour, minute, days: chosen });
    }
    await gql(SET_AUTOSTART, { input: { id: workspace.id, schedule } });
    saved.textContent = schedule ? `Saved: ${describeSchedule(schedule)}.` : "Saved: autostart is off.";
    await onSaved();
  });
  return form;
}
