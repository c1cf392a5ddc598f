// Templates and workspaces through the UI: create a template (after seeing an import
// error at its file and line), create a workspace from it (after a live validation
// message), follow its build to running, edit its schedule, upload a second version as a
// tar archive with a new required parameter, update the workspace onto it (giving that
// value), stop it and delete it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, newPage, screenshot, firstUser, signedIn } from "./support.mjs";

// A template like the API tests' MAIN_TF: a parameter with options, a number with a range,
// a required string, a preset with a prebuild schedule, and one agent.
const mainTf = (region) => `terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

data "coder_parameter" "region" {
  name         = "region"
  display_name = "Region"
  type         = "string"
  default      = "${region}"
  mutable      = false
  order        = 1
  option {
    name  = "Europe"
    value = "eu"
  }
  option {
    name  = "United States"
    value = "us"
  }
}

data "coder_parameter" "cpu" {
  name         = "cpu"
  display_name = "CPU cores"
  type         = "number"
  default      = 2
  mutable      = true
  order        = 2
  validation {
    min = 1
    max = 8
  }
}

data "coder_parameter" "project" {
  name        = "project"
  description = "The repository to clone."
  type        = "string"
  mutable     = true
  order       = 3
}

data "coder_workspace_preset" "small" {
  name = "small"
  parameters = {
    region = "us"
    cpu    = "1"
  }
  prebuilds {
    instances = 1
    scheduling {
      timezone = "UTC"
      schedule {
        cron      = "* 9-18 * * 1-5"
        instances = 3
      }
    }
  }
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}
`;

// Version 2 adds a required parameter, which an update must ask for.
const teamTf = `
data "coder_parameter" "team" {
  name         = "team"
  display_name = "Team"
  type         = "string"
  mutable      = true
  order        = 4
  validation {
    regex = "^[a-z]+$"
    error = "lowercase letters only"
  }
}
`;

/** A one-file ustar archive, so the test needs no tar package. */
function tarOf(name, text) {
  const content = Buffer.from(text);
  const header = Buffer.alloc(512);
  const put = (value, offset, length) => header.write(value, offset, length, "ascii");
  put(name, 0, 100);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(`${content.length.toString(8).padStart(11, "0")}\0`, 124, 12);
  put(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`, 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  const sum = header.reduce((total, byte) => total + byte, 0);
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

const { server, browser } = await serverAndBrowser();

test("a template and a workspace are created, updated and stopped through the UI", async () => {
  const token = await firstUser(server);
  await server.gql(`mutation($input: AddLicenseInput!) { addLicense(input: $input) { id } }`, { input: { license: server.signLicense() } }, token);
  const page = await newPage(browser);
  await signedIn(page, server, token, "/workspaces");

  // An empty deployment says what to do next.
  await page.getByRole("heading", { name: "Workspaces" }).waitFor();
  await page.getByText("No workspaces yet.").waitFor();
  await screenshot(page, "workspaces-empty");

  // Templates: the create form is open while there are none. A broken source first.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
  await page.getByText("No templates yet.").waitFor();
  await page.getByLabel("Name", { exact: true }).fill("docker");
  await page.getByLabel("Display name").fill("Docker");
  await page.getByLabel("Description").fill("A container with the tools of the trade.");
  const broken = mainTf("eu").replace('type         = "number"', 'type         = "integer"');
  await page.getByLabel("main.tf contents").fill(broken);
  await page.getByRole("button", { name: "Create template" }).click();
  const problems = page.locator(".tpl-import-errors li");
  await problems.first().waitFor();
  const brokenLine = broken.split("\n").findIndex((line) => line.includes('"integer"')) + 1;
  assert.equal(await problems.count(), 1);
  assert.equal(await problems.locator("code").textContent(), `main.tf:${brokenLine}`);
  assert.match(await problems.textContent(), /unknown type "integer"; expected string, number, bool or list\(string\)/);
  assert.match(await page.locator(".form-error .alert").first().textContent(), /could not be imported/);
  await screenshot(page, "template-import-error");

  await page.getByLabel("main.tf contents").fill(mainTf("eu"));
  await page.getByRole("button", { name: "Create template" }).click();
  await page.waitForURL(/#\/templates\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: "Docker", exact: true }).waitFor();
  const versions = page.locator("table.tpl-versions tbody tr");
  assert.equal(await versions.count(), 1);
  assert.match(await versions.first().textContent(), /v1\s*active/);
  const parameterRows = page.getByRole("table", { name: "Parameters" }).locator("tbody tr");
  assert.deepEqual(await parameterRows.locator("td:first-child code").allTextContents(), ["region", "cpu", "project"]);
  assert.match(await parameterRows.nth(1).textContent(), /min 1; max 8/);
  const preset = page.getByRole("table", { name: "Presets" }).locator("tbody tr").first();
  assert.match(await preset.textContent(), /small/);
  assert.match(await preset.textContent(), /09:00–18:59 Mon–Fri: 3/);
  assert.match(await preset.textContent(), /1 instance/);
  await screenshot(page, "template");

  // A workspace from it: the number parameter says at once what is wrong with 20.
  await page.getByRole("link", { name: "Create workspace" }).first().click();
  await page.waitForURL(/#\/workspaces\/new\?template=/);
  await page.getByLabel("Name", { exact: true }).fill("dev");
  const cpu = page.getByLabel("CPU cores");
  assert.equal(await cpu.inputValue(), "2");
  await cpu.fill("20");
  const cpuMessage = page.locator('[data-field="cpu"] .ws-diag');
  await cpuMessage.getByText("value 20 is more than the maximum 8").waitFor();
  assert.equal(await cpuMessage.textContent(), "Invalid parameter value according to 'validation' block: value 20 is more than the maximum 8");
  assert.equal(await cpu.getAttribute("aria-invalid"), "true");
  await screenshot(page, "workspace-create");

  // The preset fills and locks its values; choosing none unlocks them.
  await page.getByLabel("Preset").selectOption({ label: "small" });
  assert.equal(await cpu.inputValue(), "1");
  assert.equal(await cpu.getAttribute("readonly"), "");
  assert.equal(await page.getByLabel("Region").inputValue(), "us");
  assert.equal(await page.getByLabel("Region").isDisabled(), true);
  await page.getByLabel("Preset").selectOption({ label: "None: I set the parameters" });
  assert.equal(await cpu.getAttribute("readonly"), null);

  // Submitting without the required project puts the server's message at that field.
  await page.getByLabel("Region").selectOption("eu");
  await cpu.fill("4");
  await page.getByRole("button", { name: "Create workspace" }).click();
  const projectError = page.locator('[data-field="project"] .field-error').first();
  await projectError.waitFor();
  assert.match(await projectError.textContent(), /Parameter "project" is required but not provided/);
  await page.getByLabel("project (required)").fill("web");
  await page.getByRole("button", { name: "Create workspace" }).click();

  // The workspace page follows the build until it runs.
  await page.waitForURL(/#\/workspaces\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: /^dev\b/ }).waitFor();
  await page.locator(".ws-status").getByText("Running").waitFor();
  assert.match(await page.getByRole("list", { name: "Build log" }).textContent(), /Build #1 \(start on v1\) queued by admin.*Finished in/s);
  assert.match(await page.locator(".ws-agents").textContent(), /main\s*ready/);
  await page.getByText("Parameters (3)").click();
  assert.match(await page.locator(".ws-build-params").textContent(), /region\s*eu.*cpu\s*4.*project\s*web/s);
  await screenshot(page, "workspace");

  // Schedule: a TTL under a minute is refused at its field; 8 hours is kept.
  await page.getByLabel("Autostop after (hours)").fill("0.001");
  await page.getByRole("button", { name: "Save autostop" }).click();
  await page.locator('[data-field="ttlMs"] .field-error').getByText("time until shutdown must be at least one minute").waitFor();
  await page.getByLabel("Autostop after (hours)").fill("8");
  await page.getByRole("button", { name: "Save autostop" }).click();
  await page.getByText("Saved: autostop 8 h after each start.").waitFor();
  await page.locator(".ws-facts").getByText("8h", { exact: true }).waitFor();
  await page.getByLabel("Start this workspace automatically").check();
  await page.getByLabel("Time", { exact: true }).fill("07:30");
  await page.getByLabel("Time zone").fill("Europe/Paris");
  await page.getByRole("button", { name: "Save autostart" }).click();
  await page.getByText("Saved: 07:30 Mon–Fri (Europe/Paris).").waitFor();

  // A second version, uploaded as a tar archive, makes the workspace outdated.
  await page.getByRole("link", { name: "Docker" }).first().click();
  await page.getByText("Upload a new version").click();
  await page.getByLabel("Message").fill("Default region us");
  await page.getByLabel("Upload a file").check();
  await page.getByLabel("Source file (.tf or .tar)").setInputFiles({ name: "source.tar", mimeType: "application/x-tar", buffer: tarOf("main.tf", mainTf("us") + teamTf) });
  await page.getByRole("button", { name: "Upload version" }).click();
  await page.waitForURL(/\?version=/);
  await page.getByRole("heading", { name: /Version v2/ }).waitFor();
  assert.equal(await versions.count(), 2);
  assert.match(await versions.first().textContent(), /v2\s*active\s*Default region us/);
  assert.equal(await page.getByRole("table", { name: "Parameters" }).locator("tbody tr").first().locator("td").nth(2).textContent(), "us");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workspaces" }).click();
  const row = page.locator("tbody tr", { has: page.getByRole("link", { name: "dev", exact: true }) });
  await row.getByText("outdated").waitFor();
  assert.match(await row.textContent(), /Running.*Docker.*v1\s*outdated.*07:30 Mon–Fri \(Europe\/Paris\)/s);
  await screenshot(page, "workspaces");

  // Update: v2 needs a team, so the page asks for it (checked live), then the server stops
  // the workspace and starts it on v2, and the page follows it through to running.
  await row.getByRole("link", { name: "dev", exact: true }).click();
  const update = page.getByRole("button", { name: "Update to v2" });
  await update.click();
  await page.getByRole("heading", { name: "Update to v2", exact: true }).waitFor();
  const team = page.getByLabel("Team (required)");
  await team.fill("Ops");
  await page.locator('[data-field="team"] .ws-diag').getByText('lowercase letters only (value "Ops" does not match "^[a-z]+$")').waitFor();
  await team.fill("ops");
  await page.getByRole("button", { name: "Update with these values" }).click();
  await page.locator(".ws-status").getByText("Running").waitFor();
  await page.getByRole("heading", { name: /Latest build #3/ }).waitFor();
  const facts = page.locator(".ws-facts").first();
  assert.match(await facts.textContent(), /Versionv2/);
  assert.equal(await facts.getByText("outdated").count(), 0);
  assert.equal(await update.count(), 0);
  await page.getByText("Parameters (4)").click();
  assert.match(await page.locator(".ws-build-params").textContent(), /region\s*eu.*cpu\s*4.*project\s*web.*team\s*ops/s);

  // Stop, and the page follows it to stopped.
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await page.locator(".ws-status").getByText("Stopped").waitFor();
  assert.match(await page.getByRole("heading", { name: /Latest build #4/ }).textContent(), /stop · succeeded/);
  assert.equal(await page.locator(".ws-agents").count(), 0);
  await page.getByRole("button", { name: "Start", exact: true }).waitFor();

  // The same pages on a phone.
  const phone = await newPage(browser, { viewport: { width: 390, height: 844 } });
  await signedIn(phone, server, token, "/workspaces");
  // signedIn's first load may still be redirecting when it sets the token; wait for the
  // signed-in shell before going to the workspace.
  await phone.locator("#account .who").waitFor();
  await phone.goto(page.url());
  await phone.locator(".ws-status").getByText("Stopped").waitFor();
  await screenshot(phone, "workspace-phone");
  await phone.goto(`${server.url}/#/workspaces`);
  await phone.locator("tbody tr", { hasText: "dev" }).first().waitFor();
  await screenshot(phone, "workspaces-phone");

  // Deleting from the list asks first, then the row goes once the delete build is done.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workspaces" }).click();
  page.once("dialog", (dialog) => {
    assert.equal(dialog.message(), 'Delete workspace "dev"? Its resources are destroyed.');
    dialog.accept();
  });
  await page.getByRole("button", { name: "Delete dev" }).click();
  await page.getByText("No workspaces yet.").waitFor();

  assert.deepEqual(page.pageErrors, []);
  assert.deepEqual(phone.pageErrors, []);
});
