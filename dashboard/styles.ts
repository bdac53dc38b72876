/**
 * The widget's CSS, scoped by the shadow root. `all: initial` at the host stops the page's
 * inherited properties (font, colour, line height…) from reaching in. One rule per line without the
 * spaces CSS does not need: the string is shipped as written (nothing minifies it), and it counts
 * against the dashboard's size budget.
 */
export const styles = `
:host{all:initial;display:block;--bg:#fff;--bg-soft:#f4f5f7;--fg:#1c2024;--muted:#5d6670;--line:#d9dde3;--ok:#1a7f37;--warn:#9a6700;--warn-bg:#fff4d6;--bad:#c62828;--other:#6e5bb5;--focus:#0969da;font:12px/1.45 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);color-scheme:light dark}
@media (prefers-color-scheme:dark){:host{--bg:#16191d;--bg-soft:#21252b;--fg:#e6e9ed;--muted:#9aa4af;--line:#353b43;--ok:#4ac26b;--warn:#e3b341;--warn-bg:#3a2f12;--bad:#f47067;--other:#a993f5;--focus:#58a6ff}}
:host([data-floating]){position:fixed;right:12px;bottom:12px;z-index:2147483000;width:min(440px,calc(100vw - 24px))}
*{box-sizing:border-box}
.panel{background:var(--bg);border:1px solid var(--line);border-radius:8px;box-shadow:0 6px 24px rgb(0 0 0 / 0.18);overflow:hidden}
:host([data-floating]) .body{max-height:min(80vh,780px);overflow:auto}
.header{display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding:6px 10px;background:var(--bg-soft);border-bottom:1px solid var(--line)}
.panel.collapsed .header{border-bottom:0}
h2{all:unset;font-weight:600;font-size:12px;flex:1}
h3{all:unset;display:block;font-weight:600;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:10px 0 4px}
button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:1px 8px;cursor:pointer}
button:hover{background:var(--bg-soft)}
button:focus-visible{outline:2px solid var(--focus);outline-offset:1px}
.summary,.queue,.share,.detail,.totals dt,.log time,.empty{color:var(--muted)}
.queue{flex-basis:100%;order:1}
.connection{font-weight:600;color:#b45309}
.repeats{font-weight:600}
.deployments{list-style:none;margin:2px 0 4px 12px;padding:0 0 0 8px;border-left:2px solid var(--line)}
.deployment .name{font-weight:400}
.share{white-space:nowrap}
.connection.unauthorized{color:#b91c1c}
.body{padding:0 10px 10px}
ul,ol{list-style:none;margin:0;padding:0}
.tier{margin-bottom:6px}
.backend{padding:5px 0;border-top:1px solid var(--line)}
.tier .backend:first-of-type{border-top:0}
.row{display:flex;align-items:baseline;gap:8px}
.name{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;flex:1}
.state{font-weight:600;white-space:nowrap;border-radius:4px;padding:0 6px;border:1px solid currentColor;color:var(--other)}
.state.available{color:var(--ok)}
.state.cooling{color:var(--warn);background:var(--warn-bg)}
.state.ejected{color:var(--bad)}
.countdown,.detail,.totals dd{font-variant-numeric:tabular-nums}
.bar{display:flex;height:8px;margin:3px 0 2px;background:var(--bg-soft);border-radius:3px;overflow:hidden}
.bar>span{display:block;height:100%}
.seg-success{background:var(--ok)}
.seg-throttle{background:repeating-linear-gradient(135deg,var(--warn) 0 3px,transparent 3px 5px)}
.seg-error{background:repeating-linear-gradient(90deg,var(--bad) 0 2px,transparent 2px 4px)}
.seg-pending{background:var(--muted);opacity:.35}
.key{display:inline-flex;align-items:center;gap:3px;margin-right:8px}
.key>i{display:inline-block;width:10px;height:8px;border-radius:2px}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(84px,1fr));gap:4px;margin:0}
.totals>div{background:var(--bg-soft);border-radius:4px;padding:3px 6px}
.totals dt{font-size:11px}
.totals dd{margin:0;font-weight:600;font-size:13px}
.log-head{display:flex;align-items:center;gap:8px}
.log-head h3{flex:1}
.log{max-height:168px;overflow:auto;border:1px solid var(--line);border-radius:4px;font:11px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.log li{display:flex;gap:6px;padding:0 6px;white-space:nowrap}
.log li:nth-child(odd){background:var(--bg-soft)}
.log .type{width:8ch;flex:none;font-weight:600}
.log .type.queued,.log .type.exhausted{color:var(--warn)}
.log .type.recovery,.log .type.response{color:var(--ok)}
.log .text{overflow:hidden;text-overflow:ellipsis}
.empty{padding:4px 6px}
`;
