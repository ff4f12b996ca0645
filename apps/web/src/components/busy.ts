// Controls that are unavailable for a moment, while a request they started runs: marked aria-disabled rather
// than disabled, because a disabled control that has the keyboard focus drops it to <body>.
import type { SyntheticEvent } from 'react';

/**
 * Props for a button (or file input) that is `busy`: announced and shown as unavailable, kept in the tab order
 * and the focus, its action skipped meanwhile (a click on a busy file input opens no file picker).
 */
export function whileBusy<E extends SyntheticEvent>(
  busy: boolean,
  onClick?: (event: E) => void,
): { 'aria-disabled': true | undefined; onClick: (event: E) => void } {
  return {
    'aria-disabled': busy || undefined,
    onClick: (event) => {
      if (busy) event.preventDefault();
      else onClick?.(event);
    },
  };
}
