/* The book's small fixes to its theme (pydata-sphinx-theme 0.17.1 + sphinx-book-theme 1.3.0).
 *
 * Navigation drawer: both themes bind their click handlers to the FIRST `.primary-toggle` /
 * `.secondary-toggle` on the page (document.querySelector), which is pydata's header button,
 * hidden under sphinx-book-theme; the visible buttons in the article header get no handler, so
 * the drawer never opens (pydata/pydata-sphinx-theme#2451). A click on any other toggle is
 * forwarded to the first one, whose handlers then do what the theme meant: on a wide screen
 * sphinx-book-theme collapses or shows the sidebar, on a narrow one pydata opens its drawer.
 * Remove this when the theme binds every toggle (tests/test_site.py taps each button).
 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    ["primary-toggle", "secondary-toggle"].forEach(function (name) {
      var button = event.target.closest("." + name);
      var first = document.querySelector("." + name);
      if (!button || !first || button === first) return;
      event.preventDefault();
      event.stopPropagation();
      button.blur();
      first.click();
    });
  }, true);
})();
