// Groups (#/groups?org=<id>): the groups of one organization with their members and quota
// allowance, and a form to create one. Without `org`, the viewer's first organization.

import { gql } from "../api.js";
import { h, fill, namedTable, pageHeader, subtitle, field, onSubmit, formatNumber } from "../ui.js";

export const title = "Groups";

export async function render(view, ctx) {
  const { organizations } = await gql(`query GroupOrganizations { organizations { id name displayName isDefault } }`);
  if (!organizations.length) {
    fill(view, pageHeader("Groups"), h("p", { class: "empty-state", text: "You are not a member of any organization." }));
    return;
  }
  const wanted = ctx.query.get("org");
  const org = organizations.find((o) => o.id === wanted) || organizations.find((o) => o.isDefault) || organizations[0];
  const { groups } = await gql(`query Groups($org: UUID!) { groups(organizationId: $org) { id name displayName quotaAllowance members { id } } }`, { org: org.id });

  const picker = h("select", { id: "group-org", onchange: () => ctx.navigate("/groups", { org: picker.value }) },
    organizations.map((o) => h("option", { value: o.id, selected: o.id === org.id, text: o.displayName || o.name })));
  fill(view, 
    pageHeader("Groups", organizations.length > 1 ? h("div", { class: "inline-field" }, h("label", { for: "group-org", text: "Organization" }), picker) : null),
    subtitle(`Groups of ${org.displayName || org.name}. A member's workspace quota is the sum of the allowances of their groups.`),
    createForm(org.id, ctx),
    namedTable([
      { label: "Group", cell: (g) => [h("a", { href: `#/groups/${encodeURIComponent(g.id)}`, text: g.displayName || g.name }), g.displayName ? h("div", { class: "muted" }, h("code", { text: g.name })) : null] },
      { label: "Members", class: "num", cell: (g) => formatNumber(g.members.length) },
      { label: "Quota allowance", class: "num", cell: (g) => formatNumber(g.quotaAllowance) },
    ], groups, { caption: "Groups", empty: "No groups yet." }),
  );
}

function createForm(orgId, ctx) {
  const form = h("form", { class: "grid-form" },
    field("Name", h("input", { name: "name", required: true, autocomplete: "off" }), "Unique in the organization."),
    field("Display name", h("input", { name: "displayName", autocomplete: "off" })),
    field("Quota allowance", h("input", { name: "quotaAllowance", type: "number", min: 0, step: 1, value: "0", inputmode: "numeric" }), "Workspace cost its members may use together."),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Create group" })));
  onSubmit(form, async (values) => {
    const { createGroup } = await gql(`mutation CreateGroup($input: CreateGroupInput!) { createGroup(input: $input) { id } }`, {
      input: { organizationId: orgId, name: values.name, displayName: values.displayName, quotaAllowance: Number(values.quotaAllowance || 0) },
    });
    // The new group's page is where members are added next.
    ctx.navigate(`/groups/${createGroup.id}`);
  });
  return h("details", { class: "card create" }, h("summary", {}, h("h2", { text: "Create a group" })), form);
}
