// Organizations (#/organizations, #/organizations?org=<id>): the tenants the viewer can see
// and, for one of them, its members with their organization roles.

import { gql } from "../api.js";
import { h, fill, namedTable, pageHeader, subtitle, field, onSubmit, pill, rowAction, confirmInline, checkboxes, ORGANIZATION_ROLES, roleLabel, userLabel, formatDateTime } from "../ui.js";

export const title = (ctx) => (ctx.query.get("org") ? "Organization members" : "Organizations");

export async function render(view, ctx) {
  const orgId = ctx.query.get("org");
  if (orgId) return renderMembers(view, ctx, orgId);
  const { organizations } = await gql(`query Organizations { organizations { id name displayName description isDefault createdAt } }`);
  const reload = () => ctx.navigate("/organizations", null, { replace: true });
  fill(view, 
    pageHeader("Organizations"),
    subtitle("Organizations own templates, workspaces and groups. Members see and use what their organization holds."),
    ctx.hasRole("OWNER") ? createForm(reload) : null,
    namedTable([
      { label: "Organization", cell: (o) => [h("strong", { text: o.displayName || o.name }), " ", o.isDefault ? pill("Default", "info") : null, h("div", { class: "muted" }, h("code", { text: o.name }))] },
      { label: "Description", cell: (o) => o.description || h("span", { class: "muted", text: "—" }) },
      { label: "Created", cell: (o) => formatDateTime(o.createdAt) },
      { label: "", class: "row-actions", cell: (o) => h("div", { class: "actions" },
        h("a", { class: "button secondary", href: `#/organizations?org=${encodeURIComponent(o.id)}`, text: "Members", "aria-label": `Members of ${o.displayName || o.name}` }),
        h("a", { class: "button secondary", href: `#/groups?org=${encodeURIComponent(o.id)}`, text: "Groups", "aria-label": `Groups of ${o.displayName || o.name}` })) },
    ], organizations, { caption: "Organizations", empty: "You are not a member of any organization." }),
  );
}

function createForm(reload) {
  const form = h("form", { class: "grid-form" },
    field("Name", h("input", { name: "name", required: true, autocomplete: "off" }), "Unique; used in URLs and filters."),
    field("Display name", h("input", { name: "displayName", autocomplete: "off" })),
    field("Description", h("input", { name: "description", autocomplete: "off" })),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Create organization" })));
  onSubmit(form, async (values) => {
    await gql(`mutation CreateOrganization($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`, { input: values });
    reload();
  });
  return h("details", { class: "card create" }, h("summary", {}, h("h2", { text: "Create an organization" })), form);
}

async function renderMembers(view, ctx, orgId) {
  const [{ organization }, users] = await Promise.all([
    gql(`query OrganizationMembers($id: UUID!) { organization(id: $id) { id name displayName
      members { userId roles createdAt user { id username name email status } } } }`, { id: orgId }),
    // Adding members needs the user list; a viewer who may not list users just cannot add.
    gql(`query MemberCandidates { users(limit: 1000) { id username name } }`).then((d) => d.users, () => null),
  ]);
  const reload = () => ctx.navigate("/organizations", { org: orgId }, { replace: true });
  const memberIds = new Set(organization.members.map((m) => m.userId));
  const candidates = (users || []).filter((u) => !memberIds.has(u.id));
  fill(view, 
    h("p", { class: "breadcrumb" }, h("a", { href: "#/organizations", text: "Organizations" }), " / ", organization.displayName || organization.name),
    pageHeader(`${organization.displayName || organization.name} members`,
      h("a", { class: "button secondary", href: `#/groups?org=${encodeURIComponent(orgId)}`, text: "Groups" })),
    users ? addMemberForm(orgId, candidates, reload) : null,
    namedTable([
      { label: "Member", cell: (m) => [h("strong", { text: userLabel(m.user) }), h("div", { class: "muted", text: m.user.email })] },
      { label: "Roles", cell: (m) => m.roles.filter((r) => r !== "ORGANIZATION_MEMBER").map((r) => [pill(roleLabel(r), "info"), " "]).concat(m.roles.length <= 1 ? [h("span", { class: "muted", text: "Member" })] : []) },
      { label: "Joined", cell: (m) => formatDateTime(m.createdAt) },
      { label: "", class: "row-actions", cell: (m) => memberActions(orgId, m, ctx, reload) },
    ], organization.members, { caption: "Members", empty: "No members." }),
  );
}

function addMemberForm(orgId, candidates, reload) {
  const select = h("select", { name: "userId", required: true },
    h("option", { value: "", text: candidates.length ? "Choose a user…" : "Every user is already a member" }),
    candidates.map((u) => h("option", { value: u.id, text: userLabel(u) })));
  const form = h("form", { class: "grid-form" },
    field("User", select),
    checkboxes("Roles", "roles", ORGANIZATION_ROLES),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Add member", disabled: !candidates.length })));
  onSubmit(form, async (values) => {
    const roles = new FormData(form).getAll("roles");
    await gql(`mutation AddMember($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { userId } }`,
      { input: { organizationId: orgId, userId: values.userId, roles } });
    reload();
  });
  return h("details", { class: "card create" }, h("summary", {}, h("h2", { text: "Add a member" })), form);
}

function memberActions(orgId, member, ctx, reload) {
  const slot = h("div", { class: "action-error" });
  const editor = h("div", { class: "roles-editor" });
  const name = member.user.username;
  const edit = h("button", { type: "button", class: "secondary", text: "Edit roles", "aria-expanded": "false", "aria-label": `Edit roles of ${name}` });
  edit.addEventListener("click", () => {
    const open = edit.getAttribute("aria-expanded") === "true";
    edit.setAttribute("aria-expanded", String(!open));
    editor.replaceChildren(open ? "" : rolesForm(orgId, member, reload, () => edit.click()));
    if (!open) editor.querySelector("input")?.focus();
  });
  const remove = h("button", { type: "button", class: "secondary", text: "Remove", "aria-label": `Remove ${name}` });
  remove.addEventListener("click", () => confirmInline(remove, {
    question: `Remove ${name}?`,
    confirmLabel: "Remove",
    onConfirm: async (confirm) => {
      const done = await rowAction(confirm, slot, () => gql(`mutation RemoveMember($input: RemoveOrganizationMemberInput!) { removeOrganizationMember(input: $input) { userId } }`,
        { input: { organizationId: orgId, userId: member.userId } }));
      if (done) reload();
    },
  }));
  const self = member.userId === ctx.viewer.id;
  return h("div", { class: "row-action-stack" }, h("div", { class: "actions" }, self ? null : edit, remove), editor, slot);
}

function rolesForm(orgId, member, reload, close) {
  const form = h("form", { class: "inline-form" },
    checkboxes(`Roles of ${member.user.username}`, "roles", ORGANIZATION_ROLES, member.roles),
    h("div", { class: "actions" },
      h("button", { type: "submit", text: "Save roles" }),
      h("button", { type: "button", class: "secondary", text: "Cancel", onclick: close })));
  onSubmit(form, async () => {
    const roles = new FormData(form).getAll("roles");
    await gql(`mutation MemberRoles($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { userId } }`,
        { input: { organizationId: orgId, userId: member.userId, roles } });
    reload();
  });
  return form;
}
