// The widget's texts in Russian and English; the locale comes from the tag or the page.

import { attr } from './config.js';

export const I18N = {
  ru: {
    title: 'Чат с магазином',
    placeholder: 'Напишите сообщение…',
    send: 'Отправить',
    openChat: 'Открыть чат с магазином',
    closeChat: 'Закрыть чат',
    greeting: 'Здравствуйте! Чем помочь?',
    greetingOffline: 'Здравствуйте! Сейчас никого нет на месте — напишите, мы прочитаем и ответим.',
    queue: (n) => `Все операторы заняты. Ваше место в очереди: ${n}`,
    queueNoPlace: 'Все операторы заняты. Скоро вам ответят',
    operator: (name) => `Оператор: ${name}`,
    joined: (name) => `К чату подключился оператор ${name}`,
    typing: (name) => `${name} печатает…`,
    typingAnon: 'Оператор печатает…',
    connecting: 'Подключение…',
    reconnecting: 'Переподключение…',
    closed: 'Чат завершён',
    closedHint: 'Чат завершён. Напишите, и мы начнём новый',
    unread: (n) => `Непрочитанных сообщений: ${n}`,
    reply: 'Ответить',
    closeInvitation: 'Закрыть приглашение',
    invitationFrom: 'Консультант',
    callbackLink: 'Оставить заявку на звонок',
    callbackOpen: 'Заказать звонок или оставить сообщение',
    cbModeCallback: 'Перезвоните мне',
    cbModeMessage: 'Оставить сообщение',
    cbIntroCallback: 'Оставьте номер — мы перезвоним в удобное время.',
    cbIntroMessage: 'Напишите нам — ответим, как только сможем.',
    cbName: 'Ваше имя',
    cbPhone: 'Телефон',
    cbPhoneOptional: 'Телефон (необязательно)',
    cbTime: 'Когда удобно',
    cbTimes: ['сейчас', 'сегодня днём', 'вечером', 'завтра'],
    cbText: 'Сообщение',
    cbSubmitCallback: 'Перезвоните мне',
    cbSubmitMessage: 'Отправить сообщение',
    cbDoneCallback: 'Спасибо! Мы перезвоним вам.',
    cbDoneMessage: 'Спасибо! Мы получили ваше сообщение и скоро ответим.',
    cbBack: 'Вернуться в чат',
    ratingTitle: 'Оцените, пожалуйста, наш разговор',
    ratingStar: (n) => `Оценка ${n} из 5`,
    ratingComment: 'Комментарий (необязательно)',
    ratingSubmit: 'Отправить оценку',
    ratingPick: 'Выберите оценку — от 1 до 5 звёзд',
    ratingThanks: 'Спасибо за оценку!',
    purchaseThanks: 'Спасибо за покупку!',
    purchaseRelated: 'Вам может пригодиться:',
    price: (n) => `${n} ₽`,
    status: {
      pending: 'Отправляется',
      sent: 'Отправлено',
      delivered: 'Доставлено',
      read: 'Прочитано',
      failed: 'Не отправлено',
    },
    errors: {
      too_long: 'Сообщение слишком длинное — не больше 4000 символов',
      empty: 'Пустое сообщение не отправлено',
      invalid_payload: 'Сообщение не удалось отправить',
      retry: 'Пока не отправлено — попробуем ещё раз',
      generic: 'Что-то пошло не так',
      invalid_phone: 'Проверьте номер телефона — похоже, в нём ошибка',
      empty_form: 'Заполните, пожалуйста, поля формы',
      offline: 'Нет связи с сервером. Попробуйте ещё раз через минуту',
      already_rated: 'Этот разговор уже оценён',
      not_found: 'Чат не найден — начните новый',
      forbidden: 'Это действие недоступно',
      unauthorized: 'Сессия устарела — обновите страницу',
      conversation_closed: 'Чат уже завершён — напишите, и мы начнём новый',
      conversation_open: 'Оценить можно после завершения чата',
      rate_limited: 'Слишком много сообщений подряд — подождите немного',
      bad_identity: 'Не удалось подтвердить, кто вы',
      internal: 'Ошибка на сервере — попробуйте ещё раз',
    },
  },
  en: {
    title: 'Chat with the shop',
    placeholder: 'Type a message…',
    send: 'Send',
    openChat: 'Open the chat with the shop',
    closeChat: 'Close the chat',
    greeting: 'Hello! How can we help?',
    greetingOffline: 'Hello! Nobody is here right now — write to us and we will read it and answer.',
    queue: (n) => `All operators are busy. Your place in the queue: ${n}`,
    queueNoPlace: 'All operators are busy. Someone will answer soon',
    operator: (name) => `Operator: ${name}`,
    joined: (name) => `Operator ${name} joined the chat`,
    typing: (name) => `${name} is typing…`,
    typingAnon: 'The operator is typing…',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    closed: 'Chat closed',
    closedHint: 'Chat closed. Write to us to start a new one',
    unread: (n) => `Unread messages: ${n}`,
    reply: 'Reply',
    closeInvitation: 'Close the invitation',
    invitationFrom: 'Consultant',
    callbackLink: 'Request a call-back',
    callbackOpen: 'Request a call-back or leave a message',
    cbModeCallback: 'Call me back',
    cbModeMessage: 'Leave a message',
    cbIntroCallback: 'Leave your number and we will call you back when it suits you.',
    cbIntroMessage: 'Write to us and we will answer as soon as we can.',
    cbName: 'Your name',
    cbPhone: 'Phone',
    cbPhoneOptional: 'Phone (optional)',
    cbTime: 'Convenient time',
    cbTimes: ['now', 'this afternoon', 'in the evening', 'tomorrow'],
    cbText: 'Message',
    cbSubmitCallback: 'Call me back',
    cbSubmitMessage: 'Send the message',
    cbDoneCallback: 'Thank you! We will call you back.',
    cbDoneMessage: 'Thank you! We got your message and will answer soon.',
    cbBack: 'Back to the chat',
    ratingTitle: 'Please rate the conversation',
    ratingStar: (n) => `Rating ${n} of 5`,
    ratingComment: 'Comment (optional)',
    ratingSubmit: 'Send the rating',
    ratingPick: 'Choose a rating from 1 to 5 stars',
    ratingThanks: 'Thank you for the rating!',
    purchaseThanks: 'Thank you for your order!',
    purchaseRelated: 'You may also need:',
    price: (n) => `${n} ₽`,
    status: {
      pending: 'Sending',
      sent: 'Sent',
      delivered: 'Delivered',
      read: 'Read',
      failed: 'Not sent',
    },
    errors: {
      too_long: 'The message is too long — 4000 characters at most',
      empty: 'An empty message was not sent',
      invalid_payload: 'The message could not be sent',
      retry: 'Not sent yet — we will retry',
      generic: 'Something went wrong',
      invalid_phone: 'Please check the phone number — it looks wrong',
      empty_form: 'Please fill in the form',
      offline: 'No connection to the server. Please try again in a minute',
      already_rated: 'This conversation has already been rated',
      not_found: 'The chat was not found — start a new one',
      forbidden: 'This is not allowed',
      unauthorized: 'The session expired — please reload the page',
      conversation_closed: 'The chat is closed — write to us to start a new one',
      conversation_open: 'You can rate the chat once it is closed',
      rate_limited: 'Too many messages in a row — please wait a little',
      bad_identity: 'We could not confirm who you are',
      internal: 'A server error — please try again',
    },
  },
};

export const locale = (() => {
  const own = attr('data-locale').toLowerCase();
  if (own === 'ru' || own === 'en') return own;
  const lang = (document.documentElement.getAttribute('lang') || '').toLowerCase();
  return lang.startsWith('ru') ? 'ru' : 'en';
})();
export const t = I18N[locale];

// What a person reads for a server error: the code's text in the page's language, never the
// server's English message; an unknown code gets the generic text.
export function errorText(error, tx = t) {
  const code = error && typeof error === 'object' ? error.code : error;
  return (typeof code === 'string' && Object.prototype.hasOwnProperty.call(tx.errors, code) && tx.errors[code]) ||
    tx.errors.generic;
}

const timeFmt = (() => {
  try {
    return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  } catch (_) {
    return null;
  }
})();
export function fmtTime(iso) {
  if (!iso || !timeFmt) return '';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? '' : timeFmt.format(d);
}

const numFmt = (() => {
  try {
    return new Intl.NumberFormat(locale === 'ru' ? 'ru-RU' : 'en-US', { maximumFractionDigits: 2 });
  } catch (_) {
    return null;
  }
})();
export const fmtPrice = (n) => t.price(numFmt ? numFmt.format(n) : String(n));
