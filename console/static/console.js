// Asks before a form marked data-confirm is sent (no inline script: the page's
// Content-Security-Policy allows scripts from the console's own files only).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
