/**
 * The demo page. Its script and stylesheet come from /demo (the page's CSP allows nothing inline);
 * every element the script fills in or shows has an id.
 */
export const DEMO_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · mesibo private backend demo</title>
<link rel="stylesheet" href="/demo/demo.css">
<script type="module" src="/demo/demo.js"></script>
</head>
<body>
<main>
  <header>
    <h1>mesibo private backend</h1>
    <p>A demo of the logins this service offers. Each ends in a mesibo user access token, which
    this page keeps in this tab only.</p>
  </header>

  <p id="message" role="status" hidden></p>

  <section id="login" hidden>
    <label class="appid">App ID <input id="appid" name="appid" value="com.mesibo.firstapp" autocomplete="off" required></label>

    <div id="phone-login" class="card" hidden>
      <h2>Phone</h2>
      <form id="phone-form" method="post">
        <label>Phone number <input id="phone" name="phone" type="tel" autocomplete="tel" placeholder="+1 800 555 1234" required></label>
        <button type="submit">Send code</button>
      </form>
      <form id="code-form" method="post" hidden>
        <label>Code <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required></label>
        <button type="submit">Log in</button>
      </form>
    </div>

    <div id="email-login" class="card" hidden>
      <h2>Email and password</h2>
      <form id="email-form" method="post">
        <label>Email <input id="email" name="email" type="email" autocomplete="username" required></label>
        <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Log in</button>
      </form>
    </div>

    <div id="oidc-login" class="card" hidden>
      <h2>Single sign-on</h2>
      <ul id="oidc-providers"></ul>
      <p id="oidc-note" class="note" hidden></p>
    </div>
  </section>

  <section id="account" class="card" hidden>
    <h2>Logged in</h2>
    <dl>
      <dt>User</dt><dd id="me-id"></dd>
      <dt>mesibo address</dt><dd id="me-address"></dd>
      <dt>Name</dt><dd id="me-name"></dd>
    </dl>
    <h3>Identities</h3>
    <table>
      <thead><tr><th>Method</th><th>Subject</th><th>Verified</th></tr></thead>
      <tbody id="me-identities"></tbody>
    </table>
    <h3>This session</h3>
    <dl>
      <dt>App ID</dt><dd id="me-appid"></dd>
      <dt>Started</dt><dd id="me-started"></dd>
      <dt>Expires</dt><dd id="me-expires"></dd>
    </dl>
    <details><summary>mesibo token</summary><code id="me-token"></code></details>
    <button id="logout" type="button">Log out</button>
  </section>
</main>
</body>
</html>
`;
