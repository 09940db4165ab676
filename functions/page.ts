import { http } from 'grip-lambda';
import { CLIENT_SCRIPT } from './lib/client-script.js';

/** GET /: the chat page, on grip-lambda/client (its browser bundle, inlined). */
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
  #status, #who { color: #777; font-size: .9em; }
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
<p id="who"></p>
<ul id="log"></ul>
<form id="send">
  <input id="text" placeholder="message" autocomplete="off" disabled>
  <button id="sendButton" disabled>Send</button>
</form>
<script>${CLIENT_SCRIPT}</script>
<script>
const $ = (id) => document.getElementById(id);
let client; // a GripLambda.RealtimeClient while the user is in a room
let joined; // { room, nick }
let welcomed = false;
let hasPresence = false; // the server keeps presence (Redis): /who lists the room
function who() {
  if (hasPresence) client.send('/who');
}
function show(text, notice) {
  const li = document.createElement('li');
  li.textContent = text;
  if (notice) li.className = 'notice';
  $('log').append(li);
  $('log').scrollTop = $('log').scrollHeight;
}
// Messages come once each and in order: the client drops repeats and fetches gaps.
// Pings (after 25 s of silence) only keep the client's idle timer from firing: nothing to show.
function render(event) {
  switch (event.type) {
    case 'welcome':
      if (!welcomed) show('Joined room ' + event.room + '.', true);
      welcomed = true;
      hasPresence = event.presence === true;
      return who();
    case 'message': return show(event.nick + ': ' + event.text);
    case 'join': who(); return show(event.nick + ' joined.', true);
    case 'leave': who(); return show(event.nick + ' left.', true);
    case 'nick': who(); return show(event.from + ' is now ' + event.nick + '.', true);
    case 'who': $('who').textContent = 'Here: ' + event.nicks.join(', '); return;
    case 'error': return show('Error: ' + event.text, true);
  }
}
const STATES = { connecting: 'Connecting...', reconnecting: 'Reconnecting...', closed: 'Disconnected.' };
const connectionStates = []; // every state the client went through, for tests and debugging
function status(state) {
  connectionStates.push(state);
  $('status').textContent = state === 'open' ? 'Connected to ' + joined.room + ' as ' + joined.nick + '.' : STATES[state];
  $('status').dataset.state = state;
}
$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  if (client) client.close();
  $('log').replaceChildren();
  $('who').textContent = '';
  welcomed = false;
  joined = { room: $('room').value.trim(), nick: $('nick').value.trim() };
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = scheme + '//' + location.host + '/chat/' + encodeURIComponent(joined.room) + '?nick=' + encodeURIComponent(joined.nick);
  status('connecting');
  client = GripLambda.connect(url, { onMessage: render, onStateChange: status, idleTimeoutMs: 60000 });
  // Sends made while reconnecting are queued by the client: the box stays usable.
  $('text').disabled = $('sendButton').disabled = false;
  $('text').focus();
});
$('send').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value;
  if (text && client) client.send(text);
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
