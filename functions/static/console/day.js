// The counter's day: who comes when, for the staff at the counter; each visit marked attended or missed.

import { request } from "./api.js";
import { announce, errorText, fill, h, icon, localDay, t } from "./dom.js";

function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Rome" }).format(new Date());
}

/** Mount the day list in `panel`; `open(caseId)` opens a case. */
export function mountDay(panel, day, open, go) {
  const date = h("input", { type: "date", class: "form-control form-control-sm", id: "day-date", value: day || today() });
  const list = h("div", { class: "day-list", "aria-live": "polite" });
  const title = h("h1", { class: "h4" });

  async function mark(caseId, attended) {
    if (!attended && !confirm(t("console.visit.missed_confirm"))) return;
    try {
      await request("PATCH", `/api/cases/${encodeURIComponent(caseId)}/appointment`, { attended });
      announce(t(attended ? "console.visit.marked_attended" : "console.visit.marked_missed"), "ok");
      load();
    } catch (error) {
      announce(errorText(error), "error");
    }
  }

  async function load() {
    fill(title, icon("it-calendar", "me-1"), t("console.day.title", { day: localDay(date.value) }));
    try {
      const answer = await request("GET", `/api/calendar/day?date=${date.value}`);
      if (!answer.visits.length) {
        fill(list, h("p", { class: "text-muted" }, t("console.day.empty")));
        return;
      }
      fill(
        list,
        h(
          "table",
          { class: "table table-sm day-table" },
          h("thead", {}, h("tr", {}, ["console.day.time", "console.day.applicant", "console.day.case", "console.day.state", "console.day.actions"].map((k) => h("th", { scope: "col" }, t(k))))),
          h(
            "tbody",
            {},
            answer.visits.map((visit) =>
              h(
                "tr",
                {},
                h("td", { class: "fw-semibold" }, visit.at.slice(11)),
                h("td", {}, visit.case.applicant_name),
                h("td", {}, h("a", { href: `#/case/${encodeURIComponent(visit.case.id)}`, onclick: (event) => { event.preventDefault(); open(visit.case.id); } }, visit.case.id)),
                h("td", {}, visit.attended === true ? t("console.visit.came") : visit.attended === false ? t("console.visit.did_not_come") : t(`console.status.${visit.case.status}`)),
                h(
                  "td",
                  {},
                  visit.attended === null && visit.case.status === "appointment_booked"
                    ? [
                        h("button", { type: "button", class: "btn btn-success btn-sm me-1", onclick: () => mark(visit.case.id, true) }, t("console.visit.attended")),
                        h("button", { type: "button", class: "btn btn-outline-danger btn-sm", onclick: () => mark(visit.case.id, false) }, t("console.visit.missed")),
                      ]
                    : null,
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      fill(list, h("p", { class: "text-danger" }, errorText(error)));
    }
  }

  date.addEventListener("change", () => go(date.value));
  fill(
    panel,
    h(
      "div",
      { class: "p-3 day-view" },
      title,
      h("div", { class: "d-flex align-items-end gap-2 mb-3" }, h("div", {}, h("label", { class: "form-label small mb-1", for: "day-date" }, t("console.day.date")), date)),
      list,
    ),
  );
  load();
  return { stop() {} };
}
