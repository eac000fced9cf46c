// Start GOV.UK Frontend's components (loaded as a module, so allowed by the CSP).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
