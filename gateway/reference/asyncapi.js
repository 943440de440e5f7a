// The AsyncAPI document as a page: channels, the messages on each, and their payloads.
// Rendered here from /api/asyncapi.json with DOM calls only (no HTML strings, no inline
// script), so it runs under a Content-Security-Policy that allows only this origin.
"use strict";

const MAX_DEPTH = 8;
const CONSTRAINTS = [
  ["format", "format"],
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["pattern", "pattern"],
  ["minimum", "≥"],
  ["exclusiveMinimum", ">"],
  ["maximum", "≤"],
  ["exclusiveMaximum", "<"],
  ["minItems", "min items"],
  ["maxItems", "max items"],
  ["default", "default"],
];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

function resolve(doc, schema) {
  if (!schema || typeof schema !== "object" || !schema.$ref) return schema || {};
  const path = schema.$ref.replace(/^#\//, "").split("/");
  let found = doc;
  for (const part of path) found = found ? found[part] : undefined;
  return found || {};
}

// allOf parts folded into one object schema: later parts' properties win.
function flatten(doc, schema) {
  const resolved = resolve(doc, schema);
  if (!resolved.allOf) return resolved;
  const merged = { ...resolved, properties: {}, required: [] };
  delete merged.allOf;
  for (const part of resolved.allOf) {
    const flat = flatten(doc, part);
    Object.assign(merged.properties, flat.properties || {});
    merged.required.push(...(flat.required || []));
    if (flat.type && !merged.type) merged.type = flat.type;
    if (flat.description && !merged.description) merged.description = flat.description;
  }
  return merged;
}

function typeLabel(doc, schema) {
  if (!schema || typeof schema !== "object") return "any";
  if (schema.$ref) return refName(schema.$ref);
  if ("const" in schema) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  for (const key of ["anyOf", "oneOf"]) {
    if (schema[key]) return schema[key].map((s) => typeLabel(doc, s)).join(" | ");
  }
  if (schema.allOf) return schema.allOf.map((s) => typeLabel(doc, s)).join(" & ");
  if (schema.type === "array") return `array of ${typeLabel(doc, schema.items)}`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type === "object" && schema.additionalProperties && !schema.properties) {
    return `map of ${typeLabel(doc, schema.additionalProperties)}`;
  }
  return schema.type || (schema.properties ? "object" : "any");
}

function constraints(schema) {
  const found = CONSTRAINTS.filter(([key]) => key in schema).map(
    ([key, label]) => `${label} ${JSON.stringify(schema[key])}`,
  );
  return found.length ? el("span", { class: "constraints" }, found.join(" · ")) : null;
}

// The object schemas worth opening below a property (itself, array items, alternatives).
function nested(doc, schema) {
  const candidates = [schema, schema.items, ...(schema.anyOf || []), ...(schema.oneOf || [])];
  return candidates
    .filter((s) => s && typeof s === "object")
    .map((s) => flatten(doc, s))
    .filter((s) => s.properties && Object.keys(s.properties).length);
}

function schemaTable(doc, schema, depth) {
  const flat = flatten(doc, schema);
  const properties = flat.properties || {};
  if (!Object.keys(properties).length) {
    return el("p", { class: "schema-leaf" }, el("code", {}, typeLabel(doc, schema)),
      " ", constraints(flat));
  }
  const required = new Set(flat.required || []);
  const rows = Object.entries(properties).map(([name, raw]) => {
    const property = resolve(doc, raw);
    const described = raw.description || property.description;
    const detail = el("td", {},
      described ? el("p", {}, described) : null,
      constraints(raw.$ref ? property : raw));
    if (depth < MAX_DEPTH) {
      for (const inner of nested(doc, raw)) {
        const title = inner.title || typeLabel(doc, raw);
        detail.append(el("details", {}, el("summary", {}, title), schemaTable(doc, inner, depth + 1)));
      }
    }
    return el("tr", {},
      el("th", { scope: "row" }, el("code", {}, name),
        required.has(name) ? el("span", { class: "required", title: "required" }, " *") : null),
      el("td", {}, el("code", {}, typeLabel(doc, raw))),
      detail);
  });
  return el("table", { class: "schema" },
    el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "about"))),
    el("tbody", {}, rows));
}

function anchor(kind, key) {
  return `${kind}-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

function channelSection(doc, operationsByChannel) {
  const channels = Object.entries(doc.channels || {}).sort((a, b) =>
    a[1].address.localeCompare(b[1].address));
  return el("section", { id: "channels" }, el("h2", {}, `Channels (${channels.length})`),
    channels.map(([key, channel]) => {
      const actions = operationsByChannel[key] || [];
      return el("article", { class: "channel", id: anchor("channel", key) },
        el("h3", {}, el("code", {}, channel.address),
          actions.map((a) => el("span", { class: `badge ${a}` }, a))),
        channel.description ? el("p", {}, channel.description) : null,
        el("ul", { class: "channel-messages" },
          Object.values(channel.messages || {}).map((ref) => {
            const key = refName(ref.$ref || "");
            const message = resolve(doc, ref);
            return el("li", {}, el("a", { href: `#${anchor("message", key)}` },
              el("code", {}, message.name || key)), message.summary ? ` — ${message.summary}` : "");
          })));
    }));
}

function messageSection(doc) {
  const messages = Object.entries((doc.components || {}).messages || {});
  return el("section", { id: "messages" }, el("h2", {}, `Messages (${messages.length})`),
    messages.map(([key, message]) =>
      el("article", { class: "message", id: anchor("message", key) },
        el("h3", {}, el("code", {}, message.name || key)),
        message.summary ? el("p", {}, message.summary) : null,
        message.description ? el("p", {}, message.description) : null,
        el("p", { class: "meta" },
          message.contentType ? `content type ${message.contentType}` : "",
          message["x-permission"] ? ` · permission ${message["x-permission"]}` : ""),
        message.headers ? el("details", {}, el("summary", {}, "Headers"),
          schemaTable(doc, message.headers, 0)) : null,
        el("details", { class: "payload" }, el("summary", {}, "Payload"),
          schemaTable(doc, message.payload, 0)))));
}

function render(doc) {
  const root = document.getElementById("asyncapi");
  const operationsByChannel = {};
  for (const operation of Object.values(doc.operations || {})) {
    const key = refName(((operation.channel || {}).$ref) || "");
    (operationsByChannel[key] = operationsByChannel[key] || []).push(operation.action);
  }
  const info = doc.info || {};
  const servers = Object.entries(doc.servers || {});
  root.replaceChildren(
    el("header", {},
      el("h1", {}, info.title || "AsyncAPI", " ", el("small", {}, `v${info.version || "?"}`),
        " ", el("small", {}, `AsyncAPI ${doc.asyncapi}`)),
      info.description ? el("p", {}, info.description) : null,
      servers.length ? el("p", { class: "meta" }, "Servers: ",
        servers.map(([name, s]) => el("code", {}, `${name} ${s.host} (${s.protocol})`))) : null),
    channelSection(doc, operationsByChannel),
    messageSection(doc));
  root.setAttribute("aria-busy", "false");
}

window.addEventListener("load", async () => {
  try {
    const answer = await fetch("/api/asyncapi.json", { headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error(`${answer.status} ${answer.statusText}`);
    render(await answer.json());
  } catch (error) {
    document.getElementById("asyncapi").replaceChildren(
      el("p", { class: "error" }, `Could not load /api/asyncapi.json: ${error.message}`));
  }
});
