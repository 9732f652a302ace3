// The tip page without a framework: keyboard shortcuts, the sheet's handle, the undo line, honest
// failures, and the service worker. Everything here is optional: every action works as a plain
// form without it.
(() => {
  // A tip that has just appeared has not been read yet: a key pressed now was meant for the one before.
  const SETTLE_MS = 400;
  // How long the undo line stays; the server accepts the undo for longer (UNDO_SECONDS).
  const UNDO_SHOWN_MS = 5000;
  let shownAt = performance.now();
  let undoTimer = 0;
  document.documentElement.classList.add("js");
  const toggle = () => document.querySelector("#tip .sheet-toggle");

  function closeSheet() {
    const sheet = toggle();
    if (!sheet?.open) return;
    sheet.open = false;
    // Focus on a button of the closed sheet would fall back to the page's start.
    sheet.querySelector("summary").focus({ preventScroll: true });
  }

  // The undo line fades after a while; the swap that follows an action brings a fresh one.
  function scheduleUndoFade() {
    clearTimeout(undoTimer);
    const undo = document.querySelector("#tip .undo");
    if (!undo) return;
    undoTimer = setTimeout(() => {
      undo.classList.add("leaving");
      setTimeout(() => undo.remove(), 300);
    }, UNDO_SHOWN_MS);
  }

  document.addEventListener("keydown", (event) => {
    // A held key repeats: it must not go on to act on the next tip once that is swapped in.
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey || event.target.closest?.("input, textarea, select")) return;
    const sheet = toggle();
    if (event.key === "z") {
      // Undo speaks of the action just taken, so the settle time of the new tip does not apply.
      const undo = document.querySelector("#tip .undo:not(.leaving) button");
      if (undo) {
        event.preventDefault();
        undo.form.requestSubmit(undo);
      }
    } else if (!sheet) {
      return;
    } else if (event.key === " " && !event.target.closest?.("summary, button, a")) {
      event.preventDefault();
      sheet.open = !sheet.open;
    } else if (event.key === "Escape" && sheet.open) {
      closeSheet();
    } else if (event.key === "w") {
      const why = document.querySelector("#tip .why");
      if (why) why.open = !why.open;
    } else if (/^[a-z]$/.test(event.key)) {
      // Each action button carries its own shortcut, so the page and this script cannot disagree.
      const button = document.querySelector(`#tip .sheet button[data-key="${event.key}"]`);
      if (!button || performance.now() - shownAt < SETTLE_MS) return;
      // Done and dismiss weigh more (done closes the task in Todoist): their keys act only with the sheet open.
      if (button.hasAttribute("data-sheet-only") && !sheet.open) return;
      event.preventDefault();
      button.form.requestSubmit(button);
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest?.("#tip [data-close]")) closeSheet();
    const retry = event.target.closest?.("#tip [data-retry]");
    if (retry && lastSubmit) lastSubmit.form.requestSubmit(lastSubmit.submitter);
  });

  // The last action sent, so "retry" can send it again.
  let lastSubmit = null;
  document.addEventListener("submit", (event) => {
    if (event.target.closest("#tip")) lastSubmit = { form: event.target, submitter: event.submitter };
  });

  /** What a failed action says, in the place it was asked: the sheet stays open, the tip stays. */
  function showFailure(form, status, timedOut = false) {
    const offline = status === null && !navigator.onLine;
    if (form.classList.contains("undo")) {
      clearTimeout(undoTimer);
      const label = form.querySelector("span");
      if (status === 409) {
        label.textContent = "Too late to undo";
        form.querySelector("button")?.remove();
      } else {
        label.textContent = offline ? "Offline · undo not sent" : "Undo not sent";
      }
      return;
    }
    const line = form.querySelector(".sheet-status");
    if (!line) return;
    const sheet = form.closest("details");
    if (sheet) sheet.open = true;
    // A timeout may have reached the server: retrying is safe (a repeat changes nothing), "not sent" would not be true.
    line.textContent = offline ? "You are offline. Not sent — " : timedOut ? "No answer yet — " : "Not sent — ";
    const retry = document.createElement("button");
    retry.type = "button";
    retry.dataset.retry = "";
    retry.textContent = "retry";
    line.append(retry);
  }

  document.addEventListener("htmx:before:request", (event) => {
    const status = event.target.querySelector?.(".sheet-status");
    if (status) status.textContent = "";
  });
  // Error answers are not swapped in (the page's htmx-config), so a proxy's error page never
  // replaces the tip; a dropped connection or a timeout ends here too.
  document.addEventListener("htmx:response:error", (event) => showFailure(event.target, event.detail.ctx.response.status));
  document.addEventListener("htmx:error", (event) => showFailure(event.target, null, event.detail.ctx?.request?.signal?.reason === "timeout"));

  // An open sheet is the only thing to use: what it covers leaves the tab order, and on a short
  // screen the sheet scrolls into view.
  document.addEventListener(
    "toggle",
    (event) => {
      if (!event.target.matches?.("#tip .sheet-toggle")) return;
      const open = event.target.open;
      for (const covered of document.querySelectorAll(".corner, #tip .why, #tip .undo")) covered.inert = open;
      if (open) event.target.querySelector(".sheet").scrollIntoView({ block: "nearest" });
    },
    true,
  );

  // "Nothing is waiting" says when a tip is likely next: an open page looks again then, and when it
  // comes back into view after that time.
  function lookAgainWhenDue() {
    const empty = document.querySelector("#tip [data-next-at]");
    if (!empty) return;
    const due = Number(empty.dataset.nextAt);
    if (Date.now() >= due) location.reload();
    else setTimeout(lookAgainWhenDue, Math.min(due - Date.now() + 1000, 3_600_000));
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") lookAgainWhenDue();
  });
  lookAgainWhenDue();

  // After htmx swaps in the next tip, keep focus on it for keyboard users.
  document.addEventListener("htmx:after:swap", () => {
    shownAt = performance.now();
    scheduleUndoFade();
    lookAgainWhenDue();
    document.querySelector("#tip summary")?.focus({ preventScroll: true });
  });
  scheduleUndoFade();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
})();
