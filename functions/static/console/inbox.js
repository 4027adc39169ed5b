// The inbox: the office's cases that wait for an officer, the longest wait first, refreshed without a reload.

import { ApiError, request } from "./api.js";
import { announce, config, duration, fill, h, icon, language, localWhen, t } from "./dom.js";

const REFRESH_MS = 15000;
const FILTERS = [
  ["", "console.inbox.all"],
  ["me", "console.inbox.mine"],
  ["unassigned", "console.inbox.unassigned"],
];

export function permitName(code) {
  return config.permits?.[language]?.[code] || code;
}

function reasonBadge(reason) {
  const style = {
    unanswered: "badge bg-primary",
    documents_to_review: "badge bg-warning",
    ready_for_visit: "badge bg-success",
    erasure_requested: "badge bg-danger",
  }[reason.reason];
  return h("span", { class: `${style || "badge bg-secondary"} me-1` }, t(`console.reason.${reason.reason}`));
}

function row(item, selected, open) {
  const preview = item.last_message?.text;
  const assigned = item.assigned_officer_name || item.assigned_officer;
  return h(
    "li",
    { class: "inbox-row" },
    h(
      "a",
      {
        class: `list-group-item list-group-item-action${item.id === selected ? " active" : ""}`,
        href: `#/case/${encodeURIComponent(item.id)}`,
        "aria-current": item.id === selected ? "true" : null,
        onclick: (event) => {
          event.preventDefault();
          open(item.id);
        },
      },
      h(
        "span",
        { class: "d-flex justify-content-between align-items-baseline gap-2" },
        h("strong", { class: "inbox-name" }, item.applicant_name),
        h("span", { class: "small inbox-wait" }, duration(item.waited_seconds)),
      ),
      h("span", { class: "d-block small" }, `${item.id} · ${permitName(item.permit_type)} · ${item.language}`),
      h("span", { class: "d-block mt-1" }, item.reasons.map(reasonBadge)),
      preview ? h("span", { class: "d-block small inbox-preview mt-1", dir: "auto" }, `“${preview}”`) : null,
      item.appointment ? h("span", { class: "d-block small mt-1" }, t("console.inbox.visit", { when: localWhen(item.appointment.at) })) : null,
      h(
        "span",
        { class: "d-block small mt-1 inbox-assigned" },
        assigned ? t("console.inbox.assigned_to", { name: assigned }) : t("console.inbox.nobody"),
      ),
    ),
  );
}

/** The inbox panel; `open(caseId)` opens a case. Returns { refresh, select }. */
export function mountInbox(panel, open) {
  let filter = sessionStorage.getItem("sportello.console.filter") || "";
  let selected = null;
  let rows = [];
  let cursor = null;
  const list = h("ul", { class: "list-group inbox-list", "aria-live": "polite" });
  const more = h("button", { class: "btn btn-outline-primary btn-sm mt-2", type: "button", hidden: true });
  const tabs = h("div", { class: "btn-group btn-group-sm mb-2", role: "group", "aria-label": t("console.inbox.filter") });
  const count = h("span", { class: "badge bg-primary ms-2" });

  function drawTabs() {
    fill(
      tabs,
      FILTERS.map(([value, key]) =>
        h(
          "button",
          {
            type: "button",
            class: `btn ${filter === value ? "btn-primary" : "btn-outline-primary"}`,
            "aria-pressed": String(filter === value),
            onclick: () => {
              filter = value;
              sessionStorage.setItem("sportello.console.filter", value);
              drawTabs();
              refresh();
            },
          },
          t(key),
        ),
      ),
    );
  }

  function draw() {
    fill(count, String(rows.length) + (cursor ? "+" : ""));
    if (!rows.length) {
      fill(list, h("li", { class: "list-group-item inbox-empty" }, t("console.inbox.empty")));
    } else {
      fill(list, rows.map((item) => row(item, selected, open)));
    }
    more.hidden = !cursor;
    fill(more, t("console.inbox.more"));
  }

  async function load(append) {
    const query = new URLSearchParams({ limit: "50" });
    if (filter) query.set("assigned", filter);
    if (append && cursor) query.set("cursor", cursor);
    try {
      const page = await request("GET", `/api/inbox?${query}`);
      rows = append ? rows.concat(page.cases) : page.cases;
      cursor = page.next_cursor;
      draw();
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) announce(t("console.error.load"), "error");
    }
  }

  function refresh() {
    return load(false);
  }

  more.addEventListener("click", () => load(true));
  fill(
    panel,
    h("h2", { class: "h5 d-flex align-items-center" }, icon("it-inbox", "me-1"), t("console.inbox.title"), count),
    tabs,
    list,
    more,
  );
  drawTabs();
  refresh();
  setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_MS);
  return {
    refresh,
    select(caseId) {
      selected = caseId;
      draw();
    },
  };
}
