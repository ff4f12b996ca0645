// The volunteer's key: its fingerprint, and a passphrase-encrypted backup so credits survive a cleared browser.
import { MIN_PASSPHRASE } from '@bricolage/receipts';
import { type FormEvent, memo, useState } from 'react';
import { download } from '../format';
import type { Session, View } from '../session';
import { whileBusy } from './busy';

/** What the panel shows of the view; it renders again only when one of these changes. */
export type IdentityView = Pick<View, 'active' | 'busy' | 'identity' | 'stats'>;

export const IdentityPanel = memo(function IdentityPanel({ session, ...view }: IdentityView & { session: Session }) {
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [restorePass, setRestorePass] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const mismatch = again.length > 0 && pass !== again;

  const onBackup = async (e: FormEvent) => {
    e.preventDefault();
    if (pass !== again) return;
    const backup = await session.backupKey(pass);
    if (backup) {
      download(backup.name, backup.text);
      setPass('');
      setAgain('');
    }
  };
  const onRestore = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    if (await session.restoreKey(file, restorePass)) setRestorePass('');
  };

  return (
    <section className="card identity" aria-labelledby="identity-h">
      <h2 id="identity-h">Your key</h2>
      {view.identity ? (
        <>
          <p>
            Fingerprint{' '}
            <strong className="fingerprint" data-testid="fingerprint">
              {view.identity.fingerprint}
            </strong>
            {view.identity.restored && <span className="muted"> (restored from a backup)</span>}
          </p>
          <p className="muted small">
            Your volunteer id is an Ed25519 public key made in this browser; the private key never leaves it except
            inside an encrypted backup you make. Receipts name this key.
          </p>
        </>
      ) : (
        <p className="muted">No key yet: one is made when you first press Start. Or restore one from a backup below.</p>
      )}
      <div className="two">
        <form onSubmit={(e) => void onBackup(e)} aria-labelledby="backup-h">
          <h3 id="backup-h">Back up</h3>
          {/* Lets password managers file the passphrase under this key. */}
          <input
            type="text"
            name="username"
            autoComplete="username"
            value={view.identity?.fingerprint ?? ''}
            readOnly
            hidden
          />
          <p className="muted small">
            Download your key and receipts encrypted with a passphrase (PBKDF2, AES-GCM). Without the passphrase the
            file is useless — to anyone, including you.
          </p>
          <div className="field">
            <label htmlFor="backup-pass">Passphrase (at least {MIN_PASSPHRASE} characters)</label>
            <input
              id="backup-pass"
              type="password"
              autoComplete="new-password"
              minLength={MIN_PASSPHRASE}
              required
              value={pass}
              onChange={(e) => setPass(e.currentTarget.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="backup-again">Same passphrase again</label>
            <input
              id="backup-again"
              type="password"
              autoComplete="new-password"
              required
              value={again}
              aria-invalid={mismatch}
              aria-describedby={mismatch ? 'backup-mismatch' : undefined}
              onChange={(e) => setAgain(e.currentTarget.value)}
            />
            {mismatch && (
              <p id="backup-mismatch" className="error-text">
                The two passphrases differ.
              </p>
            )}
          </div>
          <button type="submit" disabled={!view.identity || mismatch} {...whileBusy(view.busy.backup)}>
            {view.busy.backup ? 'Encrypting…' : 'Download key backup'}
          </button>
        </form>
        <form onSubmit={(e) => void onRestore(e)} aria-labelledby="restore-h">
          <h3 id="restore-h">Restore</h3>
          <input type="text" name="username" autoComplete="username" value="" readOnly hidden />
          <p className="muted small">
            Replaces the key in this browser with the one in a backup file, and brings back its receipts.
          </p>
          <div className="field">
            <label htmlFor="restore-file">Backup file</label>
            <input
              id="restore-file"
              type="file"
              accept=".json,application/json"
              required
              onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
            />
          </div>
          <div className="field">
            <label htmlFor="restore-pass">Its passphrase</label>
            <input
              id="restore-pass"
              type="password"
              autoComplete="current-password"
              required
              value={restorePass}
              onChange={(e) => setRestorePass(e.currentTarget.value)}
            />
          </div>
          <button type="submit" disabled={view.active} {...whileBusy(view.busy.restoring)}>
            {view.busy.restoring ? 'Decrypting…' : 'Restore key'}
          </button>
          {view.active && <p className="muted small">Stop computing to restore a key.</p>}
        </form>
      </div>
      {view.identity && view.stats && (
        <p className="muted small">
          The coordinator counts {view.stats.valid} validated result(s) for this key
          {view.stats.flagged
            ? ', and no longer counts its results (after a failed known-answer check or repeated disagreement with other volunteers), so it gets no more work'
            : ''}
          .
        </p>
      )}
    </section>
  );
});
