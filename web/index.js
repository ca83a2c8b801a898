// The log-in link lands here: `/#token=…`. The token goes to sessionStorage
// and the person goes to the screen made for their role. A setup token
// (printed by `scrutineer serve`, alone or as the link `/#setup=…`) belongs
// to no person: it may only create a meeting, so it goes to the setup screen.

import { takeToken, useToken, me, homeOf, ApiError, fail, sayKey, topbar, applyI18n, lang } from './app.js';

window.addEventListener('hashchange', () => location.reload());

// The setup token printed by `scrutineer serve`, typed or pasted here.
document.getElementById('setup-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = document.getElementById('setup-token').value.trim();
  if (token) { useToken(token); location.assign('/setup.html'); }
});

async function main() {
  document.documentElement.lang = lang();
  applyI18n(document);
  topbar('landing.screen', null);
  // A demo link also carries its holder's demo key: pass it on.
  const demoKey = /[#&](cosign_key=[A-Za-z0-9_-]+)/.exec(location.hash)?.[1];
  // The setup link printed by `scrutineer serve`: `/#setup=TOKEN`.
  const setup = /(?:^#|&)setup=([A-Za-z0-9_-]+)/.exec(location.hash)?.[1];
  if (setup) {
    history.replaceState(null, '', location.pathname + location.search);
    useToken(setup);
    location.replace('/setup.html#setup');
    return;
  }
  const token = takeToken();
  if (!token) { sayKey('login.needed', null, 'info'); return; }
  try {
    const who = await me();
    location.replace(homeOf(who.role) + (demoKey ? `#${demoKey}` : ''));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && e.code !== 'token_revoked') {
      // Not a person's token: perhaps the setup token; the setup screen
      // tries it to create a meeting.
      location.replace('/setup.html#setup');
      return;
    }
    fail(e);
  }
}
main();
