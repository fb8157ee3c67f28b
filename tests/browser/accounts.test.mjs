// Admin pages: users, groups (with a refused cycle), permissions, audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, shot } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an admin creates a user, edits it, and sees the server message for a short password', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'Users' }).click();
  await p.getByRole('button', { name: 'New user' }).click();
  const d = p.getByRole('dialog');
  await d.getByLabel('Email').fill('ed@example.com');
  await d.getByLabel('Name').fill('Ed Itor');
  await d.getByLabel('Password').fill('short');
  await d.getByLabel('Role').selectOption('editor');
  await d.getByRole('button', { name: 'Create user' }).click();
  // minlength lets the browser refuse first; clear it to see the server's own message
  await d.getByLabel('Password').evaluate((el) => el.removeAttribute('minlength'));
  await d.getByRole('button', { name: 'Create user' }).click();
  await d.getByRole('alert').getByText('passwords must be at least 10 characters long').waitFor();
  await d.getByLabel('Password').fill('a long enough password');
  await d.getByRole('button', { name: 'Create user' }).click();
  await p.getByText('Created ed@example.com (editor).').waitFor();
  const row = p.getByRole('row', { name: /ed@example\.com/ });
  await row.getByText('Ed Itor').waitFor();
  await shot(p, 'users');

  await p.getByRole('button', { name: 'Edit ed@example.com' }).click();
  await d.getByLabel('Role').selectOption('authenticated');
  await d.getByRole('button', { name: 'Save' }).click();
  await p.getByText('Saved ed@example.com.').waitFor();
  await row.getByText('authenticated').waitFor();

  // an "authenticated" user gets their account pages only
  const ed = await openPage(browser, server.url, { width: 375, height: 700 });
  await logIn(ed, { email: 'ed@example.com', password: 'a long enough password' });
  await ed.getByText('with the role "authenticated"').waitFor();
  await ed.getByRole('button', { name: 'Menu' }).click();
  await ed.getByRole('navigation').getByRole('link', { name: 'API tokens' }).waitFor();
  assert.equal(await ed.getByRole('link', { name: 'Scripts', exact: true }).count(), 0);

  await p.getByRole('button', { name: 'Reset the password of ed@example.com' }).click();
  await d.getByLabel('New password').fill('another long password');
  await d.getByRole('button', { name: 'Set password' }).click();
  await p.getByText('Changed the password of ed@example.com; their sessions have ended.').waitFor();
  await p.getByRole('button', { name: 'Delete ed@example.com' }).click();
  await p.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click();
  await p.getByText('Deleted ed@example.com.').waitFor();
  assert.equal(await row.count(), 0);
  assert.deepEqual([...p.problems(), ...ed.problems()], []);
});

test('an admin creates groups, nests them, and sees the cycle refused verbatim', async () => {
  const token = await apiLogin(server.url);
  await call(server.url, token, 'POST', '/engine/api/users',
    { email: 'gina@example.com', password: 'a long enough password', role: 'editor' });
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'Groups' }).click();
  for (const name of ['shop-team', 'eng']) {
    await p.getByRole('button', { name: 'New group' }).click();
    await p.getByRole('dialog').getByLabel('Group name').fill(name);
    await p.getByRole('dialog').getByRole('button', { name: 'Create group' }).click();
    await p.getByText(`Created group ${name}.`).waitFor();
  }
  await p.getByLabel('Add to shop-team').selectOption({ label: 'gina@example.com' });
  await p.getByRole('region', { name: 'shop-team' }).getByRole('button', { name: 'Add' }).click();
  await p.getByText('Added gina@example.com to shop-team.').waitFor();
  await p.getByLabel('Add to eng').selectOption({ label: 'group shop-team' });
  await p.getByRole('region', { name: 'eng' }).getByRole('button', { name: 'Add' }).click();
  await p.getByText('Added group shop-team to eng.').waitFor();
  // eng contains shop-team: putting eng into shop-team would be a cycle
  await p.getByLabel('Add to shop-team').selectOption({ label: 'group eng' });
  await p.getByRole('region', { name: 'shop-team' }).getByRole('button', { name: 'Add' }).click();
  const refused = p.getByRole('region', { name: 'shop-team' }).getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.textContent(), /cycle/);
  await shot(p, 'groups');
  await p.getByRole('button', { name: 'Remove gina@example.com from shop-team' }).click();
  await p.getByText('Removed gina@example.com from shop-team.').waitFor();
  assert.deepEqual(p.problems(), []);
});

test('an admin defines a permission, grants it to a group, and reads the audit log', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'Permissions' }).click();
  await p.getByRole('button', { name: 'New permission' }).click();
  await p.getByRole('dialog').getByLabel('Name').fill('orders.refund');
  await p.getByRole('dialog').getByLabel('Description').fill('Refund an order');
  await p.getByRole('dialog').getByRole('button', { name: 'Create permission' }).click();
  await p.getByText('Created permission orders.refund.').waitFor();
  await p.getByLabel('Grant orders.refund to').selectOption({ label: 'group eng' });
  await p.getByRole('button', { name: 'Grant', exact: true }).click();
  await p.getByText('Granted orders.refund to group eng.').waitFor();
  await shot(p, 'permissions');
  await p.getByRole('link', { name: 'Audit log' }).click();
  await p.getByRole('row', { name: /permission\.grant.*orders\.refund.*ok/ }).waitFor();
  await p.getByRole('row', { name: /group\.add_member.*shop-team.*group_cycle/ }).waitFor();
  await shot(p, 'audit');
  assert.deepEqual(p.problems(), []);
});
