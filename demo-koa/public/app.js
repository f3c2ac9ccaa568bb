// Each button calls its route with fetch, so the request shows in DevTools, and prints the
// answer below it. textContent only: server data is never rendered as HTML.

/** @param {HTMLButtonElement} button */
async function callScenario(button) {
  const output = button.parentElement.querySelector('output');
  const { method, url } = button.dataset;
  output.textContent = `${method} ${url} …`;
  output.classList.remove('error');
  try {
    const response = await fetch(url, { method });
    const body = await response.json();
    const debugId = response.headers.get('X-Debug-Id');
    output.textContent =
      `${response.status} ${response.statusText}` +
      (debugId ? `\nX-Debug-Id: ${debugId}` : '') +
      `\n${JSON.stringify(body, null, 2)}`;
    output.classList.toggle('error', !response.ok);
  } catch (err) {
    output.textContent = `Request failed: ${err}`;
    output.classList.add('error');
  }
}

for (const button of document.querySelectorAll('button[data-url]')) {
  button.addEventListener('click', () => callScenario(button));
}
