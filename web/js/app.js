// The shell: hash routing (`/#/workspaces?x=y`, so a reload always loads `/`), the
// navigation, and the session. Each page is a module under pages/ exporting
// `render(view, ctx)`; see pages/README.md for the contract.

import { gql, session, onUnauthenticated } from "./api.js";
import { h, errorBox, loading } from "./ui.js";

/** Path patterns, first match wins; `:name` captures one segment into ctx.params. */
const ROUTES = [
  ["/setup", "setup"],
  ["/login", "login"],
  ["/workspaces", "workspaces"],
  ["/workspaces/new", "workspace-create"],
  ["/workspaces/:id", "workspace"],
  ["/templates", "templates"],
  ["/templates/:id", "template"],
  ["/prebuilds", "prebuilds"],
  ["/connection-log", "connection-log"],
  ["/licenses", "licenses"],
  ["/users", "users"],
  ["/organizations", "organizations"],
  ["/groups", "groups"],
  ["/groups/:id", "group"],
];

/** Navigation entries; `roles` limits an entry to users holding one of those site roles. */
const NAV = [
  { path: "/workspaces", label: "Workspaces" },
  { path: "/templates", label: "Templates" },
  { path: "/prebuilds", label: "Prebuilds", roles: ["OWNER", "TEMPLATE_ADMIN"] },
  { path: "/connection-log", label: "Connection log", roles: ["OWNER", "AUDITOR"] },
  { path: "/licenses", label: "Licenses", roles: ["OWNER"] },
  { path: "/users", label: "Users", roles: ["OWNER", "USER_ADMIN"] },
  { path: "/organizations", label: "Organizations" },
  { path: "/groups", label: "Groups", roles: ["OWNER", "USER_ADMIN"] },
];

const PUBLIC = new Set(["setup", "login"]);

let viewer = null;
let leave = null;

const VIEWER_QUERY = `query Viewer { viewer { id username name email siteRoles organizationMemberships { organization { id name displayName } roles } } }`;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path.replace(/\/+$/, "") || "/", query: new URLSearchParams(search) };
}

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((segment, i) => (segment.startsWith(":") ? ((params[segment.slice(1)] = decodeURIComponent(parts[i])), true) : segment === parts[i]))) {
      return { page, params };
    }
  }
  return null;
}

/** Goes to `path` with `query` (an object or URLSearchParams); `replace` keeps history short. */
export function navigate(path, query, { replace = false } = {}) {
  const search = query ? new URLSearchParams(query).toString() : "";
  const hash = `#${path}${search ? `?${search}` : ""}`;
  if (replace) {
    history.replaceState(null, "", hash);
    render();
  } else if (location.hash === hash) {
    render();
  } else {
    location.hash = hash;
  }
}

/** Whether the signed-in user holds one of `roles` as a site role. */
export function hasRole(...roles) {
  return !!viewer && viewer.siteRoles.some((role) => roles.includes(role));
}

function renderNav(current) {
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  if (!viewer) {
    nav.replaceChildren();
    account.replaceChildren(h("a", { href: "/graphql", text: "GraphiQL" }));
    return;
  }
  nav.replaceChildren(h("ul", {}, NAV.filter((item) => !item.roles || hasRole(...item.roles)).map((item) =>
    h("li", {}, h("a", { href: `#${item.path}`, "aria-current": current.startsWith(item.path) ? "page" : null, text: item.label })))));
  account.replaceChildren(
    h("a", { href: "/graphql", text: "GraphiQL" }),
    h("span", { class: "who", title: viewer.email, text: viewer.name || viewer.username }),
    h("button", { type: "button", class: "secondary", id: "logout", onclick: logout, text: "Sign out" }),
  );
}

async function logout() {
  try {
    await gql(`mutation Logout { logout { id } }`);
  } catch {
    // The token is dropped either way.
  }
  session.clear();
  viewer = null;
  navigate("/login");
}

/** Reloads the signed-in user (after a login, or when a page changed the viewer's roles). */
export async function refreshViewer() {
  viewer = session.token ? (await gql(VIEWER_QUERY)).viewer : null;
  return viewer;
}

async function render() {
  leave?.abort();
  const controller = new AbortController();
  leave = controller;
  const view = document.getElementById("view");
  const { path, query } = parseHash();
  try {
    if (!viewer && session.token) await refreshViewer().catch((error) => {
      if (error.code !== "UNAUTHENTICATED") throw error;
    });
    // A newer render (the user or a test moved on meanwhile) decides where to go, not this one.
    if (controller.signal.aborted) return;
    let route = match(path);
    if (!viewer && (!route || !PUBLIC.has(route.page))) {
      const { hasFirstUser } = await gql(`query Setup { hasFirstUser }`);
      if (controller.signal.aborted) return;
      return navigate(hasFirstUser ? "/login" : "/setup", path !== "/" && path !== "/login" && path !== "/setup" ? { next: path } : null, { replace: true });
    }
    if (viewer && (path === "/" || (route && PUBLIC.has(route.page)))) {
      return navigate("/workspaces", null, { replace: true });
    }
    renderNav(path);
    if (!route) {
      view.replaceChildren(h("h1", { text: "Page not found" }), h("p", {}, h("a", { href: "#/workspaces", text: "Back to workspaces" })));
      return;
    }
    view.replaceChildren(loading());
    const module = await import(`./pages/${route.page}.js`);
    if (controller.signal.aborted) return;
    const ctx = { params: route.params, query, viewer, navigate, hasRole, refreshViewer, signal: controller.signal, path };
    document.title = module.title ? `${typeof module.title === "function" ? module.title(ctx) : module.title} · devplane` : "devplane";
    await module.render(view, ctx);
  } catch (error) {
    if (!controller.signal.aborted) view.replaceChildren(errorBox(error));
  }
}

onUnauthenticated(() => {
  viewer = null;
  navigate("/login", null, { replace: true });
});
window.addEventListener("hashchange", render);
render();
