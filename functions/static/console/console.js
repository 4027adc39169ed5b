// The officers' console: sign-in, then the inbox beside the case screen (checklist, conversation, documents).
// Built on the JSON API only; the inbox and the open conversation refresh themselves without a reload.

import { request, whenSignedOut } from "./api.js";
import { completeSignIn, configured, forget, officer, signIn, signOut } from "./auth.js";
import { announce, config, errorText, fill, h, icon, language, setLanguage, setOfficeZone, t } from "./dom.js";
import { mountCase } from "./casepanel.js";
import { mountDay } from "./day.js";
import { mountInbox } from "./inbox.js";

const app = document.getElementById("app");
const CASE_ID = /^[A-Z]{2,4}-[A-Z0-9]{4,12}$/;

function languageSwitch() {
  const other = language === "it" ? "en" : "it";
  return h(
    "button",
    {
      type: "button",
      class: "btn btn-sm btn-outline-light",
      lang: other,
      onclick: () => {
        setLanguage(other);
        location.reload();
      },
    },
    other === "en" ? "English" : "Italiano",
  );
}

function signInScreen(problem) {
  fill(
    app,
    h(
      "div",
      { class: "it-header-slim-wrapper" },
      h("div", { class: "container-fluid d-flex justify-content-between align-items-center" }, h("span", { class: "brand" }, t("console.title")), languageSwitch()),
    ),
    h(
      "main",
      { id: "main", class: "container my-5 sign-in", tabindex: "-1" },
      h("h1", { class: "h3" }, t("console.signin.title")),
      h("p", {}, t("console.signin.intro")),
      problem ? h("div", { class: "alert alert-danger", role: "alert" }, problem) : null,
      configured()
        ? h("button", { type: "button", class: "btn btn-primary btn-lg", onclick: () => signIn() }, icon("it-locked", "icon-white me-2"), t("console.signin.button"))
        : h("div", { class: "alert alert-warning", role: "alert" }, t("console.signin.not_configured")),
    ),
  );
}

function newCaseForm(open) {
  const procedure = h("select", { class: "form-select form-select-sm", id: "new-procedure" }, ["rinnovo", "rilascio"].map((p) => h("option", { value: p }, t(`console.procedure.${p}`))));
  const permits = Object.entries(config.permits?.[language] || {}).sort((a, b) => a[1].localeCompare(b[1]));
  const permit = h("select", { class: "form-select form-select-sm", id: "new-permit" }, permits.map(([code, name]) => h("option", { value: code }, name)));
  const name = h("input", { type: "text", class: "form-control form-control-sm", id: "new-name", required: true, maxlength: "200", autocomplete: "off" });
  const phone = h("input", { type: "tel", class: "form-control form-control-sm", id: "new-phone", required: true, maxlength: "30", autocomplete: "off", placeholder: "+39 …" });
  const languages = Object.entries(config.languages || {});
  const chatLanguage = h("select", { class: "form-select form-select-sm", id: "new-language" }, languages.map(([code, label]) => h("option", { value: code }, label)));
  const pratica = h("input", { type: "text", class: "form-control form-control-sm", id: "new-pratica", maxlength: "40", autocomplete: "off" });
  const labelled = (id, label, control) => h("div", { class: "mb-2" }, h("label", { class: "form-label small mb-1", for: id }, label), control);
  // The applicant's path, where the procedure has several: only that path's documents are then needed.
  const variant = h("select", { class: "form-select form-select-sm", id: "new-variant" });
  const variantField = labelled("new-variant", t("console.new.variant"), variant);
  const showVariants = () => {
    const paths = config.variants?.[language]?.[permit.value]?.[procedure.value] || [];
    fill(variant, h("option", { value: "" }, t("console.new.variant_unknown")), ...paths.map(([code, title]) => h("option", { value: code }, title)));
    variantField.hidden = paths.length === 0;
  };
  permit.addEventListener("change", showVariants);
  procedure.addEventListener("change", showVariants);
  showVariants();
  const form = h(
    "form",
    {
      class: "pt-2",
      onsubmit: async (event) => {
        event.preventDefault();
        if (!name.value.trim() || !phone.value.trim()) {
          announce(t("console.new.missing"), "error");
          return;
        }
        try {
          const answer = await request("POST", "/api/cases", {
            procedure: procedure.value,
            permit_type: permit.value,
            pratica_number: pratica.value.trim() || null,
            variant: variantField.hidden ? null : variant.value || null,
            applicant: { name: name.value.trim(), phone: phone.value.trim(), language: chatLanguage.value },
          });
          announce(t("console.new.created", { id: answer.case.id }), "ok");
          form.reset();
          showVariants();
          form.closest("details").open = false;
          open(answer.case.id);
        } catch (error) {
          announce(errorText(error), "error");
        }
      },
    },
    labelled("new-name", t("console.new.name"), name),
    labelled("new-phone", t("console.new.phone"), phone),
    labelled("new-language", t("console.new.language"), chatLanguage),
    labelled("new-permit", t("console.new.permit"), permit),
    labelled("new-procedure", t("console.new.procedure"), procedure),
    variantField,
    labelled("new-pratica", t("console.new.pratica"), pratica),
    h("button", { type: "submit", class: "btn btn-primary btn-sm" }, t("console.new.create")),
  );
  return h("details", { class: "action mt-3" }, h("summary", { class: "btn btn-outline-primary btn-sm" }, icon("it-plus", "me-1"), t("console.new.title")), form);
}

function findForm(open) {
  const input = h("input", { type: "search", class: "form-control form-control-sm", id: "find-case", placeholder: "AN-…", autocomplete: "off", spellcheck: "false" });
  return h(
    "form",
    {
      class: "d-flex gap-1 mb-3",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        const id = input.value.trim().toUpperCase();
        if (!CASE_ID.test(id)) {
          announce(t("console.find.invalid"), "error");
          return;
        }
        open(id);
      },
    },
    h("label", { class: "visually-hidden", for: "find-case" }, t("console.find.label")),
    input,
    h("button", { type: "submit", class: "btn btn-outline-primary btn-sm", "aria-label": t("console.find.label") }, icon("it-search")),
  );
}

function workspace(who) {
  const office = config.offices?.[who.office];
  setOfficeZone(office?.timezone);
  const inboxPanel = h("div", { class: "inbox-panel" });
  const casePanel = h("div", { class: "case-panel", "aria-live": "off" });
  const aside = h("aside", { class: "inbox-column", "aria-label": t("console.inbox.title") });
  const main = h("main", { id: "main", class: "case-area", tabindex: "-1" }, casePanel);
  let mounted = null;
  let inbox = null;

  function open(caseId) {
    if (location.hash !== `#/case/${caseId}`) history.pushState(null, "", `#/case/${caseId}`);
    route();
  }

  function showDay(day) {
    const target = `#/day/${day}`;
    if (location.hash !== target) history.pushState(null, "", target);
    route();
  }

  function route() {
    const match = /^#\/case\/(.+)$/.exec(location.hash);
    const dayMatch = /^#\/day\/(\d{4}-\d{2}-\d{2})?$/.exec(location.hash);
    mounted?.stop();
    mounted = null;
    if (dayMatch) {
      inbox?.select(null);
      mounted = mountDay(casePanel, dayMatch[1], open, showDay);
      document.title = `${t("console.day.nav")} · ${t("console.title")}`;
    } else if (match) {
      const caseId = decodeURIComponent(match[1]);
      inbox?.select(caseId);
      mounted = mountCase(casePanel, caseId, () => inbox?.refresh());
      document.title = `${caseId} · ${t("console.title")}`;
    } else {
      inbox?.select(null);
      fill(casePanel, h("div", { class: "empty-case p-4" }, h("h1", { class: "h4" }, t("console.welcome", { name: who.name || who.username })), h("p", {}, t("console.choose_case"))));
      document.title = t("console.title");
    }
  }

  fill(
    app,
    h(
      "header",
      { class: "it-header-slim-wrapper" },
      h(
        "div",
        { class: "container-fluid d-flex flex-wrap justify-content-between align-items-center gap-2" },
        h("span", { class: "brand" }, h("strong", {}, t("console.title")), ` · ${office?.name || who.office}`),
        h(
          "span",
          { class: "d-flex align-items-center gap-2 who" },
          icon("it-user", "icon-white"),
          h("span", {}, `${who.name || who.username} · ${t(`console.role.${who.role}`)}`),
          languageSwitch(),
          h("button", { type: "button", class: "btn btn-sm btn-outline-light", onclick: () => signOut() }, t("console.signout")),
        ),
      ),
    ),
    h("div", { id: "status-bar", class: "status-bar", role: "status", "aria-live": "polite", hidden: true }),
    h("div", { class: "console-grid" }, aside, main),
  );
  const dayLink = h(
    "a",
    {
      href: "#/day/",
      class: "btn btn-outline-primary btn-sm mb-3 w-100",
      onclick: (event) => {
        event.preventDefault();
        showDay(new Intl.DateTimeFormat("en-CA", { timeZone: office?.timezone || "Europe/Rome" }).format(new Date()));
      },
    },
    icon("it-calendar", "me-1"),
    t("console.day.nav"),
  );
  fill(aside, findForm(open), dayLink, inboxPanel, newCaseForm(open));
  inbox = mountInbox(inboxPanel, open);
  window.addEventListener("popstate", route);
  route();
}

async function start() {
  document.documentElement.lang = language;
  try {
    await completeSignIn();
  } catch {
    forget();
    signInScreen(t("console.signin.failed"));
    return;
  }
  whenSignedOut(() => {
    forget();
    signInScreen(t("console.signin.expired"));
  });
  const who = officer();
  if (!who) {
    signInScreen();
    return;
  }
  workspace(who);
}

start();
