// The workspaces the viewer may see: status, template and version (with an "outdated"
// badge), deadline and autostart, and the lifecycle actions of each row. While any
// workspace is building, the list refreshes itself until every build has settled.

import { gql } from "../api.js";
import { h, busy, errorBox, table, pageHeader, formatDateTime, poll } from "../ui.js";
import { WORKSPACE_FIELDS, TRANSITIONAL, statusPill, actionsFor, describeSchedule, outdatedPill } from "../workspace-actions.js";

export const title = "Workspaces";

const PAGE_SIZE = 25;
const LIST = `query Workspaces($filter: String!, $offset: Int!, $limit: Int) {
  workspaces(filter: $filter, offset: $offset, limit: $limit) { ${WORKSPACE_FIELDS} } }`;

export async function render(view, ctx) {
  const filter = ctx.query.get("q") || "";
  const page = Math.max(1, Number(ctx.query.get("page")) || 1);
  // A failed row action stays next to its row across refreshes, until the row's next action.
  const rowErrors = new Map();
  const listArea = h("div", { class: "ws-list" });

  const search = h("form", { class: "ws-search", role: "search" },
    h("input", { id: "ws-filter", name: "q", type: "search", value: filter, "aria-label": "Search workspaces", placeholder: "owner:me status:running template:docker", "aria-describedby": "ws-filter-hint" }),
    h("button", { type: "submit", class: "secondary", text: "Search" }),
    h("small", { id: "ws-filter-hint", class: "hint", text: "owner:, template:, name:, status: or any part of a name." }));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = search.elements.q.value.trim();
    ctx.navigate("/workspaces", q ? { q } : null);
  });

  view.replaceChildren(
    pageHeader("Workspaces", h("a", { class: "ws-button", href: "#/workspaces/new", text: "Create workspace" })),
    search,
    listArea);

  let last = "";
  async function load() {
    let workspaces;
    try {
      ({ workspaces } = await gql(LIST, { filter, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }));
    } catch (error) {
      if (!ctx.signal.aborted) listArea.replaceChildren(errorBox(error));
      // A filter error will not fix itself; stop polling.
      return true;
    }
    if (ctx.signal.aborted) return true;
    // Redraw only on change, so polling does not steal keyboard focus for nothing.
    const snapshot = JSON.stringify(workspaces) + JSON.stringify([...rowErrors]);
    if (snapshot !== last) {
      last = snapshot;
      draw(workspaces);
    }
    return !workspaces.some((w) => TRANSITIONAL.has(w.status));
  }

  function draw(workspaces) {
    const focused = document.activeElement?.dataset?.action;
    const list = table(columns(), workspaces, { empty: filter ? "No workspace matches this search." : emptyText(), caption: "Workspaces" });
    list.classList.add("ws-quiet-caption");
    listArea.replaceChildren(list, pager(workspaces.length) || "");
    if (focused) listArea.querySelector(`[data-action="${CSS.escape(focused)}"]`)?.focus();
  }

  function columns() {
    return [
      { label: "Name", cell: (w) => [h("a", { href: `#/workspaces/${w.id}`, class: "ws-name", text: w.name }),
        w.owner.id === ctx.viewer.id ? null : h("small", { class: "muted ws-owner", text: ` ${w.owner.username}` })] },
      { label: "Status", cell: (w) => statusPill(w.status) },
      { label: "Template", cell: (w) => h("a", { href: `#/templates/${w.template.id}`, text: w.template.displayName || w.template.name }) },
      { label: "Version", cell: (w) => [w.latestBuild.templateVersion.name, " ",
        w.outdated ? outdatedPill(w) : null] },
      { label: "Deadline", cell: (w) => (w.deadline ? formatDateTime(w.deadline) : h("span", { class: "muted", text: "—" })) },
      { label: "Autostart", cell: (w) => describeSchedule(w.autostartSchedule) },
      { label: "Actions", class: "ws-actions-cell", cell: rowActions },
    ];
  }

  function rowActions(w) {
    const error = rowErrors.get(w.id);
    return h("div", { class: "ws-row-actions" },
      actionsFor(w).map((action) => h("button", {
        type: "button",
        // Update is what an outdated row asks for, so it stands out.
        class: action.tone === "danger" ? "secondary ws-danger" : action.key === "update" ? "" : "secondary",
        dataset: { action: `${w.id}:${action.key}` },
        "aria-label": `${action.label} ${w.name}`,
        text: action.label,
        onclick: (event) => act(event.currentTarget, action, w),
      })),
      error ? h("p", { class: "field-error", role: "alert", text: error }) : null);
  }

  async function act(button, action, w) {
    if (action.confirm && !confirm(action.confirm(w))) return;
    rowErrors.delete(w.id);
    try {
      await busy(button, () => action.run(w));
    } catch (error) {
      rowErrors.set(w.id, error.message);
    }
    watch();
  }

  // One polling loop at a time: an action while the list is already polling joins it.
  let watching = null;
  function watch() {
    watching ||= poll(load, { ms: 1000, signal: ctx.signal }).finally(() => (watching = null));
    return watching;
  }

  function pager(shown) {
    if (page === 1 && shown < PAGE_SIZE) return null;
    const go = (n) => ctx.navigate("/workspaces", { ...(filter ? { q: filter } : {}), page: n });
    return h("nav", { class: "pagination", "aria-label": "Pages" },
      h("p", { class: "showing", text: `Page ${page}` }),
      h("div", { class: "pages" },
        h("button", { type: "button", class: "page", disabled: page === 1, onclick: () => go(page - 1), text: "‹ Previous" }),
        h("button", { type: "button", class: "page", disabled: shown < PAGE_SIZE, onclick: () => go(page + 1), text: "Next ›" })));
  }

  if (!(await load())) watch();
}

function emptyText() {
  return "No workspaces yet. Create one from a template with “Create workspace”.";
}
