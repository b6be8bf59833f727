// Saves an application's draft as it is typed: the form is posted (debounced, 1 s after the last keystroke) to
// its `data-autosave-url`; the answer (204, 409, 400) is announced in the form's aria-live region. Without
// JavaScript, the « Enregistrer le brouillon » and « Déposer ma candidature » buttons do the same.
(function () {
  "use strict";

  var form = document.getElementById("candidature");
  if (!form || !form.dataset.autosaveUrl || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("enregistrement");
  var version = form.querySelector("input[name='version']");
  var csrf = form.querySelector("input[name='csrfmiddlewaretoken']");
  var DELAY = 1000;
  var timer = null;
  var saving = false;
  var pending = false;
  var stopped = false;
  var resubmit = false;
  var submitter = null;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function save() {
    timer = null;
    if (stopped) {
      return;
    }
    if (saving) {
      pending = true;
      return;
    }
    saving = true;
    pending = false;
    var headers = { "X-Requested-With": "XMLHttpRequest" };
    if (csrf) {
      headers["X-CSRFToken"] = csrf.value;
    }
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: new FormData(form),
      headers: headers,
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.status === 204) {
          var saved = response.headers.get("X-Application-Version");
          if (saved && version) {
            version.value = saved;
          }
          say("Brouillon enregistré à " + (response.headers.get("X-Saved-At") || "l'instant") + ".");
          return;
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            var message = data.message || "L'enregistrement automatique a échoué.";
            if (response.status === 409) {
              // Someone saved the draft since this page was read: nothing is overwritten, the text typed here
              // stays on screen; saving again needs the latest version.
              stopped = true;
              say("Brouillon non enregistré : " + message);
            } else if (response.status === 400) {
              say("Brouillon non enregistré : " + message);
            } else {
              say(
                "Brouillon non enregistré automatiquement : utilisez le bouton « Enregistrer le brouillon »."
              );
            }
          });
      })
      .catch(function () {
        say("Brouillon non enregistré (connexion perdue) : vos réponses restent sur cette page.");
      })
      .then(function () {
        saving = false;
        if (resubmit) {
          // A button was pressed while saving: post the form now, with the version just saved.
          resubmit = false;
          form.requestSubmit(submitter);
        } else if (pending && !stopped) {
          schedule();
        }
      });
  }

  function schedule() {
    if (stopped) {
      return;
    }
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(save, DELAY);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    // A button posts the form itself: no autosave may race with it.
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (saving && form.requestSubmit) {
      event.preventDefault();
      resubmit = true;
      submitter = event.submitter || null;
      return;
    }
    stopped = true;
  });
})();
