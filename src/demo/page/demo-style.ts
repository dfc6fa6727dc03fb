/** The demo page's stylesheet, served as /demo/demo.css. */
export const DEMO_STYLE = `:root {
  color-scheme: light;
  --ink: #1d2330;
  --muted: #5b6475;
  --line: #dde2ea;
  --accent: #0b6bcb;
  --error: #b42318;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink);
  background: #f4f6f9;
}
[hidden] { display: none !important; }
body { margin: 0; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
h3 { font-size: .95rem; margin: 1.25rem 0 .5rem; color: var(--muted); }
header p { margin: 0 0 1.25rem; color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
label { display: block; font-size: .9rem; color: var(--muted); margin-bottom: .75rem; }
input { display: block; box-sizing: border-box; width: 100%; margin-top: .25rem; padding: .5rem .6rem; font: inherit; color: var(--ink);
  border: 1px solid var(--line); border-radius: 6px; }
.appid { margin-bottom: 1rem; }
button, a.button { display: inline-block; padding: .5rem 1rem; font: inherit; font-weight: 600; color: #fff; background: var(--accent);
  border: 0; border-radius: 6px; cursor: pointer; text-decoration: none; }
button:disabled { opacity: .6; cursor: progress; }
form + form { margin-top: 1rem; }
ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
#message { padding: .75rem 1rem; border-radius: 8px; margin: 0 0 1rem; }
#message.info { background: #e7f1fb; }
#message.error { background: #fdecea; color: var(--error); }
.note { font-size: .85rem; color: var(--muted); margin: .75rem 0 0; }
dl { display: grid; grid-template-columns: 9rem 1fr; gap: .35rem .75rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; }
details { margin: 1.25rem 0; font-size: .9rem; }
summary { cursor: pointer; color: var(--muted); }
code { display: block; margin-top: .5rem; padding: .5rem; background: #f4f6f9; border-radius: 6px; overflow-wrap: anywhere; }
`;
