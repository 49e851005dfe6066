/* Keyboard shortcuts of the operator's booking page (shown on the page): 1–9 choose the n-th free time
 * listed, "/" goes to the patient search. Ignored while typing in a field, so digits still reach the
 * inputs. The server decides everything: a shortcut only clicks a button the page shows. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    // A digit chooses a slot even from the use list just chosen (its options hold no digits).
    var inSelect = event.target && event.target.tagName === "SELECT";
    if (typing(event.target) && !(inSelect && /^[1-9]$/.test(event.key))) {
      return;
    }
    if (/^[1-9]$/.test(event.key)) {
      var buttons = document.querySelectorAll("#creneaux [data-testid='slot'] button");
      var button = buttons[Number(event.key) - 1];
      if (button) {
        event.preventDefault();
        button.click();
      }
    } else if (event.key === "/") {
      var search = document.getElementById("id_recherche-phone") || document.getElementById("id_recherche-q");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    }
  });
})();
