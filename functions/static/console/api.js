// The officers' JSON API: every call carries the ID token; errors keep the API's code for the screens to explain.

import { idToken } from "./auth.js";
import { config, language } from "./dom.js";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let onSignedOut = () => {};

/** What to do when the API says the token is no longer good (sign in again). */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/** Call the API: `request("GET", "/api/inbox")` → the JSON answer, or an ApiError. */
export async function request(method, path, body) {
  const token = await idToken();
  if (!token) {
    onSignedOut();
    throw new ApiError(401, "unauthenticated", "signed out");
  }
  const headers = { Authorization: `Bearer ${token}`, "Accept-Language": language };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${config.api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "network", error.message);
  }
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) onSignedOut();
  if (!response.ok) {
    const error = answer?.error || {};
    throw new ApiError(response.status, error.code || "error", error.message || response.statusText, answer);
  }
  return answer;
}
