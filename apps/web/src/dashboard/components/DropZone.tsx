// Where files arrive: dropped (folders too), or chosen with the file and folder pickers, which also make
// it work from the keyboard.
import { type DragEvent, useId, useState } from 'react';
import { droppedFiles, type Picked, picked } from '../files';

export function DropZone({
  label,
  hint,
  accept,
  onFiles,
  disabled = false,
  testId,
}: {
  label: string;
  hint: string;
  accept?: string;
  onFiles: (files: Picked[]) => void;
  disabled?: boolean;
  testId: string;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    onFiles(await droppedFiles(e.dataTransfer));
  };
  return (
    <section
      aria-labelledby={`${id}-label`}
      className={`drop${over ? ' over' : ''}`}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => void onDrop(e)}
    >
      <p className="drop-label" id={`${id}-label`}>
        {label}
      </p>
      <p className="muted small" id={`${id}-hint`}>
        {hint}
      </p>
      <div className="actions">
        <label className="file-button">
          <span className="button">Choose files…</span>
          <input
            className="visually-hidden"
            type="file"
            multiple
            accept={accept}
            disabled={disabled}
            aria-describedby={`${id}-hint`}
            data-testid={`${testId}-files`}
            onChange={(e) => {
              if (e.target.files) onFiles(picked(e.target.files));
              e.target.value = '';
            }}
          />
        </label>
        <label className="file-button">
          <span className="button">Choose a folder…</span>
          <input
            className="visually-hidden"
            type="file"
            disabled={disabled}
            aria-describedby={`${id}-hint`}
            data-testid={`${testId}-folder`}
            // React does not know the attribute; the browser does.
            {...{ webkitdirectory: '' }}
            onChange={(e) => {
              if (e.target.files) onFiles(picked(e.target.files));
              e.target.value = '';
            }}
          />
        </label>
      </div>
    </section>
  );
}
