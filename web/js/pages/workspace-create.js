// Creates a workspace from a template's active version: its name, an optional preset
// (whose values fill and lock their fields), and the parameters, checked live by the server.

import { gql } from "../api.js";
import { h, field, onSubmit, pageHeader } from "../ui.js";
import { parameterForm, PARAMETER_FIELDS } from "../parameter-form.js";

export const title = "Create workspace";

const TEMPLATES = `query CreateWorkspaceTemplates { templates { id name displayName description organization { id name displayName } activeVersion { id name } } }`;
const TEMPLATE = `query CreateWorkspaceTemplate($id: UUID!) { template(id: $id) { id name displayName
  activeVersion { id name parameters { ${PARAMETER_FIELDS} } presets { id name parameters { name value } } } } }`;
const CREATE = `mutation CreateWorkspace($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`;

export async function render(view, ctx) {
  const { templates } = await gql(TEMPLATES);
  const usable = templates.filter((t) => t.activeVersion);
  if (!usable.length) {
    view.replaceChildren(pageHeader("Create workspace"),
      h("div", { class: "card" },
        h("p", { text: "There is no template to build a workspace from yet." }),
        h("p", {}, h("a", { href: "#/templates", text: "Create a template first" }), ".")));
    return;
  }
  const chosenId = usable.some((t) => t.id === ctx.query.get("template")) ? ctx.query.get("template") : usable[0].id;
  const { template } = await gql(TEMPLATE, { id: chosenId });
  if (ctx.signal.aborted) return;
  const version = template.activeVersion;

  const templateSelect = templatePicker(usable, chosenId);
  // The page is the template's form; picking another template loads that one's form.
  templateSelect.addEventListener("change", () => ctx.navigate("/workspaces/new", { template: templateSelect.value }, { replace: true }));

  const params = parameterForm(version.id, version.parameters, { signal: ctx.signal });
  const presetSelect = version.presets.length
    ? h("select", { name: "presetId" },
      h("option", { value: "", text: "None: I set the parameters" }),
      version.presets.map((p) => h("option", { value: p.id, text: p.name })))
    : null;
  presetSelect?.addEventListener("change", () => params.applyPreset(version.presets.find((p) => p.id === presetSelect.value) || null));

  const form = h("form", { class: "card ws-create", "aria-labelledby": "ws-create-title", novalidate: true },
    h("h2", { id: "ws-create-title", class: "ws-form-title", text: `From ${template.displayName || template.name}, version ${version.name}` }),
    field("Template", templateSelect),
    field("Name", h("input", { name: "name", required: true, maxlength: 32, autocomplete: "off", spellcheck: "false" }), "1–32 letters, digits or single hyphens; unique among your workspaces."),
    presetSelect ? field("Preset", presetSelect, "A preset sets some parameters for you; they are locked while it is chosen.") : null,
    params.node,
    h("div", { class: "actions" },
      h("button", { type: "submit", text: "Create workspace" }),
      h("a", { href: "#/workspaces", text: "Cancel" })));

  onSubmit(form, async (values) => {
    try {
      const { createWorkspace } = await gql(CREATE, { input: {
        templateId: template.id,
        name: values.name.trim(),
        presetId: values.presetId || null,
        parameters: params.values(),
      } });
      ctx.navigate(`/workspaces/${createWorkspace.id}`);
    } catch (error) {
      // Every parameter's live diagnostics appear too, not only the ones typed into.
      params.revealAll();
      throw error;
    }
  });

  view.replaceChildren(pageHeader("Create workspace"), form);
  form.elements.name.focus();
}

// Templates grouped by organization when there are several, so same-named templates of
// two organizations stay apart.
function templatePicker(templates, chosenId) {
  const option = (t) => h("option", { value: t.id, selected: t.id === chosenId, text: t.displayName || t.name });
  const orgs = new Map();
  templates.forEach((t) => orgs.set(t.organization.id, [...(orgs.get(t.organization.id) || []), t]));
  const select = h("select", { name: "templateId" },
    orgs.size > 1
      ? [...orgs.values()].map((list) => h("optgroup", { label: list[0].organization.displayName || list[0].organization.name }, list.map(option)))
      : templates.map(option));
  return select;
}
