// Outcomes of what the person asked for (imports, verification, backups), announced to screen readers.
import type { Notice } from '../session';

export function Notices({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice ${n.kind}`}
          role={n.kind === 'error' ? 'alert' : 'status'}
          data-testid="notice"
        >
          <div>
            <strong>{n.title}</strong>
            {n.lines.length > 0 && (
              <ul>
                {n.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </div>
          <button type="button" className="quiet" onClick={() => onDismiss(n.id)} aria-label={`Dismiss: ${n.title}`}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
