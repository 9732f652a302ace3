// The console's live parts poll with htmx; a hidden tab asks for nothing until it is seen again.
document.addEventListener("htmx:before:request", (event) => {
  if (document.hidden && event.target.closest?.("[data-live]")) event.preventDefault();
});
