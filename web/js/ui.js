// Small DOM helpers shared by every page: an element builder, error display next to the
// place it happened, buttons that stay disabled while their mutation runs, dates, pills,
// tables and pagination.

/**
 * Builds an element. `props` sets attributes, except `class`, `text`, `on<event>` handlers
 * and `dataset`; children may be strings, nodes, arrays or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** An alert box for an error (an ApiError or any Error). */
export function errorBox(error) {
  const box = h("div", { class: "alert error", role: "alert" }, h("strong", { text: error.message }));
  if (error.code && error.code !== "UNKNOWN") box.append(" ", h("code", { class: "code", text: error.code }));
  const unplaced = (error.validations || []).filter((v) => !v.placed);
  if (unplaced.length) {
    box.append(h("ul", {}, unplaced.map((v) => h("li", {}, h("code", { text: v.field }), ": ", v.detail))));
  }
  return box;
}

/**
 * Shows an error inside `form`: each validation detail next to the input named after its
 * field (`name="ttlMs"`, or `data-field="ttlMs"` on a wrapper), the rest at the top.
 */
export function showFormError(form, error) {
  clearFormError(form);
  for (const validation of error.validations || []) {
    const field = form.querySelector(`[data-field="${CSS.escape(validation.field)}"]`)
      || form.querySelector(`[name="${CSS.escape(validation.field)}"]`);
    if (!field) continue;
    validation.placed = true;
    const message = h("p", { class: "field-error", role: "alert", text: validation.detail });
    const input = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      if (!input.id) input.id = `field-${++fieldIds}`;
      message.id = `${input.id}-error`;
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      input.setAttribute("aria-describedby", [...described, message.id].join(" "));
    }
    (field.closest(".field") || field.closest("label") || field).append(message);
  }
  form.prepend(h("div", { class: "form-error" }, errorBox(error)));
}

/** Removes what showFormError added. */
export function clearFormError(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
}

/**
 * Runs `action` with `button` disabled (and marked busy) until it settles; returns its result.
 * Errors are rethrown for the caller to show where they belong.
 */
export async function busy(button, action) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/**
 * Wires a form: on submit, disables its submit button, runs `action(values, form)`, and
 * shows a failure inside the form. `values` are the form's named fields as strings.
 */
export function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"], button:not([type])');
    clearFormError(form);
    const values = Object.fromEntries(new FormData(form).entries());
    try {
      await (button ? busy(button, () => action(values, form)) : action(values, form));
    } catch (error) {
      showFormError(form, error);
    }
  });
  return form;
}

let fieldIds = 0;

/**
 * A labelled control: the label above it and an optional hint below, tied to the control
 * (`for` and `aria-describedby`) so assistive technology reads both.
 */
export function field(label, control, hint) {
  if (!control.id) control.id = `field-${++fieldIds}`;
  const hintNode = hint ? h("small", { class: "hint", id: `${control.id}-hint`, text: hint }) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field", dataset: control.name ? { field: control.name } : {} },
    h("label", { for: control.id, class: "label", text: label }), control, hintNode);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const dayOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "full" });
const numbers = new Intl.NumberFormat("en-US");

/** "Nov 30, 2026, 11:05 PM", or "—" for null. */
export function formatDateTime(iso) {
  return iso ? dateTime.format(new Date(iso)) : "—";
}
/** "11:05:12 PM". */
export function formatTime(iso) {
  return iso ? timeOnly.format(new Date(iso)) : "—";
}
/** "Monday, November 30, 2026". */
export function formatDay(iso) {
  return dayOnly.format(new Date(iso));
}
/** "1,234". */
export function formatNumber(n) {
  return numbers.format(n);
}
/** "3m", "2h 5m", "4d 1h" from milliseconds. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}

/** A status pill; `tone` is one of success, warning, error, info, neutral. */
export function pill(text, tone = "neutral") {
  return h("span", { class: `pill ${tone}`, text });
}

/**
 * A table. `columns` are `{ label, cell: (row) => node|string, class? }`; `empty` is shown
 * (as a row) when there are no rows.
 */
export function table(columns, rows, { empty = "Nothing here yet.", caption } = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "stack" },
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class, text: c.label })))),
      h("tbody", {}, rows.length
        ? rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class, dataset: { label: c.label } }, c.cell(row)))))
        : h("tr", {}, h("td", { colspan: columns.length, class: "empty", text: empty })))));
}

/**
 * Numbered pagination: "Showing X to Y of Z logs" and page buttons. `total` is the
 * (possibly capped) count, `capped` says it is a lower bound ("2,000+").
 */
export function pagination({ page, pageSize, shown, total, capped, noun = "results", onPage }) {
  const first = shown ? (page - 1) * pageSize + 1 : 0;
  const last = (page - 1) * pageSize + shown;
  const totalText = capped ? `${formatNumber(total)}+` : formatNumber(total);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const numbers = pageNumbers(page, pages);
  const button = (label, target, props = {}) =>
    h("button", { type: "button", class: "page", disabled: target === page || target < 1 || (!capped && target > pages), "aria-label": props.label, "aria-current": target === page ? "page" : null, onclick: () => onPage(target) }, label);
  return h("nav", { class: "pagination", "aria-label": "Pages" },
    h("p", { class: "showing", text: shown ? `Showing ${formatNumber(first)} to ${formatNumber(last)} of ${totalText} ${noun}` : `No ${noun}` }),
    h("div", { class: "pages" },
      button("‹", page - 1, { label: "Previous page" }),
      numbers.map((n) => (n === null ? h("span", { class: "gap", text: "…" }) : button(String(n), n))),
      button("›", page + 1, { label: "Next page" })));
}

function pageNumbers(page, pages) {
  const wanted = new Set([1, pages, page - 1, page, page + 1].filter((n) => n >= 1 && n <= pages));
  const sorted = [...wanted].sort((a, b) => a - b);
  const out = [];
  sorted.forEach((n, i) => {
    if (i && n - sorted[i - 1] > 1) out.push(null);
    out.push(n);
  });
  return out;
}

/** A page heading with optional actions on the right. */
export function pageHeader(title, ...actions) {
  return h("div", { class: "page-header" }, h("h1", { text: title }), h("div", { class: "actions" }, actions));
}

/** "Loading…" placeholder. */
export function loading(what = "Loading…") {
  return h("p", { class: "loading", role: "status", text: what });
}

/**
 * Polls `check()` every `ms` until it returns true or `signal` aborts (the page was left).
 */
export async function poll(check, { ms = 1000, signal } = {}) {
  while (!signal?.aborted) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/**
 * Runs a row action: `button` stays disabled while `action` runs, and a failure is shown
 * in `slot` (an element beside the row's buttons) instead of somewhere far from the click.
 * Resolves to the action's result, or undefined when it failed.
 */
export async function rowAction(button, slot, action) {
  slot.replaceChildren();
  try {
    return await busy(button, action);
  } catch (error) {
    slot.replaceChildren(errorBox(error));
    return undefined;
  }
}

/**
 * Swaps `button` for "question [confirm] [cancel]" in place, so a destructive action needs
 * a second, deliberate click without a blocking browser dialog. `onConfirm(confirmButton)`
 * runs the action; Cancel (or Escape) puts the original button back and focuses it.
 */
export function confirmInline(button, { question, confirmLabel = "Delete", onConfirm }) {
  const cancel = h("button", { type: "button", class: "secondary", text: "Cancel" });
  const confirm = h("button", { type: "button", class: "danger", text: confirmLabel });
  const box = h("span", { class: "confirm", role: "group", "aria-label": question }, h("span", { text: question }), confirm, cancel);
  const restore = () => {
    box.replaceWith(button);
    button.focus();
  };
  cancel.addEventListener("click", restore);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") restore();
  });
  confirm.addEventListener("click", () => onConfirm(confirm, restore));
  button.replaceWith(box);
  confirm.focus();
}

/**
 * A fieldset of checkboxes sharing `name`; read the ticked ones with
 * `new FormData(form).getAll(name)` (onSubmit's values keep only one per name).
 */
export function checkboxes(legend, name, options, checked = []) {
  return h("fieldset", { class: "checks", dataset: { field: name } },
    h("legend", { class: "label", text: legend }),
    options.map(([value, label]) => h("label", { class: "check" },
      h("input", { type: "checkbox", name, value, checked: checked.includes(value) }), " ", label)));
}

/** Site roles as the UI names them, in the order they are offered. */
export const SITE_ROLES = [
  ["OWNER", "Owner"],
  ["USER_ADMIN", "User admin"],
  ["TEMPLATE_ADMIN", "Template admin"],
  ["AUDITOR", "Auditor"],
];

/** Organization roles as the UI names them (ORGANIZATION_MEMBER is implied, not offered). */
export const ORGANIZATION_ROLES = [
  ["ORGANIZATION_ADMIN", "Admin"],
  ["ORGANIZATION_USER_ADMIN", "User admin"],
  ["ORGANIZATION_TEMPLATE_ADMIN", "Template admin"],
  ["ORGANIZATION_AUDITOR", "Auditor"],
];

/** The label of a role value from one of the lists above, or the value itself. */
export function roleLabel(role) {
  const known = [...SITE_ROLES, ...ORGANIZATION_ROLES].find(([value]) => value === role);
  return known ? known[1] : role;
}

/** "Alice Smith (alice)", or just the username when there is no name. */
export function userLabel(user) {
  return user.name && user.name !== user.username ? `${user.name} (${user.username})` : user.username;
}

/** A short paragraph under a page heading. */
export function subtitle(text) {
  return h("p", { class: "subtitle", text });
}

/**
 * Replaces `element`'s children the way h() adds them: arrays flattened, null and false
 * skipped (a bare replaceChildren() would print them as "null" or "[object …]").
 */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * table() whose caption names the table for assistive technology (and for tests'
 * getByRole("table", { name })) without repeating a heading the page already shows.
 */
export function namedTable(columns, rows, options = {}) {
  const wrap = table(columns, rows, options);
  wrap.querySelector("caption")?.classList.add("visually-hidden");
  return wrap;
}
