// Same-origin JSON calls to the REST API, with the CSRF header on state changes.

import { config } from "./config.js";

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
 * `message` is the server's error message (or a network one) when `ok` is false.
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
    return { ok: false, status: 0, data: null, message: "서버에 연결할 수 없어요. 잠시 후 다시 시도해 주세요." };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const message = response.ok ? "" : (data && data.error && data.error.message) || `요청이 실패했어요 (${response.status})`;
  return { ok: response.ok, status: response.status, data, message };
}
