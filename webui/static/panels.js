// The room's side panels: participants (with recordings and activity) and
// chat, each toggled from the toolbar (C, P) or its own Hide button. Below
// PHONE width only one pane shows at a time: the video, or one panel.
import { h } from './dom.js';
import { t } from './i18n.js';

export const PHONE = '(max-width: 720px)';

/**
 * @typedef {{setOpen: (open: boolean) => void, open: boolean, unread: number, input: HTMLElement, el: HTMLElement}} ChatPanel
 */

/**
 * createPanels builds the side. chat: the chat module (null when the meeting
 * has no chat); people: the elements of the participants pane; onChange(open,
 * counts) follows the panels for the toolbar; main: the element whose
 * data-panels (how many are open) lays out the room.
 * @param {{chat: ChatPanel|null, people: HTMLElement[], hands: () => number,
 *   onChange: (open: {chat: boolean, people: boolean}, counts: {unread: number, hands: number}) => void}} opts
 */
export function createPanels({ chat, people, hands, onChange }) {
  const wide = !matchMedia(PHONE).matches;
  const open = { chat: wide && !!chat, people: wide };
  const peopleEl = h('div', { class: 'panel', id: 'panel-people' }, people);
  const chatEl = h('div', { class: 'panel', id: 'panel-chat' }, chat ? chat.el : null);
  const side = h('aside', { class: 'side', id: 'side', 'aria-label': t('panels.label') }, peopleEl, chatEl);
  /** @type {HTMLElement|null} */
  let main = null;

  function render() {
    peopleEl.hidden = !open.people;
    chatEl.hidden = !open.chat;
    if (chat && chat.open !== open.chat) chat.setOpen(open.chat);
    if (main) main.dataset.panels = String(Number(open.chat) + Number(open.people));
    onChange({ ...open }, { unread: chat ? chat.unread : 0, hands: hands() });
  }

  /**
   * set opens or closes a panel; focus: move the keyboard there (a shortcut opened it).
   * @param {'chat'|'people'} p
   * @param {boolean} on
   * @param {boolean} [focus]
   */
  function set(p, on, focus = false) {
    if (p === 'chat' && !chat) return;
    open[p] = on;
    if (on && matchMedia(PHONE).matches) open[p === 'chat' ? 'people' : 'chat'] = false;
    render();
    if (on && focus) {
      const to = /** @type {HTMLElement|null} */ (p === 'chat' ? chat?.input ?? null : peopleEl.querySelector('.people-card'));
      afterKey(() => to?.focus());
    }
  }

  // Narrowed to a phone: the video first.
  matchMedia(PHONE).addEventListener('change', (e) => {
    if (!e.matches) return;
    open.chat = false;
    open.people = false;
    render();
  });

  return {
    side,
    render,
    set,
    /** @param {'chat'|'people'} p */
    toggle(p, focus = false) { set(p, !open[p], focus); },
    /** attach: the room's main area, laid out by how many panels are open. @param {HTMLElement} el */
    attach(el) { main = el; render(); },
  };
}

// afterKey runs fn once the key being pressed is let go (a box focused on
// keydown would otherwise receive the shortcut's letter).
/** @param {() => void} fn */
function afterKey(fn) {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    document.removeEventListener('keyup', run, true);
    fn();
  };
  document.addEventListener('keyup', run, true);
  setTimeout(run, 600);
}
