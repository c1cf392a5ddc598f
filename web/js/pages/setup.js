// First-user setup: the first account becomes the deployment's owner.

import { gql, session } from "../api.js";
import { h, field, onSubmit } from "../ui.js";

export const title = "Set up";

export async function render(view, ctx) {
  const form = h("form", { class: "card narrow", "aria-labelledby": "setup-title" },
    h("h1", { id: "setup-title", text: "Create the first user" }),
    h("p", { text: "This deployment has no users yet. The first user becomes its owner." }),
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "email" })),
    field("Username", h("input", { name: "username", required: true, maxlength: 32, autocomplete: "username" }), "1–32 letters, digits or single hyphens."),
    field("Name", h("input", { name: "name", autocomplete: "name" })),
    field("Password", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" })),
    h("button", { type: "submit", text: "Create owner" }));
  onSubmit(form, async (values) => {
    const data = await gql(`mutation CreateFirstUser($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token } }`, { input: values });
    session.set(data.createFirstUser.token);
    await ctx.refreshViewer();
    ctx.navigate(ctx.query.get("next") || "/workspaces");
  });
  view.replaceChildren(form);
  form.querySelector("input").focus();
}
