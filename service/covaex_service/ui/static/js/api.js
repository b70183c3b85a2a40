// Same-origin JSON calls to the REST API, with the CSRF header on state changes.

import { config } from "./config.js";
import { koreanError } from "./errors.js";

export const CSRF_COOKIE = config.csrfCookie || "covaex_csrf";
const CSRF_HEADER = config.csrfHeader || "X-CSRF-Token";

export function readCookie(name) {
  const prefix = `${name}=`;
  for (const part of document.cookie.split(";")) {
    const trimmed = part.trim();
    if (trimmed.startsWith(prefix)) {
      return decodeURIComponent(trimmed.slice(prefix.length));
    }
  }
  return "";
}

export function forgetCsrfCookie() {
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; path=/; SameSite=Lax`;
}

/**
 * Call the API and return `{ok, status, data, message}`; never throws.
 * When `ok` is false, `code` is the server's error code and `message` its Korean sentence
 * (the server's English text is never shown).
 */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  if (method !== "GET") {
    const token = readCookie(CSRF_COOKIE);
    if (token) {
      headers[CSRF_HEADER] = token;
    }
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, code: "", data: null, message: koreanError("", 0) };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const code = (!response.ok && data && data.error && data.error.code) || "";
  const message = response.ok ? "" : koreanError(code, response.status);
  return { ok: response.ok, status: response.status, code, data, message };
}
