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
  // A save posts; "Keep the saved version" only gets the block as stored.
  const config = evt.detail && evt.detail.requestConfig;
  return elt && elt.closest && elt.closest(".requirement-block") && !(config && config.verb === "get");
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

// --- Leaving the page: saves first ---------------------------------------------------------------------------
// An answer form saves 200 ms after a change ("change delay:200ms"), and a save takes a moment to come back: a link
// clicked in between would leave the page and lose the answer without a word. So while a save is waiting or on its
// way, a click on a link (or a plain form's submit) sends what is waiting, waits for every save to finish, then goes
// on; if a save failed, it stays and says so. beforeunload covers what no click announces (closing the tab, the
// back button, a typed address).

const requestsInFlight = new Set(); // the XMLHttpRequests htmx sent that have not ended
const waitingToSave = new Map(); // form -> whether we already asked it to save now; it has a change not yet sent
let leaving = false; // the user chose to leave although something is not saved: ask nothing more

function savesOnChange(form) {
  return !!form && form.hasAttribute("hx-post") && /(^|,)\s*change\b/.test(form.getAttribute("hx-trigger") || "");
}

// A date typed from the keyboard (month, day, then the year's digits one by one) is a whole date after each digit
// of the year: 0002, 0020, 0203, 2030. Each would be saved and refused as a date in the past before the last digit
// comes. No one plans anything in the first millennium: such a value is a date still being typed, and its change
// goes no further (neither to htmx, nor to the watch on unsaved changes below) until the year is complete.
document.addEventListener("change", (evt) => {
  const field = evt.target;
  if (field.matches && field.matches("input[type=date]") && /^0\d{3}-/.test(field.value)) {
    evt.stopImmediatePropagation();
  }
}, true);

// Capture: noted before htmx's own listener on the form sends the save (or schedules it after the delay).
document.addEventListener("change", (evt) => {
  const form = evt.target.closest && evt.target.closest("form");
  if (savesOnChange(form)) waitingToSave.set(form, false);
}, true);

document.addEventListener("htmx:beforeSend", (evt) => {
  const form = evt.detail.elt.closest && evt.detail.elt.closest("form");
  if (form) waitingToSave.delete(form);
  const xhr = evt.detail.xhr;
  requestsInFlight.add(xhr);
  xhr.addEventListener("loadend", () => requestsInFlight.delete(xhr));
});

function savesPending() {
  // A form replaced by a save's reply is gone, and so is its scheduled save: what was typed in it meanwhile is
  // re-sent from its replacement (typedDuringSave above).
  for (const form of waitingToSave.keys()) if (!form.isConnected) waitingToSave.delete(form);
  return requestsInFlight.size > 0 || waitingToSave.size > 0 || typedDuringSave.size > 0;
}

function sendWaitingSaves() {
  // Only forms that also save on submit can be asked to save now; the others save at once on change anyway.
  for (const [form, asked] of waitingToSave) {
    if (asked || !/\bsubmit\b/.test(form.getAttribute("hx-trigger") || "")) continue;
    waitingToSave.set(form, true);
    form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  }
}

function failedSaves() {
  // Each requirement block says "Not saved …" in red next to its Save button (a refused, failed or conflicting save).
  const blocks = [];
  for (const state of document.querySelectorAll(".save-state .text-danger")) {
    const block = state.closest(".requirement-block") || state.closest("form");
    if (block && !blocks.includes(block)) blocks.push(block);
  }
  return blocks;
}

function leaveNotice() {
  let notice = document.getElementById("leave-notice");
  if (!notice) {
    notice = document.createElement("div");
    notice.id = "leave-notice";
    notice.dataset.testid = "leave-notice";
    document.body.appendChild(notice);
  }
  return notice;
}

function hideLeaveNotice() {
  const notice = document.getElementById("leave-notice");
  if (notice) notice.remove();
}

function showSaving() {
  const notice = leaveNotice();
  notice.className = "alert alert-info shadow leave-notice";
  notice.setAttribute("role", "status");
  notice.textContent = "Saving your last change before leaving…";
}

function showNotSaved(blocks, go, stillSaving) {
  const notice = leaveNotice();
  notice.className = "alert alert-danger shadow leave-notice";
  notice.setAttribute("role", "alert");
  notice.replaceChildren();
  const text = document.createElement("p");
  text.className = "mb-2";
  const names = blocks.map((b) => (b.id || "").replace(/^req-/, "")).filter(Boolean);
  if (stillSaving) {
    text.textContent = "Your last change is still being saved (the server is slow or cannot be reached). " +
      "If you leave now it may be lost.";
  } else {
    text.textContent = (names.length === 1 ? "Your answer to " + names[0] + " is not saved"
      : names.length ? "Your answers to " + names.join(", ") + " are not saved" : "A change on this page is not saved") +
      " (the reason is next to it). If you leave now it is lost.";
  }
  const stay = document.createElement("button");
  stay.type = "button";
  stay.className = "btn btn-sm btn-primary me-2";
  stay.textContent = "Stay on this page";
  stay.addEventListener("click", () => {
    hideLeaveNotice();
    const first = blocks[0];
    if (first) {
      first.scrollIntoView({ block: "center" });
      const control = first.querySelector("button, textarea, input:not([type=hidden])");
      if (control) control.focus({ preventScroll: true });
    }
  });
  const leave = document.createElement("button");
  leave.type = "button";
  leave.className = "btn btn-sm btn-outline-danger";
  leave.textContent = "Leave anyway";
  leave.addEventListener("click", () => {
    leaving = true;
    hideLeaveNotice();
    go();
  });
  notice.append(text, stay, leave);
  stay.focus();
}

let leaveAfter = null; // where to go once the saves are done (the latest click wins)
let waitTimer = null;
const WAIT_LIMIT_MS = 20000;

function leaveAfterSaves(go) {
  leaveAfter = go;
  if (waitTimer !== null) return; // already waiting
  const started = Date.now();
  const check = () => {
    waitTimer = null;
    sendWaitingSaves();
    if (savesPending()) {
      const waited = Date.now() - started;
      if (waited > WAIT_LIMIT_MS) {
        showNotSaved(failedSaves(), leaveAfter, true);
        return;
      }
      if (waited > 300) showSaving();
      waitTimer = setTimeout(check, 50);
      return;
    }
    const failed = failedSaves();
    if (failed.length) {
      showNotSaved(failed, leaveAfter, false);
      return;
    }
    hideLeaveNotice();
    leaveAfter();
  };
  check();
}

function mustWaitBeforeLeaving() {
  return !leaving && (savesPending() || failedSaves().length > 0);
}

document.addEventListener("click", (evt) => {
  if (evt.defaultPrevented || evt.button !== 0 || evt.metaKey || evt.ctrlKey || evt.shiftKey || evt.altKey) return;
  const link = evt.target.closest && evt.target.closest("a[href]");
  if (!link || link.hasAttribute("download") || (link.target && link.target !== "_self")) return;
  const url = new URL(link.href, window.location.href);
  const here = window.location;
  // A link to a place on this same page only scrolls: nothing is left.
  if (url.hash && url.origin === here.origin && url.pathname === here.pathname && url.search === here.search) return;
  if (!mustWaitBeforeLeaving()) return;
  evt.preventDefault();
  leaveAfterSaves(() => window.location.assign(link.href));
});

document.addEventListener("submit", (evt) => {
  const form = evt.target;
  // htmx forms save in place (htmx cancels their submit); only a plain form's submit leaves the page.
  if (evt.defaultPrevented || !form.matches || form.matches("[hx-post], [hx-get]")) return;
  if (!mustWaitBeforeLeaving()) return;
  evt.preventDefault();
  const submitter = evt.submitter && evt.submitter.form === form ? evt.submitter : null;
  leaveAfterSaves(() => {
    leaving = true; // what was waiting is saved, or the user chose to leave: let this submit through
    form.requestSubmit(submitter);
  });
});

// Leaving without a click (closing the tab, the back button): let the browser ask while a save is waiting, on its
// way or failed. What is waiting is sent now, so staying gives it the time to arrive.
window.addEventListener("beforeunload", (event) => {
  // Text still being typed has not fired "change" (that comes when the field loses focus): count it as waiting.
  const active = document.activeElement;
  if (active && active.matches && active.matches("textarea, input[type=text], input[type=date]") &&
      savesOnChange(active.form) && active.value !== active.defaultValue) {
    active.dispatchEvent(new Event("change", { bubbles: true }));
  }
  if (!mustWaitBeforeLeaving()) return;
  sendWaitingSaves();
  event.preventDefault();
});

// --- A file too large to send ------------------------------------------------------------------------------------
// The server refuses a page whose file is over the limit before reading it, so nothing else typed on the page would
// arrive either. Say so here, before anything is sent, and keep the page as it is.
document.addEventListener("submit", (evt) => {
  const form = evt.target;
  if (!form.querySelectorAll) return;
  for (const box of form.querySelectorAll("[data-max-upload-bytes]")) {
    const input = box.querySelector("input[type=file]");
    const file = input && input.files && input.files[0];
    const limit = Number(box.dataset.maxUploadBytes);
    let message = box.querySelector(".file-too-large");
    if (!file || !limit || file.size <= limit) {
      if (message) message.remove();
      input && input.classList.remove("is-invalid");
      continue;
    }
    evt.preventDefault();
    evt.stopImmediatePropagation();
    if (!message) {
      message = document.createElement("div");
      message.className = "invalid-feedback d-block file-too-large";
      message.setAttribute("role", "alert");
      message.dataset.testid = "file-too-large";
      input.after(message);
    }
    message.textContent = "The file is larger than " + box.dataset.maxUploadMb + " MB: choose a smaller one. " +
      "Nothing was sent; everything you typed is still here.";
    input.classList.add("is-invalid");
    input.focus();
    return;
  }
}, true);

// --- Printing: folded lists print whole ----------------------------------------------------------------------------
// The results page folds long lists away in <details class="fold">. app.css opens them for print where the browser
// supports ::details-content; elsewhere they are opened here for the print and closed again after it.
window.addEventListener("beforeprint", () => {
  for (const details of document.querySelectorAll("details.fold:not([open])")) {
    details.open = true;
    details.dataset.openedForPrint = "true";
  }
});

window.addEventListener("afterprint", () => {
  for (const details of document.querySelectorAll("details[data-opened-for-print]")) {
    details.open = false;
    delete details.dataset.openedForPrint;
  }
});

// --- Questionnaire keyboard shortcuts ------------------------------------------------------------------------------
// On a family page: M met, N not met, A not applicable, P partially met, on the requirement the focus is in (in
// objective mode, on the objective row it is in); J / K: the next / previous requirement. Met, not met and partially
// met then go on to the next requirement; not applicable goes to its justification, which it needs. Choosing works
// as a click does: the radio changes and the form saves itself. Never while typing in a text field, never with a
// modifier key. The page's hint (.keyboard-hint) says all this, and is shown only where this script runs.

const ANSWER_KEYS = { m: "met", n: "not_met", a: "na", p: "partial" };

for (const hint of document.querySelectorAll(".keyboard-hint")) hint.hidden = false;

function typingIn(element) {
  if (!element || !element.matches) return false;
  return element.isContentEditable ||
    element.matches("textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit])");
}

function requirementBlocks() {
  return Array.from(document.querySelectorAll(".requirement-block"));
}

function focusedBlock() {
  const active = document.activeElement;
  return active && active.closest ? active.closest(".requirement-block") : null;
}

function focusBlock(block) {
  if (!block) return;
  if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "-1");
  block.focus({ preventScroll: true });
  block.scrollIntoView({ block: "center", behavior: "instant" });
}

function choose(block, value) {
  // The objective row the focus is in (objective mode), else the requirement's own answer.
  const active = document.activeElement;
  const form = (active && active.closest && active.closest(".objective-form")) || block.querySelector(".answer-form");
  const radio = form && form.querySelector(`input[type=radio][name$="-status"][value="${value}"]:not(:disabled)`);
  if (!radio) return null;
  if (!radio.checked) {
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  }
  return form;
}

document.addEventListener("keydown", (evt) => {
  if (evt.defaultPrevented || evt.repeat || evt.ctrlKey || evt.metaKey || evt.altKey || evt.shiftKey) return;
  if (evt.isComposing || typingIn(evt.target)) return;
  const key = (evt.key || "").toLowerCase();
  if (!(key in ANSWER_KEYS) && key !== "j" && key !== "k") return;
  const blocks = requirementBlocks();
  if (!blocks.length) return;
  const block = focusedBlock();
  if (key === "j" || key === "k") {
    evt.preventDefault();
    const index = block ? blocks.indexOf(block) + (key === "j" ? 1 : -1) : 0;
    focusBlock(blocks[Math.max(0, Math.min(blocks.length - 1, index))]);
    return;
  }
  if (!block) return;
  const form = choose(block, ANSWER_KEYS[key]);
  if (!form) return;
  evt.preventDefault();
  if (form.classList.contains("objective-form")) return;
  if (key === "a") {
    const justification = block.querySelector("textarea[name$='-justification']");
    if (justification && !justification.value.trim()) justification.focus();
    return;
  }
  const next = blocks[blocks.indexOf(block) + 1];
  if (next) focusBlock(next);
});
