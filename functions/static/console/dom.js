// Small DOM and text helpers: elements are built with textContent only (never innerHTML with data), every text
// comes from the console catalogue (Italian first, English), dates in the office's time zone.

const config = JSON.parse(document.getElementById("console-config").textContent);
const texts = JSON.parse(document.getElementById("console-texts").textContent);
const LANGUAGE_KEY = "sportello.console.language";

export { config };

export let language = localStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "it";

export function setLanguage(next) {
  language = next === "en" ? "en" : "it";
  localStorage.setItem(LANGUAGE_KEY, language);
  document.documentElement.lang = language;
}

/** The text for `key` in the console's language, with `{name}` placeholders filled. */
export function t(key, values = {}) {
  const text = texts[language]?.[key] ?? texts.it?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The text for `key` if the catalogue has it, else `fallback`. */
export function tOr(key, fallback) {
  return texts[language]?.[key] ?? texts.it?.[key] ?? fallback;
}

/** What an API error means for the officer (its code's text, else a general one). */
export function errorText(error) {
  return tOr(`console.error.${error.code}`, t("console.error.generic"));
}

/** An element: `h("button", {class: "btn", onclick}, "Text", child…)`. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the content of `element` with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** An icon from the design system's sprite (decorative: hidden from screen readers). */
export function icon(name, extra = "") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", `icon icon-sm ${extra}`.trim());
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `${config.assets}sprites.svg#${name}`);
  svg.append(use);
  return svg;
}

let officeZone = "Europe/Rome";

export function setOfficeZone(zone) {
  officeZone = zone || "Europe/Rome";
}

function locale() {
  return language === "en" ? "en-GB" : "it-IT";
}

/** A moment as the office reads it: "3/12/26, 09:41" (with the day when `withDay`). */
export function when(iso, withDay = true) {
  if (!iso) return "";
  const options = withDay ? { dateStyle: "short", timeStyle: "short" } : { timeStyle: "short" };
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: officeZone }).format(new Date(iso));
}

/** The office's own clock time ("2026-12-10T09:30", no zone: the counter's) as "10 dic 2026, 09:30". */
export function localWhen(local) {
  const [date, time] = local.split("T");
  const [year, month, dayOfMonth] = date.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const moment = new Date(Date.UTC(year, month - 1, dayOfMonth, hour, minute));
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(moment);
}

/** An office-local day ("2026-12-10") as "giovedì 10 dicembre". */
export function localDay(day) {
  const [year, month, dayOfMonth] = day.split("-").map(Number);
  const moment = new Date(Date.UTC(year, month - 1, dayOfMonth));
  return new Intl.DateTimeFormat(locale(), { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(moment);
}

/** A waiting time: "45 min", "3 h 5 min", "2 g". */
export function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t("console.duration.minutes", { n: Math.max(1, minutes) });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t("console.duration.hours", { h: hours, m: minutes % 60 });
  return t("console.duration.days", { n: Math.floor(hours / 24) });
}

/** The label for an actor: the officer's name or username, the applicant's name, or the service. */
export function actorLabel(actor, applicantName) {
  if (!actor) return "";
  if (actor.kind === "officer") return actor.name || actor.username || t("console.actor.officer");
  if (actor.kind === "applicant") return applicantName || t("console.actor.applicant");
  return t("console.actor.service");
}

/** Announce `message` to screen readers (and show it in the status bar). */
export function announce(message, kind = "info") {
  const bar = document.getElementById("status-bar");
  if (!bar) return;
  fill(bar, message);
  const style = { error: "alert-danger", ok: "alert-success" }[kind] || "alert-info";
  bar.className = `status-bar alert ${style} mb-0`;
  bar.hidden = false;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => {
    bar.hidden = true;
  }, 6000);
}
