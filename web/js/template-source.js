// A template version's source, for the "create template" and "upload version" forms:
// a main.tf typed or pasted in, or a file (a single .tf sent inline, a .tar archive
// uploaded with `uploadFile` through the GraphQL multipart request). Import errors come
// back one per problem as "file:line: …" and are listed under the source.

import { gql } from "./api.js";
import { h, showFormError } from "./ui.js";

const UPLOAD = `mutation UploadTemplateSource($file: Upload!, $organizationId: UUID!) { uploadFile(file: $file, organizationId: $organizationId) { id } }`;

let ids = 0;

/**
 * The source fieldset. `source(organizationId)` resolves to the input fields to send,
 * `{ files }` or `{ fileId }`.
 */
export function sourceField({ initial = "" } = {}) {
  const id = `tpl-source-${++ids}`;
  const typed = h("input", { type: "radio", name: `${id}-mode`, id: `${id}-typed`, value: "typed", checked: true });
  const uploaded = h("input", { type: "radio", name: `${id}-mode`, id: `${id}-file`, value: "file" });
  const text = h("textarea", { id: `${id}-text`, name: "mainTf", rows: 14, spellcheck: "false", "aria-label": "main.tf contents" });
  text.value = initial;
  const file = h("input", { type: "file", id: `${id}-upload`, name: "sourceFile", accept: ".tf,.tar,application/x-tar", "aria-label": "Source file (.tf or .tar)" });
  const textPart = h("div", { class: "field" }, text,
    h("small", { class: "hint", text: "The template's Terraform: coder_parameter, coder_workspace_preset and coder_agent blocks are read from it." }));
  const filePart = h("div", { class: "field", hidden: true }, file,
    h("small", { class: "hint", text: "A single .tf file, or a .tar archive holding the template's files." }));
  const node = h("fieldset", { class: "tpl-source field", dataset: { field: "files" } },
    h("legend", { class: "label", text: "Source" }),
    h("div", { class: "ws-options" },
      h("label", { for: typed.id }, typed, " Write main.tf"),
      h("label", { for: uploaded.id }, uploaded, " Upload a file")),
    textPart, filePart);
  const sync = () => {
    textPart.hidden = !typed.checked;
    filePart.hidden = typed.checked;
  };
  typed.addEventListener("change", sync);
  uploaded.addEventListener("change", sync);

  async function source(organizationId) {
    if (typed.checked) {
      if (!text.value.trim()) throw invalid("write the template's main.tf, or upload a file");
      return { files: [{ path: "main.tf", content: text.value }] };
    }
    const chosen = file.files[0];
    if (!chosen) throw invalid("choose a .tf or .tar file");
    if (/\.tf$/i.test(chosen.name)) return { files: [{ path: chosen.name, content: await chosen.text() }] };
    const { uploadFile } = await gql(UPLOAD, { file: null, organizationId }, { files: { file: chosen } });
    return { fileId: uploadFile.id };
  }
  return { node, source };
}

function invalid(detail) {
  return Object.assign(new Error("The template source is missing."), { validations: [{ field: "files", detail }] });
}

/**
 * Shows a failed create or upload: details of fields the form has next to them, and the
 * rest (the import's problems, at file:line) as a list under the source.
 */
export function showSourceError(form, error) {
  const inForm = (v) => v.field && (form.querySelector(`[data-field="${CSS.escape(v.field)}"]:not(.tpl-source)`) || form.querySelector(`[name="${CSS.escape(v.field)}"]`));
  const problems = (error.validations || []).filter((v) => !inForm(v) && v.field !== "files");
  showFormError(form, { message: error.message, code: error.code, validations: (error.validations || []).filter((v) => !problems.includes(v)) });
  if (!problems.length) return;
  const list = h("div", { class: "tpl-import-errors form-error", role: "alert" },
    h("h3", { text: `${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in the source` }),
    h("ul", {}, problems.map(problemItem)));
  form.querySelector(".tpl-source").append(list);
}

function problemItem({ field, detail }) {
  const at = /^(\S+?:\d+):\s*(.*)$/s.exec(detail);
  if (at) return h("li", {}, h("code", { text: at[1] }), at[2]);
  return h("li", {}, field ? h("code", { text: field }) : null, detail);
}
