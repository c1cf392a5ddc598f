// Users (#/users?page=N): the deployment's accounts with their status and site roles; create
// a user, suspend or reactivate one, change site roles. The server decides who may do what;
// the page shows its answer next to the row that asked.

import { gql } from "../api.js";
import { h, fill, namedTable, pageHeader, subtitle, field, onSubmit, pill, rowAction, checkboxes, SITE_ROLES, roleLabel, formatDateTime } from "../ui.js";

export const title = "Users";

const PAGE_SIZE = 50;
const USER_FIELDS = "id username name email status siteRoles createdAt lastSeenAt";

const STATUS = { ACTIVE: ["Active", "success"], SUSPENDED: ["Suspended", "error"], DORMANT: ["Dormant", "warning"] };

export async function render(view, ctx) {
  const page = Math.max(1, Number.parseInt(ctx.query.get("page") || "1", 10) || 1);
  // One row more than a page tells whether a next page exists (the list has no count).
  const { users } = await gql(`query Users($offset: Int!, $limit: Int) { users(offset: $offset, limit: $limit) { ${USER_FIELDS} } }`,
    { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1 });
  const shown = users.slice(0, PAGE_SIZE);
  const reload = () => ctx.navigate("/users", page > 1 ? { page: String(page) } : null, { replace: true });

  const list = namedTable([
    { label: "User", cell: (u) => [h("strong", { text: u.username }), u.name ? h("div", { text: u.name }) : null, h("div", { class: "muted", text: u.email })] },
    { label: "Status", cell: (u) => pill(...(STATUS[u.status] || [u.status])) },
    { label: "Site roles", cell: (u) => siteRoles(u) },
    { label: "Last seen", cell: (u) => formatDateTime(u.lastSeenAt) },
    { label: "", class: "row-actions", cell: (u) => actions(u, ctx, reload) },
  ], shown, { caption: "Users" });

  fill(view, 
    pageHeader("Users"),
    subtitle("Everyone who can sign in to this deployment. Suspended users cannot sign in or use their tokens."),
    createForm(reload),
    list,
    pager(page, users.length > PAGE_SIZE, (target) => ctx.navigate("/users", target > 1 ? { page: String(target) } : null)),
  );
}

/** The roles beyond MEMBER, which everyone holds and which would only add noise. */
function siteRoles(user) {
  const extra = user.siteRoles.filter((role) => role !== "MEMBER");
  return extra.length ? extra.map((role) => [pill(roleLabel(role), "info"), " "]) : h("span", { class: "muted", text: "Member" });
}

function createForm(reload) {
  const form = h("form", { class: "grid-form" },
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
    field("Username", h("input", { name: "username", required: true, maxlength: 32, autocomplete: "off" }), "1–32 letters, digits or single hyphens."),
    field("Name", h("input", { name: "name", autocomplete: "off" })),
    field("Password", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" }), "At least 8 characters."),
    checkboxes("Site roles", "siteRoles", SITE_ROLES),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Create user" })));
  onSubmit(form, async (values) => {
    const siteRoles = new FormData(form).getAll("siteRoles");
    await gql(`mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { email: values.email, username: values.username, name: values.name, password: values.password, siteRoles } });
    reload();
  });
  return h("details", { class: "card create" }, h("summary", {}, h("h2", { text: "Create a user" })), form);
}

function actions(user, ctx, reload) {
  const slot = h("div", { class: "action-error" });
  const self = user.id === ctx.viewer.id;
  const suspended = user.status === "SUSPENDED";
  const status = h("button", {
    type: "button", class: suspended ? "secondary" : "secondary danger-text",
    text: suspended ? "Activate" : "Suspend",
    "aria-label": `${suspended ? "Activate" : "Suspend"} ${user.username}`,
    // The server refuses this too; disabling says so before the click.
    disabled: self, title: self ? "You cannot suspend yourself." : null,
  });
  status.addEventListener("click", async () => {
    const done = await rowAction(status, slot, () => gql(`mutation UserStatus($input: UpdateUserStatusInput!) { updateUserStatus(input: $input) { id } }`,
      { input: { id: user.id, status: suspended ? "ACTIVE" : "SUSPENDED" } }));
    if (done) reload();
  });
  const editor = h("div", { class: "roles-editor" });
  const edit = h("button", { type: "button", class: "secondary", text: "Edit roles", "aria-expanded": "false", "aria-label": `Edit roles of ${user.username}` });
  edit.addEventListener("click", () => {
    const open = edit.getAttribute("aria-expanded") === "true";
    edit.setAttribute("aria-expanded", String(!open));
    editor.replaceChildren(open ? "" : rolesForm(user, reload, () => edit.click()));
    if (!open) editor.querySelector("input")?.focus();
  });
  return h("div", { class: "row-action-stack" }, h("div", { class: "actions" }, edit, status), editor, slot);
}

function rolesForm(user, reload, close) {
  const form = h("form", { class: "inline-form" },
    checkboxes(`Site roles of ${user.username}`, "siteRoles", SITE_ROLES, user.siteRoles),
    h("div", { class: "actions" },
      h("button", { type: "submit", text: "Save roles" }),
      h("button", { type: "button", class: "secondary", text: "Cancel", onclick: close })));
  onSubmit(form, async () => {
    const siteRoles = new FormData(form).getAll("siteRoles");
    await gql(`mutation UserRoles($input: UpdateUserRolesInput!) { updateUserRoles(input: $input) { id } }`,
        { input: { id: user.id, siteRoles } });
    reload();
  });
  return form;
}

/** Previous/next links: the users list has no total to number pages by. */
function pager(page, hasNext, go) {
  if (page === 1 && !hasNext) return null;
  return h("nav", { class: "pagination", "aria-label": "Pages" },
    h("p", { class: "showing", text: `Page ${page}` }),
    h("div", { class: "pages" },
      h("button", { type: "button", class: "page", disabled: page === 1, onclick: () => go(page - 1), text: "‹ Previous" }),
      h("button", { type: "button", class: "page", disabled: !hasNext, onclick: () => go(page + 1), text: "Next ›" })));
}
