// The connection log (#/connection-log?filter=...&page=N), after Coder's page: the search
// string box (the same syntax as the API, so a bookmarked URL reproduces the view), menus
// that write `key:value` into it, a timeline grouped by day, and numbered pages.

import { gql } from "../api.js";
import { h, pageHeader, subtitle, pagination, formatDay, formatTime, userLabel } from "../ui.js";

export const title = "Connection log";

const PAGE_SIZE = 25;

const LOGS_QUERY = `query ConnectionLog($filter: String!, $offset: Int, $limit: Int) {
  connectionLogs(filter: $filter, offset: $offset, limit: $limit) {
    totalCount countCap
    nodes { id connectTime type agentName workspaceId workspaceName ip
      organization { id name displayName }
      workspaceOwner { id username name }
      sshInfo { connectionId disconnectTime disconnectReason exitCode }
      webInfo { slugOrPort statusCode userAgent user { id username name } } }
  }
}`;

/** The connection types: the filter's value, and the name Coder's UI gives it. */
const TYPES = [
  ["ssh", "SSH", "SSH"],
  ["vscode", "VSCODE", "VS Code"],
  ["jetbrains", "JETBRAINS", "JetBrains"],
  ["reconnecting_pty", "RECONNECTING_PTY", "Web Terminal"],
  ["port_forwarding", "PORT_FORWARDING", "Port Forwarding"],
  ["workspace_app", "WORKSPACE_APP", "Workspace App"],
];
const TYPE_NAMES = Object.fromEntries(TYPES.map(([, api, label]) => [api, label]));
const WEB_TYPES = new Set(["WORKSPACE_APP", "PORT_FORWARDING"]);

/** Coder's preset: SSH sessions that are still open. */
const ACTIVE_SSH = "status:ongoing type:ssh";

// What to focus after the page re-renders for a new filter or page, so keyboard users
// stay where they were instead of starting over at the top of the document.
let focusAfterRender = null;

export async function render(view, ctx) {
  const filter = ctx.query.get("filter") || "";
  const page = Math.max(1, Number.parseInt(ctx.query.get("page") || "1", 10) || 1);
  const go = (next) => {
    const query = {};
    if (next.filter) query.filter = next.filter;
    if (next.page > 1) query.page = String(next.page);
    ctx.navigate("/connection-log", query, { replace: next.replace });
  };

  const logs = gql(LOGS_QUERY, { filter, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }).then((data) => ({ data }), (error) => ({ error }));
  // The menus' choices; a caller who may not list users or organizations still gets the
  // box, just without that menu.
  const users = gql(`query LogOwners { users(limit: 1000) { username name } }`).then((d) => d.users, () => null);
  const organizations = gql(`query LogOrganizations { organizations { id name displayName } }`).then((d) => d.organizations, () => null);
  const { data, error } = await logs;

  const header = [pageHeader("Connection Log"), subtitle("View workspace connection events.")];
  if (error && error.code === "FORBIDDEN" && (await notEntitled())) {
    view.replaceChildren(...header, paywall(ctx));
    return;
  }

  const filterForm = filterBar(filter, await users, await organizations, (next) => {
    focusAfterRender = "filter";
    go({ filter: next, page: 1, replace: true });
  });
  const results = h("section", { class: "log-results", "aria-label": "Connection events", tabindex: "-1" });
  if (error) {
    showFilterError(filterForm, error);
    results.append(h("div", { class: "alert error", role: "alert" },
      h("strong", { text: "An error occurred while loading connection logs" }), h("p", { class: "detail", text: error.message })));
  } else {
    const { nodes, totalCount, countCap } = data.connectionLogs;
    const capped = countCap > 0 && totalCount > countCap;
    if (!nodes.length) {
      results.append(h("p", { class: "empty-state", text: page > 1 ? "No connection logs available on this page" : "No connection logs available" }));
    } else {
      results.append(timeline(nodes));
    }
    if (nodes.length || page > 1) {
      results.append(pagination({
        page, pageSize: PAGE_SIZE, shown: nodes.length, total: capped ? countCap : totalCount, capped, noun: "logs",
        onPage: (target) => {
          focusAfterRender = "results";
          go({ filter, page: target });
        },
      }));
    }
  }
  view.replaceChildren(...header, filterForm, results);
  if (focusAfterRender === "filter") filterForm.querySelector("input[name=filter]").focus();
  if (focusAfterRender === "results") results.focus();
  focusAfterRender = null;
}

/** Whether the deployment lacks the connection_log feature (a FORBIDDEN may also mean a role). */
async function notEntitled() {
  try {
    const { entitlements } = await gql(`query LogEntitlement { entitlements { features { name entitlement } } }`);
    return entitlements.features.some((f) => f.name === "connection_log" && f.entitlement === "NOT_ENTITLED");
  } catch {
    return false;
  }
}

/** Coder's Premium paywall, in place of the filter and the list. */
function paywall(ctx) {
  return h("section", { class: "card paywall", "aria-labelledby": "paywall-title" },
    h("p", {}, h("span", { class: "pill info", text: "Premium" })),
    h("h2", { id: "paywall-title", text: "Connection Log" }),
    h("p", { text: "Connection logs allow you to see how and when users connect to workspaces. You need a Premium license to use this feature." }),
    ctx.hasRole("OWNER")
      ? h("p", {}, h("a", { class: "button", href: "#/licenses", text: "Upload a license" }))
      : h("p", { class: "muted", text: "Ask an owner of this deployment to upload a Premium license." }));
}

/** The search box with its preset, syntax help and the menus that write into it. */
function filterBar(filter, users, organizations, apply) {
  const input = h("input", { name: "filter", type: "search", value: filter, placeholder: "type:ssh status:ongoing", autocomplete: "off", spellcheck: "false", "aria-describedby": "filter-help" });
  const form = h("form", { class: "filter-bar", role: "search", "aria-label": "Filter connection logs" },
    h("div", { class: "filter-row field", dataset: { field: "filter" } },
      h("label", { for: "log-filter", class: "visually-hidden", text: "Filter" }),
      input,
      h("button", { type: "submit", text: "Search" }),
      h("button", { type: "button", class: "secondary", text: "Active SSH connections", onclick: () => apply(ACTIVE_SSH) }),
      filter ? h("button", { type: "button", class: "secondary", text: "Clear", onclick: () => apply("") }) : null),
    h("div", { class: "filter-menus" }, menus(filter, users, organizations).map(([label, key, options]) => {
      const select = h("select", { "aria-label": label, onchange: () => apply(setFilterKey(filter, key, select.value)) },
        options.map(([value, text]) => h("option", { value, text, selected: (readFilter(filter)[key] || "") === value })));
      return h("label", { class: "menu" }, h("span", { class: "visually-hidden", text: label }), select);
    })),
    syntaxHelp());
  input.id = "log-filter";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply(input.value.trim());
  });
  return form;
}

function menus(filter, users, organizations) {
  const current = readFilter(filter);
  const list = [];
  if (users) {
    const owners = users.map((u) => [u.username.toLowerCase(), userLabel(u)]);
    // A name typed by hand stays selectable, so the menu never lies about the filter.
    if (current.workspace_owner && !owners.some(([v]) => v === current.workspace_owner)) owners.push([current.workspace_owner, current.workspace_owner]);
    list.push(["Owner", "workspace_owner", [["", "All owners"], ...owners]]);
  }
  list.push(["Type", "type", [["", "All types"], ...TYPES.map(([value, , label]) => [value, label])]]);
  list.push(["Status", "status", [["", "All sessions"], ["ongoing", "Ongoing"], ["completed", "Completed"]]]);
  // As in Coder, the organization menu only appears when there is more than one to pick.
  if (organizations && organizations.length > 1) {
    list.push(["Organization", "organization", [["", "All organizations"], ...organizations.map((o) => [o.name.toLowerCase(), o.displayName || o.name])]]);
  }
  return list;
}

function syntaxHelp() {
  const keys = [
    ["workspace_owner:alice", "workspaces owned by alice (or me)"],
    ["type:ssh", "ssh, vscode, jetbrains, reconnecting_pty, port_forwarding, workspace_app"],
    ["status:ongoing", "ongoing or completed sessions (SSH-like only)"],
    ["organization:name", "one organization"],
    ["username:bob", "web connections by bob (or me); user_email: likewise"],
    ['connected_after:"2026-01-31T00:00:00Z"', "quote values that hold a colon; connected_before: likewise"],
    ["workspace_id:… connection_id:…", "one workspace, one session"],
  ];
  return h("details", { class: "syntax", id: "filter-help" },
    h("summary", { text: "Filter syntax" }),
    h("dl", {}, keys.map(([key, meaning]) => [h("dt", {}, h("code", { text: key })), h("dd", { text: meaning })])));
}

/** The server's objections to the filter, under the box they are about. */
function showFilterError(form, error) {
  const input = form.querySelector("input[name=filter]");
  const details = error.validations?.length ? error.validations.map((v) => v.detail) : [error.message];
  input.setAttribute("aria-invalid", "true");
  const message = h("div", { class: "field-error", id: "log-filter-error", role: "alert" },
    error.validations?.length ? h("strong", { text: error.message }) : null,
    h("ul", {}, details.map((detail) => h("li", { text: detail }))));
  input.setAttribute("aria-describedby", "filter-help log-filter-error");
  form.querySelector(".filter-row").after(message);
}

/** The entries under one heading per day (of the viewer's clock), newest first. */
function timeline(nodes) {
  const days = [];
  for (const node of nodes) {
    const day = formatDay(node.connectTime);
    if (!days.length || days[days.length - 1].day !== day) days.push({ day, nodes: [] });
    days[days.length - 1].nodes.push(node);
  }
  return h("div", { class: "timeline" }, days.map(({ day, nodes: entries }) => h("section", { class: "log-day" },
    h("h2", { class: "day", text: day }),
    h("ul", { class: "log-list" }, entries.map(entry)))));
}

function entry(log) {
  const web = WEB_TYPES.has(log.type);
  const closedAt = log.sshInfo?.disconnectTime;
  const code = web ? (log.webInfo?.statusCode || null) : log.sshInfo?.exitCode;
  return h("li", { class: "log-row" },
    h("span", { class: `avatar ${web && log.webInfo?.user ? "user" : "net"}`, "aria-hidden": "true", text: web && log.webInfo?.user ? log.webInfo.user.username.slice(0, 1).toUpperCase() : "⇄" }),
    h("div", { class: "log-body" },
      h("p", { class: "sentence" }, web ? webSentence(log) : sshSentence(log)),
      h("p", { class: "when" },
        h("time", { datetime: log.connectTime, text: formatTime(log.connectTime) }),
        closedAt ? [" → ", h("time", { datetime: closedAt, text: formatTime(closedAt) })] : null),
      details(log)),
    code === null || code === undefined ? null : statusPill(web, code));
}

function workspaceLink(log) {
  return h("a", { href: `#/workspaces/${encodeURIComponent(log.workspaceId)}`, text: log.workspaceName });
}

function owner(log) {
  return log.workspaceOwner?.username || "unknown user";
}

/** "SSH session to alice's dev workspace". */
function sshSentence(log) {
  return [TYPE_NAMES[log.type] || log.type, " session to ", h("strong", { text: owner(log) }), "'s ", workspaceLink(log), " workspace"];
}

/** "bob opened code-server in alice's dev workspace", with Coder's variants for redirects and failures. */
function webSentence(log) {
  const info = log.webInfo || { slugOrPort: "", statusCode: 0 };
  const user = info.user;
  const port = log.type === "PORT_FORWARDING";
  const target = port ? ["port ", h("code", { text: info.slugOrPort })] : [h("code", { text: info.slugOrPort })];
  let verb;
  if (info.statusCode === 303) verb = port ? "was redirected attempting to access " : "was redirected attempting to open ";
  else if (info.statusCode >= 400) verb = port ? "unsuccessfully attempted to access " : "unsuccessfully attempted to open ";
  else verb = port ? "accessed " : "opened ";
  const whose = user && log.workspaceOwner && user.id === log.workspaceOwner.id
    ? [" in their "]
    : [" in ", h("strong", { text: owner(log) }), "'s "];
  return [user ? h("strong", { text: user.username }) : "Unauthenticated user", " ", verb, target, whose, workspaceLink(log), " workspace"];
}

function statusPill(web, code) {
  const label = web ? "HTTP Status Code" : "SSH Exit Code";
  const ok = web ? code < 400 : code === 0;
  return h("span", { class: `pill ${ok ? "success" : "error"} log-code`, title: label, "aria-label": `${label}: ${code}`, text: String(code) });
}

/** What Coder's info tooltip holds, as a disclosure a keyboard can open. */
function details(log) {
  const rows = [];
  if (log.ip) rows.push(["IP", log.ip]);
  if (log.webInfo?.userAgent) {
    const { os, browser } = describeAgent(log.webInfo.userAgent);
    rows.push(["OS", os], ["Browser", browser]);
  }
  rows.push(["Agent", log.agentName]);
  if (log.organization) rows.push(["Organization", h("a", { href: `#/organizations?org=${encodeURIComponent(log.organization.id)}`, text: log.organization.displayName || log.organization.name })]);
  if (log.sshInfo?.disconnectReason) rows.push(["Close Reason", log.sshInfo.disconnectReason]);
  if (log.sshInfo?.connectionId) rows.push(["Session", h("code", { text: log.sshInfo.connectionId })]);
  return h("details", { class: "log-details" },
    h("summary", { text: "Details" }),
    h("dl", {}, rows.map(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)])));
}

/**
 * The filter's `key:value` elements, as the server's tokenizer splits them (spaces outside
 * double quotes; lower-cased; quotes around a value dropped). Enough to show the menus'
 * current choices; the server stays the judge of what is valid.
 */
function readFilter(filter) {
  const found = {};
  for (const token of tokens(filter.toLowerCase())) {
    const at = token.indexOf(":");
    if (at > 0) found[token.slice(0, at).replaceAll('"', "")] = token.slice(at + 1).replaceAll('"', "");
  }
  return found;
}

function tokens(text) {
  return text.match(/(?:[^\s"]+|"[^"]*")+/g) || [];
}

/** The filter with `key` set to `value` (or removed when `value` is empty), other elements kept. */
function setFilterKey(filter, key, value) {
  const kept = tokens(filter).filter((token) => {
    const at = token.indexOf(":");
    return at <= 0 || token.slice(0, at).replaceAll('"', "").toLowerCase() !== key;
  });
  if (value) kept.push(`${key}:${/[\s:]/.test(value) ? `"${value}"` : value}`);
  return kept.join(" ");
}

/** A rough OS and browser from a user agent, for the details; "Unknown" when unsure. */
function describeAgent(agent) {
  const os = [[/windows/i, "Windows"], [/iphone|ipad|ios/i, "iOS"], [/android/i, "Android"], [/mac os|macintosh/i, "macOS"], [/cros/i, "ChromeOS"], [/linux/i, "Linux"]]
    .find(([pattern]) => pattern.test(agent))?.[1] || "Unknown";
  // Order matters: Edge and Opera also say Chrome, and Chrome also says Safari.
  const browser = [[/edg\//i, "Edge"], [/opr\//i, "Opera"], [/firefox\//i, "Firefox"], [/chrome\//i, "Chrome"], [/safari\//i, "Safari"], [/curl\//i, "curl"]]
    .find(([pattern]) => pattern.test(agent))?.[1] || "Unknown";
  return { os, browser };
}
