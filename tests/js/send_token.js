// SPDX-License-Identifier: Apache-2.0
// Runs in a page before its own scripts (context.addInitScript): adds
// "Authorization: Bearer TOKEN" to the XMLHttpRequest and fetch calls to
// ORIGIN that do not set one themselves, as a viewer deployed on its own
// origin sends its user's token to cloudfilm (which then answers CORS
// preflights for that header). Used by the OHIF test and bench/web.
'use strict';

// Adds the Authorization header to XMLHttpRequest and fetch calls to ORIGIN
// that do not set one themselves.
function sendTokenTo({ origin, token: t }) {
  const value = `Bearer ${t}`;
  const ours = (url) => {
    try { return new URL(url, window.location.href).origin === origin; } catch { return false; }
  };
  const xhr = XMLHttpRequest.prototype;
  const { open, send, setRequestHeader } = xhr;
  xhr.open = function openWithToken(method, url, ...rest) {
    this.cfOurs = ours(String(url));
    this.cfHasAuth = false;
    return open.call(this, method, url, ...rest);
  };
  xhr.setRequestHeader = function setRequestHeaderSeen(name, v) {
    if (String(name).toLowerCase() === 'authorization') this.cfHasAuth = true;
    return setRequestHeader.call(this, name, v);
  };
  xhr.send = function sendWithToken(body) {
    if (this.cfOurs && !this.cfHasAuth) setRequestHeader.call(this, 'Authorization', value);
    return send.call(this, body);
  };
  const originalFetch = window.fetch;
  window.fetch = function fetchWithToken(input, init) {
    const isRequest = input instanceof Request;
    if (ours(isRequest ? input.url : String(input))) {
      const headers = new Headers((init && init.headers) || (isRequest ? input.headers : undefined));
      if (!headers.has('Authorization')) headers.set('Authorization', value);
      return originalFetch.call(this, input, { ...init, headers });
    }
    return originalFetch.call(this, input, init);
  };
}

module.exports = { sendTokenTo };
