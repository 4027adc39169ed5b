// One case on one screen: its header and actions, the checklist (a "one of" group as one item with its
// alternatives), the conversation, and the documents with their review, side by side.

import { request } from "./api.js";
import { officer } from "./auth.js";
import { actorLabel, announce, config, errorText, fill, h, icon, localDay, localWhen, t, tOr, when } from "./dom.js";
import { permitName } from "./inbox.js";
import { mountThread } from "./thread.js";

const REJECTION_REASONS = [
  "illegible",
  "expired",
  "incomplete",
  "wrong_document",
  "translation_missing",
  "legalisation_missing",
  "other",
];
const LINK_REFRESH_MS = 4 * 60 * 1000; // document links live 5 minutes

function stateBadge(item) {
  const state = item.at_counter && item.state === "missing" ? "at_counter" : item.state;
  const style = {
    missing: "bg-secondary",
    received: "bg-warning",
    accepted: "bg-success",
    rejected: "bg-danger",
    at_counter: "badge-counter",
  }[state];
  return h("span", { class: `badge ${style}` }, t(`console.item.${state}`));
}

function field(id, label, control, help) {
  return h(
    "div",
    { class: "mb-2" },
    h("label", { class: "form-label small mb-1", for: id }, label),
    control,
    help ? h("span", { class: "d-block small text-muted" }, help) : null,
  );
}

function details(summary, ...content) {
  return h("details", { class: "action" }, h("summary", { class: "btn btn-outline-primary btn-sm" }, summary), h("div", { class: "pt-2" }, content));
}

/** Run `call`, again (twice at most) if a colleague or the chat changed the case meanwhile: the API applied
 * nothing, and each action is worked out anew from the case as it is now. (Messages are never retried.) */
async function withRetry(call) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (error.code !== "conflict" || attempt >= 2) throw error;
    }
  }
}

/** Mount the case `caseId` in `panel`; `changed()` is called after every action (the inbox refreshes). */
export function mountCase(panel, caseId, changed) {
  let current = null;
  let loadedAt = 0;
  let selectedDocument = null;
  let thread = null;
  let tab = "documents";
  const me = officer();
  const header = h("header", { class: "case-header" });
  const checklistPanel = h("section", { class: "case-column checklist-column", "aria-labelledby": "checklist-title" });
  const threadPanel = h("section", { class: "case-column thread-column", "aria-labelledby": "thread-title" });
  const sidePanel = h("section", { class: "case-column side-column", "aria-labelledby": "side-title" });

  async function act(method, path, body, success) {
    try {
      const answer = await withRetry(() => request(method, `/api/cases/${encodeURIComponent(caseId)}${path}`, body));
      announce(success, "ok");
      await load();
      thread?.refresh();
      changed();
      return answer;
    } catch (error) {
      const missing = error.body?.error?.missing;
      // One entry per item or one_of group, with its title (the group's for its alternatives).
      const titles = missing?.map((unit) => unit.title || unit.items.join(" / "));
      announce(titles?.length ? `${errorText(error)} ${titles.join(", ")}` : errorText(error), "error");
      return null;
    }
  }

  function drawHeader() {
    const c = current;
    const assigned = c.assigned_officer_name || c.assigned_officer;
    const mine = c.assigned_officer === me.username;
    const actions = [];
    if (c.status !== "closed") {
      if (!mine) {
        actions.push(
          h(
            "button",
            { type: "button", class: "btn btn-primary btn-sm", onclick: () => act("POST", "/assign", { officer: me.username }, t("console.case.taken")) },
            t("console.case.take"),
          ),
        );
      } else {
        actions.push(
          h(
            "button",
            { type: "button", class: "btn btn-outline-primary btn-sm", onclick: () => act("POST", "/assign", { officer: null }, t("console.case.released")) },
            t("console.case.release"),
          ),
        );
      }
      if (me.role === "supervisor") actions.push(assignForm());
      actions.push(closeForm());
    }
    if (me.role === "supervisor") actions.push(privacyForm());
    fill(
      header,
      h(
        "div",
        { class: "d-flex flex-wrap align-items-start justify-content-between gap-2" },
        h(
          "div",
          {},
          h(
            "div",
            { class: "d-flex flex-wrap align-items-center gap-2" },
            h("h1", { class: "h4 mb-0", id: "case-title" }, `${c.applicant.name}`),
            h("span", { class: "case-id" }, c.id),
            h("span", { class: "badge bg-primary" }, t(`console.status.${c.status}`)),
          ),
          h(
            "p",
            { class: "small mb-0" },
            [
              `${permitName(c.permit_type)} · ${t(`console.procedure.${c.procedure}`)}`,
              t("console.case.language", { language: config.languages?.[c.applicant.language] || c.applicant.language }),
              c.applicant.phone ? c.applicant.phone : null,
              c.pratica_number ? t("console.case.pratica", { number: c.pratica_number }) : null,
              assigned ? t("console.inbox.assigned_to", { name: assigned }) : t("console.inbox.nobody"),
            ]
              .filter(Boolean)
              .join(" · "),
          ),
          c.appointment
            ? h("p", { class: "small mb-0 appointment" }, icon("it-calendar", "me-1"), t("console.case.appointment", { when: localWhen(c.appointment.at), place: c.appointment.place }))
            : null,
        ),
        h("div", { class: "d-flex flex-wrap gap-2 case-actions" }, actions),
      ),
    );
  }

  function assignForm() {
    const select = h("select", { class: "form-select form-select-sm", id: "assign-to" }, h("option", { value: "" }, t("console.case.nobody")));
    request("GET", "/api/officers").then((answer) => {
      for (const o of answer.officers) {
        select.append(h("option", { value: o.username, selected: o.username === current.assigned_officer }, o.name ? `${o.name} (${o.username})` : o.username));
      }
    });
    const form = h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          act("POST", "/assign", { officer: select.value || null }, t("console.case.assigned"));
        },
      },
      field("assign-to", t("console.case.assign_to"), select),
      h("button", { type: "submit", class: "btn btn-primary btn-sm" }, t("console.case.assign")),
    );
    return details(t("console.case.assign"), form);
  }

  function closeForm() {
    const reasons = ["completed", "withdrawn", ...(me.role === "supervisor" ? ["cancelled"] : [])];
    const reason = h("select", { class: "form-select form-select-sm", id: "close-reason" }, reasons.map((r) => h("option", { value: r }, t(`console.close.${r}`))));
    const note = h("textarea", { class: "form-control", id: "close-note", rows: "2", maxlength: "2000" });
    const form = h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          if (confirm(t("console.case.close_confirm"))) act("POST", "/close", { reason: reason.value, note: note.value.trim() || null }, t("console.case.closed"));
        },
      },
      field("close-reason", t("console.case.close_reason"), reason),
      field("close-note", t("console.case.note"), note),
      h("button", { type: "submit", class: "btn btn-danger btn-sm" }, t("console.case.close")),
    );
    return details(t("console.case.close"), form);
  }

  // Art. 15 and 17 (supervisors): export everything held about the applicant, decide their erasure request, erase.
  function privacyForm() {
    const c = current;
    const parts = [h("button", { type: "button", class: "btn btn-outline-primary btn-sm", onclick: exportCase }, t("console.privacy.export"))];
    if (c.erased) {
      parts.push(h("p", { class: "small mb-0" }, t("console.privacy.erased", { when: when(c.erasure.at) })));
      return details(t("console.privacy.title"), ...parts);
    }
    if (c.erasure_requested_since) {
      const refusal = h(
        "select",
        { class: "form-select form-select-sm", id: "erasure-refusal" },
        ["legal_hold", "legal_obligation", "identity_not_confirmed"].map((r) => h("option", { value: r }, t(`console.privacy.refusal.${r}`))),
      );
      parts.push(
        h("p", { class: "small mb-1" }, t("console.privacy.requested", { when: when(c.erasure_requested_since) })),
        field("erasure-refusal", t("console.privacy.refusal_reason"), refusal),
        h(
          "div",
          { class: "d-flex gap-2 mb-2" },
          h("button", { type: "button", class: "btn btn-outline-primary btn-sm", onclick: () => act("POST", "/erasure-request", { decision: "refuse", reason: refusal.value }, t("console.privacy.refused")) }, t("console.privacy.refuse")),
          h("button", { type: "button", class: "btn btn-danger btn-sm", onclick: () => confirm(t("console.privacy.erase_confirm")) && act("POST", "/erasure-request", { decision: "confirm" }, t("console.privacy.done")) }, t("console.privacy.confirm")),
        ),
      );
    }
    const reason = h(
      "select",
      { class: "form-select form-select-sm", id: "erase-reason" },
      ["applicant_request", "garante_order", "unlawful_processing", "no_longer_needed"].map((r) => h("option", { value: r }, t(`console.privacy.reason.${r}`))),
    );
    const form = h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          if (confirm(t("console.privacy.erase_confirm"))) act("POST", "/erase", { reason: reason.value }, t("console.privacy.done"));
        },
      },
      field("erase-reason", t("console.privacy.erase_reason"), reason),
      h("button", { type: "submit", class: "btn btn-danger btn-sm" }, t("console.privacy.erase")),
    );
    parts.push(form);
    return details(t("console.privacy.title"), ...parts);
  }

  async function exportCase() {
    try {
      const answer = await request("GET", `/api/cases/${encodeURIComponent(caseId)}/export`);
      const link = h("a", { href: URL.createObjectURL(new Blob([JSON.stringify(answer, null, 2)], { type: "application/json" })), download: `${caseId}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      announce(t("console.privacy.exported"), "ok");
    } catch (error) {
      announce(errorText(error), "error");
    }
  }

  function groupsOf(items) {
    const units = [];
    const groups = new Map();
    for (const item of items) {
      if (item.group && item.requirement === "one_of") {
        if (!groups.has(item.group)) {
          const unit = { group: item.group, title: item.group_title, items: [] };
          groups.set(item.group, unit);
          units.push(unit);
        }
        groups.get(item.group).items.push(item);
      } else {
        units.push({ group: null, title: item.title, items: [item] });
      }
    }
    return units;
  }

  function itemLine(item, requestable) {
    const box = requestable
      ? h("input", { type: "checkbox", class: "form-check-input me-2", id: `want-${item.code}`, value: item.code, name: "request" })
      : null;
    const label = requestable ? h("label", { for: `want-${item.code}`, class: "form-check-label" }, item.title) : h("span", {}, item.title);
    const counter =
      current.status !== "closed" && (item.state === "missing" || item.state === "rejected")
        ? h(
            "button",
            {
              type: "button",
              class: "btn btn-link btn-sm p-0 ms-1 counter-toggle",
              onclick: () =>
                act("PATCH", `/checklist/${encodeURIComponent(item.code)}`, { at_counter: !item.at_counter }, t("console.checklist.updated")),
            },
            item.at_counter ? t("console.checklist.not_at_counter") : t("console.checklist.at_counter"),
          )
        : null;
    return h(
      "div",
      { class: "checklist-line" },
      h("span", { class: "d-flex align-items-start gap-1" }, box, label),
      h(
        "span",
        { class: "d-block small" },
        stateBadge(item),
        item.requested_at ? h("span", { class: "ms-1 text-muted" }, t("console.checklist.requested", { when: when(item.requested_at) })) : null,
        item.rejection ? h("span", { class: "d-block text-danger" }, `${t(`console.rejection.${item.rejection.reason}`)}${item.rejection.note ? `: ${item.rejection.note}` : ""}`) : null,
        item.document_id
          ? h("button", { type: "button", class: "btn btn-link btn-sm p-0 ms-1", onclick: () => showDocument(item.document_id) }, t("console.thread.open_document"))
          : null,
        counter,
      ),
    );
  }

  function drawChecklist() {
    const c = current;
    const open = c.status !== "closed";
    const units = groupsOf(c.checklist.filter((i) => i.needed || i.group || i.state !== "missing" || i.requirement === "conditional"));
    const note = h("textarea", { class: "form-control", id: "request-note", rows: "2", maxlength: "2000" });
    const list = h(
      "ul",
      { class: "checklist list-unstyled" },
      units.map((unit) =>
        h(
          "li",
          { class: `checklist-unit${unit.group ? " one-of" : ""}` },
          unit.group
            ? [
                h("strong", { class: "d-block" }, unit.title),
                h("span", { class: "d-block small text-muted" }, t("console.checklist.one_of")),
                h("div", { class: "ms-2 alternatives" }, unit.items.map((item) => itemLine(item, open && !item.at_counter && !["received", "accepted"].includes(item.state)))),
              ]
            : itemLine(unit.items[0], open && !unit.items[0].at_counter && !["received", "accepted"].includes(unit.items[0].state)),
        ),
      ),
    );
    const requestForm = h(
      "form",
      {
        class: "request-form",
        onsubmit: (event) => {
          event.preventDefault();
          const items = [...list.querySelectorAll("input[name=request]:checked")].map((box) => box.value);
          if (!items.length) {
            announce(t("console.checklist.choose"), "error");
            return;
          }
          act("POST", "/requests", { items, note: note.value.trim() || null }, t("console.checklist.requested_ok"));
        },
      },
      list,
      open ? field("request-note", t("console.checklist.note"), note, t("console.checklist.note_help")) : null,
      open ? h("button", { type: "submit", class: "btn btn-primary btn-sm" }, icon("it-mail", "icon-white me-1"), t("console.checklist.request")) : null,
    );
    fill(
      checklistPanel,
      h("h2", { class: "h5", id: "checklist-title" }, t("console.checklist.title"), c.complete ? h("span", { class: "badge bg-success ms-2" }, t("console.checklist.complete")) : null),
      requestForm,
      open ? bookingForm() : null,
    );
  }

  function bookingForm() {
    const c = current;
    const box = h("div", { class: "mt-3 visit" }, h("h3", { class: "h6", id: "visit-title" }, t("console.visit.title")));
    if (c.status === "appointment_booked" && c.appointment) {
      box.append(
        h(
          "div",
          { class: "d-flex flex-wrap gap-2 mb-2" },
          h("button", { type: "button", class: "btn btn-success btn-sm", onclick: () => act("PATCH", "/appointment", { attended: true }, t("console.visit.marked_attended")) }, icon("it-check", "icon-white me-1"), t("console.visit.attended")),
          h(
            "button",
            {
              type: "button",
              class: "btn btn-outline-danger btn-sm",
              onclick: () => confirm(t("console.visit.missed_confirm")) && act("PATCH", "/appointment", { attended: false }, t("console.visit.marked_missed")),
            },
            t("console.visit.missed"),
          ),
        ),
        h("p", { class: "small text-muted mb-1" }, t("console.visit.move_help")),
      );
    }
    if (!c.complete && me.role !== "supervisor") {
      box.append(h("p", { class: "small text-muted" }, t("console.visit.incomplete")));
      return box;
    }
    box.append(slotPicker());
    return box;
  }

  function slotPicker() {
    let chosen = null;
    const daySelect = h("select", { class: "form-select form-select-sm", id: "visit-day" });
    const times = h("div", { class: "slot-times d-flex flex-wrap gap-1 my-2", role: "group", "aria-labelledby": "visit-day-label" });
    const place = h("input", { type: "text", class: "form-control form-control-sm", id: "visit-place", maxlength: "300" });
    const override = me.role === "supervisor" ? h("input", { type: "text", class: "form-control form-control-sm", id: "visit-override", maxlength: "500" }) : null;
    const submit = h("button", { type: "submit", class: "btn btn-primary btn-sm", disabled: true }, icon("it-calendar", "icon-white me-1"), t("console.visit.book"));
    const picker = h("div", { class: "slot-picker" }, h("p", { class: "small" }, t("console.loading")));
    let byDay = new Map();

    function drawTimes() {
      const slots = byDay.get(daySelect.value) || [];
      fill(
        times,
        slots.map((slot) =>
          h(
            "button",
            {
              type: "button",
              class: `btn btn-sm ${slot.at === chosen ? "btn-primary" : "btn-outline-primary"} slot`,
              "aria-pressed": String(slot.at === chosen),
              disabled: slot.free < 1 && !override,
              title: t("console.visit.free", { n: slot.free, places: slot.places }),
              onclick: () => {
                chosen = slot.at;
                submit.disabled = false;
                drawTimes();
              },
            },
            `${slot.at.slice(11)} (${slot.free})`,
          ),
        ),
      );
    }

    function show(slots) {
      byDay = new Map();
      for (const slot of slots) {
        const day = slot.at.slice(0, 10);
        if (!byDay.has(day)) byDay.set(day, []);
        byDay.get(day).push(slot);
      }
      fill(
        daySelect,
        [...byDay.entries()].map(([day, list]) =>
          h("option", { value: day }, t("console.visit.day_option", { day: localDay(day), n: list.reduce((sum, s) => sum + s.free, 0) })),
        ),
      );
      drawTimes();
    }

    const form = h(
      "form",
      {
        class: "booking-form",
        onsubmit: async (event) => {
          event.preventDefault();
          if (!chosen) return;
          const body = { at: chosen, place: place.value.trim() || null };
          if (override?.value.trim()) body.override_reason = override.value.trim();
          try {
            await withRetry(() => request("POST", `/api/cases/${encodeURIComponent(caseId)}/appointment`, body));
            announce(t("console.visit.booked"), "ok");
            await load();
            thread?.refresh();
            changed();
          } catch (error) {
            const alternatives = error.body?.error?.next_free;
            announce(errorText(error), "error");
            if (alternatives?.length) {
              chosen = null;
              submit.disabled = true;
              show(alternatives);
            }
          }
        },
      },
      h("label", { class: "form-label small mb-1", for: "visit-day", id: "visit-day-label" }, t("console.visit.day")),
      daySelect,
      times,
      field("visit-place", t("console.visit.place"), place, t("console.visit.place_help")),
      override ? field("visit-override", t("console.visit.override"), override, t("console.visit.override_help")) : null,
      submit,
    );
    daySelect.addEventListener("change", () => {
      chosen = null;
      submit.disabled = true;
      drawTimes();
    });
    const today = new Date().toISOString().slice(0, 10);
    const last = new Date(Date.now() + 20 * 86400000).toISOString().slice(0, 10);
    request("GET", `/api/calendar/slots?from=${today}&to=${last}`)
      .then((answer) => {
        if (!answer.configured) fill(picker, h("p", { class: "small text-muted" }, t("console.visit.not_configured")));
        else if (!answer.slots.length) fill(picker, h("p", { class: "small text-muted" }, t("console.visit.no_slots")));
        else {
          fill(picker, form);
          show(answer.slots);
        }
      })
      .catch((error) => fill(picker, h("p", { class: "small text-danger" }, errorText(error))));
    return picker;
  }


  // One viewer per document, kept across redraws while its link is fresh: a refresh of the screen neither reloads
  // the file nor loses the officer's place in a long PDF.
  const viewers = new Map();

  function viewerOf(document_, title) {
    const kept = viewers.get(document_.id);
    if (kept && Date.now() - kept.at < LINK_REFRESH_MS) return kept.element;
    const element = document_.content_type.startsWith("image/")
      ? h("img", { src: document_.url, alt: t("console.documents.image_of", { title }), class: "document-image" })
      : h("iframe", { src: document_.url, title: t("console.documents.pdf_of", { title }), class: "document-pdf" });
    viewers.set(document_.id, { element, at: Date.now() });
    return element;
  }

  function itemOfDocument(documentId) {
    return current.checklist.find((i) => i.document_id === documentId);
  }

  function preview(document_) {
    if (!document_) return h("p", { class: "small text-muted" }, t("console.documents.choose"));
    const item = itemOfDocument(document_.id);
    const title = item ? item.title : t("console.documents.unassigned");
    const viewer = viewerOf(document_, title);
    const reason = h("select", { class: "form-select form-select-sm", id: "reject-reason" }, REJECTION_REASONS.map((r) => h("option", { value: r }, t(`console.rejection.${r}`))));
    const note = h("textarea", { class: "form-control", id: "reject-note", rows: "2", maxlength: "500" });
    const reviewable = item && ["received", "accepted"].includes(item.state) && current.status !== "closed";
    const review = reviewable
      ? h(
          "div",
          { class: "review mb-2" },
          item.state === "received"
            ? h(
                "button",
                { type: "button", class: "btn btn-success btn-sm me-2", onclick: () => act("PATCH", `/documents/${encodeURIComponent(document_.id)}`, { decision: "accept" }, t("console.documents.accepted")) },
                icon("it-check", "icon-white me-1"),
                t("console.documents.accept"),
              )
            : null,
          details(
            t("console.documents.reject"),
            h(
              "form",
              {
                onsubmit: (event) => {
                  event.preventDefault();
                  act("PATCH", `/documents/${encodeURIComponent(document_.id)}`, { decision: "reject", reason: reason.value, note: note.value.trim() || null }, t("console.documents.rejected"));
                },
              },
              field("reject-reason", t("console.documents.reason"), reason),
              field("reject-note", t("console.documents.note"), note, t("console.documents.note_help")),
              h("button", { type: "submit", class: "btn btn-danger btn-sm" }, t("console.documents.reject")),
            ),
          ),
        )
      : null;
    // The decision first, then the document: the officer never scrolls past a long PDF to accept it.
    return h(
      "div",
      { class: "document-preview" },
      h("h3", { class: "h6" }, title),
      h("p", { class: "small mb-1" }, `${t(`console.source.${document_.source}`)} · ${when(document_.received_at)}`, document_.filename ? ` · ${document_.filename}` : ""),
      review,
      viewer,
      h("a", { href: document_.url, target: "_blank", rel: "noopener noreferrer", class: "small d-inline-block mt-1" }, icon("it-external-link", "me-1"), t("console.documents.open")),
    );
  }

  function drawSide() {
    const tabs = h(
      "div",
      { class: "btn-group btn-group-sm mb-2 side-tabs", role: "group" },
      ["documents", "history"].map((name) =>
        h(
          "button",
          {
            type: "button",
            class: `btn ${tab === name ? "btn-primary" : "btn-outline-primary"}`,
            "aria-pressed": String(tab === name),
            onclick: () => {
              tab = name;
              drawSide();
            },
          },
          t(`console.side.${name}`),
        ),
      ),
    );
    const content = tab === "documents" ? documentsView() : historyView();
    fill(sidePanel, h("h2", { class: "visually-hidden", id: "side-title" }, t(`console.side.${tab}`)), tabs, content);
  }

  function documentsView() {
    const docs = current.documents;
    const selected = docs.find((d) => d.id === selectedDocument);
    return h(
      "div",
      {},
      docs.length
        ? h(
            "ul",
            { class: "list-group mb-2 documents-list" },
            docs.map((d) => {
              const item = itemOfDocument(d.id);
              return h(
                "li",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    class: `list-group-item list-group-item-action${d.id === selectedDocument ? " active" : ""}`,
                    "aria-pressed": String(d.id === selectedDocument),
                    onclick: () => showDocument(d.id),
                  },
                  icon(d.content_type === "application/pdf" ? "it-file-pdf" : "it-file-image", "me-1"),
                  item ? item.title : t("console.documents.unassigned"),
                  " ",
                  item ? stateBadge(item) : null,
                  h("span", { class: "d-block small" }, when(d.received_at)),
                ),
              );
            }),
          )
        : h("p", { class: "small text-muted" }, t("console.documents.none")),
      docs.length ? preview(selected) : null,
    );
  }

  function historyView() {
    const note = h("textarea", { class: "form-control", id: "note-text", rows: "2", maxlength: "4000" });
    return h(
      "div",
      {},
      h(
        "form",
        {
          class: "mb-2",
          onsubmit: (event) => {
            event.preventDefault();
            if (note.value.trim()) act("POST", "/notes", { text: note.value.trim() }, t("console.history.noted"));
          },
        },
        field("note-text", t("console.history.note"), note, t("console.history.note_help")),
        h("button", { type: "submit", class: "btn btn-outline-primary btn-sm" }, icon("it-pencil", "me-1"), t("console.history.add")),
      ),
      h(
        "ol",
        { class: "history list-unstyled" },
        [...current.timeline].reverse().map((event) =>
          h(
            "li",
            { class: "history-line" },
            h("span", { class: "small text-muted d-block" }, `${when(event.at)} · ${actorLabel(event.actor, current.applicant.name)}`),
            h("span", {}, tOr(`console.event.${event.kind}`, event.kind)),
            event.kind === "note" ? h("span", { class: "d-block note-text", dir: "auto" }, event.data.text) : null,
            event.kind === "status_changed" ? h("span", { class: "d-block small" }, `${t(`console.status.${event.data.from}`)} → ${t(`console.status.${event.data.to}`)}`) : null,
          ),
        ),
      ),
    );
  }

  async function showDocument(documentId) {
    selectedDocument = documentId;
    tab = "documents";
    if (Date.now() - loadedAt > LINK_REFRESH_MS) await load();
    else drawSide();
    sidePanel.querySelector(".document-preview h3")?.focus?.();
  }

  async function load() {
    try {
      current = await request("GET", `/api/cases/${encodeURIComponent(caseId)}`);
    } catch (error) {
      fill(panel, h("div", { class: "alert alert-danger m-3", role: "alert" }, error.status === 404 ? t("console.case.not_found") : errorText(error)));
      thread?.stop();
      return false;
    }
    loadedAt = Date.now();
    if (!selectedDocument && current.documents.length) {
      const waiting = current.documents.find((d) => itemOfDocument(d.id)?.state === "received");
      selectedDocument = (waiting || current.documents[current.documents.length - 1]).id;
    }
    drawHeader();
    drawChecklist();
    drawSide();
    return true;
  }

  fill(panel, header, h("div", { class: "case-grid" }, checklistPanel, threadPanel, sidePanel));
  load().then((ok) => {
    if (!ok) return;
    threadPanel.id = "thread";
    thread = mountThread(threadPanel, caseId, {
      applicantName: () => current.applicant.name,
      showDocument,
      changed: () => {
        load();
        changed();
      },
    });
  });
  const timer = setInterval(() => {
    if (document.visibilityState === "visible" && Date.now() - loadedAt > 30000) load();
  }, 10000);
  return {
    stop() {
      clearInterval(timer);
      thread?.stop();
    },
  };
}
