import { http } from '../src/index.js';

/** GET /: the chat page. Plain WebSocket, no client library. */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>grip-lambda chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  form { display: flex; gap: .5rem; margin: .5rem 0; }
  input { flex: 1; padding: .4rem; font: inherit; }
  button { padding: .4rem .8rem; font: inherit; }
  #log { list-style: none; padding: .5rem; margin: 0; height: 22rem; overflow-y: auto; border: 1px solid #ccc; border-radius: 4px; }
  #log li.notice { color: #777; font-style: italic; }
  #status { color: #777; font-size: .9em; }
</style>
</head>
<body>
<h1>grip-lambda chat</h1>
<form id="join">
  <input id="room" placeholder="room" value="lobby" pattern="[A-Za-z0-9_-]{1,64}" required>
  <input id="nick" placeholder="nickname" maxlength="32" required>
  <button>Join</button>
</form>
<p id="status">Not connected.</p>
<ul id="log"></ul>
<form id="send">
  <input id="text" placeholder="message" autocomplete="off" disabled>
  <button id="sendButton" disabled>Send</button>
</form>
<script>
const $ = (id) => document.getElementById(id);
let socket;
function show(text, notice) {
  const li = document.createElement('li');
  li.textContent = text;
  if (notice) li.className = 'notice';
  $('log').append(li);
  $('log').scrollTop = $('log').scrollHeight;
}
function render(event) {
  switch (event.type) {
    case 'welcome': return show('Joined room ' + event.room + '.', true);
    case 'message': return show(event.nick + ': ' + event.text);
    case 'join': return show(event.nick + ' joined.', true);
    case 'leave': return show(event.nick + ' left.', true);
    case 'nick': return show(event.from + ' is now ' + event.nick + '.', true);
    case 'error': return show('Error: ' + event.text, true);
  }
}
$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  if (socket) socket.close(1000);
  $('log').replaceChildren();
  const room = $('room').value.trim();
  const nick = $('nick').value.trim();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket = new WebSocket(scheme + '//' + location.host + '/chat/' + encodeURIComponent(room));
  $('status').textContent = 'Connecting...';
  socket.onopen = () => {
    socket.send('/nick ' + nick);
    $('status').textContent = 'Connected to ' + room + ' as ' + nick + '.';
    $('text').disabled = $('sendButton').disabled = false;
    $('text').focus();
  };
  socket.onmessage = (m) => render(JSON.parse(m.data));
  socket.onclose = (c) => {
    $('status').textContent = 'Disconnected (' + c.code + ').';
    $('text').disabled = $('sendButton').disabled = true;
  };
});
$('send').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value;
  if (text && socket && socket.readyState === WebSocket.OPEN) socket.send(text);
  $('text').value = '';
});
</script>
</body>
</html>
`;

export const handler = http(() => ({
  status: 200,
  headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
  body: PAGE,
}));
