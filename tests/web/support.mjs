// Test support for the browser tests: a real `devplane server` on a fresh SQLite database
// and a free port, a license key it trusts, and headless Chromium.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { generateKeyPairSync, sign, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { after } from "node:test";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The server binary; `.ci/run` builds it before these tests. */
export const BINARY = process.env.DEVPLANE_BIN || join(ROOT, "target/debug/devplane");
/** Where screenshots go. */
export const SCREENSHOTS = join(ROOT, "target/web-screenshots");

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

function base64url(data) {
  return Buffer.from(data).toString("base64url");
}

/**
 * Starts a server. `args` are extra `devplane server` flags. Returns
 * `{ url, stop(), signLicense(features, featureSet), gql(query, variables, token), log() }`.
 */
export async function startServer(args = []) {
  const dir = mkdtempSync(join(tmpdir(), "devplane-web-"));
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The raw 32-byte key is the tail of the SPKI DER encoding.
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const keysFile = join(dir, "license-keys.json");
  writeFileSync(keysFile, JSON.stringify({ "web-test": raw.toString("base64") }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(BINARY, [
    "server",
    "--listen-address", `127.0.0.1:${port}`,
    "--database-url", `sqlite://${join(dir, "devplane.db")}?mode=rwc`,
    "--license-keys-file", keysFile,
    "--provisioner-delay", "300ms",
    ...args,
  ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DEVPLANE_LOG_LEVEL: "warn" } });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((done) => child.on("exit", done));

  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`devplane exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (i > 200) throw new Error(`devplane did not start in 20 s:\n${output}`);
    await new Promise((done) => setTimeout(done, 100));
  }

  return {
    url,
    log: () => output,
    /** A license JWT signed with the key this server trusts. */
    signLicense(features = { user_limit: 100 }, featureSet = "premium") {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: "EdDSA", typ: "JWT", kid: "web-test" };
      const claims = {
        jti: randomUUID(), iss: "web-test@devplane.test", iat: now - 60, nbf: now - 60,
        license_expires: now + 30 * 86400, exp: now + 37 * 86400,
        account_type: "salesforce", account_id: "web-test", version: 3,
        feature_set: featureSet, features,
      };
      const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
      return `${input}.${base64url(sign(null, Buffer.from(input), privateKey))}`;
    },
    /** A GraphQL call from outside the browser, for setting up state a test is not about. */
    async gql(query, variables = {}, token) {
      const headers = { "content-type": "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium (Debian's), with the flags this sandbox needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page at 1280×800 (or `viewport`) that fails the test on any uncaught page error. */
export async function newPage(browser, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.pageErrors = [];
  page.on("pageerror", (error) => page.pageErrors.push(error));
  return page;
}

/** Saves a full-page screenshot as target/web-screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Creates the first user through the API and returns its token (for tests about other pages). */
export async function firstUser(server, { email = "admin@example.com", username = "admin", password = "admin-password-1" } = {}) {
  const data = await server.gql(
    `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token } }`,
    { input: { email, username, name: "Admin", password } },
  );
  return data.createFirstUser.token;
}

/**
 * Opens the UI at `path` signed in with `token`. The token is in place before the page's
 * own scripts run, so the first load never detours through the sign-in page.
 */
export async function signedIn(page, server, token, path = "/workspaces") {
  await page.addInitScript((value) => {
    if (!sessionStorage.getItem("devplane.test.signed-in")) {
      localStorage.setItem("devplane.token", value);
      sessionStorage.setItem("devplane.test.signed-in", "1");
    }
  }, token);
  await page.goto(`${server.url}/#${path}`);
  await page.locator("#account .who").waitFor();
}

/**
 * A server (with `args`) and a browser for one test file, stopped when its tests are done:
 * `const { server, browser } = await serverAndBrowser();` at the top of the file.
 */
export async function serverAndBrowser(args = []) {
  const server = await startServer(args);
  const browser = await launchBrowser();
  after(async () => {
    await browser.close();
    await server.stop();
  });
  return { server, browser };
}
