// Signing in: the OAuth 2 authorization code flow with PKCE (RFC 7636) against Cognito's hosted UI in AWS, or the
// local sign-in under `make run`. Tokens live in this tab's sessionStorage only, and are refreshed before they end.

import { config } from "./dom.js";

const TOKENS = "sportello.console.tokens";
const PENDING = "sportello.console.pending";
const REFRESH_MARGIN_S = 120;

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function randomString(size) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

/** The claims of a JWT (for display only: the API verifies every token itself). */
export function claimsOf(token) {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = decodeURIComponent(
    Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
  );
  return JSON.parse(json);
}

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  } catch {
    return null;
  }
}

function store(tokens) {
  const previous = stored();
  const refresh = tokens.refresh_token || previous?.refresh_token || null;
  const claims = claimsOf(tokens.id_token);
  sessionStorage.setItem(TOKENS, JSON.stringify({ id_token: tokens.id_token, refresh_token: refresh, exp: claims.exp }));
}

/** Who is signed in: { name, username, office, role, sub }, or null. */
export function officer() {
  const tokens = stored();
  if (!tokens) return null;
  const claims = claimsOf(tokens.id_token);
  const groups = claims["cognito:groups"] || [];
  return {
    sub: claims.sub,
    username: claims["cognito:username"],
    name: claims.name || null,
    office: claims["custom:office"],
    role: groups.includes("supervisor") ? "supervisor" : "officer",
  };
}

export function configured() {
  return Boolean(config.authUrl && config.clientId);
}

/** Go to the sign-in page. */
export async function signIn() {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: "openid email profile",
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${config.authUrl}/oauth2/authorize?${query}`);
}

async function tokenRequest(fields) {
  const response = await fetch(`${config.authUrl}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.clientId, ...fields }),
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return response.json();
}

/** Finish a sign-in when the page is the redirect back (`?code=…&state=…`); true if it did. */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", `${location.pathname}${pending?.hash || ""}`);
  if (!pending || pending.state !== params.get("state")) throw new Error("sign-in state mismatch");
  store(
    await tokenRequest({
      grant_type: "authorization_code",
      code,
      redirect_uri: config.redirectUri,
      code_verifier: pending.verifier,
    }),
  );
  return true;
}

/** A valid ID token, refreshed when it is about to end; null when signed out. */
export async function idToken() {
  const tokens = stored();
  if (!tokens) return null;
  if (tokens.exp - Date.now() / 1000 > REFRESH_MARGIN_S) return tokens.id_token;
  if (!tokens.refresh_token) return null;
  try {
    store(await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }));
    return stored().id_token;
  } catch {
    forget();
    return null;
  }
}

export function forget() {
  sessionStorage.removeItem(TOKENS);
}

/** Sign out here and at the issuer (which ends its own session and sends the browser back). */
export function signOut() {
  forget();
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri });
  location.assign(`${config.authUrl}/logout?${query}`);
}
