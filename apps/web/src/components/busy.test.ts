import type { SyntheticEvent } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { whileBusy } from './busy';

const click = () => ({ preventDefault: vi.fn() }) as unknown as SyntheticEvent & { preventDefault: () => void };

describe('whileBusy', () => {
  it('marks a busy control aria-disabled, runs nothing and cancels the click’s default action', () => {
    const action = vi.fn();
    const props = whileBusy(true, action);
    const event = click();
    props.onClick(event);
    expect(props['aria-disabled']).toBe(true);
    expect(action).not.toHaveBeenCalled();
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('leaves a control that is not busy unmarked, its click running the action', () => {
    const action = vi.fn();
    const props = whileBusy(false, action);
    const event = click();
    props.onClick(event);
    expect(props['aria-disabled']).toBeUndefined();
    expect(action).toHaveBeenCalledWith(event);
    expect(event.preventDefault).not.toHaveBeenCalled();
  });
});
