// Progressive enhancement for every page: NHS.UK frontend components (no inline script, for the CSP).
import { initAll } from "./nhsuk-frontend.min.js";
import "./story-draft.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Print buttons: a print view carries a hidden <button data-jup-print>, shown when JS can print.
document.querySelectorAll("[data-jup-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// Directory search: leave empty fields out of the address, so bookmarks stay short.
document.querySelector("form.jup-search")?.addEventListener("formdata", (event) => {
  for (const [key, value] of [...event.formData.entries()]) {
    if (value === "") event.formData.delete(key);
  }
});

// "Add another" rows for the service editor. Without JavaScript the page already offers blank
// rows; with it, a button adds one more from the formset's empty form (a <template>).
document.querySelectorAll("template[data-formset-empty]").forEach((template) => {
  const prefix = template.dataset.formsetEmpty;
  const rows = document.querySelector(`[data-formset-rows="${prefix}"]`);
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
  if (!rows || !total) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "nhsuk-button nhsuk-button--secondary nhsuk-button--small";
  button.textContent = template.dataset.addLabel || "Add another";
  button.addEventListener("click", () => {
    const index = Number(total.value);
    if (max && index >= Number(max.value)) return;
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
    total.value = String(index + 1);
    const field = rows.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus();
  });
  rows.after(button);
});
