// The condition types a proactive rule may use, as the editor offers them. The server validates
// the same set (consult/proactive/rules.py) and the widget evaluates it; tests/consult/test_condition_types.py
// keeps the three equal. No DOM here: node imports it.

export const CONDITIONS = {
  seconds_on_site: { label: 'Время на сайте', kind: 'value', prefix: 'не меньше', unit: 'секунд', step: '1', def: 30 },
  pages_viewed: { label: 'Просмотрено страниц', kind: 'value', prefix: 'не меньше', unit: 'страниц', step: '1', def: 3 },
  idle_on_page: { label: 'Бездействие на странице', kind: 'idle', def: 60 },
  cart_not_empty: { label: 'Корзина не пуста', kind: 'none', note: 'в корзине есть товары' },
  cart_total_at_least: { label: 'Сумма корзины', kind: 'value', prefix: 'не меньше', unit: '₽', step: 'any', def: 5000 },
  exit_intent: { label: 'Собирается уйти', kind: 'none', note: 'курсор ушёл за верх окна или вкладка скрыта' },
  returning_visitor: { label: 'Вернувшийся посетитель', kind: 'none', note: 'уже был на сайте раньше' },
  customer_known: { label: 'Покупатель известен', kind: 'none', note: 'сайт передал его id (identify)' },
};

export const ACTIONS = { invite: 'Пригласить в чат', open: 'Открыть окно чата', callback: 'Обратный звонок' };
export const CAPS = { visit: 'раз за визит', day: 'раз в день' };
