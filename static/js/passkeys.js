// Passkeys: a form marked data-passkey="register" or "sign-in" asks the server for a challenge, hands it to the
// browser (which asks for a fingerprint, face or PIN), then sends the browser's answer in the form's hidden
// "credential" field as an ordinary form post, so the server answers with a page as for any other form.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(base64), function (ch) { return ch.charCodeAt(0); }).buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    json.challenge = toBytes(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function answer(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults()
    };
  }

  function say(form, text) {
    var box = form.querySelector("[data-passkey-message]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function start(form) {
    var purpose = form.dataset.passkey;
    var button = form.querySelector("button[type=submit]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, "This browser cannot use passkeys. Use another way below, or another browser.");
      if (button) button.disabled = true;
      return;
    }
    function fetchOptions() {
      return fetch(form.dataset.optionsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
        body: new URLSearchParams({ purpose: purpose })
      }).then(function (response) {
        if (!response.ok) throw new Error("options");
        return response.json();
      });
    }
    // Some browsers let a page make a passkey only straight after a tap, so the challenge for a new one is fetched
    // as the page opens, not after the tap. A sign-in challenge is fetched on the tap, so that merely opening the
    // sign-in page leaves nothing behind on the server.
    var early = purpose === "register" ? fetchOptions() : null;
    var earlyAt = Date.now();
    if (early) early.catch(function () {});
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button) button.disabled = true;
      say(form, "");
      // The server keeps a challenge five minutes: one fetched more than four minutes ago is replaced first.
      if (early && Date.now() - earlyAt > 240000) {
        early = fetchOptions();
        earlyAt = Date.now();
      }
      var ready = early || fetchOptions();
      ready
        .then(function (options) {
          return purpose === "register"
            ? navigator.credentials.create({ publicKey: creationOptions(options) })
            : navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          form.querySelector("[name=credential]").value = JSON.stringify(answer(credential));
          form.submit();
        })
        .catch(function (error) {
          if (button) button.disabled = false;
          if (early) {
            early = fetchOptions();
            earlyAt = Date.now();
            early.catch(function () {});
          }
          if (error && error.name === "NotAllowedError") {
            say(form, "The passkey was not used: it was cancelled or took too long. Try again when you are ready.");
          } else if (error && error.name === "InvalidStateError") {
            say(form, "This device already holds a passkey for your account.");
          } else {
            say(form, "Something went wrong with the passkey. Try again, or use another way to sign in.");
          }
        });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(start);
})();
