// Swagger UI over the gateway's own OpenAPI document. A file, not an inline script, so
// the page runs under a Content-Security-Policy that allows only this origin.
"use strict";

window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from the public validator: the page talks to this origin only.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
  });
});
