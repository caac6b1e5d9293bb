// On every page: a form sent back with problems puts the focus on its error summary, so that a screen reader reads
// what is wrong first and the keyboard goes from there to each answer named in it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
