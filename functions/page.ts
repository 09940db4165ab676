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
let joined; // { room, nick } while the user wants to be in a room
let lastId; // id of the newest stored message seen (when the server keeps history)
let syncing = false; // a /since request is on its way
// Feed ids are "ms-seq": compare as numbers, part by part.
function newer(id, than) {
  if (!than) return true;
  const [a, b] = id.split('-').map(BigInt);
  const [c, d] = than.split('-').map(BigInt);
  return a > c || (a === c && b > d);
}
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
    case 'message':
      if (event.id) {
        if (!newer(event.id, lastId)) return; // already shown: a replay after reconnecting
        if (lastId && event.prevId && event.prevId !== lastId) {
          // One or more messages were skipped: ask for everything after the last one shown; the answer brings them in order.
          if (!syncing) { syncing = true; socket.send('/since ' + lastId); }
          return;
        }
        lastId = event.id;
      }
      return show(event.nick + ': ' + event.text);
    case 'join': return show(event.nick + ' joined.', true);
    case 'leave': return show(event.nick + ' left.', true);
    case 'nick': return show(event.from + ' is now ' + event.nick + '.', true);
    case 'synced': syncing = false; return;
    case 'error': return show('Error: ' + event.text, true);
  }
}
function connect() {
  const { room, nick } = joined;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const resume = lastId ? '?last-id=' + encodeURIComponent(lastId) : '';
  const ws = new WebSocket(scheme + '//' + location.host + '/chat/' + encodeURIComponent(room) + resume);
  socket = ws;
  syncing = false;
  $('status').textContent = 'Connecting...';
  ws.onopen = () => {
    ws.send('/nick ' + nick);
    $('status').textContent = 'Connected to ' + room + ' as ' + nick + '.';
    $('text').disabled = $('sendButton').disabled = false;
    $('text').focus();
  };
  ws.onmessage = (m) => render(JSON.parse(m.data));
  ws.onclose = (c) => {
    if (socket !== ws) return; // replaced by a newer connection
    $('text').disabled = $('sendButton').disabled = true;
    if (joined && c.code !== 1000 && c.code !== 1008 && c.code !== 1011) {
      $('status').textContent = 'Disconnected (' + c.code + '), reconnecting...';
      setTimeout(() => { if (socket === ws) connect(); }, 1000);
    } else {
      $('status').textContent = 'Disconnected (' + c.code + ').';
    }
  };
}
$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  joined = undefined;
  if (socket) socket.close(1000);
  $('log').replaceChildren();
  lastId = undefined;
  joined = { room: $('room').value.trim(), nick: $('nick').value.trim() };
  connect();
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
