// The controls of a template version's parameters, checked live by the server: every
// change asks `previewParameters` (after a pause in typing) what a build would make of the
// values, and each parameter shows its diagnostics under its control. The server is the
// only judge of validity, so nothing here re-implements min/max/regex checks.

import { gql } from "./api.js";
import { h, field, errorBox } from "./ui.js";

const PREVIEW = `query PreviewParameters($version: UUID!, $values: [ParameterInput!]!, $workspace: UUID) {
  previewParameters(templateVersionId: $version, values: $values, workspaceId: $workspace) { name value source diagnostics { summary detail } } }`;

/** Parameter fields selected by the pages that build them. */
export const PARAMETER_FIELDS = `name displayName description type formType defaultValue required mutable ephemeral order
  options { name value description } validation { min max regex monotonic error }`;

/**
 * Builds the fields for `parameters` of version `versionId`. Returns `{ node, values(),
 * applyPreset(preset|null), revealAll() }`: `values()` is the ParameterInput list to send.
 * With `workspaceId`, the server checks the values against that workspace's latest build
 * (immutable and monotonic parameters).
 */
export function parameterForm(versionId, parameters, { signal, workspaceId = null } = {}) {
  const controls = parameters.map(parameterControl);
  const status = h("div", { class: "ws-preview-status" });
  let touchedAll = false;
  let sequence = 0;
  let timer = null;

  function values() {
    return controls
      // An untouched required field with nothing in it is "not given", not an empty string,
      // so the server reports it as missing.
      .filter((c) => !(c.parameter.required && c.get() === ""))
      .map((c) => ({ name: c.parameter.name, value: c.get() }));
  }

  async function preview() {
    const mine = ++sequence;
    let previews;
    try {
      ({ previewParameters: previews } = await gql(PREVIEW, { version: versionId, values: values(), workspace: workspaceId }));
    } catch (error) {
      if (mine === sequence && !signal?.aborted) status.replaceChildren(errorBox(error));
      return;
    }
    // An older answer arriving after a newer one must not overwrite it.
    if (mine !== sequence || signal?.aborted) return;
    status.replaceChildren();
    for (const result of previews) {
      const control = controls.find((c) => c.parameter.name === result.name);
      if (!control) continue;
      const show = touchedAll || control.touched;
      control.showDiagnostics(show ? result.diagnostics : []);
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  }

  for (const control of controls) {
    control.onChange(() => {
      control.touched = true;
      schedule();
    });
  }

  const node = parameters.length
    ? h("fieldset", { class: "ws-parameters" }, h("legend", { text: "Parameters" }), status, controls.map((c) => c.node))
    : h("p", { class: "muted", text: "This template has no parameters." });

  return {
    node,
    values,
    /** Fills and locks the preset's values; null unlocks everything. */
    applyPreset(preset) {
      const set = new Map((preset?.parameters || []).map((p) => [p.name, p.value]));
      for (const control of controls) {
        if (set.has(control.parameter.name)) {
          control.set(set.get(control.parameter.name));
          control.lock(`Set by preset “${preset.name}”.`);
        } else {
          control.lock(null);
        }
      }
      schedule();
    },
    /** Shows every parameter's diagnostics, touched or not (after a submit). */
    revealAll() {
      touchedAll = true;
      return preview();
    },
  };
}

let ids = 0;

// One parameter: the control that fits its type, plus a place for its diagnostics.
function parameterControl(parameter) {
  const id = `param-${++ids}`;
  const diagnostics = h("div", { class: "ws-diag", id: `${id}-diag`, "aria-live": "polite" });
  const lockNote = h("small", { class: "hint ws-lock", id: `${id}-lock` });
  const widget = widgetFor(parameter, id);
  const label = `${parameter.displayName || parameter.name}${parameter.required ? " (required)" : ""}`;
  const hint = [parameter.description, parameter.mutable ? "" : "Cannot be changed after the workspace is created."].filter(Boolean).join(" ");
  let node;
  if (widget.group) {
    // Radio buttons and checkbox lists are labelled by a legend, not a <label for>.
    node = h("fieldset", { class: "field ws-choice", dataset: { field: parameter.name } },
      h("legend", { class: "label", text: label }), widget.element,
      hint ? h("small", { class: "hint", text: hint }) : null);
  } else {
    widget.element.name = parameter.name;
    node = field(label, widget.element, hint || undefined);
  }
  node.append(lockNote, diagnostics);
  const describe = (element) => {
    const ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    element.setAttribute("aria-describedby", [...new Set([...ids, diagnostics.id, lockNote.id])].join(" "));
  };
  widget.inputs().forEach(describe);

  return {
    parameter,
    node,
    touched: false,
    get: widget.get,
    set: widget.set,
    onChange(listener) {
      widget.inputs().forEach((input) => {
        input.addEventListener("input", listener);
        input.addEventListener("change", listener);
      });
    },
    lock(note) {
      widget.inputs().forEach((input) => {
        // Read-only keeps a text field focusable and readable; choices can only be disabled.
        if (input.matches("input[type=text], textarea")) input.readOnly = !!note;
        else input.disabled = !!note;
      });
      lockNote.textContent = note || "";
    },
    showDiagnostics(list) {
      diagnostics.replaceChildren(...list.map((d) => h("p", { class: "field-error ws-diag-line", text: `${d.summary}: ${d.detail}` })));
      widget.inputs().forEach((input) => (list.length ? input.setAttribute("aria-invalid", "true") : input.removeAttribute("aria-invalid")));
    },
  };
}

// The control of one parameter: a select or radios for options, a checkbox for bool, a
// checkbox list or a one-per-line textarea for list(string), text otherwise.
function widgetFor(parameter, id) {
  const initial = parameter.defaultValue ?? "";
  const { type, options, formType } = parameter;
  if (type === "list(string)") return options.length ? checkboxList(parameter, initial) : lineList(initial);
  if (type === "bool") {
    const box = h("input", { type: "checkbox", id, checked: initial === "true" });
    return single(box, () => String(box.checked), (v) => (box.checked = v === "true"));
  }
  if (options.length && formType === "radio") return radios(parameter, initial, id);
  if (options.length) {
    const select = h("select", { id },
      parameter.required && !initial ? h("option", { value: "", text: "Choose…" }) : null,
      options.map((o) => h("option", { value: o.value, selected: o.value === initial, text: o.name === o.value ? o.name : `${o.name} (${o.value})` })));
    return single(select, () => select.value, (v) => (select.value = v));
  }
  const text = formType === "textarea"
    ? h("textarea", { id, rows: 3 })
    : h("input", { id, type: "text", inputmode: type === "number" ? "decimal" : null, autocomplete: "off" });
  text.value = initial;
  return single(text, () => text.value, (v) => (text.value = v));
}

function single(element, get, set) {
  return { element, get, set, inputs: () => [element] };
}

function radios(parameter, initial, id) {
  const inputs = parameter.options.map((o, i) => h("input", { type: "radio", name: parameter.name, id: `${id}-${i}`, value: o.value, checked: o.value === initial }));
  const element = h("div", { class: "ws-options" }, parameter.options.map((o, i) =>
    h("label", { for: inputs[i].id }, inputs[i], ` ${o.name}`)));
  return {
    group: true, element, inputs: () => inputs,
    get: () => inputs.find((i) => i.checked)?.value ?? "",
    set: (v) => inputs.forEach((i) => (i.checked = i.value === v)),
  };
}

function checkboxList(parameter, initial) {
  const chosen = new Set(parseList(initial));
  const inputs = parameter.options.map((o) => h("input", { type: "checkbox", value: o.value, checked: chosen.has(o.value) }));
  const element = h("div", { class: "ws-options" }, parameter.options.map((o, i) => h("label", {}, inputs[i], ` ${o.name}`)));
  return {
    group: true, element, inputs: () => inputs,
    get: () => JSON.stringify(inputs.filter((i) => i.checked).map((i) => i.value)),
    set: (v) => {
      const values = new Set(parseList(v));
      inputs.forEach((i) => (i.checked = values.has(i.value)));
    },
  };
}

function lineList(initial) {
  const area = h("textarea", { rows: 3, placeholder: "One value per line" });
  area.value = parseList(initial).join("\n");
  return single(area,
    () => JSON.stringify(area.value.split("\n").map((line) => line.trim()).filter(Boolean)),
    (v) => (area.value = parseList(v).join("\n")));
}

function parseList(value) {
  try {
    const list = JSON.parse(value || "[]");
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}
