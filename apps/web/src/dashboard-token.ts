// Where the dashboard keeps the project token: sessionStorage (written by the dashboard's login, and by the
// volunteer page's wallet when it opens the key's personal project in this tab). It survives a reload of this tab (a
// researcher watching a long job reloads), but not the tab's closing, and no other tab or later visit
// reads it: a project token adds work and reads results for as long as it exists, so the browser should
// not hold it longer than the person is looking. Nothing here is sent anywhere but the coordinator.

const KEY = 'bricolage:dashboard:token';

export function storedToken(storage: Storage = sessionStorage): string | null {
  return storage.getItem(KEY);
}

export function storeToken(token: string, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, token);
}

export function forgetToken(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}
