// Progressive enhancement for every page: NHS.UK frontend components (no inline script, for the CSP).
import { initAll } from "./nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
