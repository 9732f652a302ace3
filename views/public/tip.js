// The tip page without a framework: keyboard shortcuts, the service worker, and the first-visit
// time zone. Everything here is optional; every action works as a plain form without it.
(() => {
  // A tip that has just appeared has not been read yet: a key pressed now was meant for the one before.
  const SETTLE_MS = 400;
  let shownAt = performance.now();
  const toggle = () => document.querySelector("#tip .sheet-toggle");
  document.addEventListener("keydown", (event) => {
    // A held key repeats: it must not go on to act on the next tip once that is swapped in.
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey || event.target.closest?.("input, textarea, select")) return;
    const sheet = toggle();
    if (!sheet) return;
    if (event.key === " " && !event.target.closest?.("summary, button, a")) {
      event.preventDefault();
      sheet.open = !sheet.open;
    } else if (event.key === "Escape" && sheet.open) {
      sheet.open = false;
      // Focus on a button of the closed sheet would fall back to the page's start.
      sheet.querySelector("summary").focus({ preventScroll: true });
    } else if (event.key === "w") {
      const why = document.querySelector("#tip .why");
      if (why) why.open = !why.open;
    } else if (/^[a-z]$/.test(event.key)) {
      // Each action button carries its own shortcut, so the page and this script cannot disagree.
      const button = document.querySelector(`#tip button[data-key="${event.key}"]`);
      if (!button || performance.now() - shownAt < SETTLE_MS) return;
      // Done and dismiss weigh more (done closes the task in Todoist): their keys act only with the sheet open.
      if (button.hasAttribute("data-sheet-only") && !sheet.open) return;
      event.preventDefault();
      button.form.requestSubmit(button);
    }
  });
  // After htmx swaps in the next tip, keep focus on it for keyboard users.
  document.addEventListener("htmx:after:swap", () => {
    shownAt = performance.now();
    document.querySelector("#tip summary")?.focus({ preventScroll: true });
  });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
})();
