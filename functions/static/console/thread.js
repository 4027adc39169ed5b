// The conversation of a case: every message in both directions, newest at the bottom, and a reply box that knows
// the 24-hour window (free text inside it; outside it, only the office's approved template).

import { ApiError, request } from "./api.js";
import { actorLabel, announce, errorText, fill, h, icon, t, tOr, when } from "./dom.js";

const REFRESH_MS = 8000;
const DELIVERY_ICONS = { sent: "it-check", delivered: "it-check-circle", read: "it-check-circle", played: "it-check-circle" };

function delivery(message) {
  const state = message.delivery;
  if (!state) return null;
  const failed = state.state === "failed";
  return h(
    "span",
    { class: `delivery delivery-${state.state}`, title: failed ? state.error?.reason : null },
    DELIVERY_ICONS[state.state] ? icon(DELIVERY_ICONS[state.state], "me-1") : null,
    t(`console.delivery.${state.state}`),
    failed && state.error ? h("span", { class: "d-block delivery-reason" }, state.error.reason) : null,
  );
}

function body(message, showDocument) {
  const parts = [];
  if (message.template) {
    parts.push(h("span", { class: "badge bg-secondary me-1" }, t("console.thread.template", { name: message.template.name })));
  }
  if (message.kind !== "text" && message.kind !== "template" && !message.template) {
    parts.push(h("span", { class: "badge bg-light text-dark me-1 kind" }, tOr(`console.kind.${message.kind}`, message.kind)));
  }
  if (message.text) parts.push(h("span", { class: "d-block message-text", dir: "auto" }, message.text));
  if (message.options?.length) {
    parts.push(h("span", { class: "d-block mt-1" }, message.options.map((o) => h("span", { class: "option me-1" }, o))));
  }
  if (message.document_id) {
    parts.push(
      h(
        "button",
        { type: "button", class: "btn btn-link btn-sm p-0 d-block", onclick: () => showDocument(message.document_id) },
        icon("it-file", "me-1"),
        t("console.thread.open_document"),
      ),
    );
  }
  if (message.refused) parts.push(h("span", { class: "d-block text-danger small" }, t(`console.refused.${message.refused}`)));
  return parts;
}

function bubble(message, applicantName, showDocument) {
  const outbound = message.direction === "out";
  return h(
    "li",
    { class: `message ${outbound ? "message-out" : "message-in"} author-${message.author.kind}`, dataset: { id: message.id } },
    h(
      "span",
      { class: "message-meta small" },
      h("strong", {}, actorLabel(message.author, applicantName)),
      ` · ${when(message.at)}`,
    ),
    body(message, showDocument),
    outbound ? h("span", { class: "d-block small mt-1" }, delivery(message)) : null,
  );
}

/** The conversation panel for one case; `context` gives the applicant's name and opens documents. */
export function mountThread(panel, caseId, context) {
  let messages = [];
  let older = null;
  let window_ = { open: false, closes_at: null };
  let stopped = false;
  const list = h("ol", { class: "thread-list", "aria-label": t("console.thread.title"), tabindex: "0" });
  const olderButton = h("button", { type: "button", class: "btn btn-outline-primary btn-sm mb-2", hidden: true }, t("console.thread.older"));
  const windowNote = h("p", { class: "small mb-1 window-note", role: "status" });
  const text = h("textarea", {
    class: "form-control",
    id: "reply-text",
    rows: "2",
    maxlength: "4096",
    "aria-describedby": "reply-help",
  });
  const send = h("button", { type: "submit", class: "btn btn-primary" }, icon("it-comment", "icon-white me-1"), t("console.thread.send"));
  const template = h("button", { type: "button", class: "btn btn-outline-primary", hidden: true }, t("console.thread.send_template"));
  const form = h(
    "form",
    { class: "reply", novalidate: true },
    h("label", { class: "form-label", for: "reply-text" }, t("console.thread.reply")),
    windowNote,
    text,
    h("p", { class: "small mb-1 reply-help", id: "reply-help" }, t("console.thread.reply_help")),
    h("div", { class: "d-flex gap-2 flex-wrap" }, send, template),
  );

  function drawWindow() {
    if (window_.open) {
      fill(windowNote, t("console.thread.window_open", { until: when(window_.closes_at) }));
      windowNote.className = "small mb-1 window-note text-success";
    } else {
      fill(windowNote, t("console.thread.window_closed"));
      windowNote.className = "small mb-1 window-note alert alert-warning py-1 px-2";
    }
    text.disabled = !window_.open;
    send.disabled = !window_.open;
    template.hidden = window_.open;
  }

  function draw(stickToBottom) {
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    fill(
      list,
      messages.length
        ? messages.map((m) => bubble(m, context.applicantName(), context.showDocument))
        : h("li", { class: "text-muted p-3" }, t("console.thread.empty")),
    );
    olderButton.hidden = !older;
    if (stickToBottom || atBottom) list.scrollTop = list.scrollHeight;
    drawWindow();
  }

  async function loadNewest(stickToBottom) {
    try {
      const page = await request("GET", `/api/cases/${encodeURIComponent(caseId)}/conversation?limit=50`);
      if (stopped) return;
      const known = new Map(messages.map((m) => [m.id, m]));
      for (const m of page.messages) known.set(m.id, m);
      messages = [...known.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      if (older === null && messages.length === page.messages.length) older = page.older_cursor;
      window_ = page.window;
      draw(stickToBottom);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) announce(t("console.error.load"), "error");
    }
  }

  olderButton.addEventListener("click", async () => {
    const page = await request("GET", `/api/cases/${encodeURIComponent(caseId)}/conversation?limit=50&cursor=${encodeURIComponent(older)}`);
    const seen = new Set(messages.map((m) => m.id));
    messages = page.messages.filter((m) => !seen.has(m.id)).concat(messages);
    older = page.older_cursor;
    const before = list.scrollHeight;
    draw(false);
    list.scrollTop = list.scrollHeight - before;
  });

  // One key per message written, kept while it is retried (the same text sent again after an error or a timeout):
  // the API then sends it once, however many of the attempts reached it.
  let pending = null;
  function withKey(body) {
    const text = JSON.stringify(body);
    if (!pending || pending.text !== text) pending = { text, key: crypto.randomUUID() };
    return { ...body, idempotency_key: pending.key };
  }

  async function post(body, done) {
    send.disabled = template.disabled = true;
    try {
      const answer = await request("POST", `/api/cases/${encodeURIComponent(caseId)}/messages`, withKey(body));
      pending = null;
      announce(t(answer.message === "failed" ? "console.thread.send_failed" : "console.thread.sent"), answer.message === "failed" ? "error" : "ok");
      done();
      await loadNewest(true);
      context.changed();
    } catch (error) {
      if (error.code === "window_closed") {
        window_ = { open: false, closes_at: window_.closes_at };
        drawWindow();
      }
      announce(errorText(error), "error");
    } finally {
      template.disabled = false;
      drawWindow();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) {
      text.focus();
      return;
    }
    post({ text: value }, () => {
      text.value = "";
    });
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  template.addEventListener("click", () => post({ template: true }, () => {}));

  fill(
    panel,
    h("h2", { class: "h5 d-flex align-items-center" }, icon("it-comment", "me-1"), t("console.thread.title")),
    olderButton,
    list,
    form,
  );
  loadNewest(true);
  const timer = setInterval(() => {
    if (document.visibilityState === "visible") loadNewest(false);
  }, REFRESH_MS);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    refresh: () => loadNewest(false),
  };
}
