// The widget's constant styles, icons and markup (no message or server text ever goes in here).

import { brandColor } from './config.js';

export const CSS_TEXT = `
:host{all:initial !important;display:block !important;position:fixed !important;right:0 !important;
bottom:0 !important;width:0 !important;height:0 !important;margin:0 !important;padding:0 !important;
border:0 !important;z-index:2147483000 !important;visibility:visible !important;opacity:1 !important;
transform:none !important;pointer-events:none !important;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif !important;
color:#1d2330 !important;text-align:left !important;
--plv-brand:${brandColor()};--plv-text:#1d2330;--plv-muted:#6b7280;--plv-grey:#eef0f4;--plv-line:#e5e7eb}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none !important}
.root{pointer-events:none}
button,textarea,input,select{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
.launcher{pointer-events:auto;position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;
border:0;padding:0;background:var(--plv-brand);color:#fff;display:flex;align-items:center;justify-content:center;
box-shadow:0 6px 20px rgba(16,24,40,.25);transition:transform .15s ease,box-shadow .15s ease}
.launcher:hover{transform:translateY(-2px);box-shadow:0 10px 26px rgba(16,24,40,.3)}
.launcher:focus-visible,.send:focus-visible{outline:3px solid color-mix(in srgb,var(--plv-brand) 45%,transparent);outline-offset:2px}
.close:focus-visible{outline:2px solid #fff;outline-offset:1px}
.launcher svg{width:28px;height:28px}
.launcher .ic-x{display:none}
.root.open .launcher .ic-chat{display:none}
.root.open .launcher .ic-x{display:block}
.badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;
background:#e5484d;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center;border:2px solid #fff}
.panel{pointer-events:auto;position:fixed;right:20px;bottom:92px;width:360px;height:520px;
max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;color:var(--plv-text);
border-radius:16px;overflow:hidden;box-shadow:0 16px 48px rgba(16,24,40,.24),0 2px 6px rgba(16,24,40,.08);
animation:plv-in .18s ease-out}
@keyframes plv-in{from{opacity:0;transform:translateY(12px) scale(.98)}to{opacity:1;transform:none}}
.head{display:flex;align-items:center;gap:12px;padding:14px 10px 14px 16px;background:var(--plv-brand);color:#fff;flex:none}
.avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;align-items:center;justify-content:center;flex:none}
.avatar svg{width:22px;height:22px}
.titles{flex:1;min-width:0}
.title{font-weight:650;font-size:16px;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub{font-size:12.5px;line-height:1.35;opacity:.9;margin-top:2px}
.sub:empty{display:none}
.sub>span{display:block}
.close{width:36px;height:36px;border:0;border-radius:50%;background:transparent;color:#fff;display:flex;
align-items:center;justify-content:center;flex:none;padding:0}
.close:hover{background:rgba(255,255,255,.16)}
.close svg{width:20px;height:20px}
.conn{flex:none;font-size:12.5px;padding:6px 16px;background:#fff7e0;color:#7a5a00;border-bottom:1px solid #f3e3b0}
.conn[data-state="error"]{background:#fdecec;color:#9b1c1c;border-bottom-color:#f5c2c2}
.messages{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px 12px 8px;display:flex;flex-direction:column;gap:2px;
background:#fff;scroll-behavior:auto}
.greeting{align-self:flex-start;max-width:85%;background:var(--plv-grey);border-radius:18px;border-bottom-left-radius:6px;
padding:9px 13px;margin-bottom:4px}
.spacer{margin-top:auto;flex:none}
.msg{display:flex;flex-direction:column;max-width:82%;margin-top:6px}
.msg.same{margin-top:0}
.msg.visitor{align-self:flex-end;align-items:flex-end}
.msg.operator{align-self:flex-start;align-items:flex-start}
.msg.system,.note{align-self:center;max-width:90%;align-items:center;text-align:center;color:var(--plv-muted);font-size:12px;margin:10px 0 6px}
.name{font-size:12px;color:var(--plv-muted);margin:0 0 2px 12px}
.bubble{padding:8px 12px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%}
.visitor .bubble{background:var(--plv-brand);color:#fff;border-bottom-right-radius:6px}
.operator .bubble{background:var(--plv-grey);color:var(--plv-text);border-bottom-left-radius:6px}
.system .bubble{padding:0;background:none;border-radius:0}
.visitor[data-status="pending"] .bubble{opacity:.72}
.visitor[data-status="failed"] .bubble{background:#fff;color:var(--plv-text);border:1px solid #e5484d}
.meta{display:flex;align-items:center;gap:3px;font-size:11px;color:var(--plv-muted);margin:2px 4px 0;min-height:14px}
.system .meta{display:none}
.mark{display:inline-flex;align-items:center}
.mark svg{height:14px;width:auto}
.visitor[data-status="read"] .mark{color:var(--plv-brand)}
.visitor[data-status="failed"] .mark{color:#e5484d}
.err{font-size:12px;color:#c4262e;margin:2px 4px 0;text-align:right;max-width:100%}
.typing{flex:none;font-size:12.5px;color:var(--plv-muted);padding:2px 16px 6px;display:flex;align-items:center;gap:6px;min-height:22px}
.dots{display:inline-flex;gap:3px}
.dots i{width:5px;height:5px;border-radius:50%;background:var(--plv-muted);animation:plv-dot 1.2s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}
@keyframes plv-dot{0%,60%,100%{opacity:.25;transform:none}30%{opacity:1;transform:translateY(-2px)}}
.composer{flex:none;display:flex;align-items:flex-end;gap:8px;padding:10px 12px 12px;border-top:1px solid var(--plv-line);background:#fff}
.input{flex:1;resize:none;border:1px solid transparent;border-radius:20px;background:#f3f4f6;padding:9px 14px;
line-height:1.4;max-height:120px;min-height:40px;height:40px;outline:none;font-size:14px;color:var(--plv-text);display:block;width:100%}
.input:focus{background:#fff;border-color:var(--plv-brand);box-shadow:0 0 0 3px color-mix(in srgb,var(--plv-brand) 14%,transparent)}
.input::placeholder{color:#9aa1ad}
.send{width:40px;height:40px;border-radius:50%;border:0;padding:0;background:var(--plv-brand);color:#fff;display:flex;
align-items:center;justify-content:center;flex:none;transition:opacity .15s ease}
.send.idle{opacity:.45}
.send svg{width:19px;height:19px}

.close.cbopen svg{width:19px;height:19px}
.cblink{display:block;margin-top:3px;padding:0;border:0;background:none;color:#fff;font-size:12.5px;
text-decoration:underline;text-underline-offset:2px;opacity:.95;text-align:left}
.cblink:hover{opacity:1}
.cblink:focus-visible,.invite-reply:focus-visible,.invite-x:focus-visible,.cb-tab:focus-visible,.btn:focus-visible,.star:focus-visible{outline:2px solid var(--plv-brand);outline-offset:2px}
.msg.local .bubble{background:var(--plv-grey)}
.invite{pointer-events:auto;position:fixed;right:20px;bottom:94px;width:300px;max-width:calc(100vw - 40px);
background:#fff;color:var(--plv-text);border-radius:16px;padding:14px 38px 14px 16px;cursor:pointer;
box-shadow:0 12px 36px rgba(16,24,40,.22),0 2px 6px rgba(16,24,40,.08);animation:plv-in .2s ease-out}
.invite::after{content:"";position:absolute;right:26px;bottom:-7px;width:14px;height:14px;background:#fff;
transform:rotate(45deg);box-shadow:3px 3px 6px rgba(16,24,40,.06)}
.invite-op{font-size:12px;color:var(--plv-muted);margin-bottom:3px;font-weight:600}
.invite-text{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-height:160px;overflow:hidden}
.invite-reply{margin-top:10px;border:0;border-radius:16px;padding:6px 14px;background:var(--plv-brand);color:#fff;font-weight:600;font-size:13px}
.invite-x{position:absolute;top:8px;right:8px;width:26px;height:26px;border:0;border-radius:50%;padding:0;
background:transparent;color:var(--plv-muted);display:flex;align-items:center;justify-content:center}
.invite-x:hover{background:var(--plv-grey);color:var(--plv-text)}
.invite-x svg{width:16px;height:16px}
.root.open .invite{display:none}
.panel[data-view="callback"] .typing{display:none !important}
.cbview{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;background:#fff;display:flex;flex-direction:column;gap:12px}
.cb-tabs{display:flex;background:var(--plv-grey);border-radius:12px;padding:3px;gap:3px}
.cb-tab{flex:1;border:0;border-radius:9px;padding:7px 6px;background:transparent;color:var(--plv-muted);font-size:13px;font-weight:600}
.cb-tab[aria-selected="true"]{background:#fff;color:var(--plv-text);box-shadow:0 1px 3px rgba(16,24,40,.12)}
.cb-intro{color:var(--plv-muted);font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
.cb-form{display:flex;flex-direction:column;gap:12px}
.fld{display:flex;flex-direction:column;gap:4px;font-size:12.5px;color:var(--plv-muted)}
.fld input,.fld select,.fld textarea{width:100%;border:1px solid var(--plv-line);border-radius:10px;background:#fff;
padding:8px 11px;font-size:14px;color:var(--plv-text);outline:none;min-height:38px}
.fld textarea{resize:vertical;min-height:84px;max-height:220px}
.fld input:focus,.fld select:focus,.fld textarea:focus{border-color:var(--plv-brand);box-shadow:0 0 0 3px color-mix(in srgb,var(--plv-brand) 14%,transparent)}
.form-err{font-size:12.5px;color:#c4262e}
.btn{border:0;border-radius:12px;padding:10px 14px;background:var(--plv-brand);color:#fff;font-weight:600;font-size:14px}
.btn[disabled]{opacity:.6;cursor:default}
.btn.ghost{background:var(--plv-grey);color:var(--plv-text)}
.cb-done{background:#ecfdf3;color:#05603a;border-radius:12px;padding:12px 14px}
.card{align-self:stretch;margin:10px 4px 6px;border:1px solid var(--plv-line);border-radius:14px;padding:12px 14px;background:#fff;
box-shadow:0 1px 3px rgba(16,24,40,.06)}
.card-title{font-weight:650;margin-bottom:6px}
.stars{display:flex;gap:2px;margin:2px 0 8px}
.star{border:0;background:none;padding:2px;width:34px;height:34px;color:#c9ced6;display:flex;align-items:center;justify-content:center}
.star svg{width:28px;height:28px}
.star.on{color:#f5a524}
.rating textarea{width:100%;border:1px solid var(--plv-line);border-radius:10px;padding:7px 10px;resize:vertical;min-height:56px;
max-height:160px;outline:none;font-size:13.5px;margin-bottom:8px;display:block}
.rating textarea:focus{border-color:var(--plv-brand)}
.rating .form-err{margin-bottom:8px}
.thanks{align-self:center;text-align:center;color:#05603a;background:#ecfdf3;border-radius:12px;padding:8px 14px;margin:10px 0 6px;font-size:13px}
.purchase .card-title{font-size:15px}
.purchase .sub2{color:var(--plv-muted);font-size:12.5px;margin:2px 0 6px}
.related{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.related li{display:flex;justify-content:space-between;gap:10px;align-items:baseline}
.related a{color:var(--plv-brand);text-decoration:none;overflow-wrap:anywhere}
.related a:hover{text-decoration:underline}
.related .rprice{color:var(--plv-muted);font-size:12.5px;white-space:nowrap}
@media (max-width:480px){
.panel{right:0;bottom:0;left:0;top:0;width:auto;height:auto;max-height:none;border-radius:0}
.root.open .launcher{display:none}
.input,.fld input,.fld select,.fld textarea{font-size:16px}
}
@media (prefers-reduced-motion:reduce){.panel,.dots i,.launcher{animation:none;transition:none}}
`;

// Constant markup only: no message or server text ever goes through innerHTML.
export const ICONS = {
  chat:
    '<svg class="ic-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.5-4.8A8 8 0 1 1 21 12z"/><path d="M8.5 12h.01M12 12h.01M15.5 12h.01" stroke-width="2.6"/></svg>',
  x: '<svg class="ic-x" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>',
  shop: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 9h16l-1.2 10.2a1 1 0 0 1-1 .8H6.2a1 1 0 0 1-1-.8z"/><path d="M9 9V7a3 3 0 0 1 6 0v2"/></svg>',
  send: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 12h13M12 5l7 7-7 7"/></svg>',
  pending:
    '<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" aria-hidden="true"><circle cx="8" cy="8" r="6"/><path d="M8 4.8V8l2.2 1.4"/></svg>',
  sent: '<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M3 8.6l3 3 7-7.2"/></svg>',
  double:
    '<svg viewBox="0 0 22 16" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M1.5 8.6l3 3 7-7.2"/><path d="M9.5 11.2l.4.4 7-7.2"/></svg>',
  failed:
    '<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" aria-hidden="true"><circle cx="8" cy="8" r="6"/><path d="M8 4.8v3.6M8 11h.01"/></svg>',
};
ICONS.phone =
  '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 4h3.5l1.7 4.3-2.2 1.4a11 11 0 0 0 6.3 6.3l1.4-2.2L20 15.5V19a1.5 1.5 0 0 1-1.6 1.5A16.5 16.5 0 0 1 3.5 5.6 1.5 1.5 0 0 1 5 4z"/></svg>';
ICONS.star =
  '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M12 2.8l2.8 5.8 6.3.9-4.6 4.4 1.1 6.3L12 17.2l-5.6 3 1.1-6.3L2.9 9.5l6.3-.9z"/></svg>';
ICONS.delivered = ICONS.double;
ICONS.read = ICONS.double;

export const MARKUP = `
<div class="root">
<div class="invite" data-testid="prilavok-invitation" role="dialog" hidden>
  <div class="invite-op" data-testid="prilavok-invitation-operator"></div>
  <div class="invite-text" data-testid="prilavok-invitation-text"></div>
  <button type="button" class="invite-reply" data-testid="prilavok-invitation-reply"></button>
  <button type="button" class="invite-x" data-testid="prilavok-invitation-close">${ICONS.x.replace('class="ic-x" ', '')}</button>
</div>
<div class="invite preview" data-testid="prilavok-preview" role="status" hidden>
  <div class="invite-op" data-testid="prilavok-preview-author"></div>
  <div class="invite-text" data-testid="prilavok-preview-text"></div>
  <button type="button" class="invite-x" data-testid="prilavok-preview-close">${ICONS.x.replace('class="ic-x" ', '')}</button>
</div>
<section class="panel" data-testid="prilavok-panel" role="dialog" aria-modal="false" data-view="chat" hidden>
  <div class="head">
    <div class="avatar">${ICONS.shop}</div>
    <div class="titles">
      <div class="title"></div>
      <div class="sub"><span class="operator" data-testid="prilavok-operator" hidden></span><span class="queue" data-testid="prilavok-queue" hidden></span><span class="closed" data-testid="prilavok-closed" hidden></span><span class="avail" data-testid="prilavok-availability" hidden></span></div>
      <button type="button" class="cblink" data-testid="prilavok-callback-link" hidden></button>
    </div>
    <button type="button" class="close cbopen" data-testid="prilavok-callback-open">${ICONS.phone}</button>
    <button type="button" class="close" data-testid="prilavok-close">${ICONS.x.replace('class="ic-x" ', '')}</button>
  </div>
  <div class="conn" data-testid="prilavok-connection" data-state="connecting" role="status" hidden></div>
  <div class="messages" data-testid="prilavok-messages" role="log" aria-live="polite">
    <div class="spacer"></div>
    <div class="greeting" data-testid="prilavok-greeting"></div>
  </div>
  <div class="typing" data-testid="prilavok-typing" hidden><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span><span class="typing-text"></span></div>
  <form class="composer" novalidate>
    <textarea class="input" data-testid="prilavok-input" rows="1" autocomplete="off"></textarea>
    <button type="submit" class="send idle" data-testid="prilavok-send">${ICONS.send}</button>
  </form>
  <div class="cbview" data-testid="prilavok-callback" hidden>
    <form class="cb-form" data-testid="prilavok-callback-form" data-mode="callback" novalidate>
      <div class="cb-tabs" role="tablist">
        <button type="button" class="cb-tab" role="tab" data-mode="callback" data-testid="prilavok-callback-mode-callback"></button>
        <button type="button" class="cb-tab" role="tab" data-mode="message" data-testid="prilavok-callback-mode-message"></button>
      </div>
      <div class="cb-intro" data-testid="prilavok-callback-intro"></div>
      <label class="fld"><span class="lbl-name"></span><input type="text" name="name" maxlength="200" autocomplete="name" data-testid="prilavok-callback-name"></label>
      <label class="fld"><span class="lbl-phone"></span><input type="tel" name="phone" maxlength="40" autocomplete="tel" data-testid="prilavok-callback-phone"></label>
      <label class="fld fld-time"><span class="lbl-time"></span><select name="preferred_time" data-testid="prilavok-callback-time"></select></label>
      <label class="fld fld-text"><span class="lbl-text"></span><textarea name="text" rows="4" maxlength="4000" data-testid="prilavok-callback-text"></textarea></label>
      <div class="form-err" data-testid="prilavok-callback-error" role="alert" hidden></div>
      <button type="submit" class="btn" data-testid="prilavok-callback-submit"></button>
    </form>
    <div class="cb-done" data-testid="prilavok-callback-done" role="status" hidden></div>
    <button type="button" class="btn ghost cb-back" data-testid="prilavok-callback-back"></button>
  </div>
</section>
<button type="button" class="launcher" data-testid="prilavok-launcher" aria-expanded="false">${ICONS.chat}${ICONS.x}<span class="badge" data-testid="prilavok-badge" hidden>0</span></button>
</div>`;
