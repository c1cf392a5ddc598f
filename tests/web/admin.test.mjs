// The admin pages through the UI: the connection log's paywall, a license upload and its
// features, the connection log's filter and pages (with a workspace's agent reporting real
// events), pausing prebuilds, and users and groups.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { serverAndBrowser, newPage, screenshot, firstUser, signedIn } from "./support.mjs";

// A template small enough to read: one optional parameter, one agent, and a preset that
// keeps two prebuilt workspaces ready, so the prebuilds page has a row.
const MAIN_TF = `
data "coder_parameter" "size" {
  name    = "size"
  type    = "string"
  default = "small"
  mutable = true
}

data "coder_workspace_preset" "ready" {
  name       = "ready"
  parameters = { size = "small" }
  prebuilds {
    instances = 2
  }
}

resource "coder_agent" "dev" {
  os   = "linux"
  arch = "amd64"
}
`;

const SSH_SESSIONS = 30;

const { server, browser } = await serverAndBrowser();
const token = await firstUser(server);

/** Creates the template and a workspace through the API and waits for its agent. */
async function runningWorkspace() {
  const { viewer } = await server.gql(`{ viewer { id organizationMemberships { organization { id } } } }`, {}, token);
  const org = viewer.organizationMemberships[0].organization.id;
  const { createTemplate } = await server.gql(
    `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }`,
    { input: { organizationId: org, name: "docker", displayName: "Docker", files: [{ path: "main.tf", content: MAIN_TF }] } }, token);
  const { createWorkspace } = await server.gql(
    `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
    { input: { templateId: createTemplate.id, name: "dev" } }, token);
  for (let i = 0; i < 100; i++) {
    const { workspace } = await server.gql(`query($id: UUID!) { workspace(id: $id) { agents { id } latestBuild { job { status } } } }`, { id: createWorkspace.id }, token);
    if (workspace.agents.length) return { viewer, workspace: createWorkspace.id, agent: workspace.agents[0].id };
    assert.notEqual(workspace.latestBuild.job.status, "FAILED");
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error("the workspace's agent never came up");
}

/** Reports events as the agent would, with its own token. */
async function reportAsAgent(agentToken, events) {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "coder-agent-token": agentToken },
    body: JSON.stringify({ query: `mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }`, variables: { input: events } }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.reportConnections.recorded;
}

/**
 * SSH sessions spread over the last three days (closed, with exit codes), a few ongoing
 * IDE sessions, and web connections: enough for two pages of `type:ssh`.
 */
async function seedConnections({ viewer, agent }) {
  const { createWorkspaceAgentToken } = await server.gql(`mutation($id: UUID!) { createWorkspaceAgentToken(agentId: $id) { token } }`, { id: agent }, token);
  const now = Date.now();
  const at = (minutesAgo) => new Date(now - minutesAgo * 60_000).toISOString();
  const events = [];
  for (let i = 0; i < SSH_SESSIONS; i++) {
    const id = randomUUID();
    const start = 30 + i * 140; // every 2h20m, back over about three days
    events.push({ connectionId: id, action: "CONNECT", type: "SSH", time: at(start), ip: "10.0.0.7" });
    events.push({ connectionId: id, action: "DISCONNECT", type: "SSH", time: at(start - 12), reason: i % 7 ? "" : "client closed the connection", statusCode: i % 5 === 4 ? 255 : 0 });
  }
  for (const [type, minutesAgo] of [["VSCODE", 5], ["JETBRAINS", 50], ["RECONNECTING_PTY", 200]]) {
    events.push({ connectionId: randomUUID(), action: "CONNECT", type, time: at(minutesAgo), ip: "192.168.1.20" });
  }
  assert.equal(await reportAsAgent(createWorkspaceAgentToken.token, events), events.length);
  const web = `mutation($input: ReportWebConnectionInput!) { reportWebConnection(input: $input) { recorded } }`;
  const browserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
  await server.gql(web, { input: { agentId: agent, type: "WORKSPACE_APP", time: at(3), slugOrPort: "code-server", statusCode: 200, userId: viewer.id, userAgent: browserAgent, ip: "10.0.0.9" } }, token);
  await server.gql(web, { input: { agentId: agent, type: "PORT_FORWARDING", time: at(8), slugOrPort: "8080", statusCode: 403, userAgent: "curl/8.5.0", ip: "203.0.113.4" } }, token);
  await server.gql(web, { input: { agentId: agent, type: "WORKSPACE_APP", time: at(20), slugOrPort: "jupyter", statusCode: 303, userId: viewer.id, userAgent: browserAgent } }, token);
}

test("an owner licenses the deployment and uses the admin pages", async () => {
  const page = await newPage(browser);

  // Without a license, the connection log is Coder's paywall.
  await signedIn(page, server, token, "/connection-log");
  await page.getByRole("heading", { name: "Connection Log", level: 2 }).waitFor();
  assert.match(await page.locator(".paywall").textContent(),
    /Connection logs allow you to see how and when users connect to workspaces\. You need a Premium license to use this feature\./);
  assert.equal(await page.getByRole("search").count(), 0);
  await screenshot(page, "connection-log-paywall");

  // A garbage key is refused next to the field; a signed one is installed.
  await page.getByRole("link", { name: "Upload a license" }).click();
  await page.waitForURL(/#\/licenses/);
  await page.getByLabel("License key").fill("not-a-license");
  await page.getByRole("button", { name: "Upload license" }).click();
  const keyError = page.locator('[data-field="license"] .field-error');
  await keyError.waitFor();
  assert.ok((await keyError.textContent()).length > 0);
  assert.equal(await page.getByLabel("License key").getAttribute("aria-invalid"), "true");

  const license = server.signLicense({ user_limit: 100, managed_agent_limit_soft: 40, managed_agent_limit_hard: 50 });
  await page.getByLabel("License key").fill(license);
  await page.getByRole("button", { name: "Upload license" }).click();
  const installed = page.getByRole("table", { name: "Installed licenses" });
  await installed.getByRole("cell", { name: "Active" }).waitFor();
  assert.match(await installed.textContent(), /Premium/);
  const features = page.getByRole("table", { name: "Features" });
  const featureRow = (name) => features.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });
  assert.match(await featureRow("Connection Log").textContent(), /Entitled\s*Yes/);
  assert.match(await featureRow("Workspace Prebuilds").textContent(), /Entitled/);
  assert.match(await featureRow("User Limit").textContent(), /100\s*1$/);
  assert.match(await featureRow("Managed Agent Limit").textContent(), /40 soft \/ 50 hard/);
  assert.match(await page.locator(".usage").textContent(), /0 of 50 managed agent builds used · soft limit 40/);
  assert.equal(await page.getByRole("meter", { name: "Managed agent builds" }).getAttribute("aria-valuemax"), "50");
  await screenshot(page, "licenses");

  // Real events from a workspace's agent.
  await seedConnections(await runningWorkspace());

  // The type menu writes `type:ssh` into the box; the URL keeps it.
  await page.goto(`${server.url}/#/connection-log`);
  await page.getByRole("search").waitFor();
  await page.locator(".log-row").first().waitFor();
  assert.match(await page.locator(".pagination .showing").textContent(), /^Showing 1 to 25 of 36 logs$/);
  await screenshot(page, "connection-log");
  await page.getByRole("combobox", { name: "Type" }).selectOption("ssh");
  await page.waitForURL(/filter=type%3Assh/);
  assert.equal(await page.getByLabel("Filter", { exact: true }).inputValue(), "type:ssh");
  await page.getByText("Showing 1 to 25 of 30 logs").waitFor();
  assert.equal(await page.locator(".log-row").count(), 25);
  assert.match(await page.locator(".log-row").first().textContent(), /SSH session to admin's dev workspace/);
  // The newest SSH session started 30 minutes ago and closed 12 minutes later with exit code 0.
  assert.equal(await page.locator(".log-row").first().getByLabel("SSH Exit Code: 0").count(), 1);
  assert.ok(await page.locator(".log-day .day").count() >= 2, "entries are grouped by day");

  await page.getByRole("button", { name: "2", exact: true }).click();
  await page.waitForURL(/page=2/);
  assert.match(page.url(), /filter=type%3Assh/);
  await page.getByText("Showing 26 to 30 of 30 logs").waitFor();
  assert.equal(await page.locator(".log-row").count(), 5);
  // A reload keeps the filter and the page.
  await page.reload();
  await page.getByText("Showing 26 to 30 of 30 logs").waitFor();
  assert.equal(await page.getByLabel("Filter", { exact: true }).inputValue(), "type:ssh");

  // Typed filters go through the same parser: web rows and the invalid one's message.
  await page.getByLabel("Filter", { exact: true }).fill("type:workspace_app");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Showing 1 to 2 of 2 logs").waitFor();
  assert.doesNotMatch(page.url(), /page=/);
  const apps = await page.locator(".log-row .sentence").allTextContents();
  assert.deepEqual(apps, ["admin opened code-server in their dev workspace", "admin was redirected attempting to open jupyter in their dev workspace"]);

  await page.getByLabel("Filter", { exact: true }).fill("type:telnet");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText('Query param "type" has invalid value: "telnet" is not a valid value').waitFor();
  assert.equal(await page.getByLabel("Filter", { exact: true }).getAttribute("aria-invalid"), "true");
  await page.getByText("An error occurred while loading connection logs").waitFor();
  await screenshot(page, "connection-log-invalid-filter");

  await page.getByRole("button", { name: "Active SSH connections" }).click();
  await page.waitForURL(/filter=status%3Aongoing/);
  await page.getByText("No connection logs available").waitFor();

  // Prebuilds: the preset's row, and the switch.
  await page.goto(`${server.url}/#/prebuilds`);
  const presets = page.getByRole("table", { name: "Presets with prebuilds" });
  await presets.getByRole("cell", { name: "ready" }).waitFor();
  assert.match(await presets.textContent(), /Docker/);
  const toggle = page.getByRole("switch", { name: "Prebuild reconciliation" });
  assert.equal(await toggle.getAttribute("aria-checked"), "true");
  await toggle.click();
  await page.locator(".switch-state", { hasText: "Paused" }).waitFor();
  assert.equal(await toggle.getAttribute("aria-checked"), "false");
  assert.equal((await server.gql(`{ prebuildsSettings { reconciliationPaused } }`, {}, token)).prebuildsSettings.reconciliationPaused, true);
  await screenshot(page, "prebuilds-paused");
  await toggle.click();
  await page.locator(".switch-state", { hasText: "Running" }).waitFor();
  assert.equal((await server.gql(`{ prebuildsSettings { reconciliationPaused } }`, {}, token)).prebuildsSettings.reconciliationPaused, false);
  await screenshot(page, "prebuilds");

  // Users: create one through the form.
  await page.goto(`${server.url}/#/users`);
  await page.getByText("Create a user").click();
  await page.getByLabel("Email").fill("dana@example.com");
  await page.getByLabel("Username").fill("dana");
  await page.getByLabel("Name", { exact: true }).fill("Dana Developer");
  await page.getByLabel("Password").fill("dana-password-1");
  await page.getByRole("checkbox", { name: "Auditor" }).check();
  await page.getByRole("button", { name: "Create user" }).click();
  const dana = page.getByRole("row").filter({ hasText: "dana@example.com" });
  await dana.waitFor();
  assert.match(await dana.textContent(), /Active/);
  assert.match(await dana.textContent(), /Auditor/);
  await dana.getByRole("button", { name: "Suspend dana" }).click();
  await page.getByRole("row").filter({ hasText: "dana@example.com" }).getByText("Suspended").waitFor();
  await page.getByRole("row").filter({ hasText: "dana@example.com" }).getByRole("button", { name: "Activate dana" }).click();
  await page.getByRole("row").filter({ hasText: "dana@example.com" }).getByText("Active", { exact: true }).waitFor();
  // The server's refusal lands next to the row that asked: nobody changes their own roles.
  const admin = page.getByRole("row").filter({ hasText: "admin@example.com" });
  await admin.getByRole("button", { name: "Edit roles of admin" }).click();
  await admin.getByRole("checkbox", { name: "Auditor" }).check();
  await admin.getByRole("button", { name: "Save roles" }).click();
  await admin.getByRole("alert").first().waitFor();
  await screenshot(page, "users");

  // Groups: create one in the default organization and add the new user.
  await page.goto(`${server.url}/#/groups`);
  await page.getByText("Create a group").click();
  await page.getByLabel("Name", { exact: true }).fill("frontend");
  await page.getByLabel("Display name").fill("Frontend team");
  await page.getByLabel("Quota allowance").fill("12");
  await page.getByRole("button", { name: "Create group" }).click();
  await page.getByRole("heading", { name: "Frontend team", level: 1 }).waitFor();
  await page.getByLabel("Organization member").selectOption({ label: "Dana Developer (dana)" });
  await page.getByRole("button", { name: "Add member" }).click();
  const members = page.getByRole("table", { name: "Members" });
  await members.getByText("Dana Developer (dana)").waitFor();
  const { group } = await server.gql(`query($id: UUID!) { group(id: $id) { quotaAllowance members { username } } }`,
    { id: page.url().split("/groups/")[1] }, token);
  assert.deepEqual(group, { quotaAllowance: 12, members: [{ username: "dana" }] });
  await screenshot(page, "group");
  await page.goto(`${server.url}/#/groups`);
  const groupRow = page.getByRole("row").filter({ hasText: "Frontend team" });
  await groupRow.waitFor();
  assert.match(await groupRow.textContent(), /Frontend team\s*frontend\s*1\s*12/);
  await screenshot(page, "groups");

  await page.goto(`${server.url}/#/organizations`);
  await page.getByRole("table", { name: "Organizations" }).waitFor();
  await page.getByRole("link", { name: /^Members of/ }).first().click();
  await page.getByRole("table", { name: "Members" }).getByText("Dana Developer (dana)").waitFor();
  await screenshot(page, "organization-members");
  assert.deepEqual(page.pageErrors, []);
});

test("the connection log reads at phone width", async () => {
  const page = await newPage(browser, { viewport: { width: 390, height: 844 } });
  await signedIn(page, server, token, "/connection-log?filter=type%3Assh");
  await page.getByText("Showing 1 to 25 of 30 logs").waitFor();
  // Nothing wider than the screen: no sideways scrolling on a phone.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "no horizontal overflow");
  await screenshot(page, "connection-log-390");
  await page.goto(`${server.url}/#/licenses`);
  await page.getByRole("table", { name: "Features" }).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "no horizontal overflow");
  await screenshot(page, "licenses-390");
  assert.deepEqual(page.pageErrors, []);
});
