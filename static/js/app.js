// Small progressive enhancements; every page works without this file.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      button.textContent = "Copied";
    });
  }
});

// htmx notes the current path in the session storage whenever it loads. We never push URLs with htmx, so the note is
// never needed, and an assessment's address is better kept nowhere but the history.
try {
  sessionStorage.removeItem("htmx-current-path-for-history");
} catch (e) {
  // storage switched off: nothing was written either
}

// --- CSRF token --------------------------------------------------------------------------------------------------
// Django replaces the CSRF token at sign-in. Signing in in another tab leaves this page holding the old token in
// its forms, and its next save would get 403. So every request sends the token the browser holds now (the
// cookie), not the one written into the page when it loaded.

function currentCsrfToken() {
  const meta = document.querySelector("meta[name='csrf-cookie-name']");
  if (!meta) return null;
  const prefix = meta.content + "=";
  for (const part of document.cookie.split(";")) {
    const cookie = part.trim();
    if (cookie.startsWith(prefix)) return decodeURIComponent(cookie.slice(prefix.length));
  }
  return null;
}

document.addEventListener("htmx:configRequest", (evt) => {
  const token = currentCsrfToken();
  if (!token || evt.detail.verb === "get") return;
  // Django reads the form field before the header, so the field has to carry the fresh token too.
  evt.detail.headers["X-CSRFToken"] = token;
  if (evt.detail.formData && evt.detail.formData.has("csrfmiddlewaretoken")) {
    evt.detail.formData.set("csrfmiddlewaretoken", token);
  }
});

document.addEventListener("submit", (evt) => {
  // Plain (non-htmx) form posts: refresh the hidden field just before the browser sends it.
  const token = currentCsrfToken();
  const input = evt.target.querySelector && evt.target.querySelector("input[name='csrfmiddlewaretoken']");
  if (token && input) input.value = token;
});

// --- Questionnaire saves (htmx) ---------------------------------------------------------------------------------
// Each answer form posts on change and the server answers with the requirement's block. When a save fails the
// block is not replaced, so everything typed stays on screen; we say so next to the Save button.

function saveState(elt) {
  const block = elt && elt.closest && elt.closest(".requirement-block");
  return block ? block.querySelector(".answer-form .save-state") : null;
}

function showState(elt, text, cls) {
  const state = saveState(elt);
  if (!state) return;
  state.replaceChildren();
  const span = document.createElement("span");
  span.className = cls;
  span.textContent = text;
  state.appendChild(span);
  const block = elt.closest(".requirement-block");
  block.classList.toggle("not-saved", cls === "text-danger");
}

function failureReason(status) {
  if (!status) return "the server could not be reached. Your answer is still here: press Save to try again.";
  if (status === 404) {
    return "this browser no longer has access to the assessment (the session may have expired). Copy what you " +
      "typed, then open the assessment again with your recovery key.";
  }
  if (status === 401) {
    // A signed-in session that timed out (accounts/middleware.py): nothing was written.
    return "you were signed out because your session timed out. Your answer is still here: sign in again in " +
      "another tab, then press Save.";
  }
  if (status === 410) {
    return "this anonymous assessment has expired (it was not changed for too long) and can no longer be saved. " +
      "Copy what you typed, then start a new assessment.";
  }
  if (status === 403) {
    // A CSRF refusal, or a role lowered to viewer while the page was open (viewers get a read-only page).
    return "this page is out of date, or your role in the organisation no longer allows changes. Copy what you " +
      "typed, then reload the page.";
  }
  if (status === 400 || status === 413) return "the answer was refused as invalid (too long or malformed).";
  if (status === 429) return "too many saves at once. Wait a moment, then press Save.";
  return "the server had a problem (" + status + "). Your answer is still here: press Save to try again.";
}

function isAnswerRequest(evt) {
  const elt = evt.detail && evt.detail.elt;
  return elt && elt.closest && elt.closest(".requirement-block");
}

// What the user chose and typed in a requirement block (its answer form and objective forms), as sent, to notice
// changes made while a save was in flight: htmx drops a queued save of a form the response replaced, so those
// changes would silently vanish.
const FIELDS = "textarea, input[type=text], input[type=date], input[type=radio]";

function snapshot(block) {
  const values = {};
  for (const field of block.querySelectorAll(FIELDS)) {
    if (field.type === "radio") {
      if (!(field.name in values)) values[field.name] = "";
      if (field.checked) values[field.name] = field.value;
    } else {
      values[field.name] = field.value;
    }
  }
  return values;
}

function restore(block, name, value) {
  let last = null;
  for (const field of block.querySelectorAll(FIELDS)) {
    if (field.name !== name) continue;
    if (field.type === "radio") field.checked = field.value === value;
    else field.value = value;
    last = field;
  }
  return last;
}

const inFlight = new WeakMap(); // block -> values sent
const typedDuringSave = new Map(); // block id -> {field name: value chosen or typed after the request left}

document.addEventListener("htmx:beforeRequest", (evt) => {
  if (!isAnswerRequest(evt)) return;
  const block = evt.detail.elt.closest(".requirement-block");
  inFlight.set(block, snapshot(block));
  showState(evt.detail.elt, "Saving…", "text-body-secondary");
});

document.addEventListener("htmx:beforeSwap", (evt) => {
  if (!isAnswerRequest(evt) || !evt.detail.shouldSwap) return;
  const block = evt.detail.elt.closest(".requirement-block");
  const sent = inFlight.get(block);
  if (!sent) return;
  const changed = {};
  for (const [name, value] of Object.entries(snapshot(block))) {
    if (sent[name] !== value) changed[name] = value;
  }
  if (Object.keys(changed).length) typedDuringSave.set(block.id, changed);
});

document.addEventListener("htmx:afterSettle", () => {
  // The block was replaced by the server's: put back what was chosen or typed meanwhile, and save that too.
  for (const [id, changed] of typedDuringSave) {
    typedDuringSave.delete(id);
    const block = document.getElementById(id);
    if (!block) continue;
    const touched = new Set();
    for (const [name, value] of Object.entries(changed)) {
      const field = restore(block, name, value);
      if (field) touched.add(field.form);
    }
    for (const form of touched) {
      showState(form, "Not saved yet: saving what you changed…", "text-body-secondary");
      form.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
});

document.addEventListener("htmx:responseError", (evt) => {
  if (!isAnswerRequest(evt)) return;
  showState(evt.detail.elt, "Not saved — " + failureReason(evt.detail.xhr && evt.detail.xhr.status), "text-danger");
});

document.addEventListener("htmx:sendError", (evt) => {
  if (!isAnswerRequest(evt)) return;
  showState(evt.detail.elt, "Not saved — " + failureReason(0), "text-danger");
});

document.addEventListener("htmx:timeout", (evt) => {
  if (!isAnswerRequest(evt)) return;
  showState(evt.detail.elt, "Not saved — " + failureReason(0), "text-danger");
});

// Leaving the page with an answer that did not save: let the browser ask first.
window.addEventListener("beforeunload", (event) => {
  if (document.querySelector(".requirement-block.not-saved")) event.preventDefault();
});
