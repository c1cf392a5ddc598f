// devplane web UI: a thin client of /graphql. The session token lives in localStorage and
// is sent as a Bearer token; nothing here decides permissions, the server does.

const TOKEN_KEY = "devplane.token";

async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/graphql-response+json" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const details = (first.extensions?.validations || []).map((v) => `${v.field}: ${v.detail}`).join("; ");
    const error = new Error(details ? `${first.message} ${details}` : first.message);
    error.code = first.extensions?.code;
    throw error;
  }
  return body.data;
}

function show(id) {
  for (const section of ["setup", "login", "home"]) {
    document.getElementById(section).hidden = section !== id;
  }
  document.getElementById("logout").hidden = id !== "home";
}

function showError(message) {
  const el = document.getElementById("error");
  el.textContent = message;
  el.hidden = !message;
}

async function loadHome() {
  const data = await gql(`query Home { viewer { username name siteRoles } organizations { id name displayName } }`);
  document.getElementById("viewer-name").textContent = data.viewer.name || data.viewer.username;
  document.getElementById("viewer-roles").textContent = data.viewer.siteRoles.join(", ");
  const list = document.getElementById("organizations");
  list.replaceChildren(...data.organizations.map((org) => {
    const item = document.createElement("li");
    item.textContent = `${org.displayName} (${org.name})`;
    return item;
  }));
  show("home");
}

async function start() {
  showError("");
  if (localStorage.getItem(TOKEN_KEY)) {
    try {
      await loadHome();
      return;
    } catch (error) {
      if (error.code !== "UNAUTHENTICATED") throw error;
      localStorage.removeItem(TOKEN_KEY);
    }
  }
  const { hasFirstUser } = await gql(`query Setup { hasFirstUser }`);
  show(hasFirstUser ? "login" : "setup");
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

document.getElementById("setup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const data = await gql(
      `mutation CreateFirstUser($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token } }`,
      { input: formValues(event.target) },
    );
    localStorage.setItem(TOKEN_KEY, data.createFirstUser.token);
    await start();
  } catch (error) {
    showError(error.message);
  }
});

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const data = await gql(`mutation Login($input: LoginInput!) { login(input: $input) { token } }`, {
      input: formValues(event.target),
    });
    localStorage.setItem(TOKEN_KEY, data.login.token);
    await start();
  } catch (error) {
    showError(error.message);
  }
});

document.getElementById("logout").addEventListener("click", async () => {
  localStorage.removeItem(TOKEN_KEY);
  await start();
});

start().catch((error) => showError(error.message));
