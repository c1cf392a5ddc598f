// One template: its settings, its versions (the active one marked), the parameters and
// presets (with their prebuild schedules) of the version being looked at, and a form to
// upload a new version.

import { gql } from "../api.js";
import { h, field, onSubmit, table, pageHeader, formatDateTime, formatDuration, pill } from "../ui.js";
import { PARAMETER_FIELDS } from "../parameter-form.js";
import { sourceField, showSourceError } from "../template-source.js";

export const title = "Template";

const TEMPLATE = `query Template($id: UUID!) { template(id: $id) { id name displayName description createdAt
  organization { id name displayName } activeVersionId defaultTtlMs activityBumpMs allowUserAutostart
  allowUserAutostop requireActiveVersion failureTtlMs timeTilDormantMs
  versions { id name number message createdAt importStatus importError agents hasAiTask dailyCost
    parameters { ${PARAMETER_FIELDS} }
    presets { id name parameters { name value } desiredInstances schedules { cron instances }
      schedulingTimezone ttlSeconds prebuildStatus prebuilds { desired running eligible } } } } }`;
const NEW_VERSION = `mutation CreateTemplateVersion($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { id name } }`;

export async function render(view, ctx) {
  const { template } = await gql(TEMPLATE, { id: ctx.params.id });
  if (ctx.signal.aborted) return;
  const label = template.displayName || template.name;
  document.title = `${label} · devplane`;
  const active = template.versions.find((v) => v.id === template.activeVersionId);
  const shown = template.versions.find((v) => v.id === ctx.query.get("version")) || active || template.versions[0];

  // replaceChildren would print a null; a wrapper built by h() skips it.
  view.replaceChildren(h("div", {},
    h("p", { class: "ws-breadcrumb" }, h("a", { href: "#/templates", text: "Templates" }), " / ", label),
    pageHeader(label, active ? h("a", { class: "ws-button", href: `#/workspaces/new?template=${template.id}`, text: "Create workspace" }) : null),
    template.description ? h("p", { class: "muted", text: template.description }) : null,
    settings(template, active),
    h("h2", { text: "Versions" }),
    versionTable(template, shown),
    uploadForm(template, ctx),
    shown ? versionDetails(shown, shown.id === template.activeVersionId) : null));
}

function settings(t, active) {
  const yes = (b) => (b ? "Yes" : "No");
  const pairs = [
    ["Name", h("code", { text: t.name })],
    ["Organization", t.organization.displayName || t.organization.name],
    ["Active version", active ? active.name : "None"],
    ["Default autostop", t.defaultTtlMs ? formatDuration(t.defaultTtlMs) : "None"],
    ["Activity bump", t.activityBumpMs ? formatDuration(t.activityBumpMs) : "None"],
    ["Users may set autostop", yes(t.allowUserAutostop)],
    ["Users may set autostart", yes(t.allowUserAutostart)],
    ["Starts use the active version", yes(t.requireActiveVersion)],
    ["Created", formatDateTime(t.createdAt)],
  ];
  return h("section", { class: "card", "aria-label": "Settings" },
    h("dl", { class: "ws-facts" }, pairs.map(([term, value]) => h("div", {}, h("dt", { text: term }), h("dd", {}, value)))));
}

const IMPORT_TONES = { SUCCEEDED: "success", FAILED: "error", PENDING: "info", RUNNING: "info" };

function versionTable(t, shown) {
  const wrap = table([
    { label: "Version", cell: (v) => [h("strong", { text: v.name }), " ", v.id === t.activeVersionId ? pill("active", "success") : null] },
    { label: "Message", cell: (v) => v.message || h("span", { class: "muted", text: "—" }) },
    { label: "Import", cell: (v) => [pill(v.importStatus.toLowerCase(), IMPORT_TONES[v.importStatus]), v.importError ? h("div", { class: "field-error", text: v.importError }) : null] },
    { label: "Agents", cell: (v) => (v.agents.length ? v.agents.join(", ") : "—") },
    { label: "Created", cell: (v) => formatDateTime(v.createdAt) },
    { label: "Details", class: "ws-actions-cell", cell: (v) => (v.id === shown?.id
      ? h("span", { class: "muted", "aria-current": "true", text: "Shown below" })
      : h("a", { href: `#/templates/${t.id}?version=${v.id}`, "aria-label": `Show version ${v.name}`, text: "Show" })) },
  ], t.versions, { empty: "No versions.", caption: "Versions" });
  wrap.classList.add("ws-quiet-caption");
  wrap.querySelector("table").classList.add("tpl-versions");
  // Marks the active version's row so it stands out in the list.
  t.versions.forEach((v, i) => v.id === t.activeVersionId && wrap.querySelectorAll("tbody tr")[i]?.classList.add("tpl-active"));
  return wrap;
}

function versionDetails(v, isActive) {
  return h("section", { "aria-labelledby": "tpl-version-title" },
    h("h2", { id: "tpl-version-title" }, `Version ${v.name} `, isActive ? pill("active", "success") : null),
    h("h3", { text: "Parameters" }),
    quiet(table([
      { label: "Parameter", cell: (p) => [h("strong", { text: p.displayName || p.name }), " ", h("code", { class: "muted", text: p.name }),
        p.description ? h("div", { class: "muted", text: p.description }) : null] },
      { label: "Type", cell: (p) => h("code", { text: p.type }) },
      { label: "Default", cell: (p) => (p.defaultValue === null ? pill("required", "warning") : p.defaultValue === "" ? "(empty)" : p.defaultValue) },
      { label: "Rules", cell: rules },
      { label: "Flags", cell: (p) => [p.mutable ? "mutable" : "immutable", p.ephemeral ? ", ephemeral" : ""].join("") },
    ], v.parameters, { empty: "This version has no parameters.", caption: "Parameters" })),
    h("h3", { text: "Presets" }),
    quiet(table([
      { label: "Preset", cell: (p) => h("strong", { text: p.name }) },
      { label: "Values", cell: (p) => h("ul", { class: "tpl-values" }, p.parameters.map((x) => h("li", {}, h("code", { text: x.name }), ` = ${x.value}`))) },
      { label: "Prebuilds", cell: (p) => (p.desiredInstances === null ? "None" : `${p.desiredInstances} instance${p.desiredInstances === 1 ? "" : "s"}`) },
      { label: "Schedules", cell: (p) => (p.schedules.length
        ? h("ul", { class: "tpl-values" }, p.schedules.map((s) => h("li", {}, `${describeCron(s.cron)}: ${s.instances} instance${s.instances === 1 ? "" : "s"} `, h("code", { class: "muted", text: s.cron }))),
          h("li", { class: "muted", text: `Time zone ${p.schedulingTimezone || "UTC"}` }))
        : "—") },
      { label: "Expire after", cell: (p) => (p.ttlSeconds ? formatDuration(p.ttlSeconds * 1000) : "Never") },
      { label: "Status", cell: (p) => (p.prebuilds === null ? "—" : h("div", {},
        p.prebuildStatus === "HARD_LIMITED" ? pill("hard limited", "error") : pill("healthy", "success"),
        h("div", { class: "muted", text: `${p.prebuilds.desired} desired, ${p.prebuilds.running} running, ${p.prebuilds.eligible} ready` }))) },
    ], v.presets, { empty: "This version has no presets.", caption: "Presets" })));
}

// The heading above a table already names it; its caption stays for screen readers only.
function quiet(wrap) {
  wrap.classList.add("ws-quiet-caption");
  return wrap;
}

function rules(p) {
  const out = [];
  if (p.options.length) out.push(`One of: ${p.options.map((o) => o.value).join(", ")}`);
  const val = p.validation;
  if (val?.min !== null && val?.min !== undefined) out.push(`min ${val.min}`);
  if (val?.max !== null && val?.max !== undefined) out.push(`max ${val.max}`);
  if (val?.regex) out.push(`matches ${val.regex}`);
  if (val?.monotonic) out.push(val.monotonic);
  return out.length ? out.join("; ") : h("span", { class: "muted", text: "—" });
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** "* 9-18 * * 1-5" → "09:00–18:59 Mon–Fri"; anything less regular is left to the raw cron. */
function describeCron(cron) {
  const [, hours, , , days] = cron.trim().split(/\s+/);
  let when = "all day";
  if (/^\d+-\d+$/.test(hours || "")) {
    const [a, b] = hours.split("-");
    when = `${a.padStart(2, "0")}:00–${b.padStart(2, "0")}:59`;
  } else if (/^\d+$/.test(hours || "")) when = `${hours.padStart(2, "0")}:00–${hours.padStart(2, "0")}:59`;
  else if (hours !== "*") return "When the cron matches";
  let on = "every day";
  if (/^\d-\d$/.test(days || "")) on = `${DAYS[days[0]]}–${DAYS[days[2]]}`;
  else if (/^\d(,\d)*$/.test(days || "")) on = days.split(",").map((d) => DAYS[d]).join(", ");
  else if (days !== "*") return "When the cron matches";
  return `${when} ${on}`;
}

function uploadForm(t, ctx) {
  const source = sourceField();
  const form = h("form", { "aria-label": "Upload a new version", novalidate: true },
    field("Message", h("input", { name: "message", autocomplete: "off", placeholder: "What changed" })),
    source.node,
    h("label", { class: "ws-inline" }, h("input", { type: "checkbox", name: "activate", checked: true }), " Make it the active version (new workspaces and updates use it)"),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Upload version" })));
  onSubmit(form, async (values) => {
    try {
      const { createTemplateVersion } = await gql(NEW_VERSION, { input: {
        templateId: t.id,
        message: values.message.trim(),
        activate: !!values.activate,
        ...(await source.source(t.organization.id)),
      } });
      ctx.navigate(`/templates/${t.id}`, { version: createTemplateVersion.id });
    } catch (error) {
      showSourceError(form, error);
    }
  });
  return h("details", { class: "card tpl-upload" }, h("summary", { text: "Upload a new version" }), form);
}
