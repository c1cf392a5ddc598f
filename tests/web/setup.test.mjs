// First-user setup, sign-out and sign-in through the UI.

import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, newPage, screenshot } from "./support.mjs";

const { server, browser } = await serverAndBrowser();

test("the first user sets up the deployment, signs out and signs back in", async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/`);
  await page.getByRole("heading", { name: "Create the first user" }).waitFor();
  await screenshot(page, "setup");

  await page.getByLabel("Email").fill("owner@example.com");
  await page.getByLabel("Username").fill("owner");
  await page.getByLabel("Name", { exact: true }).fill("Olive Owner");
  // Too short: the server's validation detail lands next to the password field.
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create owner" }).click();
  const passwordError = page.locator('[data-field="password"] .field-error');
  await passwordError.waitFor();
  assert.equal(await passwordError.textContent(), "must be at least 8 characters");
  assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");

  await page.getByLabel("Password").fill("a-long-enough-password");
  await page.getByRole("button", { name: "Create owner" }).click();
  await page.waitForURL(/#\/workspaces/);
  assert.equal(await page.locator("#account .who").textContent(), "Olive Owner");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("devplane.token")), null);
  await screenshot(page, "login");

  await page.getByLabel("Email").fill("owner@example.com");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").first().waitFor();
  assert.match(await page.getByRole("alert").first().textContent(), /incorrect|invalid/i);

  await page.getByLabel("Password").fill("a-long-enough-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/#\/workspaces/);
  // A reload keeps the session and the page.
  await page.reload();
  await page.locator("#account .who").waitFor();
  assert.match(page.url(), /#\/workspaces/);
  assert.deepEqual(page.pageErrors, []);
});
