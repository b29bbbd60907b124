// Sign-in form: POST /v1/auth/login; the server sets the session cookie and returns the CSRF token.

import { h, mount } from '../dom';
import { login } from '../session';
import { errorText } from '../ui';

export function loginPage(root: HTMLElement, _params: string[], done: () => void): void {
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'field-error', id: 'login-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary wide' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'login-card',
      'aria-labelledby': 'login-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        submit.setAttribute('disabled', '');
        try {
          await login(user.value.trim(), password.value);
          done();
        } catch (err) {
          error.textContent = errorText(err);
          password.select();
        } finally {
          submit.removeAttribute('disabled');
        }
      },
    },
    h('div', { class: 'brand big' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'loupe'),
    h('h1', { id: 'login-title' }, 'Sign in'),
    h('p', { class: 'subtitle' }, 'Review images and run the custom-labels pipeline.'),
    h('label', { for: 'login-user' }, 'User name'),
    user,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    error,
    submit,
  );
  mount(root, h('div', { class: 'login-page' }, form));
  user.focus();
}
