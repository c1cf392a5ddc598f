// The templates the viewer may read, and a form to create one from a main.tf or an
// archive (version 1 becomes its active version).

import { gql } from "../api.js";
import { h, field, onSubmit, table, pageHeader, formatDateTime } from "../ui.js";
import { sourceField, showSourceError } from "../template-source.js";

export const title = "Templates";

const LIST = `query Templates { templates { id name displayName description createdAt
  organization { id name displayName } activeVersion { id name number parameters { name } presets { id } } }
  organizations { id name displayName } }`;
const CREATE = `mutation CreateTemplate($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }`;

export async function render(view, ctx) {
  const { templates, organizations } = await gql(LIST);
  if (ctx.signal.aborted) return;
  const manyOrgs = new Set(templates.map((t) => t.organization.id)).size > 1 || organizations.length > 1;

  const columns = [
    { label: "Template", cell: (t) => [h("a", { href: `#/templates/${t.id}`, class: "ws-name", text: t.displayName || t.name }),
      t.displayName && t.displayName !== t.name ? h("small", { class: "muted", text: ` ${t.name}` }) : null,
      t.description ? h("div", { class: "muted", text: t.description }) : null] },
    manyOrgs ? { label: "Organization", cell: (t) => t.organization.displayName || t.organization.name } : null,
    { label: "Active version", cell: (t) => (t.activeVersion ? t.activeVersion.name : "—") },
    { label: "Parameters", cell: (t) => String(t.activeVersion?.parameters.length ?? 0) },
    { label: "Presets", cell: (t) => String(t.activeVersion?.presets.length ?? 0) },
    { label: "Created", cell: (t) => formatDateTime(t.createdAt) },
    { label: "", class: "ws-actions-cell", cell: (t) => (t.activeVersion ? h("a", { href: `#/workspaces/new?template=${t.id}`, "aria-label": `Create a workspace from ${t.displayName || t.name}`, text: "Create workspace" }) : null) },
  ].filter(Boolean);

  const create = createForm(organizations, ctx);
  const list = table(columns, templates, { empty: "No templates yet. Create one below from a main.tf.", caption: "Templates" });
  // The page heading names the table; the caption is for screen readers.
  list.classList.add("ws-quiet-caption");
  view.replaceChildren(
    pageHeader("Templates"),
    list,
    h("details", { class: "card tpl-create", open: templates.length === 0 },
      h("summary", { text: "Create template" }), create));
}

function createForm(organizations, ctx) {
  const source = sourceField();
  const org = organizations.length > 1
    ? field("Organization", h("select", { name: "organizationId" }, organizations.map((o) => h("option", { value: o.id, text: o.displayName || o.name }))))
    : null;
  const form = h("form", { "aria-label": "Create template", novalidate: true },
    organizations.length ? null : h("p", { class: "alert warning", text: "You belong to no organization, so you cannot create templates." }),
    org,
    field("Name", h("input", { name: "name", required: true, autocomplete: "off", spellcheck: "false" }), "Unique in the organization: letters, digits and hyphens."),
    field("Display name", h("input", { name: "displayName", autocomplete: "off" })),
    field("Description", h("input", { name: "description", autocomplete: "off" })),
    source.node,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Create template" })));
  // onSubmit shows plain failures; the source's import problems need their own list.
  onSubmit(form, async (values) => {
    const organizationId = values.organizationId || organizations[0]?.id;
    try {
      const { createTemplate } = await gql(CREATE, { input: {
        organizationId,
        name: values.name.trim(),
        displayName: values.displayName.trim(),
        description: values.description.trim(),
        ...(await source.source(organizationId)),
      } });
      ctx.navigate(`/templates/${createTemplate.id}`);
    } catch (error) {
      showSourceError(form, error);
    }
  });
  return form;
}
