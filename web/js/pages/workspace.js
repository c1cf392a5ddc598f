// One workspace: its status and lifecycle actions, its latest build (followed live while
// it runs), its agents and parameters, and the autostop (TTL) and autostart settings.

import { gql } from "../api.js";
import { h, busy, errorBox, onSubmit, formatDateTime, formatTime, formatDuration, poll, pill } from "../ui.js";
import { TRANSITIONAL, statusPill, actionsFor, describeSchedule, outdatedPill, WORKSPACE_FIELDS } from "../workspace-actions.js";
import { ttlForm, autostartForm } from "../workspace-schedule.js";
import { parameterForm, PARAMETER_FIELDS } from "../parameter-form.js";

export const title = "Workspace";

const VERSION_PARAMETERS = `query UpdateParameters($id: UUID!) { templateVersion(id: $id) { id name parameters { ${PARAMETER_FIELDS} } } }`;
const UPDATE_WITH = `mutation UpdateWorkspaceWith($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { upToDate } }`;

const WORKSPACE = `query Workspace($id: UUID!) { workspace(id: $id) { ${WORKSPACE_FIELDS}
  createdAt lastUsedAt maxDeadline deleted
  template { id name displayName allowUserAutostart allowUserAutostop activeVersion { id name } }
  agents { id name lifecycleState }
  latestBuild { id buildNumber transition status reason createdAt deadline
    initiator { username } templateVersion { id name } parameters { name value }
    job { status error createdAt startedAt completedAt canceledAt } } } }`;

export async function render(view, ctx) {
  const id = ctx.params.id;
  let workspace = (await gql(WORKSPACE, { id })).workspace;
  if (ctx.signal.aborted) return;
  document.title = `${workspace.name} · devplane`;

  const header = h("div");
  const actionError = h("div", { class: "ws-action-error" });
  const summary = h("div");
  const build = h("section", { class: "card", "aria-labelledby": "ws-build-title" });
  const agents = h("section", { class: "card", "aria-labelledby": "ws-agents-title" });
  const schedule = h("section", { class: "card", "aria-labelledby": "ws-schedule-title" },
    h("h2", { id: "ws-schedule-title", class: "ws-card-title", text: "Schedule" }),
    h("div", { class: "ws-grid" },
      ttlForm(workspace, { onSaved: refresh }),
      autostartForm(workspace, { onSaved: refresh })));

  function draw() {
    // Polling redraws; the focused action button gets its focus back.
    const focused = header.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    header.replaceChildren(h("div", { class: "page-header" },
      h("h1", {}, workspace.name, " ", h("span", { class: "ws-status" }, statusPill(workspace.status))),
      h("div", { class: "actions" }, actionButtons())));
    summary.replaceChildren(summaryCard(workspace));
    // Sections are lists of nodes with gaps (null) where a part does not apply.
    build.replaceChildren(...buildSection(workspace.latestBuild).filter(Boolean));
    agents.replaceChildren(...agentSection(workspace));
    if (focused) header.querySelector(`[data-action="${focused}"]`)?.focus();
  }

  function actionButtons() {
    return actionsFor(workspace).map((action) => h("button", {
      type: "button",
      class: action.tone === "danger" ? "danger" : action.key === "start" || action.key === "update" ? "" : "secondary",
      dataset: { action: action.key },
      text: action.key === "update" ? `Update to ${workspace.template.activeVersion?.name}` : action.label,
      onclick: (event) => act(event.currentTarget, action),
    }));
  }

  async function act(button, action) {
    if (action.confirm && !confirm(action.confirm(workspace))) return;
    actionError.replaceChildren();
    try {
      await busy(button, () => action.run(workspace));
    } catch (error) {
      const missing = action.key === "update" && error.code === "BAD_USER_INPUT" && error.validations.length;
      actionError.replaceChildren(missing ? await updateForm(error).catch(() => errorBox(error)) : errorBox(error));
      return;
    }
    await follow();
  }

  // The active version asks for values this workspace has never given (a new required
  // parameter, say): a form for just those, whose submit retries the update with them.
  async function updateForm(error) {
    const versionId = workspace.template.activeVersion.id;
    const { templateVersion } = await gql(VERSION_PARAMETERS, { id: versionId });
    const names = new Set(error.validations.map((v) => v.field));
    const wanted = templateVersion.parameters.filter((p) => names.has(p.name));
    if (!wanted.length) return errorBox(error);
    const params = parameterForm(versionId, wanted, { signal: ctx.signal, workspaceId: workspace.id });
    const form = h("form", { class: "card", "aria-labelledby": "ws-update-title", novalidate: true },
      h("h2", { id: "ws-update-title", class: "ws-card-title", text: `Update to ${templateVersion.name}` }),
      h("p", { text: `Version ${templateVersion.name} needs ${wanted.length === 1 ? "a value" : "values"} this workspace does not have yet.` }),
      params.node,
      h("div", { class: "actions" },
        h("button", { type: "submit", text: "Update with these values" }),
        h("button", { type: "button", class: "secondary", text: "Cancel", onclick: () => actionError.replaceChildren() })));
    onSubmit(form, async () => {
      await gql(UPDATE_WITH, { input: { id: workspace.id, parameters: params.values() } });
      actionError.replaceChildren();
      await follow();
    });
    params.revealAll();
    return form;
  }

  // Reloads until the latest build settles; the page shows each step as it happens.
  let following = null;
  function follow() {
    following ||= poll(async () => {
      await refresh();
      return !TRANSITIONAL.has(workspace.status) || !view.contains(build);
    }, { ms: 700, signal: ctx.signal }).finally(() => (following = null));
    return following;
  }

  async function refresh() {
    try {
      const next = (await gql(WORKSPACE, { id })).workspace;
      if (ctx.signal.aborted) return;
      const changed = JSON.stringify(next) !== JSON.stringify(workspace);
      workspace = next;
      if (changed) draw();
    } catch (error) {
      if (ctx.signal.aborted) return;
      if (error.code === "NOT_FOUND" && workspace.latestBuild.transition === "DELETE") {
        // The delete build finished: the workspace is gone, so the page says so.
        view.replaceChildren(
          h("h1", { text: workspace.name }),
          h("p", { class: "alert info", role: "status", text: `Workspace “${workspace.name}” has been deleted.` }),
          h("p", {}, h("a", { href: "#/workspaces", text: "Back to workspaces" })));
        return;
      }
      actionError.replaceChildren(errorBox(error));
    }
  }

  draw();
  view.replaceChildren(
    h("p", { class: "ws-breadcrumb" }, h("a", { href: "#/workspaces", text: "Workspaces" }), " / ", workspace.name),
    header, actionError, summary, build, agents, schedule);
  if (TRANSITIONAL.has(workspace.status)) follow();
}

function summaryCard(w) {
  const version = [w.latestBuild.templateVersion.name, " ",
    w.outdated ? outdatedPill(w) : null,
    w.outdated ? h("span", { class: "muted", text: ` (active: ${w.template.activeVersion?.name})` }) : null];
  const facts = [
    ["Owner", w.owner.name ? `${w.owner.name} (${w.owner.username})` : w.owner.username],
    ["Template", h("a", { href: `#/templates/${w.template.id}`, text: w.template.displayName || w.template.name })],
    ["Version", version],
    ["Deadline", w.deadline ? formatDateTime(w.deadline) : "None"],
    ["Max deadline", w.maxDeadline ? formatDateTime(w.maxDeadline) : "None"],
    ["Autostop after", w.ttlMs ? formatDuration(w.ttlMs) : "Off"],
    ["Autostart", describeSchedule(w.autostartSchedule)],
    ["Next start", w.nextStartAt ? formatDateTime(w.nextStartAt) : "—"],
    ["Created", formatDateTime(w.createdAt)],
    ["Last used", formatDateTime(w.lastUsedAt)],
  ];
  return h("section", { class: "card", "aria-label": "Details" },
    w.deleted ? h("p", { class: "alert info", text: "This workspace has been deleted." }) : null,
    factList(facts));
}

function factList(pairs) {
  return h("dl", { class: "ws-facts" }, pairs.map(([term, value]) => h("div", {}, h("dt", { text: term }), h("dd", {}, value))));
}

const JOB_TONES = { SUCCEEDED: "success", FAILED: "error", CANCELED: "neutral", CANCELING: "warning", RUNNING: "info", PENDING: "info" };

function buildSection(b) {
  const job = b.job;
  const running = job.status === "PENDING" || job.status === "RUNNING" || job.status === "CANCELING";
  const elapsed = job.completedAt ? Date.parse(job.completedAt) - Date.parse(job.createdAt) : null;
  // The build's log is the story of its job: queued, taken, finished (or its error).
  const log = [
    [job.createdAt, `Build #${b.buildNumber} (${b.transition.toLowerCase()} on ${b.templateVersion.name}) queued by ${b.initiator ? b.initiator.username : "the system"}, reason: ${b.reason.toLowerCase().replace(/_/g, " ")}.`],
    [job.startedAt, "A provisioner took the job."],
    [job.canceledAt, "Cancellation requested."],
    [job.completedAt, job.status === "SUCCEEDED" ? `Finished in ${seconds(elapsed)}.` : `Ended: ${job.status.toLowerCase()}.`],
  ].filter(([at]) => at);
  return [
    h("h2", { id: "ws-build-title", class: "ws-card-title" }, `Latest build #${b.buildNumber} `, pill(`${b.transition.toLowerCase()} · ${job.status.toLowerCase()}`, JOB_TONES[job.status])),
    running
      ? h("div", { class: "ws-progress", role: "progressbar", "aria-label": `Build #${b.buildNumber} in progress`, "aria-busy": "true" }, h("span"))
      : null,
    running ? h("p", { class: "muted", role: "status", text: job.status === "PENDING" ? "Waiting for a provisioner…" : "The provisioner is applying the build…" }) : null,
    job.error ? h("div", { class: "alert error", role: "alert" }, h("strong", { text: "The build failed: " }), job.error) : null,
    h("ol", { class: "ws-log", "aria-label": "Build log" }, log.map(([at, line]) =>
      h("li", {}, h("time", { datetime: at, title: formatDateTime(at), text: formatTime(at) }), h("span", { text: line })))),
    b.parameters.length
      ? h("details", { class: "ws-build-params" }, h("summary", { text: `Parameters (${b.parameters.length})` }),
        h("dl", { class: "ws-facts" }, b.parameters.map((p) => h("div", {}, h("dt", {}, h("code", { text: p.name })), h("dd", { text: p.value === "" ? "(empty)" : p.value })))))
      : null,
  ];
}

function seconds(ms) {
  return ms < 60000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

const AGENT_TONES = { READY: "success", STARTING: "info", CREATED: "neutral", START_ERROR: "error", START_TIMEOUT: "warning", SHUTDOWN_ERROR: "error" };

function agentSection(w) {
  return [
    h("h2", { id: "ws-agents-title", class: "ws-card-title", text: "Agents" }),
    w.agents.length
      ? h("ul", { class: "ws-agents" }, w.agents.map((a) => h("li", {}, h("code", { text: a.name }), " ", pill(a.lifecycleState.toLowerCase().replace(/_/g, " "), AGENT_TONES[a.lifecycleState] || "neutral"))))
      : h("p", { class: "muted", text: w.status === "RUNNING" ? "This build runs no agent." : "Agents appear while the workspace runs." }),
  ];
}
