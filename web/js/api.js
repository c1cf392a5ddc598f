// The one way the UI talks to the server: GraphQL over POST /graphql with the session token
// as a Bearer header. Nothing here decides permissions; the server does.

const TOKEN_KEY = "devplane.token";

/** The session token kept in the browser. */
export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
  },
};

/**
 * A GraphQL error response. `code` is the first error's `extensions.code`; `validations`
 * lists `{ field, detail }` for input errors, so forms can show each next to its field.
 */
export class ApiError extends Error {
  constructor(errors, status) {
    const first = errors[0] || {};
    super(first.message || `The server answered ${status}.`);
    this.name = "ApiError";
    this.code = first.extensions?.code || (status >= 500 ? "INTERNAL" : "UNKNOWN");
    this.validations = first.extensions?.validations || [];
    this.errors = errors;
  }
}

/** Listeners called when the server says the session is gone (the app sends you to login). */
const unauthenticatedListeners = new Set();
export function onUnauthenticated(listener) {
  unauthenticatedListeners.add(listener);
}

/**
 * Runs one GraphQL operation and returns its `data`, or throws an ApiError.
 * `files` (optional) maps variable paths to File objects for a multipart upload.
 */
export async function gql(query, variables = {}, { files } = {}) {
  const headers = { Accept: "application/graphql-response+json, application/json" };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (files && Object.keys(files).length) {
    // The GraphQL multipart request spec: operations, map, then the files.
    body = new FormData();
    body.append("operations", JSON.stringify({ query, variables }));
    const map = {};
    Object.keys(files).forEach((path, i) => (map[i] = [`variables.${path}`]));
    body.append("map", JSON.stringify(map));
    Object.values(files).forEach((file, i) => body.append(String(i), file, file.name));
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ query, variables });
  }
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body });
  } catch {
    throw new ApiError([{ message: "The server cannot be reached. Check your connection and try again.", extensions: { code: "NETWORK" } }], 0);
  }
  let payload;
  try {
    payload = await response.json();
  } catch {
    throw new ApiError([], response.status);
  }
  if (payload.errors && payload.errors.length) {
    const error = new ApiError(payload.errors, response.status);
    if (error.code === "UNAUTHENTICATED" && token) {
      session.clear();
      unauthenticatedListeners.forEach((listener) => listener());
    }
    throw error;
  }
  return payload.data;
}
