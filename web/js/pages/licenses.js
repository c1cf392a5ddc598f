// Licenses and entitlements (#/licenses): what the deployment may use, what it uses of its
// managed-agent allowance, the licenses behind that, and the upload of a new one.

import { gql } from "../api.js";
import { h, fill, namedTable, pageHeader, subtitle, field, onSubmit, pill, errorBox, rowAction, confirmInline, formatDateTime, formatNumber } from "../ui.js";

export const title = "Licenses";

const QUERY = `query Licenses {
  licenses { id uuid uploadedAt expiresAt claims }
  entitlements { hasLicense trial warnings errors refreshedAt
    features { name displayName entitlement enabled limit actual softLimit usagePeriod { issuedAt start end } } }
}`;

const ENTITLEMENT = {
  ENTITLED: ["Entitled", "success"],
  GRACE_PERIOD: ["Grace period", "warning"],
  NOT_ENTITLED: ["Not entitled", "neutral"],
};

export async function render(view, ctx) {
  const { licenses, entitlements } = await gql(QUERY);
  const reload = () => ctx.navigate("/licenses", null, { replace: true });
  const refreshError = h("div", { class: "action-error" });
  const refresh = h("button", { type: "button", class: "secondary", text: "Refresh entitlements" });
  refresh.addEventListener("click", async () => {
    if (await rowAction(refresh, refreshError, () => gql(`mutation Refresh { refreshEntitlements { refreshedAt } }`))) reload();
  });

  fill(view, 
    pageHeader("Licenses", refresh),
    subtitle(entitlements.hasLicense
      ? `${entitlements.trial ? "A trial license is" : "Licenses are"} installed. Entitlements computed ${formatDateTime(entitlements.refreshedAt)}.`
      : "No license is installed: Premium features are off and managed agents are unlimited."),
    refreshError,
    entitlements.errors.map((text) => h("div", { class: "alert error", role: "alert", text })),
    entitlements.warnings.map((text) => h("div", { class: "alert warning", role: "status", text })),
    managedAgents(entitlements.features.find((f) => f.name === "managed_agent_limit"), entitlements.hasLicense),
    h("h2", { text: "Installed licenses" }),
    licenseTable(licenses, reload),
    uploadForm(reload, !licenses.length),
    h("h2", { text: "Features" }),
    featureTable(entitlements.features),
  );
}

/** How many managed-agent builds the usage period holds, against the soft and hard limits. */
function managedAgents(feature, hasLicense) {
  const card = h("section", { class: "card usage", "aria-labelledby": "usage-title" }, h("h2", { id: "usage-title", text: "Managed agents" }));
  if (!feature || feature.entitlement === "NOT_ENTITLED" || feature.limit === null) {
    card.append(h("p", { class: "muted", text: hasLicense
      ? "Your license is not entitled to managed agents: builds of templates with an AI task are refused."
      : "Without a license, managed agents are not limited." }));
    return card;
  }
  if (!feature.enabled || feature.limit === 0) {
    card.append(h("p", { class: "muted", text: "Managed agents are disabled by your license (a hard limit of 0)." }));
    return card;
  }
  const actual = feature.actual ?? 0;
  const hard = feature.limit;
  const soft = feature.softLimit ?? hard;
  const percent = (n) => `${Math.min(100, (n / hard) * 100).toFixed(2)}%`;
  const tone = actual >= hard ? "error" : actual >= soft ? "warning" : "ok";
  card.append(
    h("p", { class: "usage-figures" },
      h("strong", { text: formatNumber(actual) }), ` of ${formatNumber(hard)} managed agent builds used`,
      h("span", { class: "muted", text: ` · soft limit ${formatNumber(soft)}` })),
    meter(percent(actual), soft < hard ? percent(soft) : null, tone, { actual, hard, soft }),
    h("p", { class: "usage-legend muted" },
      "Builds at or above the hard limit are refused; the soft limit only warns.",
      feature.usagePeriod ? ` Counted from ${formatDateTime(feature.usagePeriod.start)} to ${formatDateTime(feature.usagePeriod.end)}.` : ""),
  );
  return card;
}

/**
 * The bar. Widths go through the CSSOM, not a `style` attribute: the UI's CSP
 * (`style-src 'self'`) refuses inline style attributes but not scripted styles.
 */
function meter(width, softAt, tone, { actual, hard, soft }) {
  const fill = h("span");
  fill.style.width = width;
  const bar = h("div", { class: `meter ${tone}`, role: "meter", "aria-label": "Managed agent builds", "aria-valuemin": "0", "aria-valuemax": String(hard), "aria-valuenow": String(actual), "aria-valuetext": `${actual} of ${hard}, soft limit ${soft}` }, fill);
  if (softAt) {
    const mark = h("i", { class: "soft-mark", title: `Soft limit: ${soft}` });
    mark.style.left = softAt;
    bar.append(mark);
  }
  return bar;
}

/** Seconds since the epoch (JWT NumericDate) as an ISO string, or null. */
function numericDate(seconds) {
  return typeof seconds === "number" ? new Date(seconds * 1000).toISOString() : null;
}

function licenseStatus(claims, expiresAt) {
  const now = Date.now();
  if (typeof claims.nbf === "number" && claims.nbf * 1000 > now) return pill("Not yet valid", "info");
  if (new Date(expiresAt).getTime() <= now) return pill("Expired", "error");
  if (typeof claims.license_expires === "number" && claims.license_expires * 1000 <= now) return pill("Grace period", "warning");
  return pill("Active", "success");
}

function licenseTable(licenses, reload) {
  return namedTable([
    { label: "ID", cell: (l) => h("span", { title: l.uuid, text: `#${l.id}` }) },
    { label: "Plan", cell: (l) => [planName(l.claims), l.claims.trial ? [" ", pill("Trial", "info")] : null] },
    { label: "Users", cell: (l) => (l.claims.features?.user_limit ? formatNumber(l.claims.features.user_limit) : "—") },
    { label: "Valid from", cell: (l) => formatDateTime(numericDate(l.claims.nbf)) },
    { label: "Term ends", cell: (l) => formatDateTime(numericDate(l.claims.license_expires)) },
    { label: "Grace ends", cell: (l) => formatDateTime(l.expiresAt) },
    { label: "Status", cell: (l) => licenseStatus(l.claims, l.expiresAt) },
    { label: "", class: "row-actions", cell: (l) => deleteButton(l, reload) },
  ], licenses, { empty: "No licenses yet. Upload one below.", caption: "Installed licenses" });
}

function planName(claims) {
  const set = String(claims.feature_set || (claims.all_features ? "enterprise" : "")).toLowerCase();
  return set ? set[0].toUpperCase() + set.slice(1) : "Features only";
}

function deleteButton(license, reload) {
  const slot = h("div", { class: "action-error" });
  const button = h("button", { type: "button", class: "secondary", text: "Delete", "aria-label": `Delete license #${license.id}` });
  button.addEventListener("click", () => confirmInline(button, {
    question: `Delete license #${license.id}?`,
    onConfirm: async (confirm) => {
      if (await rowAction(confirm, slot, () => gql(`mutation DeleteLicense($id: Int!) { deleteLicense(id: $id) { id } }`, { id: license.id }))) reload();
    },
  }));
  return h("div", {}, button, slot);
}

/** Paste the key, or pick a file whose text becomes the key (shown, so it can be checked). */
function uploadForm(reload, open) {
  const key = h("textarea", { name: "license", required: true, rows: 4, spellcheck: "false", placeholder: "eyJhbGciOiJFZERTQSIs…" });
  const file = h("input", { type: "file", accept: ".jwt,.txt,.lic,text/plain" });
  const fileError = h("div", { class: "action-error" });
  file.addEventListener("change", async () => {
    fileError.replaceChildren();
    const chosen = file.files[0];
    if (!chosen) return;
    try {
      key.value = (await chosen.text()).trim();
    } catch (error) {
      fileError.replaceChildren(errorBox(error));
    }
  });
  const form = h("form", {},
    field("License key", key, "The JWT you received, pasted as is."),
    field("Or choose a file", file),
    fileError,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Upload license" })));
  onSubmit(form, async (values) => {
    await gql(`mutation AddLicense($input: AddLicenseInput!) { addLicense(input: $input) { id } }`, { input: { license: values.license.trim() } });
    reload();
  });
  return h("details", { class: "card upload", open }, h("summary", {}, h("h2", { text: "Upload a license" })), form);
}

function featureTable(features) {
  const sorted = [...features].sort((a, b) => rank(a) - rank(b) || a.displayName.localeCompare(b.displayName));
  return namedTable([
    { label: "Feature", cell: (f) => h("span", { title: f.name, text: f.displayName }) },
    { label: "Entitlement", cell: (f) => pill(...(ENTITLEMENT[f.entitlement] || [f.entitlement])) },
    { label: "Enabled", cell: (f) => (f.enabled ? "Yes" : "No") },
    { label: "Limit", class: "num", cell: (f) => limitText(f) },
    { label: "Actual", class: "num", cell: (f) => (f.actual === null ? "—" : formatNumber(f.actual)) },
  ], sorted, { caption: "Features" });
}

/** Granted features first, so what the deployment has reads before what it lacks. */
function rank(feature) {
  return { ENTITLED: 0, GRACE_PERIOD: 1 }[feature.entitlement] ?? 2;
}

function limitText(feature) {
  if (feature.limit === null) return "—";
  if (feature.softLimit !== null && feature.softLimit !== undefined) return `${formatNumber(feature.softLimit)} soft / ${formatNumber(feature.limit)} hard`;
  return formatNumber(feature.limit);
}
