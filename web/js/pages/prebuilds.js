// Prebuilds (#/prebuilds): for every preset with prebuilds, how many prebuilt workspaces the
// reconciler wants and has, whether it still creates them, and (for owners) the switch that
// pauses and resumes reconciliation for the whole deployment.

import { gql } from "../api.js";
import { h, fill, namedTable, pageHeader, subtitle, pill, rowAction, formatNumber, formatDuration } from "../ui.js";

export const title = "Prebuilds";

const PRESET_FIELDS = `id name desiredInstances prebuildStatus schedulingTimezone ttlSeconds
  schedules { cron instances } prebuilds { desired running eligible starting deleting }`;

// Every version's presets, not only the active one's: prebuilds of an older version keep
// running until the reconciler deletes them, and an admin should see that happen.
const TEMPLATES_QUERY = `query PrebuildTemplates {
  templates { id name displayName activeVersionId organization { name displayName }
    versions { id number name presets { ${PRESET_FIELDS} } } }
}`;

export async function render(view, ctx) {
  const [{ templates }, settings, entitled] = await Promise.all([
    gql(TEMPLATES_QUERY),
    // Only those who may read deployment settings (owners) see the switch's state.
    gql(`query PrebuildsSettings { prebuildsSettings { reconciliationPaused } }`).then((d) => d.prebuildsSettings, () => null),
    gql(`query PrebuildsEntitlement { entitlements { features { name entitlement } } }`)
      .then((d) => d.entitlements.features.some((f) => f.name === "workspace_prebuilds" && f.entitlement !== "NOT_ENTITLED"), () => true),
  ]);
  const rows = presetRows(templates);
  fill(view, 
    pageHeader("Prebuilds"),
    subtitle("Prebuilt workspaces are created ahead of time from a template's presets, so a developer who picks that preset gets a running workspace at once."),
    entitled ? null : h("div", { class: "alert warning", role: "status" },
      "Your license is not entitled to workspace prebuilds, so the reconciler creates none. ",
      ctx.hasRole("OWNER") ? h("a", { href: "#/licenses", text: "Manage licenses" }) : null),
    settings ? reconciliationSwitch(settings.reconciliationPaused) : null,
    h("h2", { text: "Presets" }),
    namedTable([
      { label: "Template", cell: (r) => h("a", { href: `#/templates/${encodeURIComponent(r.template.id)}`, text: r.template.displayName || r.template.name }) },
      { label: "Version", cell: (r) => [r.version.name || `#${r.version.number}`, r.active ? null : [" ", pill("Old version", "neutral")]] },
      { label: "Preset", cell: (r) => h("strong", { text: r.preset.name }) },
      { label: "Desired", class: "num", cell: (r) => count(r.preset.prebuilds?.desired) },
      { label: "Running", class: "num", cell: (r) => count(r.preset.prebuilds?.running) },
      { label: "Eligible", class: "num", cell: (r) => count(r.preset.prebuilds?.eligible) },
      { label: "In progress", cell: (r) => inProgress(r.preset.prebuilds) },
      { label: "Schedule", cell: (r) => schedule(r.preset) },
      { label: "Status", cell: (r) => (r.preset.prebuildStatus === "HARD_LIMITED"
        ? h("span", { class: "pill error", title: "Its most recent prebuilds all failed: no more are created until a new template version brings new presets.", text: "Hard limited" })
        : pill("Healthy", "success")) },
    ], rows, { empty: "No preset has prebuilds. Add a prebuilds block to a coder_workspace_preset in a template to keep workspaces ready.", caption: "Presets with prebuilds" }),
  );
}

function presetRows(templates) {
  const rows = [];
  for (const template of templates) {
    for (const version of [...template.versions].sort((a, b) => b.number - a.number)) {
      const active = version.id === template.activeVersionId;
      for (const preset of version.presets) {
        if (preset.desiredInstances === null && !preset.prebuilds) continue;
        const counts = preset.prebuilds;
        // An old version's preset matters only while it still has prebuilt workspaces.
        if (!active && !(counts && counts.running + counts.starting + counts.deleting > 0)) continue;
        rows.push({ template, version, preset, active });
      }
    }
  }
  return rows;
}

function count(n) {
  return n === null || n === undefined ? "—" : formatNumber(n);
}

function inProgress(counts) {
  if (!counts || (!counts.starting && !counts.deleting)) return h("span", { class: "muted", text: "—" });
  return [counts.starting ? pill(`${counts.starting} starting`, "info") : null, " ", counts.deleting ? pill(`${counts.deleting} deleting`, "warning") : null];
}

function schedule(preset) {
  const parts = [h("div", { text: `${formatNumber(preset.desiredInstances ?? 0)} by default` })];
  for (const s of preset.schedules) {
    parts.push(h("div", {}, h("code", { text: s.cron }), ` → ${formatNumber(s.instances)}`));
  }
  if (preset.schedules.length) parts.push(h("div", { class: "muted", text: preset.schedulingTimezone || "UTC" }));
  if (preset.ttlSeconds) parts.push(h("div", { class: "muted", text: `expire after ${formatDuration(preset.ttlSeconds * 1000)}` }));
  return parts;
}

/** The pause/resume switch: a button with role=switch, on while reconciliation runs. */
function reconciliationSwitch(paused) {
  const state = h("strong", { class: "switch-state", id: "reconciliation-state" });
  // The knob is drawn by CSS: busy() resets a button to its text when it is done.
  const button = h("button", { type: "button", role: "switch", class: "switch", "aria-labelledby": "reconciliation-label", "aria-describedby": "reconciliation-state" });
  const note = h("p", { class: "muted" });
  const slot = h("div", { class: "action-error" });
  const card = h("section", { class: "card reconciliation" },
    h("div", { class: "switch-row" },
      button,
      h("div", {}, h("span", { id: "reconciliation-label", class: "label", text: "Prebuild reconciliation" }), " ", state)),
    note, slot);
  const show = (isPaused) => {
    button.setAttribute("aria-checked", String(!isPaused));
    state.textContent = isPaused ? "Paused" : "Running";
    state.className = `switch-state ${isPaused ? "paused" : "running"}`;
    card.classList.toggle("paused", isPaused);
    note.textContent = isPaused
      ? "No prebuilt workspaces are created or deleted until reconciliation is resumed. Claims of existing prebuilds still work."
      : "The reconciler keeps each preset at its desired count: it creates missing prebuilds and deletes extra or expired ones.";
  };
  show(paused);
  button.addEventListener("click", async () => {
    const wasPaused = button.getAttribute("aria-checked") === "false";
    const result = await rowAction(button, slot, () => gql(wasPaused
      ? `mutation ResumePrebuilds { resumePrebuilds { reconciliationPaused } }`
      : `mutation PausePrebuilds { pausePrebuilds { reconciliationPaused } }`));
    if (result) show((result.resumePrebuilds || result.pausePrebuilds).reconciliationPaused);
    button.focus();
  });
  return card;
}
