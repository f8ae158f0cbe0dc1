/* Family Bridge — what the page scripts share (native ES modules served from static/js/, no
 * bundler: a page loads its script with <script type="module">, which the CSP's
 * script-src 'self' allows, and the browser fetches the imports below from the same place).
 */

// How long a Socket.IO request waits for the server's ack before the page treats it as lost.
export const ACK_TIMEOUT_MS = 15000;

/** The content of <meta name="…"> in the page head, or null. */
export function meta(name) {
  const el = document.querySelector('meta[name="' + name + '"]');
  return el ? el.getAttribute("content") : null;
}

/** Headers for a same-origin POST: the CSRF token Flask-WTF checks, and a JSON answer asked for. */
export function csrfHeaders(extra) {
  return Object.assign({ "X-CSRFToken": meta("csrf-token") || "", "Accept": "application/json" }, extra);
}

/** POST a JSON body with the CSRF header; resolves to the parsed JSON answer. */
export function postJSON(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: csrfHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify(body)
  }).then(function (response) { return response.json(); });
}

/** The page's translated strings, from <script type="application/json" id="…">. */
export function readStrings(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/** "%(name)s is typing…" with values filled in (the server's gettext placeholders, %(x)s or %(x)d). */
export function fmt(text, values) {
  return text.replace(/%\((\w+)\)[sd]/g, function (_, key) { return values && key in values ? values[key] : ""; });
}

/** The form of [singular, plural] (both from the server's ngettext) for the count n, by the page's language. */
export function plural(forms, n) {
  if (!Array.isArray(forms)) return forms;
  const rules = new Intl.PluralRules(document.documentElement.lang || "en");
  return rules.select(n) === "one" ? forms[0] : forms[1];
}

/** The plain text of HTML the server has already sanitized (a template's content is inert). */
export function textOf(html) {
  const t = document.createElement("template");
  t.innerHTML = html;
  return t.content.textContent.trim();
}

/** The format of live timestamps: the person's language and time zone (the page's data-locale
 * and data-timezone), or the browser's own when the zone is unknown to it. */
export function makeTimeFormat(locale, zone) {
  try {
    return new Intl.DateTimeFormat(locale || undefined, { timeZone: zone, dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
}

/** A random UUID (crypto.randomUUID where the browser has it). */
export function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}
