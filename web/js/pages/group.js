// One group (#/groups/:id): its display name and quota allowance, and its members, added
// from the organization's members (or the prebuilds system user) and removed one by one.

import { gql } from "../api.js";
import { h, fill, namedTable, pageHeader, subtitle, field, onSubmit, pill, rowAction, userLabel } from "../ui.js";

export const title = "Group";

/**
 * The prebuilds system user. It is no organization member, yet a group may hold it so
 * that prebuilt workspaces get a quota of their own (docs/rules/quotas.md). Its id is fixed
 * by the server (the same constant as `PREBUILDS_SYSTEM_USER_ID`).
 */
const PREBUILDS_USER = { id: "c42fdf75-3097-471c-8c33-fb52454d81c0", username: "prebuilds", name: "Prebuilds (system user)" };

const GROUP_QUERY = `query Group($id: UUID!) { group(id: $id) {
  id name displayName quotaAllowance
  organization { id name displayName members { userId user { id username name email } } }
  members { id username name email isSystem status } } }`;

export async function render(view, ctx) {
  const { group } = await gql(GROUP_QUERY, { id: ctx.params.id });
  const reload = () => ctx.navigate(`/groups/${group.id}`, null, { replace: true });
  const org = group.organization;
  const inGroup = new Set(group.members.map((m) => m.id));
  const candidates = [...org.members.map((m) => m.user), PREBUILDS_USER].filter((u) => !inGroup.has(u.id));
  document.title = `${group.displayName || group.name} · devplane`;

  fill(view, 
    h("p", { class: "breadcrumb" },
      h("a", { href: `#/groups?org=${encodeURIComponent(org.id)}`, text: `Groups of ${org.displayName || org.name}` }), " / ", group.displayName || group.name),
    pageHeader(group.displayName || group.name),
    subtitle(`Group ${group.name} in ${org.displayName || org.name}.`),
    h("div", { class: "two-columns" }, settingsForm(group, reload), addMemberForm(group, candidates, reload)),
    h("h2", { text: "Members" }),
    namedTable([
      { label: "Member", cell: (u) => [h("strong", { text: userLabel(u) }), u.isSystem ? [" ", pill("System", "neutral")] : null, u.email ? h("div", { class: "muted", text: u.email }) : null] },
      { label: "Status", cell: (u) => (u.status === "ACTIVE" ? pill("Active", "success") : pill(u.status.toLowerCase(), "warning")) },
      { label: "", class: "row-actions", cell: (u) => removeButton(group, u, reload) },
    ], group.members, { caption: "Members", empty: "No members yet." }),
  );
}

function settingsForm(group, reload) {
  const form = h("form", { class: "card", "aria-labelledby": "group-settings" },
    h("h2", { id: "group-settings", text: "Settings" }),
    field("Display name", h("input", { name: "displayName", value: group.displayName, autocomplete: "off" })),
    field("Quota allowance", h("input", { name: "quotaAllowance", type: "number", min: 0, step: 1, value: String(group.quotaAllowance), inputmode: "numeric" }),
      "The workspace cost this group's members may use together, added to their other groups'."),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Save" })));
  onSubmit(form, async (values) => {
    await gql(`mutation UpdateGroup($input: UpdateGroupInput!) { updateGroup(input: $input) { id } }`,
      { input: { id: group.id, displayName: values.displayName, quotaAllowance: Number(values.quotaAllowance || 0) } });
    reload();
  });
  return form;
}

function addMemberForm(group, candidates, reload) {
  const select = h("select", { name: "addUsers", required: true },
    h("option", { value: "", text: candidates.length ? "Choose a member…" : "Everyone is already in the group" }),
    candidates.map((u) => h("option", { value: u.id, text: userLabel(u) })));
  const form = h("form", { class: "card", "aria-labelledby": "group-add" },
    h("h2", { id: "group-add", text: "Add a member" }),
    field("Organization member", select, "Only members of the organization (and the prebuilds system user) can join."),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Add member", disabled: !candidates.length })));
  onSubmit(form, async (values) => {
    await gql(`mutation AddGroupMember($input: UpdateGroupInput!) { updateGroup(input: $input) { id } }`,
      { input: { id: group.id, addUsers: [values.addUsers] } });
    reload();
  });
  return form;
}

function removeButton(group, user, reload) {
  const slot = h("div", { class: "action-error" });
  const button = h("button", { type: "button", class: "secondary", text: "Remove", "aria-label": `Remove ${user.username} from the group` });
  button.addEventListener("click", async () => {
    const done = await rowAction(button, slot, () => gql(`mutation RemoveGroupMember($input: UpdateGroupInput!) { updateGroup(input: $input) { id } }`,
      { input: { id: group.id, removeUsers: [user.id] } }));
    if (done) reload();
  });
  return h("div", {}, button, slot);
}
