// The "live order desk": the page keeps a WebSocket open to /desk and sends commands on it.
// textContent only: server data is never rendered as HTML.
const section = document.getElementById('order-desk');
const log = section.querySelector('output');
let socket;

function show(line) {
  log.textContent = `${line}\n${log.textContent}`.slice(0, 4000);
}

function open(token) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/desk?token=${token}`;
  const ws = new WebSocket(url);
  ws.addEventListener('open', () => show(`open ${url}`));
  ws.addEventListener('message', (event) => show(`← ${event.data}`));
  ws.addEventListener('close', (event) => show(`closed ${event.code} ${event.reason}`));
  ws.addEventListener('error', () => show(`could not connect to ${url}`));
  return ws;
}

function send(data) {
  if (!socket || socket.readyState !== WebSocket.OPEN) socket = open('desk-demo');
  const go = () => {
    socket.send(data);
    show(`→ ${typeof data === 'string' ? data : `${data.byteLength} binary bytes`}`);
  };
  if (socket.readyState === WebSocket.OPEN) go();
  else socket.addEventListener('open', go, { once: true });
}

socket = open('desk-demo');
section.querySelector('[data-desk="order"]').addEventListener('click', () => send(JSON.stringify({ cmd: 'place-order', items: 5 })));
section.querySelector('[data-desk="binary"]').addEventListener('click', () => send(new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4])));
section.querySelector('[data-desk="ping"]').addEventListener('click', () => send(JSON.stringify({ cmd: 'ping' })));
section.querySelector('[data-desk="bad-token"]').addEventListener('click', () => open('wrong-token'));
