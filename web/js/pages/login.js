// Sign in with email and password; the session token is kept in the browser.

import { gql, session } from "../api.js";
import { h, field, onSubmit } from "../ui.js";

export const title = "Sign in";

export async function render(view, ctx) {
  const form = h("form", { class: "card narrow", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title", text: "Sign in" }),
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "username" })),
    field("Password", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
    h("button", { type: "submit", text: "Sign in" }));
  onSubmit(form, async (values) => {
    const data = await gql(`mutation Login($input: LoginInput!) { login(input: $input) { token } }`, { input: values });
    session.set(data.login.token);
    await ctx.refreshViewer();
    ctx.navigate(ctx.query.get("next") || "/workspaces");
  });
  view.replaceChildren(form);
  form.querySelector("input").focus();
}
