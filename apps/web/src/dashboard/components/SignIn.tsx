// Sign in with a project token; the coordinator says whether it knows it (GET /v1/projects/mine).
import { type FormEvent, useState } from 'react';

export function SignIn({
  problem,
  onSignIn,
}: {
  problem: string | null;
  onSignIn: (token: string) => Promise<string | null>;
}) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(problem);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(await onSignIn(token.trim()));
    setBusy(false);
  };

  return (
    <section className="card narrow" aria-labelledby="signin-h">
      <h2 id="signin-h" tabIndex={-1}>
        Sign in
      </h2>
      <p>
        Sign in with your project’s token (<code>brk_…</code>). The grid’s operator makes it with{' '}
        <code>npm run coordinator -- project create NAME</code>; it is shown once.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="token">Project token</label>
          <input
            id="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'token-error' : undefined}
            required
          />
        </div>
        {error && (
          <p id="token-error" className="error-text" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </section>
  );
}
