// What the workspace list and the workspace page share: how a status reads, which
// lifecycle actions a workspace offers in its state, and the mutations behind them.
// The server decides whether an action is allowed; this only hides the ones that make no
// sense in the current state (starting a running workspace) so rows stay short.

import { gql } from "./api.js";
import { pill } from "./ui.js";

const TONES = {
  RUNNING: "success",
  STOPPED: "neutral",
  PENDING: "info",
  STARTING: "info",
  STOPPING: "info",
  DELETING: "warning",
  CANCELING: "warning",
  CANCELED: "neutral",
  FAILED: "error",
  DELETED: "neutral",
};

/** Statuses during which a build is still moving: pages poll until it settles. */
export const TRANSITIONAL = new Set(["PENDING", "STARTING", "STOPPING", "DELETING", "CANCELING"]);

/** "RUNNING" → "Running". */
export function statusLabel(status) {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

/** The status pill of a workspace (or build). */
export function statusPill(status) {
  return pill(statusLabel(status), TONES[status] || "neutral");
}

/** The fields every workspace view needs for its status, version and actions. */
export const WORKSPACE_FIELDS = `id name status outdated deadline ttlMs autostartSchedule nextStartAt
  owner { id username name }
  template { id name displayName activeVersion { id name } }
  latestBuild { id buildNumber transition status templateVersion { id name } job { status error } }`;

// Each action: its label, when it applies, the mutation, and a tone for the button.
const ACTIONS = [
  {
    key: "start", label: "Start",
    applies: (w) => ["STOPPED", "FAILED", "CANCELED"].includes(w.status),
    run: (w) => gql(`mutation StartWorkspace($input: StartWorkspaceInput!) { startWorkspace(input: $input) { id } }`, { input: { id: w.id } }),
  },
  {
    key: "stop", label: "Stop",
    // A failed start may have left resources behind, so stopping it stays possible.
    applies: (w) => ["RUNNING", "FAILED"].includes(w.status) && w.latestBuild.transition === "START",
    run: (w) => gql(`mutation StopWorkspace($id: UUID!) { stopWorkspace(id: $id) { id } }`, { id: w.id }),
  },
  {
    key: "update", label: "Update",
    applies: (w) => w.outdated && !TRANSITIONAL.has(w.status) && w.status !== "DELETED",
    run: (w) => gql(`mutation UpdateWorkspace($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { upToDate } }`, { input: { id: w.id } }),
  },
  {
    key: "cancel", label: "Cancel build",
    applies: (w) => ["PENDING", "RUNNING"].includes(w.latestBuild.job.status),
    run: (w) => gql(`mutation CancelWorkspaceBuild($id: UUID!) { cancelWorkspaceBuild(id: $id) { id } }`, { id: w.latestBuild.id }),
  },
  {
    key: "delete", label: "Delete", tone: "danger",
    applies: (w) => !TRANSITIONAL.has(w.status) && w.status !== "DELETED",
    confirm: (w) => `Delete workspace "${w.name}"? Its resources are destroyed.`,
    run: (w) => gql(`mutation DeleteWorkspace($id: UUID!) { deleteWorkspace(id: $id) { id } }`, { id: w.id }),
  },
];

/** The actions that make sense for `workspace` now, in display order. */
export function actionsFor(workspace) {
  return ACTIONS.filter((action) => action.applies(workspace));
}

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * Reads an autostart schedule `[CRON_TZ=<zone>] <min> <hour> * * <days>` into
 * `{ zone, hour, minute, days: Set<0-6> }`, or null when it uses cron beyond that
 * (the page then shows it as written).
 */
export function parseSchedule(schedule) {
  const match = /^(?:CRON_TZ=(\S+)\s+)?(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+(\S+)$/.exec((schedule || "").trim());
  if (!match) return null;
  const days = new Set();
  for (const part of match[4].split(",")) {
    if (part === "*") [0, 1, 2, 3, 4, 5, 6].forEach((d) => days.add(d));
    else if (/^\d$/.test(part)) days.add(Number(part) % 7);
    else if (/^\d-\d$/.test(part)) {
      const [from, to] = part.split("-").map(Number);
      if (from > to) return null;
      for (let d = from; d <= to; d++) days.add(d % 7);
    } else return null;
  }
  return { zone: match[1] || "UTC", minute: Number(match[2]), hour: Number(match[3]), days };
}

/** Writes a schedule back in the form the server stores: days as a comma list 0-6. */
export function formatSchedule({ zone, hour, minute, days }) {
  const list = [...days].sort((a, b) => a - b);
  return `CRON_TZ=${zone} ${minute} ${hour} * * ${list.length === 7 ? "*" : list.join(",")}`;
}

/** "09:30 Mon, Tue, Fri (Europe/Paris)", "09:30 every day (UTC)", or the raw text. */
export function describeSchedule(schedule) {
  if (!schedule) return "Off";
  const parsed = parseSchedule(schedule);
  if (!parsed) return schedule;
  const time = `${String(parsed.hour).padStart(2, "0")}:${String(parsed.minute).padStart(2, "0")}`;
  const sorted = [...parsed.days].sort((a, b) => a - b);
  let days = sorted.map((d) => DAY_NAMES[d]).join(", ");
  if (sorted.length === 7) days = "every day";
  else if (sorted.join() === "1,2,3,4,5") days = "Mon–Fri";
  return `${time} ${days} (${parsed.zone})`;
}

export { DAY_NAMES };

/** The "outdated" badge, saying which version is the active one. */
export function outdatedPill(workspace) {
  const badge = pill("outdated", "warning");
  badge.title = `The template's active version is ${workspace.template.activeVersion?.name || "newer"}; update to move to it.`;
  return badge;
}
